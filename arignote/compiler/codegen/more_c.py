"""C for the remaining ops: split, repeat, roll, eye, arange, diagonals, cumulative sums and
products, batched dot, slice lengths, advanced indexing (integer arrays and slices), nonzero,
and the gradient identities (``zero_grad`` ...), which are views of their input.

Boolean masks, ``None`` and ``...`` mixed with index arrays keep their numpy reference.
"""

import importlib

from .. import dtypes as dt
from .c import CTYPES, blas_available, c_convert, emitter
from .subtensor_c import nested_loop

shape_ops = importlib.import_module("arignote.compiler.ops.shape")
reduce_ops = importlib.import_module("arignote.compiler.ops.reduce")
blas_ops = importlib.import_module("arignote.compiler.ops.blas")
st_ops = importlib.import_module("arignote.compiler.ops.subtensor")
grad_ops = importlib.import_module("arignote.compiler.ops.gradops")

SIGNED = ("int8", "int16", "int32", "int64")
FLOATS = ("float32", "float64")
FULL_SLICE = st_ops.FULL_SLICE


def _check(ctx, condition, exception, fmt, *args, setup=""):
    """``if (condition) fail``: ``setup`` declares buffers the message arguments use."""
    return f"if ({condition}) {{ {setup}" + ctx.fail(exception, fmt, *args) + " }"


def _scalar(ctx, variable, ctype="npy_intp"):
    """The C value of the scalar ``variable`` converted to ``ctype``."""
    return f"(({ctype})*(const {CTYPES[variable.dtype]} *){ctx.name(variable)}.data)"


def _element(ctx, vector, k):
    """Element ``k`` (a C expression) of the integer vector ``vector``, as npy_intp."""
    name = ctx.name(vector)
    return f"((npy_intp)*(const {CTYPES[vector.dtype]} *)({name}.data + ({k}) * " \
           f"{name}.strides[0]))"


def _wrapping(dtype, expression):
    """``expression`` (over operands already of ``dtype``) computed without signed overflow:
    signed integers go through uint64, whose low bits are numpy's wrapped result."""
    if dtype not in SIGNED:
        return f"({CTYPES[dtype]})({expression.replace('@', '')})"
    return f"({CTYPES[dtype]})({expression.replace('@', '(npy_uint64)')})"


def _shape_string(names):
    """Declarations of 64-byte buffers named after ``names`` for ag_shape_str."""
    return "char " + ", ".join(f"{n}[64]" for n in names) + "; "


# ----------------------------------------------------------------------- gradient identities
@emitter(grad_ops._GradientIdentity)
def gradient_identity_code(node, ctx):
    """Forward, a gradient op is its input: the output is the same view."""
    return f"{ctx.name(node.outputs[0])} = {ctx.name(node.inputs[0])};"


# ----------------------------------------------------------------------- shape ops
@emitter(shape_ops.Split)
def split_code(node, ctx):
    """Check the sizes, then copy each piece of ``x`` along ``axis`` into its output."""
    x, sizes = node.inputs
    axis, count = node.op.axis, node.op.n_splits
    src, lengths = ctx.name(x), ctx.name(sizes)
    ctype = CTYPES[x.dtype]
    invalid = _check(ctx, f"invalid_ || total_ != {src}.shape[{axis}]", "ValueError",
                     f"split: the %ld sizes must be {count} non-negative lengths adding up to "
                     f"%ld (the length of axis {axis} of an array of shape %s)",
                     f"(long){lengths}.shape[0]", f"(long){src}.shape[{axis}]",
                     f"ag_shape_str(&{src}, a_, 64)", setup=_shape_string(["a_"]))
    lines = [f"npy_intp total_ = 0, at_ = 0, invalid_ = {lengths}.shape[0] != {count};",
             f"for (npy_intp k_ = 0; k_ < {lengths}.shape[0]; k_++) {{",
             f"    const npy_intp s_ = {_element(ctx, sizes, 'k_')};",
             "    invalid_ |= s_ < 0;",
             "    total_ += s_;",
             "}",
             invalid]
    for k, out in enumerate(node.outputs):
        dst = ctx.name(out)
        lines += [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim) if d != axis]
        lines.append(f"{dst}.shape[{axis}] = {_element(ctx, sizes, k)};")
        lines.append(ctx.alloc(out))
        lines += ["{", f"    ag_array part_ = {src}; part_.shape[{axis}] = {dst}.shape[{axis}];",
                  f"    part_.data = {src}.data + at_ * {src}.strides[{axis}];"]
        lines += ["    " + line for line in _copy(dst, "part_", x.ndim, ctype)]
        lines += [f"    at_ += {dst}.shape[{axis}];", "}"]
    return "\n".join(lines)


