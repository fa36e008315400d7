/// The engine's own tables. Extensions migrate their own namespaces beside it.
///
/// Conventions, the same on both backends: snake_case names; decimal amounts, quantities and
/// rates as BIGINT fixed-point (``FixedPoint``, six fractional digits); instants as BIGINT
/// milliseconds since 1970 UTC; flags as INTEGER 0/1; structured values (addresses) as JSON text.
public enum CoreSchema {
    public static let namespace = "core"

    public static let migrations = MigrationSet(namespace: namespace, migrations: [
        Migration(version: 1, name: "channels, catalog, prices, stock, customers, carts, orders, payments, discounts, tax", portable: version1),
        Migration(version: 2, name: "indexes for sorting and filtering products by name and price", portable: version2),
        Migration(version: 3, name: "extension properties of carts, orders and their lines; carts by last change", portable: version3),
        Migration(version: 4, name: "full-text search index of products, kept in sync by triggers", script: version4),
        Migration(version: 5, name: "order events for data exchange, numbered when handed out", portable: version5),
        Migration(version: 6, name: "customer versions, names and phone; listing orders and carts per channel and customer", portable: version6),
        Migration(version: 8, name: "capture references of payments", portable: version8),
        Migration(version: 9, name: "delivery modes per channel; delivery mode and address per cart line and sales line", portable: version9),
        Migration(
            version: 10, name: "translations, media locations, channel languages and navigation hierarchies; translations in the search index",
            script: version10
        ),
        Migration(version: 12, name: "search index with four-letter prefixes", script: version12),
        Migration(version: 13, name: "generations of the master data the runtime caches (discounts, category scopes)", script: version13),
        Migration(version: 14, name: "search indexes of names, item ids and attribute text for the relevance tiers", script: version14),
        Migration(version: 15, name: "product media in primary-image order", portable: version15),
        Migration(version: 16, name: "a generation of prices and tax setup (price lines, tax rates, tax groups, tax regions)", script: version16),
    ])

    /// A product's primary image is its default media location, else its first: `ORDER BY
    /// is_default DESC, display_order LIMIT 1` per product, which the primary key (product_id,
    /// display_order) answered only with a sort per product (a temporary B-tree on SQLite) on
    /// every product read. This index is in that order; `DESC` is part of the index on both
    /// backends.
    static let version15 = """
        CREATE INDEX product_media_primary ON product_media(product_id, is_default DESC, display_order);
        """

    /// Search as you type sends four-letter prefixes (`summ`): without an index entry for them
    /// FTS5 merges the lists of every word they begin (`summer`, `summit`, ...) on each query.
    /// The option is fixed when an FTS5 table is made, so the index is made again; the triggers
    /// of version 10 name it and keep it in sync as before. PostgreSQL's GIN index finds a
    /// prefix as a range of its sorted words: nothing to change there.
    static let version12: @Sendable (SQLDialect) -> String = { dialect in
        guard dialect == .sqlite else { return "SELECT 1;" }
        return """
            DROP TABLE product_search;
            CREATE VIRTUAL TABLE product_search USING fts5(
                name, description, item_id, attributes, translated_names, translated_descriptions,
                tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'
            );
            INSERT INTO product_search (rowid, name, description, item_id, attributes, translated_names, translated_descriptions)
                SELECT p.record_id, p.name, p.description, p.item_id,
                       (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = p.record_id),
                       (SELECT group_concat(t.name, ' ') FROM product_translations t WHERE t.product_id = p.record_id),
                       (SELECT group_concat(t.description, ' ') FROM product_translations t WHERE t.product_id = p.record_id)
                FROM products p;
            """
    }

