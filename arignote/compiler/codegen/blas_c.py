"""C for ``Dot``: calls OpenBLAS (gemm, gemv, dot) for float32/float64 operands.

Operands whose memory is not row- or column-major (arbitrary strides) are packed into a
contiguous scratch buffer first; integer dots keep their numpy reference.
"""

import importlib

from .c import blas_available, emitter

blas = importlib.import_module("arignote.compiler.ops.blas")

_PREFIX = {"float32": "s", "float64": "d"}


def _supports(node):
    x, y = node.inputs
    out = node.outputs[0]
    return blas_available() and x.dtype == y.dtype == out.dtype and out.dtype in _PREFIX


@emitter(blas.Dot)
def dot_code(node, ctx):
    x, y = node.inputs
    out = node.outputs[0]
    a, b, c = ctx.name(x), ctx.name(y), ctx.name(out)
    p = _PREFIX[out.dtype]
    size = ctx.itemsize(out.dtype)
    ctype = ctx.ctype(out.dtype)
    lines = [f"if ({a}.shape[{x.ndim - 1}] != {b}.shape[0]) {{ char a_[64], b_[64]; " + ctx.fail(
        "ValueError", "dot: shapes %s and %s are not aligned: %ld (last dimension of the "
        "first) != %ld (first dimension of the second)", f"ag_shape_str(&{a}, a_, 64)",
        f"ag_shape_str(&{b}, b_, 64)", f"(long){a}.shape[{x.ndim - 1}]",
        f"(long){b}.shape[0]") + " }"]
    if x.ndim == 2:
        lines.append(f"{c}.shape[0] = {a}.shape[0];")
    if y.ndim == 2:
        lines.append(f"{c}.shape[{out.ndim - 1}] = {b}.shape[1];")
    lines.append(ctx.alloc(out))
    lines.append(f"const npy_intp k_ = {b}.shape[0];")
    lines.append(f"if (k_ == 0 || ag_size(&{c}) == 0) {{ memset({c}.data, 0, "
                 f"(size_t)ag_size(&{c}) * {size}); }} else {{")
    lines.append(f"ag_array a_ = {a}, b_ = {b};")
    lines.append(f"if (ag_blas_layout(&a_, {size}, &st->scratch_a) < 0 || "
                 f"ag_blas_layout(&b_, {size}, &st->scratch_b) < 0) goto fail;")
    if x.ndim == 2 and y.ndim == 2:
        lines.append(f"scipy_cblas_{p}gemm(CblasRowMajor, ag_blas_trans(&a_), "
                     f"ag_blas_trans(&b_), (int){c}.shape[0], (int){c}.shape[1], (int)k_, 1, "
                     f"(const {ctype} *)a_.data, ag_blas_ld(&a_, {size}), "
                     f"(const {ctype} *)b_.data, ag_blas_ld(&b_, {size}), 0, "
                     f"({ctype} *){c}.data, (int){c}.shape[1]);")
    elif x.ndim == 2:
        lines.append(f"scipy_cblas_{p}gemv(CblasRowMajor, ag_blas_trans(&a_), "
                     f"(int)ag_blas_rows(&a_), (int)ag_blas_cols(&a_), 1, "
                     f"(const {ctype} *)a_.data, ag_blas_ld(&a_, {size}), "
                     f"(const {ctype} *)b_.data, (int)(b_.strides[0] / {size}), 0, "
                     f"({ctype} *){c}.data, 1);")
    elif y.ndim == 2:
        lines.append(f"scipy_cblas_{p}gemv(CblasRowMajor, ag_blas_trans(&b_) == CblasNoTrans ? "
                     f"CblasTrans : CblasNoTrans, (int)ag_blas_rows(&b_), "
                     f"(int)ag_blas_cols(&b_), 1, (const {ctype} *)b_.data, "
                     f"ag_blas_ld(&b_, {size}), (const {ctype} *)a_.data, "
                     f"(int)(a_.strides[0] / {size}), 0, ({ctype} *){c}.data, 1);")
    else:
        lines.append(f"*({ctype} *){c}.data = scipy_cblas_{p}dot((int)k_, "
                     f"(const {ctype} *)a_.data, (int)(a_.strides[0] / {size}), "
                     f"(const {ctype} *)b_.data, (int)(b_.strides[0] / {size}));")
    lines.append("}")
    return "\n".join(lines)


dot_code.supports = _supports


@emitter(blas.Gemm)
def gemm_code(node, ctx):
    """out = b * z + a * dot(x, y): z copied into the output, then one BLAS gemm."""
    z, a, x, y, b = node.inputs
    out = node.outputs[0]
    names = [ctx.name(v) for v in (z, a, x, y, b)]
    nz, na, nx, ny, nb = names
    c = ctx.name(out)
    p = _PREFIX[out.dtype]
    size = ctx.itemsize(out.dtype)
    ctype = ctx.ctype(out.dtype)
    lines = [f"if ({nx}.shape[1] != {ny}.shape[0] || {nz}.shape[0] != {nx}.shape[0] || "
             f"{nz}.shape[1] != {ny}.shape[1]) {{ char a_[64], b_[64], c_[64]; " + ctx.fail(
                 "ValueError", "gemm: shapes %s + %s . %s do not match",
                 f"ag_shape_str(&{nz}, a_, 64)", f"ag_shape_str(&{nx}, b_, 64)",
                 f"ag_shape_str(&{ny}, c_, 64)") + " }",
             f"{c}.shape[0] = {nz}.shape[0]; {c}.shape[1] = {nz}.shape[1];",
             ctx.alloc(out),
             f"ag_copy(&{c}, &{nz}, {size});",
             f"const {ctype} alpha_ = *(const {ctype} *){na}.data, "
             f"beta_ = *(const {ctype} *){nb}.data;",
             f"if ({nx}.shape[1] == 0 || ag_size(&{c}) == 0) {{",
             f"    for (npy_intp k_ = 0; k_ < ag_size(&{c}); k_++) (({ctype} *){c}.data)[k_] *= "
             f"beta_;",
             "} else {",
             f"    ag_array a_ = {nx}, b_ = {ny};",
             f"    if (ag_blas_layout(&a_, {size}, &st->scratch_a) < 0 || "
             f"ag_blas_layout(&b_, {size}, &st->scratch_b) < 0) goto fail;",
             f"    scipy_cblas_{p}gemm(CblasRowMajor, ag_blas_trans(&a_), ag_blas_trans(&b_), "
             f"(int){c}.shape[0], (int){c}.shape[1], (int){nx}.shape[1], alpha_, "
             f"(const {ctype} *)a_.data, ag_blas_ld(&a_, {size}), (const {ctype} *)b_.data, "
             f"ag_blas_ld(&b_, {size}), beta_, ({ctype} *){c}.data, (int){c}.shape[1]);",
             "}"]
    return "\n".join(lines)


gemm_code.supports = lambda node: blas_available() and node.outputs[0].dtype in _PREFIX
