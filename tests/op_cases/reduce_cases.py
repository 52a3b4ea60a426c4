"""Op-contract cases of the reductions and cumulative ops (arignote/compiler/ops/reduce.py).

Expected values are numpy computations written independently of the ops.
"""

import numpy as np

import arignote.tensor as T

from . import OpCase

_rng = np.random.default_rng(7)

A = _rng.uniform(-2, 2, (3, 4))
POS = _rng.uniform(0.5, 1.5, (3, 4))
T3 = _rng.uniform(-2, 2, (2, 3, 4))
# Distinct values, so max/min have a unique position and finite differences are smooth.
DISTINCT = _rng.permutation(12).reshape(3, 4) / 3.0 - 2.0
# One group with no zero, one with a single zero, one with two zeros.
ZEROS = np.array([[0.5, 1.5, 2.0, -1.0], [0.7, 0.0, 1.3, 2.0], [0.0, 1.1, 0.0, 0.9]])
I8 = np.array([[100, 100, -3], [7, 100, 2]], dtype="int8")
BOOL = np.array([[True, False, True], [True, True, True]])

CASES = [
    # ---------------------------------------------------------------- sum, prod
    OpCase("sum_all", lambda x: T.sum(x), [A], lambda x: x.sum()),
    OpCase("sum_axis0", lambda x: T.sum(x, axis=0), [A], lambda x: x.sum(0)),
    OpCase("sum_neg_axis_keepdims", lambda x: T.sum(x, axis=-1, keepdims=True), [T3],
           lambda x: x.sum(-1, keepdims=True)),
    OpCase("sum_axes_02", lambda x: T.sum(x, axis=(0, 2)), [T3], lambda x: x.sum((0, 2))),
    OpCase("sum_int8_to_int64", lambda x: T.sum(x, axis=1), [I8],
           lambda x: x.astype("int64").sum(1), grad=False),
    OpCase("sum_bool", lambda x: T.sum(x), [BOOL], lambda x: np.int64(x.sum()), grad=False),
    OpCase("sum_float32", lambda x: T.sum(x, axis=0), [A.astype("float32")],
           lambda x: x.astype("float64").sum(0).astype("float32"), rtol=1e-6),
    OpCase("prod_axis1", lambda x: T.prod(x, axis=1), [POS], lambda x: x.prod(1)),
    OpCase("prod_with_zeros", lambda x: T.prod(x, axis=1), [ZEROS], lambda x: x.prod(1)),
    OpCase("prod_all_with_zero", lambda x: T.prod(x), [ZEROS[1:2]], lambda x: x.prod()),
    OpCase("prod_int8", lambda x: T.prod(x, axis=0), [I8],
           lambda x: x.astype("int64").prod(0), grad=False),
    # ---------------------------------------------------------------- max, min, arg*
    OpCase("max_axis1", lambda x: T.max(x, axis=1), [DISTINCT], lambda x: x.max(1)),
    OpCase("max_all_keepdims", lambda x: T.max(x, keepdims=True), [DISTINCT],
           lambda x: x.max(keepdims=True)),
    OpCase("min_axis0", lambda x: T.min(x, axis=0), [DISTINCT], lambda x: x.min(0)),
    OpCase("min_int8", lambda x: T.min(x, axis=1), [I8], lambda x: x.min(1), grad=False),
    OpCase("argmax_axis1", lambda x: T.argmax(x, axis=1), [DISTINCT], lambda x: x.argmax(1),
           grad=False),
    OpCase("argmax_none", lambda x: T.argmax(x), [T3], lambda x: np.int64(x.argmax()),
           grad=False),
    OpCase("argmin_axes_12", lambda x: T.argmin(x, axis=(1, 2)), [T3],
           lambda x: x.reshape(2, 12).argmin(1), grad=False),
    OpCase("argmin_keepdims", lambda x: T.argmin(x, axis=0, keepdims=True), [DISTINCT],
           lambda x: x.argmin(0)[None], grad=False),
    # ---------------------------------------------------------------- all, any
    OpCase("all_axis1", lambda x: T.all(x, axis=1), [BOOL], lambda x: x.all(1), grad=False),
    OpCase("any_float", lambda x: T.any(x > 1.0, axis=0), [A], lambda x: (x > 1).any(0),
           grad=False),
    OpCase("all_int", lambda x: T.all(x), [I8], lambda x: np.bool_(x.all()), grad=False),
    # ---------------------------------------------------------------- macros over sum
    OpCase("mean_axis0", lambda x: T.mean(x, axis=0), [A], lambda x: x.mean(0)),
    OpCase("mean_int", lambda x: T.mean(x), [I8], lambda x: np.float64(x.mean()),
           grad=False),
    OpCase("var_ddof1", lambda x: T.var(x, axis=1, ddof=1), [A], lambda x: x.var(1, ddof=1)),
    OpCase("std_corrected", lambda x: T.std(x, axis=0, corrected=True), [A],
           lambda x: x.std(0)),
    OpCase("norm_l1", lambda x: T.norm(x, 1, axis=1), [A], lambda x: np.abs(x).sum(1)),
    OpCase("norm_l2", lambda x: T.norm(x, 2), [A], lambda x: np.sqrt((x * x).sum())),
    OpCase("norm_l3", lambda x: T.norm(x, 3, axis=0), [A],
           lambda x: (np.abs(x) ** 3).sum(0) ** (1 / 3)),
    # ---------------------------------------------------------------- cumulative
    OpCase("cumsum_axis1", lambda x: T.cumsum(x, axis=1), [A], lambda x: x.cumsum(1)),
    OpCase("cumsum_none", lambda x: T.cumsum(x), [T3], lambda x: x.cumsum()),
    OpCase("cumsum_int8", lambda x: T.cumsum(x, axis=0), [I8],
           lambda x: x.astype("int64").cumsum(0), grad=False),
    OpCase("cumprod_axis0", lambda x: T.cumprod(x, axis=0), [POS], lambda x: x.cumprod(0)),
    OpCase("cumprod_none", lambda x: T.cumprod(x), [POS], lambda x: x.cumprod()),
]
