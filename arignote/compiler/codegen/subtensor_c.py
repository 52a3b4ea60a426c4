"""C for indexing: basic ``Subtensor`` (a view), ``AdvancedSubtensor1`` (row gather), and
their writing twins ``IncSubtensor`` and ``AdvancedIncSubtensor1``."""

import importlib

from .c import CTYPES, c_convert, emitter

st_ops = importlib.import_module("arignote.compiler.ops.subtensor")
SYM, ARRAY = st_ops.SYM, st_ops.ARRAY


def nested_loop(ndim, shape, offsets, body):
    """Loops ``i0..i{ndim-1}`` over ``shape`` (a C ag_array name); ``offsets`` maps a C
    variable name to the ag_array whose byte offset it receives."""
    lines, indent = [], ""
    for d in range(ndim):
        lines.append(f"{indent}for (npy_intp i{d} = 0; i{d} < {shape}.shape[{d}]; i{d}++) {{")
        indent += "    "
    for variable, array in offsets.items():
        terms = " + ".join(f"i{d} * {array}.strides[{d}]" for d in range(ndim)) or "0"
        lines.append(f"{indent}char *{variable} = {array}.data + {terms};")
    lines += [indent + line for line in body]
    for _ in range(ndim):
        indent = indent[:-4]
        lines.append(indent + "}")
    return ["{"] + ["    " + line for line in lines] + ["}"]


def _view_code(ctx, idx_list, x, source, target, pieces):
    """Statements making ag_array ``target`` the basic-indexing view of ``source``."""
    piece_values = iter(f"((Py_ssize_t)*(const {CTYPES[p.dtype]} *){ctx.name(p)}.data)"
                        for p in pieces)

    def part(value, default):
        if value is None:
            return default
        return next(piece_values) if value == SYM else str(int(value))

    consumed = sum(1 for e in idx_list if e is not None and e is not Ellipsis)
    lines = [f"{target}.data = {source}.data;"]
    d = o = 0
    for entry in idx_list:
        if entry is Ellipsis:
            for _ in range(x.ndim - consumed):
                lines.append(f"{target}.shape[{o}] = {source}.shape[{d}]; "
                             f"{target}.strides[{o}] = {source}.strides[{d}];")
                d, o = d + 1, o + 1
        elif entry is None:
            lines.append(f"{target}.shape[{o}] = 1; {target}.strides[{o}] = 0;")
            o += 1
        elif isinstance(entry, tuple):
            start, stop, step = entry
            # Pieces are consumed in pattern order: start, stop, step.
            start_value = part(start, None)
            stop_value = part(stop, None)
            step_value = part(step, "1")
            lines.append("{")
            lines.append(f"    Py_ssize_t step_ = {step_value};")
            lines.append("    if (step_ == 0) { " + ctx.fail("ValueError",
                                                             "slice step cannot be zero") + " }")
            lines.append(f"    Py_ssize_t start_ = "
                         f"{start_value or '(step_ < 0 ? PY_SSIZE_T_MAX : 0)'};")
            lines.append(f"    Py_ssize_t stop_ = "
                         f"{stop_value or '(step_ < 0 ? PY_SSIZE_T_MIN : PY_SSIZE_T_MAX)'};")
            lines.append(f"    Py_ssize_t n_ = PySlice_AdjustIndices({source}.shape[{d}], "
                         f"&start_, &stop_, step_);")
            lines.append(f"    {target}.shape[{o}] = n_; "
                         f"{target}.strides[{o}] = {source}.strides[{d}] * step_;")
            lines.append(f"    if (n_ > 0) {target}.data += start_ * {source}.strides[{d}];")
            lines.append("}")
            d, o = d + 1, o + 1
        else:
            value = part(entry, "0")
            lines.append(f"{{ Py_ssize_t i_ = {value}; if (i_ < 0) i_ += {source}.shape[{d}]; "
                         f"if (i_ < 0 || i_ >= {source}.shape[{d}]) {{ " + ctx.fail(
                             "IndexError", f"index %ld is out of bounds for axis {d} with "
                             f"size %ld", f"(long)({value})", f"(long){source}.shape[{d}]") +
                         f" }} {target}.data += i_ * {source}.strides[{d}]; }}")
            d += 1
    while d < x.ndim:
        lines.append(f"{target}.shape[{o}] = {source}.shape[{d}]; "
                     f"{target}.strides[{o}] = {source}.strides[{d}];")
        d, o = d + 1, o + 1
    return lines


def _basic_supported(node):
    return all(e is None or e is Ellipsis or isinstance(e, (int, tuple)) or e == SYM
               for e in node.op.idx_list)


