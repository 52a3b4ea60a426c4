"""Op-contract cases of ``transfer`` (the identity on the host backends; the rules of a
``transfer(x, 'cuda')`` output are tested in tests/test_cuda_contract.py)."""

import numpy as np

import arignote.tensor as T

from . import OpCase

A = np.random.default_rng(2).standard_normal((3, 4))

CASES = [
    OpCase("transfer_cpu", lambda x: T.transfer(x, "cpu") * 2, [A], lambda x: x * 2),
]
