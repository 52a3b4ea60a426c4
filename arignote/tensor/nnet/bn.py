"""Theano 1.0's ``theano.tensor.nnet.bn``: batch normalization as graphs of ordinary ops.

``batch_normalization_train`` normalizes with the statistics of the minibatch and returns
them (the mean and the inverse standard deviation), plus updated running averages when it is
given the current ones; ``batch_normalization_test`` normalizes with given statistics (the
running averages); ``batch_normalization`` is the plain element-wise formula.

The functions build graphs of reductions and element-wise ops, so they compile to fused C
loops, differentiate like any other graph (second derivatives included), and need no op of
their own.  The running averages are results, not side effects: put them in the
``updates`` of the training function::

    out, mean, invstd, new_mean, new_var = batch_normalization_train(
        x, gamma, beta, running_mean=running_mean, running_var=running_var)
    train = arignote.function([x], cost, updates=[(running_mean, new_mean),
                                                  (running_var, new_var)] + sgd_updates)

>>> import numpy as np, arignote, arignote.tensor as T
>>> x = T.dmatrix('x')
>>> gamma, beta = np.ones(2), np.zeros(2)
>>> out, mean, invstd = T.nnet.bn.batch_normalization_train(x, gamma, beta)
>>> f = arignote.function([x], [out, mean])
>>> normalized, batch_mean = f(np.array([[1., 2.], [3., 6.]]))
>>> np.round(normalized, 3), batch_mean
(array([[-1., -1.],
       [ 1.,  1.]]), array([2., 4.]))
"""

import numpy as np

from ...compiler import ops as O
from ...compiler.variable import as_tensor_variable, constant

__all__ = ["batch_normalization", "batch_normalization_train", "batch_normalization_test"]