    /// Two costs of a search on SQLite that grew with the catalog:
    /// - The relevance tiers (names, item ids, attribute text, the rest) asked the product index
    ///   for matches within some of its columns, and FTS5 answers that by reading the positions
    ///   of every match of the words: a word found in 16,000 attribute texts and no name cost
    ///   2-5 ms per tier only to find nothing there. An index per tier holds just those fields,
    ///   so a word that is in no name is one look-up in the names index, and a tier's matches
    ///   are read in rowid order until the page is full. Triggers of their own keep them in
    ///   sync, beside those of version 10.
    /// - Every word is a prefix (search as you type), and a prefix longer than the longest
    ///   prefix the index holds makes FTS5 merge the lists of all the words it begins into one
    ///   list in memory before the first row: `studio` in 100,000 of 1M products cost 5 ms even
    ///   when the page needed 20 rows. The indexes now hold prefixes up to 12 letters (the
    ///   product index is rebuilt for it), about 30% more index for reads that stop after a
    ///   page.
    /// PostgreSQL ranks by weight labels in one GIN index, which finds a prefix as a range of
    /// its sorted words: nothing to change there.
    static let version14: @Sendable (SQLDialect) -> String = { dialect in
        guard dialect == .sqlite else { return "SELECT 1;" }
        // The text of a product's translated names and of its attribute values.
        func names(_ product: String) -> String { "(SELECT group_concat(t.name, ' ') FROM product_translations t WHERE t.product_id = \(product))" }
        func attributes(_ product: String) -> String {
            "(SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = \(product))"
        }
        let options = "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4 5 6 7 8 9 10 11 12'"
        return """
            DROP TABLE product_search;
            CREATE VIRTUAL TABLE product_search USING fts5(
                name, description, item_id, attributes, translated_names, translated_descriptions, \(options)
            );
            INSERT INTO product_search (rowid, name, description, item_id, attributes, translated_names, translated_descriptions)
                SELECT p.record_id, p.name, p.description, p.item_id, \(attributes("p.record_id")), \(names("p.record_id")),
                       (SELECT group_concat(t.description, ' ') FROM product_translations t WHERE t.product_id = p.record_id)
                FROM products p;
            CREATE VIRTUAL TABLE product_search_names USING fts5(name, translated_names, \(options));
            CREATE VIRTUAL TABLE product_search_items USING fts5(item_id, \(options));
            CREATE VIRTUAL TABLE product_search_attributes USING fts5(attributes, \(options));
            INSERT INTO product_search_names (rowid, name, translated_names) SELECT p.record_id, p.name, \(names("p.record_id")) FROM products p;
            INSERT INTO product_search_items (rowid, item_id) SELECT p.record_id, p.item_id FROM products p;
            INSERT INTO product_search_attributes (rowid, attributes) SELECT p.record_id, \(attributes("p.record_id")) FROM products p;
            CREATE TRIGGER product_search_tiers_product_insert AFTER INSERT ON products BEGIN
                INSERT INTO product_search_names (rowid, name, translated_names) VALUES (new.record_id, new.name, \(names("new.record_id")));
                INSERT INTO product_search_items (rowid, item_id) VALUES (new.record_id, new.item_id);
                INSERT INTO product_search_attributes (rowid, attributes) VALUES (new.record_id, \(attributes("new.record_id")));
            END;
            CREATE TRIGGER product_search_tiers_name_update AFTER UPDATE OF record_id, name ON products BEGIN
                DELETE FROM product_search_names WHERE rowid = old.record_id;
                INSERT INTO product_search_names (rowid, name, translated_names) VALUES (new.record_id, new.name, \(names("new.record_id")));
            END;
            CREATE TRIGGER product_search_tiers_item_update AFTER UPDATE OF record_id, item_id ON products BEGIN
                DELETE FROM product_search_items WHERE rowid = old.record_id;
                INSERT INTO product_search_items (rowid, item_id) VALUES (new.record_id, new.item_id);
            END;
            CREATE TRIGGER product_search_tiers_id_update AFTER UPDATE OF record_id ON products BEGIN
                DELETE FROM product_search_attributes WHERE rowid = old.record_id;
                INSERT INTO product_search_attributes (rowid, attributes) VALUES (new.record_id, \(attributes("new.record_id")));
            END;
            CREATE TRIGGER product_search_tiers_product_delete AFTER DELETE ON products BEGIN
                DELETE FROM product_search_names WHERE rowid = old.record_id;
                DELETE FROM product_search_items WHERE rowid = old.record_id;
                DELETE FROM product_search_attributes WHERE rowid = old.record_id;
            END;
            CREATE TRIGGER product_search_tiers_attribute_insert AFTER INSERT ON product_attribute_values BEGIN
                UPDATE product_search_attributes SET attributes = \(attributes("new.product_id")) WHERE rowid = new.product_id;
            END;
            CREATE TRIGGER product_search_tiers_attribute_update AFTER UPDATE ON product_attribute_values BEGIN
                UPDATE product_search_attributes SET attributes = \(attributes("old.product_id")) WHERE rowid = old.product_id;
                UPDATE product_search_attributes SET attributes = \(attributes("new.product_id")) WHERE rowid = new.product_id;
            END;
            CREATE TRIGGER product_search_tiers_attribute_delete AFTER DELETE ON product_attribute_values BEGIN
                UPDATE product_search_attributes SET attributes = \(attributes("old.product_id")) WHERE rowid = old.product_id;
            END;
            CREATE TRIGGER product_search_tiers_translation_insert AFTER INSERT ON product_translations BEGIN
                UPDATE product_search_names SET translated_names = \(names("new.product_id")) WHERE rowid = new.product_id;
            END;
            CREATE TRIGGER product_search_tiers_translation_update AFTER UPDATE ON product_translations BEGIN
                UPDATE product_search_names SET translated_names = \(names("old.product_id")) WHERE rowid = old.product_id;
                UPDATE product_search_names SET translated_names = \(names("new.product_id")) WHERE rowid = new.product_id;
            END;
            CREATE TRIGGER product_search_tiers_translation_delete AFTER DELETE ON product_translations BEGIN
                UPDATE product_search_names SET translated_names = \(names("old.product_id")) WHERE rowid = old.product_id;
            END;
            """
    }

    /// A counter per group of master data that a write to any of its tables moves on, in the
    /// writing transaction. The runtime caches that data per generation (see
    /// `MasterDataCache`): reading the counter is one statement where reading the data was
    /// several, and a change is seen by the first transaction whose snapshot includes it, on every
    /// host sharing the database. Writers of the same group serialize on its counter row, which
    /// is acceptable for master data (headquarters pushes it, not shoppers).
    static let version13: @Sendable (SQLDialect) -> String = { dialect in
        let tables = """
            CREATE TABLE master_data_generations (
                name TEXT PRIMARY KEY,
                generation BIGINT NOT NULL
            );
            INSERT INTO master_data_generations (name, generation) VALUES ('discounts', 1), ('catalog', 1);
            """
        let watched: [(table: String, group: String)] = [
            ("discounts", "discounts"), ("discount_lines", "discounts"), ("channel_discounts", "discounts"),
            ("categories", "catalog"), ("product_categories", "catalog"), ("products", "catalog"),
        ]
        var script = tables + "\n"
        if dialect == .postgres {
            // Statement-level: a bulk write moves the counter once, not once per row.
            script += """
                CREATE FUNCTION master_data_generation_next() RETURNS trigger
                    LANGUAGE plpgsql
                    AS 'BEGIN
                            UPDATE master_data_generations SET generation = generation + 1 WHERE name = TG_ARGV[0];
                            RETURN NULL;
                        END';

                """
        }
        script += generationTriggers(watched, dialect)
        return script
    }

