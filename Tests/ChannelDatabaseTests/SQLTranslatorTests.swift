import CSQLite
import ChannelDatabase
import CommerceQuery
import Foundation
import Testing

/// A products-like entity set for the translator tests.
let productTable = SQLQueryTable(
    alias: "p",
    properties: [
        "RecordId": SQLQueryColumn("p.record_id", .int64),
        "Name": SQLQueryColumn("p.name", .string, nullable: true),
        "ItemId": SQLQueryColumn("p.item_id", .string),
        "BasePrice": SQLQueryColumn("p.base_price", .decimal),
        "IsMaster": SQLQueryColumn("p.is_master", .boolean),
        "Created": SQLQueryColumn("p.created", .dateTimeOffset),
        "Released": SQLQueryColumn("p.released", .date, nullable: true),
        "Quantity": SQLQueryColumn("p.quantity", .int32, nullable: true),
        "Dimensions/Color": SQLQueryColumn("p.color", .string, nullable: true),
    ],
    collections: [
        "CategoryIds": SQLQueryCollection(
            table: "product_categories pc",
            correlation: "pc.product_id = p.record_id",
            element: .primitive(SQLQueryColumn("pc.category_id", .int64))
        ),
        "Prices": SQLQueryCollection(
            table: "product_prices pp",
            correlation: "pp.product_id = p.record_id",
            element: .complex(["Amount": SQLQueryColumn("pp.amount", .decimal), "Currency": SQLQueryColumn("pp.currency", .string)])
        ),
    ],
    searchProperties: ["Name", "ItemId"]
)

func translate(_ filter: String, _ dialect: SQLDialect) throws -> SQLFragment {
    try SQLQueryTranslator.whereClause(try QueryParser.filter(filter), table: productTable, dialect: dialect)
}

