"""Moving per-step outputs out of the loop, as one batched computation over all steps.

An output that is not fed back (``outputs_info`` None) and that depends on the step only
through the step's sequence rows and the step's new states (not through earlier states by
another path) can be computed after the loop from the stacked sequences and trajectories:
``o_t = softmax(V·s_t)`` for every ``t`` is one matrix product ``S·Vᵀ`` and a row-wise
softmax, instead of ``n_steps`` matrix-vector products inside the loop.  The gradient then
is batched too (``∂V = ∂Oᵀ·S`` is one product).  Ops are rewritten to their batched form
over a new leading axis; an op with no known batched form keeps the output in the loop.
"""

from ..compiler import ops as O
from ..compiler.graph import io_toposort
from ..compiler.ops.blas import Dot
from ..compiler.ops.elemwise import DimShuffle, Elemwise
from ..compiler.ops.nnet import LogSoftmax, Softmax
from ..compiler.ops.reduce import _Reduce
from ..compiler.ops.shape import Rebroadcast
from ..compiler.ops.subtensor import Subtensor

__all__ = []


class _NotBatchable(Exception):
    """The output needs an op with no batched form here: it stays in the loop."""


def batch_outputs(outputs, stacked, leading):
    """Batched forms of ``outputs`` (graphs of one step), or None for those that cannot be.

    ``stacked`` maps step variables (a sequence row, a state's new value) to outer
    variables stacking them over the steps (a leading axis); ``leading`` are all the
    per-step inputs (the loop's placeholders): an output reaching one of them other than
    through ``stacked`` cannot be batched.
    """
    results = []
    for output in outputs:
        try:
            results.append(_batch(output, stacked, set(leading)))
        except _NotBatchable:
            results.append(None)
    return results


def _batch(output, stacked, leading):
    from ..compiler.evaluate import depends_on
    variant = depends_on([output], leading)
    batched = dict(stacked)
    nodes = io_toposort(list(stacked), [output]) if output not in batched else []
    for node in nodes:
        if not any(v in batched for v in node.inputs):
            if any(v in variant for v in node.inputs):
                raise _NotBatchable(node)   # reaches a step input some other way
            continue        # a loop invariant: used as it is
        if any(v in variant and v not in batched for v in node.inputs):
            raise _NotBatchable(node)
        results = _batch_node(node, [batched.get(v) for v in node.inputs])
        batched.update(zip(node.outputs, results))
    if output not in batched:
        raise _NotBatchable(output)  # invariant, or a step input itself: the loop stacks it
    return batched[output]


def _pad(variable, batched):
    """An invariant operand of a batched element-wise op: a broadcastable leading axis."""
    return batched if batched is not None else O.shape_padleft(variable)


def _batch_node(node, batched):
    op, inputs = node.op, node.inputs
    if isinstance(op, Elemwise):
        args = [_pad(v, b) for v, b in zip(inputs, batched)]
        return _as_list(op(*args))
    if isinstance(op, DimShuffle):
        order = (0,) + tuple(a if a == "x" else a + 1 for a in op.new_order)
        return [O.dimshuffle(batched[0], order)]
    if isinstance(op, Rebroadcast):
        pattern = (False,) + tuple(node.outputs[0].broadcastable)
        return [O.patternbroadcast(O.unbroadcast(batched[0], *range(batched[0].ndim)),
                                   pattern)]
    if isinstance(op, (Softmax, LogSoftmax)):
        x = batched[0]
        rows = x.reshape([-1, x.shape[x.ndim - 1]], ndim=2)
        result = op(rows).reshape(x.shape, ndim=x.ndim)
        return [O.patternbroadcast(result, (False,) + node.outputs[0].broadcastable)]
    if isinstance(op, _Reduce) and type(op).__name__ in ("Sum", "Prod", "Max", "Min"):
        return [type(op)(tuple(a + 1 for a in op.axis))(batched[0])]
    if isinstance(op, Subtensor) and all(b is None for b in batched[1:]):
        return [Subtensor(((None, None, None),) + tuple(op.idx_list))(batched[0], *inputs[1:])]
    if isinstance(op, Dot):
        return [_batch_dot(inputs, batched)]
    raise _NotBatchable(node)


def _batch_dot(inputs, batched):
    (a, b), (ba, bb) = inputs, batched
    if ba is not None and bb is not None:
        if a.ndim == 1 and b.ndim == 1:
            return O.sum(ba * bb, axis=1)
        raise _NotBatchable(a)
    if bb is not None:          # dot(A, b_t): rows of B times A's transpose
        if b.ndim != 1:
            raise _NotBatchable(b)
        return O.dot(bb, a.T) if a.ndim == 2 else O.dot(bb, a)
    if a.ndim != 1:             # dot(a_t, B) with a_t a vector: one product
        raise _NotBatchable(a)
    return O.dot(ba, b)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]

