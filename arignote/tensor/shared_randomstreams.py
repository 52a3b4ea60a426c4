"""Theano's ``theano.tensor.shared_randomstreams``: ``RandomStreams``.

Theano kept a numpy ``RandomState`` in each shared variable and ran numpy's samplers in
Python.  Here the state is an MRG31k3p generator state (an int32 tensor, see
``arignote.sandbox.rng_mrg``), so samples compile to C: the API is Theano's, but the numbers
differ from numpy's ``RandomState`` for the same seed.  ``rv.rng`` is the shared state of a
sample ``rv``: ``rv.rng.get_value()`` / ``rv.rng.set_value(value)`` save and rewind it
(the value is an int32 array, not a ``RandomState``).

>>> import arignote
>>> srng = RandomStreams(seed=234)
>>> rv = srng.normal((2, 2))
>>> f = arignote.function([], rv)
>>> saved = rv.rng.get_value()
>>> first = f()
>>> rv.rng.set_value(saved)
>>> bool((f() == first).all())
True
"""

import numpy as np

from ..compiler.ops.random import seed_state, substream_states
from ..sandbox.rng_mrg import _Streams

__all__ = ["RandomStreams"]


class RandomStreams(_Streams):
    """Theano's ``RandomStreams(seed=None)``: every sample gets its own generator state,
    seeded from a numpy ``RandomState(seed)`` (as Theano seeds each sample's RandomState).

    Methods (Theano's signatures; ``size=None`` takes the shape of the parameters):
    ``uniform``, ``normal``, ``binomial``, ``random_integers``, ``choice``,
    ``permutation``, ``multinomial``; ``seed(seed)`` re-seeds every state drawn so far and
    ``updates()`` lists the ``(state, new_state)`` pairs.
    """

    def __init__(self, seed=None):
        super().__init__()
        self.default_instance_seed = seed
        self.gen_seedgen = np.random.RandomState(seed)

    def _new_state(self, n_streams):
        seed = int(self.gen_seedgen.randint(1, 2 ** 30))
        return substream_states(seed_state(seed), n_streams)

    def _record(self, state, new_state, size, nstreams):
        self.state_updates.append((state, new_state))

    def seed(self, seed=None):
        """Re-seed the seed generator, then every state drawn so far from it, in order."""
        self.gen_seedgen.seed(self.default_instance_seed if seed is None else seed)
        for state in self._states:
            state.set_value(self._new_state(state.get_value(borrow=True).shape[0]),
                            borrow=True)

    def __getitem__(self, item):
        """The value of the state ``item`` (a sample's ``.rng``)."""
        return item.get_value(borrow=True)

    def __setitem__(self, item, value):
        item.set_value(value, borrow=True)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64",
               nstreams=None):
        """numpy's ``choice``: ``size`` draws from ``range(a)`` or the vector ``a``, with or
        without replacement, with probabilities ``p`` (a vector) or uniformly."""
        return self._choice(size, a, replace, p, ndim, dtype, nstreams)

    def multinomial(self, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64",
                    nstreams=None):
        return super().multinomial(size, n, np.asarray(pvals, dtype="float64")
                                   if isinstance(pvals, (list, tuple)) else pvals,
                                   ndim, dtype, nstreams)

    multinomial.__doc__ = _Streams.multinomial.__doc__
