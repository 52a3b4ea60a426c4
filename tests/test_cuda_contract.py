"""The op contract on the CUDA backend, and the GPU function tests.

Without a GPU (CI): every CUDA module the contract cases and the example training functions
generate is compiled with NVRTC for sm_90, and every host module with the C compiler, so a
compile error in generated code fails the suite (skipped only when NVRTC is not installed).

With a GPU (tests marked ``cuda``, run by benchmarks/gpu_check.sh): every contract case that
puts at least one node on the device runs against its numpy reference, then element-wise
paths (float4, flat, strided), reductions over each axis, dot/gemm with transposed operands,
softmax, gathers and scatters, GPU shared variables with atomic updates, transfer, pickling,
errors, and the logistic-regression and MLP training steps against the CPU run.
"""

import concurrent.futures
import ctypes
import gc
import hashlib
import os
import pickle
import re
import shutil
import subprocess

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.codegen import Unsupported
from arignote.compiler.codegen.cuda import PRELUDE
from arignote.compiler.graph import FunctionGraph
from arignote.configparser import config
from arignote.runtime import build, cache, cuda, cudalinker
from arignote.runtime.mode import get_mode

from .conftest import requires_gpu
from .op_cases import all_cases
from .test_op_contract import _as_list, _check_value, _symbolic_inputs

CASES = all_cases()
ARCH = "sm_90"


def _nvrtc_or_skip():
    try:
        cuda.nvrtc_version()
    except Exception as error:  # the wheel is missing: nothing to compile with
        pytest.skip(f"NVRTC is not installed ({error})")


def _render_case(case):
    """(host C, CUDA, renderer) of a case's graph as FAST_RUN optimizes it for the GPU."""
    inputs = _symbolic_inputs(case)
    outputs = _as_list(case.build(*inputs))
    fgraph = FunctionGraph(inputs, outputs)
    get_mode("FAST_RUN").optimize(fgraph)
    return cudalinker.render(fgraph, len(inputs), len(outputs), [], False, ARCH)


def _function_sources(function):
    """(host C, CUDA, renderer) of a compiled function's graph, rendered for the GPU."""
    maker = function.maker
    n_args = sum(1 for spec in maker.inputs if not spec.implicit)
    return cudalinker.render(maker.fgraph, n_args, len(maker.outputs),
                             [p - n_args for p in maker.update_inputs], False, ARCH)


_KERNEL_NAME = re.compile(r"\bag_(flat|vec|strided|reduce|softmax|take|scatter)(\d+)")


def _one_unit(sources):
    """The kernels of several modules in one translation unit (names made unique), so that
    NVRTC parses the headers once."""
    bodies = []
    for index, (label, kernel_source) in enumerate(sources):
        body = _KERNEL_NAME.sub(lambda m: f"ag_{m.group(1)}{m.group(2)}_m{index}",
                                kernel_source[len(PRELUDE):])
        bodies.append(f"/* {label} */\n{body}")
    return PRELUDE + "\n".join(bodies)


_HOST_SYMBOLS = ("ag_state", "state_free", "ag_wrap", "ag_release", "make", "run",
                 "failed_node", "methods", "module")


