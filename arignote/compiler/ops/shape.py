"""Shape ops: shapes, broadcast patterns, allocation, reshaping, joining and splitting.

``x.shape`` is a ``Shape`` node (an int64 vector); ``shape_i(x, i)`` is one length as an
int64 scalar, folded to the constant 1 on broadcastable dimensions.  ``alloc`` and ``fill``
build arrays of a given (symbolic) shape; ``zeros_like`` and ``ones_like`` are ``fill``.
"""

import builtins
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
           "alloc", "fill", "second", "zeros_like", "ones_like", "make_vector", "reshape",
           "flatten", "squeeze", "shape_padleft", "shape_padright", "shape_padaxis",
           "specify_shape", "join", "concatenate", "stack", "stacklists", "horizontal_stack",
           "vertical_stack", "split", "tile", "repeat", "roll", "zeros", "ones", "eye",
           "identity_like", "arange", "diagonal", "diag", "get_vector_length"]


def _int64_scalar(value, what):
    """``value`` (a Python int or an integer scalar graph) as an int64 scalar variable."""
    value = as_tensor_variable(value)
    if value.ndim != 0 or not dt.is_discrete(value.dtype) or value.dtype == "bool":
        raise TypeError(f"{what} must be integer scalars, got {value} ({value.type})")
    if value.dtype != "int64" and isinstance(value, Constant):
        return constant(value.data, dtype="int64")
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
    if not isinstance(model, Constant) and all(model.broadcastable) and model.ndim <= value.ndim:
        # No length comes from the model: keep it in the graph (Theano's ``second``), so that
        # function([x], T.grad(c, x, disconnected_inputs='ignore')) still uses x.
        from .elemwise import Elemwise
        from .scalar import Second
        return Elemwise(Second())(model, value)
    return fill_shape(model, value)


def fill_shape(model, value):
    """``fill`` built as an ``Alloc`` of ``value`` that reads only the model's lengths."""
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


def _ops():
    from .. import ops
    return ops


def _vector_elements(vector):
    """The elements of an int vector graph as scalars, when its length is known, else None."""
    if isinstance(vector, Constant):
        return [constant(v, dtype="int64") for v in np.asarray(vector.data).reshape(-1)]
    owner = vector.owner
    if owner is not None and isinstance(owner.op, Shape):
        return shape_of(owner.inputs[0])
    if owner is not None and isinstance(owner.op, MakeVector):
        return [_int64_scalar(v, "shape elements") for v in owner.inputs]
    if owner is not None and isinstance(owner.op, Join) and owner.inputs[0].ndim == 1:
        parts = [_vector_elements(v) for v in owner.inputs]
        return None if None in parts else [e for part in parts for e in part]
    from .subtensor import Subtensor
    if owner is not None and isinstance(owner.op, Subtensor) and len(owner.inputs) == 1 \
            and len(owner.op.idx_list) == 1:
        # A constant slice of a vector of known elements, as x.shape[1:] or x.shape[::-1].
        (entry,) = owner.op.idx_list
        if isinstance(entry, tuple) and all(v is None or isinstance(v, int) for v in entry):
            elements = _vector_elements(owner.inputs[0])
            return None if elements is None else elements[slice(*entry)]
    return None


def get_vector_length(v):
    """The length of the vector graph ``v``, when it is known while the graph is built.

    Theano's ``T.get_vector_length``: shapes, stacks of scalars, constants, joins and constant
    slices of those have a known length. Raises ``TypeError`` for a graph that is not a vector
    and ``ValueError`` when the length is only known at run time.

    >>> import arignote.tensor as T
    >>> T.get_vector_length(T.matrix().shape)
    2
    """
    v = as_tensor_variable(v)
    if v.ndim != 1:
        raise TypeError(f"get_vector_length: {v} is not a vector ({v.type})")
    if v.broadcastable[0]:
        return 1
    if isinstance(v, Constant):
        return len(np.asarray(v.data))
    owner = v.owner
    if owner is not None and isinstance(owner.op, Shape):
        return owner.inputs[0].ndim
    if owner is not None and isinstance(owner.op, MakeVector):
        return len(owner.inputs)
    if owner is not None and isinstance(owner.op, Join) and owner.inputs[0].ndim == 1:
        return sum(get_vector_length(part) for part in owner.inputs)
    from .subtensor import Subtensor
    if owner is not None and isinstance(owner.op, Subtensor) and len(owner.inputs) == 1 \
            and len(owner.op.idx_list) == 1:
        (entry,) = owner.op.idx_list
        if isinstance(entry, tuple) and all(e is None or isinstance(e, int) for e in entry):
            return len(range(*slice(*entry).indices(get_vector_length(owner.inputs[0]))))
    raise ValueError(f"get_vector_length: the length of {v} is only known at run time")


def _shape_list(shape, what):
    """A shape (int, tuple or list of ints and int scalar graphs, or an int vector graph of
    known length) as a list of int64 scalar graphs."""
    if isinstance(shape, (list, tuple)):
        return [_int64_scalar(s, what) for s in shape]
    shape = as_tensor_variable(shape)
    if shape.ndim == 0:
        return [_int64_scalar(shape, what)]
    if shape.ndim != 1 or not dt.is_discrete(shape.dtype):
        raise TypeError(f"{what} must be a list of ints or an int vector, got {shape.type}")
    elements = _vector_elements(shape)
    if elements is None:
        raise TypeError(f"{what}: the length of the vector {shape} is not known; pass the "
                        f"shape as a tuple of scalars (e.g. (v[0], v[1]))")
    return elements


