"""Random numbers as ops on tensor state: the MRG31k3p generator of Theano's MRG_RandomStreams.

The state of a generator is an int32 matrix of shape ``(n_streams, 6)``: one MRG31k3p stream
per row, each a substream 2**72 steps after the previous one (L'Ecuyer's scheme).  A sampling
op takes the state and returns ``(new_state, sample)``; stream objects keep the state in a
shared variable whose ``default_update`` is the new state, so every call of a compiled function
draws new numbers.  Element ``i`` of a sample is the ``i // n_streams``-th number of stream
``i % n_streams``: any count can be drawn from a fixed number of streams, in parallel.

``MRGUniform`` draws uniform numbers in (0, 1); ``CategoricalFromUniform`` turns uniform
numbers into outcomes of categorical distributions (with or without replacement).  Every
distribution of the stream classes (normal, binomial, multinomial, choice, integers,
permutations) is a graph of these two ops and ordinary tensor ops.  The C emitters
(codegen/random_c.py, kernels/random.h) compute the same bits as the numpy references here.
"""

import functools
from dataclasses import dataclass

import numpy as np

from ..graph import Apply
from ..op import Op
from ..types import TensorType
from ..variable import as_tensor_variable
from .shape import _constant_int, _int64_scalar

__all__ = [
    "categorical_from_uniform",
    "mrg_uniform",
    "next_stream",
    "seed_state",
    "substream_states",
]

M1, M2 = 2147483647, 2147462579
# The transition matrices of the two components, acting on (x_n, x_n-1, x_n-2).
A1 = ((0, 4194304, 129), (1, 0, 0), (0, 1, 0))
A2 = ((32768, 0, 32769), (1, 0, 0), (0, 1, 0))
# Uniform number = integer in [1, M1] times NORM (kernels/random.h has the same constants).
NORM = {"float64": np.float64(2.0 ** -31),
        "float32": np.float32(float.fromhex("0x1.fffffep-32"))}
FLOAT_SAMPLES = ("float32", "float64")


def _mat_mul(a, b, modulus):
    return tuple(tuple(sum(a[i][k] * b[k][j] for k in range(3)) % modulus for j in range(3))
                 for i in range(3))


@functools.cache
def _jump(component, log2_steps):
    """The matrix advancing ``component`` (0 or 1) by ``2**log2_steps`` steps."""
    matrix, modulus = (A1, M1) if component == 0 else (A2, M2)
    for _ in range(log2_steps):
        matrix = _mat_mul(matrix, matrix, modulus)
    return matrix


def _apply(matrices, rows):
    """``rows`` (n x 6, uint64) with both components multiplied by ``matrices`` (mod M)."""
    out = np.empty_like(rows)
    for part, (matrix, modulus) in enumerate(zip(matrices, (M1, M2))):
        block = rows[:, 3 * part:3 * part + 3]
        for i in range(3):
            # Entries and states are below 2**31: three products sum to less than 2**64.
            total = sum(np.uint64(matrix[i][k]) * block[:, k] for k in range(3))
            out[:, 3 * part + i] = total % np.uint64(modulus)
    return out


def seed_state(seed):
    """The six-word state of a generator from an int seed (Theano: six copies of it) or six
    ints (three below M1, not all 0, and three below M2, not all 0)."""
    if isinstance(seed, (int, np.integer)):
        seed = int(seed)
        if not 0 < seed < M2:
            raise ValueError(f"a random seed must be an integer in [1, {M2 - 1}], got {seed}")
        return np.full(6, seed, dtype="int32")
    words = [int(w) for w in np.asarray(seed).reshape(-1)]
    if len(words) != 6 or not all(0 <= w < M1 for w in words[:3]) or \
            not all(0 <= w < M2 for w in words[3:]) or not any(words[:3]) or not any(words[3:]):
        raise ValueError(f"a random state must be 6 ints, three in [0, {M1}) and three in "
                         f"[0, {M2}), neither triple all zero; got {seed!r}")
    return np.asarray(words, dtype="int32")


