"""The CUDA renderer: a subclass of the C renderer whose element-wise kernels are
``__global__`` functions (grid-stride loops over the flat contiguous case).

``CudaRenderer(fgraph, ...).kernel_source()`` gives a CUDA translation unit with one kernel
per element-wise node of an optimized graph, using each scalar op's ``cuda_expr``; it is
what the GPU backend launches, and what the test suite compiles with nvcc where it exists.
"""

from ..ops.elemwise import Elemwise
from .c import CRenderer
from .elemwise_c import _supports, scalar_statements

CUDA_TYPES = {
    "bool": "bool", "int8": "signed char", "int16": "short", "int32": "int",
    "int64": "long long", "uint8": "unsigned char", "uint16": "unsigned short",
    "uint32": "unsigned int", "uint64": "unsigned long long", "float32": "float",
    "float64": "double",
}

PRELUDE = """/* arignote generated CUDA kernels */
typedef signed char int8;
typedef short int16;
typedef int int32;
typedef long long int64;
typedef unsigned char uint8;
typedef unsigned short uint16;
typedef unsigned int uint32;
typedef unsigned long long uint64;
typedef float float32;
typedef double float64;
typedef int8 npy_int8;
typedef int16 npy_int16;
typedef int32 npy_int32;
typedef int64 npy_int64;
typedef uint8 npy_uint8;
typedef uint16 npy_uint16;
typedef uint32 npy_uint32;
typedef uint64 npy_uint64;
typedef bool npy_bool;
#define AG_CUDA 1
#include "scalar_math.h"
"""


class CudaRenderer(CRenderer):
    """Renders element-wise kernels as CUDA; everything else is inherited from the C side."""

    expression_method = "cuda_expr"
    block_size = 256

    def elementwise_kernel(self, node, name):
        """A ``__global__`` kernel computing ``node`` over n contiguous elements; inputs that
        are single elements (all dimensions broadcastable) are passed by value."""
        inputs, outputs = node.inputs, node.outputs
        pattern = outputs[0].broadcastable
        params, loads = [], []
        for k, variable in enumerate(inputs):
            ctype = CUDA_TYPES[variable.dtype]
            if all(variable.broadcastable) and not all(pattern):
                params.append(f"const {ctype} b{k}")
                loads.append(f"b{k}")
            else:
                params.append(f"const {ctype} *__restrict__ p{k}")
                loads.append(f"p{k}[i]")
        for j, variable in enumerate(outputs):
            params.append(f"{CUDA_TYPES[variable.dtype]} *__restrict__ q{j}")
        statements, results = scalar_statements(
            node.op.scalar_op, [f"x{k}" for k in range(len(inputs))],
            [v.dtype for v in inputs], [v.dtype for v in outputs], "t",
            method=self.expression_method)
        body = [f"const {CUDA_TYPES[v.dtype]} x{k} = {loads[k]};"
                for k, v in enumerate(inputs)]
        body += [s.replace("npy_bool", "bool") for s in statements]
        body += [f"q{j}[i] = ({CUDA_TYPES[v.dtype]})({results[j]});"
                 for j, v in enumerate(outputs)]
        comment = str(node.op.scalar_op).replace("*/", "* /")
        return "\n".join(
            [f"/* {comment} */",
             f'extern "C" __global__ void {name}(long long n, {", ".join(params)}) {{',
             "    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;",
             "         i += (long long)blockDim.x * gridDim.x) {"] +
            ["        " + b for b in body] + ["    }", "}"])

    def kernel_source(self):
        """The CUDA source of every element-wise node that has C/CUDA expressions."""
        kernels = []
        for index, node in enumerate(self.fgraph.toposort()):
            if isinstance(node.op, Elemwise) and _supports(node) and all(
                    v.dtype in CUDA_TYPES for v in node.inputs + node.outputs):
                kernels.append(self.elementwise_kernel(node, f"ag_kernel{index}"))
        return PRELUDE + "\n\n" + "\n\n".join(kernels) + "\n"
