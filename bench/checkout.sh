#!/usr/bin/env bash
# Benchmark: the full checkout flow (create cart, 3 x AddCartLines, PATCH address, Checkout with
# the test connector) with many concurrent clients; reports checkouts/s and p50/p99 per step.
# Goal (issue 6): >= 2,000 checkouts/s on SQLite on 2 cores.
#
# Run from the repository root:  bench/checkout.sh
#
# Environment:
#   SKIP_BUILD=1                  use the binaries already in $SCRATCH_PATH
#   SCRATCH_PATH                  SwiftPM scratch path for the release build (default .build-bench)
#   CLIENTS                       concurrent clients, one run per number (default "32 64 128": 32
#                                 leaves the server below saturation, 128 saturates it)
#   SECONDS_PER_RUN               duration of each measured run (default 20)
#   COMMERCE_BENCH_POSTGRES_URL   also measure on this PostgreSQL database (an empty database;
#                                 the host migrates and seeds it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCRATCH_PATH=${SCRATCH_PATH:-.build-bench}
CLIENTS=${CLIENTS:-32 64 128}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
RESULTS_DIR=${RESULTS_DIR:-bench/results}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    for product in commerce CheckoutBench; do
        log "building $product (release, scratch path $SCRATCH_PATH)"
        swift build -c release --scratch-path "$SCRATCH_PATH" --product "$product"
    done
fi
BIN_DIR=$(swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)
RUN_DIR="$RESULTS_DIR/checkout-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN_DIR"

SERVER_PID=""
# User plus system CPU of the server so far, in clock ticks (Linux; empty elsewhere).
cpu_ticks() { if [[ -r /proc/$SERVER_PID/stat ]]; then awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; fi; }
# The same for the SQLite writer thread alone (named `sqlite-writer`); 0 when there is none (PostgreSQL).
writer_ticks() {
    local task
    for task in /proc/$SERVER_PID/task/*; do
        if [[ $(cat "$task/comm" 2>/dev/null) == sqlite-writer ]]; then awk '{ print $14 + $15 }' "$task/stat"; return; fi
    done
    echo 0
}
cleanup() { [[ -z $SERVER_PID ]] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }; }
trap cleanup EXIT

run() {
    local backend=$1 database=$2 clients=$3 port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    "$BIN_DIR/commerce" serve --demo --port "$port" --database "$database" >"$RUN_DIR/$backend-server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        curl -s -o /dev/null "http://127.0.0.1:$port/health" && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "commerce exited; see $RUN_DIR/$backend-server.log"
        sleep 0.2
    done
    log "$backend: warm-up, then $SECONDS_PER_RUN s with $clients clients"
    "$BIN_DIR/CheckoutBench" "http://127.0.0.1:$port" "$database" "$clients" 5 >/dev/null || die "warm-up failed"
    echo "== $backend, $clients clients" | tee -a "$RUN_DIR/results.txt"
    local before after writer_before writer_after machine_before machine_after
    before=$(cpu_ticks); writer_before=$(writer_ticks); machine_before=$(head -1 /proc/stat 2>/dev/null || true)
    "$BIN_DIR/CheckoutBench" "http://127.0.0.1:$port" "$database" "$clients" "$SECONDS_PER_RUN" | tee -a "$RUN_DIR/checkout.txt" "$RUN_DIR/results.txt"
    after=$(cpu_ticks); writer_after=$(writer_ticks); machine_after=$(head -1 /proc/stat 2>/dev/null || true)
    # Server CPU per checkout and how busy the machine was: throughput alone cannot tell a
    # CPU-bound run from one bound by the writer (see BENCHMARKS.md, checkout).
    if [[ -n $before && -n $after && -n $machine_before ]]; then
        local completed client
        completed=$(sed -n 's/^checkouts\/s: .*(\([0-9]*\) completed)$/\1/p' "$RUN_DIR/checkout.txt" | tail -1)
        client=$(sed -n 's/^load client CPU: \([0-9.]*\) ms per checkout$/\1/p' "$RUN_DIR/checkout.txt" | tail -1)
        # The load client does the same work per checkout in every run, so its CPU per checkout
        # shows how fast the machine ran (this kind of VM varies by a third within minutes).
        # The server's CPU in units of it takes most of that variation out, not all: the
        # server's larger working set suffers more in a slow phase (BENCHMARKS.md, checkout,
        # twelfth measurement).
        awk -v ticks=$((after - before)) -v writer=$((writer_after - writer_before)) -v hz="$(getconf CLK_TCK)" -v done="$completed" \
            -v m1="$machine_before" -v m2="$machine_after" -v client="${client:-0}" 'BEGIN {
            n = split(m2, b, " "); split(m1, a, " "); total = 0; for (i = 2; i <= n; i++) total += b[i] - a[i]
            if (done <= 0) exit
            server = ticks / hz * 1000 / done
            printf "server CPU: %.2f ms per checkout", server
            if (writer > 0) printf " (the SQLite writer thread: %.2f ms)", writer / hz * 1000 / done
            printf "; machine idle %.0f%%", (b[5] - a[5]) * 100 / total
            if (client > 0) printf "; server CPU / load client CPU: %.1f", server / client
            printf "\n"
        }' | tee -a "$RUN_DIR/results.txt"
    fi
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

for clients in $CLIENTS; do
    # A fresh database per run, so that no run inherits the carts and orders of the one before.
    DATA_DIR=$(mktemp -d)
    run sqlite "$DATA_DIR/channel.sqlite" "$clients"
    rm -rf "$DATA_DIR"
done
if [[ -n ${COMMERCE_BENCH_POSTGRES_URL:-} ]]; then
    for clients in $CLIENTS; do run postgres "$COMMERCE_BENCH_POSTGRES_URL" "$clients"; done
else
    log "COMMERCE_BENCH_POSTGRES_URL is not set: PostgreSQL not measured"
fi
log "results in $RUN_DIR/results.txt"
