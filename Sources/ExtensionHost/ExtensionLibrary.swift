import CCommerceSDK
import Foundation

/// Why an extension was not loaded: the file, the problem and what to do about it.
public struct ExtensionRefusal: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "extension \(path) refused: \(problem)" }
}

/// The ABI version this host implements.
public enum HostABI {
    public static let major = UInt16(COMMERCE_ABI_MAJOR)
    public static let minor = UInt16(COMMERCE_ABI_MINOR)
    public static var version: String { "\(major).\(minor)" }
}

/// What an extension says about itself before it is initialised.
struct ExtensionInfo: Sendable {
    var name: String
    var version: String
    var abiMajor: UInt16
    var abiMinor: UInt16
    var swiftToolchain: String
    var readsTables: [String]
}

/// An opened, checked extension library whose entry points are resolved.
struct ExtensionLibrary: @unchecked Sendable {
    let path: String
    let info: ExtensionInfo
    let initialize: commerce_extension_init_fn

    /// Opens the library and checks it can run in this host, in the order a partner would fix
    /// things: the file, the format, the entry points, the ABI, the toolchain, the manifest.
    static func open(path: String) throws(ExtensionRefusal) -> ExtensionLibrary {
        func refuse(_ problem: String) -> ExtensionRefusal { ExtensionRefusal(path: path, problem: problem) }

        guard FileManager.default.fileExists(atPath: path) else {
            throw refuse("the file does not exist; check extensions[].path in the configuration (relative paths start at the working directory)")
        }
        // Only the magic number: the library itself is read by the dynamic loader, not by us.
        let header = FileHandle(forReadingAtPath: path).flatMap { file in
            defer { try? file.close() }
            return try? file.read(upToCount: 4)
        }
        guard let header, Array(header) == [0x7F, 0x45, 0x4C, 0x46] else {
            throw refuse("the file is not a shared library (no ELF header); point extensions[].path at the .so the build produced")
        }
        // RTLD_LOCAL: two extensions' symbols never resolve against each other. The handle is
        // never closed: callbacks and thread-locals of the library live as long as the process.
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw refuse("the dynamic loader cannot load it (\(reason)); check that its dependencies are installed and it was built for this platform")
        }
        guard let infoSymbol = dlsym(handle, COMMERCE_EXTENSION_INFO_SYMBOL) else {
            throw refuse(
                "it does not export \(COMMERCE_EXTENSION_INFO_SYMBOL); build it against SDK/include/commerce_sdk.h and export both entry points (COMMERCE_EXPORT)"
            )
        }
        guard let initSymbol = dlsym(handle, COMMERCE_EXTENSION_INIT_SYMBOL) else {
            throw refuse(
                "it does not export \(COMMERCE_EXTENSION_INIT_SYMBOL); build it against SDK/include/commerce_sdk.h and export both entry points (COMMERCE_EXPORT)"
            )
        }
        let infoFunction = unsafeBitCast(infoSymbol, to: commerce_extension_info_fn.self)
        guard let raw = infoFunction() else { throw refuse("\(COMMERCE_EXTENSION_INFO_SYMBOL)() returned NULL") }
        let info = try readInfo(raw, refuse: refuse)
        return ExtensionLibrary(path: path, info: info, initialize: unsafeBitCast(initSymbol, to: commerce_extension_init_fn.self))
    }

    /// The size of the 1.0 info struct: everything before `manifest_json`.
    static let infoSizeV1_0 = UInt32(MemoryLayout<commerce_extension_info>.offset(of: \.manifest_json) ?? 0)

    private static func readInfo(
        _ pointer: UnsafePointer<commerce_extension_info>, refuse: (String) -> ExtensionRefusal
    ) throws(ExtensionRefusal) -> ExtensionInfo {
        guard let raw = SizedStruct.read(pointer, minimumSize: infoSizeV1_0) else {
            throw refuse("its commerce_extension_info is smaller than any ABI version's; set .size = sizeof(commerce_extension_info)")
        }
        let major = raw.abi_major
        let minor = raw.abi_minor
        guard major == HostABI.major else {
            throw refuse(
                "it was built for extension ABI \(major).\(minor), this host implements \(HostABI.version); "
                    + "major versions are incompatible: rebuild it against this host's SDK (SDK/include/commerce_sdk.h)"
            )
        }
        guard minor <= HostABI.minor else {
            throw refuse(
                "it was built for extension ABI \(major).\(minor), newer than this host's \(HostABI.version); "
                    + "upgrade the host, or rebuild the extension against SDK \(HostABI.version)"
            )
        }
        let name = raw.name.string
        guard !name.isEmpty, name.count <= 40, name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) else {
            throw refuse("its name '\(name)' is not 1 to 40 characters of a-z, 0-9 and _ (the name prefixes its tables: ext_<name>_)")
        }
        let toolchain = raw.swift_toolchain.string
        if !toolchain.isEmpty, normalized(toolchain) != HostToolchain.swiftVersion {
            throw refuse(
                "it was built with Swift \(toolchain), this host with Swift \(HostToolchain.swiftVersion); Swift has no stable ABI on Linux "
                    + "and one process holds one Swift runtime: rebuild the extension with the host's toolchain (or write it in C or Rust)"
            )
        }
        var reads: [String] = []
        let manifest = raw.manifest_json.bytes
        if !manifest.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(manifest)) as? [String: Any] else {
                throw refuse("its manifest_json is not a JSON object: write e.g. {\"readsTables\":[\"customers\"]}")
            }
            for key in object.keys where key != "readsTables" {
                throw refuse("its manifest_json has the unknown member '\(key)' (known: readsTables)")
            }
            if let tables = object["readsTables"] {
                guard let list = tables as? [String] else { throw refuse("manifest_json.readsTables must be an array of table names") }
                reads = list.map { $0.lowercased() }
            }
        }
        return ExtensionInfo(
            name: name, version: raw.version.string, abiMajor: major, abiMinor: minor, swiftToolchain: toolchain, readsTables: reads
        )
    }

    /// `6.3` and `6.3.0` are the same compiler.
    static func normalized(_ version: String) -> String {
        var parts = version.split(separator: ".").map(String.init)
        while parts.count < 3 { parts.append("0") }
        return parts.prefix(3).joined(separator: ".")
    }
}

