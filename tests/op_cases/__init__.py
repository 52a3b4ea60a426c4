"""Op-contract cases: each family module lists ``CASES``, checked by tests/test_op_contract.py.

A case builds a graph from symbolic inputs shaped like ``inputs`` and compares the compiled
result with ``expected``, an independent numpy computation of the same thing.
"""

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass
class OpCase:
    id: str
    build: Callable            # (*symbolic inputs) -> output variable (or list of them)
    inputs: list               # numpy arrays; their dtype and ndim give the symbolic inputs
    expected: Callable         # (*numpy arrays) -> numpy array (or list), written with numpy
    grad: bool = True          # check gradients by finite differences (float64 inputs)
    grad_wrt: Optional[list] = None  # indices of inputs to differentiate (default: floats)
    broadcastable: Optional[list] = None  # per input, its broadcast pattern (default: none)
    rtol: float = 1e-6
    atol: float = 1e-8
    extra: dict = field(default_factory=dict)


def all_cases():
    cases = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases.extend(getattr(module, "CASES", []))
    return cases
