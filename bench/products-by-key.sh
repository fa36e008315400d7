#!/usr/bin/env bash
# Benchmark: GET /Commerce/Products(<key>) on the engine vs GET /hello on a bare Hummingbird server,
# and vs the bare server's GET /point/<key> (the same row read from the same SQLite file).
#
# Run from the repository root:
#   bench/products-by-key.sh
#
# Environment:
#   SKIP_BUILD=1        do not (re)build; use the binaries already in $SCRATCH_PATH
#   SCRATCH_PATH        SwiftPM scratch path for the release build (default .build-bench)
#   DURATION            wrk duration of each measured run (default 15s)
#   WARMUP              wrk duration of the warm-up run before each measured run (default 5s)
#   THREADS             wrk threads (default 1)
#   CONNECTIONS         wrk connections; a space-separated list runs one round per value (default 32)
#   PRODUCT_KEY         product RecordId to fetch (default 68719476737, the first demo product)
#   RESULTS_DIR         where raw wrk output and server logs go (default bench/results, gitignored)
#   DEMO_PRODUCTS       standalone products the demo seeds (default 1000; bench/catalog-100k.sh uses 100000)
#   LIST_QUERY          when set, also measures GET /Commerce/Products?<LIST_QUERY> (goal: >= 15k req/s)
#   SPREAD_KEYS         when set, also measures reads by key spread at random over that many of the
#                       demo's standalone products (bench/spread-keys.lua), as sent and computed
#
# The engine keeps anonymous catalog answers in memory while master data is unchanged (README,
# "Answers kept in memory"), so repeated reads of one URL are answered from memory. Each engine
# read is measured twice: as sent, and with `Cache-Control: no-cache`, which makes the engine
# compute every answer (a first visit, or a catalog that keeps changing).
#
# The two servers are measured one after the other, never concurrently: on a small machine wrk
# and the server under test already share the same cores.
#
# Exits non-zero when a measured run reports non-2xx/3xx responses (the numbers would be
# measuring error paths), when a server fails to start, or when the product is not found.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCRATCH_PATH=${SCRATCH_PATH:-.build-bench}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-5s}
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-32}
PRODUCT_KEY=${PRODUCT_KEY:-68719476737}
RESULTS_DIR=${RESULTS_DIR:-bench/results}
STARTUP_TIMEOUT=${STARTUP_TIMEOUT:-600}
DEMO_PRODUCTS=${DEMO_PRODUCTS:-}
LIST_QUERY=${LIST_QUERY:-}
SPREAD_KEYS=${SPREAD_KEYS:-}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

# --- wrk ---------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "wrk is missing; installing it with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    else
        die "wrk is not installed. Install it with: sudo apt-get update && sudo apt-get install -y wrk (Debian/Ubuntu) or brew install wrk (macOS)"
    fi
fi
command -v curl >/dev/null 2>&1 || die "curl is not installed (apt-get install -y curl)"

# --- build -------------------------------------------------------------------------------------
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    for product in commerce HelloBench; do
        log "building $product (release, scratch path $SCRATCH_PATH)"
        swift build -c release --scratch-path "$SCRATCH_PATH" --product "$product"
    done
fi
BIN_DIR=$(swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)
COMMERCE_BIN="$BIN_DIR/commerce"
HELLO_BIN="$BIN_DIR/HelloBench"
[[ -x $COMMERCE_BIN ]] || die "$COMMERCE_BIN not found (run without SKIP_BUILD=1)"
[[ -x $HELLO_BIN ]] || die "$HELLO_BIN not found (run without SKIP_BUILD=1)"

mkdir -p "$RESULTS_DIR"
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
RUN_DIR="$RESULTS_DIR/$RUN_ID"
mkdir -p "$RUN_DIR"

# --- servers -----------------------------------------------------------------------------------
HELLO_PID=""
COMMERCE_PID=""
DATA_DIR=$(mktemp -d)

stop_server() {
    local pid=$1
    [[ -n $pid ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    stop_server "$HELLO_PID"
    stop_server "$COMMERCE_PID"
    wait 2>/dev/null || true
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local port
    while true; do
        port=$((20000 + RANDOM % 40000))
        port_in_use "$port" || { echo "$port"; return; }
    done
}

# wait_http URL PID NAME: waits until URL answers 200, or fails when PID dies or on timeout.
wait_http() {
    local url=$1 pid=$2 name=$3 deadline=$((SECONDS + STARTUP_TIMEOUT))
    while ((SECONDS < deadline)); do
        kill -0 "$pid" 2>/dev/null || return 1
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true) == 200 ]]; then
            return 0
        fi
        sleep 0.2
    done
    die "$name did not answer 200 on $url within ${STARTUP_TIMEOUT}s"
}

