"""Update rules for training, as Lasagne's ``lasagne.updates`` writes them.

Each rule takes ``(loss_or_grads, params, learning_rate, ...)`` and returns an ``OrderedDict``
mapping every shared variable to its update graph, ready for ``function(..., updates=...)``.
``loss_or_grads`` is a scalar loss (its gradients are taken with ``arignote.grad``) or a list of
gradient graphs, one per parameter, so clipped or otherwise edited gradients work too.  State
(velocities, accumulators, Adam's moments and step count) lives in new shared variables, zeros
of each parameter's shape and dtype, updated in the same dictionary.  Defaults and formulas are
Lasagne's, so a Lasagne training script gives the same numbers.

>>> import numpy as np
>>> import arignote, arignote.tensor as T
>>> w = arignote.shared(np.array([1.0, -2.0]), name="w")
>>> loss = T.sum(w ** 2)
>>> step = arignote.function([], loss, updates=sgd(loss, [w], learning_rate=0.25))
>>> float(step()), w.get_value()
(5.0, array([ 0.5, -1. ]))
"""

from collections import OrderedDict

import numpy as np

from . import tensor as T
from .compiler.grad import grad
from .configparser import config
from .runtime.shared import SharedVariable, shared

__all__ = ["sgd", "apply_momentum", "momentum", "apply_nesterov_momentum",
           "nesterov_momentum", "adagrad", "rmsprop", "adam", "get_or_compute_grads"]


def get_or_compute_grads(loss_or_grads, params):
    """The gradients of ``loss_or_grads`` with respect to ``params``.

    Parameters
    ----------
    loss_or_grads : scalar graph or list of graphs
        A scalar loss, or a list of gradient graphs (returned unchanged).
    params : list of SharedVariable
        The variables to differentiate with respect to (and later update).

    Returns
    -------
    list of graphs

    Raises
    ------
    ValueError
        When a parameter is not a shared variable (it could not be updated), or the list of
        gradients does not have one entry per parameter.

    Examples
    --------
    >>> import arignote, arignote.tensor as T
    >>> w = arignote.shared(3.0, name="w")
    >>> [g.eval() for g in get_or_compute_grads(w ** 2, [w])]
    [array(6.)]
    """
    params = list(params)
    for position, param in enumerate(params):
        if not isinstance(param, SharedVariable):
            raise ValueError(
                f"params[{position}] is {param!r}, not a shared variable: an update rule can "
                "only update shared variables (arignote.shared(...))")
    if isinstance(loss_or_grads, (list, tuple)):
        if len(loss_or_grads) != len(params):
            raise ValueError(f"got {len(loss_or_grads)} gradient expressions for "
                             f"{len(params)} parameters")
        return list(loss_or_grads)
    return grad(loss_or_grads, params)


def _zeros_like(param):
    """A new shared variable of zeros with ``param``'s shape, dtype and broadcast pattern."""
    value = param.get_value(borrow=True)
    return shared(np.zeros(value.shape, dtype=value.dtype),
                  broadcastable=param.broadcastable)


def sgd(loss_or_grads, params, learning_rate):
    """Stochastic gradient descent: ``param := param - learning_rate * gradient``.

    Parameters
    ----------
    loss_or_grads : scalar graph or list of graphs
        The loss, or one gradient per parameter.
    params : list of SharedVariable
        The variables to update.
    learning_rate : float or symbolic scalar
        The step size (a shared scalar lets it change without recompiling).

    Returns
    -------
    OrderedDict
        Each parameter mapped to its update graph.

    Examples
    --------
    >>> import numpy as np, arignote
    >>> w = arignote.shared(np.array([2.0]))
    >>> updates = sgd([arignote.tensor.constant([1.0])], [w], learning_rate=0.5)
    >>> updates[w].eval()
    array([1.5])
    """
    grads = get_or_compute_grads(loss_or_grads, params)
    updates = OrderedDict()
    for param, gradient in zip(params, grads):
        updates[param] = param - learning_rate * gradient
    return updates


def apply_momentum(updates, params=None, momentum=0.9):
    """Add classical momentum to existing updates.

    ``velocity := momentum * velocity + updates[param] - param`` and
    ``param := param + velocity``, with a zero-initialised shared velocity per parameter.

    Parameters
    ----------
    updates : OrderedDict
        Parameters mapped to update graphs (from ``sgd`` or another rule).
    params : iterable of SharedVariable, optional
        The parameters to apply momentum to (default: every key of ``updates``).
    momentum : float or symbolic scalar
        The fraction of the last step kept (0.9).

    Returns
    -------
    OrderedDict
        A copy of ``updates`` with the momentum updates added.

    Examples
    --------
    >>> import numpy as np, arignote
    >>> w = arignote.shared(np.array([1.0]))
    >>> updates = apply_momentum(sgd([arignote.tensor.constant([1.0])], [w], 0.1))
    >>> len(updates)
    2
    """
    if params is None:
        params = list(updates.keys())
    updates = OrderedDict(updates)
    for param in params:
        velocity = _zeros_like(param)
        stepped = momentum * velocity + updates[param]
        updates[velocity] = stepped - param
        updates[param] = stepped
    return updates


