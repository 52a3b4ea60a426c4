"""CUDA emitters: each returns the host C that checks shapes, allocates and launches, and adds
its kernels to the function's translation unit.

Element-wise nodes (fused ``Composite`` programs included) get a flat kernel for contiguous
operands, a float4 variant when every operand is float32 and 16-byte aligned, and a strided
kernel (index arithmetic over the output's shape, broadcast dimensions of stride 0) for the
rest.  Reductions run one block per output element with warp-shuffle block reductions;
softmax one block per row; Dot and Gemm call cuBLAS; gathers and scatters (atomicAdd) check
their indices on the device and report through a flag read when the call ends.
"""

from ..graph import Constant
from ..ops.blas import Dot, Gemm
from ..ops.nnet import LogSoftmax, Softmax
from ..ops.reduce import All, Any, Argmax, Max, Min, Prod, Sum, accumulator_dtype
from ..ops.shape import Alloc, Rebroadcast, Reshape, SpecifyShape
from ..ops.subtensor import (ARRAY, FULL_SLICE, AdvancedIncSubtensor, AdvancedIncSubtensor1,
                             AdvancedSubtensor, AdvancedSubtensor1, Subtensor)
from ..ops.composite import FusedReduce
from ..ops.elemwise import DimShuffle, Elemwise
from ..ops.gradops import _GradientIdentity
from ..ops.transfer import Transfer
from .c import CTYPES, EMITTERS, itemsize
from .cuda import cuda_emitter
from .elemwise_c import _aliased, _supports, broadcast_shape_code, scalar_statements
from .reduce_c import _KINDS, _arg_supports, _kind

VEC = 4  # float32 lanes of one float4 load


def _statements(node, names, prefix, out_dtypes=None, scalar_op=None):
    """CUDA statements of the node's scalar program on C scalars ``names``."""
    scalar_op = scalar_op or node.op.scalar_op
    out_dtypes = out_dtypes or [v.dtype for v in node.outputs]
    return scalar_statements(scalar_op, names, [v.dtype for v in node.inputs], out_dtypes,
                             prefix, method="cuda_expr")


# ---------------------------------------------------------------------------- element-wise
def _elemwise_kinds(node, renderer):
    """Per input: 'value' (a host scalar passed by value), 'scalar' (one device element),
    'full' (the output's shape) or 'partial' (broadcast along some dimensions)."""
    pattern = node.outputs[0].broadcastable
    kinds = []
    for variable in node.inputs:
        if all(variable.broadcastable) and renderer.where_of(variable) != "device":
            kinds.append("value")
        elif all(variable.broadcastable) and not all(pattern):
            kinds.append("scalar")
        elif variable.broadcastable == pattern:
            kinds.append("full")
        else:
            kinds.append("partial")
    return kinds


def _kernel_params(node, kinds, strided, restrict):
    params = ["long long n"] + (["ag_dims shape"] if strided else [])
    for k, (variable, kind) in enumerate(zip(node.inputs, kinds)):
        ctype = CTYPES[variable.dtype]
        if kind == "value":
            params.append(f"const {ctype} b{k}")
        elif strided:
            params += [f"const char *{restrict}p{k}", f"ag_dims s{k}"]
        else:
            params.append(f"const {ctype} *{restrict}p{k}")
    params += [f"{CTYPES[v.dtype]} *{restrict}q{j}" for j, v in enumerate(node.outputs)]
    return ", ".join(params)


def _element_body(node, kinds, loads, stores, prefix="t"):
    inputs = node.inputs
    body = [f"const {CTYPES[v.dtype]} x{prefix}{k} = {loads[k]};" for k, v in enumerate(inputs)]
    statements, results = _statements(node, [f"x{prefix}{k}" for k in range(len(inputs))],
                                      prefix)
    body += statements
    body += [stores[j].format(f"({CTYPES[v.dtype]})({results[j]})")
             for j, v in enumerate(node.outputs)]
    return body


def _loop(body):
    return (["    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; "
             "i < n;", "         i += (long long)blockDim.x * gridDim.x) {"] +
            ["        " + line for line in body] + ["    }"])


def _comment(node):
    return "/* " + str(node.op.scalar_op).replace("*/", "* /") + " */"


def flat_kernel(node, kinds, restrict="__restrict__ "):
    """Contiguous operands: element i of every full operand is at index i."""
    loads = {"value": "b{k}", "scalar": "p{k}[0]", "full": "p{k}[i]"}
    body = _element_body(node, kinds, [loads[kind].format(k=k) for k, kind in enumerate(kinds)],
                         [f"q{j}[i] = {{}};" for j in range(len(node.outputs))])
    return "\n".join([_comment(node), f'extern "C" __global__ void KNAME('
                      f'{_kernel_params(node, kinds, False, restrict)}) {{'] + _loop(body) + ["}"])


def vector_kernel(node, kinds, restrict="__restrict__ "):
    """The flat kernel reading and writing float4 (every full operand float32, aligned):
    n / 4 vector steps, then the tail element by element."""
    inputs, outputs = node.inputs, node.outputs
    lines = [_comment(node), f'extern "C" __global__ void KNAME('
             f'{_kernel_params(node, kinds, False, restrict)}) {{',
             "    const long long n4 = n >> 2;",
             "    const long long first = (long long)blockIdx.x * blockDim.x + threadIdx.x;",
             "    const long long step = (long long)blockDim.x * gridDim.x;",
             "    for (long long v = first; v < n4; v += step) {"]
    for k, kind in enumerate(kinds):
        if kind == "full":
            lines.append(f"        const float4 a{k} = reinterpret_cast<const float4 *>(p{k})[v];")
    lines += [f"        float4 r{j};" for j in range(len(outputs))]
    for lane in "xyzw":
        loads = [f"a{k}.{lane}" if kind == "full" else
                 (f"b{k}" if kind == "value" else f"p{k}[0]") for k, kind in enumerate(kinds)]
        body = _element_body(node, kinds, loads, [f"r{j}.{lane} = {{}};"
                                                  for j in range(len(outputs))], f"{lane}_")
        lines += ["        {"] + ["            " + b for b in body] + ["        }"]
    lines += [f"        reinterpret_cast<float4 *>(q{j})[v] = r{j};" for j in range(len(outputs))]
    lines.append("    }")
    loads = {"value": "b{k}", "scalar": "p{k}[0]", "full": "p{k}[i]"}
    body = _element_body(node, kinds, [loads[kind].format(k=k) for k, kind in enumerate(kinds)],
                         [f"q{j}[i] = {{}};" for j in range(len(outputs))])
    lines += ["    for (long long i = (n4 << 2) + first; i < n; i += step) {"]
    lines += ["        " + b for b in body] + ["    }", "}"]
    del inputs
    return "\n".join(lines)