# HelloBench takes its port as an argument; retry with another port if it loses a bind race.
for attempt in 1 2 3 4 5; do
    HELLO_PORT=$(free_port)
    # The database file does not exist yet: HelloBench opens it on the first /point request.
    "$HELLO_BIN" "$HELLO_PORT" "$DATA_DIR/channel.sqlite" >"$RUN_DIR/hello.log" 2>&1 &
    HELLO_PID=$!
    if wait_http "http://127.0.0.1:$HELLO_PORT/hello" "$HELLO_PID" HelloBench; then
        break
    fi
    log "HelloBench exited on port $HELLO_PORT (attempt $attempt); see $RUN_DIR/hello.log"
    HELLO_PID=""
    [[ $attempt -lt 5 ]] || die "HelloBench would not start"
done
HELLO_URL="http://127.0.0.1:$HELLO_PORT/hello"
log "HelloBench (pid $HELLO_PID) on $HELLO_URL"

DEMO_ARGS=()
[[ -z $DEMO_PRODUCTS ]] || DEMO_ARGS=(--demo-products "$DEMO_PRODUCTS")
log "starting commerce (seeding ${DEMO_PRODUCTS:-1000} standalone products)"
"$COMMERCE_BIN" serve --demo "${DEMO_ARGS[@]}" --port 0 --data-dir "$DATA_DIR" --log-level warning \
    >"$RUN_DIR/commerce.stdout" 2>"$RUN_DIR/commerce.stderr" &
COMMERCE_PID=$!
COMMERCE_PORT=""
deadline=$((SECONDS + STARTUP_TIMEOUT))
while ((SECONDS < deadline)); do
    kill -0 "$COMMERCE_PID" 2>/dev/null || { cat "$RUN_DIR/commerce.stderr" >&2; die "commerce exited during start-up"; }
    COMMERCE_PORT=$(sed -n 's|^commerce listening on http://[^:]*:\([0-9]*\).*|\1|p' "$RUN_DIR/commerce.stdout" | head -n 1)
    [[ -n $COMMERCE_PORT ]] && break
    sleep 0.2
done
[[ -n $COMMERCE_PORT ]] || die "commerce did not print its listening line within ${STARTUP_TIMEOUT}s"
wait_http "http://127.0.0.1:$COMMERCE_PORT/health" "$COMMERCE_PID" commerce \
    || { cat "$RUN_DIR/commerce.stderr" >&2; die "commerce exited before answering /health"; }
PRODUCT_URL="http://127.0.0.1:$COMMERCE_PORT/Commerce/Products($PRODUCT_KEY)"
log "commerce (pid $COMMERCE_PID) on http://127.0.0.1:$COMMERCE_PORT, data dir $DATA_DIR"

# The product must exist: benchmarking a 404 would measure the error path.
status=$(curl -s -o "$RUN_DIR/product.json" -w '%{http_code}' --max-time 5 "$PRODUCT_URL" || true)
[[ $status == 200 ]] || { cat "$RUN_DIR/product.json" >&2 || true; die "GET $PRODUCT_URL answered $status, expected 200"; }
log "GET /Commerce/Products($PRODUCT_KEY) -> 200, $(wc -c <"$RUN_DIR/product.json") bytes"
log "GET /hello -> $(curl -s --max-time 5 "$HELLO_URL" | wc -c) bytes"
# The floor for a read by key: the bare server's route that reads the same row from the same file.
POINT_URL="http://127.0.0.1:$HELLO_PORT/point/$PRODUCT_KEY"
status=$(curl -s -o "$RUN_DIR/point.json" -w '%{http_code}' --max-time 5 "$POINT_URL" || true)
[[ $status == 200 ]] || die "GET $POINT_URL answered $status, expected 200"
log "GET /point/$PRODUCT_KEY -> 200, $(wc -c <"$RUN_DIR/point.json") bytes"
LIST_URL=""
if [[ -n $LIST_QUERY ]]; then
    LIST_URL="http://127.0.0.1:$COMMERCE_PORT/Commerce/Products?$LIST_QUERY"
    status=$(curl -s -o "$RUN_DIR/list.json" -w '%{http_code}' --max-time 10 "$LIST_URL" || true)
    [[ $status == 200 ]] || { cat "$RUN_DIR/list.json" >&2 || true; die "GET $LIST_URL answered $status, expected 200"; }
    log "GET /Commerce/Products?$LIST_QUERY -> 200, $(wc -c <"$RUN_DIR/list.json") bytes; catalog of $(curl -s "http://127.0.0.1:$COMMERCE_PORT/Commerce/Products/\$count" || true) products"
fi

