"""Op-contract cases of indexing (arignote/compiler/ops/subtensor.py).

Expected values are numpy indexing, ``np.add.at`` and ``np.nonzero`` on copies of the inputs.
"""

import numpy as np

import arignote.tensor as T

from . import OpCase

_rng = np.random.default_rng(3)

M = _rng.standard_normal((4, 5))
T3 = _rng.standard_normal((3, 4, 5))
V = _rng.standard_normal(6)
ROWS = np.array([2, 0, 2, 3], dtype="int64")
COLS = np.array([1, 4, 1, 0], dtype="int32")
IDX = np.array(2, dtype="int32")
N = np.array(3, dtype="int64")
Y2 = _rng.standard_normal((2, 4))
Y_ROWS = _rng.standard_normal((4, 5))
Y_PAIRS = _rng.standard_normal(4)
MASK = np.array([[True, False, True, False, True]] * 2 + [[False] * 5, [True] * 5])


def _set(x, index, y):
    out = x.copy()
    out[index] = y
    return out


def _inc(x, index, y):
    out = x.copy()
    np.add.at(out, index, y)
    return out


CASES = [
    # ---------------------------------------------------------------- basic reads
    OpCase("Subtensor_int_slice", lambda x: x[1, 1:4], [M], lambda x: x[1, 1:4]),
    OpCase("Subtensor_negative_step", lambda x: x[::-2, -1], [M], lambda x: x[::-2, -1]),
    OpCase("Subtensor_newaxis_ellipsis", lambda x: x[None, ..., 2], [T3],
           lambda x: x[None, ..., 2]),
    OpCase("Subtensor_symbolic_scalar", lambda x, i: x[:, i], [M, IDX], lambda x, i: x[:, i]),
    OpCase("Subtensor_symbolic_slice", lambda x, i, n: x[i - 1:n, ::i], [T3, IDX, N],
           lambda x, i, n: x[i - 1:n, ::i]),
    OpCase("Subtensor_scalar_result", lambda x: x[3, 4], [M], lambda x: x[3, 4]),
    OpCase("Subtensor_row_keeps_broadcast", lambda x: x[:, 1:3] * 2.0,
           [M[:1]], lambda x: x[:, 1:3] * 2.0, broadcastable=[(True, False)]),
    OpCase("SliceLength_symbolic", lambda x, n: T.slice_length(x.shape[0], 1, n, 2), [V, N],
           lambda x, n: np.array(len(x[1:n:2]), dtype="int64"), grad=False),
    OpCase("SliceLength_negative_step", lambda x, n: T.slice_length(x.shape[0], -n, None, -1),
           [V, N], lambda x, n: np.array(len(x[-n::-1]), dtype="int64"), grad=False),
    # ---------------------------------------------------------------- basic writes
    OpCase("IncSubtensor_inc", lambda x, y: T.inc_subtensor(x[1:3, :4], y), [M, Y2],
           lambda x, y: _inc(x, (slice(1, 3), slice(None, 4)), y)),
    OpCase("IncSubtensor_set", lambda x, y: T.set_subtensor(x[1:3, :4], y), [M, Y2],
           lambda x, y: _set(x, (slice(1, 3), slice(None, 4)), y)),
    OpCase("IncSubtensor_set_broadcast_scalar", lambda x, i: T.set_subtensor(x[i], 0.5),
           [M, IDX], lambda x, i: _set(x, i, 0.5)),
    OpCase("IncSubtensor_dimshuffled_target",
           lambda x, y: T.inc_subtensor(x[1:3, :4].T, y), [M, Y2.T.copy()],
           lambda x, y: _inc(x, (slice(1, 3), slice(None, 4)), y.T)),
    # ---------------------------------------------------------------- advanced reads
    OpCase("AdvancedSubtensor1_rows", lambda x, r: x[r], [M, ROWS], lambda x, r: x[r]),
    OpCase("AdvancedSubtensor1_take", lambda x, r: T.take(x, r, axis=0), [M, ROWS],
           lambda x, r: np.take(x, r, axis=0)),
    OpCase("AdvancedSubtensor_pairs", lambda x, r, c: x[r, c], [M, ROWS, COLS],
           lambda x, r, c: x[r, c]),
    OpCase("AdvancedSubtensor_arange_labels",
           lambda x, c: x[T.arange(x.shape[0]), c], [M, COLS],
           lambda x, c: x[np.arange(4), c]),
    OpCase("AdvancedSubtensor_mixed_slice", lambda x, c: x[1:, c, ::2], [T3, COLS % 4],
           lambda x, c: x[1:, c, ::2]),
    OpCase("AdvancedSubtensor_split_indices", lambda x, c: x[c[:3], :, c[1:]],
           [T3, np.array([1, 0, 2, 1], dtype="int32")], lambda x, c: x[c[:3], :, c[1:]]),
    OpCase("AdvancedSubtensor_mask", lambda x: x[x > 0], [M], lambda x: x[x > 0]),
    OpCase("AdvancedSubtensor_mask_constant", lambda x: x[MASK], [M], lambda x: x[MASK]),
    OpCase("AdvancedSubtensor_take_wrap", lambda x: T.take(x, [7, -8], axis=1, mode="wrap"),
           [M], lambda x: np.take(x, [7, -8], axis=1, mode="wrap")),
    # ---------------------------------------------------------------- advanced writes
    OpCase("AdvancedIncSubtensor1_duplicates", lambda x, y, r: T.inc_subtensor(x[r], y),
           [M, Y_ROWS, ROWS], lambda x, y, r: _inc(x, r, y)),
    OpCase("AdvancedIncSubtensor1_set", lambda x, y, r: T.set_subtensor(x[r[1:]], y[1:]),
           [M, Y_ROWS, ROWS], lambda x, y, r: _set(x, r[1:], y[1:])),
    OpCase("AdvancedIncSubtensor_duplicates", lambda x, y, r, c: T.inc_subtensor(x[r, c], y),
           [M, Y_PAIRS, ROWS, COLS], lambda x, y, r, c: _inc(x, (r, c), y)),
    OpCase("AdvancedIncSubtensor_set_mask", lambda x: T.set_subtensor(x[MASK], -1.0), [M],
           lambda x: _set(x, MASK, -1.0)),
    OpCase("AdvancedIncSubtensor_inc_mask", lambda x, y: T.inc_subtensor(x[x > 0], y[0]),
           [M, _rng.standard_normal(1)],
           lambda x, y: _inc(x, np.nonzero(x > 0), y[0]), broadcastable=[None, (True,)]),
    # ---------------------------------------------------------------- nonzero
    OpCase("Nonzero_matrix", lambda x: T.nonzero(x > 0, return_matrix=True), [M],
           lambda x: np.array(np.nonzero(x > 0)), grad=False),
    OpCase("Nonzero_tuple", lambda x: list(T.nonzero(x)),
           [np.array([[0, 1, 0], [2, 0, 3]], dtype="int32")],
           lambda x: list(np.nonzero(x)), grad=False),
    OpCase("Nonzero_values", lambda x: T.nonzero_values(x),
           [np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -3.0]])],
           lambda x: x[np.nonzero(x)], grad=False),
]
