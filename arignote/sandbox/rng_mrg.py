"""Theano's ``theano.sandbox.rng_mrg``: random streams from the MRG31k3p generator.

Every call of a sampling method creates one generator state: a shared int32 matrix of shape
``(n_streams, 6)`` whose ``default_update`` is the state after the draw, so a compiled
function draws new numbers at each call (``no_default_updates=True`` keeps them fixed).  The
samples are graphs of ``MRGUniform`` and ``CategoricalFromUniform``
(arignote/compiler/ops/random.py) and ordinary tensor ops, so they compile to C like any
other expression, and the C numbers equal the reference backend's.

>>> import arignote
>>> srng = MRG_RandomStreams(seed=234)
>>> f = arignote.function([], srng.uniform((2,)))
>>> bool((f() != f()).all())
True
"""

import importlib

import numpy as np

from ..compiler import dtypes as dt
from ..compiler import ops as O
from ..compiler.ops.random import (
    MRGUniform,
    categorical_from_uniform,
    next_stream,
    seed_state,
    substream_states,
)
from ..compiler.variable import as_tensor_variable, constant
from ..configparser import config
from ..runtime.shared import shared

__all__ = ["MRG_RandomStreams", "guess_n_streams"]

# The module (``ops.shape`` is the function ``shape``).
shape_ops = importlib.import_module("arignote.compiler.ops.shape")

# Theano's stream count for sizes only known at run time (and its maximum).
MAX_STREAMS = 60 * 256


def guess_n_streams(size, warn=False):
    """Theano's number of streams for a sample of ``size``: a sixth of its elements (at
    least 1, at most 15360), or 15360 when the size is symbolic."""
    if isinstance(size, (tuple, list)) and all(isinstance(s, (int, np.integer)) for s in size):
        count = int(np.prod(size, dtype=np.int64))
        if count > 6:
            count //= 6
        return max(1, min(count, MAX_STREAMS))
    return MAX_STREAMS


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


