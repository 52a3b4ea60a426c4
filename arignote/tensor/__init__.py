"""Theano's tensor namespace (``import arignote.tensor as T``).

Variable constructors (``T.matrix``, ``T.fvector``, ...), every op function (``T.exp``,
``T.dot``, ``T.sum``, ...), ``T.grad``, and the sub-namespaces ``T.nnet`` and ``T.signal``.
"""

from ..compiler.grad import grad  # noqa: F401
from ..compiler.graph import Apply, Constant, Variable  # noqa: F401
from ..compiler.ops import *  # noqa: F401,F403
from ..compiler.types import TensorType  # noqa: F401
from ..compiler.variable import (  # noqa: F401
    NotScalarConstantError, TensorConstant, TensorVariable, as_tensor_variable, constant,
    get_scalar_constant_value)
from .basic import *  # noqa: F401,F403
from . import nnet  # noqa: F401,E402

as_tensor = as_tensor_variable
