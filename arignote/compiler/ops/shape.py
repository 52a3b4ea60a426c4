"""Shape ops: shapes, broadcast patterns, allocation, reshaping, joining and splitting.

``x.shape`` is a ``Shape`` node (an int64 vector); ``shape_i(x, i)`` is one length as an
int64 scalar, folded to the constant 1 on broadcastable dimensions.  ``alloc`` and ``fill``
build arrays of a given (symbolic) shape; ``zeros_like`` and ``ones_like`` are ``fill``.
"""

from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from ..graph import Apply, Constant
from ..op import Op
from ..types import TensorType
from ..variable import (NotScalarConstantError, as_tensor_variable, constant,
                        get_scalar_constant_value)
from .elemwise import dimshuffle, reduce_to_broadcastable

__all__ = ["shape", "shape_i", "shape_of", "patternbroadcast", "addbroadcast", "unbroadcast",
           "alloc", "fill", "second", "zeros_like", "ones_like"]


def _int64_scalar(value, what):
    """``value`` (a Python int or an integer scalar graph) as an int64 scalar variable."""
    value = as_tensor_variable(value)
    if value.ndim != 0 or not dt.is_discrete(value.dtype) or value.dtype == "bool":
        raise TypeError(f"{what} must be integer scalars, got {value} ({value.type})")
    if value.dtype != "int64":
        from .scalar import cast
        value = cast(value, "int64")
    return value


def _constant_int(value):
    """The int value of a constant scalar graph, or None."""
    try:
        return int(get_scalar_constant_value(value))
    except (NotScalarConstantError, TypeError, ValueError):
        return None


