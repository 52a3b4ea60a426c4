#!/usr/bin/env bash
# The device check of issue 12: one command, run from the repository root on a machine with an
# NVIDIA GPU and no network.  It
#   1. installs the wheels carried in .whl/ (if any) into /tmp/site (no index, no deps),
#   2. prints the environment (nvidia-smi, Python and package versions, what arignote finds),
#   3. runs the CUDA tests (pytest -m cuda) with a per-test timeout,
#   4. runs benchmarks/gpu_bench.py (the GPU benchmarks against PyTorch and CuPy),
# and writes everything to $OUT/gpu_check.log and the table to $OUT/gpu_bench.md (to
# /tmp/arignote-gpu-check when $OUT is unset).  Every step has a time limit and a failing
# step does not stop the next; the limits add up to 6 minutes (a typical run takes less).
#
#   bash benchmarks/gpu_check.sh
set -u
cd "$(dirname "$0")/.." || exit 1
REPO="$PWD"
OUT_DIR="${OUT:-/tmp/arignote-gpu-check}"
mkdir -p "$OUT_DIR"
LOG="$OUT_DIR/gpu_check.log"
BENCH_MD="$OUT_DIR/gpu_bench.md"
PY="${PYTHON:-python3}"
START=$(date +%s)

step() {
    # step NAME SECONDS COMMAND...: run with a time limit, report status and duration.
    local name="$1" limit="$2"
    shift 2
    local began=$(date +%s)
    echo
    echo "=== [$(( began - START ))s] $name (limit ${limit}s)"
    timeout -k 10 "$limit" "$@"
    local status=$?
    local took=$(( $(date +%s) - began ))
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "=== $name: TIMED OUT after ${took}s"
    else
        echo "=== $name: exit status $status after ${took}s"
    fi
    SUMMARY+=("$(printf '%-40s exit %3s  %4ss' "$name" "$status" "$took")")
    return 0
}

main() {
    SUMMARY=()
    local commit
    commit="$(git rev-parse --short HEAD 2> /dev/null || echo unknown)"
    echo "arignote GPU check, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $commit"

    # 1. Carried wheels (cffi and pycparser where the machine lacks them).
    if compgen -G ".whl/*.whl" > /dev/null; then
        step "install carried wheels" 30 "$PY" -m pip install -q --no-index --no-deps \
            --no-compile --upgrade --target /tmp/site .whl/*.whl
        if ! PYTHONPATH=/tmp/site "$PY" -c "import cffi" 2> /dev/null; then
            # No pip, or a wheel it refused: a wheel is a zip of files to put on the path.
            step "unpack carried wheels" 30 "$PY" -c "import glob, zipfile
for wheel in glob.glob('.whl/*.whl'):
    zipfile.ZipFile(wheel).extractall('/tmp/site')"
        fi
        export PYTHONPATH="/tmp/site:$REPO${PYTHONPATH:+:$PYTHONPATH}"
    else
        echo "no .whl/ directory: using the installed packages"
        export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
    fi

    # A fresh, private compile cache, so that every kernel is compiled in this run.
    CACHE_DIR="$(mktemp -d /tmp/arignote-cache-XXXXXX)"
    export ARIGNOTE_FLAGS="compiledir=$CACHE_DIR"
    export TORCHINDUCTOR_CACHE_DIR="$(mktemp -d /tmp/inductor-XXXXXX)"
    export TRITON_CACHE_DIR="$(mktemp -d /tmp/triton-XXXXXX)"
    export PYTHONDONTWRITEBYTECODE=1
    # JAX (imported by interop tests) would otherwise reserve 75 % of the GPU at first use.
    export XLA_PYTHON_CLIENT_PREALLOCATE=false
    echo "compile cache: $CACHE_DIR"

    # 2. The environment.
    step "nvidia-smi" 15 nvidia-smi
    step "environment" 40 "$PY" - <<'EOF'
import importlib, platform, sys
print("python", sys.version.split()[0], sys.executable, platform.platform())
for name in ("numpy", "cffi", "pycparser", "torch", "cupy", "jax", "cuda.bindings", "pytest",
             "pytest_timeout", "xdist"):
    try:
        module = importlib.import_module(name)
        version = getattr(module, "__version__", "?")
        print(f"{name:16s} {version}  {getattr(module, '__file__', '')}")
    except Exception as error:
        print(f"{name:16s} unavailable ({type(error).__name__}: {error})")
from arignote.runtime import cuda
for library in ("cuda", "nvrtc", "cublas", "cublasLt"):
    try:
        print(f"library {library:9s} {cuda.library_path(library)}")
    except Exception as error:
        print(f"library {library:9s} MISSING: {error}")
print("include dirs", cuda.include_dirs())
try:
    ordinal = cuda.require("cuda")
    print("GPU", ordinal, cuda.device_name(), "compute capability", cuda.compute_capability(),
          "driver CUDA", cuda.driver_version())
    print("context", hex(cuda.context()))
    print("NVRTC", cuda.nvrtc_version(), "archs", cuda.nvrtc_architectures())
except Exception as error:
    print("GPU NOT USABLE:", type(error).__name__, error)
EOF

    # 3. A smoke test of the whole path (NVRTC -> cubin -> launch -> copy back), then the tests.
    step "smoke: NVRTC kernel, copies, interop" 40 "$PY" - <<'EOF'
import time
import numpy as np
from arignote.runtime import cuda
start = time.perf_counter()
cubin = cuda.nvrtc_compile('extern "C" __global__ void twice(float *x, long long n) {'
                           ' long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;'
                           ' if (i < n) x[i] *= 2.0f; }')
print(f"NVRTC compile: {time.perf_counter() - start:.3f} s, {len(cubin)} bytes")
kernel = cuda.Kernel(cubin, "twice")
host = np.arange(1 << 20, dtype="float32")
device = cuda.to_device(host)
kernel(((host.size + 255) // 256,), (256,), device, np.int64(host.size))
cuda.synchronize()
assert np.array_equal(device.get(), host * 2), "kernel result wrong"
print("kernel launch and copies: ok")
try:
    import torch
    tensor = torch.from_dlpack(device)
    print("torch.from_dlpack zero-copy:", tensor.data_ptr() == device.ptr)
    back = cuda.as_device_array(tensor)
    print("as_device_array(torch) zero-copy:", back.ptr == device.ptr)
except Exception as error:
    print("torch interop:", type(error).__name__, error)
EOF

    local pytest_args=(-q -m cuda tests/ -p no:cacheprovider -rfEs -W ignore::DeprecationWarning)
    if "$PY" -c "import pytest_timeout" 2> /dev/null; then
        pytest_args+=(--timeout=60)
    fi
    # Six workers: the GPU tests spend most of their time compiling, on the host's cores.
    if "$PY" -c "import xdist" 2> /dev/null; then
        pytest_args+=(-n 6)
    fi
    step "pytest -m cuda" 115 "$PY" -m pytest "${pytest_args[@]}"

    # 4. The benchmarks (they keep within their own budget; the limit is a backstop).
    step "gpu_bench.py" 120 "$PY" benchmarks/gpu_bench.py --out "$BENCH_MD" --budget 85

    echo
    echo "=== summary after $(( $(date +%s) - START ))s"
    printf '  %s\n' "${SUMMARY[@]}"
    if [ -f "$BENCH_MD" ]; then
        echo
        cat "$BENCH_MD"
    fi
    echo "log: $LOG; table: $BENCH_MD"
}

main 2>&1 | tee "$LOG"
exit "${PIPESTATUS[0]}"
