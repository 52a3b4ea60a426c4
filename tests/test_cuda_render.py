"""The CUDA renderer (a subclass of the C renderer): element-wise kernels of optimized graphs
render as CUDA and compile with nvcc where it exists (compiled, not run: no GPU needed)."""

import shutil
import subprocess

import pytest

import arignote.tensor as T
from arignote.compiler.codegen.c import CRenderer
from arignote.compiler.codegen.cuda import CudaRenderer
from arignote.compiler.graph import FunctionGraph
from arignote.compiler.rewrite.pipeline import optimize
from arignote.runtime.build import KERNELS_DIR


def _graph():
    x, y = T.fvectors("x", "y")
    d = T.dvector("d")
    i = T.ivector("i")
    outputs = [T.exp(-x * x) * T.sin(y) + T.tanh(x * y), x > y, T.nnet.sigmoid(x),
               T.log1p(x) // 2, T.psi(d), T.erfinv(d), i ** 2 % 3, T.switch(x > 0, x, y)]
    fgraph = FunctionGraph([x, y, d, i], outputs)
    optimize(fgraph)
    return fgraph


def test_cuda_renderer_subclasses_the_c_renderer():
    assert issubclass(CudaRenderer, CRenderer)
    source = CudaRenderer(_graph(), 4, 8, [], False).kernel_source()
    assert source.count("__global__") >= 6
    assert "expf(" in source and "tanhf(" in source
    assert "blockIdx.x * blockDim.x + threadIdx.x" in source


def test_cuda_source_is_deterministic():
    first = CudaRenderer(_graph(), 4, 8, [], False).kernel_source()
    second = CudaRenderer(_graph(), 4, 8, [], False).kernel_source()
    assert first == second


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
def test_cuda_kernels_compile_with_nvcc(tmp_path):
    source = CudaRenderer(_graph(), 4, 8, [], False).kernel_source()
    path = tmp_path / "kernels.cu"
    path.write_text(source)
    result = subprocess.run(["nvcc", "-arch=sm_90", f"-I{KERNELS_DIR}", "-c", str(path), "-o",
                             str(tmp_path / "kernels.o")], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


# ------------------------------------------------------------------ whole-function modules
def _nvrtc_or_skip():
    from arignote.runtime import cuda
    try:
        cuda.nvrtc_version()
    except Exception as error:
        pytest.skip(f"NVRTC is not installed ({error})")


def _render(inputs, outputs, updates=()):
    """(host C, CUDA, renderer) of a function as the GPU backend renders it."""
    import arignote
    from arignote.runtime import cudalinker
    f = arignote.function(inputs, outputs, updates=list(updates), mode="FAST_COMPILE")
    fgraph = f.maker.fgraph
    from arignote.runtime.mode import get_mode
    get_mode("FAST_RUN").optimize(fgraph)
    n_args = len(inputs)
    return cudalinker.render(fgraph, n_args, len(f.maker.outputs),
                             [p - n_args for p in f.maker.update_inputs], False)


def _compiles(host, kernels, tmp_path):
    from arignote.runtime import cuda

    from .test_cuda_contract import _compile_hosts
    cuda.nvrtc_compile(kernels, arch="sm_90")
    _compile_hosts([("module", host)], tmp_path)


def test_whole_function_module_has_every_kernel_and_compiles(tmp_path):
    _nvrtc_or_skip()
    x, y = T.fmatrices("x", "y")
    row = T.frow("row")
    outputs = [x * y + x, (x + row).sum(axis=0), T.argmax(x, axis=1), T.dot(x, y.T),
               T.nnet.softmax(x), T.max(x)]
    host, kernels, renderer = _render([x, y, row], outputs)
    assert "float4" in kernels  # contiguous float32: vector loads
    assert "ag_offset(i, 2, shape, s1)" in kernels  # the broadcast row: strided path
    assert "ag_block_reduce" in kernels and "ag_block_argreduce" in kernels
    assert "__shfl_down_sync" not in kernels  # the shuffles live in ag_cuda.cuh
    assert "ag_gemm(" in host and renderer.uses_blas
    assert host.count("cuLaunchKernel") >= len(renderer.kernel_names)
    assert "ag_dalloc(" in host and "ag_dto_numpy(" in host
    assert not renderer.plan.fallback_nodes
    _compiles(host, kernels, tmp_path)


def test_shape_arithmetic_runs_on_the_host(tmp_path):
    """ShapeI and arange of a length run as C on the host (launches need those numbers);
    a host vector feeding the device is copied once."""
    _nvrtc_or_skip()
    x = T.fvector("x")
    index = T.arange(x.shape[0])
    host, kernels, renderer = _render([x], [x * index, index * 2])
    places = {type(n.op).__name__: place for n, place in renderer.node_place.items()}
    assert places["ShapeI"] == "host" and places["ARange"] == "host"
    assert "ag_hto_device" in host
    _compiles(host, kernels, tmp_path)


def test_nodes_without_cuda_code_fall_back_and_say_so(tmp_path):
    _nvrtc_or_skip()
    x = T.fmatrix("x")
    host, kernels, renderer = _render([x], [T.cumsum(x * 2, axis=0) + 1])
    assert [type(n.op).__name__ for n in renderer.plan.fallback_nodes] == ["CumSum"]
    assert "has no CUDA code: it runs its numpy perform" in host
    _compiles(host, kernels, tmp_path)


def test_transfer_cuda_outputs_stay_on_the_device(tmp_path):
    _nvrtc_or_skip()
    import numpy as np

    import arignote
    x = T.fvector("x")
    W = arignote.shared(np.ones(3, "float32"), "W")
    host, kernels, renderer = _render([x], [(x * W).transfer("cuda"), x + 1],
                                      updates=[(W, W + x)])
    assert renderer.device_outputs == {0}
    assert "res[0] = ag_wrap(" in host and "res[1] = ag_dto_numpy(" in host
    # x * W is computed straight into the output's buffer: no copy at the end.
    assert "res[0] = ag_wrap(st, dres[0].ptr" in host
    assert "new_[0] = ag_wrap(" in host  # the new shared value: a device array
    # Updates are swapped in last, after every output exists.
    assert host.index("PyList_SET_ITEM(cell_, 0, new_[0])") > host.index("res[1] =")
    _compiles(host, kernels, tmp_path)


def test_scalar_ops_compile_with_nvrtc_in_every_dtype():
    """The issue's NVRTC failures: scalar_math.h included <float.h>, and float64 softplus and
    mod were ambiguous calls in CUDA."""
    _nvrtc_or_skip()
    from arignote.runtime import cuda

    from .test_cuda_contract import _one_unit
    sources = []
    for dtype in ("float32", "float64", "int32", "int64"):
        a, b = T.vector("a", dtype=dtype), T.vector("b", dtype=dtype)
        outputs = [a % b, T.floor(a), T.sqrt(a), a // b, abs(a), T.exp(a)]
        if dtype.startswith("float"):
            outputs += [T.nnet.softplus(a), T.psi(a), T.erfinv(a)]
        fgraph = FunctionGraph([a, b], outputs)
        optimize(fgraph)
        source = CudaRenderer(fgraph, 2, len(outputs), [], False).kernel_source()
        assert source.count("__global__") >= len(outputs)
        sources.append((dtype, source))
    cuda.nvrtc_compile(_one_unit(sources), arch="sm_90")