@Suite struct SQLTranslatorTests {
    /// (filter, SQLite SQL, PostgreSQL SQL when different, arguments)
    static let cases: [(String, String, String?, [DatabaseValue])] = [
        ("Name eq 'Milk'", "(p.name IS NOT NULL AND p.name = ?)", nil, ["Milk"]),
        ("Name ne 'Milk'", "(p.name IS NULL OR p.name <> ?)", nil, ["Milk"]),
        ("Name eq null", "(p.name IS NULL)", nil, []),
        ("null ne Name", "(p.name IS NOT NULL)", nil, []),
        ("RecordId gt 5", "(p.record_id > ?)", nil, [5]),
        ("Name gt 'M'", "(p.name IS NOT NULL AND (p.name > ?))", "(p.name IS NOT NULL AND (p.name COLLATE \"C\" > ?))", ["M"]),
        ("BasePrice ge 9.99", "(p.base_price >= ?)", nil, [9_990_000]),
        ("BasePrice lt 10", "(p.base_price < ?)", nil, [10_000_000]),
        ("RecordId le 1.5", "((p.record_id * 1000000) <= ?)", nil, [1_500_000]),
        ("IsMaster", "(p.is_master <> 0)", nil, []),
        ("IsMaster eq true", "(p.is_master = ?)", nil, [1]),
        ("not (Name eq 'a')", "(NOT (p.name IS NOT NULL AND p.name = ?))", nil, ["a"]),
        ("Name eq 'a' or RecordId eq 1 and IsMaster", "((p.name IS NOT NULL AND p.name = ?) OR ((p.record_id = ?) AND (p.is_master <> 0)))", nil, ["a", 1]),
        ("Created lt 2024-01-31T10:00:00Z", "(p.created < ?)", nil, [1_706_695_200_000]),
        ("Released eq 2024-01-31", "(p.released IS NOT NULL AND p.released = ?)", nil, ["2024-01-31"]),
        ("Quantity eq Quantity", "(p.quantity IS p.quantity)", "(p.quantity IS NOT DISTINCT FROM p.quantity)", []),
        ("Quantity add 1 gt 0", "COALESCE(((p.quantity + ?) > ?), FALSE)", nil, [1, 0]),
        ("contains(Name,'ab')", "(p.name IS NOT NULL AND (instr(p.name, ?) > 0))", "(p.name IS NOT NULL AND (strpos(p.name, ?) > 0))", ["ab"]),
        ("startswith(ItemId,'A')", "(instr(p.item_id, ?) = 1)", "(strpos(p.item_id, ?) = 1)", ["A"]),
        ("indexof(ItemId,'1') eq 1", "((instr(p.item_id, ?) - 1) = ?)", "((strpos(p.item_id, ?) - 1) = ?)", ["1", 1]),
        ("substring(ItemId,1,2) eq 'x'", "(substr(p.item_id, ?, ?) = ?)", "(substr(p.item_id, CAST(? AS INTEGER), CAST(? AS INTEGER)) = ?)", [2, 2, "x"]),
        (
            "substring(ItemId,RecordId) eq 'x'",
            "(substr(p.item_id, (CASE WHEN p.record_id < 0 THEN 0 ELSE p.record_id END + 1)) = ?)",
            "(substr(p.item_id, CAST((CASE WHEN p.record_id < 0 THEN 0 ELSE p.record_id END + 1) AS INTEGER)) = ?)",
            ["x"]
        ),
        ("tolower(ItemId) eq 'a1'", "(lower(p.item_id) = ?)", "(lower(p.item_id COLLATE \"C\") = ?)", ["a1"]),
        ("length(ItemId) eq 2", "(length(p.item_id) = ?)", "(char_length(p.item_id) = ?)", [2]),
        ("concat(ItemId,'x') eq 'A1x'", "((p.item_id || ?) = ?)", nil, ["x", "A1x"]),
        ("trim(ItemId) eq 'A1'", "(trim(p.item_id) = ?)", nil, ["A1"]),
        (
            "year(Created) eq 2024",
            "(CAST(strftime('%Y', ((p.created - (((p.created % 1000) + 1000) % 1000)) / 1000), 'unixepoch') AS INTEGER) = ?)",
            "(CAST(EXTRACT(YEAR FROM to_timestamp(((p.created - (((p.created % 1000) + 1000) % 1000)) / 1000)) AT TIME ZONE 'UTC') AS BIGINT) = ?)",
            [2024]
        ),
        // A nullable expression that is not a plain column uses the null-safe operator.
        (
            "month(Released) eq 1",
            "(CAST(substr(p.released, 6, 2) AS INTEGER) IS ?)", "(CAST(substr(p.released, 6, 2) AS BIGINT) IS NOT DISTINCT FROM ?)", [1]
        ),
        ("RecordId in (1, 2, 3)", "(p.record_id IN (?, ?, ?))", nil, [1, 2, 3]),
        ("BasePrice in (1, 2.5)", "(p.base_price IN (?, ?))", nil, [1_000_000, 2_500_000]),
        ("Name in ('a', null)", "((p.name IS NULL) OR (p.name IS NOT NULL AND (p.name IN (?))))", nil, ["a"]),
        (
            "CategoryIds/any(c: c eq 5)",
            "EXISTS (SELECT 1 FROM product_categories pc WHERE pc.product_id = p.record_id AND (pc.category_id = ?))", nil, [5]
        ),
        ("CategoryIds/any()", "EXISTS (SELECT 1 FROM product_categories pc WHERE pc.product_id = p.record_id)", nil, []),
        (
            "CategoryIds/all(c: c gt 1)",
            "NOT EXISTS (SELECT 1 FROM product_categories pc WHERE pc.product_id = p.record_id AND NOT (pc.category_id > ?))", nil, [1]
        ),
        (
            "Prices/any(x: x/Currency eq 'EUR' and x/Amount lt BasePrice)",
            "EXISTS (SELECT 1 FROM product_prices pp WHERE pp.product_id = p.record_id AND ((pp.currency = ?) AND (pp.amount < p.base_price)))",
            nil, ["EUR"]
        ),
        ("BasePrice add 1 gt 2", "((p.base_price + ?) > ?)", nil, [1_000_000, 2_000_000]),
        ("BasePrice mul 2 eq 5.1", "((p.base_price * ?) = ?)", nil, [2, 5_100_000]),
        (
            "BasePrice mul 1.5 gt 10",
            "((p.base_price * (? / 1000000) + (p.base_price * (? % 1000000)) / 1000000) > ?)", nil, [1_500_000, 1_500_000, 10_000_000]
        ),
        (
            "BasePrice divby 4 eq 1",
            "(((p.base_price / ?) * 1000000 + ((p.base_price % ?) * 1000000) / ?) = ?)", nil, [4_000_000, 4_000_000, 4_000_000, 1_000_000]
        ),
        ("RecordId div 2 eq 1", "((p.record_id / ?) = ?)", nil, [2, 1]),
        ("RecordId mod Quantity gt 1", "COALESCE(((p.record_id % NULLIF(p.quantity, 0)) > ?), FALSE)", nil, [1]),
        (
            "RecordId mod Quantity ne 1",
            "((p.record_id % NULLIF(p.quantity, 0)) IS NOT ?)", "((p.record_id % NULLIF(p.quantity, 0)) IS DISTINCT FROM ?)", [1]
        ),
        ("-BasePrice gt 0", "((- p.base_price) > ?)", nil, [0]),
        (
            "round(BasePrice) eq 3",
            "((((p.base_price + (CASE WHEN p.base_price < 0 THEN -500000 ELSE 500000 END)) / 1000000) * 1000000) = ?)", nil, [3_000_000]
        ),
        ("Dimensions/Color eq 'white'", "(p.color IS NOT NULL AND p.color = ?)", nil, ["white"]),
        ("Name eq 'x'' OR 1=1 --'", "(p.name IS NOT NULL AND p.name = ?)", nil, ["x' OR 1=1 --"]),
    ]