    /// Triggers that move a group's counter on every write to each of its tables.
    static func generationTriggers(_ watched: [(table: String, group: String)], _ dialect: SQLDialect) -> String {
        var script = ""
        switch dialect {
        case .sqlite:
            for (table, group) in watched {
                for event in ["INSERT", "UPDATE", "DELETE"] {
                    script += """
                        CREATE TRIGGER \(table)_\(event.lowercased())_generation AFTER \(event) ON \(table) BEGIN
                            UPDATE master_data_generations SET generation = generation + 1 WHERE name = '\(group)';
                        END;

                        """
                }
            }
        case .postgres:
            for (table, group) in watched {
                script += """
                    CREATE TRIGGER \(table)_generation AFTER INSERT OR UPDATE OR DELETE ON \(table)
                        FOR EACH STATEMENT EXECUTE FUNCTION master_data_generation_next('\(group)');

                    """
            }
        }
        return script
    }

    /// Prices and tax setup join the cached master data: every cart calculation read the price
    /// lines of its products, its region's sales tax group and the tax rates, ~12 of ~100
    /// statements per checkout, for data that headquarters changes a few times a day.
    static let version16: @Sendable (SQLDialect) -> String = { dialect in
        "INSERT INTO master_data_generations (name, generation) VALUES ('pricing', 1);\n"
            + generationTriggers(
                [("price_lines", "pricing"), ("tax_rates", "pricing"), ("sales_tax_groups", "pricing"), ("item_tax_groups", "pricing"),
                 ("tax_regions", "pricing")],
                dialect
            )
    }

    /// Catalog breadth: names and descriptions per language, product media, the languages a
    /// channel speaks and the categories it shows.
    ///
    /// Language ids are stored lower-case (`de-de`), so comparing them case-insensitively is an
    /// equality on an index. `channel_categories` names the roots of the sub-trees a channel shows
    /// (with the channel's order for them); a channel without rows shows the whole tree, as
    /// before this version. Media URIs are absolute http(s) URLs or relative paths: the CHECK is
    /// the backstop for writers other than ``CatalogStore/replaceMediaLocations(productId:_:)``,
    /// which says what is wrong first. The search index is rebuilt with two more columns,
    /// translated names (weighted as names) and translated descriptions.
    static let version10: @Sendable (SQLDialect) -> String = { dialect in
        SchemaText.render(version10Tables, for: dialect) + "\n" + (dialect == .sqlite ? version10SQLite : version10Postgres)
    }

    static let version10Tables = """
        CREATE TABLE channel_languages (
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            language_id TEXT NOT NULL CHECK (language_id = lower(language_id) AND language_id <> ''),
            PRIMARY KEY (channel_id, language_id)
        );
        CREATE TABLE product_translations (
            product_id BIGINT NOT NULL REFERENCES products(record_id),
            language_id TEXT NOT NULL CHECK (language_id = lower(language_id) AND language_id <> ''),
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (product_id, language_id)
        );
        CREATE INDEX product_translations_language_name ON product_translations(language_id, name);
        CREATE TABLE category_translations (
            category_id BIGINT NOT NULL REFERENCES categories(record_id),
            language_id TEXT NOT NULL CHECK (language_id = lower(language_id) AND language_id <> ''),
            name TEXT NOT NULL,
            PRIMARY KEY (category_id, language_id)
        );
        CREATE TABLE product_media (
            product_id BIGINT NOT NULL REFERENCES products(record_id),
            display_order INTEGER NOT NULL,
            uri TEXT NOT NULL CHECK (
                substr(uri, 1, 7) = 'http://' OR substr(uri, 1, 8) = 'https://'
                OR (uri <> '' AND uri NOT LIKE '%:%' AND uri NOT LIKE '//%' AND uri NOT LIKE '% %')
            ),
            alt_text TEXT NOT NULL DEFAULT '',
            is_default INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (product_id, display_order)
        );
        CREATE UNIQUE INDEX product_media_default ON product_media(product_id) WHERE is_default = 1;
        CREATE TABLE channel_categories (
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            category_id BIGINT NOT NULL REFERENCES categories(record_id),
            display_order INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (channel_id, category_id)
        );
        INSERT INTO channel_languages (channel_id, language_id) SELECT record_id, lower(language_id) FROM channels;
        """