def substream_states(base, n_streams):
    """``(n_streams, 6)`` int32 states: row ``i`` is ``base`` advanced by ``i * 2**72`` steps
    (computed by doubling: rows ``[m, 2m)`` are rows ``[0, m)`` advanced ``m * 2**72``)."""
    if n_streams < 1:
        raise ValueError(f"a generator needs at least one stream, got {n_streams}")
    rows = np.empty((n_streams, 6), dtype="uint64")
    rows[0] = np.asarray(base, dtype="int64")
    count, log2 = 1, 72
    while count < n_streams:
        take = min(count, n_streams - count)
        rows[count:count + take] = _apply((_jump(0, log2), _jump(1, log2)), rows[:take])
        count += take
        log2 += 1
    return rows.astype("int32")


def next_stream(base):
    """The state ``2**134`` steps after ``base`` (the next independent stream)."""
    rows = np.asarray(base, dtype="int64").reshape(1, 6).astype("uint64")
    return _apply((_jump(0, 134), _jump(1, 134)), rows)[0].astype("int32")


def _reduce(value, modulus):
    return np.where(value >= modulus, value - modulus, value)


def mrg_integers(state, n):
    """The numpy reference of the generator: ``(new_state, integers in [1, M1])`` for ``n``
    numbers from the streams of ``state`` (kernels/random.h, ``ag_mrg_next``)."""
    rows = state.shape[0]
    words = [state[:, k].astype(np.int64) for k in range(6)]
    out = np.empty(n, dtype=np.int64)
    for start in range(0, n, rows):
        m = min(rows, n - start)
        _, x12, x13, x21, _, x23 = (w[:m] for w in words)
        y = _reduce(((x12 & 511) << 22) + (x12 >> 9) + ((x13 & 16777215) << 7) + (x13 >> 24),
                    M1)
        y = _reduce(y + x13, M1)
        a = _reduce(((x21 & 65535) << 15) + 21069 * (x21 >> 16), M2)
        b = _reduce(((x23 & 65535) << 15) + 21069 * (x23 >> 16), M2)
        b = _reduce(_reduce(b + x23, M2) + a, M2)
        out[start:start + m] = np.where(y <= b, y - b + M1, y - b)
        for target, source in ((2, 1), (1, 0), (5, 4), (4, 3)):
            words[target][:m] = words[source][:m]
        words[0][:m], words[3][:m] = y, b
    return np.stack(words, axis=1).astype(np.int32), out


def _state_input(state, what):
    state = as_tensor_variable(state)
    if state.dtype != "int32" or state.ndim != 2:
        raise TypeError(f"{what}: the generator state must be an int32 matrix of shape "
                        f"(n_streams, 6), got {state.type}")
    return state


@dataclass(frozen=True)
class MRGUniform(Op):
    """Uniform numbers in (0, 1) of ``dtype`` from MRG31k3p streams: inputs ``(state,
    *size)`` (``size`` int scalars), outputs ``(new_state, sample of shape size)``."""

    dtype: str = "float64"

    def make_node(self, state, *size):
        if self.dtype not in FLOAT_SAMPLES:
            raise TypeError(f"mrg_uniform draws float32 or float64 numbers, not {self.dtype}")
        state = _state_input(state, "mrg_uniform")
        size = [_int64_scalar(s, "mrg_uniform: the size") for s in size]
        sample = TensorType(self.dtype, tuple(_constant_int(s) == 1 for s in size))
        return Apply(self, [state] + size, [state.type.make_variable(), sample.make_variable()])

    def perform(self, node, inputs):
        state, size = inputs[0], tuple(int(s) for s in inputs[1:])
        if state.shape[1] != 6 or state.shape[0] < 1:
            raise ValueError(f"mrg_uniform: the state must have shape (n_streams, 6) with "
                             f"n_streams >= 1, got {state.shape}")
        if any(s < 0 for s in size):
            raise ValueError(f"mrg_uniform: negative length in the size {size}")
        new_state, integers = mrg_integers(state, int(np.prod(size, dtype=np.int64)))
        sample = integers.astype(self.dtype) * NORM[self.dtype]
        return [new_state, sample.reshape(size)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0], list(node.inputs[1:])]

    def connection_pattern(self, node):
        return [[False, False] for _ in node.inputs]

    def grad(self, inputs, out_grads):
        return [None] * len(inputs)


def mrg_uniform(state, size, dtype="float64"):
    """``(new_state, sample)``: uniform numbers in (0, 1) of shape ``size`` from ``state``.

    >>> import numpy as np
    >>> state = substream_states(seed_state(12345), 4)
    >>> new_state, u = mrg_uniform(state, (2, 2))
    >>> values = u.eval()
    >>> values.shape, bool(((values > 0) & (values < 1)).all())
    ((2, 2), True)
    """
    return MRGUniform(dtype)(state, *size)


