"""Linear algebra products: ``dot``, ``tensordot``, ``outer``, ``batched_dot``.

Two primitives: ``Dot`` (vector and matrix products, what BLAS computes) and ``BatchedDot``
(a stack of them).  Everything else is a graph macro: products of higher-rank tensors are
transposed and reshaped into one of those, as Theano's ``tensordot`` does.
"""

from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from ..graph import Apply
from ..op import Op
from ..types import TensorType
from ..variable import as_tensor_variable, constant
from .elemwise import dimshuffle, transpose
from .scalar import mul

__all__ = ["dot", "tensordot", "outer", "batched_dot", "batched_tensordot"]


def _ops():
    from .. import ops
    return ops


def _check_numeric(op, *variables):
    for variable in variables:
        if variable.dtype not in dt.ALL_DTYPES:
            raise TypeError(f"{op}: unsupported dtype {variable.dtype}")


@dataclass(frozen=True)
class Dot(Op):
    """``numpy.dot`` of vectors and matrices: vector·vector, matrix·vector, ·matrix."""

    def make_node(self, x, y):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(f"Dot takes vectors and matrices, got {x.type} and {y.type}; "
                            f"use T.dot or T.tensordot for other ranks")
        _check_numeric(self, x, y)
        broadcastable = x.broadcastable[:-1] + y.broadcastable[1:]
        out = TensorType(dt.upcast(x.dtype, y.dtype), broadcastable)
        return Apply(self, [x, y], [out.make_variable()])

    def perform(self, node, inputs):
        x, y = inputs
        if x.shape[-1] != y.shape[0]:
            raise ValueError(f"dot: shapes {x.shape} and {y.shape} are not aligned: "
                             f"{x.shape[-1]} (last dimension of the first) != {y.shape[0]} "
                             f"(first dimension of the second)")
        dtype = node.outputs[0].dtype
        return [np.asarray(np.dot(x.astype(dtype, copy=False), y.astype(dtype, copy=False)),
                           dtype=dtype)]

    def infer_shape(self, node, input_shapes):
        x_shape, y_shape = input_shapes
        return [list(x_shape[:-1]) + list(y_shape[1:])]

    def grad(self, inputs, out_grads):
        x, y = inputs
        (gz,) = out_grads
        if gz.ndim == 0:
            return [mul(gz, y), mul(gz, x)]
        if x.ndim == 1:
            return [dot(gz, transpose(y)), outer(x, gz)]
        if y.ndim == 1:
            return [outer(gz, y), dot(transpose(x), gz)]
        return [dot(gz, transpose(y)), dot(transpose(x), gz)]


def dot(a, b):
    """Theano's ``T.dot``: ``numpy.dot`` semantics for tensors of any rank.

    Vectors and matrices give the inner, matrix-vector or matrix product; a 0-d operand
    multiplies element-wise; higher ranks sum over the last axis of ``a`` and the
    second-to-last of ``b``.  The dtype is the upcast of both.

    >>> import numpy as np, arignote.tensor as T
    >>> x, y = T.dmatrix('x'), T.dvector('y')
    >>> T.dot(x, y).eval({x: np.eye(2), y: np.array([1., 2.])})
    array([1., 2.])
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.ndim > 2 or b.ndim > 2:
        return tensordot(a, b, [[a.ndim - 1], [max(0, b.ndim - 2)]])
    return Dot()(a, b)


def outer(x, y):
    """The outer product of two vectors (other ranks are flattened first).

    >>> import numpy as np, arignote.tensor as T
    >>> x, y = T.dvectors('x', 'y')
    >>> T.outer(x, y).eval({x: np.array([1., 2.]), y: np.array([3., 4.])})
    array([[3., 4.],
           [6., 8.]])
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim != 1:
        x = _ops().flatten(x, 1)
    if y.ndim != 1:
        y = _ops().flatten(y, 1)
    return dot(dimshuffle(x, (0, "x")), dimshuffle(y, ("x", 0)))


