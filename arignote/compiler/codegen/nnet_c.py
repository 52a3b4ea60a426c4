"""C for the row-wise softmax and log-softmax of a matrix (numerically stable)."""

import importlib

from .c import CTYPES, emitter

nnet = importlib.import_module("arignote.compiler.ops.nnet")


def _row_kernel(node, ctx, log):
    """The rows are copied into the (contiguous) output, then shifted by their max,
    exponentiated and summed with vectorised passes, and scaled (softmax) or shifted by the
    log of the total (log-softmax)."""
    (x,), (out,) = node.inputs, node.outputs
    src, dst = ctx.name(x), ctx.name(out)
    lines = [f"{dst}.shape[0] = {src}.shape[0]; {dst}.shape[1] = {src}.shape[1];",
             ctx.alloc(out),
             f"const npy_intp rows_ = {src}.shape[0], cols_ = {src}.shape[1];",
             f"if (cols_ <= {_NARROW}) {{",
             _narrow_rows(node, ctx, log),
             "} else {"]
    lines += _wide_rows(node, ctx, log)
    lines.append("}")
    return "\n".join(lines)


# Rows this short are processed a pass at a time over the whole matrix (one vectorised exp
# over every entry), not a row at a time (a vector call per few entries).
_NARROW = 32


def _names(node, ctx):
    """The input's and output's C names, the C type, and the exp and log of that type."""
    (x,), (out,) = node.inputs, node.outputs
    single = out.dtype == "float32"
    return (ctx.name(x), ctx.name(out), CTYPES[out.dtype], "expf" if single else "exp",
            "logf" if single else "log")


def _narrow_rows(node, ctx, log):
    """Few columns: shift every row by its max, one flat exp pass, then per-row totals."""
    src, dst, ctype, fexp, flog = _names(node, ctx)
    lines = [f"{ctype} *o_ = ({ctype} *){dst}.data;",
             "const npy_intp n_ = rows_ * cols_;",
             f"if (ag_slot_reserve(&st->scratch_a, (size_t)(n_ + rows_) * sizeof({ctype})) < 0) "
             "goto fail;",
             f"{ctype} *e_ = ({ctype} *)st->scratch_a.ptr, *t_ = e_ + n_;",
             "for (npy_intp r_ = 0; r_ < rows_; r_++) {",
             f"    const char *in_ = {src}.data + r_ * {src}.strides[0];",
             f"    {ctype} *row_ = o_ + r_ * cols_, peak_ = -INFINITY;",
             "    for (npy_intp c_ = 0; c_ < cols_; c_++) {",
             f"        row_[c_] = *(const {ctype} *)(in_ + c_ * {src}.strides[1]);",
             "        peak_ = row_[c_] > peak_ ? row_[c_] : peak_;",
             "    }",
             "    for (npy_intp c_ = 0; c_ < cols_; c_++) row_[c_] -= peak_;",
             "}",
             "#pragma omp simd",
             f"for (npy_intp i_ = 0; i_ < n_; i_++) e_[i_] = {fexp}(o_[i_]);",
             "for (npy_intp r_ = 0; r_ < rows_; r_++) {",
             f"    {ctype} total_ = 0;",
             "    for (npy_intp c_ = 0; c_ < cols_; c_++) total_ += e_[r_ * cols_ + c_];",
             "    t_[r_] = total_;",
             "}"]
    if log:
        lines += ["#pragma omp simd",
                  f"for (npy_intp r_ = 0; r_ < rows_; r_++) t_[r_] = {flog}(t_[r_]);",
                  "for (npy_intp r_ = 0; r_ < rows_; r_++)",
                  "    for (npy_intp c_ = 0; c_ < cols_; c_++) o_[r_ * cols_ + c_] -= t_[r_];"]
    else:
        lines += ["for (npy_intp r_ = 0; r_ < rows_; r_++) {",
                  f"    const {ctype} scale_ = ({ctype})1 / t_[r_];",
                  "    for (npy_intp c_ = 0; c_ < cols_; c_++) "
                  "o_[r_ * cols_ + c_] = e_[r_ * cols_ + c_] * scale_;",
                  "}"]
    return "\n".join("    " + line for line in lines)


def _wide_rows(node, ctx, log):
    """Many columns: each row copied, reduced and rewritten in place, rows across cores."""
    src, dst, ctype, fexp, flog = _names(node, ctx)
    lines = [
             # exp per element: worth both cores from 2^16 elements on (not 2^20)
             f"#pragma omp parallel for if(rows_ * cols_ > {1 << 16})",
             "for (npy_intp r_ = 0; r_ < rows_; r_++) {",
             f"    const char *in_ = {src}.data + r_ * {src}.strides[0];",
             f"    {ctype} *o_ = ({ctype} *)({dst}.data + r_ * {dst}.strides[0]);",
             f"    const npy_intp s_ = {src}.strides[1];",
             f"    if (s_ == sizeof({ctype})) memcpy(o_, in_, (size_t)cols_ * sizeof({ctype}));",
             "    else for (npy_intp c_ = 0; c_ < cols_; c_++) "
             f"o_[c_] = *(const {ctype} *)(in_ + c_ * s_);",
             # A NaN need not win the max: it makes the total, so every entry, NaN anyway.
             f"    {ctype} peak_ = -INFINITY;",
             "    #pragma omp simd reduction(max:peak_)",
             "    for (npy_intp c_ = 0; c_ < cols_; c_++) peak_ = o_[c_] > peak_ ? o_[c_] : peak_;",
             f"    {ctype} total_ = 0;"]
    if log:
        lines += ["    #pragma omp simd reduction(+:total_)",
                  "    for (npy_intp c_ = 0; c_ < cols_; c_++) {",
                  "        o_[c_] -= peak_;",
                  f"        total_ += {fexp}(o_[c_]);",
                  "    }",
                  f"    const {ctype} shift_ = {flog}(total_);",
                  "    #pragma omp simd",
                  "    for (npy_intp c_ = 0; c_ < cols_; c_++) o_[c_] -= shift_;"]
    else:
        lines += ["    #pragma omp simd reduction(+:total_)",
                  "    for (npy_intp c_ = 0; c_ < cols_; c_++) {",
                  f"        o_[c_] = {fexp}(o_[c_] - peak_);",
                  "        total_ += o_[c_];",
                  "    }",
                  f"    const {ctype} scale_ = ({ctype})1 / total_;",
                  "    #pragma omp simd",
                  "    for (npy_intp c_ = 0; c_ < cols_; c_++) o_[c_] *= scale_;"]
    lines.append("}")
    return lines


@emitter(nnet.Softmax)
def softmax_code(node, ctx):
    return _row_kernel(node, ctx, log=False)


@emitter(nnet.LogSoftmax)
def log_softmax_code(node, ctx):
    return _row_kernel(node, ctx, log=True)


def _float_only(node):
    return node.outputs[0].dtype in ("float32", "float64")


softmax_code.supports = _float_only
log_softmax_code.supports = _float_only
