#!/usr/bin/env bash
# Benchmark: CPU per cart request inside the Commerce Runtime, without HTTP (bench/CartBench):
# CalculateCartTotals, AddCartLines, UpdateCart and the whole checkout flow of
# bench/checkout.sh, one request after another. It separates what the runtime and the channel
# database cost from the HTTP layer and the load client that bench/checkout.sh includes
# (issue 6). CPU time is reported beside wall time because it stays meaningful on a busy machine.
#
# Run from the repository root:  bench/cart.sh
# Environment: as bench/pricing.sh (SKIP_BUILD, SCRATCH_PATH, ITERATIONS, COMMERCE_BENCH_POSTGRES_URL).
set -euo pipefail
BENCH_PRODUCT=CartBench exec "$(dirname "${BASH_SOURCE[0]}")/pricing.sh" "$@"
