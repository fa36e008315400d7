// Regional tax rates: a sample extension in Swift.
//
// Overrides `CalculateTaxRequest`: for a delivery address whose region is in the rate table
// of the config block, it taxes every line at that rate; for any other region it declines, so
// the handler registered before it (the built-in tax engine) runs.
//
// Config block: {"rates": {"US-WA": 10.25, "CA": 5}} — keys are "<country>-<state>" or
// "<country>", values percent. Amounts are taxed price-exclusive and rounded half away from
// zero to `decimals` (default 2).
//
// Build with the host's Swift toolchain (see README.md): Swift has no stable ABI on Linux.

import CommerceSDK
import Foundation

private struct TaxRequest: Decodable {
    struct Line: Decodable {
        var lineId: String
        var amount: Decimal
        enum CodingKeys: String, CodingKey {
            case lineId = "LineId"
            case amount = "Amount"
        }
    }

    var lines: [Line]
    var countryRegionId: String?
    var stateProvinceId: String?

    enum CodingKeys: String, CodingKey {
        case lines = "Lines"
        case countryRegionId = "CountryRegionId"
        case stateProvinceId = "StateProvinceId"
    }
}

private struct LineTax: Encodable {
    var lineId: String
    var taxAmount: Decimal
    var ratePercent: Decimal

    enum CodingKeys: String, CodingKey {
        case lineId = "LineId"
        case taxAmount = "TaxAmount"
        case ratePercent = "RatePercent"
    }
}

private struct Settings: Decodable {
    var rates: [String: Decimal]
    var decimals: Int?
}

/// Set once in init, before the host calls any handler; read-only afterwards.
nonisolated(unsafe) private var api: UnsafePointer<commerce_host_api>?
nonisolated(unsafe) private var rates: [String: Decimal] = [:]
nonisolated(unsafe) private var decimals = 2

/// Static strings for the info struct: the host reads them for the life of the process.
private func staticSlice(_ text: StaticString) -> commerce_str {
    text.withUTF8Buffer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { commerce_str(data: $0.baseAddress, length: $0.count) }
    }
}

nonisolated(unsafe) private var info: commerce_extension_info = {
    var info = commerce_extension_info()
    info.size = UInt32(MemoryLayout<commerce_extension_info>.size)
    info.abi_major = UInt16(COMMERCE_ABI_MAJOR)
    info.abi_minor = UInt16(COMMERCE_ABI_MINOR)
    info.name = staticSlice("regional_tax")
    info.version = staticSlice("1.0.0")
    info.swift_toolchain = staticSlice(builtWithSwift)
    return info
}()

@_cdecl("commerce_extension_get_info")
public func commerceExtensionGetInfo() -> UnsafePointer<commerce_extension_info> {
    withUnsafePointer(to: &info) { $0 }
}

@_cdecl("commerce_extension_init")
public func commerceExtensionInit(
    _ host: UnsafePointer<commerce_host_api>?, _ initHandle: OpaquePointer?, _ config: commerce_str
) -> commerce_status {
    guard let host else { return commerce_status(COMMERCE_FAILED) }
    api = host
    do {
        let settings = try JSONDecoder().decode(Settings.self, from: Data(bytes(config)))
        rates = Dictionary(uniqueKeysWithValues: settings.rates.map { ($0.key.uppercased(), $0.value) })
        decimals = settings.decimals ?? 2
    } catch {
        fail(init: initHandle, host, "the config block must be {\"rates\": {\"US-WA\": 10.25, ...}}: \(error)")
        return commerce_status(COMMERCE_INVALID)
    }
    var registration = commerce_handler_registration()
    registration.size = UInt32(MemoryLayout<commerce_handler_registration>.size)
    registration.request_type = staticSlice("CalculateTaxRequest")
    registration.mode = UInt32(COMMERCE_MODE_READ)
    registration.handler = { _, call, request, response in
        calculateTax(call, request, response)
    }
    return host.pointee.register_handler(initHandle, &registration)
}

private func calculateTax(_ call: OpaquePointer?, _ request: commerce_str, _ response: OpaquePointer?) -> commerce_status {
    guard let api = api?.pointee else { return commerce_status(COMMERCE_FAILED) }
    let body = bytes(request)
    let parsed: TaxRequest
    do {
        parsed = try JSONDecoder().decode(TaxRequest.self, from: Data(body))
    } catch {
        return reply(call, api, status: COMMERCE_INVALID, "CalculateTaxRequest did not decode: \(error)")
    }
    // Not a region of ours: the handler before us (the built-in engine) decides, with the
    // request unchanged. Declining costs less than api.call_next, which an override needs only
    // to change the request on the way in or the response on the way out.
    guard let rate = rate(for: parsed) else { return commerce_status(COMMERCE_DECLINED) }
    let taxes = parsed.lines.map { line in
        LineTax(lineId: line.lineId, taxAmount: round(line.amount * rate / 100), ratePercent: rate)
    }
    guard let output = try? JSONEncoder().encode(taxes) else {
        return reply(call, api, status: COMMERCE_FAILED, "could not encode the tax lines")
    }
    return output.withUnsafeBytes { raw in
        api.buffer_append(response, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
    }
}

/// The most specific rate: country and state first, then the country alone.
private func rate(for request: TaxRequest) -> Decimal? {
    guard let country = request.countryRegionId?.uppercased(), !country.isEmpty else { return nil }
    if let state = request.stateProvinceId?.uppercased(), let rate = rates["\(country)-\(state)"] { return rate }
    return rates[country]
}

/// Half away from zero, to `decimals` places.
private func round(_ value: Decimal) -> Decimal {
    var input = value
    var output = Decimal()
    NSDecimalRound(&output, &input, decimals, .plain)
    return output
}

private func bytes(_ slice: commerce_str) -> [UInt8] {
    guard let data = slice.data, slice.length > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: data, count: slice.length))
}

private func reply(_ call: OpaquePointer?, _ api: commerce_host_api, status: Int, _ message: String) -> commerce_status {
    var text = Array(message.utf8)
    text.withUnsafeMutableBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { api.call_set_error(call, commerce_str(data: $0.baseAddress, length: $0.count)) }
    }
    return commerce_status(status)
}

private func fail(init handle: OpaquePointer?, _ host: UnsafePointer<commerce_host_api>, _ message: String) {
    var text = Array(message.utf8)
    text.withUnsafeMutableBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { host.pointee.init_set_error(handle, commerce_str(data: $0.baseAddress, length: $0.count)) }
    }
}
