"""C for reductions over axes: sum, prod, max, min, all, any, argmax, argmin."""

import importlib

from .c import CTYPES, emitter

reduce_ops = importlib.import_module("arignote.compiler.ops.reduce")

_FLOAT_LIMITS = {"float32": ("(-INFINITY)", "INFINITY"), "float64": ("(-INFINITY)", "INFINITY")}
_INT_LIMITS = {
    "int8": ("NPY_MIN_INT8", "NPY_MAX_INT8"), "int16": ("NPY_MIN_INT16", "NPY_MAX_INT16"),
    "int32": ("NPY_MIN_INT32", "NPY_MAX_INT32"), "int64": ("NPY_MIN_INT64", "NPY_MAX_INT64"),
    "uint8": ("0", "NPY_MAX_UINT8"), "uint16": ("0", "NPY_MAX_UINT16"),
    "uint32": ("0", "NPY_MAX_UINT32"), "uint64": ("0", "NPY_MAX_UINT64"), "bool": ("0", "1"),
}


def _limits(dtype):
    return _FLOAT_LIMITS.get(dtype) or _INT_LIMITS[dtype]


def _kind(op):
    for name in ("Sum", "Prod", "Max", "Min", "All", "Any"):
        if type(op).__name__ == name:
            return name
    return None


def _combine(kind, acc, x, out_dtype):
    """C statement folding element ``x`` into accumulator lvalue ``acc``."""
    if kind == "Sum":
        return f"{acc} += ({CTYPES[out_dtype]}){x};"
    if kind == "Prod":
        return f"{acc} *= ({CTYPES[out_dtype]}){x};"
    if kind == "Max":
        return f"if ({x} > {acc} || {x} != {x}) {acc} = {x};" if out_dtype.startswith(
            "float") else f"if ({x} > {acc}) {acc} = {x};"
    if kind == "Min":
        return f"if ({x} < {acc} || {x} != {x}) {acc} = {x};" if out_dtype.startswith(
            "float") else f"if ({x} < {acc}) {acc} = {x};"
    if kind == "All":
        return f"{acc} = {acc} && ({x} != 0);"
    return f"{acc} = {acc} || ({x} != 0);"


def _identity(kind, dtype):
    return {"Sum": "0", "Prod": "1", "All": "1", "Any": "0",
            "Max": _limits(dtype)[0], "Min": _limits(dtype)[1]}[kind]


def _supports(node):
    op = node.op
    kind = _kind(op)
    if kind is None:
        return False
    x, out = node.inputs[0], node.outputs[0]
    if x.dtype not in CTYPES or out.dtype not in CTYPES:
        return False
    accumulate = getattr(op, "accumulate_dtype", None)
    if accumulate is not None and kind in ("Sum", "Prod"):
        acc = accumulate(x.dtype)
        return acc == out.dtype or (acc == "bool" and out.dtype == "int64")
    return True


@emitter(reduce_ops.Sum, reduce_ops.Prod, reduce_ops.Max, reduce_ops.Min, reduce_ops.All,
         reduce_ops.Any)
def reduce_code(node, ctx):
    """Initialise the output with the identity, then fold every input element into it."""
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    kind = _kind(op)
    axes = tuple(op.axis)
    kept = [a for a in range(x.ndim) if a not in axes]
    src, dst = ctx.name(x), ctx.name(out)
    out_type = CTYPES[out.dtype]
    lines = [f"{dst}.shape[{j}] = {src}.shape[{a}];" for j, a in enumerate(kept)]
    lines.append(ctx.alloc(out))
    if kind in ("Max", "Min"):
        empty = " || ".join(f"{src}.shape[{a}] == 0" for a in axes) or "0"
        lines.append(f"if (({empty}) && ag_size(&{dst}) > 0) {{ " + ctx.fail(
            "ValueError", "cannot reduce an empty axis (the reduction has no identity)") + " }")
    lines.append(f"{{ const npy_intp m_ = ag_size(&{dst}); {out_type} *o_ = ({out_type} *)"
                 f"{dst}.data; for (npy_intp k_ = 0; k_ < m_; k_++) o_[k_] = "
                 f"{_identity(kind, out.dtype)}; }}")
    in_type = CTYPES[x.dtype]
    if len(kept) == 0 and kind in ("Sum", "Prod"):
        lines.append(f"if (ag_is_contiguous(&{src}, {ctx.itemsize(x.dtype)})) {{")
        lines.append(f"    const {in_type} *p_ = (const {in_type} *){src}.data;")
        lines.append(f"    const npy_intp n_ = ag_size(&{src});")
        lines.append(f"    {out_type} acc_ = {_identity(kind, out.dtype)};")
        operator = "+" if kind == "Sum" else "*"
        lines.append(f"    #pragma omp simd reduction({operator}:acc_)")
        lines.append(f"    for (npy_intp i_ = 0; i_ < n_; i_++) acc_ {operator}= "
                     f"({out_type})p_[i_];")
        lines.append(f"    *({out_type} *){dst}.data = acc_;")
        lines.append("} else {")
        lines += ["    " + line for line in _nest(x, src, dst, kept, kind, out, in_type)]
        lines.append("}")
    else:
        lines += _nest(x, src, dst, kept, kind, out, in_type)
    return "\n".join(lines)


reduce_code.supports = _supports