def _compile_hosts(sources, tmp_path):
    """Compile host modules with the C compiler, in one file: each module's symbols get a
    prefix of their own; a failure names the module."""
    compiler = build.find_compiler()
    if compiler is None:
        pytest.skip("no C compiler")
    parts = ['#include "runtime.h"', '#include "cuda_host.h"']
    for index, (label, host) in enumerate(sources):
        parts.append(f"/* ---- module {index}: {label} */")
        parts += [f"#define {name} {name}_m{index}" for name in _HOST_SYMBOLS]
        # Helper functions of host-placed C loops and casts are numbered per module.
        host = re.sub(r"\b(kernel\d+|ag_copy_cast_\w+)\b", rf"\1_m{index}", host)
        parts += [f'#define AG_MODULE_NAME_STR "m{index}"', f"#define AG_INIT_FUNCTION "
                  f"PyInit_m{index}", host]
        parts += [f"#undef {name}" for name in _HOST_SYMBOLS + (
            "AG_MODULE_NAME_STR", "AG_INIT_FUNCTION", "AG_N_RES", "AG_N_SPARES", "AG_N_SLOTS",
            "AG_N_TEMPS")]
    path = tmp_path / "hosts.c"
    path.write_text("\n".join(parts))
    command = [compiler, *build.BASE_FLAGS, *build.include_flags(), "-fsyntax-only",
               str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        lines = path.read_text().splitlines()
        messages = []
        for match in re.finditer(r"hosts\.c:(\d+):\d+: error: (.*)", result.stderr):
            number = int(match.group(1))
            module = next((line for line in reversed(lines[:number])
                           if line.startswith("/* ---- module")), "?")
            messages.append(f"{module}: line {number}: {match.group(2)}\n    "
                            f"{lines[number - 1].strip()[:200]}")
        raise AssertionError("generated host modules do not compile:\n" +
                             "\n".join(messages[:20] or [result.stderr[-3000:]]))


# ------------------------------------------------------------------ without a GPU
_HALVES = [CASES[:len(CASES) // 2], CASES[len(CASES) // 2:]]


@pytest.mark.parametrize("half", [0, 1])
def test_contract_cuda_modules_compile(half, tmp_path):
    """Every contract case's CUDA (NVRTC, sm_90) and host module (C compiler) compile."""
    _nvrtc_or_skip()
    kernels, hosts = [], []
    for case in _HALVES[half]:
        try:
            host, kernel_source, _ = _render_case(case)
        except Unsupported:
            continue  # a type C cannot hold: the function runs on the reference backend
        kernels.append((case.id, kernel_source))
        hosts.append((case.id, host))
    assert kernels
    cuda.nvrtc_compile(_one_unit(kernels), arch=ARCH)
    _compile_hosts(hosts, tmp_path)


def _logistic_regression(n_features=784, n_classes=10):
    """The W3 training step (Theano's logistic regression, float32, shared W and b)."""
    rng = np.random.default_rng(0)
    x, y = T.fmatrix("x"), T.ivector("y")
    W = arignote.shared(np.zeros((n_features, n_classes), "float32"), "W")
    b = arignote.shared(np.zeros(n_classes, "float32"), "b")
    p = T.nnet.softmax(T.dot(x, W) + b)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    gW, gb = T.grad(cost, [W, b])
    lr = np.float32(0.1)
    train = arignote.function([x, y], [cost, T.argmax(p, axis=1)],
                              updates=[(W, W - lr * gW), (b, b - lr * gb)])
    data = (rng.standard_normal((256, n_features)).astype("float32"),
            rng.integers(0, n_classes, 256).astype("int32"))
    return train, (W, b), data


def _mlp(sizes=(784, 500, 10)):
    """A 784-500-10 MLP training step (tanh hidden layer, softmax cross-entropy, L2)."""
    rng = np.random.default_rng(1)
    x, y = T.fmatrix("x"), T.ivector("y")
    W1 = arignote.shared((rng.standard_normal(sizes[:2]) * 0.05).astype("float32"), "W1")
    b1 = arignote.shared(np.zeros(sizes[1], "float32"), "b1")
    W2 = arignote.shared((rng.standard_normal(sizes[1:]) * 0.05).astype("float32"), "W2")
    b2 = arignote.shared(np.zeros(sizes[2], "float32"), "b2")
    hidden = T.tanh(T.dot(x, W1) + b1)
    p = T.nnet.softmax(T.dot(hidden, W2) + b2)
    cost = T.mean(T.nnet.categorical_crossentropy(p, y)) + np.float32(1e-4) * (W1 ** 2).sum()
    params = [W1, b1, W2, b2]
    grads = T.grad(cost, params)
    lr = np.float32(0.05)
    train = arignote.function([x, y], cost,
                              updates=[(v, v - lr * g) for v, g in zip(params, grads)])
    data = (rng.standard_normal((128, sizes[0])).astype("float32"),
            rng.integers(0, sizes[2], 128).astype("int32"))
    return train, tuple(params), data


def test_example_training_modules_compile(tmp_path):
    """The logistic-regression and MLP training functions: CUDA and host modules compile,
    and the heavy nodes (dot, softmax, reductions, element-wise) are on the device."""
    _nvrtc_or_skip()
    kernels, hosts = [], []
    for label, build_function in (("logistic regression", _logistic_regression),
                                  ("mlp", _mlp)):
        train = build_function()[0]
        host, kernel_source, renderer = _function_sources(train)
        kernels.append((label, kernel_source))
        hosts.append((label, host))
        on_device = {type(n.op).__name__ for n, place in renderer.node_place.items()
                     if place == "device"}
        assert {"Dot", "Elemwise", "Sum"} <= on_device, on_device
        assert "ag_gemm(" in host and "cuLaunchKernel" in host
        assert renderer.uses_blas
    for label, kernel_source in kernels:
        cuda.nvrtc_compile(kernel_source, arch=ARCH)
    _compile_hosts(hosts, tmp_path)


# ------------------------------------------------------------------ on a GPU
def _device_cases():
    """Contract cases whose graph has at least one node on the device."""
    selected = []
    for case in CASES:
        try:
            _, _, renderer = _render_case(case)
        except Unsupported:
            continue
        except cuda.CudaUnavailableError:  # no NVRTC: the GPU tests skip anyway
            return []
        if "device" in renderer.node_place.values():
            selected.append(case)
    return selected


GPU_CASES = _device_cases()


def _one_case_per_device_op():
    """The first case that puts each op class on the device: what CI runs emulated (all of
    them take minutes there; the GPU check runs every case)."""
    first = {}
    for case in GPU_CASES:
        _, _, renderer = _render_case(case)
        for node, place in renderer.node_place.items():
            if place == "device":
                first.setdefault(type(node.op), case)
    return list({case.id: case for case in first.values()}.values())


EMULATED_CASES = _one_case_per_device_op()


HERE = os.path.dirname(os.path.abspath(__file__))
_LAUNCHER = re.compile(r'extern "C" __global__ void (?:__launch_bounds__\(\d+\) )?(\w+)\(([^)]*)\)')


def _cpu_kernels(source, directory):
    """The kernels of a CUDA translation unit compiled for the CPU (tests/cuda_cpu/emulate.h),
    with a NAME_launch(void **params) trampoline per kernel that runs it as one block of
    threads; returns the library's path as the fake driver's "cubin"."""
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler to run kernels on the CPU")
    trampolines = []
    for name, params in _LAUNCHER.findall(source):
        types = [re.sub(r"\s*\w+$", "", p.replace("__restrict__", "").strip())
                 for p in params.split(",")]
        args = ", ".join(f"*({t} *)p[{k}]" for k, t in enumerate(types))
        trampolines.append(f'extern "C" void {name}_launch(void **p) {{ '
                           f'ag_emu_launch([&] {{ {name}({args}); }}); }}')
    for size, ctype in ((1, "unsigned char"), (2, "unsigned short"), (4, "unsigned int"),
                        (8, "unsigned long long")):
        trampolines.append(
            f'extern "C" void ag_copy_{size}_launch(void **p) {{ ag_emu_launch([&] {{ '
            f'ag_copy_{size}(*(long long *)p[0], *(int *)p[1], *(ag_dims *)p[2], '
            f'*(ag_dims *)p[3], *(const char **)p[4], *({ctype} **)p[5]); }}); }}')
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    path = os.path.join(directory, f"kernels-{digest}.so")
    if not os.path.exists(path):
        unit = os.path.join(directory, f"kernels-{digest}.cpp")
        with open(unit, "w") as handle:
            handle.write(source + "\n" + "\n".join(trampolines) + "\n")
        result = subprocess.run(
            [compiler, "-O0", "-shared", "-fPIC", "-std=c++17", "-w", "-pthread",
             f"-I{build.KERNELS_DIR}", "-include",
             os.path.join(HERE, "cuda_cpu", "emulate.h"), unit, "-o", path],
            capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"CPU build of the kernels failed:\n{result.stderr[-3000:]}"
    return path.encode() + b"\0"


@pytest.fixture(scope="session")
def fake_gpu_path(tmp_path_factory):
    """libcuda + libcublas stand-in running generated modules on the CPU."""
    compiler = build.find_compiler()
    if compiler is None:
        pytest.skip("no C compiler to build the fake GPU")
    path = str(tmp_path_factory.mktemp("fakegpu") / "libcuda.so.1")
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-Wl,-Bsymbolic",
                    os.path.join(HERE, "cuda_cpu", "fake_gpu.c"), "-o", path], check=True,
                   capture_output=True)
    return path


@pytest.fixture(params=["emulated", pytest.param("real", marks=requires_gpu)])
def on_gpu(request, monkeypatch, tmp_path_factory):
    """config.device = 'cuda' for the test: on the real GPU, or ('emulated') on the CPU
    through the fake driver, which runs every kernel as one thread (the host modules, the
    launches' arguments, the copies, cuBLAS layouts and updates are the real ones)."""
    monkeypatch.setattr(config, "device", "cuda")
    if request.param == "real":
        cuda.require("cuda")
        yield None
        cuda.synchronize()
        return
    fake = request.getfixturevalue("fake_gpu_path")
    original = cuda.library_path
    monkeypatch.setattr(cuda, "library_path",
                        lambda name: fake if name in ("cuda", "cublas") else original(name))
    libraries = cuda._Libraries()
    libraries._ffi = cuda._LIBS.ffi
    monkeypatch.setattr(cuda, "_LIBS", libraries)
    monkeypatch.setattr(cuda, "_STATE", cuda._State())
    directory = str(tmp_path_factory.getbasetemp() / "cpu-kernels")
    os.makedirs(directory, exist_ok=True)
    monkeypatch.setattr(cuda, "nvrtc_compile",
                        lambda source, arch=None, options=(): _cpu_kernels(source, directory))
    counters = ctypes.CDLL(fake)
    yield counters
    gc.collect()  # arrays on fake memory go back to the fake driver


@pytest.fixture(scope="module")
def warm_cache():
    """Build the contract cases' host modules and cubins in parallel first: the tests then
    find them in the compile cache (one GPU check has minutes, not one per module)."""
    if not cuda.available():
        return
    major, minor = cuda.compute_capability()
    arch = f"sm_{major}{minor}"

    def prepare(case):
        try:
            host, kernel_source, _ = _render_case(case)
        except Unsupported:
            return
        cache.get_module(host)
        cuda.nvrtc_compile(kernel_source, arch=arch)
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(prepare, GPU_CASES))


def _contract_on_device(case):
    """One contract case compiled for the GPU, against its numpy computation."""
    inputs = _symbolic_inputs(case)
    outputs = _as_list(case.build(*inputs))
    f = arignote.function(inputs, outputs, on_unused_input="ignore", mode="FAST_RUN")
    assert isinstance(f.maker.native, cudalinker.CudaLinker), case.id
    values = [np.array(a, copy=True) for a in case.inputs]
    actual = f(*values)
    expected = _as_list(case.expected(*[np.array(a, copy=True) for a in case.inputs]))
    assert len(actual) == len(expected), case.id
    for variable, got, want in zip(outputs, actual, expected):
        assert isinstance(got, np.ndarray), f"{case.id}: output is {type(got)}"
        _check_value(variable, got, want, case)


@pytest.mark.parametrize("on_gpu", [pytest.param("real", marks=requires_gpu)], indirect=True)
@pytest.mark.parametrize("case", GPU_CASES, ids=[c.id for c in GPU_CASES])
def test_contract_on_gpu(case, on_gpu, warm_cache):
    """The CUDA backend against the independent numpy computation, every case."""
    _contract_on_device(case)


@pytest.mark.parametrize("on_gpu", ["emulated"], indirect=True)
@pytest.mark.parametrize("case", EMULATED_CASES, ids=[c.id for c in EMULATED_CASES])
def test_contract_emulated(case, on_gpu):
    """The same on the CPU stand-in, one case per op class the device runs."""
    _contract_on_device(case)


def _close(got, want, what, rtol=1e-5, atol=1e-6):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        bad = np.argwhere(~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True))
        first = tuple(bad[0])
        raise AssertionError(f"{what}: {len(bad)} of {got.size} values differ; first at "
                             f"{first}: got {got[first]!r}, expected {want[first]!r}")