def _shape_vector(elements):
    """A list of int64 scalar graphs as one int64 vector (a constant when all are)."""
    values = [_constant_int(e) for e in elements]
    if all(v is not None for v in values):
        return constant(np.asarray(values, dtype="int64").reshape(len(values)))
    return MakeVector("int64")(*elements)


# ----------------------------------------------------------------------- vectors of scalars
@dataclass(frozen=True)
class MakeVector(Op):
    """A vector of ``dtype`` from scalar inputs (``stack`` of scalars; shapes)."""

    dtype: str

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(v) for v in inputs]
        cast = _ops().cast
        converted = []
        for position, v in enumerate(inputs):
            if v.ndim != 0:
                raise TypeError(f"MakeVector: input {position} is not a scalar ({v.type})")
            if dt.upcast(v.dtype, self.dtype) != self.dtype and not isinstance(v, Constant):
                raise TypeError(f"MakeVector: input {position} of dtype {v.dtype} does not "
                                f"fit in {self.dtype} without loss; cast it first")
            converted.append(cast(v, self.dtype))
        out = TensorType(self.dtype, (len(inputs) == 1,)).make_variable()
        return Apply(self, converted, [out])

    def perform(self, node, inputs):
        return [np.asarray(inputs, dtype=self.dtype).reshape(len(inputs))]

    def infer_shape(self, node, input_shapes):
        return [[constant(len(node.inputs), dtype="int64")]]

    def grad(self, inputs, out_grads):
        (gz,) = out_grads
        return [None if dt.is_discrete(v.dtype) else gz[i] for i, v in enumerate(inputs)]


def make_vector(*values, dtype=None):
    """A vector from scalars (an upcast dtype unless ``dtype`` is given)."""
    values = [as_tensor_variable(v) for v in values]
    dtype = dt.check_dtype(dtype) if dtype else dt.upcast(*[v.dtype for v in values])
    return MakeVector(dtype)(*values)


# ----------------------------------------------------------------------- reshaping
@dataclass(frozen=True)
class Reshape(Op):
    """``x`` reshaped to the int vector input 1, of static length ``ndim`` (-1 allowed once).

    A constant length 1 in the requested shape makes that dimension broadcastable.
    """

    ndim: int
    view_map = {0: [0]}

    def make_node(self, x, shape):
        x, shape = as_tensor_variable(x), as_tensor_variable(shape)
        if shape.ndim != 1 or not dt.is_discrete(shape.dtype) or shape.dtype == "bool":
            raise TypeError(f"reshape: the shape must be an int vector, got {shape.type}")
        # Elements read before the cast to int64: T.stack([1, n]) of an int32 n is a
        # MakeVector{int32}, whose known elements a cast vector would hide.
        elements = _vector_elements(shape)
        if shape.dtype != "int64":
            shape = _ops().cast(shape, "int64")
        if elements is not None and len(elements) != self.ndim:
            raise ValueError(f"reshape: a shape of length {len(elements)} for ndim={self.ndim}")
        if elements is None:
            broadcastable = (False,) * self.ndim
        else:
            broadcastable = tuple(_reshape_length(e) == 1 for e in elements)
        out = TensorType(x.dtype, broadcastable).make_variable()
        return Apply(self, [x, shape], [out])

    def perform(self, node, inputs):
        x, shape = inputs
        shape = tuple(int(s) for s in shape)
        if len(shape) != self.ndim:
            raise ValueError(f"reshape: got a shape of length {len(shape)} for ndim={self.ndim}")
        if sum(1 for s in shape if s == -1) > 1 or any(s < -1 for s in shape):
            raise ValueError(f"reshape: invalid shape {shape} (at most one -1, no other "
                             f"negative lengths)")
        try:
            return [np.reshape(x, shape)]
        except ValueError:
            raise ValueError(f"reshape: cannot reshape an array of shape {x.shape} "
                             f"({x.size} elements) into shape {shape}") from None

    def infer_shape(self, node, input_shapes):
        o = _ops()
        x, shape = node.inputs
        elements = _vector_elements(shape)
        if elements is None:
            elements = [shape[i] for i in range(self.ndim)]
        total = o.mul(*input_shapes[0]) if input_shapes[0] else constant(1, dtype="int64")
        known = [_constant_int(e) for e in elements]
        if all(k is not None for k in known):
            rest = int(np.prod([k for k in known if k != -1]))
            missing = o.int_div(total, constant(rest, dtype="int64"))
            return [[missing if k == -1 else e for k, e in zip(known, elements)]]
        missing = o.int_div(total, o.neg(o.mul(*elements)))
        return [[e if k is not None and k != -1 else
                 (missing if k == -1 else o.switch(o.eq(e, -1), missing, e))
                 for k, e in zip(known, elements)]]

    def grad(self, inputs, out_grads):
        (x, _), (gz,) = inputs, out_grads
        return [reshape(gz, shape_of(x)), None]

    def connection_pattern(self, node):
        return [[True], [False]]