class _Streams:
    """The distributions, built on fresh states from ``_new_state(n_streams)``."""

    def __init__(self):
        self.state_updates = []
        self._states = []

    def n_streams(self, size):
        """The number of streams a sample of ``size`` gets (see ``guess_n_streams``)."""
        return guess_n_streams(size)

    def updates(self):
        """The ``(state, new_state)`` pairs of every sample drawn so far."""
        return [(entry[0], entry[1]) for entry in self.state_updates]

    # ------------------------------------------------------------------ plumbing
    def _size(self, size, ndim, params, what):
        """Size elements and static values; ``None`` means the shape of the parameters
        broadcast together."""
        if size is not None:
            return _size_elements(size, ndim, what)
        if all(p.ndim == 0 for p in params):
            return [], ()
        probe = params[0]
        for param in params[1:]:
            probe = O.add(probe, param)
        return _size_elements(shape_ops.shape_of(probe), ndim, what)

    def _draw(self, elements, static, dtype, nstreams):
        """Uniform numbers of shape ``elements`` from a new state (its update registered)."""
        count = nstreams if nstreams is not None else self.n_streams(static)
        state = shared(self._new_state(int(count)))
        state.tag.is_rng = True
        new_state, sample = MRGUniform(dtype)(state, *elements)
        state.default_update = new_state
        self._states.append(state)
        self._record(state, new_state, static, count)
        return self._tag(sample, state, new_state)

    def _record(self, state, new_state, size, nstreams):
        self.state_updates.append((state, new_state, size, nstreams))

    @staticmethod
    def _tag(variable, state, new_state):
        variable.rng = variable.rstate = state
        variable.update = (state, new_state)
        return variable

    @staticmethod
    def _tag_like(variable, sample):
        return _Streams._tag(variable, sample.rng, sample.update[1])

    # ------------------------------------------------------------------ distributions
    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None):
        """Uniform numbers in ``[low, high)`` (``low + (high - low) * u``, with ``u`` in
        (0, 1): gradients flow to ``low`` and ``high``); ``dtype`` defaults to floatX or a
        wider float of ``low``/``high``."""
        low, high = as_tensor_variable(low), as_tensor_variable(high)
        dtype = dtype or dt.upcast(config.floatX, low.dtype, high.dtype)
        elements, static = self._size(size, ndim, [low, high], "uniform: the size")
        u = self._draw(elements, static, dtype, nstreams)
        result = _as_dtype(O.add(O.mul(u, O.sub(high, low)), low), dtype)
        if result.broadcastable != u.broadcastable:
            raise ValueError(f"uniform: low and high (of types {low.type}, {high.type}) "
                             f"broadcast beyond the size; increase the size to match them")
        return self._tag_like(result, u)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        """Normal numbers (Box-Muller on pairs of uniforms) times ``std`` plus ``avg``."""
        avg, std = as_tensor_variable(avg), as_tensor_variable(std)
        dtype = dtype or dt.upcast(config.floatX, avg.dtype, std.dtype)
        elements, static = self._size(size, ndim, [avg, std], "normal: the size")
        count = _product(elements, static)
        if static is not None:
            n_samples, half = count + count % 2, (count + count % 2) // 2
        else:
            n_samples = O.add(count, O.mod(count, constant(2, dtype="int64")))
            half = O.int_div(n_samples, constant(2, dtype="int64"))
        u = self._draw([n_samples], None if static is None else (n_samples,), dtype, nstreams)
        radius = O.sqrt(O.mul(constant(-2.0, dtype=dtype), O.log(u[:half])))
        theta = O.mul(constant(2 * np.pi, dtype=dtype), u[half:])
        z = O.join(0, O.mul(radius, O.cos(theta)), O.mul(radius, O.sin(theta)))
        if static is None or n_samples != count:
            z = z[:count]
        z = O.reshape(z, elements, ndim=len(elements))
        result = _as_dtype(O.add(avg, O.mul(std, z)), dtype)
        return self._tag_like(result, u)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None,
                 prob=None):
        """Successes among ``n`` trials of probability ``p`` (``n = 1``: ``u < p``)."""
        p = as_tensor_variable(p if prob is None else prob)
        elements, static = self._size(size, ndim, [p], "binomial: the size")
        udtype = _float(p)
        if isinstance(n, (int, np.integer)) and int(n) == 1:
            u = self._draw(elements, static, udtype, nstreams)
            return self._tag_like(O.cast(O.lt(u, p), dtype), u)
        trials = _int64(n, "binomial: n")
        known = shape_ops._constant_int(trials)
        u = self._draw([trials] + elements,
                       None if static is None or known is None else (known,) + static,
                       udtype, nstreams)
        return self._tag_like(O.cast(O.sum(O.lt(u, p), axis=0), dtype), u)

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype="int64",
                    nstreams=None):
        """Counts of ``n`` draws from the distributions in the last axis of ``pvals``: a
        ``pvals`` matrix (Theano's MRG form, ``size=None``) gives one row of counts per row;
        with ``size``, the result has shape ``size + (k,)`` (``pvals`` one row, or one per
        sample).  With ``n = 1`` the counts are one-hot rows."""
        if pvals is None:
            raise TypeError("multinomial: pvals (the probabilities) must be given")
        pvals = as_tensor_variable(pvals)
        if pvals.ndim < 1 or pvals.dtype not in ("float32", "float64"):
            raise TypeError(f"multinomial: pvals must be float probabilities, got {pvals.type}")
        k = shape_ops.shape_i(pvals, pvals.ndim - 1)
        if size is None:
            elements = shape_ops.shape_of(pvals)[:-1]
            static = tuple(shape_ops._constant_int(e) for e in elements)
            static = None if None in static else static
        else:
            elements, static = _size_elements(size, ndim, "multinomial: the size")
        rows = _product(elements, static)
        table = (O.dimshuffle(pvals, ("x", 0)) if pvals.ndim == 1
                 else O.reshape(pvals, (-1, k)))
        trials = _int64(n, "multinomial: n")
        known = shape_ops._constant_int(trials)
        draws = (known * rows if isinstance(rows, int) and known is not None
                 else O.mul(trials, rows))
        u = self._draw([draws], (draws,) if isinstance(draws, int) else None, _float(pvals),
                       nstreams)
        picks = categorical_from_uniform(table, O.reshape(u, (trials, rows)))
        one_hot = O.eq(O.dimshuffle(picks, (0, 1, "x")),
                       O.dimshuffle(O.arange(k), ("x", "x", 0)))
        counts = O.sum(O.cast(one_hot, "int64"), axis=0)
        result = O.reshape(_as_dtype(counts, dtype), list(elements) + [k])
        return self._tag_like(result, u)

    def _choice(self, size, a, replace, p, ndim, dtype, nstreams):
        """numpy's ``choice``: ``size`` draws from ``range(a)`` or from the vector ``a``."""
        a = as_tensor_variable(a)
        if a.ndim > 1:
            raise TypeError(f"choice: a must be an int or a vector, got {a.type}")
        k = _int64(a, "choice: a") if a.ndim == 0 else shape_ops.shape_i(a, 0)
        elements, static = _size_elements(() if size is None else size, ndim,
                                          "choice: the size")
        count = _product(elements, static)
        static_count = (count,) if isinstance(count, int) else None
        if p is None and replace:
            u = self._draw([count], static_count, "float64", nstreams)
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
            u = self._draw([count], static_count, _float(table), nstreams)
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
        u = self._draw(elements, static, "float64", nstreams)
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
        u = self._draw([draws], (draws,) if isinstance(draws, int) else None, "float64",
                       nstreams)
        table = O.alloc(constant(1.0, dtype="float64"), 1, length)
        picks = categorical_from_uniform(table, O.reshape(u, (length, rows)), replace=False)
        result = O.reshape(O.transpose(picks), list(elements) + [length])
        return self._tag_like(_as_dtype(result, dtype), u)


