"""Op-contract cases of sorting (arignote/compiler/ops/sort.py): numpy's stable sorts."""

import numpy as np

import arignote.tensor as T
from arignote.compiler.ops.sort import TakeAlong

from . import OpCase

RNG = np.random.default_rng(5)
A = RNG.permutation(24).reshape(4, 6).astype("float64") * 0.5 - 3.0  # distinct values
TIES = np.array([[2.0, 1.0, 2.0, np.nan, 1.0, -0.0], [0.0, np.nan, -1.0, 0.0, 5.0, 0.0]])
I8 = RNG.integers(-5, 5, (3, 7)).astype("int8")
U8 = RNG.integers(0, 255, (5,)).astype("uint8")
ORDER = np.argsort(A, axis=1, kind="stable").astype("int64")


def _stable(x, axis=-1):
    return np.argsort(x, axis=axis, kind="stable")


CASES = [
    OpCase("sort_last_axis", lambda x: T.sort(x), [A], lambda x: np.sort(x)),
    OpCase("sort_axis0", lambda x: T.sort(x, axis=0), [A], lambda x: np.sort(x, axis=0)),
    OpCase("sort_none", lambda x: T.sort(x, axis=None), [A], lambda x: np.sort(x, axis=None)),
    OpCase("sort_nan_ties", lambda x: T.sort(x), [TIES], lambda x: np.sort(x), grad=False),
    OpCase("sort_int8", lambda x: T.sort(x, axis=0), [I8], lambda x: np.sort(x, axis=0),
           grad=False),
    OpCase("argsort_ties_stable", lambda x: T.argsort(x, kind="quicksort"), [TIES],
           lambda x: _stable(x), grad=False),
    OpCase("argsort_axis0", lambda x: T.argsort(x, axis=0), [A], lambda x: _stable(x, 0),
           grad=False),
    OpCase("argsort_uint8", lambda x: T.argsort(x), [U8], lambda x: _stable(x), grad=False),
    OpCase("topk_3", lambda x: T.topk(x, 3), [A], lambda x: np.sort(x)[:, ::-1][:, :3]),
    OpCase("argtopk_smallest_2", lambda x: T.argtopk(x, -2, axis=0), [A],
           lambda x: _stable(x, 0)[:2], grad=False),
    OpCase("take_along", lambda x, o: TakeAlong(1)(x, o), [A, ORDER],
           lambda x, o: np.take_along_axis(x, o, axis=1), grad_wrt=[0]),
    OpCase("take_along_inverse", lambda x, o: TakeAlong(1, inverse=True)(x, o), [A, ORDER],
           lambda x, o: np.stack([np.bincount(o[r], weights=x[r], minlength=6)
                                  for r in range(4)]), grad_wrt=[0]),
]
