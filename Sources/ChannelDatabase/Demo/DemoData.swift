public import Foundation

/// The demo channel data that `commerce serve --demo` starts with.
///
/// Deterministic: the same ids, names and amounts on every run and on both backends, so tests
/// and documentation can name them.
public enum DemoData {
    public static let onlineStoreNumber = "128"
    public static let onlineStoreId: Int64 = 5_637_144_592
    public static let physicalStoreNumber = "0101"
    public static let physicalStoreId: Int64 = 5_637_144_593
    public static let firstProductId: Int64 = 68_719_476_737
    public static let standaloneProducts = 1_000
    public static let masterProducts = 20
    public static let variantsPerMaster = 6
    public static var productCount: Int { standaloneProducts + masterProducts * (1 + variantsPerMaster) }
    public static let firstCategoryId: Int64 = 5_637_145_326
    public static let categoryCount = 24
    /// Products (standalone, from the first) with German names and descriptions, and French.
    public static let germanProducts = 300
    public static let frenchProducts = 100
    /// The languages of the online store; the Seattle store speaks the first two.
    public static let onlineStoreLanguages = ["en-us", "de-de", "fr-fr"]
    public static let physicalStoreLanguages = ["en-us", "de-de"]
    public static let discountCode = "SAVE10"
    public static let customerAccount = "004011"

    static let topCategories = ["Clothing", "Electronics", "Home", "Outdoors"]
    static let subCategories = [
        ["Shirts", "Pants", "Jackets", "Shoes", "Accessories"],
        ["Headphones", "Speakers", "Cameras", "Phones", "Cables"],
        ["Kitchen", "Bedding", "Lighting", "Storage", "Decor"],
        ["Tents", "Backpacks", "Bikes", "Fishing", "Climbing"],
    ]
    static let adjectives = ["Classic", "Urban", "Trail", "Studio", "Compact", "Premium", "Everyday", "Pro", "Summit", "Coastal"]
    static let brands = ["Contoso", "Fabrikam", "Northwind", "Adventure Works", "Litware", "Proseware"]
    static let materials = ["Cotton", "Aluminium", "Oak", "Nylon", "Leather", "Steel", "Wool"]
    static let germanTopCategories = ["Kleidung", "Elektronik", "Haushalt", "Outdoor"]
    static let germanSubCategories = [
        ["Hemden", "Hosen", "Jacken", "Schuhe", "Accessoires"],
        ["Kopfhörer", "Lautsprecher", "Kameras", "Telefone", "Kabel"],
        ["Küche", "Bettwäsche", "Beleuchtung", "Aufbewahrung", "Deko"],
        ["Zelte", "Rucksäcke", "Fahrräder", "Angeln", "Klettern"],
    ]
    /// The singular a German product name uses, per subcategory (as the English names drop the s).
    static let germanProductNouns = [
        ["Hemd", "Hose", "Jacke", "Schuh", "Accessoire"],
        ["Kopfhörer", "Lautsprecher", "Kamera", "Telefon", "Kabel"],
        ["Küchenhelfer", "Bettbezug", "Leuchte", "Aufbewahrungsbox", "Dekoartikel"],
        ["Zelt", "Rucksack", "Fahrrad", "Angelrute", "Kletterseil"],
    ]
    static let germanAdjectives = ["Klassik", "Urban", "Wander", "Studio", "Kompakt", "Premium", "Alltags", "Profi", "Gipfel", "Küsten"]
    static let germanMaterials = ["Baumwolle", "Aluminium", "Eiche", "Nylon", "Leder", "Stahl", "Wolle"]
    static let frenchTopCategories = ["Vêtements", "Électronique", "Maison", "Plein air"]
    static let frenchSubCategories = [
        ["Chemises", "Pantalons", "Vestes", "Chaussures", "Accessoires"],
        ["Casques", "Enceintes", "Appareils photo", "Téléphones", "Câbles"],
        ["Cuisine", "Literie", "Éclairage", "Rangement", "Décoration"],
        ["Tentes", "Sacs à dos", "Vélos", "Pêche", "Escalade"],
    ]
    static let frenchProductNouns = [
        ["Chemise", "Pantalon", "Veste", "Chaussure", "Accessoire"],
        ["Casque", "Enceinte", "Appareil photo", "Téléphone", "Câble"],
        ["Ustensile", "Housse", "Lampe", "Boîte", "Objet déco"],
        ["Tente", "Sac à dos", "Vélo", "Canne à pêche", "Corde"],
    ]
    static let frenchMaterials = ["coton", "aluminium", "chêne", "nylon", "cuir", "acier", "laine"]
    static let colors = ["Black", "Blue", "Red"]
    static let sizes = ["M", "L"]

