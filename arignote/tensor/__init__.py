"""Theano's tensor namespace (``import arignote.tensor as T``).

Variable constructors (``T.matrix``, ``T.fvector``, ...), every op function (``T.exp``,
``T.dot``, ``T.sum``, ...), ``T.grad``, and the sub-namespaces ``T.nnet`` and ``T.signal``.
"""

import importlib

from ..compiler.grad import grad  # noqa: F401
from ..gradient import (  # noqa: F401
    Lop, Rop, consider_constant, hessian, jacobian, verify_grad)
from ..compiler.graph import Apply, Constant, Variable  # noqa: F401
from ..compiler.ops import *  # noqa: F401,F403
from ..compiler.types import TensorType  # noqa: F401
from ..compiler.variable import (  # noqa: F401
    NotScalarConstantError, TensorConstant, TensorVariable, as_tensor_variable, constant,
    get_scalar_constant_value)
from .basic import *  # noqa: F401,F403
# The star import above binds ``nnet`` to arignote.compiler.ops.nnet, which would make
# ``from . import nnet`` skip loading the package; import T.nnet explicitly instead.
nnet = importlib.import_module(".nnet", __name__)
shared_randomstreams = importlib.import_module(".shared_randomstreams", __name__)
signal = importlib.import_module(".signal", __name__)
elemwise = importlib.import_module(".elemwise", __name__)
from .elemwise import DimShuffle, Elemwise  # noqa: F401,E402
from .grid import mgrid, ogrid  # noqa: F401,E402
utils = importlib.import_module(".utils", __name__)
sharedvar = importlib.import_module("..runtime.shared", __name__)

as_tensor = as_tensor_variable