def test_elementwise_float4_flat_and_strided_paths(on_gpu):
    x, y = T.fmatrices("x", "y")
    f = arignote.function([x, y], x * y + x)
    assert "float4" in f.source and "_strided" in f.source
    rng = np.random.default_rng(0)
    a = rng.standard_normal((301, 257)).astype("float32")
    b = rng.standard_normal((301, 257)).astype("float32")
    _close(f(a, b), a * b + a, "contiguous (float4 path)")
    odd_a, odd_b = a.ravel()[1:1 + 300 * 257].reshape(300, 257), b[:300]
    _close(f(odd_a, odd_b), odd_a * odd_b + odd_a, "misaligned (flat path)")
    _close(f(a.T, b.T), a.T * b.T + a.T, "transposed (strided path)")
    _close(f(a[::2, ::3], b[::2, ::3]), a[::2, ::3] * b[::2, ::3] + a[::2, ::3],
           "sliced (strided path)")
    row = T.frow("row")
    g = arignote.function([x, row], T.exp(-x * x) * T.sin(row) + T.tanh(x * row))
    r = rng.standard_normal((1, 257)).astype("float32")
    _close(g(a, r), np.exp(-a * a) * np.sin(r) + np.tanh(a * r), "broadcast row", rtol=1e-4)
    big = rng.standard_normal(10 ** 6 + 3).astype("float32")
    v = T.fvector("v")
    _close(arignote.function([v], v * 2 + 1)(big), big * 2 + 1, "10^6 + 3 elements")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_reductions_over_each_axis(on_gpu, dtype):
    rng = np.random.default_rng(2)
    # emulated, every block spawns CPU threads: a small tensor keeps CI fast
    shape = (7, 33, 130) if on_gpu is None else (3, 5, 9)
    data = (rng.standard_normal(shape) * 10).astype(dtype)
    x = T.tensor3("x", dtype=dtype)
    axes = [0, 1, 2, (0, 2), (1, 2), None]
    outputs = [reduction(x, axis=axis) for axis in axes for reduction in (T.sum, T.max, T.min)]
    outputs += [T.argmax(x, axis=axis) for axis in (0, 1, 2)]
    got = arignote.function([x], outputs)(data)
    for k, axis in enumerate(axes):
        for j, name in enumerate(("sum", "max", "min")):
            _close(got[3 * k + j], getattr(data, name)(axis=axis), f"{name} over {axis} ({dtype})",
                   rtol=1e-4, atol=1e-3)
    for axis in (0, 1, 2):
        np.testing.assert_array_equal(got[3 * len(axes) + axis], data.argmax(axis=axis),
                                      f"argmax over {axis}")
    v = T.vector("v", dtype=dtype)
    long = (rng.standard_normal(3 * 10 ** 6) * 4).astype(dtype)
    _close(arignote.function([v], T.sum(v))(long), long.astype("float64").sum(),
           f"sum of 3e6 {dtype}", rtol=1e-4, atol=1e-1)


