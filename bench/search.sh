#!/usr/bin/env bash
# Benchmark: POST /Commerce/Products/Search under load on a catalog of 100,000 standalone
# products (plus the demo's masters and variants) with ten attribute values each (~1M rows).
# Goal (issue 5): p99 < 50 ms.
#
# Run from the repository root:  bench/search.sh
#
# Environment:
#   SKIP_BUILD=1                  use the binaries already in $SCRATCH_PATH
#   SCRATCH_PATH                  SwiftPM scratch path for the release build (default .build-bench)
#   CONFIGURATION                 release (default) or debug (e.g. with SCRATCH_PATH=.build SKIP_BUILD=1)
#   SEEDED_DATABASE               a SQLite file SearchBench seeded before: measure on it, skip seeding
#   SEEDED_POSTGRES=1             the PostgreSQL database is seeded already (SearchBench seed <url>)
#   SKIP_SQLITE=1                 measure PostgreSQL only
#   PRODUCTS                      standalone products to seed (default 100000)
#   CLIENTS                       concurrent clients (default 16)
#   SECONDS_PER_RUN               duration of the measured run (default 20)
#   COMMERCE_BENCH_POSTGRES_URL   also measure on this PostgreSQL database (an empty database;
#                                 SearchBench migrates and seeds it)
#
# 1M products: seed 100k, then copy them nine times with bench/search-clone.sql (its header has
# the commands) and pass the file as SEEDED_DATABASE. SEARCH_KIND=<kind> measures one kind alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCRATCH_PATH=${SCRATCH_PATH:-.build-bench}
CONFIGURATION=${CONFIGURATION:-release}
SEEDED_DATABASE=${SEEDED_DATABASE:-}
PRODUCTS=${PRODUCTS:-100000}
CLIENTS=${CLIENTS:-16}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
RESULTS_DIR=${RESULTS_DIR:-bench/results}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    for product in commerce SearchBench; do
        log "building $product (release, scratch path $SCRATCH_PATH)"
        swift build -c "$CONFIGURATION" --scratch-path "$SCRATCH_PATH" --product "$product"
    done
fi
BIN_DIR=$(swift build -c "$CONFIGURATION" --scratch-path "$SCRATCH_PATH" --show-bin-path)
RUN_DIR="$RESULTS_DIR/search-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN_DIR"

SERVER_PID=""
DATA_DIR=$(mktemp -d)
cleanup() {
    [[ -z $SERVER_PID ]] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT

run() {
    local backend=$1 database=$2 seeded=${3:-} port
    if [[ -z $seeded ]]; then
        log "$backend: seeding $PRODUCTS standalone products and ~1M attribute values"
        "$BIN_DIR/SearchBench" seed "$database" "$PRODUCTS" | tee -a "$RUN_DIR/results.txt"
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    "$BIN_DIR/commerce" serve --port "$port" --database "$database" --log-level warning >"$RUN_DIR/$backend-server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        curl -s -o /dev/null "http://127.0.0.1:$port/health" && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "commerce exited; see $RUN_DIR/$backend-server.log"
        sleep 0.2
    done
    log "$backend: warm-up, then $SECONDS_PER_RUN s with $CLIENTS clients"
    "$BIN_DIR/SearchBench" load "http://127.0.0.1:$port" "$CLIENTS" 5 >/dev/null || die "warm-up failed"
    echo "== $backend" | tee -a "$RUN_DIR/results.txt"
    "$BIN_DIR/SearchBench" load "http://127.0.0.1:$port" "$CLIENTS" "$SECONDS_PER_RUN" | tee -a "$RUN_DIR/results.txt"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

if [[ ${SKIP_SQLITE:-0} == 1 ]]; then
    log "SKIP_SQLITE=1: SQLite not measured"
elif [[ -n $SEEDED_DATABASE ]]; then
    run sqlite "$SEEDED_DATABASE" seeded
else
    run sqlite "$DATA_DIR/channel.sqlite"
fi
if [[ -n ${COMMERCE_BENCH_POSTGRES_URL:-} ]]; then
    run postgres "$COMMERCE_BENCH_POSTGRES_URL" "${SEEDED_POSTGRES:+seeded}"
else
    log "COMMERCE_BENCH_POSTGRES_URL is not set: PostgreSQL not measured"
fi
log "results in $RUN_DIR/results.txt"