def _reshape_length(element):
    """The constant value of a requested length, or None: integer casts are looked through,
    as stacking a Python int with int64 scalars casts its small int constant."""
    from .elemwise import Elemwise
    from .scalar import Cast
    while element.owner is not None and isinstance(element.owner.op, Elemwise) and \
            isinstance(element.owner.op.scalar_op, Cast) and \
            dt.is_discrete(element.owner.inputs[0].dtype):
        element = element.owner.inputs[0]
    return _constant_int(element)


def reshape(x, newshape, ndim=None):
    """``x`` with shape ``newshape``: a tuple of ints and int scalar graphs (one may be -1),
    or an int vector graph (then give ``ndim`` unless its length is known).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> y = T.reshape(x, (2, -1))
    >>> y.eval({x: np.arange(6.0)}).shape
    (2, 3)
    >>> T.reshape(x, (1, 6)).broadcastable
    (True, False)
    """
    x = as_tensor_variable(x)
    if isinstance(newshape, (list, tuple)) or (
            not hasattr(newshape, "type") and np.ndim(newshape) == 0):
        elements = _shape_list(newshape if isinstance(newshape, (list, tuple))
                               else (newshape,), "reshape: the shape")
        vector = _shape_vector(elements)
    else:
        vector = as_tensor_variable(newshape)
        if vector.ndim == 0:
            vector = _shape_vector([_int64_scalar(vector, "reshape: the shape")])
    elements = _vector_elements(vector)
    if ndim is None:
        if elements is None:
            raise ValueError(f"reshape: the length of the shape {vector} is not known; "
                             f"pass ndim=")
        ndim = len(elements)
    return Reshape(int(ndim))(x, vector)


def flatten(x, ndim=1, outdim=None):
    """``x`` with its trailing dimensions merged so that ``ndim`` remain (Theano's
    ``outdim``).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.tensor3()
    >>> T.flatten(x, 2).eval({x: np.zeros((2, 3, 4))}).shape
    (2, 12)
    """
    x = as_tensor_variable(x)
    ndim = int(outdim if outdim is not None else ndim)
    if not 1 <= ndim <= builtins.max(x.ndim, 1):
        raise ValueError(f"flatten: ndim={ndim} for a {x.ndim}-d tensor")
    dims = shape_of(x)[:ndim - 1]
    last = 1 if x.ndim and all(x.broadcastable[ndim - 1:]) else -1
    return reshape(x, dims + [last], ndim=ndim)


def squeeze(x, axis=None):
    """``x`` without its broadcastable dimensions (or without ``axis``, which must have
    length 1 at run time).

    >>> import arignote.tensor as T
    >>> T.squeeze(T.row()).ndim
    1
    """
    x = as_tensor_variable(x)
    if axis is not None:
        axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        x = addbroadcast(x, *axes)
        axes = _axes(x, axes)
    else:
        axes = [a for a in range(x.ndim) if x.broadcastable[a]]
    return dimshuffle(x, [a for a in range(x.ndim) if a not in axes])


def shape_padleft(t, n_ones=1):
    """``t`` with ``n_ones`` broadcastable dimensions added on the left."""
    t = as_tensor_variable(t)
    return dimshuffle(t, ["x"] * n_ones + list(range(t.ndim)))


def shape_padright(t, n_ones=1):
    """``t`` with ``n_ones`` broadcastable dimensions added on the right."""
    t = as_tensor_variable(t)
    return dimshuffle(t, list(range(t.ndim)) + ["x"] * n_ones)


def shape_padaxis(t, axis):
    """``t`` with a broadcastable dimension inserted at ``axis`` (negative counts from the
    end of the result)."""
    t = as_tensor_variable(t)
    if not -t.ndim - 1 <= axis <= t.ndim:
        raise IndexError(f"shape_padaxis: axis {axis} for a {t.ndim}-d tensor")
    if axis < 0:
        axis += t.ndim + 1
    pattern = list(range(t.ndim))
    pattern.insert(axis, "x")
    return dimshuffle(t, pattern)


@dataclass(frozen=True)
class SpecifyShape(Op):
    """``x`` unchanged, asserting at run time that its shape is the scalar inputs 1.."""

    view_map = {0: [0]}

    def make_node(self, x, *shape):
        x = as_tensor_variable(x)
        shape = [_int64_scalar(s, "specify_shape: the shape") for s in shape]
        if len(shape) != x.ndim:
            raise ValueError(f"specify_shape: {len(shape)} lengths for a {x.ndim}-d tensor")
        broadcastable = tuple(b or _constant_int(s) == 1 for b, s in zip(x.broadcastable, shape))
        out = TensorType(x.dtype, broadcastable).make_variable()
        return Apply(self, [x] + shape, [out])

    def perform(self, node, inputs):
        x, shape = inputs[0], tuple(int(s) for s in inputs[1:])
        if x.shape != shape:
            raise ValueError(f"specify_shape: expected shape {shape}, got {x.shape}")
        return [x]

    def infer_shape(self, node, input_shapes):
        return [list(node.inputs[1:])]

    def grad(self, inputs, out_grads):
        return [out_grads[0]] + [None] * (len(inputs) - 1)

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)


