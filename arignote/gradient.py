"""Theano's ``gradient`` module: grad, Lop, Rop, jacobian, hessian, gradient-changing identities
(zero_grad, disconnected_grad, grad_clip, grad_scale), and verify_grad.

``jacobian`` and ``hessian`` loop over the rows of a vector of symbolic length with a ``Map``
op (``compiler/ops/map.py``): row i is ``grad(y[i], x)``, computed by an inner graph that the
op evaluates once per row; what does not depend on i is computed once, outside the loop.
``Rop`` is the transpose of ``Lop``: since ``Lop(f, x, u)`` is linear in ``u``,
``Rop(f, x, v) = grad(Lop(f, x, u) . v, u)``, which no longer depends on ``u``'s value.
"""

import warnings

import numpy as np

from .compiler.grad import (  # noqa: F401
    DisconnectedInputError, DisconnectedType, NullGradError, NullType, NullTypeGradError,
    disconnected_type, grad, null_type, true_ancestors)
from .compiler.graph import Variable, ancestors, clone_replace
from .compiler.ops.gradops import (  # noqa: F401
    ConsiderConstant, DisconnectedGrad, GradClip, GradScale, UndefinedGrad, ZeroGrad,
    consider_constant, disconnected_grad, grad_clip, grad_scale, undefined_grad, zero_grad)
from .compiler.ops.map import map_over_index
from .compiler.types import TensorType
from .compiler.variable import as_tensor_variable

__all__ = ["grad", "Lop", "Rop", "jacobian", "hessian", "zero_grad", "disconnected_grad",
           "consider_constant", "grad_clip", "grad_scale", "undefined_grad", "grad_undefined",
           "grad_not_implemented", "subgraph_grad", "verify_grad", "GradientError",
           "DisconnectedInputError", "NullTypeGradError", "NullType", "DisconnectedType",
           "disconnected_type", "null_type", "format_as"]


class GradientError(AssertionError):
    """``verify_grad`` found an analytic gradient that disagrees with finite differences."""


def format_as(use_list, use_tuple, outputs):
    """``outputs`` as a list, a tuple, or (when both flags are false) a single value."""
    if use_list and use_tuple:
        raise ValueError("format_as: use_list and use_tuple cannot both be true")
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if use_list:
        return outputs
    if use_tuple:
        return tuple(outputs)
    if len(outputs) != 1:
        raise ValueError(f"format_as: expected one value, got {len(outputs)}")
    return outputs[0]


def _as_list(value):
    return [as_tensor_variable(v) for v in value] if isinstance(value, (list, tuple)) else [
        as_tensor_variable(value)]


def grad_undefined(op, x_pos, x, comment=""):
    """A ``NullType`` gradient for input ``x_pos`` of ``op``: mathematically undefined.

    For an op's ``grad`` to return; ``grad`` raises ``NullTypeGradError`` if it is needed.
    """
    return NullType(f"the gradient of input {x_pos} ({x}) of {op} is mathematically "
                    f"undefined. {comment}".strip())()


def grad_not_implemented(op, x_pos, x, comment=""):
    """A ``NullType`` gradient for input ``x_pos`` of ``op``: not implemented."""
    return NullType(f"the gradient of input {x_pos} ({x}) of {op} is not implemented. "
                    f"{comment}".strip())()


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs="raise"):
    """Vector-Jacobian product: ``sum_i eval_points[i] * d f[i] / d wrt``, for each ``wrt``.

    ``f`` and ``eval_points`` are a variable or lists of equal length (each eval point has
    the type of its ``f``); the result has the form of ``wrt``.

    >>> import numpy as np, arignote.tensor as T
    >>> x, v = T.dvectors('x', 'v')
    >>> g = Lop(x ** 2, x, v)
    >>> g.eval({x: np.array([1.0, 2.0]), v: np.array([1.0, 10.0])}).tolist()
    [2.0, 40.0]
    """
    f_list, points = _as_list(f), _as_list(eval_points)
    if len(f_list) != len(points):
        raise ValueError(f"Lop: {len(f_list)} expressions but {len(points)} eval points")
    known = {}
    for expression, point in zip(f_list, points):
        known[expression] = known[expression] + point if expression in known else point
    wrt_list = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    result = grad(None, wrt_list, consider_constant=consider_constant,
                  disconnected_inputs=disconnected_inputs, known_grads=known)
    return format_as(isinstance(wrt, list), isinstance(wrt, tuple), result)