@dataclass(frozen=True)
class BatchedDot(Op):
    """One ``dot`` per index of the leading (batch) axis: 2-d and 3-d operands.

    Like ``numpy.einsum('bij,bjk->bik')``; a 2-d operand is a stack of vectors.
    """

    def make_node(self, x, y):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (2, 3) or y.ndim not in (2, 3):
            raise TypeError(f"BatchedDot takes 2-d and 3-d tensors, got {x.type} and {y.type}")
        _check_numeric(self, x, y)
        broadcastable = ((x.broadcastable[0] and y.broadcastable[0],) + x.broadcastable[1:-1]
                         + y.broadcastable[2:])
        out = TensorType(dt.upcast(x.dtype, y.dtype), broadcastable)
        return Apply(self, [x, y], [out.make_variable()])

    def perform(self, node, inputs):
        x, y = inputs
        if x.shape[0] != y.shape[0] or x.shape[-1] != y.shape[1]:
            raise ValueError(f"batched_dot: shapes {x.shape} and {y.shape} do not match: the "
                             f"batch sizes (first dimensions) must be equal and the last "
                             f"dimension of the first must equal the second of the second")
        dtype = node.outputs[0].dtype
        x3 = x.astype(dtype, copy=False) if x.ndim == 3 else x.astype(dtype)[:, None, :]
        y3 = y.astype(dtype, copy=False) if y.ndim == 3 else y.astype(dtype)[:, :, None]
        out = np.matmul(x3, y3)
        out = out.reshape((x.shape[0],) + x.shape[1:-1] + y.shape[2:])
        return [np.asarray(out, dtype=dtype)]

    def infer_shape(self, node, input_shapes):
        x_shape, y_shape = input_shapes
        return [[x_shape[0]] + list(x_shape[1:-1]) + list(y_shape[2:])]

    def grad(self, inputs, out_grads):
        x, y = inputs
        (gz,) = out_grads
        if gz.ndim == 1:
            return [mul(dimshuffle(gz, (0, "x")), y), mul(dimshuffle(gz, (0, "x")), x)]
        if x.ndim == 2:
            return [BatchedDot()(gz, dimshuffle(y, (0, 2, 1))),
                    mul(dimshuffle(x, (0, 1, "x")), dimshuffle(gz, (0, "x", 1)))]
        if y.ndim == 2:
            return [mul(dimshuffle(gz, (0, 1, "x")), dimshuffle(y, (0, "x", 1))),
                    BatchedDot()(dimshuffle(x, (0, 2, 1)), gz)]
        return [BatchedDot()(gz, dimshuffle(y, (0, 2, 1))),
                BatchedDot()(dimshuffle(x, (0, 2, 1)), gz)]


def batched_dot(a, b):
    """``dot`` of ``a[i]`` and ``b[i]`` for every ``i`` of the first (batch) axis.

    3-d with 3-d is ``numpy.einsum('bij,bjk->bik')``; 3-d with 2-d is a batch of
    matrix-vector products; a 1-d operand scales; higher ranks use ``batched_tensordot``.

    >>> import numpy as np, arignote.tensor as T
    >>> a, b = T.dtensor3('a'), T.dtensor3('b')
    >>> T.batched_dot(a, b).eval({a: np.ones((2, 1, 3)), b: np.ones((2, 3, 1))})
    array([[[3.]],
    <BLANKLINE>
           [[3.]]])
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise TypeError("batched_dot: both operands need a leading batch axis (got a 0-d one)")
    if a.ndim == 1:
        return mul(dimshuffle(a, [0] + ["x"] * (b.ndim - 1)), b)
    if b.ndim == 1:
        return mul(a, dimshuffle(b, [0] + ["x"] * (a.ndim - 1)))
    if a.ndim > 3 or b.ndim > 3:
        return batched_tensordot(a, b, [[a.ndim - 1], [max(1, b.ndim - 2)]])
    return BatchedDot()(a, b)


# ----------------------------------------------------------------------- tensordot
def _normalize_axes(a, b, axes, first):
    """``axes`` (an int or a pair of axis lists) as two lists of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        count = int(axes)
        if count < 0 or count > a.ndim - first or count > b.ndim - first:
            raise ValueError(f"tensordot: cannot sum over {count} axes of tensors with "
                             f"{a.ndim} and {b.ndim} dimensions")
        return list(range(a.ndim - count, a.ndim)), list(range(first, first + count))
    try:
        a_axes, b_axes = axes
    except (TypeError, ValueError):
        raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, "
                         f"got {axes!r}") from None
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: axes {a_axes} and {b_axes} have different lengths")
    for tensor, axis_list in ((a, a_axes), (b, b_axes)):
        for position, axis in enumerate(axis_list):
            if not -tensor.ndim <= axis < tensor.ndim:
                raise ValueError(f"tensordot: axis {axis} is out of range for a "
                                 f"{tensor.ndim}-d tensor")
            axis_list[position] = int(axis) % tensor.ndim
            if axis_list[position] < first:
                raise ValueError("batched_tensordot: axis 0 is the batch axis; it cannot be "
                                 "summed over")
        if len(set(axis_list)) != len(axis_list):
            raise ValueError(f"tensordot: axes {axis_list} repeat an axis")
    return a_axes, b_axes


def _merged(x, groups):
    """``x`` reshaped so that each group of its consecutive axes becomes one axis."""
    if all(len(group) == 1 for group in groups):
        return x
    sizes = [_size(x, group) for group in groups]
    return _ops().reshape(x, sizes, ndim=len(groups))


def _size(x, axes):
    """The product of the lengths of ``x`` along ``axes`` (an int64 scalar graph)."""
    sizes = [_ops().shape_i(x, axis) for axis in axes if not x.broadcastable[axis]]
    size = sizes[0] if sizes else constant(1, dtype="int64")
    for other in sizes[1:]:
        size = mul(size, other)
    return size


