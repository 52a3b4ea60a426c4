"""Theano's ``theano.sandbox.rng_mrg``: random streams from the MRG31k3p generator.

The numbers are Theano 1.0's for the same seed: the same seeding (``seed`` → six copies, or a
6-tuple), the same substreams (2**72 steps apart; each sample moves the base 2**134 on), the
same stream counts (``guess_n_streams``: a sixth of a size given as ints, else 15360), the
same layout (element ``i`` is the ``i // n_streams``-th number of stream ``i % n_streams``),
the same float32/float64 factors, and the distributions derived as Theano derived them
(``normal``: Box-Muller on an even count; ``binomial``: ``u < p``; ``multinomial`` and
``choice``: Theano's ``MultinomialFromUniform`` / ``ChoiceFromUniform``).

Every call of a sampling method creates one generator state: a shared int32 matrix of shape
``(n_streams, 6)`` whose ``default_update`` is the state after the draw, so a compiled
function draws new numbers at each call (``no_default_updates=True`` keeps them fixed).  The
samples are graphs of ``MRGUniform`` and ``ChoiceFromUniform`` (arignote/compiler/ops/random.py)
and ordinary tensor ops, so they compile to C like any other expression, and the C numbers
equal the reference backend's.

>>> import arignote
>>> srng = MRG_RandomStreams(seed=234)
>>> f = arignote.function([], srng.uniform((2,)))
>>> bool((f() != f()).all())
True
"""

import importlib
import warnings

import numpy as np

from ..compiler import dtypes as dt
from ..compiler import ops as O
from ..compiler.ops.random import (
    MRGUniform,
    categorical_from_uniform,
    choice_from_uniform,
    next_stream,
    seed_state,
    substream_states,
)
from ..compiler.variable import as_tensor_variable, constant
from ..configparser import config
from ..runtime.shared import shared

__all__ = ["MRG_RandomStreams", "ff_2p72", "ff_2p134", "guess_n_streams", "mrg_uniform"]

# The module (``ops.shape`` is the function ``shape``).
shape_ops = importlib.import_module("arignote.compiler.ops.shape")

# Theano's stream count for sizes only known at run time (and its maximum).
MAX_STREAMS = 60 * 256


def guess_n_streams(size, warn=False):
    """Theano's number of streams for a sample of ``size``: when ``size`` is a tuple or list
    of Python ints, a sixth of its elements (all of them up to 6; at most 15360); otherwise
    (a symbolic size, or numpy integers, as in Theano) 15360.

    >>> guess_n_streams((10, 20)), guess_n_streams((5,)), guess_n_streams((np.int64(5),))
    (33, 5, 15360)
    """
    if isinstance(size, (tuple, list)) and all(isinstance(s, int) for s in size):
        count = 1
        for s in size:
            count *= s
        if count > 6:
            count //= 6
        return max(1, min(count, MAX_STREAMS))
    if warn:
        warnings.warn(f"MRG_RandomStreams Can't determine #streams from size ({size}), "
                      f"guessing 60*256", stacklevel=3)
    return MAX_STREAMS


def ff_2p72(rstate):
    """Theano's ``ff_2p72``: the state ``2**72`` steps after ``rstate`` (the next substream)."""
    return substream_states(rstate, 2)[1]


def ff_2p134(rstate):
    """Theano's ``ff_2p134``: the state ``2**134`` steps after ``rstate`` (the next stream)."""
    return next_stream(rstate)


class mrg_uniform:  # Theano's name of its op class
    """Theano's ``mrg_uniform.new(rstate, ndim, dtype, size)``: ``(new_state, sample)``.

    >>> import arignote
    >>> state = arignote.shared(np.full((1, 6), 12345, dtype='int32'))
    >>> new_state, sample = mrg_uniform.new(state, ndim=None, dtype='float64', size=(1,))
    >>> float(sample.eval()[0])
    0.7353244530968368
    """

    @staticmethod
    def new(rstate, ndim, dtype, size):
        elements, _ = _size_elements(size, ndim, "mrg_uniform: the size")
        return MRGUniform(dtype)(rstate, *elements)


def _int64(value, what):
    return shape_ops._int64_scalar(value, what)


