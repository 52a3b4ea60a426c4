"""Op-contract cases of ``transfer`` (the identity on the host backends)."""

import numpy as np

import arignote.tensor as T

from . import OpCase

A = np.random.default_rng(2).standard_normal((3, 4))

CASES = [
    OpCase("transfer_cpu", lambda x: T.transfer(x, "cpu") * 2, [A], lambda x: x * 2),
    OpCase("transfer_cuda_on_host", lambda x: T.transfer(x + 1, "cuda"), [A],
           lambda x: x + 1),
]
