"""T.nnet: softmax, log-softmax and cross-entropies against numpy; gradients."""

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.ops.nnet import LogSoftmax, Softmax
from arignote.gradient import verify_grad

rng = np.random.default_rng(2)


def f(inputs, outputs):
    return arignote.function(inputs, outputs)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_namespace():
    for name in ["sigmoid", "softplus", "relu", "elu", "selu", "ultra_fast_sigmoid",
                 "hard_sigmoid", "softsign", "softmax", "logsoftmax", "softmax_with_bias",
                 "categorical_crossentropy", "binary_crossentropy", "sigmoid_binary_crossentropy",
                 "crossentropy_softmax_1hot", "crossentropy_categorical_1hot", "softmax_graph"]:
        assert callable(getattr(T.nnet, name)), name
    assert isinstance(T.nnet.softmax_op, Softmax)


def test_softmax_matrix_and_stability():
    x = T.dmatrix("x")
    sm = T.nnet.softmax(x)
    assert isinstance(sm.owner.op, Softmax)
    a = rng.standard_normal((3, 4))
    np.testing.assert_allclose(f([x], sm)(a), _softmax(a))
    big = np.array([[1000.0, 0.0, -1000.0], [-800.0, -800.0, -800.0]])
    result = f([x], sm)(big)
    assert np.all(np.isfinite(result))
    np.testing.assert_allclose(result, [[1, 0, 0], [1 / 3] * 3])
    assert f([x], sm)(np.zeros((2, 0))).shape == (2, 0)


def test_softmax_vector_gives_a_row_as_in_theano():
    v = T.dvector("v")
    sm = T.nnet.softmax(v)
    assert sm.broadcastable == (True, False)
    a = rng.standard_normal(5)
    np.testing.assert_allclose(f([v], sm)(a), _softmax(a)[None])
    # the W6 benchmark's pattern
    V, s = T.dmatrix("V"), T.dvector("s")
    o = T.nnet.softmax(T.dot(V, s).dimshuffle("x", 0))[0]
    assert o.ndim == 1
    m, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
    np.testing.assert_allclose(f([V, s], o)(m, b), _softmax(m @ b))


def test_softmax_float32_keeps_dtype():
    x = T.fmatrix("x")
    out = f([x], T.nnet.softmax(x))(rng.standard_normal((2, 3)).astype("float32"))
    assert out.dtype == np.float32
    with pytest.raises(TypeError):
        T.nnet.softmax(T.imatrix())
    with pytest.raises(TypeError):
        T.nnet.softmax(T.dtensor3())


@pytest.mark.parametrize("fn", [T.nnet.softmax, T.nnet.logsoftmax, T.nnet.softmax_graph])
def test_softmax_gradients(fn):
    verify_grad(fn, [rng.standard_normal((3, 4))], rng=np.random.default_rng(0))
    verify_grad(fn, [rng.standard_normal(4)], rng=np.random.default_rng(1))


def test_softmax_second_derivative():
    x = T.dvector("x")
    sm = T.nnet.softmax(x)[0]
    g = T.grad(sm[0], x)
    h = T.grad(g[0], x)
    a = np.array([0.3, -0.2, 0.5])
    p = _softmax(a)
    # d2 p0 / dx0 dxj = p0 (delta0j - pj)(1 - 2 p0) - p0 (delta0j p0 ... ): check numerically
    eps = 1e-6
    numeric = []
    gfn = f([x], g)
    for j in range(3):
        step = np.zeros(3)
        step[j] = eps
        numeric.append((gfn(a + step)[0] - gfn(a - step)[0]) / (2 * eps))
    np.testing.assert_allclose(f([x], h)(a), numeric, rtol=1e-6)
    assert p.sum() == pytest.approx(1)


def test_logsoftmax_is_stable():
    x = T.dmatrix("x")
    ls = T.nnet.logsoftmax(x)
    assert isinstance(ls.owner.op, LogSoftmax)
    big = np.array([[1000.0, 0.0], [0.0, -2000.0]])
    np.testing.assert_allclose(f([x], ls)(big), [[0, -1000], [0, -2000]])
    g = f([x], T.grad(T.sum(ls[:, 1]), x))(big)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, [[-1, 1], [-1, 1]], atol=1e-12)