def _copy(dst, src, ndim, ctype, axis=None, source_index=None):
    """Statements copying ag_array ``src`` into ``dst`` (same shape, any strides) with typed
    loops, or one memcpy when both are contiguous; given ``axis``, ``source_index(i)`` is
    the C expression of the source position along it for the output position ``i``."""
    lines, indent = [], ""
    target, source = f"{dst}.data", f"{src}.data"
    for d in range(ndim):
        lines.append(f"{indent}for (npy_intp i{d} = 0; i{d} < {dst}.shape[{d}]; i{d}++) {{")
        indent += "    "
        position = source_index(f"i{d}") if d == axis else f"i{d}"
        lines.append(f"{indent}char *d{d}_ = {target} + i{d} * {dst}.strides[{d}];")
        lines.append(f"{indent}const char *s{d}_ = {source} + {position} * {src}.strides[{d}];")
        target, source = f"d{d}_", f"s{d}_"
    lines.append(f"{indent}*({ctype} *){target} = *(const {ctype} *){source};")
    for _ in range(ndim):
        indent = indent[:-4]
        lines.append(indent + "}")
    if axis is not None:
        return ["{"] + ["    " + line for line in lines] + ["}"]
    size = f"sizeof({ctype})"
    fast = (f"if (ag_is_contiguous(&{dst}, {size}) && ag_is_contiguous(&{src}, {size})) "
            f"memcpy({dst}.data, {src}.data, (size_t)ag_size(&{src}) * {size});")
    return [fast, "else {"] + ["    " + line for line in lines] + ["}"]


@emitter(shape_ops.Repeat)
def repeat_code(node, ctx):
    """Count the output length, map each output position to its source, copy."""
    x, repeats = node.inputs
    out = node.outputs[0]
    axis = node.op.axis
    src, dst = ctx.name(x), ctx.name(out)
    lines = [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim) if d != axis]
    if repeats.ndim == 0:
        lines += [f"const npy_intp r_ = {_scalar(ctx, repeats)};",
                  _check(ctx, "r_ < 0", "ValueError", "repeat: negative repeat count %ld",
                         "(long)r_"),
                  f"{dst}.shape[{axis}] = {src}.shape[{axis}] * r_;"]
    else:
        counts = ctx.name(repeats)
        lines += [_check(ctx, f"{counts}.shape[0] != {src}.shape[{axis}]", "ValueError",
                         f"repeat: %ld counts for axis {axis} of length %ld",
                         f"(long){counts}.shape[0]", f"(long){src}.shape[{axis}]"),
                  "npy_intp total_ = 0;",
                  f"for (npy_intp k_ = 0; k_ < {counts}.shape[0]; k_++) {{",
                  f"    const npy_intp c_ = {_element(ctx, repeats, 'k_')};",
                  "    " + _check(ctx, "c_ < 0", "ValueError",
                                  "repeat: negative repeat count %ld", "(long)c_"),
                  "    total_ += c_;",
                  "}",
                  f"{dst}.shape[{axis}] = total_;"]
    lines.append(ctx.alloc(out))
    lines.append(f"if (ag_slot_reserve(&st->scratch_a, (size_t){dst}.shape[{axis}] * "
                 f"sizeof(npy_intp)) < 0) goto fail;")
    lines.append("npy_intp *map_ = (npy_intp *)st->scratch_a.ptr;")
    if repeats.ndim == 0:
        lines.append(f"for (npy_intp k_ = 0; k_ < {dst}.shape[{axis}]; k_++) "
                     f"map_[k_] = k_ / r_;")
    else:
        lines += ["npy_intp at_ = 0;",
                  f"for (npy_intp k_ = 0; k_ < {ctx.name(repeats)}.shape[0]; k_++)",
                  (f"    for (npy_intp c_ = {_element(ctx, repeats, 'k_')}; c_ > 0; c_--) "
                   f"map_[at_++] = k_;")]
    lines += _copy(dst, src, x.ndim, CTYPES[out.dtype], axis, lambda i: f"map_[{i}]")
    return "\n".join(lines)


@emitter(shape_ops.Roll)
def roll_code(node, ctx):
    """Two block copies: the last ``shift`` positions first, then the rest."""
    x, shift = node.inputs
    out = node.outputs[0]
    src, dst = ctx.name(x), ctx.name(out)
    size = ctx.itemsize(out.dtype)
    axis = node.op.axis
    lines = [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim)]
    lines.append(ctx.alloc(out))
    length = f"ag_size(&{src})" if axis is None else f"{src}.shape[{axis}]"
    lines += [f"const npy_intp n_ = {length};",
              "if (n_ > 0) {",
              f"    npy_intp s_ = (npy_intp)({_scalar(ctx, shift, 'npy_int64')} % n_);",
              "    if (s_ < 0) s_ += n_;"]
    if axis is None:
        lines += [f"    ag_array flat_ = {src};",
                  f"    if (!ag_is_contiguous(&flat_, {size})) {{",
                  f"        if (ag_alloc_in_slot(&flat_, &st->scratch_a, {size}) < 0) goto fail;",
                  *["        " + line for line in _copy("flat_", src, x.ndim, CTYPES[x.dtype])],
                  "    }",
                  f"    memcpy({dst}.data + s_ * {size}, flat_.data, (size_t)(n_ - s_) * {size});",
                  f"    memcpy({dst}.data, flat_.data + (n_ - s_) * {size}, (size_t)s_ * {size});"]
    else:
        ctype = CTYPES[out.dtype]
        lines += [f"    ag_array a_ = {src}, b_ = {dst};",
                  f"    a_.shape[{axis}] = b_.shape[{axis}] = n_ - s_;",
                  f"    b_.data += s_ * {dst}.strides[{axis}];"]
        lines += ["    " + line for line in _copy("b_", "a_", x.ndim, ctype)]
        lines += [f"    a_ = {src}; b_ = {dst};",
                  f"    a_.shape[{axis}] = b_.shape[{axis}] = s_;",
                  f"    a_.data += (n_ - s_) * {src}.strides[{axis}];"]
        lines += ["    " + line for line in _copy("b_", "a_", x.ndim, ctype)]
    lines.append("}")
    return "\n".join(lines)


