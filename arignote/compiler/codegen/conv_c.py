"""C for the 2-d convolution ops: checks, allocation and one call into kernels/conv.h.

Each emitter fills an ``ag_conv_geometry`` from the operands' shapes and the op's
parameters, checks it (the kernel's ``ag_conv_check`` writes the message; the node and the
user's line are added by ``AG_FAIL``), allocates the output, packs operands that are not
C-contiguous into the scratch slots, reserves the work space (column buffers, one per
thread) in a slot of the node's own, and calls the im2col + GEMM kernel.  Without OpenBLAS
the nodes run their numpy ``perform``.
"""

import importlib

from .c import blas_available, emitter

conv = importlib.import_module("arignote.compiler.ops.conv")

INCLUDE = '#include "conv.h"'
_FLOATS = ("float32", "float64")


def _include(ctx):
    if INCLUDE not in ctx.renderer.functions:
        ctx.renderer.functions.append(INCLUDE)


def _supports(node):
    return blas_available() and node.outputs[0].dtype in _FLOATS


def _geometry(op, batch, channels, height, width, filters, kernel_h, kernel_w):
    """The ``ag_conv_init`` call filling ``g_`` (C expressions for the sizes)."""
    mode = op.border_mode
    border = {"full": "AG_CONV_FULL", "half": "AG_CONV_HALF"}.get(mode, "AG_CONV_EXPLICIT")
    pad_h, pad_w = mode if isinstance(mode, tuple) else (0, 0)
    return (f"ag_conv_geometry g_; ag_conv_init(&g_, {batch}, {channels}, {height}, {width}, "
            f"{filters}, {kernel_h}, {kernel_w}, {border}, {pad_h}, {pad_w}, "
            f"{op.subsample[0]}, {op.subsample[1]}, {op.filter_dilation[0]}, "
            f"{op.filter_dilation[1]}, {op.num_groups}, {int(op.filter_flip)});")


def _check(ctx, group_channels, out_h="-1", out_w="-1"):
    return (f"{{ char m_[400]; if (ag_conv_check(&g_, {group_channels}, {out_h}, {out_w}, m_, "
            f"sizeof m_) < 0) {ctx.fail('ValueError', '%s', 'm_')} }}")


def _shape_vector(ctx, variable, what):
    """Read the two lengths of a spatial-shape input into ``s0_``, ``s1_``, checked."""
    name = ctx.name(variable)
    bad = ctx.fail("ValueError", f"conv2d gradient: the {what} shape must be two positive "
                   "lengths, got %ld entries", f"(long){name}.shape[0]")
    negative = ctx.fail("ValueError", f"conv2d gradient: the {what} shape must be two "
                        "positive lengths, got (%ld, %ld)", "(long)s0_", "(long)s1_")
    return "\n".join([
        f"if ({name}.shape[0] != 2) {bad}",
        f"const npy_intp s0_ = (npy_intp)*(const npy_int64 *){name}.data;",
        f"const npy_intp s1_ = (npy_intp)*(const npy_int64 *)({name}.data + "
        f"{name}.strides[0]);",
        f"if (s0_ < 1 || s1_ < 1) {negative}"])


def _run(ctx, kernel, operands, output, accumulate):
    """Pack the operands, reserve the work space and call ``kernel`` (when the output is
    not empty); ``operands`` are the two array inputs in the kernel's order."""
    out = ctx.name(output)
    dtype = output.dtype
    ctype, size = ctx.ctype(dtype), ctx.itemsize(dtype)
    slot = ctx.renderer.extra_slot((output, "conv work space"))
    first, second = (ctx.name(v) for v in operands)
    no_memory = ctx.fail("MemoryError", "conv2d: cannot allocate the work space of %zu "
                         f"elements of {dtype}", "elements_")
    kind = "float" if dtype == "float32" else "double"
    return "\n".join([
        f"ag_array a_ = {first}, b_ = {second};",
        f"if (ag_conv_contiguous(&a_, {size}, &st->scratch_a) < 0 || "
        f"ag_conv_contiguous(&b_, {size}, &st->scratch_b) < 0) goto fail;",
        # No input channels (K = 0): the sum is empty; BLAS rejects a leading dimension of 0.
        f"if (ag_size(&{out}) > 0 && ag_conv_rows(&g_) == 0) memset({out}.data, 0, "
        f"(size_t)ag_size(&{out}) * {size});",
        f"else if (ag_size(&{out}) > 0) {{",
        f"    const size_t elements_ = ag_conv_work_elements(&g_, {int(accumulate)});",
        f"    if (elements_ == SIZE_MAX || elements_ > SIZE_MAX / {size} || "
        f"ag_slot_reserve(&st->slots[{slot}], elements_ * {size}) < 0) {{",
        f"        PyErr_Clear(); {no_memory}",
        "    }",
        f"    ag_conv_{kernel}_{kind}(&g_, (const {ctype} *)a_.data, (const {ctype} *)b_.data, "
        f"({ctype} *){out}.data, ({ctype} *)st->slots[{slot}].ptr);",
        "}"])


