"""Op-contract cases of the products (arignote/compiler/ops/blas.py): numpy's dot, tensordot,
outer, matmul and einsum give the expected values."""

import numpy as np

import arignote.tensor as T

from . import OpCase

_rng = np.random.default_rng(11)


def _normal(*shape):
    return _rng.standard_normal(shape)


CASES = [
    OpCase("Dot_vector_vector", lambda x, y: T.dot(x, y), [_normal(4), _normal(4)], np.dot),
    OpCase("Dot_matrix_vector", lambda x, y: T.dot(x, y), [_normal(3, 4), _normal(4)], np.dot),
    OpCase("Dot_vector_matrix", lambda x, y: T.dot(x, y), [_normal(3), _normal(3, 4)], np.dot),
    OpCase("Dot_matrix_matrix", lambda x, y: T.dot(x, y), [_normal(2, 3), _normal(3, 4)],
           np.dot),
    OpCase("Dot_int_float_upcast", lambda x, y: T.dot(x, y),
           [np.arange(6, dtype="int32").reshape(2, 3), _normal(3)], np.dot),
    OpCase("Dot_matmul_operator", lambda x, y: x @ y, [_normal(2, 3), _normal(3, 2)],
           lambda x, y: x @ y),
    OpCase("Dot_row_times_matrix", lambda x, y: T.dot(x, y), [_normal(1, 3), _normal(3, 2)],
           np.dot, broadcastable=[(True, False), None]),
    OpCase("Dot_tensor3_matrix", lambda x, y: T.dot(x, y), [_normal(2, 3, 4), _normal(4, 5)],
           np.dot),
    OpCase("Dot_matrix_tensor3", lambda x, y: T.dot(x, y), [_normal(2, 3), _normal(4, 3, 5)],
           np.dot),
    OpCase("Dot_outer", lambda x, y: T.outer(x, y), [_normal(3), _normal(2)], np.outer),
    OpCase("Dot_tensordot_int_axes", lambda x, y: T.tensordot(x, y, 2),
           [_normal(2, 3, 4), _normal(3, 4, 2)], lambda x, y: np.tensordot(x, y, 2)),
    OpCase("Dot_tensordot_axis_lists", lambda x, y: T.tensordot(x, y, [[0, 2], [2, 1]]),
           [_normal(2, 3, 4), _normal(5, 4, 2)],
           lambda x, y: np.tensordot(x, y, [[0, 2], [2, 1]])),
    OpCase("Dot_tensordot_zero_axes", lambda x, y: T.tensordot(x, y, 0),
           [_normal(2, 3), _normal(4)], lambda x, y: np.tensordot(x, y, 0)),
    OpCase("BatchedDot_3d_3d", lambda x, y: T.batched_dot(x, y),
           [_normal(3, 2, 4), _normal(3, 4, 5)], lambda x, y: np.einsum("bij,bjk->bik", x, y)),
    OpCase("BatchedDot_3d_2d", lambda x, y: T.batched_dot(x, y),
           [_normal(3, 2, 4), _normal(3, 4)], lambda x, y: np.einsum("bij,bj->bi", x, y)),
    OpCase("BatchedDot_2d_3d", lambda x, y: T.batched_dot(x, y),
           [_normal(3, 4), _normal(3, 4, 2)], lambda x, y: np.einsum("bj,bjk->bk", x, y)),
    OpCase("BatchedDot_2d_2d", lambda x, y: T.batched_dot(x, y),
           [_normal(3, 4), _normal(3, 4)], lambda x, y: np.einsum("bj,bj->b", x, y)),
    OpCase("BatchedDot_batched_tensordot", lambda x, y: T.batched_tensordot(x, y, [[1, 3], [2, 1]]),
           [_normal(2, 3, 4, 5), _normal(2, 5, 3, 2)],
           lambda x, y: np.einsum("bijk,bkil->bjl", x, y)),
]
