import CCommerceSDK
import ChannelDatabase
import CommerceRuntime
import Foundation
import Logging
import Synchronization

/// The host function table every extension receives (`commerce_host_api`), built once.
///
/// Each entry is a C function without captures: everything it needs comes through the opaque
/// handle it is given. None of them throws or traps on bad input from an extension; they
/// answer a status instead.
enum HostFunctions {
    nonisolated(unsafe) static let table: UnsafePointer<commerce_host_api> = {
        var api = SizedStruct.zeroed(commerce_host_api.self)
        api.size = UInt32(MemoryLayout<commerce_host_api>.size)
        api.abi_major = HostABI.major
        api.abi_minor = HostABI.minor
        api.get_function = getFunction
        api.register_handler = { InitRegistrar.from($0)?.addHandler($1) ?? commerce_status(COMMERCE_INVALID) }
        api.register_trigger = { InitRegistrar.from($0)?.addTrigger($1) ?? commerce_status(COMMERCE_INVALID) }
        api.register_operation = { InitRegistrar.from($0)?.addOperation($1) ?? commerce_status(COMMERCE_INVALID) }
        api.register_migration = { InitRegistrar.from($0)?.addMigration($1) ?? commerce_status(COMMERCE_INVALID) }
        api.register_entity_set = { InitRegistrar.from($0)?.addEntitySet($1) ?? commerce_status(COMMERCE_INVALID) }
        api.init_set_error = { handle, message in InitRegistrar.from(handle)?.initError = message.string }
        api.buffer_append = bufferAppend
        api.call_buffer = { handle in
            guard let call = ExtensionCall.from(handle) else { return nil }
            let buffer = OutputBuffer()
            call.scratch.append(buffer)
            return buffer.handle
        }
        api.buffer_view = { handle in
            OutputBuffer.from(handle)?.viewSlice() ?? commerce_str(data: nil, length: 0)
        }
        api.call_set_error = { handle, message in ExtensionCall.from(handle)?.message = message.string }
        api.call_context = callContext
        api.call_next = callNext
        api.call_execute = callExecute
        api.db_query = databaseQuery
        api.db_execute = databaseExecute
        api.call_last_error = callLastError
        api.log = log
        let pointer = UnsafeMutablePointer<commerce_host_api>.allocate(capacity: 1)
        pointer.initialize(to: api)
        return UnsafePointer(pointer)
    }()

    /// Host functions by their documented names, for `get_function`.
    nonisolated(unsafe) private static let byName: [String: UnsafeMutableRawPointer] = {
        let api = table.pointee
        var entries: [String: UnsafeMutableRawPointer?] = [:]
        func add<F>(_ name: String, _ function: F?) {
            entries[name] = function.map { unsafeBitCast($0, to: UnsafeMutableRawPointer.self) }
        }
        add("commerce_register_handler", api.register_handler)
        add("commerce_register_trigger", api.register_trigger)
        add("commerce_register_operation", api.register_operation)
        add("commerce_register_migration", api.register_migration)
        add("commerce_register_entity_set", api.register_entity_set)
        add("commerce_init_set_error", api.init_set_error)
        add("commerce_buffer_append", api.buffer_append)
        add("commerce_call_buffer", api.call_buffer)
        add("commerce_buffer_view", api.buffer_view)
        add("commerce_call_set_error", api.call_set_error)
        add("commerce_call_context", api.call_context)
        add("commerce_call_next", api.call_next)
        add("commerce_call_execute", api.call_execute)
        add("commerce_db_query", api.db_query)
        add("commerce_db_execute", api.db_execute)
        add("commerce_call_last_error", api.call_last_error)
        add("commerce_log", api.log)
        return entries.compactMapValues { $0 }
    }()

    private static let getFunction: @convention(c) (commerce_str) -> UnsafeMutableRawPointer? = { name in
        byName[name.string]
    }

