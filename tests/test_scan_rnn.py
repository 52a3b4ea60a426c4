"""The paper's Figure 5 recurrent network, written as Theano code, run by arignote.

``forward_prop_step`` and the ``theano.scan`` call are the figure's code verbatim but for the
imports (and ``[0]`` after the softmax of a vector, which is a 1 x n row in Theano).  The
forward pass is compared with a numpy loop, the BPTT gradients of U, V and W with finite
differences, and a few SGD steps must lower the loss.
"""

import itertools
import os
import subprocess
import sys
import textwrap

import numpy as np

import arignote as theano
import arignote.tensor as T
from arignote import gradient as G


def rnn_graph(x, y, U, V, W, hidden):
    """Figure 5: predictions o, states s and the loss sum_t -log o[t, y_t]."""

    def forward_prop_step(x_t, s_t_prev, U, V, W):
        s_t = T.tanh(U[:, x_t] + T.dot(W, s_t_prev))
        o_t = T.nnet.softmax(T.dot(V, s_t))[0]
        return [o_t, s_t]

    [o, s], updates = theano.scan(forward_prop_step, sequences=x,
                                  outputs_info=[None, dict(initial=T.zeros(hidden))],  # noqa: C408
                                  non_sequences=[U, V, W], strict=True)
    loss = -T.sum(T.log(o[T.arange(x.shape[0]), y]))
    return o, s, loss, updates


def numpy_rnn(xv, yv, U, V, W):
    """The same network as a numpy loop, in float64."""
    U, V, W = (np.asarray(a, dtype=np.float64) for a in (U, V, W))
    s = np.zeros(W.shape[0])
    os, ss = [], []
    for x_t in xv:
        s = np.tanh(U[:, x_t] + W @ s)
        z = V @ s
        e = np.exp(z - z.max())
        os.append(e / e.sum())
        ss.append(s)
    os = np.array(os)
    return os, np.array(ss), -np.log(os[np.arange(len(xv)), yv]).sum()


def parameters(rng, vocab, hidden, dtype):
    """Uniform in +-1/sqrt(n), as in the tutorial."""
    U = rng.uniform(-np.sqrt(1 / vocab), np.sqrt(1 / vocab), (hidden, vocab))
    V = rng.uniform(-np.sqrt(1 / hidden), np.sqrt(1 / hidden), (vocab, hidden))
    W = rng.uniform(-np.sqrt(1 / hidden), np.sqrt(1 / hidden), (hidden, hidden))
    return [a.astype(dtype) for a in (U, V, W)]


VOCAB, HIDDEN, LENGTH = 7, 5, 6


def small_problem(seed=0):
    rng = np.random.default_rng(seed)
    xv = rng.integers(0, VOCAB, LENGTH).astype("int32")
    yv = rng.integers(0, VOCAB, LENGTH).astype("int32")
    # larger weights than the tutorial's so that the gradients are not tiny
    return xv, yv, [3 * a for a in parameters(rng, VOCAB, HIDDEN, "float64")]


def test_forward_equals_numpy_loop():
    xv, yv, params = small_problem()
    U, V, W = (theano.shared(a, name=n) for a, n in zip(params, "UVW"))
    x, y = T.ivector("x"), T.ivector("y")
    o, s, loss, updates = rnn_graph(x, y, U, V, W, HIDDEN)
    assert not updates
    f = theano.function([x, y], [o, s, loss])
    got = f(xv, yv)
    want = numpy_rnn(xv, yv, *params)
    assert got[0].shape == (LENGTH, VOCAB) and got[1].shape == (LENGTH, HIDDEN)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_bptt_gradients_equal_finite_differences():
    xv, yv, params = small_problem(1)
    x_const, y_const = T.constant(xv), T.constant(yv)

    def loss_of(U, V, W):
        return rnn_graph(x_const, y_const, U, V, W, HIDDEN)[2]

    G.verify_grad(loss_of, params, rng=np.random.default_rng(2))
    # the same gradients through shared variables, against central differences of numpy
    U, V, W = (theano.shared(a.copy(), name=n) for a, n in zip(params, "UVW"))
    x, y = T.ivector("x"), T.ivector("y")
    loss = rnn_graph(x, y, U, V, W, HIDDEN)[2]
    grads = theano.function([x, y], T.grad(loss, [U, V, W]))(xv, yv)
    eps = 1e-6
    for k, (param, g) in enumerate(zip(params, grads)):
        numeric = np.zeros_like(param)
        for idx in np.ndindex(*param.shape):
            moved = [p.copy() for p in params]
            moved[k][idx] += eps
            plus = numpy_rnn(xv, yv, *moved)[2]
            moved[k][idx] -= 2 * eps
            minus = numpy_rnn(xv, yv, *moved)[2]
            numeric[idx] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-7)


