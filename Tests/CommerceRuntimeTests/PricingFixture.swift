import ChannelDatabase
@testable import CommerceRuntime
import Foundation
import Logging

/// A small channel database of its own for pricing tests: round prices so that every expected
/// amount can be worked out by hand (docs/pricing.md shows the same setup).
///
/// Channels: `P1` USD, prices exclude tax, sales tax group WA, price group WEB; `P2` USD, prices
/// include tax, group EU; `P3` JPY (no decimals), exclusive, group WA.
/// Tax: WA has code ST, 8% until 2020-09-13 and 10% since; CA has CAST 7.25%; EU has VAT 20%
/// and RED 5%. Item tax group FULL carries ST, CAST and VAT; FOOD carries RED only (so food is
/// untaxed in WA); products without a group are exempt.
enum PricingFixture {
    /// Category tree: 10 All > 11 Clothing > 12 Shirts; 10 All > 13 Electronics > 14 Audio.
    static let clothing: Int64 = 11
    static let shirts: Int64 = 12
    static let electronics: Int64 = 13
    static let audio: Int64 = 14

    /// Products: id, name, base price, item tax group, category (nil: filed under its master).
    static let shirtA: Int64 = 1  // 20.00, Shirts
    static let shirtB: Int64 = 2  // 30.00, Shirts
    static let jeans: Int64 = 3  // 50.00, Clothing
    static let headphones: Int64 = 4  // 100.00, Audio
    static let cable: Int64 = 5  // 10.00, Electronics
    static let apple: Int64 = 6  // 0.99, FOOD, All
    static let pen: Int64 = 7  // 7.00, All
    static let sticker: Int64 = 8  // 0.05, All
    static let poloMaster: Int64 = 9  // 25.00 master, Shirts
    static let poloRed: Int64 = 10  // 25.00 variant of 9, no category of its own
    static let giftCard: Int64 = 11  // 50.00, no tax group, All
    static let eraser: Int64 = 12  // 0.05, All
    static let customer = "C1"

    static let products: [(id: Int64, name: String, price: String, taxGroup: String?, category: Int64?, master: Int64?)] = [
        (shirtA, "Shirt A", "20", "FULL", shirts, nil),
        (shirtB, "Shirt B", "30", "FULL", shirts, nil),
        (jeans, "Jeans", "50", "FULL", clothing, nil),
        (headphones, "Headphones", "100", "FULL", audio, nil),
        (cable, "Cable", "10", "FULL", electronics, nil),
        (apple, "Apple", "0.99", "FOOD", 10, nil),
        (pen, "Pen", "7", "FULL", 10, nil),
        (sticker, "Sticker", "0.05", "FULL", 10, nil),
        (poloMaster, "Polo", "25", "FULL", shirts, nil),
        (poloRed, "Polo red", "25", "FULL", nil, poloMaster),
        (giftCard, "Gift card", "50", nil, 10, nil),
        (eraser, "Eraser", "0.05", "FULL", 10, nil),
    ]

    static func decimal(_ text: String) -> Decimal { Decimal(string: text) ?? .nan }

    /// A migrated database on `backend` holding the fixture, and a runtime over it.
    static func open(_ backend: Backend) async throws -> (database: any ChannelDatabase, runtime: CommerceRuntime) {
        let logger = Logger(label: "test")
        let database: any ChannelDatabase
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pricing-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            database = try SQLiteDatabase(path: directory.appendingPathComponent("channel.sqlite").path, logger: logger)
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["COMMERCE_TEST_POSTGRES_URL"] else {
                throw CommerceError.internalError("COMMERCE_TEST_POSTGRES_URL is not set: run the tests with scripts/test")
            }
            let admin = try await PostgresDatabase(configuration: try PostgresConfiguration(url: url), logger: logger, connectTimeout: testConnectTimeout)
            let name = "pricing_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            do {
                try await admin.createDatabase(named: name)
            } catch {
                await admin.close()
                throw error
            }
            await admin.close()
            var configuration = try PostgresConfiguration(url: url)
            configuration.database = name
            configuration.maximumConnections = 2
            database = try await PostgresDatabase(configuration: configuration, logger: logger, connectTimeout: testConnectTimeout)
        }
        try await Migrator.migrate(database, sets: [CoreSchema.migrations], logger: logger)
        try await database.withTransaction(.write) { try await seed($0) }
        let runtime = CommerceRuntime(database: database, registry: HandlerRegistry.builtIn(), logger: logger)
        try await runtime.reloadChannels()
        return (database, runtime)
    }

    static func seed(_ tx: any DatabaseTransaction) async throws {
        try await tx.executeScript(
            """
            INSERT INTO currencies (code, name, symbol, rounding_decimals) VALUES ('USD', 'US dollar', 'US', 2), ('JPY', 'Yen', 'Y', 0);
            INSERT INTO warehouses (warehouse_id, name) VALUES ('W1', 'Main');
            INSERT INTO channels (record_id, org_unit_number, name, channel_type, currency_code, language_id, price_includes_tax, sales_tax_group,
                                  default_warehouse_id, price_group)
            VALUES (1, 'P1', 'Exclusive USD', 'online', 'USD', 'en-us', 0, 'WA', 'W1', 'WEB'),
                   (2, 'P2', 'Inclusive USD', 'online', 'USD', 'en-us', 1, 'EU', 'W1', NULL),
                   (3, 'P3', 'Yen', 'online', 'JPY', 'ja-jp', 0, 'WA', 'W1', NULL);
            INSERT INTO categories (record_id, parent_category_id, name, display_order) VALUES (10, NULL, 'All', 0);
            INSERT INTO categories (record_id, parent_category_id, name, display_order) VALUES (11, 10, 'Clothing', 0), (13, 10, 'Electronics', 1);
            INSERT INTO categories (record_id, parent_category_id, name, display_order) VALUES (12, 11, 'Shirts', 0), (14, 13, 'Audio', 0);
            INSERT INTO tax_codes (tax_code, name) VALUES ('ST', 'State'), ('CAST', 'California'), ('VAT', 'VAT'), ('RED', 'Reduced VAT');
            INSERT INTO tax_rates (tax_code, valid_from, valid_to, rate_percent) VALUES
                ('ST', 0, 1600000000000, 8000000), ('ST', 1600000000001, NULL, 10000000), ('CAST', 0, NULL, 7250000),
                ('VAT', 0, NULL, 20000000), ('RED', 0, NULL, 5000000);
            INSERT INTO item_tax_groups (item_tax_group, tax_code) VALUES ('FULL', 'ST'), ('FULL', 'CAST'), ('FULL', 'VAT'), ('FOOD', 'RED');
            INSERT INTO sales_tax_groups (sales_tax_group, tax_code) VALUES ('WA', 'ST'), ('CA', 'CAST'), ('EU', 'VAT'), ('EU', 'RED');
            INSERT INTO tax_regions (country_region_id, state, sales_tax_group) VALUES ('USA', 'WA', 'WA'), ('USA', 'CA', 'CA');
            INSERT INTO customers (account_number, name, customer_group, price_group, created_at, modified_at) VALUES ('C1', 'Contoso', 'B2B', 'VIP', 0, 0);
            """
        )
        for product in products {
            try await tx.execute(
                """
                INSERT INTO products (record_id, item_id, master_product_id, is_master, name, base_price, item_tax_group, created_at, modified_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)
                """,
                [
                    .integer(product.id), .text("I\(product.id)"), .optional(product.master), .bool(product.id == poloMaster), .text(product.name),
                    try .decimal(decimal(product.price)), .optional(product.taxGroup),
                ]
            )
            if let category = product.category {
                try await tx.execute("INSERT INTO product_categories (product_id, category_id) VALUES (?, ?)", [.integer(product.id), .integer(category)])
            }
            for channel in [1, 2, 3] as [Int64] {
                try await tx.execute("INSERT INTO channel_products (channel_id, product_id) VALUES (?, ?)", [.integer(channel), .integer(product.id)])
            }
        }
    }
}

