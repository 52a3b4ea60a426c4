"""Batch normalization (T.nnet.bn) against numpy, its gradients, running averages, errors,
and the fused C it compiles to."""

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.ops.elemwise import Elemwise
from arignote.compiler.ops.reduce import _Reduce as CAReduce
from arignote.gradient import verify_grad

bn = T.nnet.bn


def numpy_train(x, gamma, beta, axes, epsilon, factor=None, running_mean=None,
                running_var=None):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    invstd = 1 / np.sqrt(var + epsilon)
    out = (x - mean) * gamma * invstd + beta
    if running_mean is None:
        return out, mean, invstd
    m = np.prod([x.shape[a] for a in axes])
    return (out, mean, invstd, running_mean * (1 - factor) + mean * factor,
            running_var * (1 - factor) + var * m / (m - 1) * factor)


AXES = {"per-activation": (0,), "spatial": (0, 2, 3), (0, 3): (0, 3)}


@pytest.mark.parametrize("axes", list(AXES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_train_matches_numpy_with_full_rank_parameters(axes, dtype):
    rng = np.random.default_rng(0)
    x_value = (rng.standard_normal((6, 3, 4, 5)) * 2 + 1).astype(dtype)
    shape = tuple(1 if a in AXES[axes] else n for a, n in enumerate(x_value.shape))
    gamma_value, beta_value = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    mean_value = rng.standard_normal(shape).astype(dtype)
    var_value = rng.uniform(0.5, 2, shape).astype(dtype)
    x = T.TensorType(dtype, (False,) * 4)("x")
    gamma, beta = T.TensorType(dtype, (False,) * 4)("gamma"), T.TensorType(dtype, (False,) * 4)(
        "beta")
    running_mean = arignote.shared(mean_value, name="running_mean")
    running_var = arignote.shared(var_value, name="running_var")
    results = bn.batch_normalization_train(x, gamma, beta, axes=axes, epsilon=1e-3,
                                           running_average_factor=0.3,
                                           running_mean=running_mean, running_var=running_var)
    assert all(r.dtype == dtype for r in results)
    f = arignote.function([x, gamma, beta], list(results[:3]),
                          updates=[(running_mean, results[3]), (running_var, results[4])])
    got = f(x_value, gamma_value, beta_value)
    expected = numpy_train(x_value.astype("float64"), gamma_value, beta_value, AXES[axes], 1e-3,
                           0.3, mean_value, var_value)
    tolerance = 1e-4 if dtype == "float32" else 1e-10
    for value, want in zip(got + [running_mean.get_value(), running_var.get_value()], expected):
        np.testing.assert_allclose(value, want, rtol=tolerance, atol=tolerance)


def test_train_with_reduced_parameters_returns_statistics_shaped_like_them():
    rng = np.random.default_rng(1)
    x_value = rng.standard_normal((5, 3, 4, 4))
    gamma_value, beta_value = rng.standard_normal(3), rng.standard_normal(3)
    x = T.dtensor4("x")
    running_mean = arignote.shared(np.zeros(3))
    running_var = arignote.shared(np.ones(3))
    out, mean, invstd, new_mean, new_var = bn.batch_normalization_train(
        x, gamma_value, beta_value, axes="spatial", running_mean=running_mean,
        running_var=running_var)
    assert mean.ndim == invstd.ndim == new_mean.ndim == new_var.ndim == 1
    f = arignote.function([x], [out, mean, invstd],
                          updates=[(running_mean, new_mean), (running_var, new_var)])
    got = f(x_value)
    expected = numpy_train(x_value, gamma_value[:, None, None], beta_value[:, None, None],
                           (0, 2, 3), 1e-4, 0.1, np.zeros((1, 3, 1, 1)), np.ones((1, 3, 1, 1)))
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-10)
    np.testing.assert_allclose(got[1], expected[1].ravel(), rtol=1e-10)
    np.testing.assert_allclose(got[2], expected[2].ravel(), rtol=1e-10)
    np.testing.assert_allclose(running_mean.get_value(), expected[3].ravel(), rtol=1e-10)
    np.testing.assert_allclose(running_var.get_value(), expected[4].ravel(), rtol=1e-10)
    # A second step moves the averages again, from the new values.
    f(x_value)
    np.testing.assert_allclose(running_mean.get_value(),
                               expected[3].ravel() * 0.9 + 0.1 * expected[1].ravel(),
                               rtol=1e-10)


@pytest.mark.parametrize("axes", ["per-activation", "spatial"])
def test_test_mode_matches_numpy(axes):
    rng = np.random.default_rng(2)
    x_value = rng.standard_normal((4, 3, 2, 2))
    reduced = 3 if axes == "spatial" else (3, 2, 2)
    gamma, beta, mean = (rng.standard_normal(reduced) for _ in range(3))
    var = rng.uniform(0.5, 2, reduced)
    x = T.dtensor4("x")
    y = bn.batch_normalization_test(x, gamma, beta, mean, var, axes=axes, epsilon=1e-3)
    expand = (lambda v: v[:, None, None]) if axes == "spatial" else (lambda v: v)
    expected = (x_value - expand(mean)) * expand(gamma) / np.sqrt(expand(var) + 1e-3) + expand(
        beta)
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        np.testing.assert_allclose(arignote.function([x], y, mode=mode)(x_value), expected,
                                   rtol=1e-12)


@pytest.mark.parametrize("mode", ["low_mem", "high_mem"])
def test_plain_formula(mode):
    rng = np.random.default_rng(3)
    x_value, gamma, beta, mean = (rng.standard_normal((3, 4)) for _ in range(4))
    std = rng.uniform(0.5, 2, (3, 4))
    x = T.dmatrix("x")
    y = bn.batch_normalization(x, gamma, beta, mean, std, mode=mode)
    np.testing.assert_allclose(arignote.function([x], y)(x_value),
                               (x_value - mean) / std * gamma + beta, rtol=1e-12)


@pytest.mark.parametrize("axes", ["per-activation", "spatial", (1, 2)])
def test_train_gradients_match_finite_differences(axes):
    rng = np.random.default_rng(4)
    x_value = rng.standard_normal((4, 3, 2, 3))
    reduced_shape = tuple(n for a, n in enumerate(x_value.shape)
                          if a not in {"per-activation": (0,), "spatial": (0, 2, 3)}.get(axes,
                                                                                         axes))
    gamma_value = rng.standard_normal(reduced_shape)
    beta_value = rng.standard_normal(reduced_shape)

    def outputs(x, gamma, beta):
        out, mean, invstd = bn.batch_normalization_train(x, gamma, beta, axes=axes)
        # The statistics are differentiable results too.
        return out.sum(axis=0) + mean.sum() * invstd.sum()

    verify_grad(outputs, [x_value, gamma_value, beta_value], rng=np.random.default_rng(0),
                mode="FAST_COMPILE")


def test_test_mode_gradients_match_finite_differences():
    rng = np.random.default_rng(5)
    point = [rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(4),
             rng.standard_normal(4), rng.uniform(0.5, 2, 4)]
    verify_grad(lambda x, g, b, m, v: bn.batch_normalization_test(x, g, b, m, v), point,
                rng=np.random.default_rng(0), mode="FAST_COMPILE")


def test_training_step_compiles_to_few_fused_loops():
    """A spatial batch-norm layer's forward and backward pass: two reductions forward, and
    every element-wise step fused (no loop per arithmetic op)."""
    x = T.ftensor4("x")
    gamma = arignote.shared(np.ones(8, "float32"))
    beta = arignote.shared(np.zeros(8, "float32"))
    out, _, _ = bn.batch_normalization_train(x, gamma, beta, axes="spatial")
    forward = arignote.function([x], out)
    nodes = forward.maker.fgraph.toposort()
    assert sum(isinstance(node.op, CAReduce) for node in nodes) == 2  # sum(x), sum((x - m)^2)
    # Loops over the whole tensor (the others run over one value per channel): x - mean with
    # its square (one loop, two outputs), then the scaled and shifted output.
    full = [node for node in nodes if isinstance(node.op, Elemwise)
            and node.outputs[0].ndim == 4 and not any(node.outputs[0].broadcastable)]
    assert len(full) == 2, [str(node.op) for node in full]
    cost = (out ** 2).sum()
    step = arignote.function([x], cost, updates=[(p, p - np.float32(0.1) * T.grad(cost, p))
                                                 for p in (gamma, beta)])
    value = np.random.default_rng(6).standard_normal((4, 8, 5, 5)).astype("float32")
    step(value)
    assert "thunks, 0)" not in step.source  # every node in C
    # d(sum(out^2))/d(beta) = 2 * sum(out) = 0 per channel (normalized), so beta stays ~0.
    np.testing.assert_allclose(beta.get_value(), 0, atol=1e-3)


@pytest.mark.parametrize("call,match", [
    (lambda x: bn.batch_normalization_train(x, np.ones(3), np.zeros(3), epsilon=1e-6),
     "epsilon must be at least 1e-5"),
    (lambda x: bn.batch_normalization_train(x, np.ones(3), np.zeros(3), axes="channels"),
     "axes must be 'per-activation'"),
    (lambda x: bn.batch_normalization_train(x, np.ones(3), np.zeros(3), axes=(0, 4)),
     "not distinct axes"),
    (lambda x: bn.batch_normalization_train(x, np.ones((3, 2)), np.zeros((3, 2)),
                                            axes="spatial"), "has 2 dimensions"),
    (lambda x: bn.batch_normalization_train(x, np.ones(3), np.zeros((1, 3, 1, 1)),
                                            axes="spatial"), "same rank"),
    (lambda x: bn.batch_normalization_train(x, np.ones(3), np.zeros(3), axes="spatial",
                                            running_mean=np.zeros(3)), "both running_mean"),
    (lambda x: bn.batch_normalization_test(x, np.ones(3), np.zeros(3), np.zeros(3),
                                           np.ones((3, 1)), axes="spatial"), "same rank"),
    (lambda x: bn.batch_normalization(x, 1, 0, 0, 1, mode="fast"), "'low_mem' or 'high_mem'"),
])
def test_bad_arguments_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(T.dtensor4("x"))


def test_integer_input_is_rejected():
    with pytest.raises(TypeError, match="float32 or float64"):
        bn.batch_normalization_train(T.imatrix("x"), np.ones(3), np.zeros(3))


def test_wrong_parameter_length_fails_at_call_and_keeps_running_averages():
    x = T.dmatrix("x")
    running_mean, running_var = arignote.shared(np.zeros(3)), arignote.shared(np.ones(3))
    out, _, _, new_mean, new_var = bn.batch_normalization_train(
        x, np.ones(3), np.zeros(3), running_mean=running_mean, running_var=running_var)
    f = arignote.function([x], out, updates=[(running_mean, new_mean), (running_var, new_var)])
    with pytest.raises(ValueError, match="test_bn.py"):
        f(np.ones((4, 5)))
    np.testing.assert_array_equal(running_mean.get_value(), np.zeros(3))
    np.testing.assert_array_equal(running_var.get_value(), np.ones(3))
