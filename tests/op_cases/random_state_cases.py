"""Op-contract cases of Theano's random ops (arignote/compiler/ops/random.py):
``ChoiceFromUniform`` (Theano's MultinomialFromUniform / ChoiceFromUniform) and
``RandomFunction`` (numpy RandomState draws).

The expected values are plain loops written from Theano 1.0's C code, and numpy's own
``RandomState`` calls on a state unpacked by hand.
"""

import numpy as np

from arignote.compiler.ops.random import RandomFunction, choice_from_uniform

from . import OpCase


def theano_choice(pvals, unis, replace):
    """Theano's loop: cumulative sums in double, first one above u (-1 if none); without
    replacement, renormalise in the dtype of pvals after every draw but the last."""
    n, rows = unis.shape
    out = np.full((n, rows), -1, dtype=np.int64)
    for r in range(rows):
        row = [pvals.dtype.type(v) for v in pvals[r]]
        for c in range(n):
            cumulative = 0.0
            for m in range(len(row)):
                cumulative += float(row[m])
                if cumulative > float(unis[c, r]):
                    out[c, r] = m
                    if not replace and c < n - 1:
                        total = pvals.dtype.type(cumulative - float(row[m]))
                        row[m] = pvals.dtype.type(0)
                        for q in row[m:]:
                            total = pvals.dtype.type(total + q)
                        row = [pvals.dtype.type(q / total) for q in row]
                    break
    return out


def _state(seed):
    _, key, pos, has_gauss, cached = np.random.RandomState(seed).get_state(legacy=True)
    return np.concatenate([key.astype(np.int64), [pos, has_gauss],
                           np.array([cached]).view(np.int64)])


def _draw(state, method, *args):
    """``(new packed state, sample)``: ``method`` of a RandomState set to ``state``."""
    rng = np.random.RandomState()
    rng.set_state(("MT19937", state[:624].astype(np.uint32), int(state[624]),
                   int(state[625]), float(state[626:].view(np.float64)[0])))
    sample = getattr(rng, method)(*args)
    _, key, pos, has_gauss, cached = rng.get_state(legacy=True)
    packed = np.concatenate([key.astype(np.int64), [pos, has_gauss],
                             np.array([cached]).view(np.int64)])
    return [packed, sample]


_rng = np.random.default_rng(2)
PVALS = _rng.dirichlet(np.ones(6), size=3)
UNIS = _rng.uniform(size=(4, 3))
STATE = _state(5)
# A state with a cached second normal (normal draws come in pairs).
STATE_GAUSS = _draw(STATE, "normal", 0.0, 1.0, (3,))[0]

CASES = [
    OpCase("theano_multinomial_from_uniform",
           lambda p, u: choice_from_uniform(p, u, replace=True), [PVALS, UNIS],
           lambda p, u: theano_choice(p, u, True), grad=False),
    OpCase("theano_choice_without_replacement_float32",
           lambda p, u: choice_from_uniform(p, u), [PVALS.astype(np.float32), UNIS],
           lambda p, u: theano_choice(p, u, False), grad=False),
    OpCase("theano_choice_without_replacement_float64_unis32",
           lambda p, u: choice_from_uniform(p, u), [PVALS, UNIS.astype(np.float32)],
           lambda p, u: theano_choice(p, u, False), grad=False),
    OpCase("random_function_uniform",
           lambda s: list(RandomFunction("uniform", "float64", (False, False))(
               s, [2, 3], 0.0, 1.0)),
           [STATE], lambda s: _draw(s, "uniform", 0.0, 1.0, (2, 3)), grad=False, rtol=0,
           atol=0),
    OpCase("random_function_normal_cached_gaussian",
           lambda s: list(RandomFunction("normal", "float64", (False,))(s, [5], 1.0, 2.0)),
           [STATE_GAUSS], lambda s: _draw(s, "normal", 1.0, 2.0, (5,)), grad=False, rtol=0,
           atol=0),
    OpCase("random_function_binomial_symbolic_size",
           lambda s, n: list(RandomFunction("binomial", "int64", (False,))(s, [n], 3, 0.25)),
           [STATE, np.int64(7)], lambda s, n: _draw(s, "binomial", 3, 0.25, (int(n),)),
           grad=False),
]