    /// True when the database holds no channel yet, so seeding is safe.
    public static func isEmpty(_ transaction: any DatabaseTransaction) async throws -> Bool {
        (try await transaction.queryFirst("SELECT COUNT(*) AS n FROM channels")?.int("n") ?? 0) == 0
    }

    /// Writes the demo data. Run it inside one write transaction on a freshly migrated database.
    /// Seeds the demo; `standaloneProducts` other than the default makes a larger (or smaller)
    /// catalog for benchmarks, with the same shapes and spread over the same categories.
    public static func seed(_ transaction: any DatabaseTransaction, standaloneProducts: Int = standaloneProducts, now: Date = Date()) async throws {
        let stamp = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let tx = transaction
        for (code, name, symbol, decimals) in [("USD", "US dollar", "$", 2), ("EUR", "Euro", "€", 2), ("JPY", "Japanese yen", "¥", 0)] {
            try await tx.execute(
                "INSERT INTO currencies (code, name, symbol, rounding_decimals) VALUES (?, ?, ?, ?)",
                [.text(code), .text(name), .text(symbol), .integer(Int64(decimals))]
            )
        }
        for (id, name) in [("WH-EAST", "East warehouse"), ("WH-WEST", "West warehouse")] {
            try await tx.execute("INSERT INTO warehouses (warehouse_id, name) VALUES (?, ?)", [.text(id), .text(name)])
        }

        // Tax: two regions with their own sales tax group; items are fully taxable or exempt.
        for (code, name, rate) in [("WA-STATE", "Washington state sales tax", "6.5"), ("CA-STATE", "California state sales tax", "7.25")] {
            try await tx.execute("INSERT INTO tax_codes (tax_code, name) VALUES (?, ?)", [.text(code), .text(name)])
            try await tx.execute(
                "INSERT INTO tax_rates (tax_code, valid_from, valid_to, rate_percent) VALUES (?, 0, NULL, ?)",
                [.text(code), try .decimal(Decimal(string: rate) ?? 0)]
            )
            try await tx.execute("INSERT INTO item_tax_groups (item_tax_group, tax_code) VALUES ('FULL', ?)", [.text(code)])
        }
        for (group, code, state) in [("WA", "WA-STATE", "WA"), ("CA", "CA-STATE", "CA")] {
            try await tx.execute("INSERT INTO sales_tax_groups (sales_tax_group, tax_code) VALUES (?, ?)", [.text(group), .text(code)])
            try await tx.execute(
                "INSERT INTO tax_regions (country_region_id, state, sales_tax_group) VALUES ('USA', ?, ?)", [.text(state), .text(group)]
            )
        }

        for (id, number, name, type, warehouse) in [
            (onlineStoreId, onlineStoreNumber, "Online store", "online", "WH-WEST"),
            (physicalStoreId, physicalStoreNumber, "Seattle store", "store", "WH-EAST"),
        ] {
            try await tx.execute(
                """
                INSERT INTO channels (record_id, org_unit_number, name, channel_type, currency_code, language_id,
                                      price_includes_tax, sales_tax_group, default_warehouse_id, price_group)
                VALUES (?, ?, ?, ?, 'USD', 'en-us', 0, 'WA', ?, ?)
                """,
                [.integer(id), .text(number), .text(name), .text(type), .text(warehouse), .text(type == "online" ? "ONLINE" : "STORE")]
            )
            for warehouseId in ["WH-EAST", "WH-WEST"] {
                try await tx.execute(
                    "INSERT INTO channel_warehouses (channel_id, warehouse_id) VALUES (?, ?)", [.integer(id), .text(warehouseId)]
                )
            }
            try await tx.execute(
                "INSERT INTO tender_types (channel_id, tender_type_id, name, operation_type, connector) VALUES (?, '3', 'Cards', 'PayCard', 'TestConnector')",
                [.integer(id)]
            )
            try await tx.execute(
                "INSERT INTO tender_types (channel_id, tender_type_id, name, operation_type, connector) VALUES (?, '8', 'Gift card', 'PayGiftCertificate', 'TestConnector')",
                [.integer(id)]
            )
            try await tx.execute(
                "INSERT INTO number_sequences (channel_id, name, next_value) VALUES (?, 'SalesOrder', 1)", [.integer(id)]
            )
            for (code, description) in [("EXP", "Express shipping"), ("STD", "Standard shipping")] {
                try await tx.execute(
                    "INSERT INTO delivery_modes (channel_id, code, description) VALUES (?, ?, ?)", [.integer(id), .text(code), .text(description)]
                )
            }
            for language in id == onlineStoreId ? onlineStoreLanguages : physicalStoreLanguages {
                try await tx.execute("INSERT INTO channel_languages (channel_id, language_id) VALUES (?, ?)", [.integer(id), .text(language)])
            }
        }

        // Category tree: four top-level categories with five children each.
        var leafCategories: [Int64] = []
        var nextCategory = firstCategoryId
        for (topIndex, top) in topCategories.enumerated() {
            let topId = nextCategory
            nextCategory += 1
            try await tx.execute(
                "INSERT INTO categories (record_id, parent_category_id, name, display_order) VALUES (?, NULL, ?, ?)",
                [.integer(topId), .text(top), .integer(Int64(topIndex))]
            )
            for (childIndex, child) in subCategories[topIndex].enumerated() {
                try await tx.execute(
                    "INSERT INTO categories (record_id, parent_category_id, name, display_order) VALUES (?, ?, ?, ?)",
                    [.integer(nextCategory), .integer(topId), .text(child), .integer(Int64(childIndex))]
                )
                leafCategories.append(nextCategory)
                nextCategory += 1
            }
        }

        // Category names in German and French, in the order the tree was made.
        let store = CatalogStore(tx)
        for (language, tops, subs) in [("de-de", germanTopCategories, germanSubCategories), ("fr-fr", frenchTopCategories, frenchSubCategories)] {
            var names: [(categoryId: Int64, name: String)] = []
            var id = firstCategoryId
            for (topIndex, top) in tops.enumerated() {
                names.append((id, top))
                id += 1
                for sub in subs[topIndex] {
                    names.append((id, sub))
                    id += 1
                }
            }
            try await store.addCategoryTranslations(language: language, names)
        }
        // Navigation hierarchies: the online store shows the four trees in its order; the
        // Seattle store only outdoor goods and clothing, outdoor first.
        let tops = (0..<topCategories.count).map { firstCategoryId + Int64($0 * 6) }
        for (channel, roots) in [(onlineStoreId, tops), (physicalStoreId, [tops[3], tops[0]])] {
            for (order, root) in roots.enumerated() {
                try await tx.execute(
                    "INSERT INTO channel_categories (channel_id, category_id, display_order) VALUES (?, ?, ?)",
                    [.integer(channel), .integer(root), .integer(Int64(order))]
                )
            }
        }

        for (id, name) in [(1, "Brand"), (2, "Material")] {
            try await tx.execute(
                "INSERT INTO attributes (record_id, name, data_type, is_refinable) VALUES (?, ?, 'Text', 1)", [.integer(Int64(id)), .text(name)]
            )
        }

        var media: [(productId: Int64, location: MediaLocationRecord)] = []
        var german: [(productId: Int64, name: String, description: String)] = []
        var french: [(productId: Int64, name: String, description: String)] = []
        var rows = ProductRows()
        var nextId = firstProductId
        for index in 0..<standaloneProducts {
            let category = leafCategories[index % leafCategories.count]
            let product = ProductRecord(
                recordId: nextId,
                itemId: index < 99_999 ? String(format: "P%05d", index + 1) : "P\(index + 1)",
                name: "\(adjectives[index % adjectives.count]) \(subCategoryName(index, leafCategories.count)) \(index + 1)",
                description: "Made of \(materials[index % materials.count].lowercased()) by \(brands[index % brands.count]).",
                basePrice: Decimal((index * 37) % 500 + 5) + Decimal(99) / 100,
                itemTaxGroup: index % 10 == 9 ? nil : "FULL",
                categoryIds: [category]
            )
            try await rows.add(product, brand: brands[index % brands.count], material: materials[index % materials.count],
                             stock: Int64((index * 13) % 100 + 5), inStore: index < 500, stamp: stamp, tx)
            // Relative paths as Dynamics stores them (the storefront prefixes its media base
            // URL); every tenth product also has an absolute URL.
            media.append((nextId, MediaLocationRecord(
                uri: "Products/\(product.itemId)_000_001.png", altText: "\(product.name), front", isDefault: true, displayOrder: 1
            )))
            media.append((nextId, MediaLocationRecord(
                uri: "Products/\(product.itemId)_000_002.png", altText: "\(product.name), back", displayOrder: 2
            )))
            if index % 10 == 0 {
                media.append((nextId, MediaLocationRecord(
                    uri: "https://media.example.com/products/\(product.itemId)/detail.jpg", altText: "\(product.name), detail", displayOrder: 3
                )))
            }
            let leaf = index % leafCategories.count
            if index < germanProducts {
                german.append((nextId, "\(germanAdjectives[index % germanAdjectives.count]) \(germanProductNouns[leaf / 5][leaf % 5]) \(index + 1)",
                               "Aus \(germanMaterials[index % germanMaterials.count]) von \(brands[index % brands.count])."))
            }
            if index < frenchProducts {
                french.append((nextId, "\(frenchProductNouns[leaf / 5][leaf % 5]) \(adjectives[index % adjectives.count]) \(index + 1)",
                               "En \(frenchMaterials[index % frenchMaterials.count]), par \(brands[index % brands.count])."))
            }
            nextId += 1
        }
        for master in 0..<masterProducts {
            let category = leafCategories[master % 5]
            let masterId = nextId
            nextId += 1
            let itemId = String(format: "M%04d", master + 1)
            let price = Decimal(20 + master * 5) + Decimal(95) / 100
            let name = "\(adjectives[master % adjectives.count]) \(["Shirt", "Pant", "Jacket", "Shoe", "Scarf"][master % 5]) \(master + 1)"
            try await rows.add(
                ProductRecord(recordId: masterId, itemId: itemId, isMaster: true, name: name, basePrice: price, itemTaxGroup: "FULL", categoryIds: [category]),
                brand: brands[master % brands.count], material: "Cotton", stock: nil, inStore: true, stamp: stamp, tx
            )
            for (order, view) in ["front", "back", "side"].enumerated() {
                media.append((masterId, MediaLocationRecord(
                    uri: "Products/\(itemId)_000_00\(order + 1).png", altText: "\(name), \(view)", isDefault: order == 0, displayOrder: order + 1
                )))
            }
            for (variant, (color, size)) in zip(0..., colors.flatMap { color in sizes.map { (color, $0) } }) {
                try await rows.add(
                    ProductRecord(
                        recordId: nextId, itemId: itemId, masterProductId: masterId, name: "\(name) \(color) \(size)",
                        basePrice: price + (size == "L" ? 2 : 0), itemTaxGroup: "FULL", color: color, size: size, categoryIds: [category]
                    ),
                    brand: brands[master % brands.count], material: "Cotton", stock: Int64(10 + variant), inStore: true, stamp: stamp, tx
                )
                media.append((nextId, MediaLocationRecord(
                    uri: "Products/\(itemId)_\(color)_\(size)_000_001.png", altText: "\(name) \(color) \(size)", isDefault: true, displayOrder: 1
                )))
                nextId += 1
            }
        }

        try await rows.write(tx)
        try await store.addMediaLocations(media)
        try await store.addProductTranslations(language: "de-de", german)
        try await store.addProductTranslations(language: "fr-fr", french)

        // Trade agreements: the online price group pays 10% less on the first ten products, and
        // everybody pays less from 10 units of the first product on.
        for offset in 0..<10 {
            let productId = firstProductId + Int64(offset)
            let base = Decimal((offset * 37) % 500 + 5) + Decimal(99) / 100
            try await tx.execute(
                "INSERT INTO price_lines (product_id, account_code, account_relation, currency_code, from_quantity, amount) VALUES (?, 'Group', 'ONLINE', 'USD', 0, ?)",
                [.integer(productId), try .decimal(roundCents(base * Decimal(9) / 10))]
            )
        }
        try await tx.execute(
            "INSERT INTO price_lines (product_id, account_code, account_relation, currency_code, from_quantity, amount) VALUES (?, 'All', NULL, 'USD', ?, ?)",
            [.integer(firstProductId), try .decimal(10), try .decimal(Decimal(450) / 100)]
        )

        // Discounts: one of each kind, on categories the checkout tests and benchmarks do not buy
        // from (shirts and pants stay at their price unless a code is added). docs/pricing.md
        // works through them.
        let homeCategory = firstCategoryId + 12
        let offers: [(id: String, name: String, kind: String, mode: String, priority: Int, percent: String?, amount: String?, threshold: String?, code: Bool, lines: [(category: Int64, group: String?, quantity: Int64?)])] = [
            ("OFFER-SAVE10", "10% off with code SAVE10", "Simple", "Compounded", 0, "10", nil, nil, true, []),
            ("OFFER-WELCOME20", "20% off with code WELCOME20, once", "Simple", "Compounded", 0, "20", nil, nil, true, []),
            ("OFFER-SUMMER24", "Summer 2024, code SUMMER24", "Simple", "Compounded", 0, "25", nil, nil, true, []),
            ("OFFER-ELEC15", "15% off headphones", "Simple", "BestPrice", 0, "15", nil, nil, false, [(leafCategories[5], nil, nil)]),
            ("OFFER-SHOES3", "20% off each pair of shoes from 3 pairs", "Quantity", "BestPrice", 0, "20", nil, nil, false, [(leafCategories[3], nil, 3)]),
            ("OFFER-SOUND", "A speaker and a cable: 25% off both", "MixAndMatch", "BestPrice", 0, "25", nil, nil, false,
             [(leafCategories[6], "A", 1), (leafCategories[9], "B", 1)]),
            ("OFFER-TENTS", "Tent clearance: 30% off, nothing else applies", "Simple", "Exclusive", 5, "30", nil, nil, false, [(leafCategories[15], nil, nil)]),
            ("OFFER-HOME200", "Spend 200.00 on home goods, save 20.00", "Threshold", "Compounded", 0, nil, "20", "200", false, [(homeCategory, nil, nil)]),
        ]
        for offer in offers {
            try await tx.execute(
                """
                INSERT INTO discounts (offer_id, name, discount_type, concurrency_mode, priority, percent_off, amount_off, threshold_amount,
                                       currency_code, requires_code, is_active)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'USD', ?, 1)
                """,
                [
                    .text(offer.id), .text(offer.name), .text(offer.kind), .text(offer.mode), .integer(Int64(offer.priority)),
                    try .optionalDecimal(offer.percent.flatMap { Decimal(string: $0) }), try .optionalDecimal(offer.amount.flatMap { Decimal(string: $0) }),
                    try .optionalDecimal(offer.threshold.flatMap { Decimal(string: $0) }), .bool(offer.code),
                ]
            )
            for (number, line) in offer.lines.enumerated() {
                try await tx.execute(
                    "INSERT INTO discount_lines (offer_id, line_number, category_id, mix_match_group, quantity) VALUES (?, ?, ?, ?, ?)",
                    [.text(offer.id), .integer(Int64(number + 1)), .integer(line.category), .optional(line.group), try .optionalDecimal(line.quantity.map { Decimal($0) })]
                )
            }
            for channel in [onlineStoreId, physicalStoreId] {
                try await tx.execute("INSERT INTO channel_discounts (channel_id, offer_id) VALUES (?, ?)", [.integer(channel), .text(offer.id)])
            }
        }
        // SAVE10 has no limit, WELCOME20 gives one order, SUMMER24 ended on 2024-09-01.
        for (code, offer, limit, validTo) in [
            (discountCode, "OFFER-SAVE10", nil, nil), ("WELCOME20", "OFFER-WELCOME20", 1, nil), ("SUMMER24", "OFFER-SUMMER24", nil, Int64(1_725_148_800_000)),
        ] as [(String, String, Int64?, Int64?)] {
            try await tx.execute(
                "INSERT INTO discount_codes (code, offer_id, valid_to, usage_limit, usage_count) VALUES (?, ?, ?, ?, 0)",
                [.text(code), .text(offer), .optional(validTo), .optional(limit)]
            )
        }

        try await tx.execute(
            "INSERT INTO customers (account_number, name, email, customer_group, created_at, modified_at) VALUES (?, 'Karen Berg', 'karen@example.com', 'RETAIL', ?, ?)",
            [.text(customerAccount), .integer(stamp), .integer(stamp)]
        )
        try await tx.execute(
            """
            INSERT INTO customer_addresses (account_number, name, street, city, state, zip_code, country_region_id, is_primary)
            VALUES (?, 'Karen Berg', '1 Microsoft Way', 'Redmond', 'WA', '98052', 'USA', 1)
            """,
            [.text(customerAccount)]
        )
    }