    @Test(arguments: cases)
    func whereClause(filter: String, sqlite: String, postgres: String?, arguments: [DatabaseValue]) throws {
        #expect(try translate(filter, .sqlite) == SQLFragment(sql: sqlite, arguments: arguments))
        #expect(try translate(filter, .postgres) == SQLFragment(sql: postgres ?? sqlite, arguments: arguments))
    }

    @Test func endswith() throws {
        #expect(try translate("endswith(ItemId,'1')", .sqlite) == SQLFragment(
            sql: "(length(p.item_id) >= length(?) AND substr(p.item_id, length(p.item_id) - length(?) + 1) = ?)",
            arguments: ["1", "1", "1"]
        ))
        #expect(try translate("endswith(ItemId,'1')", .postgres) == SQLFragment(sql: "(right(p.item_id, char_length(?)) = ?)", arguments: ["1", "1"]))
    }

    @Test func nowIsBound() throws {
        let now = Date(timeIntervalSince1970: 1_706_695_200.5)
        let fragment = try SQLQueryTranslator.whereClause(try QueryParser.filter("Created lt now()"), table: productTable, dialect: .sqlite, now: now)
        #expect(fragment == SQLFragment(sql: "(p.created < ?)", arguments: [1_706_695_200_500]))
    }

    /// No literal from the query reaches SQL text, whatever it contains.
    @Test(arguments: [
        "Name eq 'Zebra42'", "RecordId eq 424242", "BasePrice gt 4242.42", "Created gt 2042-04-02T04:02:00Z", "Released eq 2042-04-02",
        "Name eq 'x'' OR 1=1 --'", "Name eq 'a'';DROP TABLE products;--'", "contains(Name,'%_\\\\')", "Name in ('Zebra42', 'quote''s')",
        "substring(Name,4242) eq 'Zebra42'", "CategoryIds/any(c: c eq 424242)", "Name eq 01234567-89ab-cdef-0123-456789abcdef",
    ])
    func literalsNeverReachSQLText(filter: String) throws {
        for dialect in [SQLDialect.sqlite, .postgres] {
            let fragment = try translate(filter, dialect)
            for forbidden in ["Zebra", "4242", "2042", "DROP", "OR 1=1", "quote", "%_", "01234567"] {
                #expect(!fragment.sql.contains(forbidden), "\(filter): \(fragment.sql)")
            }
            #expect(fragment.sql.filter { $0 == "'" }.count % 2 == 0)
            #expect(fragment.arguments.count == fragment.sql.filter { $0 == "?" }.count)
        }
    }

    @Test(arguments: [
        ("Foo eq 1", "unknown property 'Foo'", "Foo"),
        ("Dimensions/Size eq 1", "unknown property 'Dimensions/Size'", "Dimensions/Size"),
        ("Name gt 5", "cannot compare Edm.String with Edm.Int64", "Name"),
        ("contains(RecordId,'x')", "contains expects Edm.String, not Edm.Int64", "RecordId"),
        ("Created gt 2024-01-31", "cannot compare Edm.DateTimeOffset with Edm.Date", "Created"),
        ("IsMaster eq 1", "cannot compare Edm.Boolean with Edm.Int64", "IsMaster"),
        ("BasePrice eq 1.0000001", "a decimal literal has more than 6 fractional digits or is too large", nil),
        ("RecordId eq 99999999999999999999", "a decimal literal has more than 6 fractional digits or is too large", nil),
        ("RecordId div 0 eq 1", "division by zero", nil),
        ("BasePrice mod 0.0 eq 1", "division by zero", nil),
        ("Name", "expected a Boolean expression, not Edm.String", "Name"),
        ("RecordId add 1", "expected a Boolean expression, not Edm.Int64", nil),
        ("Name add 1 eq 2", "add needs numbers, not Edm.String and Edm.Int64", "Name"),
        ("CategoryIds eq 1", "the collection 'CategoryIds' can only be used with any or all", "CategoryIds"),
        ("Name/any(c: c eq 1)", "'Name' is not a collection", "Name"),
        ("Prices/any(x: x/Rate gt 1)", "unknown property 'Rate'", "x/Rate"),
        ("CategoryIds/any(c: c/Id eq 1)", "'c' stands for a primitive value and has no properties", "c/Id"),
        ("RecordId has 1", "'has' needs an enumeration-flags property and this entity set has none", nil),
        ("hour(Released) eq 1", "hour expects Edm.DateTimeOffset, not Edm.Date", "Released"),
        ("Name in (RecordId)", "the list after 'in' may contain only literal values", "Name"),
        ("RecordId in ('a')", "cannot compare Edm.Int64 with Edm.String in 'in'", "RecordId"),
        ("CategoryIds/any(c: CategoryIds/any(d: d eq c))", "a nested lambda over the same collection cannot refer to the outer variable 'c'", "c"),
    ])
    func translationErrors(filter: String, message: String, target: String?) throws {
        let expression = try QueryParser.filter(filter)
        for dialect in [SQLDialect.sqlite, .postgres] {
            #expect(throws: QueryTranslationError(message, target: target)) {
                try SQLQueryTranslator.whereClause(expression, table: productTable, dialect: dialect)
            }
        }
    }

    @Test func orderBy() throws {
        let items = try QueryParser.orderBy("Name desc, BasePrice, Released, contains(ItemId,'A') desc")
        #expect(try SQLQueryTranslator.orderBy(items, table: productTable, dialect: .sqlite) == SQLFragment(
            sql: "p.name DESC NULLS LAST, p.base_price ASC, p.released ASC NULLS FIRST, (CASE WHEN (instr(p.item_id, ?) > 0) THEN 1 ELSE 0 END) DESC",
            arguments: ["A"]
        ))
        #expect(try SQLQueryTranslator.orderBy(items, table: productTable, dialect: .postgres) == SQLFragment(
            sql: "p.name COLLATE \"C\" DESC NULLS LAST, p.base_price ASC, p.released COLLATE \"C\" ASC NULLS FIRST, "
                + "(CASE WHEN (strpos(p.item_id, ?) > 0) THEN 1 ELSE 0 END) DESC",
            arguments: ["A"]
        ))
        #expect(try SQLQueryTranslator.orderBy([], table: productTable, dialect: .sqlite).isEmpty)
        #expect(throws: QueryTranslationError("unknown property 'Nope'", target: "Nope")) {
            try SQLQueryTranslator.orderBy(try QueryParser.orderBy("Nope"), table: productTable, dialect: .sqlite)
        }
    }

    @Test func search() throws {
        let search = try QueryParser.search("Milk NOT \"Dark Choc\"")
        #expect(try SQLQueryTranslator.search(search, table: productTable, dialect: .sqlite) == SQLFragment(
            sql: "(((p.name IS NOT NULL AND instr(lower(p.name), ?) > 0) OR instr(lower(p.item_id), ?) > 0) AND "
                + "(NOT ((p.name IS NOT NULL AND instr(lower(p.name), ?) > 0) OR instr(lower(p.item_id), ?) > 0)))",
            arguments: ["milk", "milk", "dark choc", "dark choc"]
        ))
        #expect(try SQLQueryTranslator.search(.word("X"), table: productTable, dialect: .postgres) == SQLFragment(
            sql: "((p.name IS NOT NULL AND strpos(lower(p.name COLLATE \"C\"), ?) > 0) OR strpos(lower(p.item_id COLLATE \"C\"), ?) > 0)",
            arguments: ["x", "x"]
        ))
        var unsearchable = productTable
        unsearchable.searchProperties = []
        #expect(throws: QueryTranslationError("this entity set does not support $search")) {
            try SQLQueryTranslator.search(.word("x"), table: unsearchable, dialect: .sqlite)
        }
    }
}

