"""Specialization passes that run after fusion: reductions absorb their element-wise
producers (``FusedReduce``), so ``sum(x * y)`` or ``mean(loss_terms)`` is one loop."""

import importlib

from ..ops.composite import Composite, FusedReduce
from ..ops.elemwise import Elemwise

reduce_ops = importlib.import_module("arignote.compiler.ops.reduce")

_KINDS = {reduce_ops.Sum: "sum", reduce_ops.Prod: "prod", reduce_ops.Max: "max",
          reduce_ops.Min: "min"}


def _accumulator(node):
    op, x, out = node.op, node.inputs[0], node.outputs[0]
    accumulate = getattr(op, "accumulate_dtype", None)
    if accumulate is None:
        return out.dtype
    acc = accumulate(x.dtype)
    return "int64" if acc == "bool" else acc


def fuse_reductions(fgraph):
    """Replace ``reduce(elemwise(...))`` by one FusedReduce when the element-wise result has
    no other client; returns the number of replacements."""
    fused = 0
    for node in fgraph.toposort():
        kind = _KINDS.get(type(node.op))
        if kind is None or node not in fgraph.apply_nodes:
            continue
        (x,) = node.inputs
        producer = x.owner
        if producer is None or not isinstance(producer.op, Elemwise) or \
                len(producer.outputs) != 1 or producer.op.inplace_pattern:
            continue
        clients = fgraph.clients.get(x, [])
        if len(clients) != 1 or clients[0][0] == "output":
            continue
        scalar_op = producer.op.scalar_op
        if isinstance(scalar_op, Composite) and len(scalar_op.outs) != 1:
            continue
        acc = _accumulator(node)
        out = node.outputs[0]
        replacement = FusedReduce(kind, tuple(node.op.axis), scalar_op, out.dtype, acc)(
            *producer.inputs)
        if replacement.type != out.type:
            continue
        replacement.owner.trace = node.trace
        fgraph.replace(out, replacement, reason="reduce_fusion")
        fused += 1
    return fused