def specify_shape(x, shape):
    """``x``, with its shape asserted to be ``shape`` when the function runs."""
    x = as_tensor_variable(x)
    return SpecifyShape()(x, *_shape_list(shape, "specify_shape: the shape"))


# ----------------------------------------------------------------------- joining, splitting
@dataclass(frozen=True)
class Join(Op):
    """Concatenation of the inputs along ``axis``; other dimensions must match exactly."""

    axis: int

    def make_node(self, *tensors):
        tensors = [as_tensor_variable(t) for t in tensors]
        if not tensors:
            raise ValueError("join: nothing to join")
        ndim = tensors[0].ndim
        if ndim == 0 or any(t.ndim != ndim for t in tensors):
            raise TypeError(f"join: all inputs must have the same number (>0) of dimensions, "
                            f"got {[t.type for t in tensors]}")
        if not 0 <= self.axis < ndim:
            raise ValueError(f"join: axis {self.axis} of {ndim}-d tensors")
        broadcastable = [builtins.any(t.broadcastable[a] for t in tensors) for a in range(ndim)]
        broadcastable[self.axis] = len(tensors) == 1 and tensors[0].broadcastable[self.axis]
        dtype = dt.upcast(*[t.dtype for t in tensors])
        return Apply(self, tensors, [TensorType(dtype, broadcastable).make_variable()])

    def perform(self, node, inputs):
        out = node.outputs[0]
        reference = inputs[0].shape
        for position, x in enumerate(inputs):
            for a, (length, flag) in enumerate(zip(x.shape, out.broadcastable)):
                if a != self.axis and (length != reference[a] or flag and length != 1):
                    raise ValueError(f"join along axis {self.axis}: input {position} has shape "
                                     f"{x.shape}, input 0 has {reference}; the other "
                                     f"dimensions must match")
        return [np.asarray(np.concatenate(inputs, axis=self.axis), dtype=out.dtype)]

    def infer_shape(self, node, input_shapes):
        shape = list(input_shapes[0])
        for a in range(len(shape)):
            if a == self.axis:
                shape[a] = _ops().add(*[s[a] for s in input_shapes])
            else:
                for v, s in zip(node.inputs, input_shapes):
                    if not v.broadcastable[a]:
                        shape[a] = s[a]
                        break
        return [shape]

    def grad(self, inputs, out_grads):
        (gz,) = out_grads
        sizes = [shape_i(x, self.axis) for x in inputs]
        pieces = split(gz, sizes, len(inputs), self.axis)
        pieces = pieces if isinstance(pieces, list) else [pieces]
        return [None if dt.is_discrete(x.dtype) else p for x, p in zip(inputs, pieces)]


def _constant_axis(axis):
    value = _constant_int(axis) if hasattr(axis, "type") else axis
    if value is None:
        raise TypeError(f"the axis must be a constant, got the symbolic {axis}")
    return int(value)


def join(axis, *tensors_list):
    """Concatenate tensors along ``axis`` (Theano's ``T.join(axis, *tensors)``).

    >>> import numpy as np, arignote.tensor as T
    >>> a, b = T.dmatrices('a', 'b')
    >>> T.join(1, a, b).eval({a: np.zeros((2, 1)), b: np.ones((2, 2))}).shape
    (2, 3)
    """
    if len(tensors_list) == 1 and isinstance(tensors_list[0], (list, tuple)):
        tensors_list = tuple(tensors_list[0])
    if len(tensors_list) == 1:
        return as_tensor_variable(tensors_list[0])
    tensors = [as_tensor_variable(t) for t in tensors_list]
    axis = _constant_axis(axis)
    ndim = tensors[0].ndim if tensors else 0
    if ndim and -ndim <= axis < 0:
        axis += ndim
    return Join(axis)(*tensors)


def concatenate(tensor_list, axis=0):
    """Concatenate a list of tensors along ``axis`` (as ``numpy.concatenate``)."""
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError("concatenate takes a list (or tuple) of tensors as first argument")
    return join(axis, *tensor_list)


def stack(*tensors, axis=0):
    """Join tensors along a new dimension ``axis``: ``stack([a, b], axis=0)``; Theano's
    older ``stack(a, b, c)`` form works too.  Scalars give a vector.

    >>> import numpy as np, arignote.tensor as T
    >>> a, b = T.dscalars('a', 'b')
    >>> T.stack([a, b]).eval({a: 1.0, b: 2.0}).tolist()
    [1.0, 2.0]
    """
    if tensors and isinstance(tensors[0], (list, tuple)):
        if len(tensors) == 2:
            axis = tensors[1]
        elif len(tensors) > 2:
            raise TypeError("stack(tensors, axis): too many arguments")
        tensors = tuple(tensors[0])
    if not tensors:
        raise ValueError("stack: nothing to stack")
    tensors = [as_tensor_variable(t) for t in tensors]
    if all(t.ndim == 0 for t in tensors) and axis in (0, -1):
        return make_vector(*tensors)
    ndim = tensors[0].ndim
    if any(t.ndim != ndim for t in tensors):
        raise TypeError(f"stack: all inputs must have the same number of dimensions, got "
                        f"{[t.type for t in tensors]}")
    padded = [shape_padaxis(t, axis) for t in tensors]
    return join(axis if axis >= 0 else axis + ndim + 1, *padded)