// MARK: - Running the SQL on SQLite

/// An in-memory SQLite database holding a few products, through the system library directly.
final class ProductFixture {
    private var handle: OpaquePointer?

    init() throws {
        guard sqlite3_open(":memory:", &handle) == SQLITE_OK else { throw TestFailure("cannot open SQLite") }
        try execute(
            """
            CREATE TABLE products (record_id INTEGER PRIMARY KEY, name TEXT, item_id TEXT NOT NULL, base_price INTEGER NOT NULL,
                is_master INTEGER NOT NULL, created INTEGER NOT NULL, released TEXT, quantity INTEGER, color TEXT);
            INSERT INTO products VALUES
                (1, 'Milk', 'A1', 2550000, 1, 1706695200000, '2024-01-31', 10, 'white'),
                (2, NULL, 'B2', 10000000, 0, 1686873599999, NULL, NULL, NULL),
                (3, 'milk chocolate', 'C3', -1500000, 0, -1, '1969-12-31', -7, 'brown'),
                (4, 'Äpfel', 'D4', 333333, 1, 0, '2000-02-29', 3, NULL),
                (5, 'Zebra', 'e5', 7000000, 0, 1000, NULL, 0, 'white');
            CREATE TABLE product_categories (product_id INTEGER NOT NULL, category_id INTEGER NOT NULL);
            INSERT INTO product_categories VALUES (1, 10), (1, 20), (3, 10), (4, 30);
            CREATE TABLE product_prices (product_id INTEGER NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL);
            INSERT INTO product_prices VALUES (1, 2550000, 'USD'), (1, 2300000, 'EUR'), (2, 9000000, 'USD');
            """
        )
    }