def test_dot_and_gemm_with_transposed_operands(on_gpu):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((65, 33)).astype("float32")
    b = rng.standard_normal((33, 47)).astype("float32")
    x, y = T.fmatrices("x", "y")
    f = arignote.function([x, y], [T.dot(x, y), T.dot(y.T, x.T), T.dot(x[::2], y)])
    got = f(a, b)
    _close(got[0], a @ b, "dot", rtol=1e-4, atol=1e-4)
    _close(got[1], b.T @ a.T, "dot of transposes", rtol=1e-4, atol=1e-4)
    _close(got[2], a[::2] @ b, "dot of a strided view", rtol=1e-4, atol=1e-4)
    _close(f(a.T.copy().T, b)[0], a @ b, "column-major operand", rtol=1e-4, atol=1e-4)
    v, u = T.fvectors("v", "u")
    g = arignote.function([x, v, u], [T.dot(x, v), T.dot(u, x), T.dot(v, v)])
    w = rng.standard_normal(65).astype("float32")
    got = g(a, w[:33], w)
    _close(got[0], a @ w[:33], "matrix . vector", rtol=1e-4, atol=1e-4)
    _close(got[1], w @ a, "vector . matrix", rtol=1e-4, atol=1e-4)
    _close(got[2], w[:33] @ w[:33], "vector . vector", rtol=1e-4, atol=1e-4)
    d = T.dmatrix("d")
    h = arignote.function([d], T.dot(d, d.T))
    m = rng.standard_normal((20, 30))
    _close(h(m), m @ m.T, "float64 dot", rtol=1e-10, atol=1e-10)
    start = b[:, :33].copy()
    W = arignote.shared(start, "W")
    lr = np.float32(0.01)
    step = arignote.function([x], [], updates=[(W, W - lr * T.dot(x.T, x))])
    assert "Gemm" in str([n.op for n in step.maker.fgraph.toposort()])
    step(a)
    _close(W.get_value(), start - lr * (a.T @ a), "gemm update", rtol=1e-4, atol=1e-4)