def strided_kernel(node, kinds, restrict="__restrict__ "):
    """Any strides and broadcasting: element i's offset in each input comes from its flat
    index over the output's shape (outputs are contiguous)."""
    ndim = node.outputs[0].ndim
    loads = []
    for k, (variable, kind) in enumerate(zip(node.inputs, kinds)):
        ctype = CTYPES[variable.dtype]
        loads.append(f"b{k}" if kind == "value" else
                     f"*(const {ctype} *)(p{k} + ag_offset(i, {ndim}, shape, s{k}))")
    body = _element_body(node, kinds, loads,
                         [f"q{j}[i] = {{}};" for j in range(len(node.outputs))])
    return "\n".join([_comment(node), f'extern "C" __global__ void KNAME('
                      f'{_kernel_params(node, kinds, True, restrict)}) {{'] + _loop(body) + ["}"])


def _vectorisable(node, kinds):
    operands = [v for v, kind in zip(node.inputs, kinds) if kind == "full"] + node.outputs
    return all(v.dtype == "float32" for v in operands) and all(
        v.dtype == "float32" or kind == "value" for v, kind in zip(node.inputs, kinds))


@cuda_emitter(Elemwise)
def elemwise_code(node, ctx):
    """Shape checks, output allocation, and the launch of the fitting kernel."""
    inputs, outputs = node.inputs, node.outputs
    ndim = outputs[0].ndim
    kinds = _elemwise_kinds(node, ctx.renderer)
    names = [ctx.name(v) for v in inputs]
    out_names = [ctx.name(v) for v in outputs]
    lines = broadcast_shape_code(node, ctx, names, out_names)
    lines += [ctx.alloc(v) for v in outputs]
    restrict = "" if _aliased(ctx, node) else "__restrict__ "
    lines.append(f"long long n_ = ag_size(&{out_names[0]});")
    flat_args, strided_args = ["n_"], ["n_", "shape_"]
    declarations = []
    for k, (variable, kind) in enumerate(zip(inputs, kinds)):
        if kind == "value":
            declarations.append(f"{CTYPES[variable.dtype]} b{k}_ = *(const "
                                f"{CTYPES[variable.dtype]} *){names[k]}.data;")
            flat_args.append(f"b{k}_")
            strided_args.append(f"b{k}_")
        else:
            declarations.append(f"const char *p{k}_ = {names[k]}.data;")
            flat_args.append(f"p{k}_")
            strided_args += [f"p{k}_", f"s{k}_"]
    for j, name in enumerate(out_names):
        declarations.append(f"char *q{j}_ = {name}.data;")
        flat_args.append(f"q{j}_")
        strided_args.append(f"q{j}_")
    lines.append("if (n_ > 0) {")
    lines += ["    " + d for d in declarations]
    grid = f"ag_grid(n_, {ctx.renderer.block_size})"
    block = str(ctx.renderer.block_size)
    moving = [k for k, kind in enumerate(kinds) if kind in ("full", "partial", "scalar")]
    strided_launch = None
    if ndim > 0 and any(kinds[k] != "scalar" for k in moving):
        strided_name, strided = ctx.kernel("strided", strided_kernel(node, kinds, restrict))
        strided_setup = [f"ag_dims shape_ = ag_dims_of_shape(&{out_names[0]});"] + [
            f"ag_dims s{k}_ = ag_dims_of_strides(&{names[k]}, &{out_names[0]});"
            for k in moving]
        strided_launch = "{ " + " ".join(strided_setup) + "\n" + ctx.launch(
            strided, strided_name, grid, block, strided_args) + " }"
    if "partial" in kinds:
        lines.append("    " + strided_launch)
        lines.append("}")
        return "\n".join(lines)
    flat_name, flat = ctx.kernel("flat", flat_kernel(node, kinds, restrict))
    flat_launch = ctx.launch(flat, flat_name, grid, block, flat_args)
    if strided_launch is None:
        lines.append("    " + flat_launch)
        lines.append("}")
        return "\n".join(lines)
    contiguous = " && ".join(
        f"ag_is_contiguous(&{names[k]}, {itemsize(inputs[k].dtype)})"
        for k, kind in enumerate(kinds) if kind == "full") or "1"
    lines.append(f"    if ({contiguous}) {{")
    if _vectorisable(node, kinds):
        vector_name, vector = ctx.kernel("vec", vector_kernel(node, kinds, restrict))
        aligned = " && ".join([f"ag_aligned16(p{k}_)" for k, kind in enumerate(kinds)
                               if kind == "full"] +
                              [f"ag_aligned16(q{j}_)" for j in range(len(outputs))])
        vector_grid = f"ag_grid((n_ + {VEC - 1}) / {VEC}, {ctx.renderer.block_size})"
        lines.append(f"        if ({aligned}) " +
                     ctx.launch(vector, vector_name, vector_grid, block, flat_args))
        lines.append(f"        else {flat_launch}")
    else:
        lines.append(f"        {flat_launch}")
    lines.append(f"    }} else {strided_launch}")
    lines.append("}")
    return "\n".join(lines)


elemwise_code.supports = lambda node: _supports(node)
elemwise_code.host_inputs = lambda node, renderer: [
    k for k, kind in enumerate(_elemwise_kinds(node, renderer)) if kind == "value"]


# ---------------------------------------------------------------------------- reductions
_INT_MIN = {"int8": "(-128)", "int16": "(-32768)", "int32": "(-2147483647 - 1)",
            "int64": "(-9223372036854775807LL - 1)", "uint8": "0", "uint16": "0",
            "uint32": "0u", "uint64": "0ull", "bool": "0"}
_INT_MAX = {"int8": "127", "int16": "32767", "int32": "2147483647",
            "int64": "9223372036854775807LL", "uint8": "255", "uint16": "65535",
            "uint32": "4294967295u", "uint64": "18446744073709551615ull", "bool": "1"}


def _identity(kind, dtype):
    floating = dtype.startswith("float")
    return {"sum": "0", "prod": "1", "all": "1", "any": "0",
            "max": "(-INFINITY)" if floating else _INT_MIN[dtype],
            "min": "INFINITY" if floating else _INT_MAX[dtype]}[kind]


