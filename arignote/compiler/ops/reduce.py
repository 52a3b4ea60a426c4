"""Reductions over axes (sum, prod, max, min, all, any, argmax, ...) and cumulative ops.

A reduction op removes the reduced axes; ``keepdims=True`` is a ``DimShuffle`` put back on
top by the wrapper function, as in Theano, so the ops themselves stay simple for codegen.
Dtype rules follow Theano 1.0: ``sum``/``prod`` of bool and small integers give int64 (uint64
for unsigned), accumulating float16 in float32 and float32 in float64.
"""

from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from ..graph import Apply, Variable
from ..op import Op
from ..types import TensorType
from ..variable import NotScalarConstantError, as_tensor_variable, get_scalar_constant_value
from .elemwise import dimshuffle

__all__ = ["sum", "prod"]

# Theano's CAReduceDtype: the default output and accumulator dtypes per input dtype.
_SUM_OUT_DTYPE = {"bool": "int64", "int8": "int64", "int16": "int64", "int32": "int64",
                  "uint8": "uint64", "uint16": "uint64", "uint32": "uint64"}
_SUM_ACC_DTYPE = dict(_SUM_OUT_DTYPE, float16="float32", float32="float64")


def normalize_axis(axis, ndim):
    """``axis`` (None, an int, a negative int, a sequence, a constant) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, Variable):
        try:
            axis = np.asarray(axis.data) if hasattr(axis, "data") else \
                get_scalar_constant_value(axis)
        except NotScalarConstantError:
            raise TypeError(f"axis must be a constant, got the symbolic {axis}") from None
    if isinstance(axis, np.ndarray):
        axis = axis.tolist()
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    result = []
    for a in axis:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"axis must be integers, got {a!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for a tensor with {ndim} dimensions")
        a = int(a) % ndim if ndim else int(a)
        if a in result:
            raise ValueError(f"axis {a} is repeated in {tuple(axis)}")
        result.append(a)
    return tuple(sorted(result))


def _keep(result, axis, ndim):
    """Put back the reduced ``axis`` as broadcastable length-1 dimensions."""
    pattern, kept = [], 0
    for a in range(ndim):
        if a in axis:
            pattern.append("x")
        else:
            pattern.append(kept)
            kept += 1
    return dimshuffle(result, pattern)


@dataclass(frozen=True)
class _Reduce(Op):
    """Common part of the reductions: removes ``axis`` (a sorted tuple) from the input."""

    axis: tuple
    # numpy function name of the reduction, and its neutral element (for generated code).
    reducer = None
    identity = None

    def output_dtype(self, dtype):
        return dtype

    def accumulate_dtype(self, dtype):
        return self.output_dtype(dtype)

    def make_node(self, x):
        x = as_tensor_variable(x)
        for a in self.axis:
            if not 0 <= a < x.ndim:
                raise TypeError(f"{self} reduces axis {a} of a {x.ndim}-d tensor ({x.type})")
        broadcastable = tuple(b for a, b in enumerate(x.broadcastable) if a not in self.axis)
        out = TensorType(self.output_dtype(x.dtype), broadcastable).make_variable()
        return Apply(self, [x], [out])

    def perform(self, node, inputs):
        (x,) = inputs
        if any(x.shape[a] == 0 for a in self.axis) and self.identity is None:
            raise ValueError(f"{self}: cannot reduce an empty axis of an array of shape "
                             f"{x.shape} (the reduction has no identity)")
        result = self.reduce(x, node)
        return [np.asarray(result, dtype=node.outputs[0].dtype)]

    def reduce(self, x, node):
        return getattr(np, self.reducer)(x, axis=self.axis)

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [[s for a, s in enumerate(shape) if a not in self.axis]]


@dataclass(frozen=True)
class _AccumulatingReduce(_Reduce):
    """A reduction with Theano's ``dtype``/``acc_dtype`` parameters (sum and prod)."""

    dtype: str = None
    acc_dtype: str = None

    def output_dtype(self, dtype):
        return self.dtype or _SUM_OUT_DTYPE.get(dtype, dtype)

    def accumulate_dtype(self, dtype):
        if self.acc_dtype is not None:
            return self.acc_dtype
        out = self.output_dtype(dtype)
        return dt.upcast(_SUM_ACC_DTYPE.get(dtype, dtype), _SUM_ACC_DTYPE.get(out, out))

    def reduce(self, x, node):
        acc = self.accumulate_dtype(node.inputs[0].dtype)
        if acc == "bool":
            acc = "int64"
        return getattr(np, self.reducer)(x, axis=self.axis, dtype=acc)


@dataclass(frozen=True)
class Sum(_AccumulatingReduce):
    """Sum over ``axis``."""

    reducer = "sum"
    identity = 0

    def grad(self, inputs, out_grads):
        (x,), (gz,) = inputs, out_grads
        if dt.is_discrete(x.dtype):
            return [None]
        from .shape import fill
        return [fill(x, _keep(gz, self.axis, x.ndim))]


@dataclass(frozen=True)
class Prod(_AccumulatingReduce):
    """Product over ``axis``."""

    reducer = "prod"
    identity = 1


def _reduce_with(op_class, x, axis, keepdims, **params):
    x = as_tensor_variable(x)
    axis = normalize_axis(axis, x.ndim)
    result = op_class(axis, **params)(x)
    return _keep(result, axis, x.ndim) if keepdims else result


def sum(input, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Sum of ``input`` over ``axis`` (None: all axes; an int or a tuple; negatives count
    from the end).

    Theano's dtype rule: bool and integers narrower than 64 bits give int64 (uint64 for
    unsigned); float32 accumulates in float64 but returns float32.

    >>> import arignote.tensor as T
    >>> x = T.bmatrix()
    >>> T.sum(x, axis=0).dtype, T.sum(x, axis=-1, keepdims=True).broadcastable
    ('int64', (False, True))
    """
    dtype = None if dtype is None else dt.check_dtype(dtype)
    acc_dtype = None if acc_dtype is None else dt.check_dtype(acc_dtype)
    return _reduce_with(Sum, input, axis, keepdims, dtype=dtype, acc_dtype=acc_dtype)


def prod(input, axis=None, dtype=None, keepdims=False, acc_dtype=None,
         no_zeros_in_input=False):
    """Product of ``input`` over ``axis``; dtype rules as for ``sum``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> float(T.prod(x).eval({x: np.array([2.0, 3.0, 4.0])}))
    24.0
    """
    dtype = None if dtype is None else dt.check_dtype(dtype)
    acc_dtype = None if acc_dtype is None else dt.check_dtype(acc_dtype)
    return _reduce_with(Prod, input, axis, keepdims, dtype=dtype, acc_dtype=acc_dtype)
