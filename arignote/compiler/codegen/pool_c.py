"""C for 2-d pooling and its gradients: shape checks here, loops in kernels/pool.h.

Each emitter computes the pooled shape (raising the ops' errors: a window that does not fit
with ``ignore_border=True``, a gradient of the wrong shape), allocates the output, makes the
operands contiguous (a copy into a slot of its own, only when an operand is a strided view)
and calls one kernel with the geometry as constants.  float32 and float64 only; integer
pooling runs the numpy reference.
"""

import importlib

from .c import CTYPES, emitter, itemsize

pool_ops = importlib.import_module("arignote.compiler.ops.pool")

INCLUDE = '#include "pool.h"'
MODE_CODES = {"max": "AG_POOL_MAX", "sum": "AG_POOL_SUM", "average_inc_pad": "AG_POOL_AVG_INC",
              "average_exc_pad": "AG_POOL_AVG_EXC"}


def _include(ctx):
    if INCLUDE not in ctx.renderer.functions:
        ctx.renderer.functions.append(INCLUDE)


def _contiguous(ctx, variable, key):
    """C lines and a pointer expression to ``variable``'s elements in row-major order."""
    name, size = ctx.name(variable), itemsize(variable.dtype)
    pointer = ctx.fresh("p")
    slot = ctx.renderer.extra_slot((ctx.node.outputs[0], key))
    ctype = CTYPES[variable.dtype]
    lines = [f"const {ctype} *{pointer} = (const {ctype} *){name}.data;",
             f"if (!ag_is_contiguous(&{name}, {size})) {{",
             f"    ag_array packed_ = {name}; ag_set_contiguous(&packed_, {size});",
             f"    if (ag_alloc_in_slot(&packed_, &st->slots[{slot}], {size}) < 0) goto fail;",
             f"    ag_copy(&packed_, &{name}, {size});",
             f"    {pointer} = (const {ctype} *)packed_.data;",
             "}"]
    return lines, pointer


def _length(op, axis, n):
    """A C expression: the number of windows along ``axis`` of length ``n`` (non-negative;
    the ignore_border check comes first, so the divisions round like Python's)."""
    ws, stride, pad = op.ws[axis], op.stride[axis], op.pad[axis]
    if op.ignore_border:
        return f"({n} + {2 * pad - ws}) / {stride} + 1"
    if stride >= ws:
        return f"({n} == 0 ? 0 : ({n} - 1) / {stride} + 1)"
    return f"({n} == 0 ? 0 : ({n} < {1 + ws - stride} ? 1 : ({n} - {1 + ws - stride}) / " \
           f"{stride} + 1))"


def _geometry(ctx, op, x):
    """C lines declaring ``g_`` (the kernel's geometry) for input ``x``, raising the
    window-does-not-fit error; the pooled shape lands in ``g_.oh`` and ``g_.ow``."""
    name, nd = ctx.name(x), x.ndim
    lines = ["ag_pool_geom g_;",
             f"g_.h = {name}.shape[{nd - 2}]; g_.w = {name}.shape[{nd - 1}];",
             "g_.planes = 1;"]
    lines += [f"g_.planes *= {name}.shape[{d}];" for d in range(nd - 2)]
    if op.ignore_border:
        message = (f"pool_2d: the {op.ws[0]}x{op.ws[1]} window is larger than the %ldx%ld "
                   f"input padded by {op.pad} (ignore_border=True leaves no window); use a "
                   f"smaller window, padding, or ignore_border=False")
        fits = f"g_.h + {2 * op.pad[0]} >= {op.ws[0]} && g_.w + {2 * op.pad[1]} >= {op.ws[1]}"
        lines.append(f"if (!({fits})) "
                     + ctx.fail("ValueError", message, "(long)g_.h", "(long)g_.w"))
    lines += [f"g_.oh = {_length(op, 0, 'g_.h')}; g_.ow = {_length(op, 1, 'g_.w')};",
              f"g_.wr = {op.ws[0]}; g_.wc = {op.ws[1]}; g_.sr = {op.stride[0]}; "
              f"g_.sc = {op.stride[1]}; g_.pr = {op.pad[0]}; g_.pc = {op.pad[1]}; "
              f"g_.mode = {MODE_CODES[op.mode]};"]
    return lines