@emitter(shape_ops.Eye)
def eye_code(node, ctx):
    n, m, k = node.inputs
    out = node.outputs[0]
    dst = ctx.name(out)
    ctype = CTYPES[out.dtype]
    return "\n".join([
        (f"const npy_intp n_ = {_scalar(ctx, n)}, m_ = {_scalar(ctx, m)}, "
         f"k_ = {_scalar(ctx, k)};"),
        _check(ctx, "n_ < 0 || m_ < 0", "ValueError", "eye: negative size %ld x %ld",
               "(long)n_", "(long)m_"),
        f"{dst}.shape[0] = n_; {dst}.shape[1] = m_;",
        ctx.alloc(out),
        f"memset({dst}.data, 0, (size_t)(n_ * m_) * {ctx.itemsize(out.dtype)});",
        "for (npy_intp i_ = k_ < 0 ? -k_ : 0; i_ < n_ && i_ + k_ < m_; i_++)",
        (f"    *({ctype} *)({dst}.data + i_ * {dst}.strides[0] + (i_ + k_) * "
         f"{dst}.strides[1]) = ({ctype})1;")])


def _arange_supports(node):
    out_dtype = node.outputs[0].dtype
    input_dtypes = [v.dtype for v in node.inputs]
    if out_dtype == "bool" or "uint64" in input_dtypes:
        return False
    integral = all(d not in FLOATS for d in input_dtypes)
    return integral or out_dtype in SIGNED + FLOATS


@emitter(shape_ops.ARange)
def arange_code(node, ctx):
    """numpy's arange: length ``ceil((stop - start) / step)``; the first two values converted
    to the dtype, then ``first + i * (second - first)`` computed in the dtype."""
    start, stop, step = node.inputs
    out = node.outputs[0]
    dst = ctx.name(out)
    ctype = CTYPES[out.dtype]
    integral = all(v.dtype not in FLOATS for v in node.inputs)
    value = "npy_int64" if integral else "double"
    lines = [(f"const {value} start_ = {_scalar(ctx, start, value)}, "
              f"stop_ = {_scalar(ctx, stop, value)}, step_ = {_scalar(ctx, step, value)};"),
             _check(ctx, "step_ == 0", "ValueError", "arange: step is zero")]
    if integral:
        lines += ["const npy_int64 span_ = stop_ - start_;",
                  "npy_int64 n_ = span_ / step_;",
                  "if (n_ * step_ != span_ && (span_ < 0) == (step_ < 0)) n_ += 1;"]
    else:
        lines += ["const double length_ = ceil((stop_ - start_) / step_);",
                  _check(ctx, "!isfinite(length_)", "ValueError",
                         "arange: cannot compute the length of arange(%g, %g, %g)",
                         "start_", "stop_", "step_"),
                  "npy_int64 n_ = (npy_int64)length_;"]
    lines += ["if (n_ < 0) n_ = 0;",
              f"{dst}.shape[0] = n_;",
              ctx.alloc(out),
              f"{ctype} *o_ = ({ctype} *){dst}.data;"]
    if out.dtype.startswith("uint"):
        lines.append(_check(ctx, "n_ > 0 && (start_ < 0 || (n_ > 1 && start_ + step_ < 0))",
                            "OverflowError", f"arange: negative values do not fit {out.dtype}"))
    lines += [f"if (n_ > 0) o_[0] = ({ctype})start_;",
              "if (n_ > 1) {",
              f"    const {ctype} delta_ = ({ctype})(({ctype})(start_ + step_) - o_[0]);",
              "    for (npy_intp i_ = 1; i_ < n_; i_++) o_[i_] = "
              + _wrapping(out.dtype, f"@o_[0] + @({ctype})i_ * @delta_") + ";",
              "}"]
    return "\n".join(lines)


arange_code.supports = _arange_supports