def _combine(kind, dtype):
    """C expression of a and b combining two partial results."""
    floating = dtype.startswith("float")
    if kind == "max":
        return "(a != a) ? a : ((b != b || b > a) ? b : a)" if floating else "(b > a ? b : a)"
    if kind == "min":
        return "(a != a) ? a : ((b != b || b < a) ? b : a)" if floating else "(b < a ? b : a)"
    return {"sum": "a + b", "prod": "a * b", "all": "a && b", "any": "a || b"}[kind]


def _space(node, ctx, names, scalar_op):
    """Statements giving ``es_`` (shape only) the element-wise iteration space."""
    if scalar_op is None:
        return [f"ag_array es_ = {names[0]};"]
    ndim = max(v.ndim for v in node.inputs)
    return [f"ag_array es_; es_.ndim = {ndim};"] + broadcast_shape_code(
        _Shaped(node, ndim), ctx, names, ["es_"])


class _Shaped:
    """A node whose one output has the broadcast pattern of a fused reduction's inputs."""

    def __init__(self, node, ndim):
        self.inputs = node.inputs
        pattern = tuple(all(v.broadcastable[d] for v in node.inputs) for d in range(ndim))
        self.outputs = [type("Out", (), {"ndim": ndim, "broadcastable": pattern})()]


def reduction_code(node, ctx, kind, axes, scalar_op, acc_dtype, arg=None):
    """Reduce (``scalar_op`` of) the inputs over ``axes`` into the output: one block per
    output element, threads striding over the reduced elements, a warp-shuffle combine.
    ``arg`` ('>' or '<') makes it an argmax/argmin."""
    inputs, out = node.inputs, node.outputs[0]
    names = [ctx.name(v) for v in inputs]
    dst = ctx.name(out)
    lines = _space(node, ctx, names, scalar_op)
    ndim = max([v.ndim for v in inputs] + [0])
    kept = [a for a in range(ndim) if a not in axes]
    for j, a in enumerate(kept):
        lines.append(f"{dst}.shape[{j}] = es_.shape[{a}];")
    lines.append(ctx.alloc(out))
    lines.append(f"long long nout_ = ag_size(&{dst}), nred_ = 1;")
    lines += [f"nred_ *= es_.shape[{a}];" for a in axes]
    if kind in ("max", "min") or arg:
        lines.append("if (nred_ == 0 && nout_ > 0) { " + ctx.fail(
            "ValueError", "cannot reduce an empty axis (the reduction has no identity)") + " }")
    lines.append("ag_dims kshape_, rshape_;")
    lines += [f"kshape_.v[{j}] = es_.shape[{a}];" for j, a in enumerate(kept)]
    lines += [f"rshape_.v[{j}] = es_.shape[{a}];" for j, a in enumerate(axes)]
    args = ["nout_", "nred_", "kshape_", "rshape_"]
    params = ["long long nout", "long long nred", "ag_dims kshape", "ag_dims rshape"]
    loads = []
    for k, variable in enumerate(inputs):
        lines.append(f"const char *p{k}_ = {names[k]}.data; ag_dims ks{k}_, rs{k}_; "
                     f"{{ ag_dims all_ = ag_dims_of_strides(&{names[k]}, &es_);")
        lines += [f"  ks{k}_.v[{j}] = all_.v[{a}];" for j, a in enumerate(kept)]
        lines += [f"  rs{k}_.v[{j}] = all_.v[{a}];" for j, a in enumerate(axes)]
        lines.append("}")
        args += [f"p{k}_", f"ks{k}_", f"rs{k}_"]
        params += [f"const char *__restrict__ p{k}", f"ag_dims ks{k}", f"ag_dims rs{k}"]
        ctype = CTYPES[variable.dtype]
        loads.append(f"const {ctype} x{k} = *(const {ctype} *)(p{k} + base{k} + "
                     f"ag_offset(r, {len(axes)}, rshape, rs{k}));")
    lines.append(f"char *q_ = {dst}.data;")
    args.append("q_")
    params.append(f"{CTYPES[out.dtype]} *__restrict__ q")
    acc = CTYPES[acc_dtype]
    if scalar_op is not None:
        statements, (element,) = scalar_statements(
            scalar_op, [f"x{k}" for k in range(len(inputs))], [v.dtype for v in inputs],
            [acc_dtype], "t", method="cuda_expr")
    else:
        statements, element = [], "x0"
    element = f"({acc})(({element}) != 0)" if kind in ("all", "any") else f"({acc})({element})"
    body = [f"        const long long base{k} = ag_offset(o, {len(kept)}, kshape, ks{k});"
            for k in range(len(inputs))]
    if arg:
        better = _better(arg, acc_dtype)
        source = [f"struct KNAME_better {{ __device__ __forceinline__ bool operator()("
                  f"{acc} a, long long ia, {acc} b, long long ib) const {{ {better} }} }};"]
        body += [f"        {acc} best = 0; long long best_i = -1;",
                 "        for (long long r = threadIdx.x; r < nred; r += blockDim.x) {"]
        body += ["            " + s for s in loads + statements]
        body += [f"            const {acc} v = {element};",
                 "            if (KNAME_better()(v, r, best, best_i)) { best = v; best_i = r; }",
                 "        }",
                 "        ag_block_argreduce(best, best_i, KNAME_better());",
                 "        if (threadIdx.x == 0) q[o] = best_i < 0 ? 0 : best_i;"]
    else:
        identity = _identity(kind, acc_dtype)
        source = [f"struct KNAME_op {{ __device__ __forceinline__ {acc} operator()({acc} a, "
                  f"{acc} b) const {{ return {_combine(kind, acc_dtype)}; }} }};"]
        body += [f"        {acc} acc = ({acc}){identity};",
                 "        for (long long r = threadIdx.x; r < nred; r += blockDim.x) {"]
        body += ["            " + s for s in loads + statements]
        body += [f"            acc = KNAME_op()(acc, {element});", "        }",
                 f"        acc = ag_block_reduce(acc, KNAME_op(), ({acc}){identity});",
                 f"        if (threadIdx.x == 0) q[o] = ({CTYPES[out.dtype]})acc;"]
    source += [f"/* {kind}{' (arg)' if arg else ''} over axes {tuple(axes)} */",
               # Blocks of up to 1024 threads: the register budget must allow them.
               f'extern "C" __global__ void __launch_bounds__(1024) KNAME('
               f'{", ".join(params)}) {{',
               "    for (long long o = blockIdx.x; o < nout; o += gridDim.x) {"]
    source += body + ["    }", "}"]
    name, index = ctx.kernel("reduce", "\n".join(source))
    lines.append("unsigned block_ = 32; while (block_ < 256 && block_ < nred_) block_ *= 2;")
    lines.append("if (nout_ < 64 && nred_ > 4096) block_ = 1024;")
    lines.append("unsigned grid_ = nout_ < 1048576 ? (unsigned)nout_ : 1048576u;")
    lines.append("if (nout_ > 0) " + ctx.launch(index, name, "grid_", "block_", args))
    return "\n".join(lines)