    private static let bufferAppend: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int) -> commerce_status = { handle, data, length in
        guard let buffer = OutputBuffer.from(handle) else { return commerce_status(COMMERCE_INVALID) }
        guard length > 0 else { return commerce_status(COMMERCE_OK) }
        guard let data else { return commerce_status(COMMERCE_INVALID) }
        buffer.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
        return commerce_status(COMMERCE_OK)
    }

    private static let callContext: @convention(c) (OpaquePointer?, OpaquePointer?) -> commerce_status = { handle, output in
        guard let call = ExtensionCall.from(handle), let buffer = OutputBuffer.from(output) else { return commerce_status(COMMERCE_INVALID) }
        buffer.bytes.append(contentsOf: call.contextJSON)
        return commerce_status(COMMERCE_OK)
    }

    private static let callNext: @convention(c) (OpaquePointer?, commerce_str, OpaquePointer?) -> commerce_status = { handle, request, output in
        guard let call = ExtensionCall.from(handle), let buffer = OutputBuffer.from(output) else { return commerce_status(COMMERCE_INVALID) }
        guard let next = call.next else {
            call.lastError = CommerceError.invalidRequest("call_next is only possible in a handler")
            return commerce_status(COMMERCE_UNSUPPORTED)
        }
        let body = request.bytes
        guard let response = call.perform({ try await next(body) }) else { return ExtensionCall.status(of: call.lastError) }
        buffer.bytes.append(contentsOf: response)
        return commerce_status(COMMERCE_OK)
    }

    private static let callExecute: @convention(c) (OpaquePointer?, commerce_str, commerce_str, OpaquePointer?) -> commerce_status = {
        handle, type, request, output in
        guard let call = ExtensionCall.from(handle), let buffer = OutputBuffer.from(output) else { return commerce_status(COMMERCE_INVALID) }
        let nested = JSONRequest(typeName: type.string, body: request.bytes)
        let context = call.context
        guard let response = call.perform({ try await context.execute(nested) }) else { return ExtensionCall.status(of: call.lastError) }
        buffer.bytes.append(contentsOf: response)
        return commerce_status(COMMERCE_OK)
    }

    private static let databaseQuery: @convention(c) (OpaquePointer?, commerce_str, commerce_str, OpaquePointer?) -> commerce_status = {
        handle, sql, arguments, output in
        guard let call = ExtensionCall.from(handle), let buffer = OutputBuffer.from(output) else { return commerce_status(COMMERCE_INVALID) }
        guard let rows = statement(call, sql, arguments, { try await $0.query($1, $2, policy: $3) }) else {
            return ExtensionCall.status(of: call.lastError)
        }
        buffer.bytes.append(contentsOf: StatementJSON.rows(rows))
        return commerce_status(COMMERCE_OK)
    }

    private static let databaseExecute: @convention(c) (OpaquePointer?, commerce_str, commerce_str, UnsafeMutablePointer<Int64>?) -> commerce_status = {
        handle, sql, arguments, changes in
        guard let call = ExtensionCall.from(handle) else { return commerce_status(COMMERCE_INVALID) }
        guard let count = statement(call, sql, arguments, { try await $0.execute($1, $2, policy: $3) }) else {
            return ExtensionCall.status(of: call.lastError)
        }
        changes?.pointee = Int64(count)
        return commerce_status(COMMERCE_OK)
    }

    /// Runs one of the extension's statements in the request's transaction, under its policy;
    /// nil when it failed (the error is kept on the call).
    private static func statement<T: Sendable>(
        _ call: ExtensionCall, _ sql: commerce_str, _ arguments: commerce_str,
        _ run: @escaping @Sendable (any DatabaseTransaction, String, [DatabaseValue], TableAccessPolicy) async throws -> T
    ) -> T? {
        let text = sql.string
        let argumentBytes = arguments.bytes
        let policy = call.identity.policy
        let transaction = call.context.transaction
        return call.perform { try await run(transaction, text, try StatementJSON.arguments(argumentBytes), policy) }
    }

    private static let callLastError: @convention(c) (OpaquePointer?, OpaquePointer?) -> commerce_status = { handle, output in
        guard let call = ExtensionCall.from(handle), let buffer = OutputBuffer.from(output) else { return commerce_status(COMMERCE_INVALID) }
        guard let error = call.lastError else { return commerce_status(COMMERCE_NOT_FOUND) }
        let message = (error as? CommerceError)?.message ?? (error as? DatabaseError)?.message ?? "\(error)"
        buffer.bytes.append(contentsOf: Array(message.utf8))
        return commerce_status(COMMERCE_OK)
    }

    private static let log: @convention(c) (OpaquePointer?, Int32, commerce_str) -> Void = { handle, level, message in
        // Without a call: during init, the initialising extension's logger; otherwise (a thread
        // of the extension's own) the host's extension logger, untagged.
        let logger = ExtensionCall.from(handle)?.identity.logger
            ?? ExtensionHost.initializingLogger.withLock { $0 } ?? ExtensionHost.fallbackLogger
        let text = Logger.Message(stringLiteral: message.string)
        switch level {
        case Int32(COMMERCE_LOG_DEBUG): logger.debug(text)
        case Int32(COMMERCE_LOG_INFO): logger.info(text)
        case Int32(COMMERCE_LOG_WARNING): logger.warning(text)
        default: logger.error(text)
        }
    }
}

