"""C for shape ops: Shape, ShapeI, MakeVector, Alloc, Reshape, Rebroadcast, SpecifyShape,
Join."""

import importlib

from .c import CTYPES, emitter

shape_ops = importlib.import_module("arignote.compiler.ops.shape")


def _int(ctx, variable):
    """The C value (npy_intp) of the integer scalar ``variable``."""
    return f"((npy_intp)*(const {CTYPES[variable.dtype]} *){ctx.name(variable)}.data)"


@emitter(shape_ops.Shape)
def shape_code(node, ctx):
    (x,), (out,) = node.inputs, node.outputs
    src, dst = ctx.name(x), ctx.name(out)
    lines = [f"{dst}.shape[0] = {x.ndim};", ctx.alloc(out)]
    lines += [f"((npy_int64 *){dst}.data)[{d}] = {src}.shape[{d}];" for d in range(x.ndim)]
    return "\n".join(lines)


@emitter(shape_ops.ShapeI)
def shape_i_code(node, ctx):
    (x,), (out,) = node.inputs, node.outputs
    return "\n".join([ctx.alloc(out), f"*(npy_int64 *){ctx.name(out)}.data = "
                      f"{ctx.name(x)}.shape[{node.op.i}];"])


@emitter(shape_ops.MakeVector)
def make_vector_code(node, ctx):
    out = node.outputs[0]
    dst = ctx.name(out)
    ctype = CTYPES[out.dtype]
    lines = [f"{dst}.shape[0] = {len(node.inputs)};", ctx.alloc(out)]
    for k, variable in enumerate(node.inputs):
        lines.append(f"(({ctype} *){dst}.data)[{k}] = ({ctype})(*(const "
                     f"{CTYPES[variable.dtype]} *){ctx.name(variable)}.data);")
    return "\n".join(lines)


make_vector_code.supports = lambda node: all(v.dtype in CTYPES for v in node.inputs)


@emitter(shape_ops.Alloc)
def alloc_code(node, ctx):
    """Broadcast the value into a new array of the requested shape."""
    value, *shape = node.inputs
    out = node.outputs[0]
    src, dst = ctx.name(value), ctx.name(out)
    lines = []
    for d, size in enumerate(shape):
        lines.append(f"{dst}.shape[{d}] = {_int(ctx, size)};")
        lines.append(f"if ({dst}.shape[{d}] < 0) {{ " + ctx.fail(
            "ValueError", f"alloc: negative length %ld for dimension {d}",
            f"(long){dst}.shape[{d}]") + " }")
    lead = out.ndim - value.ndim
    for d in range(value.ndim):
        if not value.broadcastable[d]:
            lines.append(f"if ({src}.shape[{d}] != {dst}.shape[{d + lead}]) {{ " + ctx.fail(
                "ValueError", f"alloc: cannot fill shape (dimension {d + lead}: %ld) with a "
                f"value whose dimension {d} has length %ld (only broadcastable dimensions "
                f"stretch)", f"(long){dst}.shape[{d + lead}]", f"(long){src}.shape[{d}]") +
                " }")
    lines.append(ctx.alloc(out))
    ctype = CTYPES[out.dtype]
    lines.append(f"if (ag_size(&{src}) == 1) {{")
    lines.append(f"    const {ctype} fill_ = *(const {ctype} *){src}.data;")
    lines.append(f"    {ctype} *o_ = ({ctype} *){dst}.data;")
    lines.append(f"    const npy_intp n_ = ag_size(&{dst});")
    # zeros (all bits clear) are a memset; other values a vectorised fill
    lines.append("    unsigned char bits_ = 0;")
    lines.append("    for (size_t b_ = 0; b_ < sizeof fill_; b_++) "
                 "bits_ |= ((const unsigned char *)&fill_)[b_];")
    lines.append("    if (!bits_) memset(o_, 0, (size_t)n_ * sizeof fill_);")
    lines.append("    else {")
    lines.append("        #pragma omp simd")
    lines.append("        for (npy_intp k_ = 0; k_ < n_; k_++) o_[k_] = fill_;")
    lines.append("    }")
    lines.append("} else {")
    lines.append(f"ag_array b_ = {dst};")
    lines.append("b_.data = " + src + ".data;")
    for d in range(out.ndim):
        if d < lead:
            lines.append(f"b_.strides[{d}] = 0;")
        else:
            lines.append(f"b_.strides[{d}] = {src}.shape[{d - lead}] == 1 ? 0 : "
                         f"{src}.strides[{d - lead}];")
    lines.append(f"ag_copy(&{dst}, &b_, {ctx.itemsize(out.dtype)});")
    lines.append("}")
    return "\n".join(lines)


alloc_code.supports = lambda node: node.outputs[0].dtype in CTYPES


