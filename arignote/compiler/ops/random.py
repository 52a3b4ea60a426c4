"""Random numbers as ops on tensor state: the MRG31k3p generator of Theano's MRG_RandomStreams.

The state of a generator is an int32 matrix of shape ``(n_streams, 6)``: one MRG31k3p stream
per row, each a substream 2**72 steps after the previous one (L'Ecuyer's scheme).  A sampling
op takes the state and returns ``(new_state, sample)``; stream objects keep the state in a
shared variable whose ``default_update`` is the new state, so every call of a compiled function
draws new numbers.  Element ``i`` of a sample is the ``i // n_streams``-th number of stream
``i % n_streams``: any count can be drawn from a fixed number of streams, in parallel.

``MRGUniform`` draws uniform numbers in (0, 1) exactly as Theano 1.0's ``mrg_uniform``;
``ChoiceFromUniform`` turns them into outcomes as Theano's ``MultinomialFromUniform`` and
``ChoiceFromUniform`` did; ``CategoricalFromUniform`` serves arignote's numpy-style ``choice``
and ``permutation``.  Every distribution of ``MRG_RandomStreams`` is a graph of these ops and
ordinary tensor ops.  The C emitters (codegen/random_c.py, kernels/random.h) compute the same
bits as the numpy references here.

``RandomFunction`` is Theano's op of ``shared_randomstreams.RandomStreams``: it draws with a
numpy ``RandomState`` (Mersenne Twister) by the numpy call Theano made.  It has no C code: the
C backend calls its ``perform``.  Its state is the ``RandomState``'s state packed in an int64
vector (``pack_random_state``), so that it travels through compiled functions, scan and
pickles like any tensor; ``RandomStateSharedVariable`` shows it to users as a ``RandomState``.
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
    "RandomFunction",
    "categorical_from_uniform",
    "choice_from_uniform",
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


@dataclass(frozen=True)
class ChoiceFromUniform(Op):
    """Theano 1.0's ``MultinomialFromUniform`` and ``ChoiceFromUniform`` (their C code, which
    FAST_RUN ran): outcome indices of the categorical distributions in the rows of ``pvals``
    (``rows x k``) drawn by ``unis`` (``n x rows``), an int64 ``n x rows`` matrix.

    Draw ``c`` of row ``r`` is the first ``m`` whose cumulative probability (summed in double)
    exceeds ``unis[c, r]``, or -1 when rounding leaves none (Theano's multinomial then counted
    nothing).  Without replacement, after each draw but the last the row is renormalised as
    Theano did, in the dtype of ``pvals``: the outcome drawn gets 0 and every entry is divided
    by the sum of those left.  Probabilities are not checked (Theano's behaviour)."""

    replace: bool = False

    def make_node(self, pvals, unis):
        pvals, unis = as_tensor_variable(pvals), as_tensor_variable(unis)
        for name, value in (("pvals", pvals), ("unis", unis)):
            if value.ndim != 2 or value.dtype not in FLOAT_SAMPLES:
                raise TypeError(f"choice_from_uniform: {name} must be a float32 or float64 "
                                f"matrix, got {value.type}")
        out = TensorType("int64", (unis.broadcastable[0], unis.broadcastable[1]))
        return Apply(self, [pvals, unis], [out.make_variable()])

    def perform(self, node, inputs):
        pvals, unis = inputs
        (n, rows), k = unis.shape, pvals.shape[1]
        if pvals.shape[0] != rows:
            raise ValueError(f"choice_from_uniform: {pvals.shape[0]} rows of probabilities "
                             f"for {rows} rows of uniform numbers")
        if not self.replace and n > k:
            raise ValueError(f"choice_from_uniform: cannot draw {n} outcomes without "
                             f"replacement from {k}")
        out = np.full((n, rows), -1, dtype=np.int64)
        for r in range(rows):
            if self.replace:
                # np.cumsum adds in order, as the C loop does.
                cumulative = np.cumsum(pvals[r], dtype=np.float64)
                picks = np.searchsorted(cumulative, unis[:, r].astype(np.float64), "right")
                out[:, r] = np.where(picks == k, -1, picks)
                continue
            p, kind = pvals[r].copy(), pvals.dtype.type
            for c in range(n):
                target, cumulative = float(unis[c, r]), 0.0
                for m in range(k):
                    cumulative += float(p[m])
                    if cumulative > target:
                        out[c, r] = m
                        if c != n - 1:
                            total = kind(cumulative - float(p[m]))
                            p[m] = 0
                            for q in p[m:]:
                                total = kind(total + q)
                            p = p / total
                        break
        return [out]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def connection_pattern(self, node):
        return [[False], [False]]

    def grad(self, inputs, out_grads):
        return [None, None]


def choice_from_uniform(pvals, unis, replace=False):
    """Theano's draws from the rows of ``pvals`` by ``unis`` (see ``ChoiceFromUniform``).

    >>> import numpy as np
    >>> p = np.array([[0.2, 0.5, 0.3]])
    >>> choice_from_uniform(p, np.array([[0.1], [0.9]])).eval().ravel()
    array([0, 2])
    """
    return ChoiceFromUniform(bool(replace))(pvals, unis)


# ---------------------------------------------------------------- numpy RandomState draws
# A RandomState's state (MT19937: 624 key words, the position, whether a second normal is
# cached, and that normal) packed in an int64 vector; the normal is kept as its IEEE bits.
RANDOM_STATE_LENGTH = 627


def pack_random_state(rng):
    """The int64 vector holding the state of the numpy ``RandomState`` ``rng``."""
    _, key, pos, has_gauss, cached = rng.get_state(legacy=True)
    packed = np.empty(RANDOM_STATE_LENGTH, dtype=np.int64)
    packed[:624] = key
    packed[624], packed[625] = pos, has_gauss
    packed[626:] = np.array([cached], dtype=np.float64).view(np.int64)
    return packed


def unpack_random_state(packed):
    """A new numpy ``RandomState`` in the state ``packed`` (see ``pack_random_state``)."""
    packed = np.asarray(packed)
    if packed.shape != (RANDOM_STATE_LENGTH,) or packed.dtype != np.int64:
        raise ValueError(f"a packed RandomState is an int64 vector of length "
                         f"{RANDOM_STATE_LENGTH}, got {packed.dtype} of shape {packed.shape}")
    rng = np.random.RandomState(0)
    cached = float(packed[626:].view(np.float64)[0])
    rng.set_state(("MT19937", packed[:624].astype(np.uint32), int(packed[624]),
                   int(packed[625]), cached))
    return rng


def _broadcast_indices(out_shape, *shapes):
    """Theano's ``_generate_broadcasting_indices``: index tuples into ``out_shape`` and into
    each of ``shapes`` (0 along their broadcast dimensions), in row-major order."""
    for index in np.ndindex(*out_shape):
        yield (index,) + tuple(tuple(0 if s[d] == 1 and out_shape[d] != 1 else index[d]
                                     for d in range(len(out_shape))) for s in shapes)


def _lift(value, ndim, what):
    if value.ndim > ndim:
        raise ValueError(f"{what}.ndim ({value.ndim}) should not be larger than len(size) "
                         f"({ndim})")
    return value.reshape((1,) * (ndim - value.ndim) + value.shape)


def _random_integers(rng, low, high, size):
    """Theano's ``random_integers_helper``: one draw per element, broadcasting low and high.
    numpy's ``random_integers(low, high)`` is ``randint(low, high + 1, dtype='l')`` (called
    directly: the same numbers without its deprecation warning)."""
    ndim = len(size) if size is not None else max(low.ndim, high.ndim)
    low, high = _lift(low, ndim, "low"), _lift(high, ndim, "high")
    shape = tuple(size) if size is not None else tuple(
        max(a, b) for a, b in zip(low.shape, high.shape))
    out = np.ndarray(shape)
    for out_index, low_index, high_index in _broadcast_indices(shape, low.shape, high.shape):
        out[out_index] = rng.randint(low[low_index], int(high[high_index]) + 1, dtype="l")
    return out


def _choice(rng, a, replace, p, size):
    """Theano's ``choice_helper``: numpy's ``choice``, ``p`` empty meaning None."""
    if a.ndim > 1:
        raise ValueError(f"a.ndim ({a.ndim}) must be 0 or 1")
    if p.ndim != 1:
        raise ValueError(f"p.ndim ({p.ndim}) must be 1")
    return rng.choice(a, size, bool(replace), None if p.size == 0 else p)


def _permutation(rng, n, size):
    """Theano's ``permutation_helper``: one ``permutation(n)`` per element of ``size``."""
    n = int(n.item())
    shape = () if size is None else tuple(size)
    out = np.empty(shape + (n,), int)
    for index in np.ndindex(*shape):
        out[index] = rng.permutation(n)
    return out


def _multinomial(rng, n, pvals, size):
    """Theano's ``multinomial_helper``: one ``multinomial(n, pvals)`` per row, broadcasting
    ``n`` and the rows of ``pvals``, with its tolerance for sums a little above 1."""
    ndim = len(size) if size is not None else max(n.ndim, pvals.ndim - 1)
    n = _lift(n, ndim, "n")
    if pvals.ndim - 1 > ndim:
        raise ValueError(f"pvals.ndim-1 ({pvals.ndim - 1}) should not be larger than "
                         f"len(size) ({ndim})")
    pvals = pvals.reshape((1,) * (ndim - pvals.ndim + 1) + pvals.shape)
    shape = tuple(size) if size is not None else tuple(
        max(a, b) for a, b in zip(n.shape, pvals.shape))
    out = np.ndarray(shape + (pvals.shape[-1],))
    if not pvals.min() >= 0:
        raise ValueError("multinomial: negative probabilities in pvals")
    for out_index, n_index, p_index in _broadcast_indices(shape, n.shape, pvals.shape[:-1]):
        row = pvals[p_index]
        total = np.sum(row)
        if 1.0 < total < 1.0 + 1e-5 or row[-1] < 5e-5:
            row = row * (1.0 - 5e-5)
            total = np.sum(row)
        if not total <= 1.0:
            raise ValueError(f"multinomial: the probabilities of a row sum to {total} > 1")
        out[out_index] = rng.multinomial(n=n[n_index], pvals=row.astype("float64"))
    return out


# The functions RandomFunction calls: RandomState methods by name, or Theano's helpers.
RANDOM_FUNCTIONS = {
    "uniform": np.random.RandomState.uniform,
    "normal": np.random.RandomState.normal,
    "binomial": np.random.RandomState.binomial,
    "poisson": np.random.RandomState.poisson,
    "random_integers": _random_integers,
    "choice": _choice,
    "permutation": _permutation,
    "multinomial": _multinomial,
}


@dataclass(frozen=True)
class RandomFunction(Op):
    """Theano's ``RandomFunction{fn}``: ``(new_state, sample)`` from ``(state, shape,
    *args)``, drawing with ``fn(RandomState, *args, shape)`` (``shape`` empty: None).

    ``state`` is a packed ``RandomState`` (``pack_random_state``); the draw runs on a new
    ``RandomState`` unpacked from it, so the input state is never changed and a function
    that fails leaves its shared state as it was.  ``broadcastable`` is the sample's pattern;
    ``ndim_added`` the dimensions the draw adds after ``shape`` (multinomial, permutation).
    """

    fn: str
    dtype: str
    broadcastable: tuple
    ndim_added: int = 0

    def make_node(self, state, shape, *args):
        if self.fn not in RANDOM_FUNCTIONS:
            raise ValueError(f"RandomFunction: unknown function {self.fn!r}")
        state, shape = as_tensor_variable(state), as_tensor_variable(shape)
        if state.type != TensorType("int64", (False,)):
            raise TypeError(f"RandomFunction: the state must be a packed RandomState (an "
                            f"int64 vector), got {state.type}")
        if shape.ndim != 1 or shape.dtype not in ("int32", "int64"):
            raise TypeError(f"RandomFunction: the shape must be an int vector, got {shape.type}")
        args = [as_tensor_variable(a) for a in args]
        sample = TensorType(self.dtype, tuple(self.broadcastable))
        return Apply(self, [state, shape] + args,
                     [state.type.make_variable(), sample.make_variable()])

    def perform(self, node, inputs):
        state, shape, args = inputs[0], inputs[1], list(inputs[2:])
        ndim = len(self.broadcastable)
        shape = None if len(shape) == 0 else tuple(int(s) for s in shape)
        if shape is not None and ndim != len(shape) + self.ndim_added:
            raise ValueError(f"Shape mismatch: the sample has {ndim} dimensions, the shape "
                             f"{shape} gives {len(shape) + self.ndim_added}")
        rng = unpack_random_state(state)
        value = np.asarray(RANDOM_FUNCTIONS[self.fn](rng, *args, shape), dtype=self.dtype)
        if shape is None and value.ndim == 0 and ndim > 0:
            value = value.reshape((1,) * ndim)
        if value.ndim != ndim:
            raise ValueError(f"Shape mismatch: the sample should have {ndim} dimensions, "
                             f"{self.fn} drew {value.ndim}")
        drawn = value.shape[:value.ndim - self.ndim_added]
        if shape is not None and shape != drawn:
            raise ValueError(f"Shape mismatch: the sample should have shape {shape}, "
                             f"{self.fn} drew {drawn}")
        return [pack_random_state(rng), value]

    def connection_pattern(self, node):
        return [[False, False] for _ in node.inputs]

    def grad(self, inputs, out_grads):
        return [None] * len(inputs)

    def __str__(self):
        return f"RandomFunction{{{self.fn}}}"

    __repr__ = __str__