def stacklists(arg):
    """A tensor from nested lists of tensors (Theano's ``T.stacklists``).

    >>> import arignote.tensor as T
    >>> a, b, c, d = T.dscalars(4)
    >>> T.stacklists([[a, b], [c, d]]).eval({a: 1.0, b: 2.0, c: 3.0, d: 4.0}).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    if isinstance(arg, (tuple, list)):
        return stack([stacklists(item) for item in arg])
    return as_tensor_variable(arg)


def horizontal_stack(*args):
    """Concatenate along axis 1 (matrices) or 0 (vectors), as ``numpy.hstack``."""
    args = [as_tensor_variable(a) for a in args]
    return concatenate(args, axis=1 if args[0].ndim > 1 else 0)


def vertical_stack(*args):
    """Concatenate along axis 0, as ``numpy.vstack`` of matrices."""
    return concatenate(list(args), axis=0)


@dataclass(frozen=True)
class Split(Op):
    """``x`` cut along ``axis`` into ``n_splits`` pieces of the lengths in input 1."""

    n_splits: int
    axis: int

    def make_node(self, x, splits):
        x, splits = as_tensor_variable(x), as_tensor_variable(splits)
        if splits.ndim != 1 or not dt.is_discrete(splits.dtype):
            raise TypeError(f"split: the sizes must be an int vector, got {splits.type}")
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"split: axis {self.axis} of a {x.ndim}-d tensor")
        broadcastable = list(x.broadcastable)
        if self.n_splits > 1:
            broadcastable[self.axis] = False
        outputs = [TensorType(x.dtype, broadcastable).make_variable()
                   for _ in range(self.n_splits)]
        return Apply(self, [x, _ops().cast(splits, "int64")], outputs)

    def perform(self, node, inputs):
        x, splits = inputs
        if len(splits) != self.n_splits or np.any(splits < 0) or \
                splits.sum() != x.shape[self.axis]:
            raise ValueError(f"split: sizes {splits.tolist()} must be {self.n_splits} "
                             f"non-negative lengths adding up to {x.shape[self.axis]} (the "
                             f"length of axis {self.axis} of an array of shape {x.shape})")
        pieces = np.split(x, np.cumsum(splits)[:-1], axis=self.axis)
        return [np.array(p, copy=True) for p in pieces]

    def infer_shape(self, node, input_shapes):
        x, splits = node.inputs
        elements = _vector_elements(splits)
        if elements is None:
            elements = [splits[i] for i in range(self.n_splits)]
        shapes = []
        for size in elements:
            shape = list(input_shapes[0])
            shape[self.axis] = size
            shapes.append(shape)
        return shapes

    def grad(self, inputs, out_grads):
        return [join(self.axis, *out_grads), None]

    def connection_pattern(self, node):
        return [[True] * self.n_splits, [False] * self.n_splits]


def split(x, splits_size, n_splits, axis=0):
    """Cut ``x`` along ``axis`` into ``n_splits`` pieces of lengths ``splits_size``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> a, b = T.split(x, [1, 2], 2)
    >>> b.eval({x: np.arange(3.0)}).tolist()
    [1.0, 2.0]
    """
    x = as_tensor_variable(x)
    axis = _constant_axis(axis)
    if -x.ndim <= axis < 0:
        axis += x.ndim
    if isinstance(splits_size, (list, tuple)):
        sizes = _shape_vector(_shape_list(splits_size, "split: the sizes"))
    else:
        sizes = as_tensor_variable(splits_size)
    return Split(int(n_splits), axis)(x, sizes)


# ----------------------------------------------------------------------- tiling, repeating
def tile(x, reps, ndim=None):
    """``x`` repeated ``reps[i]`` times along each dimension ``i`` (as ``numpy.tile``).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> T.tile(x, (2, 2)).eval({x: np.array([1.0, 2.0])}).tolist()
    [[1.0, 2.0, 1.0, 2.0], [1.0, 2.0, 1.0, 2.0]]
    """
    o = _ops()
    x = as_tensor_variable(x)
    reps = _shape_list(reps, "tile: reps")
    ndim = builtins.max(len(reps), x.ndim) if ndim is None else int(ndim)
    if ndim < builtins.max(len(reps), x.ndim):
        raise ValueError(f"tile: ndim={ndim} is less than len(reps)={len(reps)} or x.ndim")
    reps = [constant(1, dtype="int64")] * (ndim - len(reps)) + reps
    shape = [constant(1, dtype="int64")] * (ndim - x.ndim) + shape_of(x)
    tiled = alloc(x, *(reps + shape))
    tiled = dimshuffle(tiled, [a for pair in zip(range(ndim), range(ndim, 2 * ndim))
                               for a in pair])
    sizes = []
    for r, s in zip(reps, shape):
        known = (_constant_int(r), _constant_int(s))
        sizes.append(constant(known[0] * known[1], dtype="int64") if None not in known
                     else o.mul(r, s))
    return reshape(tiled, sizes, ndim=ndim)


@dataclass(frozen=True)
class Repeat(Op):
    """Each element of ``x`` repeated along ``axis`` by input 1 (an int scalar, or an int
    vector giving one count per element), as ``numpy.repeat``."""

    axis: int

    def make_node(self, x, repeats):
        x, repeats = as_tensor_variable(x), as_tensor_variable(repeats)
        if repeats.ndim > 1 or not dt.is_discrete(repeats.dtype) or repeats.dtype == "bool":
            raise TypeError(f"repeat: repeats must be an int scalar or vector, got "
                            f"{repeats.type}")
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"repeat: axis {self.axis} of a {x.ndim}-d tensor")
        broadcastable = list(x.broadcastable)
        if not (repeats.ndim == 0 and _constant_int(repeats) == 1):
            broadcastable[self.axis] = False
        repeats = _ops().cast(repeats, "int64")
        return Apply(self, [x, repeats], [TensorType(x.dtype, broadcastable).make_variable()])

    def perform(self, node, inputs):
        x, repeats = inputs
        if np.any(repeats < 0):
            raise ValueError(f"repeat: negative repeat counts {repeats.tolist()}")
        if repeats.ndim == 1 and len(repeats) != x.shape[self.axis]:
            raise ValueError(f"repeat: {len(repeats)} counts for axis {self.axis} of length "
                             f"{x.shape[self.axis]}")
        return [np.repeat(x, repeats, axis=self.axis)]

    def infer_shape(self, node, input_shapes):
        from .reduce import sum as sum_
        x, repeats = node.inputs
        shape = list(input_shapes[0])
        shape[self.axis] = (_ops().mul(shape[self.axis], repeats) if repeats.ndim == 0
                            else sum_(repeats))
        return [shape]

    def grad(self, inputs, out_grads):
        from .reduce import sum as sum_
        o = _ops()
        (x, repeats), (gz,) = inputs, out_grads
        if dt.is_discrete(x.dtype):
            return [None, None]
        sizes = shape_of(x)
        if repeats.ndim == 0:
            shape = sizes[:self.axis + 1] + [repeats] + sizes[self.axis + 1:]
            return [sum_(reshape(gz, shape), axis=self.axis + 1), None]
        # Per-count repeats: output position j came from element owner[j] of the axis.
        owner = Repeat(0)(arange(sizes[self.axis]), repeats)
        mask = o.cast(o.eq(shape_padright(arange(sizes[self.axis])), shape_padleft(owner)),
                      gz.dtype)
        order = [self.axis] + [a for a in range(x.ndim) if a != self.axis]
        moved = dimshuffle(gz, order)
        rest = list(range(1, x.ndim))
        summed = sum_(o.mul(dimshuffle(mask, [0, 1] + ["x"] * len(rest)),
                            dimshuffle(moved, ["x", 0] + rest)), axis=1)
        back = [order.index(a) for a in range(x.ndim)]
        return [dimshuffle(summed, back), None]

    def connection_pattern(self, node):
        return [[True], [False]]


def repeat(x, repeats, axis=None):
    """``x`` with each element repeated ``repeats`` times along ``axis`` (None: flattened
    first), as ``numpy.repeat``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> T.repeat(x, 2).eval({x: np.array([1.0, 2.0])}).tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    x = as_tensor_variable(x)
    if axis is None:
        x, axis = flatten(x, 1), 0
    axis = _constant_axis(axis)
    if -x.ndim <= axis < 0:
        axis += x.ndim
    return Repeat(axis)(x, repeats)