def test_sgd_steps_reduce_loss():
    xv, yv, params = small_problem(3)
    U, V, W = (theano.shared(a, name=n) for a, n in zip(params, "UVW"))
    x, y = T.ivector("x"), T.ivector("y")
    loss = rnn_graph(x, y, U, V, W, HIDDEN)[2]
    dU, dV, dW = T.grad(loss, [U, V, W])
    learning_rate = T.scalar("learning_rate")
    sgd_step = theano.function([x, y, learning_rate], loss,
                               updates=[(U, U - learning_rate * dU),
                                        (V, V - learning_rate * dV),
                                        (W, W - learning_rate * dW)])
    losses = [float(sgd_step(xv, yv, 0.05)) for _ in range(8)]
    assert np.isclose(losses[0], numpy_rnn(xv, yv, *params)[2])
    assert all(b < a for a, b in itertools.pairwise(losses)), losses
    assert losses[-1] < 0.9 * losses[0]
    after = numpy_rnn(xv, yv, U.get_value(), V.get_value(), W.get_value())[2]
    assert after < losses[-1]


def test_tutorial_size_float32_equals_numpy(monkeypatch):
    """vocab 8000, hidden 100, 50 steps in float32 (floatX), against numpy in float64."""
    monkeypatch.setattr(theano.config, "floatX", "float32")
    vocab, hidden, length = 8000, 100, 50
    rng = np.random.default_rng(4)
    params = parameters(rng, vocab, hidden, "float32")
    xv = rng.integers(0, vocab, length).astype("int32")
    yv = rng.integers(0, vocab, length).astype("int32")
    U, V, W = (theano.shared(a, name=n) for a, n in zip(params, "UVW"))
    x, y = T.ivector("x"), T.ivector("y")
    o, s, loss, _ = rnn_graph(x, y, U, V, W, hidden)
    assert o.dtype == "float32" and s.dtype == "float32"
    got = theano.function([x, y], [o, s, loss])(xv, yv)
    want = numpy_rnn(xv, yv, *params)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-4)


FIGURE_5_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import theano
    import theano.tensor as T
    from theano.scan_module import until

    vocab, hidden = 7, 5
    data = np.load(sys.argv[1])
    U = theano.shared(data["U"], name="U")
    V = theano.shared(data["V"], name="V")
    W = theano.shared(data["W"], name="W")
    x = T.ivector("x")
    y = T.ivector("y")

    def forward_prop_step(x_t, s_t_prev, U, V, W):
        s_t = T.tanh(U[:, x_t] + W.dot(s_t_prev))
        o_t = T.nnet.softmax(V.dot(s_t))
        return [o_t[0], s_t]

    [o, s], updates = theano.scan(forward_prop_step, sequences=x,
                                  outputs_info=[None, dict(initial=T.zeros(hidden))],
                                  non_sequences=[U, V, W], strict=True)
    loss = T.sum(T.nnet.categorical_crossentropy(o, y))
    dU, dV, dW = T.grad(loss, [U, V, W])
    f = theano.function([x, y], [loss, dU, dV, dW])
    n, _ = theano.scan(lambda v: (v * 2, until(v * 2 > 10)), outputs_info=T.constant(1.0),
                       n_steps=100)
    print(repr(float(f(data["x"], data["y"])[0])), theano.function([], n)().tolist())
""")


def test_figure_5_as_a_theano_script(tmp_path):
    """The same code run by ``python -m arignote.theano``: ``import theano`` is arignote."""
    xv, yv, params = small_problem(5)
    np.savez(tmp_path / "data.npz", x=xv, y=yv, U=params[0], V=params[1], W=params[2])
    (tmp_path / "rnn.py").write_text(FIGURE_5_SCRIPT)
    root = os.path.dirname(os.path.dirname(os.path.abspath(theano.__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "arignote.theano", "rnn.py", "data.npz"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    loss, doubles = done.stdout.split(" ", 1)
    np.testing.assert_allclose(float(loss), numpy_rnn(xv, yv, *params)[2], rtol=1e-10)
    assert doubles.strip() == "[2.0, 4.0, 8.0, 16.0]"