def test_softmax_and_log_softmax(on_gpu):
    rng = np.random.default_rng(4)
    x = T.fmatrix("x")
    f = arignote.function([x], [T.nnet.softmax(x), T.log(T.nnet.softmax(x))])
    for shape in ((600, 10), (3, 5000), (1, 1)):
        a = (rng.standard_normal(shape) * 5).astype("float32")
        e = np.exp(a - a.max(1, keepdims=True))
        want = e / e.sum(1, keepdims=True)
        got = f(a)
        _close(got[0], want, f"softmax {shape}", rtol=1e-5, atol=1e-6)
        _close(got[1], np.log(want), f"log-softmax {shape}", rtol=1e-4, atol=1e-5)


def test_gather_and_scatter(on_gpu):
    rng = np.random.default_rng(5)
    table = rng.standard_normal((50, 7)).astype("float32")
    x, idx = T.fmatrix("x"), T.ivector("idx")
    gather = arignote.function([x, idx], x[idx])
    index = np.array([3, -1, 3, 49, 0], "int32")
    _close(gather(table, index), table[index], "gather")
    with pytest.raises(IndexError):
        gather(table, np.array([50], "int32"))
    value = T.fmatrix("value")
    scatter = arignote.function([x, idx, value], T.inc_subtensor(x[idx], value))
    rows = rng.standard_normal((5, 7)).astype("float32")
    want = table.copy()
    np.add.at(want, index, rows)
    _close(scatter(table, index, rows), want, "scatter-add with a repeated row")
    setter = arignote.function([x, idx, value], T.set_subtensor(x[idx], value))
    unique = np.array([4, 1], "int32")
    want = table.copy()
    want[unique] = rows[:2]
    _close(setter(table, unique, rows[:2]), want, "scatter-set")


