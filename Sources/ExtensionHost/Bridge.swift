import CCommerceSDK
import CommerceRuntime
import ConsumerAPI

/// Turns an extension's registrations into CRT handlers and triggers and entity-model entries.
///
/// Everything an extension adds runs as CRT requests known by type name, so OData operations
/// and entity sets of extensions go through the same pipeline, transaction and triggers as
/// built-in requests; the consumer API finds them by the request type the model names.
enum Bridge {
    struct InstallError: Error, CustomStringConvertible {
        let description: String
    }

    static func install(
        _ registrations: Registrations, of identity: ExtensionIdentity, into registry: inout HandlerRegistry, model: inout EntityModel
    ) throws(InstallError) {
        let owner = "extension \(identity.name)"
        for handler in registrations.handlers {
            let callback = handler.callback
            registry.registerJSON(typeName: handler.requestType, mode: handler.mode, owner: owner) { request, context, next in
                let output = OutputBuffer()
                let handled = try ExtensionCall.invoke(identity, context, next: next) { call in
                    request.withCommerceStr { callback.function(callback.userData, call, $0, output.handle) }
                }
                // Declined: the pipeline runs the next handler with the request it already has,
                // awaited, rather than through a blocking call_next and a JSON round trip.
                guard handled else { return nil }
                guard !output.bytes.isEmpty else {
                    throw CommerceError(.extensionFailure, code: "ExtensionFailed", "extension '\(identity.name)': its \(handler.requestType) handler returned OK without a response")
                }
                return output.bytes
            }
        }
        for trigger in registrations.triggers {
            guard registry.isDeclared(trigger.requestType) else {
                throw InstallError(
                    description: "a trigger on the unknown request type '\(trigger.requestType)'; known types: \(registry.requestTypeNames.joined(separator: ", "))"
                )
            }
            do {
                switch trigger.kind {
                case .pre(let callback):
                    try registry.addJSONPreTrigger(typeName: trigger.requestType, owner: owner) { request, context in
                        try ExtensionCall.invoke(identity, context) { call in
                            request.withCommerceStr { callback.function(callback.userData, call, $0) }
                        }
                    }
                case .post(let callback):
                    try registry.addJSONPostTrigger(typeName: trigger.requestType, owner: owner) { request, response, context in
                        let output = OutputBuffer()
                        try ExtensionCall.invoke(identity, context) { call in
                            request.withCommerceStr { requestSlice in
                                response.withCommerceStr { responseSlice in
                                    callback.function(callback.userData, call, requestSlice, responseSlice, output.handle)
                                }
                            }
                        }
                        return output.bytes.isEmpty ? response : output.bytes
                    }
                }
            } catch {
                throw InstallError(description: "a trigger on '\(trigger.requestType)': \(error)")
            }
        }
        for set in registrations.entitySets {
            let requestType = "ext.\(identity.name).\(set.name)"
            do {
                try model.add(set.entityType)
                try model.add(EdmEntitySet(
                    set.name, entityType: set.entityType.name, capabilities: [.read], roles: set.roles, applicationScope: set.applicationScope,
                    requestType: requestType
                ))
            } catch {
                throw InstallError(description: "the entity set '\(set.name)': \(error)")
            }
            registry.registerJSON(typeName: requestType, mode: .read, owner: owner, operationHandler(set.callback, identity))
        }
        for operation in registrations.operations {
            let requestType = "ext.\(identity.name).\(operation.name)"
            var binding: EdmOperation.Binding?
            if let setName = operation.boundTo {
                guard let set = model.entitySet(named: setName) else {
                    throw InstallError(description: "the operation '\(operation.name)' is bound to the unknown entity set '\(setName)'")
                }
                binding = EdmOperation.Binding(entityType: set.entityType, isCollection: false)
            }
            let returnType = try Self.returnType(operation.returnType, of: operation.name, in: model)
            let declared = EdmOperation(
                operation.name, kind: operation.kind, binding: binding, parameters: operation.parameters, returnType: returnType,
                roles: operation.roles, applicationScope: operation.applicationScope, requestType: requestType
            )
            do {
                try model.add(declared)
            } catch {
                throw InstallError(description: "the operation '\(operation.name)': \(error)")
            }
            registry.registerJSON(
                typeName: requestType, mode: operation.kind == .action ? .write : .read, owner: owner, operationHandler(operation.callback, identity)
            )
        }
    }

    private static func operationHandler(_ callback: Callback<commerce_operation_fn>, _ identity: ExtensionIdentity) -> JSONHandler {
        { parameters, context, _ in
            let output = OutputBuffer()
            try ExtensionCall.invoke(identity, context) { call in
                parameters.withCommerceStr { callback.function(callback.userData, call, $0, output.handle) }
            }
            return output.bytes
        }
    }

    static func returnType(_ text: String, of operation: String, in model: EntityModel) throws(InstallError) -> EdmType? {
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("Collection("), text.hasSuffix(")") {
            let inner = String(text.dropFirst("Collection(".count).dropLast())
            guard let element = try returnType(inner, of: operation, in: model), !element.isCollection else {
                throw InstallError(description: "the return type '\(text)' of '\(operation)' is not a collection of one type")
            }
            return .collection(element)
        }
        if let primitive = EdmPrimitive(rawValue: text) { return .primitive(primitive) }
        let name = text.hasPrefix(EntityModel.namespace + ".") ? String(text.dropFirst(EntityModel.namespace.count + 1)) : text
        if model.entityType(named: name) != nil { return .entity(name) }
        if model.complexType(named: name) != nil { return .complex(name) }
        throw InstallError(description: "the return type '\(text)' of '\(operation)' is neither an Edm primitive type nor a type of the model")
    }
}
