import Foundation

/// Encodes the CRT's messages to JSON for extensions, faster than `JSONEncoder`.
///
/// Every trigger and handler an extension registers on a typed request costs one encode per
/// call, so this is on the hot path of every extended request. It supports what the messages
/// are made of (keyed and unkeyed containers, strings, integers, booleans, nil, `Decimal` as a
/// JSON number); anything else (`Date`, `Data`, `URL`, floating point) makes it throw
/// ``Unsupported`` and the caller falls back to `JSONEncoder`.
struct CompactJSONEncoder {
    struct Unsupported: Error {}

    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let root = Node.Box()
        try Writer.encode(value, into: root)
        var output: [UInt8] = []
        output.reserveCapacity(256)
        root.node.write(to: &output)
        return output
    }

    /// `encode`, or `JSONEncoder` for a value holding a type this encoder leaves out.
    static func encodeFallingBack<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        do {
            return try encode(value)
        } catch is Unsupported {
            return Array(try JSONEncoder().encode(value))
        }
    }
}

/// The value tree containers build; written out once the whole value is encoded, because
/// `Encoder` lets a container be filled after its siblings were created.
private indirect enum Node {
    case null
    case literal(String)
    case string(String)
    case object(ObjectBox)
    case array(ArrayBox)

    final class Box { var node: Node = .null }
    final class ObjectBox { var members: [(String, Box)] = [] }
    final class ArrayBox { var elements: [Box] = [] }

    func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .literal(let text): output.append(contentsOf: text.utf8)
        case .string(let text): Node.writeString(text, to: &output)
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, (key, value)) in object.members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Node.writeString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                value.node.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        case .array(let array):
            output.append(UInt8(ascii: "["))
            for (index, element) in array.elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.node.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        }
    }

    static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
            case 0x0A: output.append(contentsOf: #"\n"#.utf8)
            case 0x0D: output.append(contentsOf: #"\r"#.utf8)
            case 0x09: output.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: #"\u00"#.utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

private struct Writer: Encoder {
    let box: Node.Box
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Encodes a value into `box`, writing the types the messages use directly.
    static func encode<Value: Encodable>(_ value: Value, into box: Node.Box) throws {
        switch value {
        case let decimal as Decimal: box.node = .literal(decimal.description)
        case let text as String: box.node = .string(text)
        case let flag as Bool: box.node = .literal(flag ? "true" : "false")
        case let number as any BinaryInteger: box.node = .literal("\(number)")
        case is Date, is Data, is URL, is Double, is Float: throw CompactJSONEncoder.Unsupported()
        default: try value.encode(to: Writer(box: box))
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: Node.ObjectBox
        if case .object(let existing) = box.node {
            object = existing
        } else {
            object = Node.ObjectBox()
            box.node = .object(object)
        }
        return KeyedEncodingContainer(Keyed<Key>(object: object))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: Node.ArrayBox
        if case .array(let existing) = box.node {
            array = existing
        } else {
            array = Node.ArrayBox()
            box.node = .array(array)
        }
        return Unkeyed(array: array)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(box: box) }
}

private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let object: Node.ObjectBox
    var codingPath: [any CodingKey] { [] }

    private func slot(_ key: Key) -> Node.Box { slot(named: key.stringValue) }

    private func slot(named name: String) -> Node.Box {
        let box = Node.Box()
        object.members.append((name, box))
        return box
    }

    mutating func encodeNil(forKey key: Key) throws { slot(key).node = .null }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try Writer.encode(value, into: slot(key)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { slot(key).node = .literal(String(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { slot(key).node = .literal(String(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { slot(key).node = .literal(String(value)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        Writer(box: slot(key)).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { Writer(box: slot(key)).unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { Writer(box: slot(named: "super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { Writer(box: slot(key)) }
}

private struct Unkeyed: UnkeyedEncodingContainer {
    let array: Node.ArrayBox
    var codingPath: [any CodingKey] { [] }
    var count: Int { array.elements.count }

    private func slot() -> Node.Box {
        let box = Node.Box()
        array.elements.append(box)
        return box
    }

    mutating func encodeNil() throws { slot().node = .null }
    mutating func encode<T: Encodable>(_ value: T) throws { try Writer.encode(value, into: slot()) }
    mutating func encode(_ value: Int) throws { slot().node = .literal(String(value)) }
    mutating func encode(_ value: Int64) throws { slot().node = .literal(String(value)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        Writer(box: slot()).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { Writer(box: slot()).unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { Writer(box: slot()) }
}

private struct Single: SingleValueEncodingContainer {
    let box: Node.Box
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { box.node = .null }
    mutating func encode<T: Encodable>(_ value: T) throws { try Writer.encode(value, into: box) }
    mutating func encode(_ value: Int) throws { box.node = .literal(String(value)) }
    mutating func encode(_ value: Int64) throws { box.node = .literal(String(value)) }
}