def momentum(loss_or_grads, params, learning_rate, momentum=0.9):
    """SGD with momentum: ``velocity := momentum * velocity - learning_rate * gradient``,
    ``param := param + velocity``.

    Parameters
    ----------
    loss_or_grads : scalar graph or list of graphs
        The loss, or one gradient per parameter.
    params : list of SharedVariable
        The variables to update.
    learning_rate : float or symbolic scalar
        The step size.
    momentum : float or symbolic scalar
        The fraction of the last step kept (0.9).

    Returns
    -------
    OrderedDict

    Examples
    --------
    >>> import numpy as np, arignote, arignote.tensor as T
    >>> w = arignote.shared(np.array([1.0]))
    >>> step = arignote.function([], [], updates=momentum(T.sum(w), [w], 0.1))
    >>> _ = step(); _ = step(); w.get_value()    # steps of 0.1, then 0.9 * 0.1 + 0.1
    array([0.71])
    """
    updates = sgd(loss_or_grads, params, learning_rate)
    return apply_momentum(updates, momentum=momentum)


def apply_nesterov_momentum(updates, params=None, momentum=0.9):
    """Add Nesterov momentum to existing updates (the pylearn2 formulation Lasagne uses).

    ``velocity := momentum * velocity + updates[param] - param`` and
    ``param := param + momentum * velocity + updates[param] - param``: the gradient is taken
    at the current parameters, not at the look-ahead point.

    Parameters
    ----------
    updates : OrderedDict
        Parameters mapped to update graphs.
    params : iterable of SharedVariable, optional
        The parameters to apply momentum to (default: every key of ``updates``).
    momentum : float or symbolic scalar
        The fraction of the last step kept (0.9).

    Returns
    -------
    OrderedDict
        A copy of ``updates`` with the momentum updates added.

    Examples
    --------
    >>> import numpy as np, arignote
    >>> w = arignote.shared(np.array([1.0]))
    >>> updates = apply_nesterov_momentum(sgd([arignote.tensor.constant([1.0])], [w], 0.1))
    >>> updates[w].eval()             # 0.9 * (-0.1) - 0.1 from 1.0
    array([0.81])
    """
    if params is None:
        params = list(updates.keys())
    updates = OrderedDict(updates)
    for param in params:
        velocity = _zeros_like(param)
        step = momentum * velocity + updates[param] - param
        updates[velocity] = step
        updates[param] = momentum * step + updates[param]
    return updates


def nesterov_momentum(loss_or_grads, params, learning_rate, momentum=0.9):
    """SGD with Nesterov momentum: ``velocity := momentum * velocity - learning_rate *
    gradient``, ``param := param + momentum * velocity - learning_rate * gradient``.

    Parameters
    ----------
    loss_or_grads : scalar graph or list of graphs
        The loss, or one gradient per parameter.
    params : list of SharedVariable
        The variables to update.
    learning_rate : float or symbolic scalar
        The step size.
    momentum : float or symbolic scalar
        The fraction of the last step kept (0.9).

    Returns
    -------
    OrderedDict

    Examples
    --------
    >>> import numpy as np, arignote, arignote.tensor as T
    >>> w = arignote.shared(np.array([1.0]))
    >>> step = arignote.function([], [], updates=nesterov_momentum(T.sum(w), [w], 0.1))
    >>> _ = step(); w.get_value()
    array([0.81])
    """
    updates = sgd(loss_or_grads, params, learning_rate)
    return apply_nesterov_momentum(updates, momentum=momentum)