# --- wrk ---------------------------------------------------------------------------------------
# Numbers from wrk --latency output.
rps_of() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
pct_of() { awk -v p="$2%" '$1 == p { print $2; exit }' "$1"; }
non2xx_of() { awk '/Non-2xx or 3xx responses:/ { print $NF; found = 1 } END { if (!found) print 0 }' "$1"; }
socket_errors_of() { grep -E '^ +Socket errors:' "$1" | sed 's/^ *//' || true; }
requests_of() { awk '/requests in/ { print $1; exit }' "$1"; }

FAILED=0
ROWS=()
LIST_ROWS=()
MACHINE_CPUS=$(nproc)

# run_wrk NAME URL CONNECTIONS [WRK ARGUMENTS...]: warm-up, then a measured run; raw output in $RUN_DIR.
run_wrk() {
    local name=$1 url=$2 conns=$3 out="$RUN_DIR/wrk-$1-c$3.txt"
    local extra=("${@:4}")
    log "wrk warm-up $name: -t$THREADS -c$conns -d$WARMUP ${extra[*]} $url"
    wrk -t"$THREADS" -c"$conns" -d"$WARMUP" "${extra[@]}" "$url" >"$RUN_DIR/wrk-$name-c$conns-warmup.txt"
    log "wrk measure $name: -t$THREADS -c$conns -d$DURATION --latency ${extra[*]} $url"
    wrk -t"$THREADS" -c"$conns" -d"$DURATION" --latency "${extra[@]}" "$url" >"$out"
    local errors
    errors=$(socket_errors_of "$out")
    [[ -z $errors ]] || log "warning: $name: $errors"
    echo "$out"
}