def _better(arg, dtype):
    """Body of the argmax/argmin order: the first extreme wins; NaN beats everything."""
    check = "if (ia < 0) return false; if (ib < 0) return true; "
    if dtype.startswith("float"):
        check += "if (a != a) return b == b || ia < ib; if (b != b) return false; "
    return check + f"return a {arg} b || (a == b && ia < ib);"


@cuda_emitter(FusedReduce)
def fused_reduce_code(node, ctx):
    op = node.op
    return reduction_code(node, ctx, op.kind, tuple(op.axis), op.scalar_op, op.acc_dtype)


def _fused_supports(node):
    try:
        scalar_statements(node.op.scalar_op, [f"a{k}" for k in range(len(node.inputs))],
                          [v.dtype for v in node.inputs], [node.op.acc_dtype], "s",
                          method="cuda_expr")
    except (TypeError, KeyError, AttributeError):
        return False
    return node.op.kind in ("sum", "prod", "max", "min") and node.op.acc_dtype in CTYPES


fused_reduce_code.supports = _fused_supports


@cuda_emitter(Sum, Prod, Max, Min, All, Any)
def reduce_code(node, ctx):
    kind = _KINDS[_kind(node.op)]
    return reduction_code(node, ctx, kind, tuple(node.op.axis), None,
                          accumulator_dtype(node))


reduce_code.supports = lambda node: _kind(node.op) is not None and \
    accumulator_dtype(node) in CTYPES and accumulator_dtype(node) not in (
        "float16",)


@cuda_emitter(Argmax)
def argmax_code(node, ctx):
    arg = "<" if type(node.op).__name__ == "Argmin" else ">"
    return reduction_code(node, ctx, "max", tuple(node.op.axis), None, node.inputs[0].dtype,
                          arg=arg)


argmax_code.supports = _arg_supports


# ---------------------------------------------------------------------------- softmax
def _softmax(node, ctx, log):
    (x,), (out,) = node.inputs, node.outputs
    src, dst = ctx.name(x), ctx.name(out)
    ctype = CTYPES[x.dtype]
    f = "f" if x.dtype == "float32" else ""
    write = (f"q[row * cols + c] = v - m - log{f}(s);" if log else
             f"q[row * cols + c] = exp{f}(v - m) / s;")
    source = "\n".join([
        f"struct KNAME_max {{ __device__ __forceinline__ {ctype} operator()({ctype} a, "
        f"{ctype} b) const {{ return {_combine('max', x.dtype)}; }} }};",
        f"struct KNAME_sum {{ __device__ __forceinline__ {ctype} operator()({ctype} a, "
        f"{ctype} b) const {{ return a + b; }} }};",
        f"/* {'log-' if log else ''}softmax of each row */",
        f'extern "C" __global__ void KNAME(long long rows, long long cols, long long rs, '
        f'long long cs, const char *__restrict__ x, {ctype} *__restrict__ q) {{',
        f"    __shared__ {ctype} shared_m, shared_s;",
        "    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {",
        "        const char *xr = x + row * rs;",
        f"        {ctype} m = -INFINITY;",
        "        for (long long c = threadIdx.x; c < cols; c += blockDim.x)",
        f"            m = KNAME_max()(m, *(const {ctype} *)(xr + c * cs));",
        f"        m = ag_block_reduce(m, KNAME_max(), ({ctype})(-INFINITY));",
        "        if (threadIdx.x == 0) shared_m = m;",
        "        __syncthreads();",
        "        m = shared_m;",
        f"        {ctype} s = 0;",
        "        for (long long c = threadIdx.x; c < cols; c += blockDim.x)",
        f"            s += exp{f}(*(const {ctype} *)(xr + c * cs) - m);",
        f"        s = ag_block_reduce(s, KNAME_sum(), ({ctype})0);",
        "        if (threadIdx.x == 0) shared_s = s;",
        "        __syncthreads();",
        "        s = shared_s;",
        "        for (long long c = threadIdx.x; c < cols; c += blockDim.x) {",
        f"            const {ctype} v = *(const {ctype} *)(xr + c * cs);",
        f"            {write}",
        "        }",
        "        __syncthreads();",
        "    }",
        "}"])
    name, index = ctx.kernel("softmax", source)
    lines = [f"{dst}.shape[0] = {src}.shape[0]; {dst}.shape[1] = {src}.shape[1];",
             ctx.alloc(out),
             f"long long rows_ = {src}.shape[0], cols_ = {src}.shape[1];",
             f"long long rs_ = {src}.strides[0], cs_ = {src}.strides[1];",
             f"const char *x_ = {src}.data; char *q_ = {dst}.data;",
             "unsigned block_ = 32; while (block_ < 256 && block_ < cols_) block_ *= 2;",
             "unsigned grid_ = rows_ < 1048576 ? (unsigned)rows_ : 1048576u;",
             "if (rows_ > 0 && cols_ > 0) " + ctx.launch(
                 index, name, "grid_", "block_", ["rows_", "cols_", "rs_", "cs_", "x_", "q_"])]
    return "\n".join(lines)


@cuda_emitter(Softmax)
def softmax_code(node, ctx):
    return _softmax(node, ctx, False)


@cuda_emitter(LogSoftmax)
def log_softmax_code(node, ctx):
    return _softmax(node, ctx, True)


softmax_code.supports = log_softmax_code.supports = lambda node: \
    node.inputs[0].dtype in ("float32", "float64") and node.inputs[0].ndim == 2


