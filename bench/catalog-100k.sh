#!/usr/bin/env bash
# Benchmark of the OData issue: product by key and a filtered, ordered page of products on a
# catalog of 100,000 standalone products (plus the demo's variants), next to bare Hummingbird.
#
#   bench/catalog-100k.sh       # builds, seeds (takes a while), measures; options as bench/products-by-key.sh
#
# The list query filters on price, orders by name and takes 20: the database walks the name
# index and stops after a page. LIST_QUERY overrides it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEMO_PRODUCTS=${DEMO_PRODUCTS:-100000}
export LIST_QUERY=${LIST_QUERY:-'$filter=BasePrice%20gt%20100&$orderby=Name&$top=20'}
exec bench/products-by-key.sh "$@"