def test_gpu_shared_variables_updates_are_atomic(on_gpu):
    start = np.arange(12, dtype="float32").reshape(3, 4)
    W = arignote.shared(start.copy(), "W")
    assert isinstance(W.get_value(borrow=True, return_internal_type=True), cuda.DeviceArray)
    x, idx = T.fmatrix("x"), T.ivector("idx")
    step = arignote.function([x, idx], (W * x)[idx].sum(), updates=[(W, W + x)])
    ones = np.ones((3, 4), "float32")
    total = step(ones, np.array([0, 2], "int32"))
    _close(total, start[[0, 2]].sum(), "output before the update")
    _close(W.get_value(), start + 1, "updated W")
    with pytest.raises(ValueError):  # wrong shape: caught before any kernel uses it
        step(np.ones((2, 4), "float32"), np.array([0], "int32"))
    _close(W.get_value(), start + 1, "W after a call with a bad shape")
    with pytest.raises(IndexError):  # a bad index found on the device: no update either
        step(ones, np.array([7], "int32"))
    _close(W.get_value(), start + 1, "W after a call with a bad index")
    with pytest.raises(TypeError):
        step(np.ones((3, 4), "float32"), np.array([0.5]))


def test_transfer_rules_and_device_inputs(on_gpu):
    x = T.fvector("x")
    f = arignote.function([x], [(x + 1).transfer("cuda"), x * 2])
    data = np.arange(5, dtype="float32")
    on_device, on_host = f(data)
    assert isinstance(on_device, cuda.DeviceArray) and isinstance(on_host, np.ndarray)
    _close(on_device.get(), data + 1, "transfer('cuda') output")
    device_input = cuda.to_device(data)
    again = f(device_input)
    _close(again[0].get(), data + 1, "device input")
    to_cpu = arignote.function([x], T.transfer(x * 3, "cpu"))
    _close(to_cpu(device_input), data * 3, "transfer('cpu')")
    for module in ("cupy", "torch"):
        try:
            library = __import__(module)
        except ImportError:
            continue
        if module == "cupy":
            foreign = library.asarray(data)
        else:
            if not library.cuda.is_available():
                continue
            foreign = library.as_tensor(data, device="cuda")
        _close(f(foreign)[1], data * 2, f"{module} input")
    g = T.grad(T.transfer(x * x, "cuda").sum(), x)
    _close(arignote.function([x], g)(data), 2 * data, "gradient through transfer")


