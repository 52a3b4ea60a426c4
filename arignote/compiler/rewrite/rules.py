"""The rule sets: canonicalize (algebraic identities, shape lifting), stabilize (numerics).

Each entry reads ``pattern -> replacement``; see engine.py for the pattern language.
"""

from .. import ops as O
from .. import dtypes as dt
import importlib

from ..ops import scalar as S

nnet = importlib.import_module("arignote.compiler.ops.nnet")
reduce = importlib.import_module("arignote.compiler.ops.reduce")
SH = importlib.import_module("arignote.compiler.ops.shape")
ST = importlib.import_module("arignote.compiler.ops.subtensor")
from ..ops.elemwise import DimShuffle
from .engine import ANY, HALF, MINUS_ONE, ONE, TWO, ZERO, NodeRule, Rule, RuleSet  # noqa: F401


def _float(x):
    return not dt.is_discrete(x.dtype)


def _merge_dimshuffles(x, node):
    inner = node.inputs[0].owner.op
    outer = node.op
    order = tuple("x" if a == "x" else inner.new_order[a] for a in outer.new_order)
    return O.dimshuffle(x, order)


def _drop_identity_dimshuffle(x, node):
    return x if node.op.new_order == tuple(range(x.ndim)) else None


def _reshape_of_reshape(x, shape, node):
    return O.reshape(x, shape, ndim=node.outputs[0].ndim)


def _shape_of_computed(x, node):
    """``x.shape`` from the shapes of ``x``'s inputs, so ``x`` need not be computed."""
    producer = x.owner
    if producer is None or not hasattr(producer.op, "infer_shape"):
        return None
    input_shapes = [[SH.shape_i(v, k) for k in range(v.ndim)] if hasattr(v.type, "ndim")
                    else None for v in producer.inputs]
    try:
        shapes = producer.op.infer_shape(producer, input_shapes)
    except Exception:
        return None
    shape = shapes[x.index]
    if shape is None:
        return None
    if isinstance(node.op, SH.ShapeI):
        return O.cast(shape[node.op.i], "int64")
    if not shape:
        return None
    return SH.make_vector(*[O.cast(s, "int64") for s in shape], dtype="int64")


def _log_of_indexed_softmax(fgraph, node):
    """log(softmax(x)[index]) -> logsoftmax(x)[index]: the crossentropy pattern."""
    (indexed,) = node.inputs
    producer = indexed.owner
    if producer is None or not isinstance(producer.op, (ST.Subtensor, ST.AdvancedSubtensor,
                                                        ST.AdvancedSubtensor1)):
        return None
    source = producer.inputs[0]
    if source.owner is None or not isinstance(source.owner.op, nnet.Softmax):
        return None
    log_source = nnet.LogSoftmax(*_softmax_params(source.owner.op))(*source.owner.inputs)
    return {node.outputs[0]: producer.op(log_source, *producer.inputs[1:])}


def _softmax_params(op):
    fields = getattr(op, "__dataclass_fields__", {})
    return tuple(getattr(op, f) for f in fields)


def _log_softmax(x, node):
    op = node.inputs[0].owner.op
    return nnet.LogSoftmax(*_softmax_params(op))(x)


def _logsumexp(x, node):
    """log(sum(exp(x), axis)) -> max + log(sum(exp(x - max))), finite for large x."""
    axis = node.inputs[0].owner.op.axis
    peak = reduce.max(x, axis=axis, keepdims=True)
    peak = O.switch(O.isinf(peak), O.zeros_like(peak), peak)
    result = O.log(reduce.sum(O.exp(x - peak), axis=axis, keepdims=True)) + peak
    return O.dimshuffle(result, [k for k in range(x.ndim) if k not in axis])


CANONICALIZE = RuleSet("canonicalize", [
    Rule("mul_by_one", (S.Mul, "x", ONE), lambda x: x),
    Rule("add_zero", (S.Add, "x", ZERO), lambda x: x),
    Rule("sub_zero", (S.Sub, "x", ZERO), lambda x: x),
    Rule("sub_self", (S.Sub, "x", "x"), lambda x: O.zeros_like(x)),
    Rule("neg_neg", (S.Neg, (S.Neg, "x")), lambda x: x),
    Rule("div_by_one", (S.TrueDiv, "x", ONE), lambda x: x),
    Rule("div_self", (S.TrueDiv, "x", "x"), lambda x: O.ones_like(x) if _float(x) else None),
    Rule("sub_of_neg", (S.Sub, (S.Neg, "a"), "b"), lambda a, b: O.neg(O.add(a, b))),
    Rule("pow_two", (S.Pow, "x", TWO), lambda x: O.sqr(x)),
    Rule("pow_half", (S.Pow, "x", HALF), lambda x: O.sqrt(x) if _float(x) else None),
    Rule("pow_minus_one", (S.Pow, "x", MINUS_ONE),
         lambda x: O.reciprocal(x) if _float(x) else None),
    Rule("pow_one", (S.Pow, "x", ONE), lambda x: x),
    Rule("pow_zero", (S.Pow, "x", ZERO), lambda x: O.ones_like(x)),
    Rule("dimshuffle_of_dimshuffle", (DimShuffle, (DimShuffle, "x")), _merge_dimshuffles),
    Rule("identity_dimshuffle", (DimShuffle, "x"), _drop_identity_dimshuffle),
    Rule("reshape_of_reshape", (SH.Reshape, (SH.Reshape, "x", ANY), "shape"),
         _reshape_of_reshape),
    Rule("shape_lift", (SH.Shape, "x"), _shape_of_computed),
    Rule("shape_i_lift", (SH.ShapeI, "x"), _shape_of_computed),
])

STABILIZE = RuleSet("stabilize", [
    Rule("log1p", (S.Log, (S.Add, ONE, "x")), lambda x: O.log1p(x)),
    Rule("log1p_of_sub", (S.Log, (S.Sub, ONE, "x")), lambda x: O.log1p(O.neg(x))),
    Rule("expm1", (S.Sub, (S.Exp, "x"), ONE), lambda x: O.expm1(x)),
    Rule("sigmoid", (S.TrueDiv, ONE, (S.Add, ONE, (S.Exp, (S.Neg, "x")))),
         lambda x: O.sigmoid(x)),
    Rule("reciprocal_sigmoid", (S.Reciprocal, (S.Add, ONE, (S.Exp, (S.Neg, "x")))),
         lambda x: O.sigmoid(x)),
    Rule("log_sigmoid", (S.Log, (S.Sigmoid, "x")), lambda x: O.neg(O.softplus(O.neg(x)))),
    Rule("log_one_minus_sigmoid", (S.Log, (S.Sub, ONE, (S.Sigmoid, "x"))),
         lambda x: O.neg(O.softplus(x))),
    Rule("log1p_neg_sigmoid", (S.Log1p, (S.Neg, (S.Sigmoid, "x"))),
         lambda x: O.neg(O.softplus(x))),
    Rule("log_softmax", (S.Log, (nnet.Softmax, "x")), _log_softmax),
    NodeRule("log_of_indexed_softmax", (S.Log,), _log_of_indexed_softmax),
    Rule("logsumexp", (S.Log, (reduce.Sum, (S.Exp, "x"))), _logsumexp),
])