def _size_elements(size, ndim, what):
    """``size`` (ints, int scalar graphs, or an int vector graph such as ``x.shape``) as a
    list of int64 scalar graphs, and the tuple of its values when all are constants."""
    if isinstance(size, (int, np.integer)):
        size = (int(size),)
    if isinstance(size, (list, tuple)):
        elements = shape_ops._shape_list(size, what)
    else:
        vector = as_tensor_variable(size)
        if vector.ndim == 0:
            elements = [_int64(vector, what)]
        else:
            elements = shape_ops._vector_elements(vector)
            if elements is None:
                if ndim is None:
                    raise TypeError(f"{what}: the length of {vector} is not known; pass ndim=")
                elements = [_int64(vector[i], what) for i in range(ndim)]
    if ndim is not None and int(ndim) != len(elements):
        raise ValueError(f"{what}: ndim={ndim} but the size has {len(elements)} elements")
    values = [shape_ops._constant_int(e) for e in elements]
    static = tuple(values) if all(v is not None for v in values) else None
    if static is not None and any(v < 0 for v in static):
        raise ValueError(f"{what}: negative length in the size {static}")
    return elements, static


def _product(elements, static):
    """The number of elements of a sample: a Python int when known, else an int64 graph."""
    if static is not None:
        return int(np.prod(static, dtype=np.int64))
    total = constant(1, dtype="int64")
    for element in elements:
        total = O.mul(total, element)
    return total


def _float(*variables):
    """floatX, or a wider float dtype among ``variables``."""
    return dt.upcast(config.floatX, *[v.dtype for v in variables if v.dtype in dt.FLOAT_DTYPES])


def _as_dtype(variable, dtype):
    return variable if variable.dtype == dtype else O.cast(variable, dtype)