@dataclass(frozen=True)
class CategoricalFromUniform(Op):
    """Outcomes drawn from the categorical distributions in the rows of ``pvals`` (a float
    matrix; a broadcastable first dimension serves every row) by the uniform numbers ``unis``
    (an ``n x rows`` float matrix): an int64 ``n x rows`` matrix.  With replacement the
    outcome is the first whose cumulative probability exceeds the number (Theano's
    MultinomialFromUniform); without, the ``n`` draws of a row exclude each other and the
    probabilities left are renormalised before each."""

    replace: bool = True

    def make_node(self, pvals, unis):
        pvals, unis = as_tensor_variable(pvals), as_tensor_variable(unis)
        for name, value in (("pvals", pvals), ("unis", unis)):
            if value.ndim != 2 or value.dtype not in FLOAT_SAMPLES:
                raise TypeError(f"categorical_from_uniform: {name} must be a float32 or "
                                f"float64 matrix, got {value.type}")
        out = TensorType("int64", (unis.broadcastable[0], unis.broadcastable[1]))
        return Apply(self, [pvals, unis], [out.make_variable()])

    def perform(self, node, inputs):
        pvals, unis = inputs
        (n, rows), k = unis.shape, pvals.shape[1]
        if pvals.shape[0] != rows and not (node.inputs[0].broadcastable[0]
                                           and pvals.shape[0] == 1):
            raise ValueError(f"categorical_from_uniform: {pvals.shape[0]} rows of "
                             f"probabilities for {rows} rows of uniform numbers")
        out = np.empty((n, rows), dtype=np.int64)
        for r in range(rows):
            p = pvals[0 if pvals.shape[0] == 1 else r].astype(np.float64)
            if not (p >= 0).all():
                raise ValueError(_bad_row_message(1, r, n, k))
            u = unis[:, r].astype(np.float64)
            if self.replace:
                cumulative = np.cumsum(p)
                positive = np.flatnonzero(p > 0)
                if n and not positive.size:
                    raise ValueError(_bad_row_message(2, r, n, k))
                picks = np.searchsorted(cumulative, u, side="right")
                out[:, r] = np.where(picks == k, positive[-1] if positive.size else 0, picks)
                continue
            for c in range(n):
                positive = np.flatnonzero(p > 0)
                if not positive.size:
                    raise ValueError(_bad_row_message(2, r, n, k))
                cumulative = np.cumsum(p)
                pick = int(np.searchsorted(cumulative, u[c] * cumulative[-1], side="right"))
                out[c, r] = pick = positive[-1] if pick == k else pick
                p[pick] = 0.0
        return [out]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def connection_pattern(self, node):
        return [[False], [False]]

    def grad(self, inputs, out_grads):
        return [None, None]


def _bad_row_message(why, row, n, k):
    """The error text of a bad row (the C kernel reports the same two cases)."""
    if why == 1:
        return f"categorical_from_uniform: row {row} of the probabilities has a negative or " \
               f"NaN entry"
    return f"categorical_from_uniform: row {row} has no outcome of positive probability left " \
           f"(drawing {n} from {k} outcomes)"


def categorical_from_uniform(pvals, unis, replace=True):
    """Outcomes (int64, shaped like ``unis``) of the distributions in the rows of ``pvals``
    drawn by the uniform numbers ``unis`` (one column per row of ``pvals``).

    >>> import numpy as np
    >>> p = np.array([[0.2, 0.5, 0.3]])
    >>> categorical_from_uniform(p, np.array([[0.1], [0.6], [0.9]])).eval().ravel()
    array([0, 1, 2])
    """
    pvals = as_tensor_variable(pvals)
    if pvals.ndim == 2 and not pvals.broadcastable[0] and _static_rows(pvals) == 1:
        from .shape import addbroadcast
        pvals = addbroadcast(pvals, 0)
    return CategoricalFromUniform(bool(replace))(pvals, unis)


def _static_rows(variable):
    """The number of rows of a constant matrix, else None."""
    data = getattr(variable, "data", None)
    return None if data is None else np.shape(data)[0]