printf '\n'
for conns in $CONNECTIONS; do
    hello_out=$(run_wrk hello "$HELLO_URL" "$conns")
    point_out=$(run_wrk point "$POINT_URL" "$conns")
    product_out=$(run_wrk product "$PRODUCT_URL" "$conns")
    # The same read computed every time: what a first visit, or a catalog that changes, costs.
    computed_out=$(run_wrk computed "$PRODUCT_URL" "$conns" -H "Cache-Control: no-cache")
    computed_rps=$(rps_of "$computed_out")
    [[ $(non2xx_of "$computed_out") == 0 ]] || { log "FAILURE: the computed read answered non-2xx/3xx responses (see $computed_out)"; FAILED=1; }
    point_rps=$(rps_of "$point_out")
    [[ $(non2xx_of "$point_out") == 0 ]] || { log "FAILURE: the point read answered non-2xx/3xx responses (see $point_out)"; FAILED=1; }
    point_ratio=$(awk -v a="$point_rps" -v b="$(rps_of "$hello_out")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    engine_point=$(awk -v a="$(rps_of "$product_out")" -v b="$point_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')

    hello_rps=$(rps_of "$hello_out");     product_rps=$(rps_of "$product_out")
    hello_p50=$(pct_of "$hello_out" 50);  product_p50=$(pct_of "$product_out" 50)
    hello_p99=$(pct_of "$hello_out" 99);  product_p99=$(pct_of "$product_out" 99)
    hello_non2xx=$(non2xx_of "$hello_out"); product_non2xx=$(non2xx_of "$product_out")
    for pair in "hello:$hello_non2xx:$hello_out" "product:$product_non2xx:$product_out"; do
        IFS=: read -r name count out <<<"$pair"
        if [[ $count != 0 ]]; then
            log "FAILURE: $name answered $count non-2xx/3xx responses (see $out)"
            FAILED=1
        fi
    done
    [[ -n $hello_rps && -n $product_rps ]] || { log "FAILURE: could not read Requests/sec from wrk output"; FAILED=1; }
    ratio=$(awk -v a="$product_rps" -v b="$hello_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    goal=$(awk -v r="$ratio" 'BEGIN { print (r + 0 >= 0.7) ? "met" : "NOT met" }')

    cat <<EOF
== wrk -t$THREADS -c$conns -d$DURATION (after a $WARMUP warm-up), $MACHINE_CPUS CPUs shared by wrk and the server ==
bare Hummingbird  GET /hello                          $hello_rps req/s   p50 $hello_p50   p99 $hello_p99   requests $(requests_of "$hello_out")   non-2xx $hello_non2xx
engine            GET /Commerce/Products($PRODUCT_KEY)  $product_rps req/s   p50 $product_p50   p99 $product_p99   requests $(requests_of "$product_out")   non-2xx $product_non2xx
engine, computed  same, with Cache-Control: no-cache    $computed_rps req/s   p50 $(pct_of "$computed_out" 50)   p99 $(pct_of "$computed_out" 99)   ($(awk -v a="$computed_rps" -v b="$hello_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b }')x of bare)
bare + SQLite     GET /point/$PRODUCT_KEY (one point read)   $point_rps req/s   p50 $(pct_of "$point_out" 50)   p99 $(pct_of "$point_out" 99)   requests $(requests_of "$point_out")
ratio engine/bare  ${ratio}x   (goal >= 0.7x: $goal)
ratio point/bare   ${point_ratio}x   (the floor of a read by key on this machine; the issue measured 0.74x-0.87x)
ratio engine/point ${engine_point}x
raw output: $hello_out, $point_out, $product_out, $computed_out

EOF
    ROWS+=("| $(date -u +%Y-%m-%d) | $THREADS | $conns | $DURATION | $hello_rps | $hello_p50 | $hello_p99 | $point_rps (${point_ratio}x) | $product_rps | $product_p50 | $product_p99 | ${ratio}x | ${engine_point}x | $computed_rps | $goal |")

    if [[ -n $SPREAD_KEYS ]]; then
        spread_out=$(SPREAD_KEYS=$SPREAD_KEYS run_wrk spread "http://127.0.0.1:$COMMERCE_PORT" "$conns" -s bench/spread-keys.lua)
        spread_computed_out=$(SPREAD_KEYS=$SPREAD_KEYS run_wrk spread-computed "http://127.0.0.1:$COMMERCE_PORT" "$conns" -s bench/spread-keys.lua -H "Cache-Control: no-cache")
        for out in "$spread_out" "$spread_computed_out"; do
            [[ $(non2xx_of "$out") == 0 ]] || { log "FAILURE: a spread read answered non-2xx/3xx responses (see $out)"; FAILED=1; }
        done
        printf 'engine            GET /Commerce/Products(<one of the first %s products, at random>)\n' "$SPREAD_KEYS"
        printf '                  %s req/s   p50 %s   p99 %s   computed (no-cache) %s req/s   p50 %s\n\n' \
            "$(rps_of "$spread_out")" "$(pct_of "$spread_out" 50)" "$(pct_of "$spread_out" 99)" \
            "$(rps_of "$spread_computed_out")" "$(pct_of "$spread_computed_out" 50)"
    fi

    if [[ -n $LIST_URL ]]; then
        list_out=$(run_wrk list "$LIST_URL" "$conns")
        list_computed_out=$(run_wrk list-computed "$LIST_URL" "$conns" -H "Cache-Control: no-cache")
        list_rps=$(rps_of "$list_out"); list_non2xx=$(non2xx_of "$list_out")
        list_computed_rps=$(rps_of "$list_computed_out")
        [[ $list_non2xx == 0 ]] || { log "FAILURE: list answered $list_non2xx non-2xx/3xx responses (see $list_out)"; FAILED=1; }
        [[ $(non2xx_of "$list_computed_out") == 0 ]] || { log "FAILURE: the computed list answered non-2xx/3xx responses"; FAILED=1; }
        list_goal=$(awk -v r="$list_rps" 'BEGIN { print (r + 0 >= 15000) ? "met" : "NOT met" }')
        printf 'engine            GET /Commerce/Products?%s\n' "$LIST_QUERY"
        printf '                  %s req/s   p50 %s   p99 %s   requests %s   non-2xx %s   (goal >= 15000 req/s: %s)\n\n' \
            "$list_rps" "$(pct_of "$list_out" 50)" "$(pct_of "$list_out" 99)" "$(requests_of "$list_out")" "$list_non2xx" "$list_goal"
        printf '  computed (no-cache) %s req/s   p50 %s   p99 %s\n\n' "$list_computed_rps" "$(pct_of "$list_computed_out" 50)" "$(pct_of "$list_computed_out" 99)"
        LIST_ROWS+=("| $(date -u +%Y-%m-%d) | $conns | $DURATION | ${DEMO_PRODUCTS:-1000} standalone | \`$LIST_QUERY\` | $list_rps | $(pct_of "$list_out" 50) | $(pct_of "$list_out" 99) | $list_computed_rps | $list_goal |")
    fi
done

echo "Markdown:"
echo
echo "| date (UTC) | wrk threads | connections | duration | /hello req/s | /hello p50 | /hello p99 | /point req/s (of /hello) | Products(key) req/s | Products(key) p50 | Products(key) p99 | engine/bare | engine/point | computed (no-cache) req/s | goal >= 0.7x |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${ROWS[@]}"
if ((${#LIST_ROWS[@]} > 0)); then
    echo
    echo "| date (UTC) | connections | duration | catalog | query | req/s | p50 | p99 | computed (no-cache) req/s | goal >= 15k req/s |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${LIST_ROWS[@]}"
fi

if [[ -s $RUN_DIR/commerce.stderr ]]; then
    log "commerce wrote to stderr during the run (see $RUN_DIR/commerce.stderr):"
    tail -n 5 "$RUN_DIR/commerce.stderr" >&2
fi

if [[ $FAILED != 0 ]]; then
    log "FAILED: some measured run answered non-2xx/3xx responses; the numbers above are not valid"
    exit 1
fi