@emitter(conv.Conv2d)
def conv2d_code(node, ctx):
    """y = conv(x, w)."""
    _include(ctx)
    x, w = node.inputs
    (y,) = node.outputs
    nx, nw, ny = ctx.name(x), ctx.name(w), ctx.name(y)
    return "\n".join([
        _geometry(node.op, f"{nx}.shape[0]", f"{nx}.shape[1]", f"{nx}.shape[2]",
                  f"{nx}.shape[3]", f"{nw}.shape[0]", f"{nw}.shape[2]", f"{nw}.shape[3]"),
        _check(ctx, f"{nw}.shape[1]"),
        f"{ny}.shape[0] = g_.batch; {ny}.shape[1] = g_.filters; {ny}.shape[2] = g_.out_h; "
        f"{ny}.shape[3] = g_.out_w;",
        ctx.alloc(y),
        _run(ctx, "forward", (x, w), y, accumulate=False)])


@emitter(conv.Conv2dGradInputs)
def conv2d_grad_inputs_code(node, ctx):
    """dx from the filters, the output gradient and the image size."""
    _include(ctx)
    w, gy, shape = node.inputs
    (dx,) = node.outputs
    nw, ng, nd = ctx.name(w), ctx.name(gy), ctx.name(dx)
    channels = ctx.fail("ValueError", "conv2d_grad_wrt_inputs: the output gradient has %ld "
                        "channels but there are %ld filters", f"(long){ng}.shape[1]",
                        f"(long){nw}.shape[0]")
    return "\n".join([
        _shape_vector(ctx, shape, "image"),
        f"if ({ng}.shape[1] != {nw}.shape[0]) {channels}",
        _geometry(node.op, f"{ng}.shape[0]", f"{nw}.shape[1] * {node.op.num_groups}", "s0_",
                  "s1_", f"{nw}.shape[0]", f"{nw}.shape[2]", f"{nw}.shape[3]"),
        _check(ctx, f"{nw}.shape[1]", f"{ng}.shape[2]", f"{ng}.shape[3]"),
        f"{nd}.shape[0] = g_.batch; {nd}.shape[1] = g_.channels; {nd}.shape[2] = s0_; "
        f"{nd}.shape[3] = s1_;",
        ctx.alloc(dx),
        _run(ctx, "grad_inputs", (w, gy), dx, accumulate=False)])


@emitter(conv.Conv2dGradWeights)
def conv2d_grad_weights_code(node, ctx):
    """dw from the images, the output gradient and the filter size."""
    _include(ctx)
    x, gy, shape = node.inputs
    (dw,) = node.outputs
    nx, ng, nd = ctx.name(x), ctx.name(gy), ctx.name(dw)
    groups = node.op.num_groups
    batch = ctx.fail("ValueError", "conv2d_grad_wrt_weights: the images have batch size %ld "
                     "but the output gradient %ld", f"(long){nx}.shape[0]",
                     f"(long){ng}.shape[0]")
    split = ctx.fail("ValueError", "conv2d_grad_wrt_weights: %ld input channels cannot be "
                     f"split into {groups} groups", f"(long){nx}.shape[1]")
    return "\n".join([
        _shape_vector(ctx, shape, "filter"),
        f"if ({ng}.shape[0] != {nx}.shape[0]) {batch}",
        f"if ({nx}.shape[1] % {groups}) {split}",
        _geometry(node.op, f"{nx}.shape[0]", f"{nx}.shape[1]", f"{nx}.shape[2]",
                  f"{nx}.shape[3]", f"{ng}.shape[1]", "s0_", "s1_"),
        _check(ctx, f"{nx}.shape[1] / {groups}", f"{ng}.shape[2]", f"{ng}.shape[3]"),
        f"{nd}.shape[0] = g_.filters; {nd}.shape[1] = g_.channels / {groups}; "
        f"{nd}.shape[2] = s0_; {nd}.shape[3] = s1_;",
        ctx.alloc(dw),
        _run(ctx, "grad_weights", (x, gy), dw, accumulate=True)])


for _emit in (conv2d_code, conv2d_grad_inputs_code, conv2d_grad_weights_code):
    _emit.supports = _supports
