"""Sorting along an axis: ``sort``, ``argsort`` and Theano's ``topk`` helpers.

Every sort here is stable and puts NaNs last, as numpy does. numpy leaves the order of equal
elements open for ``kind='quicksort'`` and ``'heapsort'``; arignote gives the stable order
for every ``kind``, so compiled and reference results agree exactly.

>>> import numpy as np, arignote.tensor as T
>>> x = T.dvector('x')
>>> T.sort(x).eval({x: np.array([3.0, np.nan, 1.0, 2.0])})
array([ 1.,  2.,  3., nan])
>>> T.argsort(x).eval({x: np.array([3.0, 1.0, 2.0])})
array([1, 2, 0])
"""

from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from ..graph import Apply
from ..op import Op
from ..types import TensorType
from ..variable import as_tensor_variable

__all__ = ["sort", "argsort", "topk", "argtopk", "topk_and_argtopk"]

KINDS = ("quicksort", "mergesort", "heapsort", "stable")


def _axis(op_name, x, axis):
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{op_name}: axis {axis} is out of range for {x} ({x.type})")
    return axis % x.ndim


@dataclass(frozen=True)
class Sort(Op):
    """The values of ``x`` sorted along ``axis`` (ascending, stable, NaNs last)."""

    axis: int

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise ValueError("sort: a 0-d tensor has no axis to sort along")
        _axis("sort", x, self.axis)
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node, inputs):
        return [np.sort(inputs[0], axis=self.axis, kind="stable")]

    def infer_shape(self, node, input_shapes):
        return [list(input_shapes[0])]

    def grad(self, inputs, out_grads):
        (x,), (gz,) = inputs, out_grads
        if dt.is_discrete(x.dtype):
            return [None]
        return [TakeAlong(self.axis, inverse=True)(gz, ArgSort(self.axis)(x))]


@dataclass(frozen=True)
class ArgSort(Op):
    """The int64 indices that sort ``x`` along ``axis`` (stable, NaNs last)."""

    axis: int

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise ValueError("argsort: a 0-d tensor has no axis to sort along")
        _axis("argsort", x, self.axis)
        return Apply(self, [x], [TensorType("int64", x.broadcastable).make_variable()])

    def perform(self, node, inputs):
        return [np.argsort(inputs[0], axis=self.axis, kind="stable").astype("int64")]

    def infer_shape(self, node, input_shapes):
        return [list(input_shapes[0])]

    def grad(self, inputs, out_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


@dataclass(frozen=True)
class TakeAlong(Op):
    """``take_along_axis(x, order, axis)``, or with ``inverse`` the scatter that undoes it
    (``put_along_axis`` into a new array): ``order`` is a permutation along ``axis``, as
    ``argsort`` gives. Each is the other's gradient."""

    axis: int
    inverse: bool = False

    def make_node(self, x, order):
        x, order = as_tensor_variable(x), as_tensor_variable(order)
        if order.dtype != "int64" or order.ndim != x.ndim:
            raise TypeError(f"take_along: the order must be an int64 tensor of {x.ndim} "
                            f"dimensions, got {order.type}")
        return Apply(self, [x, order], [x.type.make_variable()])

    def perform(self, node, inputs):
        x, order = inputs
        if x.shape != order.shape:
            raise ValueError(f"take_along: values of shape {x.shape} and order of shape "
                             f"{order.shape} differ")
        n = x.shape[self.axis]
        if order.size and (order.min() < 0 or order.max() >= n):
            raise IndexError(f"take_along: an index of the order is out of range [0, {n})")
        if not self.inverse:
            return [np.take_along_axis(x, order, axis=self.axis)]
        out = np.zeros_like(x)
        np.put_along_axis(out, order, x, axis=self.axis)
        return [out]

    def infer_shape(self, node, input_shapes):
        return [list(input_shapes[0])]

    def grad(self, inputs, out_grads):
        (x, order), (gz,) = inputs, out_grads
        if dt.is_discrete(x.dtype):
            return [None, None]
        return [TakeAlong(self.axis, not self.inverse)(gz, order), None]

    def connection_pattern(self, node):
        return [[True], [False]]


def _prepare(name, a, axis, kind, order):
    if order is not None:
        raise ValueError(f"{name}: order= sorts structured arrays, which tensors are not")
    if kind not in KINDS:
        raise ValueError(f"{name}: kind must be one of {', '.join(KINDS)}; got {kind!r}")
    a = as_tensor_variable(a)
    if axis is None:
        from .shape import flatten
        a, axis = flatten(a, 1), 0
    return a, _axis(name, a, axis) if a.ndim else axis


def sort(a, axis=-1, kind="quicksort", order=None):
    """``a`` sorted along ``axis`` (the flattened array for ``axis=None``), as numpy.sort."""
    a, axis = _prepare("sort", a, axis, kind, order)
    return Sort(axis)(a)


def argsort(a, axis=-1, kind="quicksort", order=None):
    """The int64 indices that sort ``a`` along ``axis``, as numpy.argsort."""
    a, axis = _prepare("argsort", a, axis, kind, order)
    return ArgSort(axis)(a)


def _top(name, x, kth, axis, idx_dtype):
    """(values, indices) of the ``kth`` largest (positive) or smallest (negative) along
    ``axis``: the ascending order, reversed for the largest (NaNs count as largest)."""
    from . import subtensor
    from .scalar import cast
    x = as_tensor_variable(x)
    if not isinstance(kth, (int, np.integer)) or kth == 0:
        raise ValueError(f"{name}: kth must be a nonzero int (k largest if positive, "
                         f"|k| smallest if negative), got {kth!r}")
    axis = _axis(name, x, -1 if axis is None else axis)
    order = ArgSort(axis)(x)
    values = TakeAlong(axis)(x, order)
    if kth > 0:
        backwards = [slice(None)] * x.ndim
        backwards[axis] = slice(None, None, -1)
        order = subtensor.getitem(order, tuple(backwards))
        values = subtensor.getitem(values, tuple(backwards))
    first = [slice(None)] * x.ndim
    first[axis] = slice(0, abs(int(kth)))
    return (subtensor.getitem(values, tuple(first)),
            cast(subtensor.getitem(order, tuple(first)), idx_dtype))


def topk(x, kth, axis=-1, sorted=True, idx_dtype="int64"):  # noqa: A002 (Theano's name)
    """Theano's ``topk``: the ``kth`` largest values along ``axis`` (the ``-kth`` smallest for
    a negative ``kth``), largest (smallest) first."""
    return _top("topk", x, kth, axis, idx_dtype)[0]


def argtopk(x, kth, axis=-1, sorted=True, idx_dtype="int64"):  # noqa: A002
    """Theano's ``argtopk``: the indices of ``topk`` along ``axis``."""
    return _top("argtopk", x, kth, axis, idx_dtype)[1]


def topk_and_argtopk(x, kth, axis=-1, sorted=True, idx_dtype="int64"):  # noqa: A002
    """Theano's ``topk_and_argtopk``: ``(topk(...), argtopk(...))``."""
    return _top("topk_and_argtopk", x, kth, axis, idx_dtype)