class MRG_RandomStreams(_Streams):
    """Theano's ``MRG_RandomStreams(seed=12345)``: samples of MRG31k3p streams.

    Each sample gets a fresh generator state (``n_streams`` substreams of the stream that
    follows the previous sample's); ``seed(s)`` rewinds every state drawn so far.  The
    returned variables carry ``.rstate`` (also ``.rng``: the shared state) and ``.update``.

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
        super().__init__()
        self.default_instance_seed = seed
        self.set_rstate(seed)

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

    def _new_state(self, n_streams):
        return self.get_substream_rstates(n_streams)

    def seed(self, seed=None):
        """Re-seed: every state drawn so far gets the value it would have from ``seed``."""
        self.set_rstate(self.default_instance_seed if seed is None else seed)
        for state in self._states:
            state.set_value(self._new_state(state.get_value(borrow=True).shape[0]),
                            borrow=True)

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None):
        return super().uniform(size, low, high, ndim, dtype, nstreams)

    uniform.__doc__ = _Streams.uniform.__doc__

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None):
        return super().normal(size, avg, std, ndim, dtype, nstreams)

    normal.__doc__ = _Streams.normal.__doc__

    def choice(self, size=1, a=None, replace=True, p=None, ndim=None, dtype="int64",
               nstreams=None):
        """Theano's MRG form: with ``p`` a matrix (and ``a`` None), ``size`` outcome indices
        per row of ``p``, shape ``(p.shape[0], size)``, with or without replacement.
        Otherwise numpy's form: ``size`` draws from ``range(a)`` or the vector ``a`` (``p``
        a vector of probabilities or None)."""
        if p is not None and as_tensor_variable(p).ndim == 2:
            if a is not None:
                raise ValueError("choice: with a matrix p, a must be None (the outcomes are "
                                 "the column indices of p)")
            p = as_tensor_variable(p)
            draws = _int64(size, "choice: the size")
            rows = shape_ops.shape_i(p, 0)
            known = [shape_ops._constant_int(v) for v in (draws, rows)]
            count = (known[0] * known[1],) if None not in known else None
            u = self._draw([O.mul(draws, rows)], count, _float(p), nstreams)
            picks = categorical_from_uniform(p, O.reshape(u, (draws, rows)), replace)
            return self._tag_like(_as_dtype(O.transpose(picks), dtype), u)
        if a is None:
            raise ValueError("choice: give a (an int or a vector) or a matrix p")
        return self._choice(size, a, replace, p, ndim, dtype, nstreams)

    def multinomial_wo_replacement(self, size=None, n=1, pvals=None, ndim=None,
                                   dtype="int64", nstreams=None):
        """Theano's older name: ``n`` distinct outcome indices per row of ``pvals``."""
        return self.choice(size=n, a=None, replace=False, p=pvals, dtype=dtype,
                           nstreams=nstreams)