def _diagonal_shape(source, target, ndim, op):
    """Statements declaring ``target``, the diagonal (kept axes, then the diagonal) of the
    ag_array ``source`` of rank ``ndim``, and setting its shape; ``diag_n_`` is its length."""
    a1, a2, offset = op.axis1, op.axis2, op.offset
    lines = [f"ag_array {target}; {target}.ndim = {ndim - 1};",
             f"npy_intp diag_n_ = {source}.shape[{a1}] - {max(-offset, 0)};",
             (f"if ({source}.shape[{a2}] - {max(offset, 0)} < diag_n_) "
              f"diag_n_ = {source}.shape[{a2}] - {max(offset, 0)};"),
              "if (diag_n_ < 0) diag_n_ = 0;"]
    kept = [a for a in range(ndim) if a not in (a1, a2)]
    lines += [f"{target}.shape[{j}] = {source}.shape[{a}];" for j, a in enumerate(kept)]
    lines.append(f"{target}.shape[{ndim - 2}] = diag_n_;")
    return lines


def _diagonal_strides(source, target, ndim, op):
    """Statements pointing ``target`` (see ``_diagonal_shape``) into ``source``'s memory."""
    a1, a2, offset = op.axis1, op.axis2, op.offset
    kept = [a for a in range(ndim) if a not in (a1, a2)]
    lines = [f"{target}.strides[{j}] = {source}.strides[{a}];" for j, a in enumerate(kept)]
    lines.append(f"{target}.strides[{ndim - 2}] = {source}.strides[{a1}] + "
                 f"{source}.strides[{a2}];")
    lines.append(f"{target}.data = {source}.data + (diag_n_ > 0 ? {max(-offset, 0)} * "
                 f"{source}.strides[{a1}] + {max(offset, 0)} * {source}.strides[{a2}] : 0);")
    return lines


@emitter(shape_ops.ExtractDiag)
def extract_diag_code(node, ctx):
    (x,), (out,) = node.inputs, node.outputs
    src, dst = ctx.name(x), ctx.name(out)
    lines = _diagonal_shape(src, "diag_", x.ndim, node.op)
    lines += _diagonal_strides(src, "diag_", x.ndim, node.op)
    lines += [f"{dst}.shape[{d}] = diag_.shape[{d}];" for d in range(out.ndim)]
    lines.append(ctx.alloc(out))
    lines += _copy(dst, "diag_", out.ndim, CTYPES[out.dtype])
    return "\n".join(lines)


@emitter(shape_ops.AllocDiag)
def alloc_diag_code(node, ctx):
    """Zeros, then the values copied into the diagonal view of the output."""
    values, *shape = node.inputs
    out = node.outputs[0]
    src, dst = ctx.name(values), ctx.name(out)
    op = node.op
    lines = []
    if shape:
        for d, size in enumerate(shape):
            lines.append(f"{dst}.shape[{d}] = {_scalar(ctx, size)};")
            lines.append(_check(ctx, f"{dst}.shape[{d}] < 0", "ValueError",
                                f"alloc_diag: negative length %ld for dimension {d}",
                                f"(long){dst}.shape[{d}]"))
    else:
        lines.append(f"{dst}.shape[0] = {dst}.shape[1] = {src}.shape[0] + {abs(op.offset)};")
    lines += _diagonal_shape(dst, "diag_", out.ndim, op)
    mismatch = " || ".join(f"{src}.shape[{d}] != diag_.shape[{d}]" for d in range(values.ndim))
    lines.append(_check(ctx, mismatch, "ValueError",
                        f"alloc_diag: values of shape %s do not fit diagonal {op.offset} of "
                        f"shape %s (expected %s)", f"ag_shape_str(&{src}, a_, 64)",
                        f"ag_shape_str(&{dst}, b_, 64)", "ag_shape_str(&diag_, c_, 64)",
                        setup=_shape_string(["a_", "b_", "c_"])))
    size = ctx.itemsize(out.dtype)
    lines += [ctx.alloc(out), f"memset({dst}.data, 0, (size_t)ag_size(&{dst}) * {size});"]
    lines += _diagonal_strides(dst, "diag_", out.ndim, op)
    lines += _copy("diag_", src, values.ndim, CTYPES[out.dtype])
    return "\n".join(lines)


# ----------------------------------------------------------------------- cumulative ops
@emitter(reduce_ops.CumSum, reduce_ops.CumProd)
def cumulative_code(node, ctx):
    """One running accumulator (in the output dtype, as numpy) per line along ``axis``."""
    (x,), (out,) = node.inputs, node.outputs
    axis = node.op.axis
    src, dst = ctx.name(x), ctx.name(out)
    ctype, in_type = CTYPES[out.dtype], CTYPES[x.dtype]
    product = isinstance(node.op, reduce_ops.CumProd)
    combine = _wrapping(out.dtype, f"@acc_ {'*' if product else '+'} @v_")
    lines = [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim)]
    lines.append(ctx.alloc(out))
    kept = [a for a in range(x.ndim) if a != axis]
    loops, indent = [], ""
    for a in kept:
        loops.append(f"{indent}for (npy_intp i{a} = 0; i{a} < {src}.shape[{a}]; i{a}++) {{")
        indent += "    "
    source = " + ".join(f"i{a} * {src}.strides[{a}]" for a in kept) or "0"
    target = " + ".join(f"i{a} * {dst}.strides[{a}]" for a in kept) or "0"
    body = [f"const char *s_ = {src}.data + {source};",
            f"char *d_ = {dst}.data + {target};",
            f"{ctype} acc_ = {1 if product else 0};",
            f"for (npy_intp k_ = 0; k_ < {src}.shape[{axis}]; k_++) {{",
            (f"    const {ctype} v_ = ({ctype})*(const {in_type} *)(s_ + k_ * "
             f"{src}.strides[{axis}]);"),
             f"    acc_ = {combine};",
             f"    *({ctype} *)(d_ + k_ * {dst}.strides[{axis}]) = acc_;",
             "}"]
    loops += [indent + line for line in body]
    for _ in kept:
        indent = indent[:-4]
        loops.append(indent + "}")
    return "\n".join(lines + ["{"] + loops + ["}"])


