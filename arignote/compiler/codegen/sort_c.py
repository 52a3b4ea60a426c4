"""C for sorting along an axis (ops/sort.py): one stable merge sort of indices per line,
from kernels/sort.h, and the gather/scatter of ``TakeAlong`` that is its gradient."""

from ..ops.sort import ArgSort, Sort, TakeAlong
from .c import CTYPES, emitter

INCLUDE = '#include "sort.h"'


def _define(ctx, ctype):
    """Make the module include sort.h and define the argsort of ``ctype`` once."""
    functions = ctx.renderer.root.functions
    if INCLUDE not in functions:
        functions.append(INCLUDE)
    definition = f"AG_SORT_DEFINE({ctype})"
    if definition not in functions:
        functions.append(definition)


def _along(arrays, ndim, axis, body):
    """Loops over every axis but ``axis``; inside, ``p<k>_`` points at the line's first
    element of ``arrays[k]`` and ``body`` runs once per line."""
    kept = [a for a in range(ndim) if a != axis]
    lines, indent = [], ""
    for a in kept:
        lines.append(f"{indent}for (npy_intp i{a} = 0; i{a} < {arrays[0]}.shape[{a}]; i{a}++) {{")
        indent += "    "
    for k, name in enumerate(arrays):
        offset = " + ".join(f"i{a} * {name}.strides[{a}]" for a in kept) or "0"
        lines.append(f"{indent}char *p{k}_ = {name}.data + {offset};")
    lines += [indent + line for line in body]
    for _ in kept:
        indent = indent[:-4]
        lines.append(indent + "}")
    return ["{"] + lines + ["}"]


def _sort_supports(node):
    return node.inputs[0].dtype != "float16"


@emitter(Sort, ArgSort)
def sort_code(node, ctx):
    """Sorted values or sorting indices of every line along the axis."""
    (x,), (out,) = node.inputs, node.outputs
    axis = node.op.axis
    src, dst = ctx.name(x), ctx.name(out)
    ctype = CTYPES[x.dtype]
    _define(ctx, ctype)
    slot = ctx.renderer.extra_slot((out, "sort"))
    n = f"{src}.shape[{axis}]"
    lines = [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim)]
    lines.append(ctx.alloc(out))
    lines += ["ag_array order_; order_.ndim = 1;",
              f"order_.shape[0] = 2 * ({n} > 0 ? {n} : 1);",
              f"if (ag_alloc_in_slot(&order_, &st->slots[{slot}], 8) < 0) goto fail;",
              "npy_int64 *idx_ = (npy_int64 *)order_.data;",
              f"npy_int64 *tmp_ = idx_ + ({n} > 0 ? {n} : 1);"]
    if isinstance(node.op, Sort):
        store = (f"*({ctype} *)(p1_ + k_ * {dst}.strides[{axis}]) = "
                 f"*(const {ctype} *)(p0_ + idx_[k_] * {src}.strides[{axis}]);")
    else:
        store = f"*(npy_int64 *)(p1_ + k_ * {dst}.strides[{axis}]) = idx_[k_];"
    body = [f"ag_argsort_{ctype}(p0_, {n}, {src}.strides[{axis}], idx_, tmp_);",
            f"for (npy_intp k_ = 0; k_ < {n}; k_++) {store}"]
    return "\n".join(lines + _along([src, dst], x.ndim, axis, body))


sort_code.supports = _sort_supports


@emitter(TakeAlong)
def take_along_code(node, ctx):
    """``out[..k..] = x[..order[k]..]``, or the scatter ``out[..order[k]..] = x[..k..]``."""
    (x, order), (out,) = node.inputs, node.outputs
    axis, inverse = node.op.axis, node.op.inverse
    src, idx, dst = ctx.name(x), ctx.name(order), ctx.name(out)
    ctype = CTYPES[x.dtype]
    n = f"{src}.shape[{axis}]"
    lines = []
    for d in range(x.ndim):
        lines.append(f"if ({idx}.shape[{d}] != {src}.shape[{d}]) " + ctx.fail(
            "ValueError", "take_along: values and order differ in dimension %d (%ld, %ld)",
            str(d), f"(long){src}.shape[{d}]", f"(long){idx}.shape[{d}]"))
        lines.append(f"{dst}.shape[{d}] = {src}.shape[{d}];")
    lines.append(ctx.alloc(out))
    if inverse:
        lines.append(f"memset({dst}.data, 0, (size_t)ag_size(&{dst}) * {x.type.numpy_dtype.itemsize});")
    check = (f"if (j_ < 0 || j_ >= {n}) " + ctx.fail(
        "IndexError", "take_along: index %ld of the order is out of range [0, %ld)",
        "(long)j_", f"(long){n}"))
    if inverse:
        move = (f"*({ctype} *)(p2_ + j_ * {dst}.strides[{axis}]) = "
                f"*(const {ctype} *)(p0_ + k_ * {src}.strides[{axis}]);")
    else:
        move = (f"*({ctype} *)(p2_ + k_ * {dst}.strides[{axis}]) = "
                f"*(const {ctype} *)(p0_ + j_ * {src}.strides[{axis}]);")
    body = [f"for (npy_intp k_ = 0; k_ < {n}; k_++) {{",
            f"    const npy_int64 j_ = *(const npy_int64 *)(p1_ + k_ * {idx}.strides[{axis}]);",
            "    " + check,
            "    " + move,
            "}"]
    return "\n".join(lines + _along([src, idx, dst], x.ndim, axis, body))


take_along_code.supports = lambda node: node.inputs[0].dtype != "float16"
