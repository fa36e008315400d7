import Testing

@testable import ConsumerAPI

@Suite("Resource paths")
struct ResourcePathTests {
    static func key(_ path: String) throws -> ResourcePath.Key? {
        try ResourcePath(segments: ResourcePath.segments(of: path)).key
    }

    @Test("keys: integers, named integers, string literals with and without doubled quotes")
    func keys() throws {
        #expect(try Self.key("/Commerce/Products(68719476737)") == .integer(68_719_476_737))
        #expect(try Self.key("/Commerce/Products(RecordId=5)") == .integer(5))
        #expect(try Self.key("/Commerce/Products/42") == .integer(42))
        #expect(try Self.key("/Commerce/Carts('0b6e7c1a-1f0e-4c7e-9a53-1d2f3e4a5b6c')/AddCartLines")
            == .string("0b6e7c1a-1f0e-4c7e-9a53-1d2f3e4a5b6c"))
        #expect(try Self.key("/Commerce/Customers('O''Brien')") == .string("O'Brien"))
        #expect(try Self.key("/Commerce/Customers('''')") == .string("'"))
        #expect(try Self.key("/Commerce/Customers('')") == .string(""))
        #expect(try Self.key("/Commerce/Customers('caf%C3%A9')") == .string("café"))
    }

    @Test("malformed keys are a 400 that names the segment")
    func malformed() {
        for path in ["/Commerce/Customers('a'b')", "/Commerce/Customers('abc)", "/Commerce/Customers(')", "/Commerce/Products(abc)"] {
            #expect(throws: ODataError.self, "\(path)") { try Self.key(path) }
        }
    }
}