@emitter(st_ops.Subtensor)
def subtensor_code(node, ctx):
    x, *pieces = node.inputs
    return "\n".join(_view_code(ctx, node.op.idx_list, x, ctx.name(x),
                                ctx.name(node.outputs[0]), pieces))


subtensor_code.supports = _basic_supported


def _index_value(ctx, ilist, k):
    ctype = CTYPES[ilist.dtype]
    return f"((npy_intp)*(const {ctype} *)({ctx.name(ilist)}.data + {k} * " \
           f"{ctx.name(ilist)}.strides[0]))"


@emitter(st_ops.AdvancedSubtensor1)
def advanced_subtensor1_code(node, ctx):
    """Gather rows: ``out[k] = x[ilist[k]]`` with bounds checks and negative indices."""
    x, ilist = node.inputs
    out = node.outputs[0]
    src, dst = ctx.name(x), ctx.name(out)
    size = ctx.itemsize(out.dtype)
    lines = [f"{dst}.shape[0] = {ctx.name(ilist)}.shape[0];"]
    lines += [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(1, x.ndim)]
    lines.append(ctx.alloc(out))
    lines.append(f"for (npy_intp k_ = 0; k_ < {dst}.shape[0]; k_++) {{")
    lines.append(f"    npy_intp i_ = {_index_value(ctx, ilist, 'k_')};")
    lines.append(f"    if (i_ < 0) i_ += {src}.shape[0];")
    lines.append(f"    if (i_ < 0 || i_ >= {src}.shape[0]) {{ " + ctx.fail(
        "IndexError", "index %ld is out of bounds for axis 0 with size %ld",
        f"(long){_index_value(ctx, ilist, 'k_')}", f"(long){src}.shape[0]") + " }")
    lines.append(f"    ag_array row_s = {src}, row_d = {dst}; row_s.ndim = row_d.ndim = "
                 f"{x.ndim - 1};")
    lines.append(f"    for (int d_ = 1; d_ < {x.ndim}; d_++) {{ row_s.shape[d_ - 1] = "
                 f"{src}.shape[d_]; row_s.strides[d_ - 1] = {src}.strides[d_]; "
                 f"row_d.shape[d_ - 1] = {dst}.shape[d_]; row_d.strides[d_ - 1] = "
                 f"{dst}.strides[d_]; }}")
    lines.append(f"    row_s.data = {src}.data + i_ * {src}.strides[0]; "
                 f"row_d.data = {dst}.data + k_ * {dst}.strides[0];")
    lines.append(f"    ag_copy(&row_d, &row_s, {size});")
    lines.append("}")
    return "\n".join(lines)


advanced_subtensor1_code.supports = lambda node: node.inputs[1].dtype in CTYPES


def _write_value(ctx, target, target_ndim, value, value_var, set_instead, dtype):
    """Statements writing (or adding) ``value`` broadcast into the view ``target``."""
    lead = target_ndim - value_var.ndim
    lines = [f"ag_array w_ = {target}; w_.data = {value}.data;"]
    for d in range(target_ndim):
        if d < lead:
            lines.append(f"w_.strides[{d}] = 0;")
            continue
        v = d - lead
        lines.append(f"if ({value}.shape[{v}] != {target}.shape[{d}]) {{ if ({value}.shape[{v}]"
                     f" == 1 && {int(value_var.broadcastable[v])}) w_.strides[{d}] = 0; else {{ "
                     f"char a_[64], b_[64]; " + ctx.fail(
                         "ValueError", "cannot write a value of shape %s into a subtensor "
                         f"of shape %s", f"ag_shape_str(&{value}, a_, 64)",
                         f"ag_shape_str(&{target}, b_, 64)") + f" }} }} else w_.strides[{d}] = "
                     f"{value}.strides[{v}];")
    lines += nested_loop(target_ndim, target, {"pd_": target, "ps_": "w_"},
                         [f"*({CTYPES[dtype]} *)pd_ = "
                          f"{stored_value('pd_', 'ps_', dtype, value_var.dtype, set_instead)};"])
    return lines


def stored_value(target, source, dtype, value_dtype, set_instead):
    """C of the element written at ``target`` (a pointer to ``dtype``) from ``source`` (a
    pointer to ``value_dtype``): the value converted to ``dtype`` as numpy's astype does
    (bool: nonzero), or the element plus that converted value (for bool: logical or), as the
    reference computes it."""
    value = c_convert(f"*(const {CTYPES[value_dtype]} *){source}", dtype)
    if set_instead:
        return value
    if dtype == "bool":
        return f"((npy_bool)(*(npy_bool *){target} || {value}))"
    return c_convert(f"*({CTYPES[dtype]} *){target} + {value}", dtype)