def _pooled_shape_check(ctx, x, pooled, what):
    """C lines raising ValueError unless ``pooled`` has the pooled shape of ``x``."""
    name, src, nd = ctx.name(pooled), ctx.name(x), x.ndim
    same = " && ".join([f"{name}.shape[{d}] == {src}.shape[{d}]" for d in range(nd - 2)]
                       + [f"{name}.shape[{nd - 2}] == g_.oh", f"{name}.shape[{nd - 1}] == g_.ow"])
    error = ctx.fail("ValueError", f"{type(ctx.node.op).__name__}: {what} has shape %s, but "
                     f"pooling an input of shape %s gives %ld x %ld windows",
                     f"ag_shape_str(&{name}, a_, 64)", f"ag_shape_str(&{src}, b_, 64)",
                     "(long)g_.oh", "(long)g_.ow")
    return [f"if (!({same})) {{ char a_[64], b_[64]; {error} }}"]


def _set_shape(ctx, out, model, pooled):
    """C lines giving ``out`` the shape of ``model`` (its last two axes pooled or not)."""
    name, src, nd = ctx.name(out), ctx.name(model), out.ndim
    lines = [f"{name}.shape[{d}] = {src}.shape[{d}];" for d in range(nd - 2)]
    if pooled:
        lines.append(f"{name}.shape[{nd - 2}] = g_.oh; {name}.shape[{nd - 1}] = g_.ow;")
    else:
        lines.append(f"{name}.shape[{nd - 2}] = g_.h; {name}.shape[{nd - 1}] = g_.w;")
    return lines + [ctx.alloc(out)]


def _kernel(node, name):
    return f"ag_pool_{name}_{CTYPES[node.outputs[0].dtype]}"


@emitter(pool_ops.Pool)
def pool_code(node, ctx):
    """Pooled output of every plane, one kernel call."""
    _include(ctx)
    (x,), (out,) = node.inputs, node.outputs
    lines = _geometry(ctx, node.op, x) + _set_shape(ctx, out, x, pooled=True)
    read, px = _contiguous(ctx, x, 0)
    ctype = CTYPES[out.dtype]
    lines += read + [f"{_kernel(node, 'fwd')}({px}, ({ctype} *){ctx.name(out)}.data, &g_);"]
    return "\n".join(lines)


@emitter(pool_ops.MaxPoolGrad, pool_ops.DownsampleFactorMaxGradGrad)
def max_pool_grad_code(node, ctx):
    """The max-pool gradient (into x's shape) or its transpose (into maxout's shape)."""
    _include(ctx)
    x, maxout, grad = node.inputs
    (out,) = node.outputs
    forward = isinstance(node.op, pool_ops.MaxPoolGrad)
    lines = _geometry(ctx, node.op, x)
    lines += _pooled_shape_check(ctx, x, maxout, "maxout")
    if forward:
        lines += _pooled_shape_check(ctx, x, grad, "the output gradient")
    else:
        same = " && ".join(f"{ctx.name(grad)}.shape[{d}] == {ctx.name(x)}.shape[{d}]"
                           for d in range(x.ndim))
        error = ctx.fail("ValueError", "DownsampleFactorMaxGradGrad: ggx has shape %s, the "
                         "input %s", f"ag_shape_str(&{ctx.name(grad)}, a_, 64)",
                         f"ag_shape_str(&{ctx.name(x)}, b_, 64)")
        lines.append(f"if (!({same})) {{ char a_[64], b_[64]; {error} }}")
    lines += _set_shape(ctx, out, x, pooled=not forward)
    pointers = []
    for k, variable in enumerate(node.inputs):
        read, pointer = _contiguous(ctx, variable, k)
        lines += read
        pointers.append(pointer)
    ctype = CTYPES[out.dtype]
    kernel = _kernel(node, "max_grad" if forward else "max_gradgrad")
    lines.append(f"{kernel}({', '.join(pointers)}, ({ctype} *){ctx.name(out)}.data, &g_);")
    return "\n".join(lines)


@emitter(pool_ops.AveragePoolGrad)
def average_pool_grad_code(node, ctx):
    """The gradient of sum and average pooling: x gives only the output's shape."""
    _include(ctx)
    x, gz = node.inputs
    (out,) = node.outputs
    lines = _geometry(ctx, node.op, x)
    lines += _pooled_shape_check(ctx, x, gz, "the output gradient")
    lines += _set_shape(ctx, out, x, pooled=False)
    read, pointer = _contiguous(ctx, gz, 1)
    ctype = CTYPES[out.dtype]
    lines += read + [f"{_kernel(node, 'avg_grad')}({pointer}, ({ctype} *){ctx.name(out)}.data, "
                     f"&g_);"]
    return "\n".join(lines)


def _float_only(node):
    return node.outputs[0].dtype in ("float32", "float64")


for _code in (pool_code, max_pool_grad_code, average_pool_grad_code):
    _code.supports = _float_only
