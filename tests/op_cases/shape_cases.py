"""Op-contract cases of the shape ops (arignote/compiler/ops/shape.py).

Expected values are numpy computations written independently of the ops.
"""

import numpy as np

import arignote.tensor as T

from . import OpCase

_rng = np.random.default_rng(11)

A = _rng.uniform(-2, 2, (3, 4))
B = _rng.uniform(-2, 2, (2, 4))
C = _rng.uniform(-2, 2, (3, 4))
V = _rng.uniform(-2, 2, (3,))
ROW = _rng.uniform(-2, 2, (1, 4))
T3 = _rng.uniform(-2, 2, (2, 3, 4))
S = np.array(1.5)
I64 = np.array([[1, 2, 3], [4, 5, 6]], dtype="int64")
N = np.array(3, dtype="int64")

CASES = [
    # ---------------------------------------------------------------- shapes, patterns
    OpCase("shape", lambda x: T.shape(x), [T3], lambda x: np.array(x.shape), grad=False),
    OpCase("shape_i", lambda x: T.shape_i(x, 1), [T3], lambda x: np.int64(x.shape[1]),
           grad=False),
    OpCase("addbroadcast", lambda x: T.addbroadcast(x, 0) * 2.0, [ROW], lambda x: x * 2),
    OpCase("unbroadcast", lambda x: T.unbroadcast(x, 0), [ROW], lambda x: x,
           broadcastable=[(True, False)]),
    OpCase("patternbroadcast_col", lambda x: T.patternbroadcast(x, (False, True)),
           [A[:, :1]], lambda x: x),
    # ---------------------------------------------------------------- allocation
    OpCase("alloc_row", lambda x: T.alloc(x, 3, 4), [ROW], lambda x: np.tile(x, (3, 1)),
           broadcastable=[(True, False)]),
    OpCase("alloc_scalar", lambda s: T.alloc(s, 2, 3), [S], lambda s: np.full((2, 3), s)),
    OpCase("alloc_symbolic_shape", lambda x, n: T.alloc(x, n, x.shape[0]), [V, N],
           lambda x, n: np.tile(x, (n, 1))),
    OpCase("zeros_like", lambda x: T.zeros_like(x) + x, [A], lambda x: x),
    OpCase("ones_like_int32", lambda x: T.ones_like(x, dtype="int32"), [A],
           lambda x: np.ones(x.shape, "int32"), grad=False),
    OpCase("fill", lambda x, s: T.fill(x, s), [A, S], lambda x, s: np.full(x.shape, s)),
    OpCase("zeros_shape_of", lambda x: T.zeros(x.shape) + x, [A], lambda x: x),
    OpCase("ones_tuple", lambda n: T.ones((n, 2), dtype="int8"), [N],
           lambda n: np.ones((n, 2), "int8"), grad=False),
    OpCase("eye", lambda n: T.eye(n, n + 1, 1), [N], lambda n: np.eye(n, n + 1, 1),
           grad=False),
    OpCase("identity_like", lambda x: T.identity_like(x), [A], lambda x: np.eye(3, 4),
           grad=False),
    OpCase("arange_int", lambda n: T.arange(1, n * 3, 2), [N], lambda n: np.arange(1, 9, 2),
           grad=False),
    OpCase("arange_float", lambda start, stop, step: T.arange(start, stop, step),
           [np.array(0.25), np.array(3.0), np.array(0.5)],
           lambda start, stop, step: np.arange(start, stop, step), grad_wrt=[0, 2]),
    # ---------------------------------------------------------------- vectors of scalars
    OpCase("stack_scalars", lambda a, b: T.stack([a, b * 2.0, a]),
           [np.array(1.5), np.array(-0.5)], lambda a, b: np.array([a, b * 2, a])),
    OpCase("make_vector_int", lambda n: T.make_vector(n, n + 1, dtype="int64"), [N],
           lambda n: np.array([n, n + 1]), grad=False),
    # ---------------------------------------------------------------- reshaping
    OpCase("reshape_const", lambda x: T.reshape(x, (2, -1, 2)), [A],
           lambda x: x.reshape(2, -1, 2)),
    OpCase("reshape_symbolic", lambda x: T.reshape(x, (x.shape[1], x.shape[0])), [A],
           lambda x: x.reshape(4, 3)),
    OpCase("reshape_vector", lambda x, s: T.reshape(x, s, ndim=2), [A, np.array([6, 2])],
           lambda x, s: x.reshape(6, 2), grad_wrt=[0]),
    OpCase("reshape_vector_minus1", lambda x, s: T.reshape(x, s, ndim=2),
           [A, np.array([-1, 3])], lambda x, s: x.reshape(-1, 3), grad_wrt=[0]),
    OpCase("reshape_length1", lambda x: T.reshape(x, (1, 12)), [A],
           lambda x: x.reshape(1, 12)),
    OpCase("flatten", lambda x: T.flatten(x), [T3], lambda x: x.reshape(-1)),
    OpCase("flatten2", lambda x: T.flatten(x, 2), [T3], lambda x: x.reshape(2, 12)),
    OpCase("squeeze", lambda x: T.squeeze(x), [ROW], lambda x: x[0],
           broadcastable=[(True, False)]),
    OpCase("specify_shape", lambda x: T.specify_shape(x, (3, 4)), [A], lambda x: x),
    # ---------------------------------------------------------------- joining, splitting
    OpCase("join0", lambda x, y: T.join(0, x, y), [A, B], lambda x, y: np.concatenate([x, y])),
    OpCase("concatenate_neg", lambda x, y: T.concatenate([x, y, x], axis=-1), [A, C],
           lambda x, y: np.concatenate([x, y, x], axis=-1)),
    OpCase("join_int_float", lambda x, y: T.join(0, x, y), [I64, B[:, :3]],
           lambda x, y: np.concatenate([x, y]), grad_wrt=[1]),
    OpCase("stack_axis1", lambda x, y: T.stack([x, y], axis=1), [A, C],
           lambda x, y: np.stack([x, y], axis=1)),
    OpCase("stack_old_form", lambda x, y: T.stack(x, y), [V, V * 2],
           lambda x, y: np.stack([x, y])),
    OpCase("split_first", lambda x: T.split(x, [1, 3], 2, axis=1)[0], [A],
           lambda x: x[:, :1]),
    OpCase("split_all", lambda x: T.split(x, [2, 0, 1], 3), [A],
           lambda x: [x[:2], x[2:2], x[2:]], grad=False),
    OpCase("split_second_grad", lambda x: T.split(x, [1, 1, 1], 3)[1] * 3.0, [A],
           lambda x: x[1:2] * 3),
    # ---------------------------------------------------------------- tile, repeat, roll
    OpCase("tile", lambda x: T.tile(x, (2, 1, 3)), [A], lambda x: np.tile(x, (2, 1, 3))),
    OpCase("repeat_scalar", lambda x: T.repeat(x, 2, axis=1), [A],
           lambda x: np.repeat(x, 2, axis=1)),
    OpCase("repeat_none", lambda x: T.repeat(x, 3), [A], lambda x: np.repeat(x, 3)),
    OpCase("repeat_vector", lambda x: T.repeat(x, np.array([2, 0, 1]), axis=0), [A],
           lambda x: np.repeat(x, [2, 0, 1], axis=0)),
    OpCase("roll_axis", lambda x: T.roll(x, -1, axis=1), [A], lambda x: np.roll(x, -1, 1)),
    OpCase("roll_none", lambda x: T.roll(x, 5), [A], lambda x: np.roll(x, 5)),
    # ---------------------------------------------------------------- diagonals
    OpCase("diag_vector", lambda x: T.diag(x), [V], lambda x: np.diag(x)),
    OpCase("diag_vector_k", lambda x: T.diag(x, k=-2), [V], lambda x: np.diag(x, -2)),
    OpCase("diag_matrix", lambda x: T.diag(x, k=1), [A], lambda x: np.diag(x, 1)),
    OpCase("diagonal_3d", lambda x: T.diagonal(x, 1, 2, 1), [T3],
           lambda x: np.diagonal(x, 1, 2, 1)),
]
