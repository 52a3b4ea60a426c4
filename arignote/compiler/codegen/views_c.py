"""C for ops whose output is a view of their input: no copy, only shape and strides."""

from ..ops.elemwise import DimShuffle
from .c import emitter


@emitter(DimShuffle)
def dimshuffle_code(node, ctx):
    source, target = ctx.name(node.inputs[0]), ctx.name(node.outputs[0])
    lines = [f"{target}.data = {source}.data;"]
    for position, axis in enumerate(node.op.new_order):
        if axis == "x":
            lines.append(f"{target}.shape[{position}] = 1; {target}.strides[{position}] = 0;")
        else:
            lines.append(f"{target}.shape[{position}] = {source}.shape[{axis}]; "
                         f"{target}.strides[{position}] = {source}.strides[{axis}];")
    return "\n".join(lines)