    deinit { sqlite3_close(handle) }

    func execute(_ sql: String) throws {
        guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw TestFailure(String(cString: sqlite3_errmsg(handle))) }
    }

    func recordIds(where condition: SQLFragment, orderBy: SQLFragment? = nil) throws -> [Int64] {
        var sql = "SELECT p.record_id FROM products p WHERE \(condition.sql)"
        var arguments = condition.arguments
        if let orderBy {
            sql += " ORDER BY \(orderBy.sql), p.record_id"
            arguments += orderBy.arguments
        } else {
            sql += " ORDER BY p.record_id"
        }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw TestFailure("\(String(cString: sqlite3_errmsg(handle))): \(sql)")
        }
        defer { sqlite3_finalize(statement) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (index, argument) in arguments.enumerated() {
            let position = Int32(index + 1)
            switch argument {
            case .null: sqlite3_bind_null(statement, position)
            case .integer(let value): sqlite3_bind_int64(statement, position, value)
            case .text(let value): sqlite3_bind_text(statement, position, value, -1, transient)
            case .blob(let bytes): sqlite3_bind_blob(statement, position, bytes, Int32(bytes.count), transient)
            }
        }
        var ids: [Int64] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return ids }
            guard step == SQLITE_ROW else { throw TestFailure("\(String(cString: sqlite3_errmsg(handle))): \(sql)") }
            ids.append(sqlite3_column_int64(statement, 0))
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite struct SQLTranslatorSQLiteTests {
    static let expectations: [(String, [Int64])] = [
        ("Name eq 'Milk'", [1]),
        ("Name ne 'Milk'", [2, 3, 4, 5]),
        ("not (Name eq 'Milk')", [2, 3, 4, 5]),
        ("Name eq null", [2]),
        ("Name gt 'M'", [1, 3, 4, 5]),
        ("not (Name gt 'M')", [2]),
        ("contains(Name,'ilk')", [1, 3]),
        ("not contains(Name,'ilk')", [2, 4, 5]),
        ("startswith(Name,'Mi')", [1]),
        ("endswith(Name,'late')", [3]),
        ("endswith(Name,'')", [1, 3, 4, 5]),
        ("endswith(ItemId,'xA1')", []),
        ("tolower(Name) eq 'milk'", [1]),
        ("tolower(Name) eq 'äpfel'", []),
        ("toupper(Name) eq 'ÄPFEL'", [4]),
        ("length(Name) eq 5", [4, 5]),
        ("indexof(Name,'k') eq 3", [1, 3]),
        ("indexof(ItemId,'z') eq -1", [1, 2, 3, 4, 5]),
        ("substring(Name,1,3) eq 'ilk'", [1, 3]),
        ("substring(Name,-2) eq 'Milk'", [1]),
        ("substring(Name,10) eq 'late'", [3]),
        ("concat(Name,ItemId) eq 'MilkA1'", [1]),
        ("BasePrice gt 2.5", [1, 2, 5]),
        ("BasePrice mul 2 eq 5.1", [1]),
        ("BasePrice mul 1.5 gt 10", [2, 5]),
        ("BasePrice mul BasePrice eq 6.5025", [1]),
        ("BasePrice mul 0.5 eq -0.75", [3]),
        ("BasePrice div 3 eq 0.111111", [4]),
        ("BasePrice divby 2 eq -0.75", [3]),
        ("BasePrice divby 3 eq -0.5", [3]),
        ("RecordId div 2 eq 2", [4, 5]),
        ("RecordId divby 2 eq 2.5", [5]),
        ("RecordId mod 2 eq 1", [1, 3, 5]),
        ("Quantity mod 4 eq -3", [3]),
        ("RecordId div (Quantity sub Quantity) eq 1", []),
        ("round(BasePrice) eq 3", [1]),
        ("round(BasePrice) eq -2", [3]),
        ("floor(BasePrice) eq -2", [3]),
        ("ceiling(BasePrice) eq -1", [3]),
        ("ceiling(BasePrice) eq 1", [4]),
        ("floor(BasePrice) eq 2", [1]),
        ("year(Created) eq 1969", [3]),
        ("year(Created) eq 2024", [1]),
        ("hour(Created) eq 23", [2, 3]),
        ("second(Created) eq 59", [2, 3]),
        ("second(Created) eq 1", [5]),
        ("month(Created) eq 6", [2]),
        ("day(Created) eq 31", [1, 3]),
        ("date(Created) eq 2023-06-15", [2]),
        ("Created lt 1970-01-01T00:00:00Z", [3]),
        ("Created ge 2024-01-31T12:00:00+02:00", [1]),
        ("Released eq 2000-02-29", [4]),
        ("year(Released) eq 2000", [4]),
        ("Released lt 2000-01-01", [3]),
        ("IsMaster", [1, 4]),
        ("not IsMaster", [2, 3, 5]),
        ("IsMaster eq false", [2, 3, 5]),
        ("RecordId in (1, 3, 99)", [1, 3]),
        ("Name in ('Milk', null)", [1, 2]),
        ("not (Quantity in (10, 3))", [2, 3, 5]),
        ("CategoryIds/any(c: c eq 10)", [1, 3]),
        ("CategoryIds/any()", [1, 3, 4]),
        ("CategoryIds/all(c: c eq 10)", [2, 3, 5]),
        ("not CategoryIds/any()", [2, 5]),
        ("Prices/any(x: x/Currency eq 'EUR' and x/Amount lt BasePrice)", [1]),
        ("Prices/all(x: x/Currency eq 'USD')", [2, 3, 4, 5]),
        ("Dimensions/Color eq 'white'", [1, 5]),
        ("Dimensions/Color ne 'white'", [2, 3, 4]),
        ("-BasePrice gt 0", [3]),
        ("now() gt Created", [1, 2, 3, 4, 5]),
        ("Name eq 'x'' OR 1=1 --'", []),
        ("Quantity gt 0 or Name eq null", [1, 2, 4]),
        ("not (Quantity gt 0)", [2, 3, 5]),
        ("Quantity add 1 gt 0", [1, 4, 5]),
        ("not (Quantity add 1 gt 0)", [2, 3]),
        ("Quantity add 1 eq Quantity add 1", [1, 2, 3, 4, 5]),
        ("Quantity eq RecordId", []),
        ("Dimensions/Color eq Name", [2]),
        ("Dimensions/Color ne Name", [1, 3, 4, 5]),
        ("RecordId mod Quantity ne 1", [2, 3, 5]),
        ("RecordId mod Quantity eq 3", [3]),
        ("true", [1, 2, 3, 4, 5]),
        ("not (IsMaster eq (Name eq 'Milk'))", [4]),
    ]

    @Test(arguments: expectations)
    func filter(filter: String, expected: [Int64]) throws {
        let fixture = try ProductFixture()
        #expect(try fixture.recordIds(where: try translate(filter, .sqlite)) == expected, "\(filter)")
    }

    @Test func orderByPutsNullsFirstAscending() throws {
        let fixture = try ProductFixture()
        let all = try translate("true", .sqlite)
        func sorted(_ text: String) throws -> [Int64] {
            try fixture.recordIds(where: all, orderBy: try SQLQueryTranslator.orderBy(try QueryParser.orderBy(text), table: productTable, dialect: .sqlite))
        }
        #expect(try sorted("Name") == [2, 1, 5, 3, 4])
        #expect(try sorted("Name desc") == [4, 3, 5, 1, 2])
        #expect(try sorted("Quantity desc") == [1, 4, 5, 3, 2])
        #expect(try sorted("BasePrice mul -1") == [2, 5, 1, 4, 3])
    }

    @Test func searchMatchesEitherColumnIgnoringASCIICase() throws {
        let fixture = try ProductFixture()
        func found(_ text: String) throws -> [Int64] {
            try fixture.recordIds(where: try SQLQueryTranslator.search(try QueryParser.search(text), table: productTable, dialect: .sqlite))
        }
        #expect(try found("MILK") == [1, 3])
        #expect(try found("milk NOT chocolate") == [1])
        #expect(try found("\"k c\" OR e5") == [3, 5])
        #expect(try found("NOT milk") == [2, 4, 5])
        #expect(try found("äpfel") == [])
    }
}