cumulative_code.supports = lambda node: node.outputs[0].dtype != "bool"


# ----------------------------------------------------------------------- batched dot
_PREFIX = {"float32": "s", "float64": "d"}


def _batched_dot_blas(node):
    x, y = node.inputs
    return blas_available() and x.dtype == y.dtype == node.outputs[0].dtype in _PREFIX


@emitter(blas_ops.BatchedDot)
def batched_dot_code(node, ctx):
    """One gemm per batch entry (OpenBLAS for float32/float64), else a plain loop; a 2-d
    operand is a stack of row (first operand) or column (second operand) vectors."""
    x, y = node.inputs
    out = node.outputs[0]
    a, b, c = ctx.name(x), ctx.name(y), ctx.name(out)
    size = ctx.itemsize(out.dtype)
    ctype = CTYPES[out.dtype]
    lines = [_check(ctx, f"{a}.shape[0] != {b}.shape[0] || {a}.shape[{x.ndim - 1}] != "
                    f"{b}.shape[1]", "ValueError",
                    "batched_dot: shapes %s and %s do not match: the batch sizes (first "
                    "dimensions) must be equal and the last dimension of the first must equal "
                    "the second of the second", f"ag_shape_str(&{a}, a_, 64)",
                    f"ag_shape_str(&{b}, b_, 64)", setup=_shape_string(["a_", "b_"])),
             f"{c}.shape[0] = {a}.shape[0];"]
    if x.ndim == 3:
        lines.append(f"{c}.shape[1] = {a}.shape[1];")
    if y.ndim == 3:
        lines.append(f"{c}.shape[{out.ndim - 1}] = {b}.shape[2];")
    lines += [ctx.alloc(out),
              (f"const npy_intp batch_ = {a}.shape[0], m_ = {f'{a}.shape[1]' if x.ndim == 3 else 1}"
               f", k_ = {a}.shape[{x.ndim - 1}], n_ = {f'{b}.shape[2]' if y.ndim == 3 else 1};"),
              # Per batch entry: an m x k and a k x n matrix (strides of the missing axes 0).
              (f"ag_array xa_; xa_.ndim = 2; xa_.shape[0] = m_; xa_.shape[1] = k_; "
               f"xa_.strides[0] = {f'{a}.strides[1]' if x.ndim == 3 else 0}; "
               f"xa_.strides[1] = {a}.strides[{x.ndim - 1}];"),
              (f"ag_array yb_; yb_.ndim = 2; yb_.shape[0] = k_; yb_.shape[1] = n_; "
               f"yb_.strides[0] = {b}.strides[1]; "
               f"yb_.strides[1] = {f'{b}.strides[2]' if y.ndim == 3 else 0};"),
               f"if (k_ == 0) memset({c}.data, 0, (size_t)ag_size(&{c}) * {size});",
               "else if (m_ * n_ > 0) {",
               "    for (npy_intp i_ = 0; i_ < batch_; i_++) {",
               "        ag_array p_ = xa_, q_ = yb_;",
              (f"        p_.data = {a}.data + i_ * {a}.strides[0]; "
               f"q_.data = {b}.data + i_ * {b}.strides[0];"),
               f"        {ctype} *o_ = ({ctype} *)({c}.data + i_ * m_ * n_ * {size});"]
    if _batched_dot_blas(node):
        p = _PREFIX[out.dtype]
        lines += [(f"        if (ag_blas_layout(&p_, {size}, &st->scratch_a) < 0 || "
                   f"ag_blas_layout(&q_, {size}, &st->scratch_b) < 0) goto fail;"),
                  (f"        scipy_cblas_{p}gemm(CblasRowMajor, ag_blas_trans(&p_), "
                   f"ag_blas_trans(&q_), (int)m_, (int)n_, (int)k_, 1, (const {ctype} *)p_.data, "
                   f"ag_blas_ld(&p_, {size}), (const {ctype} *)q_.data, ag_blas_ld(&q_, {size}), "
                   f"0, o_, (int)n_);")]
    else:
        xt, yt = CTYPES[x.dtype], CTYPES[y.dtype]
        combine = _wrapping(out.dtype, "@acc_ + @u_ * @v_")
        lines += ["        for (npy_intp r_ = 0; r_ < m_; r_++)",
                  "            for (npy_intp s_ = 0; s_ < n_; s_++) {",
                  f"                {ctype} acc_ = 0;",
                  "                for (npy_intp t_ = 0; t_ < k_; t_++) {",
                  (f"                    const {ctype} u_ = ({ctype})*(const {xt} *)(p_.data + "
                   f"r_ * p_.strides[0] + t_ * p_.strides[1]);"),
                  (f"                    const {ctype} v_ = ({ctype})*(const {yt} *)(q_.data + "
                   f"t_ * q_.strides[0] + s_ * q_.strides[1]);"),
                   f"                    acc_ = {combine};",
                   "                }",
                   "                o_[r_ * n_ + s_] = acc_;",
                   "            }"]
    lines += ["    }", "}"]
    return "\n".join(lines)


