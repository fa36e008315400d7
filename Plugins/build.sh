#!/usr/bin/env bash
# Builds the three sample extensions into OUT (default ./.build-plugins):
#   libloyalty.so (C), libregional_tax.so (Swift), libmax_quantity.so (Rust).
# The test suite runs this; partners can read it as the build recipe for each language.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sdk="$here/../SDK"
out="$(mkdir -p "${1:-$here/../.build-plugins}" && cd "${1:-$here/../.build-plugins}" && pwd)"

# C: the header only; hidden visibility so only the two entry points are exported.
cc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -fPIC -shared -fvisibility=hidden \
  -I "$sdk/include" -o "$out/libloyalty.so" "$here/c-loyalty/loyalty.c"

# Swift: must be the host's toolchain; the extension records which one it was.
swift_version=$(swiftc --version 2>&1 | sed -n 's/.*Swift version \([0-9][0-9.]*\).*/\1/p' | head -n 1)
printf 'let builtWithSwift: StaticString = "%s"\n' "$swift_version" > "$out/Toolchain.swift"
swiftc -emit-library -parse-as-library -O -module-name RegionalTax -I "$sdk/swift" \
  -o "$out/libregional_tax.so" "$here/swift-tax/TaxOverride.swift" "$out/Toolchain.swift"

# Rust: std only, no crates, so it builds offline.
CARGO_TARGET_DIR="$out/cargo" cargo build --release --offline --quiet --manifest-path "$here/rust-max-quantity/Cargo.toml"
cp "$out/cargo/release/libmax_quantity.so" "$out/libmax_quantity.so"
