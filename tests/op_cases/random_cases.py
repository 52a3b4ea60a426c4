"""Op-contract cases of the random ops (arignote/compiler/ops/random.py).

The expected values come from MRG31k3p written from its definition, with plain modular
arithmetic on Python ints (the ops use L'Ecuyer's shift-and-mask form), and from
categorical draws written as plain loops.
"""

import numpy as np

from arignote.compiler.ops.random import categorical_from_uniform, mrg_uniform

from . import OpCase

M1, M2 = 2 ** 31 - 1, 2 ** 31 - 21069


def mrg31k3p(state, n):
    """``(new_state, integers)``: x1 = (2^22 x1[-2] + (2^7 + 1) x1[-3]) mod M1,
    x2 = (2^15 x2[-1] + (2^15 + 1) x2[-3]) mod M2, output x1 - x2 mod M1 in [1, M1];
    element i comes from stream (row) i % n_streams."""
    streams = [[int(w) for w in row] for row in state]
    out = []
    for i in range(n):
        s = streams[i % len(streams)]
        x1 = (2 ** 22 * s[1] + 129 * s[2]) % M1
        x2 = (2 ** 15 * s[3] + (2 ** 15 + 1) * s[5]) % M2
        s[:] = [x1, s[0], s[1], x2, s[3], s[4]]
        out.append(x1 - x2 if x1 > x2 else x1 - x2 + M1)
    return np.array(streams, dtype=np.int32), np.array(out, dtype=np.int64)


def uniform_reference(state, shape, dtype):
    new_state, integers = mrg31k3p(state, int(np.prod(shape)))
    if dtype == "float64":
        values = integers / 2.0 ** 31
    else:  # Theano's float32 factor: the largest keeping M1 * factor below 1
        values = integers.astype(np.float32) * np.float32(1.0 / (2 ** 31 + 65))
    return [new_state, values.astype(dtype).reshape(shape)]


def categorical_reference(pvals, unis, replace):
    n, rows = unis.shape
    out = np.zeros((n, rows), dtype=np.int64)
    for r in range(rows):
        p = [float(v) for v in pvals[0 if len(pvals) == 1 else r]]
        for c in range(n):
            target = float(unis[c, r])
            if not replace:
                target *= sum(p)
            total, pick = 0.0, max(m for m in range(len(p)) if p[m] > 0)
            for m, q in enumerate(p):
                total += q
                if total > target:
                    pick = m
                    break
            out[c, r] = pick
            if not replace:
                p[pick] = 0.0
    return out


_rng = np.random.default_rng(1)
STATE = np.concatenate([_rng.integers(1, M1, (4, 3)), _rng.integers(1, M2, (4, 3))],
                       axis=1).astype(np.int32)
ONE_STREAM = STATE[:1].copy()
PVALS = _rng.dirichlet(np.ones(5), size=3)
UNIS = _rng.uniform(size=(4, 3))

CASES = [
    OpCase("mrg_uniform_float64", lambda s: list(mrg_uniform(s, (3, 5))), [STATE],
           lambda s: uniform_reference(s, (3, 5), "float64"), grad=False, rtol=0, atol=0),
    OpCase("mrg_uniform_float32_symbolic_size",
           lambda s, n: list(mrg_uniform(s, (n, 2), "float32")), [STATE, np.int64(7)],
           lambda s, n: uniform_reference(s, (int(n), 2), "float32"), grad=False, rtol=0,
           atol=0),
    OpCase("mrg_uniform_one_stream_scalar", lambda s: list(mrg_uniform(s, ())), [ONE_STREAM],
           lambda s: uniform_reference(s, (), "float64"), grad=False, rtol=0, atol=0),
    OpCase("categorical_with_replacement",
           lambda p, u: categorical_from_uniform(p, u), [PVALS, UNIS],
           lambda p, u: categorical_reference(p, u, True), grad=False),
    OpCase("categorical_without_replacement_float32",
           lambda p, u: categorical_from_uniform(p, u, replace=False),
           [PVALS.astype(np.float32), UNIS],
           lambda p, u: categorical_reference(p, u, False), grad=False),
    OpCase("categorical_one_row_for_all",
           lambda p, u: categorical_from_uniform(p, u, replace=False),
           [PVALS[:1], UNIS.astype(np.float32)],
           lambda p, u: categorical_reference(p, u, False), grad=False,
           broadcastable=[(True, False), None]),
]
