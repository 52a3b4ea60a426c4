"""C for the row-wise softmax and log-softmax of a matrix (numerically stable)."""

import importlib

from .c import CTYPES, emitter

nnet = importlib.import_module("arignote.compiler.ops.nnet")


def _row_kernel(node, ctx, log):
    """Each row is copied into the (contiguous) output, then reduced and rewritten there with
    vectorised passes: max, exp and sum, then the shift or scale."""
    (x,), (out,) = node.inputs, node.outputs
    src, dst = ctx.name(x), ctx.name(out)
    ctype = CTYPES[out.dtype]
    fexp = "expf" if out.dtype == "float32" else "exp"
    flog = "logf" if out.dtype == "float32" else "log"
    lines = [f"{dst}.shape[0] = {src}.shape[0]; {dst}.shape[1] = {src}.shape[1];",
             ctx.alloc(out),
             f"const npy_intp rows_ = {src}.shape[0], cols_ = {src}.shape[1];",
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
    return "\n".join(lines)


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