batched_dot_code.supports = lambda node: node.outputs[0].dtype != "bool"


# ----------------------------------------------------------------------- indexing
def _slice_bounds(ctx, entry, values):
    """Statements declaring ``start_``, ``stop_`` and ``step_`` (Py_ssize_t) of the slice
    pattern ``entry``; ``values`` yields the variables of its ``"?"`` parts, in order."""
    def part(value, default):
        if value is None:
            return default
        return _scalar(ctx, next(values), "Py_ssize_t") if value == st_ops.SYM else \
            str(int(value))

    start, stop, step = entry
    start = part(start, "(step_ < 0 ? PY_SSIZE_T_MAX : 0)")  # the inputs come in this order
    stop = part(stop, "(step_ < 0 ? PY_SSIZE_T_MIN : PY_SSIZE_T_MAX)")
    lines = [f"const Py_ssize_t step_ = {part(step, '1')};"]
    if step == st_ops.SYM or step == 0:
        lines.append(_check(ctx, "step_ == 0", "ValueError", "slice step cannot be zero"))
    return lines + [f"Py_ssize_t start_ = {start};", f"Py_ssize_t stop_ = {stop};"]


@emitter(st_ops.SliceLength)
def slice_length_code(node, ctx):
    """``len(range(length)[start:stop:step])`` by Python's own slice arithmetic."""
    length, *pieces = node.inputs
    out = node.outputs[0]
    return "\n".join(_slice_bounds(ctx, node.op.slice_spec, iter(pieces)) + [
        f"Py_ssize_t n_ = {_scalar(ctx, length, 'Py_ssize_t')};",
        "if (n_ < 0) n_ = 0;",
        ctx.alloc(out),
        (f"*(npy_int64 *){ctx.name(out)}.data = "
         f"(npy_int64)PySlice_AdjustIndices(n_, &start_, &stop_, step_);")])