    /// FTS5 tables cannot gain columns: the index and its triggers are made again, with the
    /// translations of every language in two more columns.
    static let version10SQLite = """
        DROP TRIGGER product_search_product_insert;
        DROP TRIGGER product_search_product_update;
        DROP TRIGGER product_search_product_delete;
        DROP TRIGGER product_search_attribute_insert;
        DROP TRIGGER product_search_attribute_update;
        DROP TRIGGER product_search_attribute_delete;
        DROP TABLE product_search;
        CREATE VIRTUAL TABLE product_search USING fts5(
            name, description, item_id, attributes, translated_names, translated_descriptions,
            tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
        );
        INSERT INTO product_search (rowid, name, description, item_id, attributes, translated_names, translated_descriptions)
            SELECT p.record_id, p.name, p.description, p.item_id,
                   (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = p.record_id),
                   (SELECT group_concat(t.name, ' ') FROM product_translations t WHERE t.product_id = p.record_id),
                   (SELECT group_concat(t.description, ' ') FROM product_translations t WHERE t.product_id = p.record_id)
            FROM products p;
        CREATE TRIGGER product_search_product_insert AFTER INSERT ON products BEGIN
            INSERT INTO product_search (rowid, name, description, item_id, attributes, translated_names, translated_descriptions)
                VALUES (new.record_id, new.name, new.description, new.item_id,
                        (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = new.record_id),
                        (SELECT group_concat(t.name, ' ') FROM product_translations t WHERE t.product_id = new.record_id),
                        (SELECT group_concat(t.description, ' ') FROM product_translations t WHERE t.product_id = new.record_id));
        END;
        CREATE TRIGGER product_search_product_update AFTER UPDATE OF record_id, name, description, item_id ON products BEGIN
            DELETE FROM product_search WHERE rowid = old.record_id;
            INSERT INTO product_search (rowid, name, description, item_id, attributes, translated_names, translated_descriptions)
                VALUES (new.record_id, new.name, new.description, new.item_id,
                        (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = new.record_id),
                        (SELECT group_concat(t.name, ' ') FROM product_translations t WHERE t.product_id = new.record_id),
                        (SELECT group_concat(t.description, ' ') FROM product_translations t WHERE t.product_id = new.record_id));
        END;
        CREATE TRIGGER product_search_product_delete AFTER DELETE ON products BEGIN
            DELETE FROM product_search WHERE rowid = old.record_id;
        END;
        CREATE TRIGGER product_search_attribute_insert AFTER INSERT ON product_attribute_values BEGIN
            UPDATE product_search
            SET attributes = (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = new.product_id)
            WHERE rowid = new.product_id;
        END;
        CREATE TRIGGER product_search_attribute_update AFTER UPDATE ON product_attribute_values BEGIN
            UPDATE product_search
            SET attributes = (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = old.product_id)
            WHERE rowid = old.product_id;
            UPDATE product_search
            SET attributes = (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = new.product_id)
            WHERE rowid = new.product_id;
        END;
        CREATE TRIGGER product_search_attribute_delete AFTER DELETE ON product_attribute_values BEGIN
            UPDATE product_search
            SET attributes = (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = old.product_id)
            WHERE rowid = old.product_id;
        END;
        CREATE TRIGGER product_search_translation_insert AFTER INSERT ON product_translations BEGIN
            UPDATE product_search
            SET translated_names = (SELECT group_concat(t.name, ' ') FROM product_translations t WHERE t.product_id = new.product_id),
                translated_descriptions = (SELECT group_concat(t.description, ' ') FROM product_translations t WHERE t.product_id = new.product_id)
            WHERE rowid = new.product_id;
        END;
        CREATE TRIGGER product_search_translation_update AFTER UPDATE ON product_translations BEGIN
            UPDATE product_search
            SET translated_names = (SELECT group_concat(t.name, ' ') FROM product_translations t WHERE t.product_id = old.product_id),
                translated_descriptions = (SELECT group_concat(t.description, ' ') FROM product_translations t WHERE t.product_id = old.product_id)
            WHERE rowid = old.product_id;
            UPDATE product_search
            SET translated_names = (SELECT group_concat(t.name, ' ') FROM product_translations t WHERE t.product_id = new.product_id),
                translated_descriptions = (SELECT group_concat(t.description, ' ') FROM product_translations t WHERE t.product_id = new.product_id)
            WHERE rowid = new.product_id;
        END;
        CREATE TRIGGER product_search_translation_delete AFTER DELETE ON product_translations BEGIN
            UPDATE product_search
            SET translated_names = (SELECT group_concat(t.name, ' ') FROM product_translations t WHERE t.product_id = old.product_id),
                translated_descriptions = (SELECT group_concat(t.description, ' ') FROM product_translations t WHERE t.product_id = old.product_id)
            WHERE rowid = old.product_id;
        END;
        """

    /// The document gains the translations: names weighted A like the name, descriptions D.
    /// Translation rows carry `product_id`, so the attribute triggers' functions (which read
    /// only that column of their transition tables) refresh for them too.
    static let version10Postgres = """
        CREATE OR REPLACE FUNCTION product_search_refresh(ids BIGINT[]) RETURNS void
            LANGUAGE sql
            AS 'INSERT INTO product_search (product_id, document)
                SELECT p.record_id,
                       setweight(product_search_words(p.name), ''A'')
                       || setweight(product_search_words(
                              (SELECT string_agg(t.name, '' '') FROM product_translations t WHERE t.product_id = p.record_id)
                          ), ''A'')
                       || setweight(product_search_words(p.item_id), ''B'')
                       || setweight(product_search_words(
                              (SELECT string_agg(av.text_value, '' '') FROM product_attribute_values av WHERE av.product_id = p.record_id)
                          ), ''C'')
                       || setweight(product_search_words(p.description), ''D'')
                       || setweight(product_search_words(
                              (SELECT string_agg(t.description, '' '') FROM product_translations t WHERE t.product_id = p.record_id)
                          ), ''D'')
                FROM products p WHERE p.record_id = ANY(ids)
                ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document';
        CREATE TRIGGER product_search_translation_insert AFTER INSERT ON product_translations
            REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION product_search_attributes_added();
        CREATE TRIGGER product_search_translation_delete AFTER DELETE ON product_translations
            REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION product_search_attributes_removed();
        CREATE TRIGGER product_search_translation_update AFTER UPDATE ON product_translations
            REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION product_search_attributes_updated();
        """

