"""C for reductions over axes: sum, prod, max, min, all, any, argmax, argmin."""

import importlib

from ..ops.composite import FusedReduce
from .c import CTYPES, c_convert, emitter

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


@emitter(FusedReduce)
def fused_reduce_code(node, ctx):
    op = node.op
    return reduction_code(node, ctx, op.kind, tuple(op.axis), op.scalar_op, op.acc_dtype)


def _fused_supports(node):
    from .elemwise_c import scalar_statements
    if any(v.dtype not in CTYPES for v in node.inputs + node.outputs):
        return False
    try:
        scalar_statements(node.op.scalar_op, [f"a{k}" for k in range(len(node.inputs))],
                          [v.dtype for v in node.inputs], [node.op.acc_dtype], "s")
    except (TypeError, KeyError, AttributeError):
        return False
    return True


fused_reduce_code.supports = _fused_supports


_KINDS = {"Sum": "sum", "Prod": "prod", "Max": "max", "Min": "min", "All": "all",
          "Any": "any"}


def _supports(node):
    kind = _kind(node.op)
    if kind is None:
        return False
    x, out = node.inputs[0], node.outputs[0]
    return x.dtype in CTYPES and out.dtype in CTYPES and \
        reduce_ops.accumulator_dtype(node) in CTYPES


@emitter(reduce_ops.Sum, reduce_ops.Prod, reduce_ops.Max, reduce_ops.Min, reduce_ops.All,
         reduce_ops.Any)
def reduce_code(node, ctx):
    kind = _KINDS[_kind(node.op)]
    return reduction_code(node, ctx, kind, tuple(node.op.axis), None,
                          reduce_ops.accumulator_dtype(node))


reduce_code.supports = _supports


def reduction_code(node, ctx, kind, axes, scalar_op, acc_dtype):
    """Reduce ``scalar_op(*node.inputs)`` (the single input when ``scalar_op`` is None) over
    ``axes`` into ``node.outputs[0]``, accumulating in ``acc_dtype``; one loop nest over the
    element-wise iteration space, nothing materialised."""
    from .elemwise_c import scalar_statements
    inputs, out = node.inputs, node.outputs[0]
    names = [ctx.name(v) for v in inputs]
    dst = ctx.name(out)
    ndim = inputs[0].ndim
    kept = [a for a in range(ndim) if a not in axes]
    out_type, acc_type = CTYPES[out.dtype], CTYPES[acc_dtype]
    op_name = kind.capitalize()
    lines = [f"npy_intp shape_[{max(ndim, 1)}];"]
    for axis in range(ndim):
        sources = [k for k, v in enumerate(inputs) if not v.broadcastable[axis]]
        size = f"{names[sources[0]]}.shape[{axis}]" if sources else "1"
        for k in sources[1:]:
            lines.append(f"if ({names[k]}.shape[{axis}] != {size}) {{ char a_[64], b_[64]; " +
                         ctx.fail("ValueError", f"input shapes %s and %s do not match in "
                                  f"dimension {axis}", f"ag_shape_str(&{names[sources[0]]}, "
                                  f"a_, 64)", f"ag_shape_str(&{names[k]}, b_, 64)") + " }")
        lines.append(f"shape_[{axis}] = {size};")
    for j, axis in enumerate(kept):
        lines.append(f"{dst}.shape[{j}] = shape_[{axis}];")
    lines.append(ctx.alloc(out))
    if kind in ("max", "min"):
        empty = " || ".join(f"shape_[{a}] == 0" for a in axes) or "0"
        lines.append(f"if (({empty}) && ag_size(&{dst}) > 0) {{ " + ctx.fail(
            "ValueError", "cannot reduce an empty axis (the reduction has no identity)") + " }")
    if scalar_op is None:
        element_lines, element = [], "x0"
    else:
        element_lines, results = scalar_statements(
            scalar_op, [f"x{k}" for k in range(len(inputs))], [v.dtype for v in inputs],
            [acc_dtype], "e")
        element = results[0]
    loads = []
    for k, variable in enumerate(inputs):
        offset = " + ".join(f"i{d} * {names[k]}.strides[{d}]" for d in range(ndim)
                            if not variable.broadcastable[d]) or "0"
        ctype = CTYPES[variable.dtype]
        loads.append(f"const {ctype} x{k} = *(const {ctype} *)({names[k]}.data + {offset});")
    identity = _identity(op_name, acc_dtype)
    if not kept:
        lines.append(f"{acc_type} acc_ = {identity};")
        target = "acc_"
    else:
        lines.append(f"{acc_type} *accs_ = ({acc_type} *){dst}.data;")
        if acc_dtype != out.dtype:
            lines.append(f"if (ag_slot_reserve(&st->scratch_a, (size_t)ag_size(&{dst}) * "
                         f"sizeof({acc_type})) < 0) goto fail;")
            lines.append(f"accs_ = ({acc_type} *)st->scratch_a.ptr;")
        lines.append(f"for (npy_intp k_ = 0; k_ < ag_size(&{dst}); k_++) accs_[k_] = "
                     f"{identity};")
        terms = []
        for j, axis in enumerate(kept):
            stride = " * ".join(f"shape_[{b}]" for b in kept[j + 1:]) or "1"
            terms.append(f"i{axis} * ({stride})")
        target = f"accs_[{' + '.join(terms)}]"
    # When the innermost axis is reduced, its loop folds into a local accumulator (no
    # store-to-load chain through memory), vectorised for sums and products.
    inner_reduced = ndim > 0 and (ndim - 1) in axes
    folded = "r_" if inner_reduced else target
    body = loads + element_lines + [f"const {acc_type} v_ = {c_convert(element, acc_dtype)};",
                                    _combine(op_name, folded, "v_", acc_dtype)]
    nest, indent = [], ""
    operator = {"Sum": "+", "Prod": "*"}.get(op_name) if inner_reduced else None
    for d in range(ndim - 1):
        nest.append(f"{indent}for (npy_intp i{d} = 0; i{d} < shape_[{d}]; i{d}++) {{")
        indent += "    "
    if ndim:
        last = ndim - 1
        loop = f"for (npy_intp i{last} = 0; i{last} < shape_[{last}]; i{last}++) {{"
        inner = [f"{indent}    {b}" for b in body] + [f"{indent}}}"]
        if inner_reduced:
            nest.append(f"{indent}{acc_type} r_ = {target};")
        if operator:
            # vectorised for long rows; a short row costs less as a plain loop
            nest += [f"{indent}if (shape_[{last}] >= 32) {{",
                     f"{indent}#pragma omp simd reduction({operator}:r_)",
                     f"{indent}{loop}"] + inner + [f"{indent}}} else {{", f"{indent}{loop}"] \
                + inner + [f"{indent}}}"]
        else:
            nest += [f"{indent}{loop}"] + inner
        if inner_reduced:
            nest.append(f"{indent}{target} = r_;")
    else:
        nest += body
    for d in reversed(range(ndim - 1)):
        indent = indent[:-4]
        nest.append(indent + "}")
    lines += ["{"] + ["    " + line for line in nest] + ["}"]
    if not kept:
        lines.append(f"*({out_type} *){dst}.data = ({out_type})acc_;")
    elif acc_dtype != out.dtype:
        lines.append(f"{{ {out_type} *o_ = ({out_type} *){dst}.data; for (npy_intp k_ = 0; "
                     f"k_ < ag_size(&{dst}); k_++) o_[k_] = ({out_type})accs_[k_]; }}")
    return "\n".join(lines)


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
