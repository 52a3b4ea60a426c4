#!/usr/bin/env bash
# Runs the shared peer harness with arignote as one more library (see benchmarks/README.md).
# Extra arguments go to the harness (e.g. --quick, --workloads w1,w3, --libs ...).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${BENCH_PYTHON:-$HOME/bench-venv/bin/python}"
cd "$here/../shared"
exec "$python" -m bench.run --workloads w1,w2,w3,w4,w5,w8,w9 \
    --libs arignote,pytensor_c,pytensor,jax,torch,torch_compile,numpy,numexpr \
    --baseline pytensor_c --md "$here/benchmarks/results.md" --json "$here/benchmarks/results.json" "$@"