def _nest(x, src, dst, kept, kind, out, in_type):
    """Loops over every element of ``x``, folding into the output element it maps to."""
    ndim = x.ndim
    in_offset = " + ".join(f"i{d} * {src}.strides[{d}]" for d in range(ndim)) or "0"
    out_offset = " + ".join(f"i{a} * {dst}.strides[{j}]" for j, a in enumerate(kept)) or "0"
    x_value = f"(*(const {in_type} *)({src}.data + {in_offset}))"
    acc = f"(*({CTYPES[out.dtype]} *)({dst}.data + {out_offset}))"
    body = [f"const {in_type} x_ = {x_value};", _combine(kind, acc, "x_", out.dtype)]
    lines, indent = [], ""
    for d in range(ndim):
        lines.append(f"{indent}for (npy_intp i{d} = 0; i{d} < {src}.shape[{d}]; i{d}++) {{")
        indent += "    "
    lines += [indent + b for b in body]
    for _ in range(ndim):
        indent = indent[:-4]
        lines.append(indent + "}")
    return ["{"] + ["    " + line for line in lines] + ["}"]


def _arg_supports(node):
    x = node.inputs[0]
    axes = tuple(node.op.axis)
    return x.dtype in CTYPES and (len(axes) <= 1 or axes == tuple(range(x.ndim)))


@emitter(reduce_ops.Argmax)
def argmax_code(node, ctx):
    """Index of the first maximum (minimum for Argmin); NaN wins, as in numpy."""
    op, (x,), (out,) = node.op, node.inputs, node.outputs
    better = "<" if type(op).__name__ == "Argmin" else ">"
    axes = tuple(op.axis)
    src, dst = ctx.name(x), ctx.name(out)
    in_type = CTYPES[x.dtype]
    nan_check = x.dtype.startswith("float")
    if len(axes) == 0:
        lines = [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim)]
        lines.append(ctx.alloc(out))
        lines.append(f"{{ npy_int64 *o_ = (npy_int64 *){dst}.data; npy_intp m_ = "
                     f"ag_size(&{dst}); for (npy_intp k_ = 0; k_ < m_; k_++) o_[k_] = 0; }}")
        return "\n".join(lines)
    if axes == tuple(range(x.ndim)) and x.ndim != 1:
        lines = [ctx.alloc(out)]
        lines.append(f"if (ag_size(&{src}) == 0) {{ " + ctx.fail(
            "ValueError", "attempt to get argmax/argmin of an empty sequence") + " }")
        lines.append(f"{{ npy_intp index_[{max(x.ndim, 1)}] = {{0}}; npy_intp n_ = "
                     f"ag_size(&{src}); npy_int64 best_i_ = 0; {in_type} best_ = "
                     f"*(const {in_type} *){src}.data;")
        lines.append("  for (npy_intp k_ = 0; k_ < n_; k_++) {")
        offset = " + ".join(f"index_[{d}] * {src}.strides[{d}]" for d in range(x.ndim)) or "0"
        lines.append(f"    const {in_type} v_ = *(const {in_type} *)({src}.data + {offset});")
        lines.append(_better_update(better, nan_check, "k_"))
        lines.append(f"    for (int d_ = {x.ndim} - 1; d_ >= 0; d_--) {{ if (++index_[d_] < "
                     f"{src}.shape[d_]) break; index_[d_] = 0; }}")
        lines.append(f"  }} *(npy_int64 *){dst}.data = best_i_; }}")
        return "\n".join(lines)
    (axis,) = axes
    kept = [a for a in range(x.ndim) if a != axis]
    lines = [f"{dst}.shape[{j}] = {src}.shape[{a}];" for j, a in enumerate(kept)]
    lines.append(ctx.alloc(out))
    lines.append(f"if ({src}.shape[{axis}] == 0 && ag_size(&{dst}) > 0) {{ " + ctx.fail(
        "ValueError", "attempt to get argmax/argmin of an empty sequence") + " }")
    loops, indent = [], ""
    for a in kept:
        loops.append(f"{indent}for (npy_intp i{a} = 0; i{a} < {src}.shape[{a}]; i{a}++) {{")
        indent += "    "
    base = " + ".join(f"i{a} * {src}.strides[{a}]" for a in kept) or "0"
    out_offset = " + ".join(f"i{a} * {dst}.strides[{j}]" for j, a in enumerate(kept)) or "0"
    body = [f"const char *row_ = {src}.data + {base};",
            f"npy_int64 best_i_ = 0; {in_type} best_ = *(const {in_type} *)row_;",
            f"for (npy_intp k_ = 0; k_ < {src}.shape[{axis}]; k_++) {{",
            f"    const {in_type} v_ = *(const {in_type} *)(row_ + k_ * "
            f"{src}.strides[{axis}]);",
            _better_update(better, nan_check, "k_"),
            "}",
            f"*(npy_int64 *)({dst}.data + {out_offset}) = best_i_;"]
    loops += [indent + b for b in body]
    for _ in kept:
        indent = indent[:-4]
        loops.append(indent + "}")
    return "\n".join(lines + ["{"] + loops + ["}"])


argmax_code.supports = _arg_supports


def _better_update(better, nan_check, index):
    if nan_check:
        return (f"    if ((v_ {better} best_ || (v_ != v_ && best_ == best_))) "
                f"{{ best_ = v_; best_i_ = {index}; }}")
    return f"    if (v_ {better} best_) {{ best_ = v_; best_i_ = {index}; }}"
