"""Theano's ``theano.scalar``: dtype promotion, the scalar op classes and scalar types.

arignote has no separate scalar type: a scalar is a 0-d tensor, so ``theano.scalar.float64``
is ``TensorType('float64', ())`` and the functions here (``add``, ``exp``, ...) build the same
element-wise graphs as ``T.add``, ``T.exp``. The op classes (``Add``, ``Exp``, ...) are the
scalar ops that ``Elemwise`` maps over arrays; new ones subclass ``ScalarOp``.

>>> import arignote.scalar as scal
>>> scal.upcast('int8', 'float32')
'float32'
>>> x = scal.float64('x')
>>> x.type == scal.Scalar('float64')
True
>>> float(scal.exp(x).eval({x: 0.0}))
1.0
"""

from ..compiler import dtypes as _dt
from ..compiler.ops import scalar as _scalar_ops
from ..compiler.ops.elemwise import ScalarOp
from ..compiler.ops.scalar import *  # noqa: F401,F403
from ..compiler.types import TensorType
from ..compiler.variable import as_tensor_variable, constant  # noqa: F401

upcast = _dt.upcast
upgrade_to_float = _dt.upgrade_to_float


def Scalar(dtype):  # noqa: N802 (Theano's class name)
    """The type of scalars of ``dtype`` (a 0-d tensor type)."""
    return TensorType(dtype, ())


def as_scalar(value, name=None):
    """``value`` as a scalar (0-d) graph; a TypeError for anything with dimensions."""
    variable = as_tensor_variable(value, name=name)
    if variable.ndim != 0:
        raise TypeError(f"as_scalar: {variable} has {variable.ndim} dimensions")
    return variable


_OP_CLASSES = {name: value for name, value in vars(_scalar_ops).items()
               if isinstance(value, type) and issubclass(value, ScalarOp)
               and value is not ScalarOp and not name.startswith("_")}
globals().update(_OP_CLASSES)
_TYPES = {dtype: Scalar(dtype) for dtype in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64")}
globals().update(_TYPES)

__all__ = (["Scalar", "ScalarOp", "as_scalar", "constant", "upcast", "upgrade_to_float"]
           + list(_scalar_ops.__all__) + list(_OP_CLASSES) + list(_TYPES))