# ---------------------------------------------------------------------------- cuBLAS
def _matrix(name, variable, target, first):
    """Statements making ag_array ``target`` the 2-d view of a 1-d or 2-d operand: a vector
    is a row when it comes first in the product, else a column."""
    if variable.ndim == 2:
        return [f"ag_array {target} = {name};"]
    size = itemsize(variable.dtype)
    if first:
        return [f"ag_array {target}; {target}.ndim = 2; {target}.data = {name}.data; "
                f"{target}.shape[0] = 1; {target}.shape[1] = {name}.shape[0]; "
                f"{target}.strides[0] = {name}.shape[0] * {size}; "
                f"{target}.strides[1] = {name}.strides[0];"]
    return [f"ag_array {target}; {target}.ndim = 2; {target}.data = {name}.data; "
            f"{target}.shape[0] = {name}.shape[0]; {target}.shape[1] = 1; "
            f"{target}.strides[0] = {name}.strides[0]; {target}.strides[1] = {size};"]


def _gemm_call(ctx, dtype, alpha, beta, device_scalars):
    ctx.renderer.uses_blas = True
    return (f"if (ag_gemm({int(dtype == 'float64')}, &A_, &B_, &C_, {alpha}, {beta}, "
            f"{device_scalars}, &dtmp[{ctx.temp()}], &dtmp[{ctx.temp()}], st->copy_fns, "
            f"st->fname) < 0) goto fail;")


@cuda_emitter(Dot)
def dot_code(node, ctx):
    x, y = node.inputs
    out = node.outputs[0]
    a, b, c = ctx.name(x), ctx.name(y), ctx.name(out)
    ctype = CTYPES[out.dtype]
    lines = [f"if ({a}.shape[{x.ndim - 1}] != {b}.shape[0]) {{ char a_[64], b_[64]; " + ctx.fail(
        "ValueError", "dot: shapes %s and %s are not aligned", f"ag_shape_str(&{a}, a_, 64)",
        f"ag_shape_str(&{b}, b_, 64)") + " }"]
    dims = ([f"{a}.shape[0]"] if x.ndim == 2 else []) + ([f"{b}.shape[1]"] if y.ndim == 2
                                                          else [])
    lines += [f"{c}.shape[{d}] = {size};" for d, size in enumerate(dims)]
    lines.append(ctx.alloc(out))
    lines += _matrix(a, x, "A_", True) + _matrix(b, y, "B_", False)
    lines.append(f"ag_array C_; C_.ndim = 2; C_.data = {c}.data; C_.shape[0] = A_.shape[0]; "
                 f"C_.shape[1] = B_.shape[1]; ag_set_contiguous(&C_, {itemsize(out.dtype)});")
    lines.append(f"{{ const {ctype} one_ = 1, zero_ = 0;")
    lines.append(_gemm_call(ctx, out.dtype, "&one_", "&zero_", 0) + " }")
    return "\n".join(lines)


dot_code.supports = lambda node: node.inputs[0].dtype == node.inputs[1].dtype == \
    node.outputs[0].dtype and node.outputs[0].dtype in ("float32", "float64") and \
    all(v.ndim in (1, 2) for v in node.inputs)


def _host_scalars(node, renderer):
    """Gemm's a and b are read on the host when both are there (constants included)."""
    return [1, 4] if all(renderer.where_of(node.inputs[k]) != "device" for k in (1, 4)) else []


@cuda_emitter(Gemm)
def gemm_code(node, ctx):
    """out = b * z + a * dot(x, y): z copied into the output unless it is its buffer."""
    z, a, x, y, b = node.inputs
    out = node.outputs[0]
    zn, an, xn, yn, bn, on = (ctx.name(v) for v in (z, a, x, y, b, out))
    size = itemsize(out.dtype)
    device_scalars = 0 if _host_scalars(node, ctx.renderer) else 1
    lines = [f"if ({xn}.shape[1] != {yn}.shape[0] || {zn}.shape[0] != {xn}.shape[0] || "
             f"{zn}.shape[1] != {yn}.shape[1]) {{ char a_[64], b_[64], c_[64]; " + ctx.fail(
                 "ValueError", "gemm: shapes %s + %s . %s do not match",
                 f"ag_shape_str(&{zn}, a_, 64)", f"ag_shape_str(&{xn}, b_, 64)",
                 f"ag_shape_str(&{yn}, c_, 64)") + " }",
             f"{on}.shape[0] = {zn}.shape[0]; {on}.shape[1] = {zn}.shape[1];",
             ctx.alloc(out),
             f"if ({on}.data != {zn}.data && ag_dcopy(st->copy_fns, &{on}, &{zn}, {size}, "
             f"st->fname) < 0) goto fail;",
             f"ag_array A_ = {xn}, B_ = {yn}, C_ = {on};",
             _gemm_call(ctx, out.dtype, f"{an}.data", f"{bn}.data", device_scalars)]
    return "\n".join(lines)


gemm_code.supports = lambda node: node.outputs[0].dtype in ("float32", "float64")
gemm_code.host_inputs = _host_scalars


# ---------------------------------------------------------------------------- shapes, views
def _host_shape_inputs(node, renderer):
    return list(range(1, len(node.inputs)))


def _view(c_emitter):
    """A C emitter that only moves shapes, strides and the data pointer (no element
    access) serves the device as it is; its index inputs are read on the host."""
    def code(node, ctx):
        return c_emitter(node, ctx)
    code.supports = getattr(c_emitter, "supports", None)
    code.host_inputs = _host_shape_inputs
    return code


for _op in (DimShuffle, Subtensor, Rebroadcast, SpecifyShape, _GradientIdentity):
    cuda_emitter(_op)(_view(EMITTERS[_op]))


@cuda_emitter(Reshape)
def reshape_code(node, ctx):
    """The C reshape (a view of contiguous input), with the copy of a strided input done on
    the device."""
    x = node.inputs[0]
    out = node.outputs[0]
    src, dst = ctx.name(x), ctx.name(out)
    size = itemsize(out.dtype)
    code = EMITTERS[Reshape](node, ctx)
    slot = ctx.renderer.extra_slot(out)
    host_copy = (f"else {{ ag_array flat_ = {src}; "
                 f"if (ag_alloc_in_slot(&{dst}, &st->slots[{slot}], "
                 f"{size}) < 0) goto fail; flat_.data = {dst}.data; "
                 f"ag_set_contiguous(&flat_, {size}); ag_copy(&flat_, &{src}, {size}); }}")
    device_copy = (f"else {{ ag_array flat_ = {src}; "
                   f"if (ag_dalloc(&{dst}, &dslots[{slot}], {size}, st->fname) < 0) goto fail; "
                   f"flat_.data = {dst}.data; ag_set_contiguous(&flat_, {size}); "
                   f"if (ag_dcopy(st->copy_fns, &flat_, &{src}, {size}, st->fname) < 0) "
                   f"goto fail; }}")
    if host_copy not in code:
        raise AssertionError("the C reshape emitter changed: update the CUDA one")
    return code.replace(host_copy, device_copy)