def Rop(f, wrt, eval_points, disconnected_outputs="raise", return_disconnected="zero"):
    """Jacobian-vector product: ``sum_j d f / d wrt[j] * eval_points[j]``, for each ``f``.

    ``wrt`` and ``eval_points`` are a variable or lists of equal length (each eval point has
    the shape of its ``wrt``); the result has the form of ``f``.  Computed as the gradient of
    ``Lop(f, wrt, u) . eval_points`` w.r.t. a fresh ``u``, exact because Lop is linear in u.

    >>> import numpy as np, arignote.tensor as T
    >>> x, v = T.dvectors('x', 'v')
    >>> r = Rop(x ** 2, x, v)
    >>> r.eval({x: np.array([1.0, 2.0]), v: np.array([1.0, 10.0])}).tolist()
    [2.0, 40.0]
    """
    from .compiler.ops.shape import zeros_like
    f_list, wrt_list, points = _as_list(f), _as_list(wrt), _as_list(eval_points)
    if len(wrt_list) != len(points):
        raise ValueError(f"Rop: {len(wrt_list)} variables in wrt but {len(points)} eval points")
    for k, (variable, point) in enumerate(zip(wrt_list, points)):
        if variable.ndim != point.ndim:
            raise ValueError(f"Rop: wrt[{k}] has {variable.ndim} dimensions but its eval point "
                             f"has {point.ndim}")
    connected = {}
    for expression in f_list:
        reached = true_ancestors([expression])
        connected[expression] = any(v in reached for v in wrt_list)
    placeholders = {e: e.type.make_variable("u") for e in dict.fromkeys(f_list)
                    if connected[e] and e.dtype.startswith(("float", "complex"))}
    values = {}
    if placeholders:
        lops = grad(None, wrt_list, known_grads=dict(placeholders),
                    disconnected_inputs="ignore", return_disconnected="None")
        terms = [(g * p).sum() for g, p in zip(lops, points) if g is not None]
        if terms:
            total = _add_all(terms)
            us = list(placeholders.values())
            rops = grad(total, us, disconnected_inputs="ignore", return_disconnected="None")
            stand_ins = {u: zeros_like(e) for e, u in placeholders.items()}
            for (expression, u), rop in zip(placeholders.items(), rops):
                if rop is not None and u in ancestors([rop]):
                    rop = clone_replace(rop, stand_ins)
                values[expression] = rop
    result = []
    for expression in f_list:
        value = values.get(expression)
        if value is None and not connected[expression]:
            value = _disconnected_output(expression, disconnected_outputs,
                                         return_disconnected)
        elif value is None:
            value = zeros_like(expression, dtype=_float_dtype(expression))
        result.append(value)
    return format_as(isinstance(f, list), isinstance(f, tuple), result)


def _add_all(terms):
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _float_dtype(variable):
    from .configparser import config
    return variable.dtype if variable.dtype.startswith(("float", "complex")) else config.floatX


def _disconnected_output(expression, disconnected_outputs, return_disconnected):
    from .compiler.ops.shape import zeros_like
    message = (f"Rop: {expression} does not depend on any variable of wrt; pass "
               f"disconnected_outputs='ignore' to get zeros")
    if disconnected_outputs == "raise":
        raise DisconnectedInputError(message)
    if disconnected_outputs == "warn":
        warnings.warn(message, stacklevel=3)
    elif disconnected_outputs != "ignore":
        raise ValueError("disconnected_outputs must be 'raise', 'warn' or 'ignore'")
    mode = str(return_disconnected).lower()
    if mode == "none":
        return None
    if mode == "disconnected":
        return disconnected_type()
    return zeros_like(expression, dtype=_float_dtype(expression))


