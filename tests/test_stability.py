"""Stabilization: each rewrite is checked for the graph it leaves (the stable op present, the
unstable composition gone) and for its value at arguments where the naive graph overflows,
underflows or rounds away the answer."""

import importlib

import numpy as np
import pytest

import arignote.tensor as T
from arignote.compiler.ops import scalar as S
from arignote.compiler.ops.nnet import LogSoftmax, Softmax

from .test_rewrite import NO_FUSION, assert_same_values, evaluate, op_types, rewritten, scalar_ops

reduce = importlib.import_module("arignote.compiler.ops.reduce")

x = T.dvector("x")
m = T.dmatrix("m")
labels = T.lvector("labels")
RNG = np.random.default_rng(1)
MODERATE = RNG.uniform(-3, 3, 6)


def optimized_value(inputs, output, values):
    """The value of ``output`` after the full pipeline (fusion included)."""
    _, after = rewritten(inputs, output)
    return evaluate(after, values)[0]


def structure(inputs, output, values):
    """Scalar ops and op types after stabilization (unfused); values checked on the way."""
    before, after = rewritten(inputs, output, NO_FUSION)
    assert_same_values(before, after, values)
    return scalar_ops(after), op_types(after)


# ----------------------------------------------------------------------- sigmoid family
def test_log_sigmoid():
    found, _ = structure([x], T.log(T.nnet.sigmoid(x)), [MODERATE])
    assert S.Softplus in found and S.Log not in found and S.Sigmoid not in found
    value = optimized_value([x], T.log(T.nnet.sigmoid(x)), [np.array([-1000.0, 0.0, 1000.0])])
    np.testing.assert_allclose(value, [-1000.0, -np.log(2), 0.0])


def test_log_one_minus_sigmoid():
    out = T.log(1 - T.nnet.sigmoid(x))
    found, _ = structure([x], out, [MODERATE])
    assert S.Softplus in found and S.Log not in found
    value = optimized_value([x], out, [np.array([1000.0, 0.0, -1000.0])])
    np.testing.assert_allclose(value, [-1000.0, -np.log(2), 0.0])


def test_log1p_of_minus_sigmoid():
    out = T.log1p(-T.nnet.sigmoid(x))
    found, _ = structure([x], out, [MODERATE])
    assert S.Softplus in found and S.Log1p not in found
    np.testing.assert_allclose(optimized_value([x], out, [np.array([1000.0])]), [-1000.0])


@pytest.mark.parametrize("build", [
    lambda x: 1 / (1 + T.exp(-x)),
    lambda x: T.reciprocal(1 + T.exp(-x)),
    lambda x: T.exp(x) / (1 + T.exp(x)),
    lambda x: 1.0 / (T.exp(-x) + 1.0),
])
def test_sigmoid_recognised(build):
    found, _ = structure([x], build(x), [MODERATE])
    assert found == [S.Sigmoid]
    value = optimized_value([x], build(x), [np.array([-1000.0, 0.0, 1000.0])])
    np.testing.assert_allclose(value, [0.0, 0.5, 1.0])


def test_sigmoid_of_negation_recognised():
    found, _ = structure([x], 1 / (1 + T.exp(x)), [MODERATE])
    assert S.Sigmoid in found and S.Exp not in found and S.TrueDiv not in found


def test_one_minus_sigmoid_keeps_small_values():
    out = 1 - T.nnet.sigmoid(x)
    found, _ = structure([x], out, [MODERATE])
    assert S.Sub not in found
    value = optimized_value([x], out, [np.array([40.0])])
    np.testing.assert_allclose(value, [np.exp(-40.0)], rtol=1e-12)


def test_logistic_regression_probability_is_stable():
    """The paper's ``p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))`` and its logs."""
    xs, w, b = T.dmatrix("xs"), T.dvector("w"), T.dscalar("b")
    p_1 = 1 / (1 + T.exp(-T.dot(xs, w) - b))
    inputs = [xs, w, b]
    sample = [RNG.normal(size=(4, 3)), RNG.normal(size=3), np.float64(0.3)]
    found, _ = structure(inputs, p_1, sample)
    assert S.Sigmoid in found and S.Exp not in found and S.TrueDiv not in found
    extreme = [np.array([[1000.0], [-1000.0]]), np.array([1.0]), np.float64(0.0)]
    np.testing.assert_allclose(optimized_value(inputs, T.log(p_1), extreme), [0.0, -1000.0])
    np.testing.assert_allclose(optimized_value(inputs, T.log(1 - p_1), extreme),
                               [-1000.0, 0.0])


