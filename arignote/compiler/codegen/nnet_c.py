"""C for the row-wise softmax and log-softmax of a matrix (numerically stable)."""

import importlib

from .c import CTYPES, emitter

nnet = importlib.import_module("arignote.compiler.ops.nnet")


def _row_kernel(node, ctx, log):
    (x,), (out,) = node.inputs, node.outputs
    src, dst = ctx.name(x), ctx.name(out)
    ctype = CTYPES[out.dtype]
    fexp = "expf" if out.dtype == "float32" else "exp"
    flog = "logf" if out.dtype == "float32" else "log"
    lines = [f"{dst}.shape[0] = {src}.shape[0]; {dst}.shape[1] = {src}.shape[1];",
             ctx.alloc(out),
             f"const npy_intp rows_ = {src}.shape[0], cols_ = {src}.shape[1];",
             f"#pragma omp parallel for if(rows_ * cols_ > {1 << 16})",
             "for (npy_intp r_ = 0; r_ < rows_; r_++) {",
             f"    const char *in_ = {src}.data + r_ * {src}.strides[0];",
             f"    {ctype} *o_ = ({ctype} *)({dst}.data + r_ * {dst}.strides[0]);",
             f"    const npy_intp s_ = {src}.strides[1];",
             f"    {ctype} peak_ = -INFINITY;",
             "    for (npy_intp c_ = 0; c_ < cols_; c_++) {",
             f"        const {ctype} v_ = *(const {ctype} *)(in_ + c_ * s_);",
             "        if (v_ > peak_ || v_ != v_) peak_ = v_;",
             "    }",
             f"    {ctype} total_ = 0;"]
    if log:
        lines += ["    for (npy_intp c_ = 0; c_ < cols_; c_++) {",
                  f"        const {ctype} v_ = *(const {ctype} *)(in_ + c_ * s_) - peak_;",
                  "        o_[c_] = v_;",
                  f"        total_ += {fexp}(v_);",
                  "    }",
                  f"    const {ctype} shift_ = {flog}(total_);",
                  "    for (npy_intp c_ = 0; c_ < cols_; c_++) o_[c_] -= shift_;"]
    else:
        lines += ["    for (npy_intp c_ = 0; c_ < cols_; c_++) {",
                  f"        const {ctype} e_ = {fexp}(*(const {ctype} *)(in_ + c_ * s_) - peak_);",
                  "        o_[c_] = e_;",
                  "        total_ += e_;",
                  "    }",
                  f"    const {ctype} scale_ = ({ctype})1 / total_;",
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