def _tensordot(a, b, axes, batched):
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    first = 1 if batched else 0
    name = "batched_tensordot" if batched else "tensordot"
    if batched and (a.ndim < 2 or b.ndim < 2):
        raise TypeError(f"{name}: both operands need a batch axis and another axis")
    a_axes, b_axes = _normalize_axes(a, b, axes, first)
    batch = [0] if batched else []
    a_free = [axis for axis in range(first, a.ndim) if axis not in a_axes]
    b_free = [axis for axis in range(first, b.ndim) if axis not in b_axes]
    broadcastable = tuple([a.broadcastable[0] and b.broadcastable[0]] if batched else []) + \
        tuple(a.broadcastable[i] for i in a_free) + tuple(b.broadcastable[i] for i in b_free)
    if not a_axes:
        # Nothing summed: an outer product by broadcasting.
        a_wide = dimshuffle(a, list(range(a.ndim)) + ["x"] * len(b_free))
        b_wide = dimshuffle(b, batch + ["x"] * len(a_free) + b_free)
        return mul(a_wide, b_wide)
    a_t = dimshuffle(a, batch + a_free + a_axes)
    b_t = dimshuffle(b, batch + b_axes + b_free)
    at_free = list(range(first, first + len(a_free)))
    at_sum = list(range(first + len(a_free), a.ndim))
    bt_sum = list(range(first, first + len(b_axes)))
    bt_free = list(range(first + len(b_axes), b.ndim))
    a_groups = [[0]] * first + ([at_free] if at_free else []) + [at_sum]
    b_groups = [[0]] * first + [bt_sum] + ([bt_free] if bt_free else [])
    a2, b2 = _merged(a_t, a_groups), _merged(b_t, b_groups)
    product = BatchedDot()(a2, b2) if batched else Dot()(a2, b2)
    if len(a_free) > 1 or len(b_free) > 1:
        sizes = ([_ops().shape_i(a, 0)] if batched else []) + [
            _size(a, [axis]) for axis in a_free] + [_size(b, [axis]) for axis in b_free]
        product = _ops().reshape(product, sizes, ndim=len(sizes))
    if product.broadcastable != broadcastable:
        product = _ops().patternbroadcast(product, broadcastable)
    return product


def tensordot(a, b, axes=2):
    """Sum of products over the given axes (``numpy.tensordot``).

    ``axes`` is an int n (the last n axes of ``a`` with the first n of ``b``) or a pair of
    axis lists.  Built from dimshuffle, reshape and one matrix product.

    >>> import numpy as np, arignote.tensor as T
    >>> a, b = T.dtensor3('a'), T.dmatrix('b')
    >>> T.tensordot(a, b, axes=[[1, 2], [0, 1]]).eval(
    ...     {a: np.ones((2, 3, 4)), b: np.ones((3, 4))})
    array([12., 12.])
    """
    return _tensordot(a, b, axes, batched=False)


def batched_tensordot(x, y, axes=2):
    """``tensordot`` of ``x[i]`` and ``y[i]`` for every ``i`` of the first (batch) axis.

    ``axes`` is an int n (the last n axes of ``x`` with the n axes of ``y`` after its batch
    axis) or a pair of axis lists, which must not name the batch axis 0.

    >>> import numpy as np, arignote.tensor as T
    >>> x, y = T.dtensor3('x'), T.dtensor3('y')
    >>> T.batched_tensordot(x, y, [[2], [1]]).eval(
    ...     {x: np.ones((2, 1, 3)), y: np.ones((2, 3, 1))}).shape
    (2, 1, 1)
    """
    return _tensordot(x, y, axes, batched=True)


@dataclass(frozen=True)
class Gemm(Op):
    """``b * z + a * dot(x, y)`` for matrices ``z``, ``x``, ``y`` and scalars ``a``, ``b``:
    BLAS's gemm, built by the ``gemm`` rewrite from ``z - lr * dot(x, y)`` and kin."""

    def make_node(self, z, a, x, y, b):
        z, a, x, y, b = (as_tensor_variable(v) for v in (z, a, x, y, b))
        if not (z.ndim == x.ndim == y.ndim == 2 and a.ndim == b.ndim == 0):
            raise TypeError(f"Gemm takes matrices z, x, y and scalars a, b; got {z.type}, "
                            f"{a.type}, {x.type}, {y.type}, {b.type}")
        if len({v.dtype for v in (z, a, x, y, b)}) != 1 or z.dtype not in dt.FLOAT_DTYPES:
            raise TypeError(f"Gemm needs one float dtype, got {[v.dtype for v in (z, x, y)]}")
        return Apply(self, [z, a, x, y, b], [z.type.make_variable()])

    def perform(self, node, inputs):
        z, a, x, y, b = inputs
        if x.shape[1] != y.shape[0] or z.shape != (x.shape[0], y.shape[1]):
            raise ValueError(f"gemm: shapes {z.shape} + {x.shape} . {y.shape} do not match")
        return [np.asarray(b * z + a * np.dot(x, y), dtype=z.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, out_grads):
        z, a, x, y, b = inputs
        (gz,) = out_grads
        product = Dot()(x, y)
        ops = _ops()
        return [ops.mul(b, gz), ops.sum(ops.mul(gz, product)), ops.mul(a, dot(gz, y.T)),
                ops.mul(a, dot(x.T, gz)), ops.sum(ops.mul(gz, z))]