def _axes(axes, ndim, what):
    """The normalized axes (sorted ints) and the others, from 'per-activation', 'spatial' or
    a tuple of ints."""
    if axes == "per-activation":
        axes = (0,)
    elif axes == "spatial":
        axes = (0,) + tuple(range(2, ndim))
    elif isinstance(axes, (tuple, list)) and all(isinstance(a, (int, np.integer)) for a in axes):
        axes = tuple(int(a) + ndim if a < 0 else int(a) for a in axes)
        if not all(0 <= a < ndim for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(f"{what}: axes {tuple(axes)} are not distinct axes of a "
                             f"{ndim}-d input")
    else:
        raise ValueError(f"{what}: axes must be 'per-activation', 'spatial' or a tuple of "
                         f"ints, got {axes!r}")
    axes = tuple(sorted(axes))
    return axes, tuple(a for a in range(ndim) if a not in axes)


def _param(value, name, ndim, axes, kept, what, dtype):
    """A parameter broadcast against the input: either of the input's rank (length 1 on
    ``axes``) or of rank ``len(kept)`` (the normalized axes left out)."""
    value = as_tensor_variable(value)
    if value.dtype != dtype and value.dtype in ("float16", "float32", "float64"):
        value = O.cast(value, dtype)
    if value.ndim == ndim:
        return O.addbroadcast(value, *axes) if axes else value
    if value.ndim == len(kept):
        pattern = ["x"] * ndim
        for position, axis in enumerate(kept):
            pattern[axis] = position
        return O.dimshuffle(value, tuple(pattern))
    raise ValueError(f"{what}: {name} has {value.ndim} dimensions; it must have as many as "
                     f"the input ({ndim}, length 1 on the normalized axes {axes}) or as many as "
                     f"the axes not normalized ({len(kept)})")


def _prepare(what, inputs, epsilon, params):
    inputs = as_tensor_variable(inputs)
    if inputs.dtype not in ("float32", "float64"):
        raise TypeError(f"{what}: the input must be a float32 or float64 tensor, got "
                        f"{inputs.type}")
    if not epsilon >= 1e-5:
        raise ValueError(f"{what}: epsilon must be at least 1e-5 (as in Theano, for cuDNN), got "
                         f"{epsilon}")
    ranks = {name: as_tensor_variable(value).ndim for name, value in params}
    if len(set(ranks.values())) > 1:
        listed = ", ".join(f"{name} {rank}-d" for name, rank in ranks.items())
        raise ValueError(f"{what}: the parameters must all have the same rank, got {listed}")
    return inputs


def _scalar(value, dtype):
    return constant(np.asarray(value, dtype=dtype))


def batch_normalization_train(inputs, gamma, beta, axes="per-activation", epsilon=1e-4,
                              running_average_factor=0.1, running_mean=None, running_var=None):
    """Normalizes ``inputs`` with the mean and variance of the minibatch over ``axes``.

    Parameters
    ----------
    inputs : float tensor.
    gamma, beta : scale and shift, of the input's rank (length 1 on ``axes``) or of rank
        ``inputs.ndim - len(axes)`` (the normalized axes left out).
    axes : ``'per-activation'`` (axis 0), ``'spatial'`` (axis 0 and axes 2 and up: one
        statistic per channel of a ``(batch, channel, rows, cols)`` tensor) or a tuple.
    epsilon : added to the variance (at least 1e-5).
    running_average_factor : weight of the minibatch in the new running averages.
    running_mean, running_var : the current running averages (shaped like ``gamma``), or
        None. When given, the new ones are returned too: use them in ``updates``.

    Returns
    -------
    ``(out, mean, invstd)`` or ``(out, mean, invstd, new_running_mean, new_running_var)``:
    ``out = (inputs - mean) * gamma * invstd + beta``, ``invstd = 1 / sqrt(var + epsilon)``
    with the biased variance; the running variance is updated with the unbiased one
    (``var * m / (m - 1)``, ``m`` values per statistic). Statistics are shaped like ``gamma``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dtensor4('x')
    >>> out, mean, invstd = T.nnet.bn.batch_normalization_train(
    ...     x, np.ones(3), np.zeros(3), axes='spatial')
    >>> mean.eval({x: np.ones((2, 3, 4, 4))})
    array([1., 1., 1.])
    """
    what = "batch_normalization_train"
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{what}: give both running_mean and running_var, or neither")
    params = [("gamma", gamma), ("beta", beta)]
    if running_mean is not None:
        params += [("running_mean", running_mean), ("running_var", running_var)]
    inputs = _prepare(what, inputs, epsilon, params)
    ndim, dtype = inputs.ndim, inputs.dtype
    axes, kept = _axes(axes, ndim, what)
    reduced = as_tensor_variable(gamma).ndim != ndim
    gamma = _param(gamma, "gamma", ndim, axes, kept, what, dtype)
    beta = _param(beta, "beta", ndim, axes, kept, what, dtype)
    mean = O.mean(inputs, axis=axes, keepdims=True)
    centered = O.sub(inputs, mean)
    var = O.mean(O.sqr(centered), axis=axes, keepdims=True)
    invstd = O.true_div(_scalar(1, dtype), O.sqrt(O.add(var, _scalar(epsilon, dtype))))
    out = O.add(O.mul(centered, O.mul(gamma, invstd)), beta)
    results = [mean, invstd]
    if running_mean is not None:
        factor = float(running_average_factor)
        count = O.shape_i(inputs, axes[0])
        for axis in axes[1:]:
            count = O.mul(count, O.shape_i(inputs, axis))
        count = O.cast(count, dtype)
        unbiased = O.mul(var, O.true_div(count, O.sub(count, _scalar(1, dtype))))
        for name, old, batch in (("running_mean", running_mean, mean),
                                 ("running_var", running_var, unbiased)):
            old_variable = as_tensor_variable(old)
            broadcast_old = _param(old, name, ndim, axes, kept, what, dtype)
            new = O.add(O.mul(broadcast_old, _scalar(1.0 - factor, dtype)),
                        O.mul(batch, _scalar(factor, dtype)))
            if not reduced:
                new = O.patternbroadcast(new, old_variable.broadcastable)
            if old_variable.dtype != dtype:
                new = O.cast(new, old_variable.dtype)
            results.append(new)
    if reduced:
        # Statistics shaped like the parameters: the normalized (length-1) axes dropped.
        results = [O.dimshuffle(r, kept) for r in results]
    return (out, *results)


def batch_normalization_test(inputs, gamma, beta, mean, var, axes="per-activation",
                             epsilon=1e-4):
    """Normalizes ``inputs`` with given statistics (usually the running averages):
    ``(inputs - mean) * gamma / sqrt(var + epsilon) + beta``.

    ``gamma``, ``beta``, ``mean`` and ``var`` are shaped alike: of the input's rank (length 1
    on ``axes``) or with the normalized axes left out (see ``batch_normalization_train``).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dmatrix('x')
    >>> y = T.nnet.bn.batch_normalization_test(
    ...     x, np.ones(2), np.zeros(2), np.array([1., 2.]), np.array([4., 1.]), epsilon=1e-5)
    >>> np.round(y.eval({x: np.array([[3., 3.]])}), 4)
    array([[1., 1.]])
    """
    what = "batch_normalization_test"
    params = [("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var)]
    inputs = _prepare(what, inputs, epsilon, params)
    ndim, dtype = inputs.ndim, inputs.dtype
    axes, kept = _axes(axes, ndim, what)
    gamma, beta, mean, var = (_param(value, name, ndim, axes, kept, what, dtype)
                              for name, value in params)
    scale = O.true_div(gamma, O.sqrt(O.add(var, _scalar(epsilon, dtype))))
    return O.add(O.mul(O.sub(inputs, mean), scale), beta)


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """The element-wise formula ``(inputs - mean) / std * gamma + beta`` (Theano's
    ``batch_normalization``; the operands broadcast as in any element-wise expression).

    ``mode`` is ``'low_mem'`` or ``'high_mem'``; both give the same values (Theano
    differed in what its gradient kept in memory; here both fuse into one loop).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> T.nnet.bn.batch_normalization(x, 2., 1., 3., 4.).eval({x: np.array([7.])})
    array([3.])
    """
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f"batch_normalization: mode must be 'low_mem' or 'high_mem', got "
                         f"{mode!r}")
    inputs = as_tensor_variable(inputs)
    if mode == "low_mem":
        return O.add(O.mul(O.true_div(O.sub(inputs, mean), std), gamma), beta)
    return O.add(O.mul(O.sub(inputs, mean), O.true_div(gamma, std)), beta)
