#!/usr/bin/env bash
# Benchmark: the cost of extensions.
#
#  1. One trigger call through the ABI with a 1 KB JSON payload (goal: <= 2 us plus JSON work),
#     measured in-process by ExtensionBench against a Swift trigger and no trigger.
#  2. Throughput of POST /Commerce/Carts('id')/AddCartLines with the three samples of Plugins/
#     loaded vs none (goal: >= 90% of the throughput without extensions). The Rust sample's
#     pre-trigger runs on every request, and the Swift sample's tax override (calling on to the
#     built-in engine) on every recalculation; the C sample is loaded and waits for checkouts.
#
# Run from the repository root:  bench/extensions.sh
#
# Environment:
#   SKIP_BUILD=1     use the binaries already in $SCRATCH_PATH
#   SCRATCH_PATH     SwiftPM scratch path for the release build (default .build-bench)
#   DURATION         wrk duration of each measured run (default 15s)
#   WARMUP           wrk warm-up before each measured run (default 5s)
#   CONNECTIONS      wrk connections (default 32)
#   ROUNDS           alternating rounds of "none" and "samples" (default 2)
#   ITERATIONS       requests per variant and round in the ABI micro-benchmark (default 100000)
#   RESULTS_DIR      raw output (default bench/results, gitignored)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCRATCH_PATH=${SCRATCH_PATH:-.build-bench}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-2}
ITERATIONS=${ITERATIONS:-100000}
RESULTS_DIR=${RESULTS_DIR:-bench/results}
CARTS=64

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }
command -v wrk >/dev/null 2>&1 || die "wrk is not installed (sudo apt-get install -y wrk)"
command -v curl >/dev/null 2>&1 || die "curl is not installed (sudo apt-get install -y curl)"

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    for product in commerce ExtensionBench; do
        log "building $product (release, scratch path $SCRATCH_PATH)"
        swift build -c release --scratch-path "$SCRATCH_PATH" --product "$product"
    done
fi
BIN_DIR=$(swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)

RUN_DIR="$RESULTS_DIR/extensions-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN_DIR"
PLUGINS="$(cd "$RUN_DIR" && pwd)/plugins"
log "building the sample extensions into $PLUGINS"
bash Plugins/build.sh "$PLUGINS" >/dev/null
cc -std=c99 -O2 -fPIC -shared -fvisibility=hidden -I SDK/include -o "$PLUGINS/libbench_trigger.so" bench/ExtensionBench/bench_trigger.c

# --- 1. the ABI call ------------------------------------------------------------------------
log "ABI micro-benchmark ($ITERATIONS requests per variant)"
"$BIN_DIR/ExtensionBench" "$PLUGINS/libbench_trigger.so" "$ITERATIONS" | tee "$RUN_DIR/abi.txt"

# --- 2. AddCartLines throughput -------------------------------------------------------------
cat >"$RUN_DIR/none.json" <<JSON
{"extensions": []}
JSON
cat >"$RUN_DIR/samples.json" <<JSON
{"extensions": [
  {"path": "$PLUGINS/libloyalty.so", "config": {"pointsPerUnit": 1}},
  {"path": "$PLUGINS/libregional_tax.so", "config": {"rates": {"USA-OR": 10}}},
  {"path": "$PLUGINS/libmax_quantity.so", "config": {"maxQuantity": 5}}
]}
JSON

SERVER_PID=""
cleanup() { [[ -z $SERVER_PID ]] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }; }
trap cleanup EXIT

measure() {
    local variant=$1 round=$2 data port
    data=$(mktemp -d)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    "$BIN_DIR/commerce" serve --demo --port "$port" --data-dir "$data" --config "$RUN_DIR/$variant.json" \
        >"$RUN_DIR/$variant-$round.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        curl -s -o /dev/null "http://127.0.0.1:$port/health" && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "commerce ($variant) exited; see $RUN_DIR/$variant-$round.log"
        sleep 0.2
    done
    # Anonymous carts, one product each; every request adds one more unit (the line's quantity
    # grows, the cart keeps one line, so each request does the same work).
    local ids=()
    for _ in $(seq 1 "$CARTS"); do
        ids+=("$(curl -s -X POST -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$port/Commerce/Carts" \
            | python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')")
    done
    {
        echo 'carts = {'
        for id in "${ids[@]}"; do echo "  \"$id\","; done
        echo '}'
        echo 'counter = 0'
        echo 'request = function()'
        echo '  counter = counter + 1'
        echo '  local cart = carts[(counter % #carts) + 1]'
        echo "  return wrk.format(\"POST\", \"/Commerce/Carts('\" .. cart .. \"')/AddCartLines\", {[\"Content-Type\"] = \"application/json\"}, '{\"cartLines\":[{\"ProductId\":68719476738,\"Quantity\":1}]}')"
        echo 'end'
    } >"$RUN_DIR/add.lua"
    wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -s "$RUN_DIR/add.lua" "http://127.0.0.1:$port" >/dev/null
    wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s "$RUN_DIR/add.lua" "http://127.0.0.1:$port" >"$RUN_DIR/$variant-$round.wrk"
    grep -q "Non-2xx" "$RUN_DIR/$variant-$round.wrk" && die "non-2xx answers in $variant round $round: see $RUN_DIR/$variant-$round.wrk"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    rm -rf "$data"
    awk '/Requests\/sec/ {print $2}' "$RUN_DIR/$variant-$round.wrk"
}

declare -A total=([none]=0 [samples]=0)
for round in $(seq 1 "$ROUNDS"); do
    for variant in none samples; do
        rate=$(measure "$variant" "$round")
        log "round $round, $variant: $rate AddCartLines/s"
        total[$variant]=$(python3 -c "print(${total[$variant]} + $rate)")
    done
done
python3 - "${total[none]}" "${total[samples]}" "$ROUNDS" <<'PY' | tee "$RUN_DIR/throughput.txt"
import sys
none, samples, rounds = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"AddCartLines without extensions: {none / rounds:8.0f} req/s (mean of {rounds})")
print(f"AddCartLines with the 3 samples: {samples / rounds:8.0f} req/s")
print(f"ratio: {samples / none:.2f} (goal: >= 0.90)")
PY
log "raw output in $RUN_DIR"