@dataclass(frozen=True)
class Roll(Op):
    """``x`` shifted cyclically by the int scalar input 1 along ``axis`` (None: flattened
    order, shape kept), as ``numpy.roll``."""

    axis: int = None

    def make_node(self, x, shift):
        x = as_tensor_variable(x)
        shift = _int64_scalar(shift, "roll: the shift")
        if self.axis is not None and not 0 <= self.axis < x.ndim:
            raise ValueError(f"roll: axis {self.axis} of a {x.ndim}-d tensor")
        return Apply(self, [x, shift], [x.type.make_variable()])

    def perform(self, node, inputs):
        x, shift = inputs
        return [np.roll(x, int(shift), axis=self.axis)]

    def infer_shape(self, node, input_shapes):
        return [list(input_shapes[0])]

    def grad(self, inputs, out_grads):
        (_, shift), (gz,) = inputs, out_grads
        return [Roll(self.axis)(gz, _ops().neg(shift)), None]

    def connection_pattern(self, node):
        return [[True], [False]]


def roll(x, shift, axis=None):
    """``x`` shifted cyclically by ``shift`` along ``axis`` (as ``numpy.roll``).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> T.roll(x, 1).eval({x: np.array([1.0, 2.0, 3.0])}).tolist()
    [3.0, 1.0, 2.0]
    """
    x = as_tensor_variable(x)
    if axis is not None:
        axis = _constant_axis(axis)
        if -x.ndim <= axis < 0:
            axis += x.ndim
    return Roll(axis)(x, shift)


# ----------------------------------------------------------------------- constructors
def zeros(shape, dtype=None):
    """Zeros of ``shape`` (ints, int scalar graphs, or ``x.shape``) and ``dtype`` (floatX).

    >>> import arignote.tensor as T
    >>> T.zeros((2, 3)).eval().shape
    (2, 3)
    """
    dtype = dtype or _float_x()
    return alloc(constant(0, dtype=dtype), *_shape_list(shape, "zeros: the shape"))