    /// How a channel delivers (`delivery_modes`), chosen per cart or per line; a line's own
    /// address and mode override the cart's.
    static let version9 = """
        CREATE TABLE delivery_modes (
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            code TEXT NOT NULL,
            description TEXT NOT NULL,
            PRIMARY KEY (channel_id, code)
        );
        ALTER TABLE cart_lines ADD COLUMN delivery_mode TEXT;
        ALTER TABLE cart_lines ADD COLUMN shipping_address TEXT;
        ALTER TABLE sales_orders ADD COLUMN delivery_mode TEXT;
        ALTER TABLE sales_lines ADD COLUMN delivery_mode TEXT;
        ALTER TABLE sales_lines ADD COLUMN shipping_address TEXT;
        """

    /// Invoicing captures an order's authorizations; the capture is what a refund refers to.
    static let version8 = """
        ALTER TABLE payments ADD COLUMN capture_reference TEXT;
        """

    /// What happened to sales orders, for headquarters to pull after a watermark.
    ///
    /// `sequence` stays empty until the events are handed out: numbers are given then, in one
    /// serialized step that sees only committed events (see ``OrderEventStore``), because an
    /// identity taken at insert would let a slow transaction commit a lower number after a
    /// reader had moved its watermark past it.
    static let version5 = """
        CREATE TABLE order_events (
            event_id {pk},
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            order_id TEXT NOT NULL REFERENCES sales_orders(id),
            sales_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            status INTEGER NOT NULL,
            occurred_at BIGINT NOT NULL,
            sequence BIGINT,
            UNIQUE (channel_id, sequence)
        );
        CREATE INDEX order_events_unsequenced ON order_events(channel_id, event_id) WHERE sequence IS NULL;
        """

    /// `version` is a customer's optimistic-concurrency token (its ETag), bumped by every change
    /// through the API. The indexes serve the listings: a customer's orders newest first
    /// (`GetOrderHistory`), a channel's orders and carts, customers by name.
    static let version6 = """
        ALTER TABLE customers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
        ALTER TABLE customers ADD COLUMN first_name TEXT;
        ALTER TABLE customers ADD COLUMN last_name TEXT;
        ALTER TABLE customers ADD COLUMN phone TEXT;
        CREATE INDEX customers_name ON customers(name);
        CREATE INDEX sales_orders_customer_created ON sales_orders(customer_account, created_at);
        CREATE INDEX sales_orders_channel_created ON sales_orders(channel_id, created_at);
        CREATE INDEX carts_channel_customer ON carts(channel_id, customer_account);
        """

    /// What extensions (through triggers) and clients attach to built-in entities; the index
    /// finds idle carts for the purge.
    static let version3 = """
        CREATE TABLE extension_properties (
            owner_type TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            part TEXT NOT NULL,
            properties TEXT NOT NULL,
            PRIMARY KEY (owner_type, owner_id, part)
        );
        CREATE INDEX carts_modified ON carts(modified_at);
        """

    /// The full-text index of products behind `Products/Search`: name, description, item id and
    /// the text of attribute values, one document per product.
    ///
    /// Triggers keep it in sync with whatever writes the tables (demo seed, data exchange, SQL by
    /// hand), so no writer has to remember it. Both backends index the same tokens: runs of
    /// letters and digits, lower-cased (FTS5's unicode61; on PostgreSQL the text is reduced to
    /// those runs before the `simple` configuration, which neither stems nor drops stop words).
    /// Weights favour the name, then the item id, attribute text, description.
    static let version4: @Sendable (SQLDialect) -> String = { dialect in
        switch dialect {
        case .sqlite: version4SQLite
        case .postgres: version4Postgres
        }
    }