def test_logistic_regression_gradient_is_stable():
    """The gradient of the paper's cross-entropy stays finite where p_1 rounds to 0 or 1."""
    xs, y, w, b = T.dmatrix("xs"), T.dvector("y"), T.dvector("w"), T.dscalar("b")
    p_1 = 1 / (1 + T.exp(-T.dot(xs, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    inputs = [xs, y, w, b]
    found, _ = structure(inputs, [gw, gb], [RNG.normal(size=(5, 2)), np.array(
        [0.0, 1.0, 1.0, 0.0, 1.0]), RNG.normal(size=2), np.float64(0.1)])
    assert found.count(S.Sigmoid) == 2
    assert S.Reciprocal not in found and S.Exp not in found and found.count(S.TrueDiv) == 1
    _, after = rewritten(inputs, [xent, gw, gb])
    extreme = [np.array([[1000.0], [-1000.0]]), np.array([0.0, 1.0]), np.array([1.0]),
               np.float64(0.0)]
    loss, gw_value, gb_value = evaluate(after, extreme)
    np.testing.assert_allclose(loss, [1000.0, 1000.0])
    # d/dz of the mean loss is (p - y) / 2 = [0.5, -0.5]
    np.testing.assert_allclose(gb_value, 0.0, atol=1e-12)
    np.testing.assert_allclose(gw_value, [0.5 * 1000 + 0.5 * 1000 + 0.02])


def test_binary_crossentropy_of_sigmoid():
    t = T.dvector("t")
    out = T.nnet.binary_crossentropy(T.nnet.sigmoid(x), t)
    found, _ = structure([x, t], out, [MODERATE, np.linspace(0, 1, 6)])
    assert S.Log not in found
    value = optimized_value([x, t], out, [np.array([1000.0, -1000.0]), np.array([0.0, 1.0])])
    np.testing.assert_allclose(value, [1000.0, 1000.0])


def test_softplus_recognised():
    for out in (T.log(1 + T.exp(x)), T.log1p(T.exp(x))):
        found, _ = structure([x], out, [MODERATE])
        assert found == [S.Softplus]
        value = optimized_value([x], out, [np.array([1000.0, -1000.0])])
        np.testing.assert_allclose(value, [1000.0, 0.0])


def test_log_of_exp():
    found, _ = structure([x], T.log(T.exp(x)) * 2, [MODERATE])
    assert S.Exp not in found and S.Log not in found
    np.testing.assert_allclose(optimized_value([x], T.log(T.exp(x)), [np.array([1000.0])]),
                               [1000.0])


# ----------------------------------------------------------------------- log1p / expm1
def test_log1p():
    found, _ = structure([x], T.log(1 + x), [np.abs(MODERATE)])
    assert found == [S.Log1p]
    np.testing.assert_array_equal(optimized_value([x], T.log(1 + x), [np.array([1e-20])]),
                                  [1e-20])


def test_log_of_one_minus():
    found, _ = structure([x], T.log(1 - x), [-np.abs(MODERATE)])
    assert S.Log1p in found and S.Log not in found
    np.testing.assert_array_equal(optimized_value([x], T.log(1 - x), [np.array([1e-20])]),
                                  [-1e-20])


def test_expm1():
    found, _ = structure([x], T.exp(x) - 1, [MODERATE])
    assert found == [S.Expm1]
    np.testing.assert_array_equal(optimized_value([x], T.exp(x) - 1, [np.array([1e-20])]),
                                  [1e-20])


def test_float32_log1p_keeps_dtype():
    f = T.fvector("f")
    before, after = rewritten([f], T.log(1 + f))
    assert after.outputs[0].type == before.outputs[0].type
    assert optimized_value([f], T.log(1 + f), [np.array([1e-10], "float32")]).dtype == "float32"


# ----------------------------------------------------------------------- softmax family
def test_log_softmax():
    out = T.log(T.nnet.softmax(m))
    _, ops = structure([m], out, [RNG.normal(size=(3, 4))])
    assert LogSoftmax in ops and Softmax not in ops
    value = optimized_value([m], out, [np.array([[1000.0, 0.0], [0.0, -1000.0]])])
    assert np.all(np.isfinite(value))
    np.testing.assert_allclose(value, [[0.0, -1000.0], [0.0, -1000.0]])


def test_negative_log_likelihood_of_softmax():
    """The MLP tutorial's ``-T.log(p_y_given_x)[T.arange(y.shape[0]), y]`` and the
    indexed-then-log form."""
    big = np.array([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 0.0]])
    chosen = np.array([2, 0])
    p = T.nnet.softmax(m)
    for out in (-T.log(p[T.arange(labels.shape[0]), labels]),
                -T.log(p)[T.arange(labels.shape[0]), labels],
                T.nnet.categorical_crossentropy(p, labels)):
        _, ops = structure([m, labels], out, [RNG.normal(size=(2, 3)), np.array([1, 2])])
        assert LogSoftmax in ops and Softmax not in ops
        np.testing.assert_allclose(optimized_value([m, labels], out, [big, chosen]),
                                   [2000.0, 2000.0])


def test_negative_log_likelihood_gradient_is_finite():
    p = T.nnet.softmax(m)
    cost = -T.mean(T.log(p)[T.arange(labels.shape[0]), labels])
    g = T.grad(cost, m)
    big = np.array([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 0.0]])
    value = optimized_value([m, labels], g, [big, np.array([2, 0])])
    assert np.all(np.isfinite(value))
    expected = np.array([[1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]) / 2
    np.testing.assert_allclose(value, expected, atol=1e-12)
    _, after = rewritten([m, labels], g)
    assert LogSoftmax not in op_types(after)  # its shape is known without computing it


def test_softmax_written_out_is_recognised():
    out = T.exp(m) / T.sum(T.exp(m), axis=1, keepdims=True)
    _, ops = structure([m], out, [RNG.normal(size=(3, 4))])
    assert Softmax in ops
    value = optimized_value([m], T.log(out), [np.array([[1000.0, 1000.0]])])
    np.testing.assert_allclose(value, [[-np.log(2), -np.log(2)]])


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_logsumexp(axis):
    out = T.log(T.sum(T.exp(m), axis=axis))
    _, ops = structure([m], out, [RNG.normal(size=(2, 3))])
    assert reduce.Max in ops
    data = np.array([[1000.0, 1000.0, -np.inf], [-np.inf, -np.inf, -np.inf]])
    value = optimized_value([m], out, [data])
    with np.errstate(all="ignore"):
        peak = np.max(data, axis=axis, keepdims=True)
        peak = np.where(np.isinf(peak), 0, peak)
        expected = np.log(np.sum(np.exp(data - peak), axis=axis)) + np.squeeze(peak, axis=axis)
    np.testing.assert_allclose(value, expected)
    if axis is None:
        np.testing.assert_allclose(value, 1000.0 + np.log(2))
    if axis == 1:
        np.testing.assert_allclose(value, [1000.0 + np.log(2), -np.inf])


def test_logsumexp_of_vector():
    out = T.log(T.sum(T.exp(x)))
    np.testing.assert_allclose(optimized_value([x], out, [np.array([1000.0, 1000.0])]),
                               1000.0 + np.log(2))


def test_log_sigmoid_gradient_is_finite():
    g = T.grad(T.sum(T.log(T.nnet.sigmoid(x))), x)
    value = optimized_value([x], g, [np.array([-1000.0, 0.0, 1000.0])])
    np.testing.assert_allclose(value, [1.0, 0.5, 0.0])


def test_softmax_next_to_logsoftmax_is_computed_from_it():
    import arignote
    from arignote.compiler.ops.nnet import Softmax
    x = T.dmatrix("x")
    y = T.ivector("y")
    p = T.nnet.softmax(x)
    loss = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    g = T.grad(loss, x)
    f = arignote.function([x, y], [loss, g])
    assert not [n for n in f.maker.fgraph.apply_nodes if type(n.op) is Softmax]
    value = np.random.default_rng(0).standard_normal((4, 3))
    labels = np.array([0, 2, 1, 2], dtype="int32")
    reference = arignote.function([x, y], [loss, g], mode="FAST_COMPILE")
    for got, want in zip(f(value, labels), reference(value, labels)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