reshape_code.host_inputs = _host_shape_inputs


@cuda_emitter(Alloc)
def alloc_code(node, ctx):
    """A broadcast copy of the value (a memset for a constant zero)."""
    value, *shape = node.inputs
    out = node.outputs[0]
    src, dst = ctx.name(value), ctx.name(out)
    size = itemsize(out.dtype)
    lines = []
    for d, variable in enumerate(shape):
        lines.append(f"{dst}.shape[{d}] = (npy_intp)*(const {CTYPES[variable.dtype]} *)"
                     f"{ctx.name(variable)}.data;")
        lines.append(f"if ({dst}.shape[{d}] < 0) {{ " + ctx.fail(
            "ValueError", f"alloc: negative length %ld for dimension {d}",
            f"(long){dst}.shape[{d}]") + " }")
    lead = out.ndim - value.ndim
    for d in range(value.ndim):
        lines.append(f"if ({src}.shape[{d}] != 1 && {src}.shape[{d}] != {dst}.shape[{d + lead}]) "
                     f"{{ " + ctx.fail("ValueError", f"alloc: the value's dimension {d} has "
                                       f"length %ld, the shape asks for %ld",
                                       f"(long){src}.shape[{d}]",
                                       f"(long){dst}.shape[{d + lead}]") + " }")
    lines.append(ctx.alloc(out))
    if isinstance(value, Constant) and not value.data.any():
        lines.append(f"AG_CU(AGC.cuMemsetD8Async((CUdeviceptr){dst}.data, 0, "
                     f"(size_t)ag_size(&{dst}) * {size}, 0), \"cuMemsetD8Async\");")
    else:
        lines.append(f"if (ag_dbroadcast(st->copy_fns, &{dst}, &{src}, {size}, st->fname) < 0) "
                     f"goto fail;")
    return "\n".join(lines)


alloc_code.host_inputs = _host_shape_inputs


# ---------------------------------------------------------------------------- indexing
def _index_setup(ctx, x, ilist, lines, prefix):
    """Host statements passing x's trailing dimensions and the index vector to a kernel."""
    src, idx = ctx.name(x), ctx.name(ilist)
    lines.append(f"ag_dims ish_{prefix}, xs_{prefix}; long long len0_{prefix} = {src}.shape[0], "
                 f"xs0_{prefix} = {src}.strides[0], inner_{prefix} = 1;")
    for d in range(1, x.ndim):
        lines.append(f"ish_{prefix}.v[{d - 1}] = {src}.shape[{d}]; xs_{prefix}.v[{d - 1}] = "
                     f"{src}.strides[{d}]; inner_{prefix} *= {src}.shape[{d}];")
    lines.append(f"const char *idx_{prefix} = {idx}.data; long long istride_{prefix} = "
                 f"{idx}.strides[0];")


@cuda_emitter(AdvancedSubtensor1)
def advanced_subtensor1_code(node, ctx):
    """Gather rows; an out-of-range index raises IndexError when the call ends."""
    x, ilist = node.inputs
    out = node.outputs[0]
    src, dst, idx = ctx.name(x), ctx.name(out), ctx.name(ilist)
    ctype, itype = CTYPES[x.dtype], CTYPES[ilist.dtype]
    flag, value = ctx.flag_check()
    lines = [f"{dst}.shape[0] = {idx}.shape[0];"]
    lines += [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(1, x.ndim)]
    lines.append(ctx.alloc(out))
    _index_setup(ctx, x, ilist, lines, "g")
    lines.append(f"long long n_ = ag_size(&{dst}); const char *x_ = {src}.data; "
                 f"char *q_ = {dst}.data; int *flag_ = {flag}; int value_ = {value};")
    source = "\n".join([
        "/* rows of x picked by an index vector */",
        f'extern "C" __global__ void KNAME(long long n, long long inner, long long len0, '
        f'ag_dims ishape, ag_dims xs, long long xs0, const char *__restrict__ x, '
        f'const char *__restrict__ idx, long long istride, {ctype} *__restrict__ q, '
        f'int *flag, int value) {{',
        "    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;",
        "         i += (long long)blockDim.x * gridDim.x) {",
        "        const long long row = i / inner, col = i - row * inner;",
        f"        long long j = (long long)*(const {itype} *)(idx + row * istride);",
        "        if (j < 0) j += len0;",
        "        if (j < 0 || j >= len0) { atomicExch(flag, value); q[i] = 0; continue; }",
        f"        q[i] = *(const {ctype} *)(x + j * xs0 + ag_offset(col, {x.ndim - 1}, ishape, "
        f"xs));",
        "    }",
        "}"])
    name, index = ctx.kernel("take", source)
    lines.append("if (n_ > 0) " + ctx.launch(index, name, "ag_grid(n_, 256)", "256", [
        "n_", "inner_g", "len0_g", "ish_g", "xs_g", "xs0_g", "x_", "idx_g", "istride_g", "q_",
        "flag_", "value_"]))
    return "\n".join(lines)


advanced_subtensor1_code.supports = lambda node: node.inputs[1].dtype in CTYPES and \
    node.inputs[1].dtype != "bool"

_ATOMIC = {"float32": ("float", "float"), "float64": ("double", "double"),
           "int32": ("int", "int"), "uint32": ("unsigned int", "unsigned int"),
           "int64": ("unsigned long long", "unsigned long long"),
           "uint64": ("unsigned long long", "unsigned long long")}