def test_softmax_with_bias():
    x, b = T.dmatrix("x"), T.dvector("b")
    a, c = rng.standard_normal((3, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(f([x, b], T.nnet.softmax_with_bias(x, b))(a, c), _softmax(a + c))
    verify_grad(T.nnet.softmax_with_bias, [a, c])
    with pytest.raises(TypeError):
        T.nnet.softmax_with_bias(x, x)


def test_categorical_crossentropy_labels_and_dense():
    p, y = T.dmatrix("p"), T.ivector("y")
    probs = _softmax(rng.standard_normal((4, 3)))
    labels = np.array([0, 2, 1, 2], dtype="int32")
    np.testing.assert_allclose(f([p, y], T.nnet.categorical_crossentropy(p, y))(probs, labels),
                               -np.log(probs[np.arange(4), labels]))
    t = T.dmatrix("t")
    onehot = np.eye(3)[labels]
    np.testing.assert_allclose(f([p, t], T.nnet.categorical_crossentropy(p, t))(probs, onehot),
                               -np.log(probs[np.arange(4), labels]))
    verify_grad(lambda q: T.nnet.categorical_crossentropy(q, labels), [probs])
    verify_grad(lambda q, r: T.nnet.categorical_crossentropy(q, r), [probs, onehot])
    v, i = T.dvector("v"), T.iscalar("i")
    assert float(f([v, i], T.nnet.categorical_crossentropy(v, i))(probs[0], 1)) == \
        pytest.approx(-np.log(probs[0, 1]))
    with pytest.raises(TypeError, match="rank mismatch"):
        T.nnet.categorical_crossentropy(p, T.dtensor3())
    with pytest.raises(IndexError):
        f([p, y], T.nnet.categorical_crossentropy(p, y))(probs, labels[:3])


def test_softmax_regression_training_step():
    # W4's graph: p = softmax(xW + b), loss = -mean(log p[arange(n), y]).
    x, y = T.dmatrix("x"), T.ivector("y")
    W, b = T.dmatrix("W"), T.dvector("b")
    p = T.nnet.softmax(T.dot(x, W) + b)
    loss = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    gW, gb = T.grad(loss, [W, b])
    xs, ws, bs = rng.standard_normal((6, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    ys = np.array([0, 1, 2, 2, 1, 0], dtype="int32")
    probs = _softmax(xs @ ws + bs)
    delta = probs.copy()
    delta[np.arange(6), ys] -= 1
    got_loss, got_gw, got_gb = f([x, y, W, b], [loss, gW, gb])(xs, ys, ws, bs)
    np.testing.assert_allclose(got_loss, -np.log(probs[np.arange(6), ys]).mean())
    np.testing.assert_allclose(got_gw, xs.T @ delta / 6)
    np.testing.assert_allclose(got_gb, delta.sum(axis=0) / 6)


def test_binary_crossentropies():
    o, t = T.dmatrices("o", "t")
    out, target = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))
    expected = -(target * np.log(out) + (1 - target) * np.log(1 - out))
    np.testing.assert_allclose(f([o, t], T.nnet.binary_crossentropy(o, t))(out, target), expected)
    logits = np.log(out / (1 - out))
    np.testing.assert_allclose(
        f([o, t], T.nnet.sigmoid_binary_crossentropy(o, t))(logits, target), expected)
    big = f([o, t], T.nnet.sigmoid_binary_crossentropy(o, t))(
        np.array([[800.0, -800.0]]), np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(big, [[800, 800]])
    verify_grad(T.nnet.binary_crossentropy, [out, target])
    verify_grad(T.nnet.sigmoid_binary_crossentropy, [logits, target])


def test_crossentropy_softmax_1hot_family():
    x, b, y = T.dmatrix("x"), T.dvector("b"), T.lvector("y")
    a, c = rng.standard_normal((3, 4)), rng.standard_normal(4)
    labels = np.array([3, 0, 3])
    nll, sm = T.nnet.crossentropy_softmax_1hot(x, y)
    got = f([x, y], [nll, sm])(a, labels)
    np.testing.assert_allclose(got[0], -np.log(_softmax(a)[np.arange(3), labels]))
    np.testing.assert_allclose(got[1], _softmax(a))
    nll, sm, am = T.nnet.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    got = f([x, b, y], [nll, sm, am])(a, c, labels)
    np.testing.assert_allclose(got[0], -np.log(_softmax(a + c)[np.arange(3), labels]))
    np.testing.assert_array_equal(got[2], np.argmax(a + c, axis=1))
    nll, sm = T.nnet.crossentropy_softmax_1hot_with_bias(x, b, y)
    verify_grad(lambda p, q: T.nnet.crossentropy_softmax_1hot_with_bias(p, q, labels)[0], [a, c])
    with pytest.raises(TypeError):
        T.nnet.crossentropy_softmax_1hot(x, T.dvector())