def adagrad(loss_or_grads, params, learning_rate=1.0, epsilon=1e-6):
    """Adagrad: steps divided by the root of the accumulated squared gradients.

    ``accu := accu + gradient ** 2``,
    ``param := param - learning_rate * gradient / sqrt(accu + epsilon)``.

    Parameters
    ----------
    loss_or_grads : scalar graph or list of graphs
        The loss, or one gradient per parameter.
    params : list of SharedVariable
        The variables to update.
    learning_rate : float or symbolic scalar
        The step size (1.0).
    epsilon : float or symbolic scalar
        Added under the root for stability (1e-6).

    Returns
    -------
    OrderedDict

    Examples
    --------
    >>> import numpy as np, arignote, arignote.tensor as T
    >>> w = arignote.shared(np.array([1.0]))
    >>> step = arignote.function([], [], updates=adagrad(T.sum(3 * w), [w], 0.5, epsilon=0))
    >>> _ = step(); w.get_value()       # 1 - 0.5 * 3 / 3
    array([0.5])
    """
    grads = get_or_compute_grads(loss_or_grads, params)
    updates = OrderedDict()
    for param, gradient in zip(params, grads):
        accu = _zeros_like(param)
        accu_new = accu + gradient ** 2
        updates[accu] = accu_new
        updates[param] = param - (learning_rate * gradient / T.sqrt(accu_new + epsilon))
    return updates


def rmsprop(loss_or_grads, params, learning_rate=1.0, rho=0.9, epsilon=1e-6):
    """RMSProp: steps divided by a moving root-mean-square of the gradients.

    ``accu := rho * accu + (1 - rho) * gradient ** 2``,
    ``param := param - learning_rate * gradient / sqrt(accu + epsilon)``.

    Parameters
    ----------
    loss_or_grads : scalar graph or list of graphs
        The loss, or one gradient per parameter.
    params : list of SharedVariable
        The variables to update.
    learning_rate : float or symbolic scalar
        The step size (1.0, Lasagne's default; 0.001 is a common choice).
    rho : float or symbolic scalar
        Decay of the moving average (0.9).
    epsilon : float or symbolic scalar
        Added under the root for stability (1e-6).

    Returns
    -------
    OrderedDict

    Examples
    --------
    >>> import numpy as np, arignote, arignote.tensor as T
    >>> w = arignote.shared(np.array([1.0]))
    >>> updates = rmsprop(T.sum(w), [w], 0.1, epsilon=0)
    >>> step = arignote.function([], [], updates=updates)
    >>> _ = step(); np.round(w.get_value(), 4)    # 1 - 0.1 / sqrt(0.1)
    array([0.6838])
    """
    grads = get_or_compute_grads(loss_or_grads, params)
    updates = OrderedDict()
    one = T.constant(1)
    for param, gradient in zip(params, grads):
        accu = _zeros_like(param)
        accu_new = rho * accu + (one - rho) * gradient ** 2
        updates[accu] = accu_new
        updates[param] = param - (learning_rate * gradient / T.sqrt(accu_new + epsilon))
    return updates


def adam(loss_or_grads, params, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """Adam (Kingma and Ba, 2014), with the bias correction folded into the step size.

    ``t := t + 1``, ``a_t = learning_rate * sqrt(1 - beta2 ** t) / (1 - beta1 ** t)``,
    ``m := beta1 * m + (1 - beta1) * gradient``, ``v := beta2 * v + (1 - beta2) * gradient **
    2``, ``param := param - a_t * m / (sqrt(v) + epsilon)``.  The step count ``t`` is a shared
    scalar of ``config.floatX``.

    Parameters
    ----------
    loss_or_grads : scalar graph or list of graphs
        The loss, or one gradient per parameter.
    params : list of SharedVariable
        The variables to update.
    learning_rate : float or symbolic scalar
        The step size (0.001).
    beta1, beta2 : float or symbolic scalar
        Decay of the first and second moment estimates (0.9, 0.999).
    epsilon : float or symbolic scalar
        Added to the root for stability (1e-8).

    Returns
    -------
    OrderedDict

    Examples
    --------
    >>> import numpy as np, arignote, arignote.tensor as T
    >>> w = arignote.shared(np.array([1.0]))
    >>> step = arignote.function([], [], updates=adam(T.sum(5 * w), [w], learning_rate=0.1))
    >>> _ = step(); np.round(w.get_value(), 6)    # the first step is learning_rate
    array([0.9])
    """
    grads = get_or_compute_grads(loss_or_grads, params)
    t_prev = shared(np.asarray(0.0, dtype=config.floatX))
    updates = OrderedDict()
    one = T.constant(1)
    t = t_prev + 1
    a_t = learning_rate * T.sqrt(one - beta2 ** t) / (one - beta1 ** t)
    for param, g_t in zip(params, grads):
        m_prev = _zeros_like(param)
        v_prev = _zeros_like(param)
        m_t = beta1 * m_prev + (one - beta1) * g_t
        v_t = beta2 * v_prev + (one - beta2) * g_t ** 2
        step = a_t * m_t / (T.sqrt(v_t) + epsilon)
        updates[m_prev] = m_t
        updates[v_prev] = v_t
        updates[param] = param - step
    updates[t_prev] = t
    return updates