@emitter(st_ops.IncSubtensor)
def inc_subtensor_code(node, ctx):
    x, y, *pieces = node.inputs
    out = node.outputs[0]
    src, dst = ctx.name(x), ctx.name(out)
    lines = [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim)]
    lines.append(ctx.alloc(out))
    lines.append(f"if ({dst}.data != {src}.data) ag_copy(&{dst}, &{src}, "
                 f"{ctx.itemsize(out.dtype)});")
    view_ndim = _view_ndim(node.op.idx_list, x.ndim)
    lines.append(f"ag_array view_; view_.ndim = {view_ndim};")
    lines += _view_code(ctx, node.op.idx_list, x, dst, "view_", pieces)
    lines += _write_value(ctx, "view_", view_ndim, ctx.name(y), y, node.op.set_instead_of_inc,
                          out.dtype)
    return "\n".join(lines)


inc_subtensor_code.supports = lambda node: _basic_supported(node) and \
    node.inputs[1].dtype in CTYPES


def _view_ndim(idx_list, ndim):
    """Rank of the basic-indexing view: slices and new axes, plus dimensions not indexed."""
    consumed = sum(1 for e in idx_list if e is not None and e is not Ellipsis)
    return sum(1 for e in idx_list if isinstance(e, tuple) or e is None) + ndim - consumed


@emitter(st_ops.AdvancedIncSubtensor1)
def advanced_inc_subtensor1_code(node, ctx):
    """Rows ``ilist`` of a copy of ``x`` set to (or incremented by) ``y``; repeats add up."""
    x, y, ilist = node.inputs
    out = node.outputs[0]
    src, dst = ctx.name(x), ctx.name(out)
    lines = [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim)]
    lines.append(ctx.alloc(out))
    lines.append(f"if ({dst}.data != {src}.data) ag_copy(&{dst}, &{src}, "
                 f"{ctx.itemsize(out.dtype)});")
    value = ctx.name(y)
    lines.append(f"ag_array yv_ = {value};")
    lines.append(f"if (yv_.ndim == {x.ndim} && yv_.shape[0] != {ctx.name(ilist)}.shape[0]) {{ "
                 f"if (yv_.shape[0] == 1 && {int(y.ndim == x.ndim and y.broadcastable[0])}) "
                 f"yv_.strides[0] = 0; else {{ " + ctx.fail(
                     "ValueError", "the value has %ld rows for %ld indices",
                     f"(long)yv_.shape[0]", f"(long){ctx.name(ilist)}.shape[0]") + " } }")
    lines.append(f"for (npy_intp k_ = 0; k_ < {ctx.name(ilist)}.shape[0]; k_++) {{")
    lines.append(f"    npy_intp i_ = {_index_value(ctx, ilist, 'k_')};")
    lines.append(f"    if (i_ < 0) i_ += {src}.shape[0];")
    lines.append(f"    if (i_ < 0 || i_ >= {src}.shape[0]) {{ " + ctx.fail(
        "IndexError", "index %ld is out of bounds for axis 0 with size %ld",
        f"(long){_index_value(ctx, ilist, 'k_')}", f"(long){src}.shape[0]") + " }")
    lines.append(f"    ag_array row_ = {dst}; row_.ndim = {x.ndim - 1};")
    lines.append(f"    for (int d_ = 1; d_ < {x.ndim}; d_++) {{ row_.shape[d_ - 1] = "
                 f"{dst}.shape[d_]; row_.strides[d_ - 1] = {dst}.strides[d_]; }}")
    lines.append(f"    row_.data = {dst}.data + i_ * {dst}.strides[0];")
    if y.ndim == x.ndim:
        lines.append(f"    ag_array val_ = yv_; val_.ndim = {y.ndim - 1}; "
                     f"val_.data = yv_.data + k_ * yv_.strides[0];")
        lines.append(f"    for (int d_ = 1; d_ < {y.ndim}; d_++) {{ val_.shape[d_ - 1] = "
                     f"yv_.shape[d_]; val_.strides[d_ - 1] = yv_.strides[d_]; }}")
        inner = _write_value(ctx, "row_", x.ndim - 1, "val_", _Sliced(y), node.op.set_instead_of_inc,
                             out.dtype)
    else:
        inner = _write_value(ctx, "row_", x.ndim - 1, "yv_", y, node.op.set_instead_of_inc,
                             out.dtype)
    lines += ["    " + line for line in ["{"] + inner + ["}"]]
    lines.append("}")
    return "\n".join(lines)


advanced_inc_subtensor1_code.supports = lambda node: all(
    v.dtype in CTYPES for v in node.inputs)


class _Sliced:
    """The type facts of one row of a value variable (its leading dimension dropped)."""

    def __init__(self, variable):
        self.ndim = variable.ndim - 1
        self.broadcastable = variable.broadcastable[1:]
        self.dtype = variable.dtype