/// One thing an example puts in the database before its cart is made.
struct PricingSetup: Sendable {
    let run: @Sendable (any DatabaseTransaction) async throws -> Void

    /// An offer in all three channels. `lines`: what it covers (nothing: every product).
    static func offer(
        _ id: String, _ kind: DiscountOfferRecord.Kind, _ mode: DiscountOfferRecord.Concurrency, priority: Int = 0, percent: String? = nil,
        amount: String? = nil, deal: String? = nil, threshold: String? = nil, code: String? = nil, validTo: Int64? = nil,
        lines: [DiscountLineRecord] = []
    ) -> PricingSetup {
        PricingSetup { tx in
            let number = { (text: String?) throws -> DatabaseValue in try .optionalDecimal(text.map(PricingFixture.decimal)) }
            try await tx.execute(
                """
                INSERT INTO discounts (offer_id, name, discount_type, concurrency_mode, priority, percent_off, amount_off, deal_price, threshold_amount,
                                       currency_code, requires_code, valid_to, is_active)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 1)
                """,
                [
                    .text(id), .text(id), .text(kind.rawValue), .text(mode.rawValue), .integer(Int64(priority)), try number(percent), try number(amount),
                    try number(deal), try number(threshold), .bool(code != nil), .optional(validTo),
                ]
            )
            for (index, line) in lines.enumerated() {
                try await tx.execute(
                    "INSERT INTO discount_lines (offer_id, line_number, product_id, category_id, mix_match_group, quantity) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        .text(id), .integer(Int64(index + 1)), .optional(line.productId), .optional(line.categoryId), .optional(line.mixMatchGroup),
                        try .optionalDecimal(line.quantity),
                    ]
                )
            }
            for channel in [1, 2, 3] as [Int64] {
                try await tx.execute("INSERT INTO channel_discounts (channel_id, offer_id) VALUES (?, ?)", [.integer(channel), .text(id)])
            }
            if let code {
                try await tx.execute("INSERT INTO discount_codes (code, offer_id, usage_limit, usage_count) VALUES (?, ?, NULL, 0)", [.text(code), .text(id)])
            }
        }
    }

    /// A trade agreement line: `account` Table (one customer), Group (a price group) or All.
    static func price(
        _ product: Int64, _ amount: String, account: String = "All", relation: String? = nil, fromQuantity: Int64 = 0, currency: String = "USD",
        validTo: Int64? = nil
    ) -> PricingSetup {
        PricingSetup { tx in
            try await tx.execute(
                """
                INSERT INTO price_lines (product_id, account_code, account_relation, currency_code, from_quantity, amount, valid_from, valid_to)
                VALUES (?, ?, ?, ?, ?, ?, NULL, ?)
                """,
                [
                    .integer(product), .text(account), .optional(relation), .text(currency), try .decimal(Decimal(fromQuantity)),
                    try .decimal(PricingFixture.decimal(amount)), .optional(validTo),
                ]
            )
        }
    }
}

extension DiscountLineRecord {
    static func product(_ id: Int64, group: String? = nil, quantity: Int? = nil) -> Self {
        Self(productId: id, mixMatchGroup: group, quantity: quantity.map { Decimal($0) })
    }

    static func category(_ id: Int64, group: String? = nil, quantity: Int? = nil) -> Self {
        Self(categoryId: id, mixMatchGroup: group, quantity: quantity.map { Decimal($0) })
    }
}
