#!/usr/bin/env bash
# Benchmark: CPU per cart request inside the Commerce Runtime, without HTTP (bench/CartBench):
# CalculateCartTotals, AddCartLines, UpdateCart and the whole checkout flow of
# bench/checkout.sh, one request after another. It separates what the runtime and the channel
# database cost from the HTTP layer and the load client that bench/checkout.sh includes
# (issue 6). CPU time is reported beside wall time because it stays meaningful on a busy machine.
#
# Run from the repository root:  bench/cart.sh
#
# Environment:
#   SKIP_BUILD=1                  use the binary already in $SCRATCH_PATH
#   SCRATCH_PATH                  SwiftPM scratch path for the release build (default .build-bench)
#   ITERATIONS                    requests (flows) measured one after another (default 2000)
#   COMMERCE_BENCH_POSTGRES_URL   also measure on this PostgreSQL database (empty, or already
#                                 holding the demo data)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCRATCH_PATH=${SCRATCH_PATH:-.build-bench}
ITERATIONS=${ITERATIONS:-2000}

log() { printf '[bench] %s\n' "$*" >&2; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building CartBench (release, scratch path $SCRATCH_PATH)"
    swift build -c release --scratch-path "$SCRATCH_PATH" --product CartBench
fi
BIN_DIR=$(swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u)"
log "SQLite (fresh file with the demo data)"
"$BIN_DIR/CartBench" "$ITERATIONS"
if [[ -n ${COMMERCE_BENCH_POSTGRES_URL:-} ]]; then
    log "PostgreSQL ($COMMERCE_BENCH_POSTGRES_URL)"
    "$BIN_DIR/CartBench" "$ITERATIONS" "$COMMERCE_BENCH_POSTGRES_URL"
fi
