"""Dropout: zero each input with probability ``p`` (Lasagne's ``DropoutLayer`` convention).

Theano programs write dropout by hand, with a binomial mask from a random stream::

    srng = MRG_RandomStreams(seed)            # or RandomStreams
    mask = srng.binomial(size=x.shape, n=1, p=1 - p, dtype=x.dtype)
    y = x * mask

With ``MRG_RandomStreams`` that compiles into the training function: the uniform numbers come
from the MRG31k3p kernel of the generated module (no Python call), and the comparison with
``1 - p``, the cast and the multiplication fuse into one loop (``RandomStreams`` draws with
numpy's ``RandomState``, as Theano did, through a call into Python).  ``dropout`` builds the same graph, scaled by
``1 / (1 - p)`` so that the expected output equals the input (inverted dropout), and
returns the input itself when ``deterministic`` (evaluation) or ``p == 0``.
"""

from ...compiler import ops as O
from ...compiler.variable import as_tensor_variable, constant

__all__ = ["dropout"]


def dropout(x, p=0.5, srng=None, rescale=True, deterministic=False):
    """``x`` with each element zeroed with probability ``p`` (the others scaled by
    ``1 / (1 - p)`` when ``rescale``); ``x`` itself when ``deterministic`` or ``p == 0``.

    Parameters
    ----------
    x : tensor.
    p : float in [0, 1), the probability of dropping an element.
    srng : a ``MRG_RandomStreams`` or ``RandomStreams``; None makes an ``MRG_RandomStreams``
        seeded from numpy's global generator (pass one to control the seed).
    rescale : scale the kept elements by ``1 / (1 - p)`` (Lasagne's default).
    deterministic : return ``x`` unchanged (evaluation mode).

    The generator's state advances at every call of a compiled function (its
    ``default_update``); pass ``no_default_updates=True`` to ``function`` to freeze it.

    >>> import numpy as np, arignote, arignote.tensor as T
    >>> from arignote.sandbox.rng_mrg import MRG_RandomStreams
    >>> x = T.dmatrix('x')
    >>> f = arignote.function([x], T.nnet.dropout(x, p=0.5, srng=MRG_RandomStreams(1)))
    >>> y = f(np.ones((100, 100)))
    >>> np.unique(y).tolist()
    [0.0, 2.0]
    """
    x = as_tensor_variable(x)
    p = float(p)
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p is the probability of dropping an element and must be "
                         f"in [0, 1), got {p}")
    if deterministic or p == 0:
        return x
    if x.dtype not in ("float32", "float64"):
        raise TypeError(f"dropout: the input must be a float32 or float64 tensor, got {x.type}")
    if srng is None:
        import numpy as np

        from ...sandbox.rng_mrg import MRG_RandomStreams
        srng = MRG_RandomStreams(int(np.random.randint(1, 2 ** 30)))
    keep = constant(1.0 - p, dtype=x.dtype)
    mask = srng.binomial(size=O.shape(x), n=1, p=keep, dtype=x.dtype)
    if rescale:
        mask = O.true_div(mask, keep)
    return O.mul(x, mask)
