"""Theano's ``theano.tensor.elemwise``: the ``Elemwise`` wrapper that maps a scalar op over
arrays with broadcasting, ``DimShuffle``, and the reductions.

>>> import arignote.tensor as T
>>> from arignote.tensor.elemwise import Elemwise, DimShuffle
>>> import arignote.scalar as scal
>>> x = T.dvector('x')
>>> y = Elemwise(scal.Exp())(x)
>>> isinstance(y.owner.op, T.Elemwise)
True
>>> DimShuffle((False,), ('x', 0))(x).broadcastable
(True, False)
"""

from ..compiler.ops.elemwise import (  # noqa: F401
    DimShuffle, Elemwise, ScalarOp, ShapeMismatchError)
from ..compiler.ops.reduce import All, Any, Argmax, Argmin, Max, Min, Prod, Sum  # noqa: F401
