#!/usr/bin/env bash
# Benchmark: price + discount + tax calculation of a 20-line cart with every kind of demo
# discount and a code (bench/PricingBench). Goal (issue 5): < 1 ms per cart.
#
# Run from the repository root:  bench/pricing.sh
#
# Environment:
#   BENCH_PRODUCT                 the in-process benchmark to run (default PricingBench;
#                                 bench/cart.sh runs CartBench through this script)
#   SKIP_BUILD=1                  use the binary already in $SCRATCH_PATH
#   SCRATCH_PATH                  SwiftPM scratch path for the release build (default .build-bench)
#   ITERATIONS                    carts measured one after another (default 2000)
#   COMMERCE_BENCH_POSTGRES_URL   also measure on this PostgreSQL database (empty, or already
#                                 holding the demo data)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCRATCH_PATH=${SCRATCH_PATH:-.build-bench}
ITERATIONS=${ITERATIONS:-2000}
BENCH_PRODUCT=${BENCH_PRODUCT:-PricingBench}

log() { printf '[bench] %s\n' "$*" >&2; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building $BENCH_PRODUCT (release, scratch path $SCRATCH_PATH)"
    swift build -c release --scratch-path "$SCRATCH_PATH" --product "$BENCH_PRODUCT"
fi
BIN_DIR=$(swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u)"
log "SQLite (fresh file with the demo data)"
"$BIN_DIR/$BENCH_PRODUCT" "$ITERATIONS"
if [[ -n ${COMMERCE_BENCH_POSTGRES_URL:-} ]]; then
    log "PostgreSQL"
    "$BIN_DIR/$BENCH_PRODUCT" "$ITERATIONS" "$COMMERCE_BENCH_POSTGRES_URL"
fi