def test_pickled_gpu_function_rebuilds(on_gpu):
    W = arignote.shared(np.ones(4, "float32"), "W")
    x = T.fvector("x")
    f = arignote.function([x], W * x, updates=[(W, W + 1)])
    _close(f(np.arange(4, dtype="float32")), np.arange(4), "first call")
    g = pickle.loads(pickle.dumps(f))
    assert isinstance(g.maker.native, cudalinker.CudaLinker)
    _close(g(np.arange(4, dtype="float32")), 2 * np.arange(4), "unpickled call")
    assert "__global__" in g.source and "cuLaunchKernel" in g.source


def test_logistic_regression_training_matches_cpu(on_gpu, monkeypatch):
    """W3: ten steps on the GPU (GPU shared variables) against the same steps on the CPU."""
    runs = {}
    for device in ("cpu", "cuda"):
        monkeypatch.setattr(config, "device", device)
        train, (W, b), (xs, ys) = _logistic_regression()
        if device == "cuda":
            assert isinstance(train.maker.native, cudalinker.CudaLinker)
            assert isinstance(W.get_value(borrow=True, return_internal_type=True),
                              cuda.DeviceArray)
        costs = [float(train(xs, ys)[0]) for _ in range(10)]
        runs[device] = (costs, W.get_value(), b.get_value(), train(xs, ys)[1])
    (cpu_costs, cpu_W, cpu_b, cpu_pred), (gpu_costs, gpu_W, gpu_b, gpu_pred) = \
        runs["cpu"], runs["cuda"]
    _close(gpu_costs, cpu_costs, "costs", rtol=1e-4, atol=1e-5)
    _close(gpu_W, cpu_W, "W", rtol=1e-3, atol=1e-5)
    _close(gpu_b, cpu_b, "b", rtol=1e-3, atol=1e-5)
    assert np.mean(gpu_pred == cpu_pred) > 0.98


def test_mlp_training_step_matches_cpu(on_gpu, monkeypatch):
    runs = {}
    for device in ("cpu", "cuda"):
        monkeypatch.setattr(config, "device", device)
        train, params, (xs, ys) = _mlp()
        costs = [float(train(xs, ys)) for _ in range(3)]
        runs[device] = (costs, [p.get_value() for p in params])
    _close(runs["cuda"][0], runs["cpu"][0], "MLP costs", rtol=1e-4, atol=1e-5)
    for index, (g, c) in enumerate(zip(runs["cuda"][1], runs["cpu"][1])):
        _close(g, c, f"MLP parameter {index}", rtol=1e-3, atol=1e-5)
