"""Specialization passes that run after fusion: reductions absorb their element-wise
producers (``FusedReduce``), so ``sum(x * y)`` or ``mean(loss_terms)`` is one loop."""

import importlib

from ..ops.composite import Composite, FusedReduce
from ..ops.elemwise import Elemwise

reduce_ops = importlib.import_module("arignote.compiler.ops.reduce")

_KINDS = {reduce_ops.Sum: "sum", reduce_ops.Prod: "prod", reduce_ops.Max: "max",
          reduce_ops.Min: "min"}


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
        acc = reduce_ops.accumulator_dtype(node)
        out = node.outputs[0]
        replacement = FusedReduce(kind, tuple(node.op.axis), scalar_op, out.dtype, acc)(
            *producer.inputs)
        if replacement.type != out.type:
            continue
        replacement.owner.trace = node.trace
        fgraph.replace(out, replacement, reason="reduce_fusion")
        fused += 1
    return fused


blas_ops = importlib.import_module("arignote.compiler.ops.blas")


def _single_client(fgraph, variable):
    clients = fgraph.clients.get(variable, [])
    return len(clients) == 1 and clients[0][0] != "output"


def _scaled_dot(fgraph, variable):
    """``(a, dot_node)`` when ``variable`` is ``dot(x, y)`` or ``a * dot(x, y)`` of matrices
    used nowhere else, with ``a`` a single-element tensor; else None."""
    from ..ops.scalar import Mul
    node = variable.owner
    if node is None or not _single_client(fgraph, variable):
        return None
    if isinstance(node.op, blas_ops.Dot):
        return None, node
    if isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, Mul):
        for scale, product in (node.inputs, reversed(node.inputs)):
            owner = product.owner
            if owner is not None and isinstance(owner.op, blas_ops.Dot) and \
                    all(scale.broadcastable) and _single_client(fgraph, product):
                return scale, owner
    return None


def upcast_dot_operands(fgraph):
    """``dot(x, y)`` of operands of different dtypes with a float result becomes the dot of
    both cast to that dtype, as numpy computes it: then BLAS's float32 or float64 gemm/gemv
    runs it in C (and ``specialize_gemm`` may absorb it), where mixed operands would leave
    it to the Python reference.  The casts fuse with their producers; returns the count."""
    from ..ops.scalar import cast
    done = 0
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes or not isinstance(node.op, blas_ops.Dot):
            continue
        x, y = node.inputs
        out = node.outputs[0]
        if x.dtype == y.dtype or out.dtype not in ("float32", "float64"):
            continue
        replacement = blas_ops.Dot()(cast(x, out.dtype), cast(y, out.dtype))
        replacement.owner.trace = node.trace
        fgraph.replace(out, replacement, reason="upcast_dot_operands")
        done += 1
    return done


def specialize_gemm(fgraph):
    """``z +/- a * dot(x, y)`` of float matrices becomes one ``Gemm`` (BLAS computes the
    scaling and the sum while it multiplies); returns the number of replacements."""
    from ..ops.scalar import Add, Sub, cast, neg
    from ..ops.elemwise import dimshuffle
    from ..variable import constant
    done = 0
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes or not isinstance(node.op, Elemwise):
            continue
        scalar_op = node.op.scalar_op
        if not isinstance(scalar_op, (Add, Sub)):
            continue
        out = node.outputs[0]
        candidates = [(node.inputs[0], node.inputs[1], isinstance(scalar_op, Sub))]
        if isinstance(scalar_op, Add):
            candidates.append((node.inputs[1], node.inputs[0], False))
        for z, term, negate in candidates:
            found = _scaled_dot(fgraph, term)
            if found is None or z.ndim != 2 or z.type != out.type:
                continue
            scale, dot_node = found
            x, y = dot_node.inputs
            dtype = out.dtype
            if dtype not in ("float32", "float64") or x.dtype != dtype or y.dtype != dtype \
                    or x.ndim != 2 or y.ndim != 2:
                continue
            if scale is None:
                a = constant(1.0, dtype=dtype)
            else:
                a = cast(dimshuffle(scale, []) if scale.ndim else scale, dtype)
            if negate:
                a = neg(a)
            replacement = blas_ops.Gemm()(z, a, x, y, constant(1.0, dtype=dtype))
            replacement.owner.trace = node.trace
            fgraph.replace(out, replacement, reason="gemm")
            done += 1
            break
    return done


nnet_ops = importlib.import_module("arignote.compiler.ops.nnet")


def share_softmax(fgraph):
    """``softmax(x)`` where ``logsoftmax(x)`` is computed too becomes ``exp(logsoftmax(x))``:
    one row pass instead of two, and the exp fuses into its consumer (the cross-entropy
    gradient next to its forward pass)."""
    from ..ops.scalar import exp
    logs = {}
    for node in fgraph.toposort():
        if isinstance(node.op, nnet_ops.LogSoftmax):
            logs.setdefault((node.op, node.inputs[0]), node.outputs[0])
    done = 0
    for node in fgraph.toposort():
        if node in fgraph.apply_nodes and type(node.op) is nnet_ops.Softmax:
            for (op, source), log_value in logs.items():
                if source is node.inputs[0] and vars(op) == vars(node.op):
                    replacement = exp(log_value)
                    replacement.owner.trace = node.trace
                    fgraph.replace(node.outputs[0], replacement, reason="share_softmax")
                    done += 1
                    break
    return done