class _Advanced:
    """An advanced index pattern of integer arrays, integers and slices (no ``None``,
    ``...`` or masks) taken apart: the slices make a view, the rest index it."""

    def __init__(self, idx_list, x, pieces):
        pieces = iter(pieces)
        self.slices = []  # (axis, slice pattern, its variables), full slices left out
        self.arrays, self.scalars = [], []   # (axis, variable) / (axis, pattern entry)
        for axis, entry in enumerate(idx_list):
            if isinstance(entry, tuple):
                variables = [next(pieces) for p in entry if p == st_ops.SYM]
                if entry != FULL_SLICE:
                    self.slices.append((axis, entry, variables))
                continue
            if entry == st_ops.ARRAY:
                self.arrays.append((axis, next(pieces)))
            else:
                self.scalars.append((axis, next(pieces) if entry == st_ops.SYM else entry))
        self.block_ndim = max(v.ndim for _, v in self.arrays)
        advanced = sorted(a for a, _ in self.arrays + self.scalars)
        consecutive = advanced == list(range(advanced[0], advanced[-1] + 1))
        sliced = [a for a in range(x.ndim) if a not in advanced]
        before = [a for a in sliced if a < advanced[0]] if consecutive else []
        after = [a for a in sliced if a not in before]
        # Each output dimension: ("s", axis of the view) or ("b", dimension of the block).
        self.out_dims = ([("s", a) for a in before] + [("b", j) for j in range(self.block_ndim)]
                         + [("s", a) for a in after])

    @staticmethod
    def supports(idx_list, pieces):
        entries = iter(pieces)
        has_array = False
        for entry in idx_list:
            if entry is None or entry is Ellipsis:
                return False
            parts = entry if isinstance(entry, tuple) else (entry,)
            for part in parts:
                if part == st_ops.SYM:
                    next(entries)
                elif part == st_ops.ARRAY:
                    if next(entries).dtype not in dt.INTEGER_DTYPES:
                        return False
                    has_array = True
        return has_array

    def setup(self, ctx, source, view):
        """Statements: the sliced view ``view`` of ``source``; every index checked against
        its axis (IndexError); ``base_`` (the integers' offset) and ``block_`` (the index
        arrays broadcast together) computed."""
        lines = [f"ag_array {view} = {source};"]
        for axis, entry, variables in self.slices:
            lines += ["{"] + ["    " + line for line in _slice_bounds(
                ctx, entry, iter(variables))] + [
                (f"    const Py_ssize_t n_ = PySlice_AdjustIndices({view}.shape[{axis}], "
                 f"&start_, &stop_, step_);"),
                 f"    if (n_ > 0) {view}.data += start_ * {view}.strides[{axis}];",
                 f"    {view}.shape[{axis}] = n_; {view}.strides[{axis}] *= step_;", "}"]
        lines.append("npy_intp base_ = 0;")
        for axis, entry in self.scalars:
            value = str(int(entry)) if isinstance(entry, int) else _scalar(ctx, entry)
            lines += ["{", f"    npy_intp v_ = {value};",
                      "    " + _check(ctx, f"v_ < -{view}.shape[{axis}] || v_ >= "
                                     f"{view}.shape[{axis}]", "IndexError",
                                     f"index %ld is out of bounds for axis {axis} with size %ld",
                                     "(long)v_", f"(long){view}.shape[{axis}]"),
                      (f"    base_ += (v_ < 0 ? v_ + {view}.shape[{axis}] : v_) * "
                       f"{view}.strides[{axis}];"), "}"]
        for axis, array in self.arrays:
            name = ctx.name(array)
            check = _check(ctx, f"v_ < -{view}.shape[{axis}] || v_ >= {view}.shape[{axis}]",
                           "IndexError", f"index %ld is out of bounds for axis {axis} with "
                           f"size %ld", "(long)v_", f"(long){view}.shape[{axis}]")
            lines += nested_loop(array.ndim, name, {"p_": name},
                                 [(f"const npy_intp v_ = (npy_intp)*(const "
                                   f"{CTYPES[array.dtype]} *)p_;"), check])
        nb = self.block_ndim
        lines.append(f"npy_intp block_[{nb}];")
        lines.append(f"for (int j_ = 0; j_ < {nb}; j_++) block_[j_] = 1;")
        for k, (axis, array) in enumerate(self.arrays):
            name = ctx.name(array)
            lines.append(f"npy_intp is{k}_[{array.ndim}];")
            for t in range(array.ndim):
                j = nb - array.ndim + t
                lines.append(f"is{k}_[{t}] = {name}.shape[{t}] == 1 ? 0 : {name}.strides[{t}];")
                lines.append(f"if ({name}.shape[{t}] != 1) {{ if (block_[{j}] == 1) block_[{j}] "
                             f"= {name}.shape[{t}]; else " + _check(
                                 ctx, f"block_[{j}] != {name}.shape[{t}]", "IndexError",
                                 "shape mismatch: indexing arrays could not be broadcast "
                                 "together (lengths %ld and %ld)", f"(long)block_[{j}]",
                                 f"(long){name}.shape[{t}]") + " }")
        return lines

    def shape(self, view, target):
        """Statements setting ``target.shape`` to the shape of the indexed result."""
        return [f"{target}.shape[{d}] = " + (f"{view}.shape[{i}];" if kind == "s" else
                                             f"block_[{i}];")
                for d, (kind, i) in enumerate(self.out_dims)]

    def loops(self, ctx, view, shape, body, value=None, writable=False):
        """A loop nest over the indexed result (of shape ``shape.shape``) in C order; ``body``
        sees ``e_``, the element of ``view``, and, given ``value`` = (ag_array name, name of
        its effective strides, rank), ``w_``, its element broadcast against the result."""
        pointer = "char *" if writable else "const char *"
        block_start = self.out_dims.index(("b", 0))
        last_block = block_start + self.block_ndim - 1
        depth = len(self.out_dims)
        lines, indent = [], ""
        element, value_element = f"{view}.data + base_", value and f"{value[0]}.data"
        for d, (kind, i) in enumerate(self.out_dims):
            lines.append(f"{indent}for (npy_intp o{d} = 0; o{d} < {shape}.shape[{d}]; o{d}++) {{")
            indent += "    "
            if kind == "s":
                element = f"{element} + o{d} * {view}.strides[{i}]"
            if d == last_block:
                for k, (axis, array) in enumerate(self.arrays):
                    first = block_start + self.block_ndim - array.ndim
                    at = " + ".join(f"o{first + t} * is{k}_[{t}]" for t in range(array.ndim))
                    lines.append(f"{indent}npy_intp a{k}_ = (npy_intp)*(const "
                                 f"{CTYPES[array.dtype]} *)({ctx.name(array)}.data + {at});")
                    lines.append(f"{indent}if (a{k}_ < 0) a{k}_ += {view}.shape[{axis}];")
                    element = f"{element} + a{k}_ * {view}.strides[{axis}]"
            lines.append(f"{indent}{pointer}e{d}_ = {element};")
            element = f"e{d}_"
            if value is not None:
                _name, strides, rank = value
                v = d - (depth - rank)
                step = f" + o{d} * {strides}[{v}]" if v >= 0 else ""
                lines.append(f"{indent}const char *w{d}_ = {value_element}{step};")
                value_element = f"w{d}_"
        lines.append(f"{indent}{pointer}e_ = {element};")
        if value is not None:
            lines.append(f"{indent}const char *w_ = {value_element};")
        lines += [indent + line for line in body]
        for _ in self.out_dims:
            indent = indent[:-4]
            lines.append(indent + "}")
        return ["{"] + ["    " + line for line in lines] + ["}"]


