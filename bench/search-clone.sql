-- Makes a SearchBench catalog ten times larger, for the 1M-product search measurement:
--
--   .build-bench/release/SearchBench seed /tmp/search/1m.sqlite 100000   (100k products, 1M attribute values)
--   sqlite3 /tmp/search/1m.sqlite < bench/search-clone.sql                 (1M products, 10M attribute values)
--   SKIP_BUILD=1 SEEDED_DATABASE=/tmp/search/1m.sqlite CLIENTS=4 bench/search.sh
--
-- Each of the 100,140 products is copied nine times with record ids 1,000,000 apart, item ids
-- with a suffix (-1 ... -9), its attribute values, channel assortment and categories, so word
-- frequencies scale with the catalog. The database must be migrated by the commerce binary that
-- will serve it (run it once, or `commerce migrate --database <file>`), so that the search
-- indexes of its schema exist; their triggers index the copies. Attribute values go in before
-- their products (the sqlite3 shell does not enforce foreign keys), so each copy is indexed
-- once with all its text instead of once per attribute value. About 5 minutes on 2 cores.
PRAGMA foreign_keys = OFF;
PRAGMA cache_size = -400000;
BEGIN;
CREATE TEMP TABLE copies(n INTEGER);
INSERT INTO copies VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9);
CREATE TEMP TABLE base_products AS SELECT * FROM products;
CREATE TEMP TABLE base_attributes AS SELECT * FROM product_attribute_values;
INSERT INTO product_attribute_values (product_id, attribute_id, text_value, number_value)
    SELECT a.product_id + c.n * 1000000, a.attribute_id, a.text_value, a.number_value FROM base_attributes a, copies c
    ORDER BY c.n, a.product_id;
INSERT INTO products (record_id, item_id, master_product_id, is_master, name, description, unit_of_measure, base_price,
                      item_tax_group, color, size, style, configuration, created_at, modified_at)
    SELECT p.record_id + c.n * 1000000, p.item_id || '-' || c.n,
           CASE WHEN p.master_product_id IS NULL THEN NULL ELSE p.master_product_id + c.n * 1000000 END,
           p.is_master, p.name, p.description, p.unit_of_measure, p.base_price, p.item_tax_group, p.color, p.size, p.style,
           p.configuration, p.created_at, p.modified_at
    FROM base_products p, copies c ORDER BY c.n, p.record_id;
INSERT INTO channel_products (channel_id, product_id)
    SELECT cp.channel_id, cp.product_id + c.n * 1000000 FROM channel_products cp, copies c
    WHERE cp.product_id IN (SELECT record_id FROM base_products);
INSERT INTO product_categories (product_id, category_id)
    SELECT pc.product_id + c.n * 1000000, pc.category_id FROM product_categories pc, copies c
    WHERE pc.product_id IN (SELECT record_id FROM base_products);
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SELECT count(*) AS products FROM products;