def jacobian(expression, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The Jacobian of the vector ``expression`` w.r.t. each ``wrt``: ``J[i] = d expr[i]/d wrt``.

    The result for a ``wrt`` of shape ``s`` has shape ``(len(expression),) + s``; the length
    may be symbolic.  For a scalar ``expression`` this is ``grad``.  The result has the form
    of ``wrt`` (a variable, a list or a tuple).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> jacobian(x ** 2, x).eval({x: np.array([1.0, 2.0])}).tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    from .compiler.ops.shape import shape_i
    expression = as_tensor_variable(expression)
    wrt_list = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    for variable in wrt_list:
        if not isinstance(variable, Variable):
            raise TypeError(f"jacobian: wrt must be symbolic variables, got {variable!r}")
    if expression.ndim == 0:
        rows = grad(expression, wrt_list, consider_constant=consider_constant,
                    disconnected_inputs=disconnected_inputs)
    elif expression.ndim == 1:
        index = TensorType("int64", ()).make_variable("i")
        row = grad(expression[index], wrt_list, consider_constant=consider_constant,
                   disconnected_inputs=disconnected_inputs)
        rows = map_over_index(index, shape_i(expression, 0), row, "stack", wrt_list)
    else:
        raise TypeError(f"jacobian: the expression must be a vector (or a scalar), got "
                        f"{expression.type}; flatten it first (expression.flatten())")
    return format_as(isinstance(wrt, list), isinstance(wrt, tuple), rows)


def hessian(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The Hessian matrix of the scalar ``cost`` w.r.t. each vector in ``wrt``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> hessian((x ** 3).sum(), x).eval({x: np.array([1.0, 2.0])}).tolist()
    [[6.0, 0.0], [0.0, 12.0]]
    """
    from .compiler.ops.shape import shape_i
    cost = as_tensor_variable(cost)
    if cost.ndim != 0:
        raise TypeError(f"hessian: the cost must be a scalar, got {cost.type}")
    wrt_list = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    result = []
    for variable in wrt_list:
        if not isinstance(variable, Variable) or variable.ndim != 1:
            raise TypeError(f"hessian: wrt must be vectors, got {variable!r}"
                            + (f" ({variable.type})" if isinstance(variable, Variable) else ""))
        gradient = grad(cost, variable, consider_constant=consider_constant,
                        disconnected_inputs=disconnected_inputs)
        index = TensorType("int64", ()).make_variable("i")
        # The gradient may not depend on every variable even though the cost does.
        row = grad(gradient[index], variable, consider_constant=consider_constant,
                   disconnected_inputs="ignore")
        result.append(map_over_index(index, shape_i(variable, 0), [row], "stack",
                                     [variable])[0])
    return format_as(isinstance(wrt, list), isinstance(wrt, tuple), result)


def subgraph_grad(wrt, end, start=None, cost=None, details=False):
    """Gradients w.r.t. ``wrt`` and ``end`` of ``cost`` and/or ``start`` (known gradients),
    back-propagating no further than the ``end`` variables (Theano's ``subgraph_grad``).

    Returns ``(wrt_grads, end_grads)``, plus the separate ``start`` and ``cost`` gradients
    w.r.t. ``wrt + end`` when ``details`` is true.
    """
    if cost is None and start is None:
        raise ValueError("subgraph_grad: give a cost or start gradients")
    if not isinstance(end, list) or not isinstance(wrt, list):
        raise TypeError("subgraph_grad: wrt and end must be lists")
    if start is not None and not isinstance(start, dict):
        raise TypeError("subgraph_grad: start must be a dict {variable: gradient}")
    params = list(dict.fromkeys(wrt + end))
    start_grads = cost_grads = None
    if start is not None:
        start_grads = grad(None, params, known_grads=start, consider_constant=end,
                           disconnected_inputs="ignore")
    if cost is not None:
        cost_grads = grad(cost, params, consider_constant=end, disconnected_inputs="ignore")
    grads = start_grads if start_grads is not None else cost_grads
    if start_grads is not None and cost_grads is not None:
        grads = [a + b for a, b in zip(start_grads, cost_grads)]
    by_param = dict(zip(params, grads))
    wrt_grads, end_grads = [by_param[v] for v in wrt], [by_param[v] for v in end]
    if details:
        return wrt_grads, end_grads, start_grads, cost_grads
    return wrt_grads, end_grads


def verify_grad(fun, pt, n_tests=2, rng=None, eps=None, out_type=None, abs_tol=None,
                rel_tol=None, mode=None, cast_to_output_type=False, no_debug_ref=True):
    """Check the symbolic gradient of ``fun`` at the point ``pt`` against finite differences.

    ``fun`` takes symbolic variables (one per array in ``pt``) and returns a tensor; the
    check uses a random projection of the output to a scalar, as Theano does, and raises
    ``GradientError`` when an element disagrees beyond ``abs_tol + rel_tol * |numeric|``.

    >>> import numpy as np, arignote.tensor as T
    >>> verify_grad(lambda x: T.exp(x) * x, [np.array([0.5, 1.5])])
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
    # The output's shape (for the projection) from the numpy reference: no compile needed.
    output_fn = function(inputs, output, on_unused_input="ignore", mode="FAST_COMPILE")
    # One compiled function gives the projected cost and its gradients: the projection is
    # an input, so it compiles once for all the tests and finite differences.
    projection_var = output.type()
    cost = (output * projection_var).sum()
    grads = grad(cost, inputs, disconnected_inputs="ignore")
    cost_and_grads = function(inputs + [projection_var], [cost] + list(grads),
                              on_unused_input="ignore", mode=mode)

    def cost_fn(*values):
        return cost_and_grads(*values)[0]

    for _ in range(n_tests):
        projection = (rng.random(np.shape(output_fn(*pt))) + 0.5).astype(output.dtype)
        analytic = cost_and_grads(*pt, projection)[1:]
        for index, point in enumerate(pt):
            numeric = np.zeros_like(point, dtype=np.float64)
            flat = point.reshape(-1)
            for k in range(flat.size):
                original = flat[k]
                flat[k] = original + eps
                plus = float(cost_fn(*pt, projection))
                flat[k] = original - eps
                minus = float(cost_fn(*pt, projection))
                flat[k] = original
                numeric.reshape(-1)[k] = (plus - minus) / (2 * eps)
            error = np.abs(np.asarray(analytic[index], dtype=np.float64) - numeric)
            allowed = abs_tol + rel_tol * np.abs(numeric)
            if np.any(error > allowed) or not np.all(np.isfinite(error)):
                worst = int(np.argmax(np.where(np.isfinite(error), error - allowed, np.inf)))
                raise GradientError(
                    f"gradient w.r.t. input {index} disagrees with finite differences at "
                    f"element {np.unravel_index(worst, point.shape) if point.ndim else ()}: "
                    f"analytic {np.asarray(analytic[index]).reshape(-1)[worst]!r}, "
                    f"numeric {numeric.reshape(-1)[worst]!r}")