class MRG_RandomStreams:
    """Theano's ``MRG_RandomStreams(seed=12345)``: samples of MRG31k3p streams, with Theano
    1.0's numbers for the same seed.

    Each sample gets a fresh generator state (``n_streams`` substreams of the stream that
    follows the previous sample's); ``seed(s)`` rewinds every state drawn so far.  The
    returned variables carry ``.rstate`` (also ``.rng``: the shared state) and ``.update``;
    ``state_updates`` holds Theano's ``(state, new_state, size, nstreams)`` entries.

    >>> import arignote
    >>> srng = MRG_RandomStreams(seed=42)
    >>> u = srng.uniform((3,))
    >>> f = arignote.function([], u)
    >>> first = f()
    >>> srng.seed(42)
    >>> bool((f() == first).all())
    True
    """

    def __init__(self, seed=12345, use_cuda=None):
        self.state_updates = []
        self.default_instance_seed = seed
        self.set_rstate(seed)

    # ------------------------------------------------------------------ states
    def set_rstate(self, seed):
        """Set the state the next sample's streams start from (an int or six ints)."""
        self.rstate = seed_state(seed)

    def inc_rstate(self):
        """Move the starting state to the next stream (``2**134`` steps on)."""
        self.rstate = next_stream(self.rstate)

    def get_substream_rstates(self, n_streams, dtype="int32", inc_rstate=True):
        """``n_streams`` substream states of the current stream (then move to the next)."""
        states = substream_states(self.rstate, int(n_streams))
        if inc_rstate:
            self.inc_rstate()
        return states

    def n_streams(self, size):
        """The number of streams a sample of ``size`` gets (see ``guess_n_streams``)."""
        return guess_n_streams(size)

    def seed(self, seed=None):
        """Re-seed: every state drawn so far gets the value it would have from ``seed``."""
        self.set_rstate(self.default_instance_seed if seed is None else seed)
        for old_r, _, size, nstreams in self.state_updates:
            count = self.n_streams(size) if nstreams is None else nstreams
            old_r.set_value(self.get_substream_rstates(count), borrow=True)

    def updates(self):
        """The ``(state, new_state)`` pairs of every sample drawn so far."""
        return [(entry[0], entry[1]) for entry in self.state_updates]

    # ------------------------------------------------------------------ plumbing
    def _size(self, size, ndim, params, what):
        """Size elements and static values; ``None`` (an arignote extension) means the
        shape of the parameters broadcast together."""
        if size is not None:
            return _size_elements(size, ndim, what)
        if all(p.ndim == 0 for p in params):
            return [], ()
        probe = params[0]
        for param in params[1:]:
            probe = O.add(probe, param)
        return _size_elements(shape_ops.shape_of(probe), ndim, what)

    def _draw(self, elements, dtype, nstreams, size):
        """Uniform numbers of shape ``elements`` from a new state (its update registered);
        ``size`` is what Theano guessed the stream count from."""
        count = nstreams if nstreams is not None else self.n_streams(size)
        state = shared(self.get_substream_rstates(int(count)))
        state.tag.is_rng = True
        new_state, sample = MRGUniform(dtype)(state, *elements)
        state.default_update = new_state
        self.state_updates.append((state, new_state, size, nstreams))
        return self._tag(sample, state, new_state)

    @staticmethod
    def _tag(variable, state, new_state):
        variable.rng = variable.rstate = state
        variable.update = (state, new_state)
        return variable

    @staticmethod
    def _tag_like(variable, sample):
        return MRG_RandomStreams._tag(variable, sample.rng, sample.update[1])

    # ------------------------------------------------------------------ distributions
    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None):
        """Uniform numbers between ``low`` and ``high``: ``u * (high - low) + low`` with
        ``u`` in (0, 1) and ``low``, ``high`` cast to ``dtype`` (floatX or a wider float of
        ``low``/``high``).  Gradients flow to ``low`` and ``high`` (an arignote extension:
        Theano's are undefined)."""
        low, high = as_tensor_variable(low), as_tensor_variable(high)
        dtype = dtype or dt.upcast(config.floatX, low.dtype, high.dtype)
        low, high = _as_dtype(low, dtype), _as_dtype(high, dtype)
        elements, _ = self._size(size, ndim, [low, high], "uniform: the size")
        u = self._draw(elements, dtype, nstreams, size)
        result = O.add(O.mul(u, O.sub(high, low)), low)
        if result.broadcastable != u.broadcastable:
            raise ValueError(f"uniform: low and high (of types {low.type}, {high.type}) "
                             f"broadcast beyond the size; increase the size to match them")
        return self._tag_like(result, u)

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None,
               truncate=False):
        """Normal numbers, Theano's Box-Muller: an even number of uniforms ``u`` (15360
        streams unless ``nstreams``), ``r = sqrt(-2 log u[:h])``, ``theta = 2 pi u[h:]``,
        the values ``r cos theta`` then ``r sin theta``, cut to the size, times ``std``
        plus ``avg``.  With ``truncate``, values beyond two standard deviations are redrawn
        as Theano did (the kept values first, then the redrawn ones)."""
        avg, std = as_tensor_variable(avg), as_tensor_variable(std)
        dtype = dtype or dt.upcast(config.floatX, avg.dtype, std.dtype)
        avg, std = _as_dtype(avg, dtype), _as_dtype(std, dtype)
        elements, static = self._size(size, ndim, [avg, std], "normal: the size")
        count = _product(elements, static)
        if isinstance(count, int):
            n_even = count + count % 2
            half = n_even // 2
        else:
            n_even = O.add(count, O.mod(count, constant(2, dtype="int64")))
            half = O.int_div(n_even, constant(2, dtype="int64"))
        # Theano asked for the uniforms with a symbolic size: the stream count is 15360.
        u = self._draw([n_even], dtype, nstreams, None)
        radius = O.sqrt(O.mul(constant(-2.0, dtype=dtype), O.log(u[:half])))
        theta = O.mul(constant(2.0 * np.pi, dtype=dtype), u[half:])
        cos_theta, sin_theta = O.cos(theta), O.sin(theta)
        z0, z1 = O.mul(radius, cos_theta), O.mul(radius, sin_theta)
        if truncate:
            z = self._truncate(z0, z1, cos_theta, sin_theta, dtype, nstreams)
        else:
            z = O.join(0, z0, z1)
        if not isinstance(count, int) or n_even != count:
            z = z[:count]
        z = O.reshape(z, elements, ndim=len(elements))
        return self._tag_like(O.add(O.mul(z, std), avg), u)

    def _truncate(self, z0, z1, cos_theta, sin_theta, dtype, nstreams):
        """Theano's truncation: the values of ``z0`` and ``z1`` within two, and new ones
        (radius from a uniform in ``[e**-2, 1)``, the same angle) for the others."""
        bound = constant(2.0, dtype=dtype)
        fix0 = O.or_(O.lt(z0, O.neg(bound)), O.gt(z0, bound))
        fix1 = O.or_(O.lt(z1, O.neg(bound)), O.gt(z1, bound))
        z0_valid = z0[O.nonzero(O.invert(fix0))]
        z1_valid = z1[O.nonzero(O.invert(fix1))]
        fix0, fix1 = O.nonzero(fix0)[0], O.nonzero(fix1)[0]
        n0 = shape_ops.shape_i(fix0, 0)
        n_fix = O.add(n0, shape_ops.shape_i(fix1, 0))
        lower = constant(1.0 / np.e ** 2, dtype=dtype)
        u_fix = self.uniform([n_fix], low=lower, high=1.0, ndim=1, dtype=dtype,
                             nstreams=nstreams)
        r_fix = O.sqrt(O.mul(constant(-2.0, dtype=dtype), O.log(u_fix)))
        z0_fixed = O.mul(r_fix[:n0], cos_theta[fix0])
        z1_fixed = O.mul(r_fix[n0:], sin_theta[fix1])
        return O.join(0, z0_valid, z0_fixed, z1_valid, z1_fixed)

    def truncated_normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        """Normal numbers truncated at two standard deviations, ``std`` divided first by
        the standard deviation of the truncated unit normal (Theano's constant)."""
        std = O.true_div(as_tensor_variable(std), constant(0.87962566103423978))
        return self.normal(size, avg, std, ndim=ndim, dtype=dtype, nstreams=nstreams,
                           truncate=True)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None,
                 prob=None):
        """Successes among ``n`` trials of probability ``p``: with ``n = 1`` Theano's
        ``cast(uniform(size) < p, dtype)`` (the uniforms in floatX); ``n > 1`` (an
        arignote extension) sums ``n`` such comparisons."""
        p = as_tensor_variable(p if prob is None else prob)
        if isinstance(n, (int, np.integer)) and int(n) == 1:
            u = self.uniform(size if size is not None else self._size(
                None, ndim, [p], "binomial: the size")[0], ndim=ndim, nstreams=nstreams)
            return self._tag_like(O.cast(O.lt(u, p), dtype), u)
        elements, static = self._size(size, ndim, [p], "binomial: the size")
        trials = _int64(n, "binomial: n")
        known = shape_ops._constant_int(trials)
        guess = None if static is None or known is None else (known,) + static
        u = self._draw([trials] + elements, config.floatX, nstreams, guess)
        return self._tag_like(O.cast(O.sum(O.lt(u, p), axis=0), dtype), u)

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype="int64",
                    nstreams=None):
        """Counts of ``n`` draws from the distributions in the rows of ``pvals``.  A
        ``pvals`` matrix with ``size=None`` is Theano's form and numbers: one row of counts
        per row (``n * rows`` uniforms in floatX, Theano's ``MultinomialFromUniform``).
        arignote also takes ``size`` (result ``size + (k,)``, ``pvals`` one row or one per
        sample) and a vector ``pvals``; with ``n = 1`` the counts are one-hot rows."""
        if pvals is None:
            raise TypeError("multinomial: pvals (the probabilities) must be given")
        pvals = as_tensor_variable(pvals)
        if pvals.ndim < 1 or pvals.dtype not in ("float32", "float64"):
            raise TypeError(f"multinomial: pvals must be float probabilities, got {pvals.type}")
        k = shape_ops.shape_i(pvals, pvals.ndim - 1)
        trials = _int64(n, "multinomial: n")
        if pvals.ndim == 2 and size is None and ndim is None:
            rows = shape_ops.shape_i(pvals, 0)
            u = self.uniform([O.mul(rows, trials)], ndim=1, nstreams=nstreams)
            picks = choice_from_uniform(pvals, O.reshape(u, (trials, rows)), replace=True)
            one_hot = O.eq(O.dimshuffle(picks, (0, 1, "x")),
                           O.dimshuffle(O.arange(k), ("x", "x", 0)))
            counts = O.sum(O.cast(one_hot, "int64"), axis=0)
            return self._tag_like(_as_dtype(counts, dtype), u)
        if size is None:
            elements = shape_ops.shape_of(pvals)[:-1]
            static = tuple(shape_ops._constant_int(e) for e in elements)
            static = None if None in static else static
        else:
            elements, static = _size_elements(size, ndim, "multinomial: the size")
        rows = _product(elements, static)
        table = (O.dimshuffle(pvals, ("x", 0)) if pvals.ndim == 1
                 else O.reshape(pvals, (-1, k)))
        known = shape_ops._constant_int(trials)
        draws = (known * rows if isinstance(rows, int) and known is not None
                 else O.mul(trials, rows))
        u = self._draw([draws], _float(pvals), nstreams,
                       (draws,) if isinstance(draws, int) else None)
        picks = categorical_from_uniform(table, O.reshape(u, (trials, rows)))
        one_hot = O.eq(O.dimshuffle(picks, (0, 1, "x")),
                       O.dimshuffle(O.arange(k), ("x", "x", 0)))
        counts = O.sum(O.cast(one_hot, "int64"), axis=0)
        result = O.reshape(_as_dtype(counts, dtype), list(elements) + [k])
        return self._tag_like(result, u)

    def choice(self, size=1, a=None, replace=True, p=None, ndim=None, dtype="int64",
               nstreams=None):
        """Theano's form: with ``p`` a matrix (and ``a`` None), ``size`` outcome indices per
        row of ``p``, shape ``(p.shape[0], size)`` (Theano's ``ChoiceFromUniform``: without
        replacement the row is renormalised after each draw; Theano 1.0 had only
        ``replace=False``).  Otherwise numpy's form (an arignote extension): ``size`` draws
        from ``range(a)`` or the vector ``a`` (``p`` a vector of probabilities or None)."""
        if p is not None and as_tensor_variable(p).ndim == 2:
            if a is not None:
                raise ValueError("choice: with a matrix p, a must be None (the outcomes are "
                                 "the column indices of p)")
            p = as_tensor_variable(p)
            draws = _int64(size, "choice: the size")
            rows = shape_ops.shape_i(p, 0)
            u = self.uniform([O.mul(rows, draws)], ndim=1, nstreams=nstreams)
            picks = choice_from_uniform(p, O.reshape(u, (draws, rows)), replace)
            return self._tag_like(_as_dtype(O.transpose(picks), dtype), u)
        if a is None:
            raise ValueError("choice: give a (an int or a vector) or a matrix p")
        return self._choice(size, a, replace, p, ndim, dtype, nstreams)

    def multinomial_wo_replacement(self, size=None, n=1, pvals=None, ndim=None,
                                   dtype="int64", nstreams=None):
        """Theano's older name: ``n`` distinct outcome indices per row of ``pvals``."""
        return self.choice(size=n, a=None, replace=False, p=pvals, dtype=dtype,
                           nstreams=nstreams)

    # ------------------------------------------------------- arignote's extensions
    def _choice(self, size, a, replace, p, ndim, dtype, nstreams):
        """numpy's ``choice``: ``size`` draws from ``range(a)`` or from the vector ``a``."""
        a = as_tensor_variable(a)
        if a.ndim > 1:
            raise TypeError(f"choice: a must be an int or a vector, got {a.type}")
        k = _int64(a, "choice: a") if a.ndim == 0 else shape_ops.shape_i(a, 0)
        elements, static = _size_elements(() if size is None else size, ndim,
                                          "choice: the size")
        count = _product(elements, static)
        guess = (count,) if isinstance(count, int) else None
        if p is None and replace:
            u = self._draw([count], "float64", nstreams, guess)
            scaled = O.cast(O.floor(O.mul(u, k)), "int64")
            picks = O.minimum(scaled, O.sub(k, constant(1, dtype="int64")))
        else:
            if p is None:
                table = O.alloc(constant(1.0, dtype="float64"), 1, k)
            else:
                p = as_tensor_variable(p)
                if p.ndim != 1:
                    raise TypeError(f"choice: p must be a vector, got {p.type}")
                table = O.dimshuffle(p, ("x", 0))
            u = self._draw([count], _float(table), nstreams, guess)
            picks = categorical_from_uniform(table, O.reshape(u, (count, 1)), replace)
        picks = O.reshape(picks, elements, ndim=len(elements))
        result = _as_dtype(picks, dtype) if a.ndim == 0 else a[picks]
        return self._tag_like(result, u)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64",
                        nstreams=None):
        """Integers in ``[low, high]``, both included (``low + floor(u * (high-low+1))``)."""
        low, high = as_tensor_variable(low), as_tensor_variable(high)
        elements, static = self._size(size, ndim, [low, high], "random_integers: the size")
        low64, high64 = _as_dtype(low, "int64"), _as_dtype(high, "int64")
        u = self._draw(elements, "float64", nstreams, static)
        span = O.add(O.sub(high64, low64), constant(1, dtype="int64"))
        offset = O.cast(O.floor(O.mul(u, span)), "int64")
        result = O.minimum(O.add(low64, offset), high64)
        return self._tag_like(_as_dtype(result, dtype), u)

    def permutation(self, size=None, n=1, ndim=None, dtype="int64", nstreams=None):
        """Random permutations of ``range(n)``: shape ``size + (n,)`` (draws without
        replacement: time grows with n squared)."""
        elements, static = _size_elements(() if size is None else size, ndim,
                                          "permutation: the size")
        rows = _product(elements, static)
        length = _int64(n, "permutation: n")
        known = shape_ops._constant_int(length)
        draws = (known * rows if isinstance(rows, int) and known is not None
                 else O.mul(length, rows))
        u = self._draw([draws], "float64", nstreams,
                       (draws,) if isinstance(draws, int) else None)
        table = O.alloc(constant(1.0, dtype="float64"), 1, length)
        picks = categorical_from_uniform(table, O.reshape(u, (length, rows)), replace=False)
        result = O.reshape(O.transpose(picks), list(elements) + [length])
        return self._tag_like(_as_dtype(result, dtype), u)
