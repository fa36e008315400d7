#!/usr/bin/env bash
# Benchmark: CPU per read request of the consumer API without the network (bench/ReadPathBench):
# the host's own responder answers GET /health, the service document, a product by key and the
# filtered, ordered list of issue 3, built in memory, one after another on one task. It shows
# what our code costs apart from NIO, HTTP parsing, the kernel and wrk, which
# bench/products-by-key.sh includes (issues 2 and 3). Lowest and median of several rounds,
# because on a shared machine single runs move by a fifth.
#
# Run from the repository root:  bench/read-path.sh
# Environment: as bench/pricing.sh (SKIP_BUILD, SCRATCH_PATH, ITERATIONS per round,
# COMMERCE_BENCH_POSTGRES_URL), plus READ_PATH_ROUNDS (default 9), READ_PATH_KINDS (a comma
# list of health, service, key, list) and READ_PATH_TIMEOUT (seconds; 0 runs without a deadline).
set -euo pipefail
ITERATIONS=${ITERATIONS:-5000} BENCH_PRODUCT=ReadPathBench exec "$(dirname "${BASH_SOURCE[0]}")/pricing.sh" "$@"