def _advanced_supports(node, first_piece):
    return _Advanced.supports(node.op.idx_list, node.inputs[first_piece:])


@emitter(st_ops.AdvancedSubtensor)
def advanced_subtensor_code(node, ctx):
    """Gather through the index arrays (broadcast together), in the result's C order."""
    x, *pieces = node.inputs
    out = node.outputs[0]
    dst = ctx.name(out)
    ctype = CTYPES[out.dtype]
    plan = _Advanced(node.op.idx_list, x, pieces)
    lines = plan.setup(ctx, ctx.name(x), "xv_")
    lines += plan.shape("xv_", dst)
    lines.append(ctx.alloc(out))
    lines.append(f"{ctype} *d_ = ({ctype} *){dst}.data;")
    lines += plan.loops(ctx, "xv_", dst, [f"*d_++ = *(const {ctype} *)e_;"])
    return "\n".join(lines)


advanced_subtensor_code.supports = lambda node: _advanced_supports(node, 1)


@emitter(st_ops.AdvancedIncSubtensor)
def advanced_inc_subtensor_code(node, ctx):
    """A copy of ``x`` whose indexed elements are set to (or incremented by, in order, so
    repeated indices add up) the value broadcast against the indexed result."""
    x, y, *pieces = node.inputs
    out = node.outputs[0]
    src, dst, value = ctx.name(x), ctx.name(out), ctx.name(y)
    ctype, vtype = CTYPES[out.dtype], CTYPES[y.dtype]
    plan = _Advanced(node.op.idx_list, x, pieces)
    lines = [f"{dst}.shape[{d}] = {src}.shape[{d}];" for d in range(x.ndim)]
    lines.append(ctx.alloc(out))
    lines.append(f"if ({dst}.data != {src}.data) {{")
    lines += _copy(dst, src, x.ndim, ctype)
    lines.append("}")
    lines += plan.setup(ctx, dst, "xv_")
    depth = len(plan.out_dims)
    lines.append(f"ag_array t_; t_.ndim = {depth};")
    lines += plan.shape("xv_", "t_")
    lines.append(f"npy_intp ws_[{max(y.ndim, 1)}];")
    for v in range(y.ndim):
        d = depth - y.ndim + v
        lines.append(f"if ({value}.shape[{v}] == t_.shape[{d}]) ws_[{v}] = {value}.strides[{v}];")
        if y.broadcastable[v]:  # the type allows broadcasting a length 1 (Theano's rule)
            lines.append(f"else if ({value}.shape[{v}] == 1) ws_[{v}] = 0;")
        lines.append("else { " + _shape_string(["a_", "b_"]) + ctx.fail(
            "ValueError", "cannot write a value of shape %s into a subtensor of shape %s",
            f"ag_shape_str(&{value}, a_, 64)", "ag_shape_str(&t_, b_, 64)") + " }")
    loaded = f"*(const {vtype} *)w_"
    target = f"*({ctype} *)e_"
    if out.dtype == "bool":
        new = f"({loaded} != 0)" if node.op.set_instead_of_inc else \
            f"({target} || {loaded} != 0)"
    elif node.op.set_instead_of_inc:
        new = c_convert(loaded, out.dtype)
    else:
        new = _wrapping(out.dtype, f"@{target} + @({ctype}){loaded}")
    body = [f"{target} = {new};"]
    lines += plan.loops(ctx, "xv_", "t_", body, value=(value, "ws_", y.ndim), writable=True)
    return "\n".join(lines)


advanced_inc_subtensor_code.supports = lambda node: _advanced_supports(node, 2)


@emitter(st_ops.Nonzero)
def nonzero_code(node, ctx):
    """Count the nonzero elements, then write their coordinates in C order."""
    (a,), (out,) = node.inputs, node.outputs
    src, dst = ctx.name(a), ctx.name(out)
    test = f"*(const {CTYPES[a.dtype]} *)p_ != 0"
    lines = ["npy_intp count_ = 0;"]
    lines += nested_loop(a.ndim, src, {"p_": src}, [f"if ({test}) count_++;"])
    lines += [f"{dst}.shape[0] = {a.ndim}; {dst}.shape[1] = count_;", ctx.alloc(out),
              f"npy_int64 *o_ = (npy_int64 *){dst}.data;", "npy_intp k_ = 0;"]
    store = " ".join(f"o_[{d} * count_ + k_] = i{d};" for d in range(a.ndim))
    lines += nested_loop(a.ndim, src, {"p_": src}, [f"if ({test}) {{ {store} k_++; }}"])
    return "\n".join(lines)