    /// rowid is the product's record id. Attribute text is one column per product, rebuilt from
    /// its attribute values whenever one changes.
    static let version4SQLite = """
        CREATE VIRTUAL TABLE product_search USING fts5(
            name, description, item_id, attributes,
            tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
        );
        INSERT INTO product_search (rowid, name, description, item_id, attributes)
            SELECT p.record_id, p.name, p.description, p.item_id,
                   (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = p.record_id)
            FROM products p;
        CREATE TRIGGER product_search_product_insert AFTER INSERT ON products BEGIN
            INSERT INTO product_search (rowid, name, description, item_id, attributes)
                VALUES (new.record_id, new.name, new.description, new.item_id,
                        (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = new.record_id));
        END;
        CREATE TRIGGER product_search_product_update AFTER UPDATE OF record_id, name, description, item_id ON products BEGIN
            DELETE FROM product_search WHERE rowid = old.record_id;
            INSERT INTO product_search (rowid, name, description, item_id, attributes)
                VALUES (new.record_id, new.name, new.description, new.item_id,
                        (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = new.record_id));
        END;
        CREATE TRIGGER product_search_product_delete AFTER DELETE ON products BEGIN
            DELETE FROM product_search WHERE rowid = old.record_id;
        END;
        CREATE TRIGGER product_search_attribute_insert AFTER INSERT ON product_attribute_values BEGIN
            UPDATE product_search
            SET attributes = (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = new.product_id)
            WHERE rowid = new.product_id;
        END;
        CREATE TRIGGER product_search_attribute_update AFTER UPDATE ON product_attribute_values BEGIN
            UPDATE product_search
            SET attributes = (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = old.product_id)
            WHERE rowid = old.product_id;
            UPDATE product_search
            SET attributes = (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = new.product_id)
            WHERE rowid = new.product_id;
        END;
        CREATE TRIGGER product_search_attribute_delete AFTER DELETE ON product_attribute_values BEGIN
            UPDATE product_search
            SET attributes = (SELECT group_concat(av.text_value, ' ') FROM product_attribute_values av WHERE av.product_id = old.product_id)
            WHERE rowid = old.product_id;
        END;
        """

    /// Statement-level triggers with transition tables: a bulk insert of attribute values
    /// re-indexes each product once per statement, not once per row. Function bodies are
    /// single-quoted, not dollar-quoted, because migration scripts are split into statements at
    /// semicolons outside quotes.
    static let version4Postgres = """
        CREATE TABLE product_search (
            product_id BIGINT PRIMARY KEY REFERENCES products(record_id) ON DELETE CASCADE,
            document tsvector NOT NULL
        );
        CREATE INDEX product_search_document ON product_search USING GIN (document);
        CREATE FUNCTION product_search_words(value TEXT) RETURNS tsvector
            LANGUAGE sql IMMUTABLE
            AS 'SELECT to_tsvector(''simple'', regexp_replace(coalesce(value, ''''), ''[^[:alnum:]]+'', '' '', ''g''))';
        CREATE FUNCTION product_search_refresh(ids BIGINT[]) RETURNS void
            LANGUAGE sql
            AS 'INSERT INTO product_search (product_id, document)
                SELECT p.record_id,
                       setweight(product_search_words(p.name), ''A'')
                       || setweight(product_search_words(p.item_id), ''B'')
                       || setweight(product_search_words(
                              (SELECT string_agg(av.text_value, '' '') FROM product_attribute_values av WHERE av.product_id = p.record_id)
                          ), ''C'')
                       || setweight(product_search_words(p.description), ''D'')
                FROM products p WHERE p.record_id = ANY(ids)
                ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document';
        SELECT product_search_refresh(ARRAY(SELECT record_id FROM products));
        CREATE FUNCTION product_search_products_changed() RETURNS trigger
            LANGUAGE plpgsql
            AS 'BEGIN
                    PERFORM product_search_refresh(ARRAY(SELECT record_id FROM changed));
                    RETURN NULL;
                END';
        CREATE TRIGGER product_search_product_insert AFTER INSERT ON products
            REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION product_search_products_changed();
        CREATE TRIGGER product_search_product_update AFTER UPDATE ON products
            REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION product_search_products_changed();
        CREATE FUNCTION product_search_attributes_added() RETURNS trigger
            LANGUAGE plpgsql
            AS 'BEGIN
                    PERFORM product_search_refresh(ARRAY(SELECT DISTINCT product_id FROM added));
                    RETURN NULL;
                END';
        CREATE FUNCTION product_search_attributes_removed() RETURNS trigger
            LANGUAGE plpgsql
            AS 'BEGIN
                    PERFORM product_search_refresh(ARRAY(SELECT DISTINCT product_id FROM removed));
                    RETURN NULL;
                END';
        CREATE FUNCTION product_search_attributes_updated() RETURNS trigger
            LANGUAGE plpgsql
            AS 'BEGIN
                    PERFORM product_search_refresh(ARRAY(SELECT product_id FROM removed UNION SELECT product_id FROM added));
                    RETURN NULL;
                END';
        CREATE TRIGGER product_search_attribute_insert AFTER INSERT ON product_attribute_values
            REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION product_search_attributes_added();
        CREATE TRIGGER product_search_attribute_delete AFTER DELETE ON product_attribute_values
            REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION product_search_attributes_removed();
        CREATE TRIGGER product_search_attribute_update AFTER UPDATE ON product_attribute_values
            REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION product_search_attributes_updated();
        """

    /// `$orderby=Name` with `$top` walks the name index and stops after a page instead of
    /// sorting the whole assortment; price ranges use the price index.
    static let version2 = """
        CREATE INDEX products_name ON products(name);
        CREATE INDEX products_base_price ON products(base_price);
        """

