"""Rewrite soundness: hypothesis builds random small graphs (element-wise ops with
broadcasting rows, columns and scalars, the patterns the rules look for, reductions,
dimshuffles, reshapes, dot, indexing, softmax, allocations, gradients) and the values of
each graph before and after ``optimize`` must agree.

Where the graph before gives a NaN or an infinity the graph after may give anything
(stabilization exists to turn those into numbers); elsewhere the values must agree up to
rounding.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arignote.tensor as T
from arignote.compiler.rewrite.pipeline import PASSES

from .test_rewrite import evaluate, rewritten

ROWS, COLS = 3, 4


def _inputs():
    """Symbolic inputs and their (static) shapes; values are drawn per example."""
    return [
        (T.dmatrix("m"), (ROWS, COLS)), (T.drow("r"), (1, COLS)), (T.dcol("c"), (ROWS, 1)),
        (T.dvector("v"), (COLS,)), (T.dvector("u"), (ROWS,)), (T.dscalar("s"), ()),
    ]


def _compatible(a, b):
    """Whether element-wise ``a op b`` is valid (Theano: equal, or one side broadcastable)."""
    (va, sa), (vb, sb) = a, b
    ndim = max(len(sa), len(sb))
    sa, sb = (1,) * (ndim - len(sa)) + sa, (1,) * (ndim - len(sb)) + sb
    ba = (True,) * (ndim - va.ndim) + va.broadcastable
    bb = (True,) * (ndim - vb.ndim) + vb.broadcastable
    return all(p == q or fa or fb for p, q, fa, fb in zip(sa, sb, ba, bb))


def _broadcast(sa, sb):
    ndim = max(len(sa), len(sb))
    sa, sb = (1,) * (ndim - len(sa)) + sa, (1,) * (ndim - len(sb)) + sb
    return tuple(max(p, q) for p, q in zip(sa, sb))


UNARY = [
    T.neg, T.exp, T.tanh, T.sqr, T.abs, T.nnet.sigmoid, T.nnet.softplus, T.expm1,
    lambda a: T.log(T.abs(a) + 0.5), lambda a: T.sqrt(T.abs(a)), lambda a: T.reciprocal(a),
    lambda a: T.log(T.nnet.sigmoid(a)), lambda a: T.log(1 - T.nnet.sigmoid(a)),
    lambda a: 1 / (1 + T.exp(-a)), lambda a: 1 / (1 + T.exp(a)),
    lambda a: T.exp(a) / (1 + T.exp(a)), lambda a: 1 - T.nnet.sigmoid(a),
    lambda a: T.log(1 + T.abs(a)), lambda a: T.log(1 + T.exp(a)), lambda a: T.exp(a) - 1,
    lambda a: T.log(T.exp(a)), lambda a: T.log1p(-T.nnet.sigmoid(a)),
    lambda a: a * 1, lambda a: a + 0, lambda a: 0 - a, lambda a: a - a, lambda a: a / a,
    lambda a: T.neg(-a), lambda a: (a * 2) * 3, lambda a: (a * 3) / 4, lambda a: -(a * 3),
    lambda a: a * -1, lambda a: a ** 2, lambda a: T.abs(a) ** 0.5, lambda a: a ** -1,
    lambda a: a ** 1, lambda a: a ** 0, lambda a: T.zeros_like(a) + a,
    lambda a: T.ones_like(a) * a, lambda a: (a / 3) * 3, lambda a: a * T.reciprocal(a + 2),
]

BINARY = [
    T.add, T.sub, T.mul, T.true_div, T.maximum,
    lambda a, b: (a / b) * b, lambda a, b: (a + b) * (b / (a + b)),
    lambda a, b: -a * -b, lambda a, b: a - -b, lambda a, b: a + -b,
    lambda a, b: (a / (b + 3) + 1) * (b + 3), lambda a, b: T.exp(-a) * T.nnet.sigmoid(a) + b,
    lambda a, b: T.log(1 + T.exp(a - b)), lambda a, b: T.switch(T.gt(a, b), a, b * 2),
]


def _operand(data, pool):
    """A pool entry, the recent ones (deeper graphs) half of the time."""
    if len(pool) > 6 and data.draw(st.integers(0, 3)) > 0:
        return data.draw(st.sampled_from(pool[6:]))
    return data.draw(st.sampled_from(pool))


def _unary(data, pool):
    a = _operand(data, pool)
    return data.draw(st.sampled_from(UNARY))(a[0]), a[1]


def _binary(data, pool):
    a = _operand(data, pool)
    partners = [b for b in pool if _compatible(a, b)]
    b = data.draw(st.sampled_from(partners))
    if data.draw(st.booleans()):
        a, b = b, a
    return data.draw(st.sampled_from(BINARY))(a[0], b[0]), _broadcast(a[1], b[1])


def _reduction(data, pool):
    candidates = [p for p in pool if p[0].ndim >= 1]
    if not candidates:
        return None
    a, shape = data.draw(st.sampled_from(candidates))
    axis = data.draw(st.sampled_from([None] + list(range(a.ndim))))
    keepdims = data.draw(st.booleans())
    kind = data.draw(st.sampled_from(["sum", "max", "mean", "logsumexp"]))
    if kind == "logsumexp":
        out = T.log(T.sum(T.exp(a), axis=axis, keepdims=keepdims))
    else:
        out = getattr(T, kind)(a, axis=axis, keepdims=keepdims)
    axes = range(len(shape)) if axis is None else [axis]
    if keepdims:
        return out, tuple(1 if k in axes else n for k, n in enumerate(shape))
    return out, tuple(n for k, n in enumerate(shape) if k not in axes)


def _reshaping(data, pool):
    a, shape = data.draw(st.sampled_from(pool))
    kind = data.draw(st.sampled_from(["transpose", "double_transpose", "pad", "flatten",
                                      "reshape_twice", "shape_alloc"]))
    if kind == "transpose" and a.ndim == 2:
        return a.T, shape[::-1]
    if kind == "double_transpose" and a.ndim == 2:
        return a.T.T, shape
    if kind == "pad" and a.ndim < 2:
        return a.dimshuffle("x", *range(a.ndim)), (1,) + shape
    if kind == "flatten" and a.ndim >= 1:
        return a.flatten(), (int(np.prod(shape)),)
    if kind == "reshape_twice" and a.ndim == 2 and shape == (ROWS, COLS):
        return a.reshape((ROWS * COLS,)).reshape((COLS, ROWS)), (COLS, ROWS)
    if kind == "shape_alloc" and a.ndim >= 1:
        lengths = [a.shape[k] for k in range(a.ndim)]
        return T.alloc(np.float64(0.75), *lengths) * T.exp(a), shape
    return None


def _dot(data, pool):
    matrices = [p for p in pool if p[0].ndim == 2]
    vectors = [p for p in pool if p[0].ndim == 1]
    if not matrices:
        return None
    a, (n, k) = data.draw(st.sampled_from(matrices))
    partners = [p for p in vectors if p[1] == (k,)] + [p for p in matrices if p[1][0] == k]
    if not partners:
        return None
    b, shape = data.draw(st.sampled_from(partners))
    return T.dot(a, b), (n,) + shape[1:]


def _indexing(data, pool):
    a, shape = data.draw(st.sampled_from([p for p in pool if p[0].ndim >= 1]
                                         or [(None, None)]))
    if a is None:
        return None
    kind = data.draw(st.sampled_from(["slice", "reverse", "column", "take", "softmax_nll",
                                      "shape"]))
    if kind == "slice" and shape[0] >= 2 and not a.broadcastable[0]:
        return a[1:], (shape[0] - 1,) + shape[1:]
    if kind == "reverse":
        return a[::-1], shape
    if kind == "column" and a.ndim == 2:
        return a[:, 0], shape[:1]
    if kind == "take" and not a.broadcastable[0]:
        index = np.array([0, shape[0] - 1, 0])
        return a[index], (3,) + shape[1:]
    if kind == "softmax_nll" and a.ndim == 2:
        labels = np.arange(shape[0]) % shape[1]
        p = T.nnet.softmax(a)
        return -T.log(p[T.arange(shape[0]), labels]), shape[:1]
    if kind == "shape":
        return T.cast(T.exp(a).shape[0], "float64") * T.ones_like(a), shape
    return None


BUILDERS = [_unary, _unary, _binary, _binary, _binary, _reduction, _reshaping, _dot,
            _indexing]


@st.composite
def graphs(draw):
    """``(inputs, outputs, values)`` of a random graph over float64 inputs."""
    data = draw(st.data())
    inputs = _inputs()
    pool = list(inputs)
    for _ in range(draw(st.integers(3, 9))):
        built = data.draw(st.sampled_from(BUILDERS))(data, pool)
        if built is not None:
            pool.append(built)
    outputs = [pool[-1][0]]
    if len(pool) > len(inputs) + 1 and draw(st.booleans()):
        outputs.append(draw(st.sampled_from(pool[len(inputs):-1]))[0])
    if draw(st.booleans()):
        used = [v for v, _ in inputs]
        cost = T.sum(outputs[0])
        grads = T.grad(cost, used, disconnected_inputs="ignore", return_disconnected="None")
        outputs.extend(g for g in grads if g is not None)
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    values = [rng.uniform(-2.0, 2.0, size=shape) for _, shape in inputs]
    return [v for v, _ in inputs], outputs, values


def _assert_agree(reference, result):
    reference, result = np.asarray(reference), np.asarray(result)
    assert result.shape == reference.shape and result.dtype == reference.dtype
    if reference.dtype.kind != "f":
        np.testing.assert_array_equal(result, reference)
        return
    finite = np.isfinite(reference)
    if not finite.any():
        return
    scale = max(1.0, float(np.max(np.abs(reference[finite]))))
    np.testing.assert_allclose(result[finite], reference[finite], rtol=1e-6,
                               atol=1e-9 * scale)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(graphs())
def test_optimize_preserves_values(graph):
    inputs, outputs, values = graph
    before, after = rewritten(inputs, outputs)
    for output_before, output_after in zip(before.outputs, after.outputs):
        assert output_after.type == output_before.type
    with np.errstate(all="ignore"):
        expected = evaluate(before, values)
    for reference, result in zip(expected, evaluate(after, values)):
        _assert_agree(reference, result)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(graphs())
def test_each_pass_preserves_values(graph):
    """Pass by pass, so a failure names the pass that broke the graph."""
    inputs, outputs, values = graph
    before, _ = rewritten(inputs, outputs, [])
    with np.errstate(all="ignore"):
        expected = evaluate(before, values)
    current, _ = before.clone()
    for name, run in PASSES:
        run(current)
        for reference, result in zip(expected, evaluate(current, values)):
            try:
                _assert_agree(reference, result)
            except AssertionError as error:
                raise AssertionError(f"after pass {name}: {error}") from None


MIXED_UNARY = [
    lambda a: a * 1, lambda a: a + 0, lambda a: a - 0, lambda a: 0 - a, lambda a: a - a,
    lambda a: a * -1, lambda a: (a * 2) * 3, lambda a: (a + 1) + 2, lambda a: a ** 2,
    lambda a: a ** 2.0, lambda a: a ** 1, lambda a: a ** 0, lambda a: -(a * 3),
    lambda a: T.neg(-a), lambda a: a / 1, lambda a: a / 4, lambda a: T.sqr(a),
    lambda a: T.cast(T.cast(a, "float64"), "int16"), lambda a: T.cast(a, "float32") * 0.5,
    lambda a: T.log(1 + T.abs(T.cast(a, "float32"))),
]
MIXED_BINARY = [
    T.add, T.mul, T.maximum, lambda a, b: a - -b, lambda a, b: a + -b,
    lambda a, b: -a * -b, lambda a, b: T.switch(T.gt(a, b), a, b), lambda a, b: a * b + a,
]
DTYPES = ["int8", "uint8", "int16", "int32", "int64", "float32", "float64"]


@st.composite
def mixed_graphs(draw):
    """Graphs over integer and float32 inputs: the rules must keep dtypes and wraparound."""
    variables = [T.vector(f"v{k}", dtype=d) for k, d in enumerate(DTYPES)]
    pool = list(variables)
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            pool.append(draw(st.sampled_from(MIXED_UNARY))(draw(st.sampled_from(pool))))
        else:
            a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
            pool.append(draw(st.sampled_from(MIXED_BINARY))(a, b))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    values = [rng.integers(-100, 100, size=4).astype(d) if d[0] != "f" else
              rng.uniform(-3, 3, size=4).astype(d) for d in DTYPES]
    return variables, [pool[-1]], values


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mixed_graphs())
def test_optimize_keeps_dtypes_and_integer_arithmetic(graph):
    inputs, outputs, values = graph
    before, after = rewritten(inputs, outputs)
    assert after.outputs[0].type == before.outputs[0].type
    with np.errstate(all="ignore"):
        expected = evaluate(before, values)
        results = evaluate(after, values)
    for reference, result in zip(expected, results):
        if np.asarray(reference).dtype.kind == "f":
            reference = np.asarray(reference)
            finite = np.isfinite(reference)
            # float32 parts (log1p for log(1 + x)) may round differently
            np.testing.assert_allclose(np.asarray(result)[finite], reference[finite], rtol=1e-5)
        else:
            np.testing.assert_array_equal(result, reference)
