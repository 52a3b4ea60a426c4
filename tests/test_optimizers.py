"""arignote.optimizers: each rule's first two steps against a numpy transcription of Lasagne's
formulas, gradients given as a loss or as a list, state variables, dtypes and errors."""

from collections import OrderedDict

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote import optimizers

A = [np.array([[0.5, -1.0, 2.0], [0.1, 0.0, -0.3]]), np.array([1.0, -2.0])]
W0 = [np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]]), np.array([-1.5, 0.25])]


def loss_of(params):
    """sum(w**3 / 3 + a * w): the gradient w**2 + a differs per element and per step."""
    return sum(T.sum(p ** 3 / 3 + a * p) for p, a in zip(params, A))


def numpy_grads(ws):
    return [w ** 2 + a for w, a in zip(ws, A)]


def reference(name, steps, **kw):
    """Lasagne's formulas, step by step, in numpy."""
    ws = [w.copy() for w in W0]
    state = [np.zeros_like(w) for w in ws]
    state2 = [np.zeros_like(w) for w in ws]
    trajectory = []
    for t in range(1, steps + 1):
        grads = numpy_grads(ws)
        for i, g in enumerate(grads):
            lr = kw.get("learning_rate")
            if name == "sgd":
                ws[i] = ws[i] - lr * g
            elif name == "momentum":
                m = kw.get("momentum", 0.9)
                stepped = m * state[i] + (ws[i] - lr * g)
                state[i] = stepped - ws[i]
                ws[i] = stepped
            elif name == "nesterov_momentum":
                m = kw.get("momentum", 0.9)
                sgd_update = ws[i] - lr * g
                x = m * state[i] + sgd_update - ws[i]
                state[i] = x
                ws[i] = m * x + sgd_update
            elif name == "adagrad":
                lr, eps = kw.get("learning_rate", 1.0), kw.get("epsilon", 1e-6)
                state[i] = state[i] + g ** 2
                ws[i] = ws[i] - lr * g / np.sqrt(state[i] + eps)
            elif name == "rmsprop":
                lr, rho = kw.get("learning_rate", 1.0), kw.get("rho", 0.9)
                eps = kw.get("epsilon", 1e-6)
                state[i] = rho * state[i] + (1 - rho) * g ** 2
                ws[i] = ws[i] - lr * g / np.sqrt(state[i] + eps)
            elif name == "adam":
                lr = kw.get("learning_rate", 0.001)
                b1, b2 = kw.get("beta1", 0.9), kw.get("beta2", 0.999)
                eps = kw.get("epsilon", 1e-8)
                a_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                state[i] = b1 * state[i] + (1 - b1) * g
                state2[i] = b2 * state2[i] + (1 - b2) * g ** 2
                ws[i] = ws[i] - a_t * state[i] / (np.sqrt(state2[i]) + eps)
        trajectory.append([w.copy() for w in ws])
    return trajectory


CASES = [
    ("sgd", {"learning_rate": 0.1}),
    ("momentum", {"learning_rate": 0.1}),
    ("momentum", {"learning_rate": 0.05, "momentum": 0.5}),
    ("nesterov_momentum", {"learning_rate": 0.1}),
    ("nesterov_momentum", {"learning_rate": 0.05, "momentum": 0.7}),
    ("adagrad", {}),
    ("adagrad", {"learning_rate": 0.3, "epsilon": 1e-3}),
    ("rmsprop", {}),
    ("rmsprop", {"learning_rate": 0.01, "rho": 0.5, "epsilon": 1e-4}),
    ("adam", {}),
    ("adam", {"learning_rate": 0.1, "beta1": 0.5, "beta2": 0.9, "epsilon": 1e-4}),
]


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
@pytest.mark.parametrize("as_grads", [False, True], ids=["loss", "grads"])
def test_two_steps_match_lasagne(name, kw, as_grads):
    params = [arignote.shared(w.copy(), name=f"w{i}") for i, w in enumerate(W0)]
    loss = loss_of(params)
    given = T.grad(loss, params) if as_grads else loss
    updates = getattr(optimizers, name)(given, params, **kw)
    assert isinstance(updates, OrderedDict)
    assert all(p in updates for p in params)
    step = arignote.function([], loss, updates=updates)
    expected = reference(name, 2, **kw)
    for t in range(2):
        step()
        for param, want in zip(params, expected[t]):
            np.testing.assert_allclose(param.get_value(), want, rtol=1e-10, atol=1e-12,
                                       err_msg=f"{name} step {t + 1}")


@pytest.mark.parametrize("name,count", [("sgd", 2), ("momentum", 4), ("nesterov_momentum", 4),
                                        ("adagrad", 4), ("rmsprop", 4), ("adam", 7)])
def test_state_variables_and_float32(name, count, monkeypatch):
    monkeypatch.setattr(arignote.config, "floatX", "float32")
    params = [arignote.shared(w.astype("float32")) for w in W0]
    updates = getattr(optimizers, name)(loss_of(params), params, learning_rate=0.01)
    assert len(updates) == count          # each parameter, its state, Adam's step count
    assert all(u.dtype == "float32" for u in updates.values()), \
        {str(k): u.dtype for k, u in updates.items()}
    step = arignote.function([], [], updates=updates)
    step()
    assert all(p.get_value().dtype == np.float32 for p in params)
    assert not np.allclose(params[0].get_value(), W0[0])


def test_shared_learning_rate_changes_without_recompiling():
    w = arignote.shared(np.array([1.0, 2.0]))
    rate = arignote.shared(0.5)
    step = arignote.function([], [], updates=optimizers.sgd(T.sum(w ** 2) / 2, [w], rate))
    step()
    np.testing.assert_allclose(w.get_value(), [0.5, 1.0])
    rate.set_value(0.0)
    step()
    np.testing.assert_allclose(w.get_value(), [0.5, 1.0])


def test_apply_momentum_to_another_rule():
    w = arignote.shared(np.array([1.0]))
    updates = optimizers.apply_momentum(optimizers.sgd(T.sum(w), [w], 0.1), [w], momentum=0.5)
    step = arignote.function([], [], updates=updates)
    step()
    step()
    np.testing.assert_allclose(w.get_value(), [1.0 - 0.1 - 0.15])


def test_errors_name_the_problem():
    w = arignote.shared(np.ones(2))
    x = T.dvector("x")
    with pytest.raises(ValueError, match=r"params\[1\].*not a shared variable"):
        optimizers.sgd(T.sum(w * x), [w, x], 0.1)
    with pytest.raises(ValueError, match="got 2 gradient expressions for 1 parameters"):
        optimizers.adam([T.ones_like(w), T.ones_like(w)], [w])