# ----------------------------------------------------------------------- shapes
@dataclass(frozen=True)
class Shape(Op):
    """The shape of a tensor, as an int64 vector (``x.shape``)."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (False,)).make_variable()])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].shape, dtype="int64")]

    def infer_shape(self, node, input_shapes):
        return [[constant(node.inputs[0].ndim, dtype="int64")]]

    def grad(self, inputs, out_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


@dataclass(frozen=True)
class ShapeI(Op):
    """The length of dimension ``i`` of a tensor, as an int64 scalar."""

    i: int

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not 0 <= self.i < x.ndim:
            raise TypeError(f"shape_i: dimension {self.i} of a {x.ndim}-d tensor ({x.type})")
        return Apply(self, [x], [TensorType("int64", ()).make_variable()])

    def perform(self, node, inputs):
        return [np.asarray(inputs[0].shape[self.i], dtype="int64")]

    def infer_shape(self, node, input_shapes):
        return [[]]

    def grad(self, inputs, out_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]

    def constant_value(self, node, index):
        """1 on a broadcastable dimension, the length for a constant input, else None."""
        (x,) = node.inputs
        if x.broadcastable[self.i]:
            return 1
        if isinstance(x, Constant):
            return x.data.shape[self.i]
        return None


def shape(x):
    """The shape of ``x`` as a symbolic int64 vector (Theano's ``x.shape``).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dmatrix()
    >>> T.shape(x).eval({x: np.zeros((2, 3))}).tolist()
    [2, 3]
    """
    return Shape()(x)


def shape_i(x, i):
    """Length of dimension ``i`` of ``x`` (an int64 scalar; the constant 1 if broadcastable)."""
    x = as_tensor_variable(x)
    i = int(i)
    if i < 0:
        i += x.ndim
    if 0 <= i < x.ndim and x.broadcastable[i]:
        return constant(1, dtype="int64")
    if isinstance(x, Constant):
        return constant(x.data.shape[i], dtype="int64")
    return ShapeI(i)(x)


def shape_of(x):
    """The shape of ``x`` as a list of int64 scalars, one per dimension."""
    x = as_tensor_variable(x)
    return [shape_i(x, i) for i in range(x.ndim)]


# ----------------------------------------------------------------------- broadcast patterns
@dataclass(frozen=True)
class Rebroadcast(Op):
    """Change the broadcast flags of some axes: ``axes`` is a tuple of (axis, flag) pairs.

    Setting a flag asserts at run time that the dimension has length 1.
    """

    axes: tuple
    view_map = {0: [0]}

    def make_node(self, x):
        x = as_tensor_variable(x)
        broadcastable = list(x.broadcastable)
        for axis, flag in self.axes:
            if not 0 <= axis < x.ndim:
                raise ValueError(f"Rebroadcast: axis {axis} of a {x.ndim}-d tensor ({x.type})")
            broadcastable[axis] = bool(flag)
        return Apply(self, [x], [TensorType(x.dtype, broadcastable).make_variable()])

    def perform(self, node, inputs):
        (x,) = inputs
        for axis, flag in self.axes:
            if flag and x.shape[axis] != 1:
                raise ValueError(f"dimension {axis} was declared broadcastable (length 1) but "
                                 f"the array has shape {x.shape}")
        return [x]

    def infer_shape(self, node, input_shapes):
        shape = list(input_shapes[0])
        for axis, flag in self.axes:
            if flag:
                shape[axis] = constant(1, dtype="int64")
        return [shape]

    def grad(self, inputs, out_grads):
        (x,), (gz,) = inputs, out_grads
        return [patternbroadcast(gz, x.broadcastable)]


def patternbroadcast(x, broadcastable):
    """``x`` with the broadcast pattern ``broadcastable`` (checked at run time).

    >>> import arignote.tensor as T
    >>> T.patternbroadcast(T.matrix(), (True, False)).broadcastable
    (True, False)
    """
    x = as_tensor_variable(x)
    broadcastable = tuple(bool(b) for b in broadcastable)
    if len(broadcastable) != x.ndim:
        raise ValueError(f"patternbroadcast: pattern {broadcastable} for a {x.ndim}-d tensor")
    axes = tuple((a, b) for a, (b, old) in enumerate(zip(broadcastable, x.broadcastable))
                 if b != old)
    return Rebroadcast(axes)(x) if axes else x


def _axes(x, axes):
    return [a + x.ndim if a < 0 else a for a in axes]


def addbroadcast(x, *axes):
    """``x`` with ``axes`` made broadcastable (asserting at run time they have length 1)."""
    x = as_tensor_variable(x)
    pattern = list(x.broadcastable)
    for a in _axes(x, axes):
        pattern[a] = True
    return patternbroadcast(x, pattern)


def unbroadcast(x, *axes):
    """``x`` with ``axes`` made not broadcastable."""
    x = as_tensor_variable(x)
    pattern = list(x.broadcastable)
    for a in _axes(x, axes):
        pattern[a] = False
    return patternbroadcast(x, pattern)


# ----------------------------------------------------------------------- allocation
@dataclass(frozen=True)
class Alloc(Op):
    """An array of the shape given by the scalar inputs 1.., filled with input 0 (broadcast).

    Dimensions of the value that are not broadcastable must match the shape exactly.
    """

    def make_node(self, value, *shape):
        value = as_tensor_variable(value)
        shape = [_int64_scalar(s, "alloc: the shape") for s in shape]
        if len(shape) < value.ndim:
            raise TypeError(f"alloc: the value has {value.ndim} dimensions but the shape "
                            f"only {len(shape)}")
        broadcastable = tuple(_constant_int(s) == 1 for s in shape)
        out = TensorType(value.dtype, broadcastable).make_variable()
        return Apply(self, [value] + shape, [out])

    def perform(self, node, inputs):
        value, shape = inputs[0], tuple(int(s) for s in inputs[1:])
        if any(s < 0 for s in shape):
            raise ValueError(f"alloc: negative length in shape {shape}")
        tail = shape[len(shape) - value.ndim:]
        flags = node.inputs[0].broadcastable
        for axis, (length, target, flag) in enumerate(zip(value.shape, tail, flags)):
            if length != target and not (flag and length == 1):
                raise ValueError(f"alloc: cannot fill shape {shape} with a value of shape "
                                 f"{value.shape}: dimension {axis} of the value must have "
                                 f"length {target}, or length 1 and be broadcastable")
        out = np.empty(shape, dtype=node.outputs[0].dtype)
        out[...] = value
        return [out]

    def infer_shape(self, node, input_shapes):
        return [list(node.inputs[1:])]

    def grad(self, inputs, out_grads):
        value, (gz,) = inputs[0], out_grads
        return [reduce_to_broadcastable(gz, value)] + [None] * (len(inputs) - 1)

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)


def alloc(value, *shape):
    """An array of ``shape`` (ints or int scalar graphs) filled with ``value``.

    >>> import arignote.tensor as T
    >>> T.alloc(1.5, 2, 3).eval().tolist()
    [[1.5, 1.5, 1.5], [1.5, 1.5, 1.5]]
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Alloc()(value, *shape)


def fill(model, value):
    """An array shaped like ``model`` (broadcast with ``value``) filled with ``value``.

    Theano's ``T.fill`` (``second``): the dtype is ``value``'s.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> T.fill(x, 7).eval({x: np.zeros(3)}).tolist()
    [7, 7, 7]
    """
    model, value = as_tensor_variable(model), as_tensor_variable(value)
    ndim = max(model.ndim, value.ndim)
    dims = []
    for axis in range(ndim):
        model_axis, value_axis = axis - (ndim - model.ndim), axis - (ndim - value.ndim)
        if model_axis >= 0 and not model.broadcastable[model_axis]:
            dims.append(shape_i(model, model_axis))
        elif value_axis >= 0 and not value.broadcastable[value_axis]:
            dims.append(shape_i(value, value_axis))
        else:
            dims.append(1)
    return alloc(value, *dims)


second = fill


def zeros_like(model, dtype=None, opt=False):
    """Zeros of the shape of ``model`` and its dtype (or ``dtype``)."""
    model = as_tensor_variable(model)
    return fill(model, constant(0, dtype=dtype or model.dtype))


def ones_like(model, dtype=None, opt=False):
    """Ones of the shape of ``model`` and its dtype (or ``dtype``)."""
    model = as_tensor_variable(model)
    return fill(model, constant(1, dtype=dtype or model.dtype))