@cuda_emitter(AdvancedIncSubtensor1)
def advanced_inc_subtensor1_code(node, ctx):
    """x copied (unless the output took its buffer), then y scattered into the rows picked
    by the index vector: atomicAdd for increments (repeated rows add up), stores for set."""
    x, y, ilist = node.inputs
    out = node.outputs[0]
    src, val, dst, idx = ctx.name(x), ctx.name(y), ctx.name(out), ctx.name(ilist)
    size = itemsize(out.dtype)
    ctype, vtype, itype = CTYPES[out.dtype], CTYPES[y.dtype], CTYPES[ilist.dtype]
    flag, value = ctx.flag_check()
    lines = [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim)]
    lines.append(ctx.alloc(out))
    lines.append(f"if ({dst}.data != {src}.data && ag_dcopy(st->copy_fns, &{dst}, &{src}, "
                 f"{size}, st->fname) < 0) goto fail;")
    # The value broadcasts against (len(ilist),) + x.shape[1:].
    lines.append(f"ag_array vs_ = {dst}; vs_.shape[0] = {idx}.shape[0];")
    lead = x.ndim - y.ndim
    for d in range(y.ndim):
        lines.append(f"if ({val}.shape[{d}] != 1 && {val}.shape[{d}] != vs_.shape[{d + lead}]) "
                     f"{{ char a_[64], b_[64]; " + ctx.fail(
                         "ValueError", "shape mismatch: value array of shape %s could not be "
                         "broadcast to indexing result of shape %s",
                         f"ag_shape_str(&{val}, a_, 64)", "ag_shape_str(&vs_, b_, 64)") + " }")
    _index_setup(ctx, out, ilist, lines, "s")
    lines.append(f"ag_dims vshape_ = ag_dims_of_shape(&vs_), ys_ = ag_dims_of_strides(&{val}, "
                 f"&vs_); long long n_ = ag_size(&vs_); const char *y_ = {val}.data; "
                 f"char *q_ = {dst}.data; int *flag_ = {flag}; int value_ = {value};")
    if node.op.set_instead_of_inc:
        write = f"*(({ctype} *)target) = v;"
    else:
        atype, _ = _ATOMIC[out.dtype]
        write = f"atomicAdd(({atype} *)target, ({atype})v);"
    source = "\n".join([
        f"/* {node.op}: rows picked by an index vector */",
        'extern "C" __global__ void KNAME(long long n, long long inner, long long len0, '
        'ag_dims ishape, ag_dims os, long long os0, char *q, const char *__restrict__ idx, '
        'long long istride, ag_dims vshape, ag_dims ys, const char *__restrict__ y, '
        'int *flag, int value) {',
        "    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;",
        "         i += (long long)blockDim.x * gridDim.x) {",
        "        const long long row = i / inner, col = i - row * inner;",
        f"        long long j = (long long)*(const {itype} *)(idx + row * istride);",
        "        if (j < 0) j += len0;",
        "        if (j < 0 || j >= len0) { atomicExch(flag, value); continue; }",
        f"        const {ctype} v = ({ctype})*(const {vtype} *)(y + ag_offset(i, {x.ndim}, "
        f"vshape, ys));",
        f"        char *target = q + j * os0 + ag_offset(col, {x.ndim - 1}, ishape, os);",
        f"        {write}",
        "    }",
        "}"])
    name, index = ctx.kernel("scatter", source)
    lines.append("if (n_ > 0) " + ctx.launch(index, name, "ag_grid(n_, 256)", "256", [
        "n_", "inner_s", "len0_s", "ish_s", "xs_s", "xs0_s", "q_", "idx_s", "istride_s",
        "vshape_", "ys_", "y_", "flag_", "value_"]))
    return "\n".join(lines)


advanced_inc_subtensor1_code.supports = lambda node: node.inputs[2].dtype in CTYPES and \
    node.inputs[2].dtype != "bool" and (node.op.set_instead_of_inc or
                                         node.outputs[0].dtype in _ATOMIC)


@cuda_emitter(Transfer)
def transfer_code(node, ctx):
    """transfer(x, 'cuda'): the device value itself (copied there if it was on the host)."""
    return f"{ctx.name(node.outputs[0])} = {ctx.name(node.inputs[0])};"


transfer_code.supports = lambda node: node.op.target == "cuda"


# ---------------------------------------------------------------------------- x[i, j, ...]
def _leading_vectors(node, first_piece):
    """Whether an advanced index is integer vectors on the leading axes and full slices
    after them (``x[arange(n), y]``, ``x[rows, cols, :]``): the cases the device runs."""
    x, pieces = node.inputs[0], node.inputs[first_piece:]
    entries = list(node.op.idx_list)
    arrays = [k for k, e in enumerate(entries) if e == ARRAY]
    return bool(arrays) and arrays == list(range(len(arrays))) and \
        all(e == FULL_SLICE for e in entries[len(arrays):]) and len(pieces) == len(arrays) and \
        all(p.ndim == 1 and p.dtype in CTYPES and p.dtype != "bool" for p in pieces) and \
        len(entries) <= x.ndim


def _vector_index_setup(ctx, x_name, x, pieces, lines):
    """Host statements for K index vectors on x's leading axes: ``len_`` (their common
    length, a length 1 broadcasts), ``inner_`` and the trailing shape and strides."""
    k = len(pieces)
    lines.append("long long len_ = 1;")
    for j, piece in enumerate(pieces):
        name = ctx.name(piece)
        lines.append(f"if ({name}.shape[0] != 1) {{ if (len_ != 1 && len_ != {name}.shape[0]) "
                     f"{{ " + ctx.fail("IndexError", "shape mismatch: indexing arrays could not "
                                       "be broadcast together (lengths %ld and %ld)",
                                       "(long)len_", f"(long){name}.shape[0]") +
                     f" }} len_ = {name}.shape[0]; }}")
    lines.append("ag_dims ish_, xs_; long long inner_ = 1;")
    for d in range(k, x.ndim):
        lines.append(f"ish_.v[{d - k}] = {x_name}.shape[{d}]; xs_.v[{d - k}] = "
                     f"{x_name}.strides[{d}]; inner_ *= {x_name}.shape[{d}];")
    args, params, offsets = [], [], []
    for j, piece in enumerate(pieces):
        name = ctx.name(piece)
        lines.append(f"const char *ip{j}_ = {name}.data; long long is{j}_ = {name}.shape[0] == 1 "
                     f"? 0 : {name}.strides[0], il{j}_ = {x_name}.shape[{j}], "
                     f"xs{j}_ = {x_name}.strides[{j}];")
        args += [f"ip{j}_", f"is{j}_", f"il{j}_", f"xs{j}_"]
        params += [f"const char *__restrict__ ip{j}", f"long long is{j}", f"long long il{j}",
                   f"long long xs{j}"]
        itype = CTYPES[piece.dtype]
        offsets += [f"long long j{j} = (long long)*(const {itype} *)(ip{j} + row * is{j});",
                    f"if (j{j} < 0) j{j} += il{j};",
                    f"if (j{j} < 0 || j{j} >= il{j}) bad = 1;",
                    f"offset += j{j} * xs{j};"]
    return args, params, offsets


