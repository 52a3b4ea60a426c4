"""Theano's ``gradient`` module: grad, verify_grad (more to come)."""

import numpy as np

from .compiler.grad import grad  # noqa: F401


class GradientError(AssertionError):
    """``verify_grad`` found an analytic gradient that disagrees with finite differences."""


def verify_grad(fun, pt, n_tests=2, rng=None, eps=None, out_type=None, abs_tol=None,
                rel_tol=None, mode=None, cast_to_output_type=False, no_debug_ref=True):
    """Check the symbolic gradient of ``fun`` at the point ``pt`` against finite differences.

    ``fun`` takes symbolic variables (one per array in ``pt``) and returns a tensor; the
    check uses a random projection of the output to a scalar, as Theano does.
    """
    from . import tensor as T
    from .runtime.function import function
    rng = rng if rng is not None else np.random.default_rng(42)
    if isinstance(rng, np.random.RandomState):
        rng = np.random.default_rng(rng.randint(2 ** 31))
    pt = [np.array(p) for p in pt]
    dtype = np.result_type(*[p.dtype for p in pt])
    eps = eps or (1e-7 if dtype == np.float64 else 1e-3)
    abs_tol = abs_tol if abs_tol is not None else (1e-4 if dtype == np.float64 else 1e-2)
    rel_tol = rel_tol if rel_tol is not None else (1e-4 if dtype == np.float64 else 1e-2)
    inputs = [T.TensorType(p.dtype, (False,) * p.ndim)(f"input{i}") for i, p in enumerate(pt)]
    output = T.as_tensor_variable(fun(*inputs))
    for _ in range(n_tests):
        projection = rng.random(tuple(_shape_of(function(inputs, output)(*pt)))) + 0.5
        proj = T.constant(projection.astype(output.dtype))
        cost = (output * proj).sum()
        cost_fn = function(inputs, cost)
        grad_fn = function(inputs, grad(cost, inputs, disconnected_inputs="ignore"))
        analytic = grad_fn(*pt)
        for index, point in enumerate(pt):
            numeric = np.zeros_like(point, dtype=np.float64)
            flat = point.reshape(-1)
            for k in range(flat.size):
                original = flat[k]
                flat[k] = original + eps
                plus = float(cost_fn(*pt))
                flat[k] = original - eps
                minus = float(cost_fn(*pt))
                flat[k] = original
                numeric.reshape(-1)[k] = (plus - minus) / (2 * eps)
            error = np.abs(np.asarray(analytic[index], dtype=np.float64) - numeric)
            allowed = abs_tol + rel_tol * np.abs(numeric)
            if np.any(error > allowed):
                worst = int(np.argmax(error - allowed))
                raise GradientError(
                    f"gradient w.r.t. input {index} disagrees with finite differences at "
                    f"element {np.unravel_index(worst, point.shape) if point.ndim else ()}: "
                    f"analytic {np.asarray(analytic[index]).reshape(-1)[worst]!r}, "
                    f"numeric {numeric.reshape(-1)[worst]!r}")


def _shape_of(value):
    return np.shape(value)