    private static func subCategoryName(_ index: Int, _ leafCount: Int) -> String {
        let leaf = index % leafCount
        let name = subCategories[leaf / 5][leaf % 5]
        return name.hasSuffix("s") ? String(name.dropLast()) : name
    }

    private static func roundCents(_ value: Decimal) -> Decimal {
        var input = value
        var output = Decimal()
        NSDecimalRound(&output, &input, 2, .plain)
        return output
    }
}

/// The rows of the demo's products, gathered while the catalog is made up and written in bulk
/// afterwards: row by row, a PostgreSQL seed paid a round trip and a search-index refresh per
/// statement, some ten thousand of them.
private struct ProductRows {
    var products: [[DatabaseValue]] = []
    var categories: [[DatabaseValue]] = []
    var assortment: [[DatabaseValue]] = []
    var attributes: [[DatabaseValue]] = []
    var stock: [[DatabaseValue]] = []

    /// Gathers one product's rows; every 5,000 products go to the database, so a benchmark's
    /// catalog of 100,000 does not sit in memory.
    mutating func add(
        _ product: ProductRecord, brand: String, material: String, stock units: Int64?, inStore: Bool, stamp: Int64, _ tx: any DatabaseTransaction
    ) async throws {
        products.append([
            .integer(product.recordId), .text(product.itemId), .optional(product.masterProductId), .bool(product.isMaster),
            .text(product.name), .text(product.description), .text(product.unitOfMeasure), try .decimal(product.basePrice),
            .optional(product.itemTaxGroup), .optional(product.color), .optional(product.size), .optional(product.style),
            .optional(product.configuration), .integer(stamp), .integer(stamp),
        ])
        for category in product.categoryIds { categories.append([.integer(product.recordId), .integer(category)]) }
        assortment.append([.integer(DemoData.onlineStoreId), .integer(product.recordId)])
        if inStore { assortment.append([.integer(DemoData.physicalStoreId), .integer(product.recordId)]) }
        attributes.append([.integer(product.recordId), .integer(1), .text(brand)])
        attributes.append([.integer(product.recordId), .integer(2), .text(material)])
        if let units {
            for (warehouse, share) in [("WH-EAST", units / 2), ("WH-WEST", units - units / 2)] {
                stock.append([.integer(product.recordId), .text(warehouse), try .decimal(Decimal(share)), .integer(0)])
            }
        }
        if products.count >= 5_000 { try await write(tx) }
    }

    /// Products first: every other row refers to one.
    mutating func write(_ tx: any DatabaseTransaction) async throws {
        try await tx.insertRows(
            into: "products",
            columns: [
                "record_id", "item_id", "master_product_id", "is_master", "name", "description", "unit_of_measure", "base_price",
                "item_tax_group", "color", "size", "style", "configuration", "created_at", "modified_at",
            ],
            products
        )
        try await tx.insertRows(into: "product_categories", columns: ["product_id", "category_id"], categories)
        try await tx.insertRows(into: "channel_products", columns: ["channel_id", "product_id"], assortment)
        try await tx.insertRows(into: "product_attribute_values", columns: ["product_id", "attribute_id", "text_value"], attributes)
        try await tx.insertRows(into: "stock", columns: ["product_id", "warehouse_id", "on_hand", "reserved"], stock)
        self = ProductRows()
    }
}