@emitter(shape_ops.Reshape)
def reshape_code(node, ctx):
    """A view when the input is contiguous, else a contiguous copy; -1 is inferred."""
    x, shape = node.inputs
    out = node.outputs[0]
    src, dst, sizes = ctx.name(x), ctx.name(out), ctx.name(shape)
    ndim = out.ndim
    size = ctx.itemsize(out.dtype)
    lines = [f"if ({sizes}.shape[0] != {ndim}) {{ " + ctx.fail(
        "ValueError", f"reshape: the shape has %ld entries, expected {ndim}",
        f"(long){sizes}.shape[0]") + " }",
        "npy_intp known_ = 1; int unknown_ = -1;"]
    for d in range(ndim):
        lines.append(f"{dst}.shape[{d}] = (npy_intp)*(const npy_int64 *)({sizes}.data + {d} * "
                     f"{sizes}.strides[0]);")
        lines.append(f"if ({dst}.shape[{d}] == -1 && unknown_ < 0) unknown_ = {d}; "
                     f"else if ({dst}.shape[{d}] < 0) {{ " + ctx.fail(
                         "ValueError", "reshape: invalid length %ld in the new shape (at most one -1, "
                         "no other negative length)",
                         f"(long){dst}.shape[{d}]") + f" }} else known_ *= {dst}.shape[{d}];")
    lines.append(f"const npy_intp total_ = ag_size(&{src});")
    lines.append("if (unknown_ >= 0) { if (known_ == 0 || total_ % known_ != 0) { char a_[64]; "
                 + ctx.fail("ValueError", "cannot reshape an array of shape %s into a shape "
                            "with a -1 entry", f"ag_shape_str(&{src}, a_, 64)") +
                 f" }} {dst}.shape[unknown_] = total_ / known_; }}")
    lines.append(f"else if (known_ != total_) {{ char a_[64], b_[64]; " + ctx.fail(
        "ValueError", "cannot reshape an array of shape %s into shape %s",
        f"ag_shape_str(&{src}, a_, 64)", f"ag_shape_str(&{dst}, b_, 64)") + " }")
    lines.append(f"if (ag_is_contiguous(&{src}, {size})) {{ {dst}.data = {src}.data; "
                 f"ag_set_contiguous(&{dst}, {size}); }}")
    lines.append(f"else {{ ag_array flat_ = {src}; "
                 f"if (ag_alloc_in_slot(&{dst}, &st->slots[{ctx.renderer.extra_slot(out)}], "
                 f"{size}) < 0) goto fail; flat_.data = {dst}.data; "
                 f"ag_set_contiguous(&flat_, {size}); ag_copy(&flat_, &{src}, {size}); }}")
    return "\n".join(lines)


@emitter(shape_ops.Rebroadcast)
def rebroadcast_code(node, ctx):
    (x,), (out,) = node.inputs, node.outputs
    src, dst = ctx.name(x), ctx.name(out)
    lines = [f"{dst} = {src};"]
    for axis, flag in node.op.axes:
        if flag and not x.broadcastable[axis]:
            lines.append(f"if ({src}.shape[{axis}] != 1) {{ " + ctx.fail(
                "ValueError", f"dimension {axis} was declared broadcastable (length 1) but has "
                f"length %ld", f"(long){src}.shape[{axis}]") + " }")
    return "\n".join(lines)


@emitter(shape_ops.SpecifyShape)
def specify_shape_code(node, ctx):
    x, *shape = node.inputs
    src, dst = ctx.name(x), ctx.name(node.outputs[0])
    lines = [f"{dst} = {src};"]
    for d, size in enumerate(shape):
        value = _int(ctx, size)
        lines.append(f"if ({value} >= 0 && {src}.shape[{d}] != {value}) {{ " + ctx.fail(
            "ValueError", f"specify_shape: dimension {d} has length %ld, expected shape "
            f"length %ld",
            f"(long){src}.shape[{d}]", f"(long){value}") + " }")
    return "\n".join(lines)


@emitter(shape_ops.Join)
def join_code(node, ctx):
    """Copy each input into its slice of the output along ``axis``."""
    axis = node.op.axis
    out = node.outputs[0]
    dst = ctx.name(out)
    first = ctx.name(node.inputs[0])
    lines = [f"{dst}.shape[{axis}] = 0;"]
    for d in range(out.ndim):
        if d != axis:
            lines.append(f"{dst}.shape[{d}] = {first}.shape[{d}];")
    for k, variable in enumerate(node.inputs):
        name = ctx.name(variable)
        for d in range(out.ndim):
            if d != axis:
                lines.append(f"if ({name}.shape[{d}] != {dst}.shape[{d}]) {{ " + ctx.fail(
                    "ValueError", f"join: input {k} has length %ld in dimension {d}, "
                    f"input 0 has %ld; dimensions other than the axis must match", f"(long){name}.shape[{d}]",
                    f"(long){dst}.shape[{d}]") + " }")
        lines.append(f"{dst}.shape[{axis}] += {name}.shape[{axis}];")
    lines.append(ctx.alloc(out))
    lines.append("npy_intp at_ = 0;")
    for variable in node.inputs:
        name = ctx.name(variable)
        lines.append(f"{{ ag_array part_ = {dst}; part_.shape[{axis}] = {name}.shape[{axis}]; "
                     f"part_.data = {dst}.data + at_ * {dst}.strides[{axis}]; "
                     f"ag_copy_cast_{_suffix(variable.dtype, out.dtype)}(&part_, &{name}); "
                     f"at_ += {name}.shape[{axis}]; }}")
    for variable in node.inputs:
        ctx.renderer.casts.add((variable.dtype, out.dtype))
    return "\n".join(lines)


join_code.supports = lambda node: all(v.dtype in CTYPES for v in node.inputs)


def _suffix(source, target):
    return f"{source}_{target}"