@cuda_emitter(AdvancedSubtensor)
def advanced_subtensor_code(node, ctx):
    """Gather through index vectors on the leading axes; a bad index raises IndexError when
    the call ends."""
    x, *pieces = node.inputs
    out = node.outputs[0]
    src, dst = ctx.name(x), ctx.name(out)
    ctype = CTYPES[x.dtype]
    flag, value = ctx.flag_check()
    k = len(pieces)
    lines = []
    args, params, offsets = _vector_index_setup(ctx, src, x, pieces, lines)
    lines.append(f"{dst}.shape[0] = len_;")
    lines += [f"{dst}.shape[{d - k + 1}] = {src}.shape[{d}];" for d in range(k, x.ndim)]
    lines.append(ctx.alloc(out))
    lines.append(f"long long n_ = ag_size(&{dst}); const char *x_ = {src}.data; "
                 f"char *q_ = {dst}.data; int *flag_ = {flag}; int value_ = {value};")
    source = "\n".join([
        f"/* x[{', '.join(['vector'] * k)}, ...] */",
        f'extern "C" __global__ void KNAME(long long n, long long inner, ag_dims ishape, '
        f'ag_dims xs, const char *__restrict__ x, {", ".join(params)}, '
        f'{ctype} *__restrict__ q, int *flag, int value) {{',
        "    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;",
        "         i += (long long)blockDim.x * gridDim.x) {",
        "        const long long row = i / inner, col = i - row * inner;",
        "        long long offset = 0; int bad = 0;"] +
        ["        " + line for line in offsets] + [
        "        if (bad) { atomicExch(flag, value); q[i] = 0; continue; }",
        f"        q[i] = *(const {ctype} *)(x + offset + ag_offset(col, {x.ndim - k}, ishape, "
        f"xs));",
        "    }",
        "}"])
    name, index = ctx.kernel("take", source)
    lines.append("if (n_ > 0) " + ctx.launch(index, name, "ag_grid(n_, 256)", "256", [
        "n_", "inner_", "ish_", "xs_", "x_"] + args + ["q_", "flag_", "value_"]))
    return "\n".join(lines)


advanced_subtensor_code.supports = lambda node: _leading_vectors(node, 1)


@cuda_emitter(AdvancedIncSubtensor)
def advanced_inc_subtensor_code(node, ctx):
    """x copied (unless the output took its buffer), then the value scattered through index
    vectors on the leading axes: atomicAdd for increments, stores for set."""
    x, y, *pieces = node.inputs
    out = node.outputs[0]
    src, val, dst = ctx.name(x), ctx.name(y), ctx.name(out)
    size = itemsize(out.dtype)
    ctype, vtype = CTYPES[out.dtype], CTYPES[y.dtype]
    flag, value = ctx.flag_check()
    k = len(pieces)
    lines = [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim)]
    lines.append(ctx.alloc(out))
    lines.append(f"if ({dst}.data != {src}.data && ag_dcopy(st->copy_fns, &{dst}, &{src}, "
                 f"{size}, st->fname) < 0) goto fail;")
    args, params, offsets = _vector_index_setup(ctx, dst, x, pieces, lines)
    # The value broadcasts against the indexed result, (len,) + x.shape[k:].
    lines.append(f"ag_array vs_; vs_.ndim = {x.ndim - k + 1}; vs_.shape[0] = len_;")
    lines += [f"vs_.shape[{d - k + 1}] = {dst}.shape[{d}];" for d in range(k, x.ndim)]
    lead = x.ndim - k + 1 - y.ndim
    for d in range(y.ndim):
        lines.append(f"if ({val}.shape[{d}] != 1 && {val}.shape[{d}] != vs_.shape[{d + lead}]) "
                     f"{{ char a_[64], b_[64]; " + ctx.fail(
                         "ValueError", "cannot write a value of shape %s into a subtensor of "
                         "shape %s", f"ag_shape_str(&{val}, a_, 64)",
                         "ag_shape_str(&vs_, b_, 64)") + " }")
    lines.append(f"ag_dims vshape_ = ag_dims_of_shape(&vs_), ys_ = ag_dims_of_strides(&{val}, "
                 f"&vs_); long long n_ = ag_size(&vs_); const char *y_ = {val}.data; "
                 f"char *q_ = {dst}.data; int *flag_ = {flag}; int value_ = {value};")
    if node.op.set_instead_of_inc:
        write = f"*(({ctype} *)target) = v;"
    else:
        atype, _ = _ATOMIC[out.dtype]
        write = f"atomicAdd(({atype} *)target, ({atype})v);"
    source = "\n".join([
        f"/* {node.op}: x[{', '.join(['vector'] * k)}, ...] */",
        f'extern "C" __global__ void KNAME(long long n, long long inner, ag_dims ishape, '
        f'ag_dims xs, char *q, {", ".join(params)}, ag_dims vshape, ag_dims ys, '
        f'const char *__restrict__ y, int *flag, int value) {{',
        "    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;",
        "         i += (long long)blockDim.x * gridDim.x) {",
        "        const long long row = i / inner, col = i - row * inner;",
        "        long long offset = 0; int bad = 0;"] +
        ["        " + line for line in offsets] + [
        "        if (bad) { atomicExch(flag, value); continue; }",
        f"        const {ctype} v = ({ctype})*(const {vtype} *)(y + ag_offset(i, "
        f"{x.ndim - k + 1}, vshape, ys));",
        f"        char *target = q + offset + ag_offset(col, {x.ndim - k}, ishape, xs);",
        f"        {write}",
        "    }",
        "}"])
    name, index = ctx.kernel("scatter", source)
    lines.append("if (n_ > 0) " + ctx.launch(index, name, "ag_grid(n_, 256)", "256", [
        "n_", "inner_", "ish_", "xs_", "q_"] + args + ["vshape_", "ys_", "y_", "flag_",
                                                        "value_"]))
    return "\n".join(lines)


advanced_inc_subtensor_code.supports = lambda node: _leading_vectors(node, 2) and (
    node.op.set_instead_of_inc or node.outputs[0].dtype in _ATOMIC)
