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