def ones(shape, dtype=None):
    """Ones of ``shape`` and ``dtype`` (floatX), as ``zeros``."""
    dtype = dtype or _float_x()
    return alloc(constant(1, dtype=dtype), *_shape_list(shape, "ones: the shape"))


def _float_x():
    """The current ``config.floatX``."""
    from ...configparser import config
    return config.floatX


@dataclass(frozen=True)
class Eye(Op):
    """An ``n`` x ``m`` matrix of ``dtype`` with ones on diagonal ``k`` (inputs n, m, k)."""

    dtype: str

    def make_node(self, n, m, k):
        inputs = [_int64_scalar(v, "eye: n, m and k") for v in (n, m, k)]
        return Apply(self, inputs, [TensorType(self.dtype, (False, False)).make_variable()])

    def perform(self, node, inputs):
        n, m, k = (int(v) for v in inputs)
        if n < 0 or m < 0:
            raise ValueError(f"eye: negative size {n} x {m}")
        return [np.eye(n, m, k, dtype=self.dtype)]

    def infer_shape(self, node, input_shapes):
        return [[node.inputs[0], node.inputs[1]]]

    def grad(self, inputs, out_grads):
        return [None, None, None]

    def connection_pattern(self, node):
        return [[False], [False], [False]]


def eye(n, m=None, k=0, dtype=None):
    """A matrix with ones on diagonal ``k`` and zeros elsewhere (``dtype`` floatX).

    >>> import arignote.tensor as T
    >>> T.eye(2, 3, k=1).eval().tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    dtype = dt.check_dtype(dtype or _float_x())
    return Eye(dtype)(n, n if m is None else m, k)


def identity_like(x):
    """The identity matrix with the shape and dtype of the matrix ``x``."""
    x = as_tensor_variable(x)
    return eye(shape_i(x, 0), shape_i(x, 1), 0, dtype=x.dtype)


@dataclass(frozen=True)
class ARange(Op):
    """Evenly spaced values of ``dtype``: inputs start, stop, step (as ``numpy.arange``)."""

    dtype: str

    def make_node(self, start, stop, step):
        inputs = [as_tensor_variable(v) for v in (start, stop, step)]
        for name, v in zip(("start", "stop", "step"), inputs):
            if v.ndim != 0:
                raise TypeError(f"arange: {name} must be a scalar, got {v.type}")
        return Apply(self, inputs, [TensorType(self.dtype, (False,)).make_variable()])

    def perform(self, node, inputs):
        start, stop, step = (np.asarray(v).item() for v in inputs)
        if step == 0:
            raise ValueError("arange: step is zero")
        return [np.arange(start, stop, step, dtype=self.dtype)]

    def infer_shape(self, node, input_shapes):
        o = _ops()
        start, stop, step = node.inputs
        span = o.true_div(o.cast(o.sub(stop, start), "float64"), o.cast(step, "float64"))
        length = o.cast(o.ceil(span), "int64")
        return [[o.maximum(length, constant(0, dtype="int64"))]]

    def grad(self, inputs, out_grads):
        from .reduce import sum as sum_
        (start, stop, step), (gz,) = inputs, out_grads
        if dt.is_discrete(self.dtype):
            return [None, None, None]
        steps = arange(shape_i(ARange(self.dtype)(start, stop, step), 0), dtype=self.dtype)
        return [sum_(gz), None, sum_(_ops().mul(gz, steps))]

    def connection_pattern(self, node):
        return [[True], [False], [True]]


def arange(start, stop=None, step=1, dtype=None):
    """Values from ``start`` to ``stop`` (excluded) by ``step``, as ``numpy.arange``.

    Theano's dtype rule: the upcast of the arguments, with integers widened to int64.

    >>> import arignote.tensor as T
    >>> r = T.arange(5)
    >>> r.dtype, r.eval().tolist()
    ('int64', [0, 1, 2, 3, 4])
    """
    if stop is None:
        start, stop = 0, start
    start, stop, step = (as_tensor_variable(v) for v in (start, stop, step))
    if dtype is None:
        dtype = dt.upcast(start.dtype, stop.dtype, step.dtype)
        if dtype in dt.INT_DTYPES or dtype == "bool":
            dtype = "int64"
        elif dtype in dt.UINT_DTYPES:
            dtype = "uint64"
    return ARange(dt.check_dtype(dtype))(start, stop, step)


# ----------------------------------------------------------------------- diagonals
def _diagonal_length(rows, cols, offset):
    """Length of diagonal ``offset`` of a ``rows`` x ``cols`` matrix (ints)."""
    return builtins.max(0, builtins.min(rows - builtins.max(-offset, 0),
                                        cols - builtins.max(offset, 0)))


@dataclass(frozen=True)
class ExtractDiag(Op):
    """Diagonal ``offset`` of the ``axis1``/``axis2`` planes, as the last dimension (as
    ``numpy.diagonal``)."""

    offset: int = 0
    axis1: int = 0
    axis2: int = 1

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim < 2 or not (0 <= self.axis1 < x.ndim and 0 <= self.axis2 < x.ndim) or \
                self.axis1 == self.axis2:
            raise ValueError(f"diagonal: axes {self.axis1}, {self.axis2} of a {x.ndim}-d "
                             f"tensor ({x.type})")
        kept = [b for a, b in enumerate(x.broadcastable) if a not in (self.axis1, self.axis2)]
        out = TensorType(x.dtype, tuple(kept) + (False,)).make_variable()
        return Apply(self, [x], [out])

    def perform(self, node, inputs):
        return [np.diagonal(inputs[0], self.offset, self.axis1, self.axis2).copy()]

    def infer_shape(self, node, input_shapes):
        o = _ops()
        shape = input_shapes[0]
        rows, cols = shape[self.axis1], shape[self.axis2]
        offset = self.offset
        length = o.minimum(o.sub(rows, builtins.max(-offset, 0)),
                           o.sub(cols, builtins.max(offset, 0)))
        length = o.maximum(length, constant(0, dtype="int64"))
        kept = [s for a, s in enumerate(shape) if a not in (self.axis1, self.axis2)]
        return [kept + [length]]

    def grad(self, inputs, out_grads):
        (x,), (gz,) = inputs, out_grads
        if dt.is_discrete(x.dtype):
            return [None]
        return [AllocDiag(self.offset, self.axis1, self.axis2)(gz, *shape_of(x))]


@dataclass(frozen=True)
class AllocDiag(Op):
    """Zeros with input 0 (values along its last dimension) on diagonal ``offset`` of the
    ``axis1``/``axis2`` planes.  Inputs 1.. give the output shape; without them, a vector
    becomes a square matrix of side ``len + abs(offset)``."""

    offset: int = 0
    axis1: int = 0
    axis2: int = 1

    def make_node(self, diagonal, *shape):
        diagonal = as_tensor_variable(diagonal)
        shape = [_int64_scalar(s, "alloc_diag: the shape") for s in shape]
        if not shape and diagonal.ndim != 1:
            raise TypeError(f"alloc_diag without a shape needs a vector, got {diagonal.type}")
        if shape and len(shape) != diagonal.ndim + 1:
            raise TypeError(f"alloc_diag: a {len(shape)}-d shape for {diagonal.ndim}-d values")
        ndim = diagonal.ndim + 1
        if not (0 <= self.axis1 < ndim and 0 <= self.axis2 < ndim) or self.axis1 == self.axis2:
            raise ValueError(f"alloc_diag: axes {self.axis1}, {self.axis2} of a {ndim}-d result")
        out = TensorType(diagonal.dtype, (False,) * ndim).make_variable()
        return Apply(self, [diagonal] + shape, [out])

    def _out_shape(self, diagonal, shape):
        if shape:
            return tuple(int(s) for s in shape)
        side = diagonal.shape[-1] + abs(self.offset)
        return (side, side)

    def perform(self, node, inputs):
        diagonal = inputs[0]
        shape = self._out_shape(diagonal, inputs[1:])
        rows, cols = shape[self.axis1], shape[self.axis2]
        n = _diagonal_length(rows, cols, self.offset)
        kept = tuple(s for a, s in enumerate(shape) if a not in (self.axis1, self.axis2))
        if diagonal.shape != kept + (n,):
            raise ValueError(f"alloc_diag: values of shape {diagonal.shape} do not fit "
                             f"diagonal {self.offset} of shape {shape} (expected "
                             f"{kept + (n,)})")
        out = np.zeros(shape, dtype=node.outputs[0].dtype)
        planes = np.moveaxis(out, (self.axis1, self.axis2), (-2, -1))
        index = np.arange(n)
        planes[..., index + builtins.max(-self.offset, 0),
               index + builtins.max(self.offset, 0)] = diagonal
        return [out]

    def infer_shape(self, node, input_shapes):
        if len(node.inputs) > 1:
            return [list(node.inputs[1:])]
        side = _ops().add(input_shapes[0][0], constant(abs(self.offset), dtype="int64"))
        return [[side, side]]

    def grad(self, inputs, out_grads):
        (gz,) = out_grads
        diagonal = inputs[0]
        if dt.is_discrete(diagonal.dtype):
            return [None] * len(inputs)
        return [ExtractDiag(self.offset, self.axis1, self.axis2)(gz)] + \
            [None] * (len(inputs) - 1)

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """Diagonal ``offset`` of ``a`` over ``axis1`` and ``axis2``, as ``numpy.diagonal``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dmatrix()
    >>> T.diagonal(x).eval({x: np.arange(4.0).reshape(2, 2)}).tolist()
    [0.0, 3.0]
    """
    a = as_tensor_variable(a)
    axis1, axis2 = (int(v) + a.ndim if int(v) < 0 else int(v) for v in (axis1, axis2))
    return ExtractDiag(int(offset), axis1, axis2)(a)


def diag(v, k=0):
    """A vector's diagonal matrix, or a matrix's diagonal ``k`` (as ``numpy.diag``).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> T.diag(x).eval({x: np.array([1.0, 2.0])}).tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    v = as_tensor_variable(v)
    if v.ndim == 1:
        return AllocDiag(int(k), 0, 1)(v)
    if v.ndim == 2:
        return ExtractDiag(int(k), 0, 1)(v)
    raise ValueError(f"diag takes a vector or a matrix, got a {v.ndim}-d tensor ({v.type})")