/// Reads a size-prefixed struct of the ABI: only the bytes its `size` covers, the rest zero.
///
/// An extension built against an older minor passes a smaller struct; the fields it does not
/// know read as zero (empty strings, NULL callbacks), which every newer field treats as "not set".
enum SizedStruct {
    static func read<T>(_ pointer: UnsafePointer<T>, minimumSize: UInt32) -> T? {
        let declared = pointer.withMemoryRebound(to: UInt32.self, capacity: 1) { $0.pointee }
        guard declared >= minimumSize else { return nil }
        var value = zeroed(T.self)
        let count = min(Int(declared), MemoryLayout<T>.size)
        withUnsafeMutableBytes(of: &value) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: count))
        }
        return value
    }

    static func zeroed<T>(_: T.Type) -> T {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
        defer { storage.deallocate() }
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.size)
        return storage.load(as: T.self)
    }
}

extension commerce_str {
    /// The slice's bytes, copied: the slice is only borrowed.
    var bytes: [UInt8] {
        guard let data, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}

extension Array where Element == UInt8 {
    /// Lends the bytes to C as a slice for the duration of `body`.
    func withCommerceStr<R>(_ body: (commerce_str) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { chars in
                try body(commerce_str(data: chars.baseAddress ?? emptyCString, length: chars.count))
            }
        }
    }
}

extension String {
    func withCommerceStr<R>(_ body: (commerce_str) throws -> R) rethrows -> R {
        try Array(utf8).withCommerceStr(body)
    }
}

/// A valid pointer for empty slices; C code may not expect NULL data.
nonisolated(unsafe) private let emptyCString: UnsafePointer<CChar> = {
    let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    pointer.initialize(to: 0)
    return UnsafePointer(pointer)
}()