    static let version1 = """
        CREATE TABLE currencies (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            symbol TEXT NOT NULL,
            rounding_decimals INTEGER NOT NULL
        );
        CREATE TABLE warehouses (
            warehouse_id TEXT PRIMARY KEY,
            name TEXT NOT NULL
        );
        CREATE TABLE channels (
            record_id {pk},
            org_unit_number TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            channel_type TEXT NOT NULL,
            currency_code TEXT NOT NULL REFERENCES currencies(code),
            language_id TEXT NOT NULL,
            price_includes_tax INTEGER NOT NULL DEFAULT 0,
            sales_tax_group TEXT,
            default_warehouse_id TEXT REFERENCES warehouses(warehouse_id),
            price_group TEXT,
            address TEXT
        );
        CREATE TABLE channel_warehouses (
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            warehouse_id TEXT NOT NULL REFERENCES warehouses(warehouse_id),
            PRIMARY KEY (channel_id, warehouse_id)
        );
        CREATE TABLE categories (
            record_id {pk},
            parent_category_id BIGINT REFERENCES categories(record_id),
            name TEXT NOT NULL,
            display_order INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX categories_parent ON categories(parent_category_id);
        CREATE TABLE products (
            record_id {pk},
            item_id TEXT NOT NULL,
            master_product_id BIGINT REFERENCES products(record_id),
            is_master INTEGER NOT NULL DEFAULT 0,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            unit_of_measure TEXT NOT NULL DEFAULT 'ea',
            base_price BIGINT NOT NULL,
            item_tax_group TEXT,
            color TEXT,
            size TEXT,
            style TEXT,
            configuration TEXT,
            created_at BIGINT NOT NULL,
            modified_at BIGINT NOT NULL
        );
        CREATE INDEX products_item ON products(item_id);
        CREATE INDEX products_master ON products(master_product_id);
        CREATE TABLE product_categories (
            product_id BIGINT NOT NULL REFERENCES products(record_id),
            category_id BIGINT NOT NULL REFERENCES categories(record_id),
            PRIMARY KEY (product_id, category_id)
        );
        CREATE INDEX product_categories_category ON product_categories(category_id);
        CREATE TABLE channel_products (
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            product_id BIGINT NOT NULL REFERENCES products(record_id),
            PRIMARY KEY (channel_id, product_id)
        );
        CREATE TABLE attributes (
            record_id {pk},
            name TEXT NOT NULL UNIQUE,
            data_type TEXT NOT NULL,
            is_refinable INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE product_attribute_values (
            product_id BIGINT NOT NULL REFERENCES products(record_id),
            attribute_id BIGINT NOT NULL REFERENCES attributes(record_id),
            text_value TEXT,
            number_value BIGINT,
            PRIMARY KEY (product_id, attribute_id)
        );
        CREATE INDEX product_attribute_values_attribute ON product_attribute_values(attribute_id);
        CREATE TABLE price_lines (
            record_id {pk},
            product_id BIGINT NOT NULL REFERENCES products(record_id),
            account_code TEXT NOT NULL,
            account_relation TEXT,
            currency_code TEXT NOT NULL REFERENCES currencies(code),
            from_quantity BIGINT NOT NULL DEFAULT 0,
            amount BIGINT NOT NULL,
            valid_from BIGINT,
            valid_to BIGINT
        );
        CREATE INDEX price_lines_product ON price_lines(product_id);
        CREATE TABLE stock (
            product_id BIGINT NOT NULL REFERENCES products(record_id),
            warehouse_id TEXT NOT NULL REFERENCES warehouses(warehouse_id),
            on_hand BIGINT NOT NULL DEFAULT 0,
            reserved BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
            PRIMARY KEY (product_id, warehouse_id)
        );
        CREATE TABLE customers (
            account_number TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            email TEXT,
            customer_group TEXT,
            price_group TEXT,
            identity_issuer TEXT,
            identity_subject TEXT,
            created_at BIGINT NOT NULL,
            modified_at BIGINT NOT NULL,
            UNIQUE (identity_issuer, identity_subject)
        );
        CREATE TABLE customer_addresses (
            record_id {pk},
            account_number TEXT NOT NULL REFERENCES customers(account_number),
            name TEXT NOT NULL DEFAULT '',
            street TEXT NOT NULL DEFAULT '',
            city TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT '',
            zip_code TEXT NOT NULL DEFAULT '',
            country_region_id TEXT NOT NULL DEFAULT '',
            is_primary INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX customer_addresses_account ON customer_addresses(account_number);
        CREATE TABLE carts (
            id TEXT PRIMARY KEY,
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            customer_account TEXT REFERENCES customers(account_number),
            version BIGINT NOT NULL DEFAULT 1,
            receipt_email TEXT,
            shipping_address TEXT,
            delivery_mode TEXT,
            subtotal_amount BIGINT NOT NULL DEFAULT 0,
            discount_amount BIGINT NOT NULL DEFAULT 0,
            tax_amount BIGINT NOT NULL DEFAULT 0,
            total_amount BIGINT NOT NULL DEFAULT 0,
            created_at BIGINT NOT NULL,
            modified_at BIGINT NOT NULL
        );
        CREATE INDEX carts_customer ON carts(customer_account);
        CREATE TABLE cart_lines (
            cart_id TEXT NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
            line_id TEXT NOT NULL,
            line_number INTEGER NOT NULL,
            product_id BIGINT NOT NULL REFERENCES products(record_id),
            item_id TEXT NOT NULL,
            quantity BIGINT NOT NULL,
            price BIGINT NOT NULL DEFAULT 0,
            extended_price BIGINT NOT NULL DEFAULT 0,
            discount_amount BIGINT NOT NULL DEFAULT 0,
            tax_amount BIGINT NOT NULL DEFAULT 0,
            net_amount BIGINT NOT NULL DEFAULT 0,
            total_amount BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (cart_id, line_id)
        );
        CREATE TABLE cart_discount_codes (
            cart_id TEXT NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
            code TEXT NOT NULL,
            PRIMARY KEY (cart_id, code)
        );
        CREATE TABLE number_sequences (
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            name TEXT NOT NULL,
            next_value BIGINT NOT NULL,
            PRIMARY KEY (channel_id, name)
        );
        CREATE TABLE sales_orders (
            id TEXT PRIMARY KEY,
            sales_id TEXT NOT NULL,
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            channel_reference_id TEXT NOT NULL,
            customer_account TEXT REFERENCES customers(account_number),
            receipt_email TEXT,
            shipping_address TEXT,
            status INTEGER NOT NULL,
            currency_code TEXT NOT NULL REFERENCES currencies(code),
            subtotal_amount BIGINT NOT NULL,
            discount_amount BIGINT NOT NULL,
            tax_amount BIGINT NOT NULL,
            total_amount BIGINT NOT NULL,
            idempotency_key TEXT,
            created_at BIGINT NOT NULL,
            modified_at BIGINT NOT NULL,
            UNIQUE (channel_id, sales_id),
            UNIQUE (channel_id, idempotency_key)
        );
        CREATE INDEX sales_orders_customer ON sales_orders(customer_account);
        CREATE TABLE sales_lines (
            order_id TEXT NOT NULL REFERENCES sales_orders(id),
            line_number INTEGER NOT NULL,
            product_id BIGINT NOT NULL REFERENCES products(record_id),
            item_id TEXT NOT NULL,
            quantity BIGINT NOT NULL,
            price BIGINT NOT NULL,
            discount_amount BIGINT NOT NULL,
            tax_amount BIGINT NOT NULL,
            net_amount BIGINT NOT NULL,
            total_amount BIGINT NOT NULL,
            warehouse_id TEXT REFERENCES warehouses(warehouse_id),
            PRIMARY KEY (order_id, line_number)
        );
        CREATE TABLE tender_types (
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            tender_type_id TEXT NOT NULL,
            name TEXT NOT NULL,
            operation_type TEXT NOT NULL,
            connector TEXT,
            PRIMARY KEY (channel_id, tender_type_id)
        );
        CREATE TABLE payments (
            id TEXT PRIMARY KEY,
            order_id TEXT REFERENCES sales_orders(id),
            cart_id TEXT,
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            tender_type_id TEXT NOT NULL,
            amount BIGINT NOT NULL,
            currency_code TEXT NOT NULL REFERENCES currencies(code),
            status TEXT NOT NULL,
            connector TEXT,
            authorization_reference TEXT,
            card_token_reference TEXT,
            created_at BIGINT NOT NULL,
            modified_at BIGINT NOT NULL
        );
        CREATE INDEX payments_order ON payments(order_id);
        CREATE TABLE discounts (
            offer_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            discount_type TEXT NOT NULL,
            concurrency_mode TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            percent_off BIGINT,
            amount_off BIGINT,
            deal_price BIGINT,
            threshold_amount BIGINT,
            currency_code TEXT REFERENCES currencies(code),
            requires_code INTEGER NOT NULL DEFAULT 0,
            valid_from BIGINT,
            valid_to BIGINT,
            is_active INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE discount_lines (
            offer_id TEXT NOT NULL REFERENCES discounts(offer_id),
            line_number INTEGER NOT NULL,
            product_id BIGINT REFERENCES products(record_id),
            category_id BIGINT REFERENCES categories(record_id),
            mix_match_group TEXT,
            quantity BIGINT,
            PRIMARY KEY (offer_id, line_number)
        );
        CREATE TABLE channel_discounts (
            channel_id BIGINT NOT NULL REFERENCES channels(record_id),
            offer_id TEXT NOT NULL REFERENCES discounts(offer_id),
            PRIMARY KEY (channel_id, offer_id)
        );
        CREATE TABLE discount_codes (
            code TEXT PRIMARY KEY,
            offer_id TEXT NOT NULL REFERENCES discounts(offer_id),
            valid_from BIGINT,
            valid_to BIGINT,
            usage_limit INTEGER,
            usage_count INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE tax_codes (
            tax_code TEXT PRIMARY KEY,
            name TEXT NOT NULL
        );
        CREATE TABLE tax_rates (
            tax_code TEXT NOT NULL REFERENCES tax_codes(tax_code),
            valid_from BIGINT NOT NULL DEFAULT 0,
            valid_to BIGINT,
            rate_percent BIGINT NOT NULL,
            PRIMARY KEY (tax_code, valid_from)
        );
        CREATE TABLE sales_tax_groups (
            sales_tax_group TEXT NOT NULL,
            tax_code TEXT NOT NULL REFERENCES tax_codes(tax_code),
            PRIMARY KEY (sales_tax_group, tax_code)
        );
        CREATE TABLE item_tax_groups (
            item_tax_group TEXT NOT NULL,
            tax_code TEXT NOT NULL REFERENCES tax_codes(tax_code),
            PRIMARY KEY (item_tax_group, tax_code)
        );
        CREATE TABLE tax_regions (
            country_region_id TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT '',
            sales_tax_group TEXT NOT NULL,
            PRIMARY KEY (country_region_id, state)
        );
        """
}
