"""Op-contract cases of arignote.printing (the Print op)."""

import numpy as np

from arignote.printing import Print

from . import OpCase

_rng = np.random.default_rng(7)


def _silent(op, value):
    """Print nothing: the contract test only checks the value and gradient."""


CASES = [
    OpCase("Print_passes_value", lambda x: Print("x", global_fn=_silent)(x) * 2.0,
           [_rng.standard_normal((3, 4))], lambda x: x * 2.0),
    OpCase("Print_default_fn", lambda x: Print("x")(x), [_rng.standard_normal(5)],
           lambda x: x, grad=False),
]
