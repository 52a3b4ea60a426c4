"""Reductions over axes (sum, prod, max, min, all, any, argmax, ...) and cumulative ops.

A reduction op removes the reduced axes; ``keepdims=True`` is a ``DimShuffle`` put back on
top by the wrapper function, as in Theano, so the ops themselves stay simple for codegen.
Dtype rules follow Theano 1.0: ``sum``/``prod`` of bool and small integers give int64 (uint64
for unsigned), accumulating float16 in float32 and float32 in float64.
"""

import builtins
from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from ..graph import Apply, Variable
from ..op import Op
from ..types import TensorType
from ..variable import NotScalarConstantError, as_tensor_variable, get_scalar_constant_value
from .elemwise import dimshuffle

__all__ = ["sum", "prod", "max", "min", "argmax", "argmin", "max_and_argmax", "all", "any",
           "mean", "var", "std", "norm", "cumsum", "cumprod"]

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
    if not isinstance(axis, (tuple, list)):
        raise TypeError(f"axis must be None, an int or a sequence of integers, got {axis!r}")
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
        if builtins.any(x.shape[a] == 0 for a in self.axis) and self.identity is None:
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


    def grad(self, inputs, out_grads):
        (x,), (gz,) = inputs, out_grads
        if dt.is_discrete(x.dtype):
            return [None]
        return [_prod_grad(x, self.axis, gz)]


def _prod_grad(x, axis, gz):
    """The gradient of prod, exact where the input has zeros, and so are its own gradients.

    The gradient at ``i`` is ``Q / x_i * f_i``, where ``Q`` is the product of the non-zero
    elements and ``f_i`` the product of the zero-valued elements other than ``x_i``: 1, or a
    zero-valued graph (a sum of the zero elements) that still carries their gradient, so
    that hessians are right too (Theano's rule gets the values right, not the hessian).
    """
    o = _ops()
    gz = _keep(gz, axis, x.ndim)
    is_zero = o.eq(x, 0)
    n_zeros = sum(is_zero, axis=axis, keepdims=True)
    safe_x = o.switch(is_zero, o.ones_like(x), x)
    q = prod(safe_x, axis=axis, keepdims=True)
    zero_sum = sum(o.switch(is_zero, x, o.zeros_like(x)), axis=axis, keepdims=True)
    one = o.ones_like(x)
    others = o.switch(o.eq(n_zeros, 1), o.switch(is_zero, one, o.fill(x, zero_sum)),
                      o.switch(o.and_(o.eq(n_zeros, 2), is_zero), o.sub(zero_sum, x),
                               o.zeros_like(x)))
    factor = o.switch(o.eq(n_zeros, 0), one, others)
    return o.mul(gz, o.true_div(q, safe_x), factor)


@dataclass(frozen=True)
class Max(_Reduce):
    """Maximum over ``axis``; the gradient goes to every position equal to the maximum."""

    reducer = "max"

    def grad(self, inputs, out_grads):
        (x,), (gz,) = inputs, out_grads
        if dt.is_discrete(x.dtype):
            return [None]
        return [_extremum_grad(type(self), x, self.axis, gz)]


@dataclass(frozen=True)
class Min(_Reduce):
    """Minimum over ``axis``; the gradient goes to every position equal to the minimum."""

    reducer = "min"

    def grad(self, inputs, out_grads):
        (x,), (gz,) = inputs, out_grads
        if dt.is_discrete(x.dtype):
            return [None]
        return [_extremum_grad(type(self), x, self.axis, gz)]


def _extremum_grad(op_class, x, axis, gz):
    """Theano's rule: ``eq(x, extremum) * gz``, the extremum and gz broadcast back."""
    o = _ops()
    extremum = _keep(op_class(axis)(x), axis, x.ndim)
    return o.mul(o.cast(o.eq(x, extremum), x.dtype), _keep(gz, axis, x.ndim))


@dataclass(frozen=True)
class All(_Reduce):
    """True where every element over ``axis`` is non-zero (bool output)."""

    reducer = "all"
    identity = True

    def output_dtype(self, dtype):
        return "bool"

    def grad(self, inputs, out_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


@dataclass(frozen=True)
class Any(_Reduce):
    """True where some element over ``axis`` is non-zero (bool output)."""

    reducer = "any"
    identity = False

    def output_dtype(self, dtype):
        return "bool"

    def grad(self, inputs, out_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


@dataclass(frozen=True)
class Argmax(_Reduce):
    """Index (int64) of the maximum over ``axis``; several axes index their flattening."""

    reducer = "argmax"

    def output_dtype(self, dtype):
        return "int64"

    def reduce(self, x, node):
        return getattr(np, self.reducer)(_move_to_end(x, self.axis), axis=-1)

    def grad(self, inputs, out_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


@dataclass(frozen=True)
class Argmin(Argmax):
    """Index (int64) of the minimum over ``axis``; several axes index their flattening."""

    reducer = "argmin"


def accumulator_dtype(node):
    """The dtype a reduction node accumulates in: bools are counted in int64 unless the
    result itself is a bool (all, any, max of bools)."""
    acc = node.op.accumulate_dtype(node.inputs[0].dtype)
    return "int64" if acc == "bool" and node.outputs[0].dtype != "bool" else acc


def _move_to_end(x, axis):
    """``x`` with the ``axis`` moved last and flattened into one (for argmax of several)."""
    kept = [a for a in range(x.ndim) if a not in axis]
    x = np.transpose(x, kept + list(axis))
    return x.reshape(x.shape[:len(kept)] + (-1,))


def _ops():
    from .. import ops
    return ops


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

    The gradient is exact where the input has zeros (``no_zeros_in_input`` is accepted for
    Theano compatibility).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> float(T.prod(x).eval({x: np.array([2.0, 3.0, 4.0])}))
    24.0
    """
    dtype = None if dtype is None else dt.check_dtype(dtype)
    acc_dtype = None if acc_dtype is None else dt.check_dtype(acc_dtype)
    return _reduce_with(Prod, input, axis, keepdims, dtype=dtype, acc_dtype=acc_dtype)


def max(x, axis=None, keepdims=False):
    """Maximum of ``x`` over ``axis``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dmatrix()
    >>> T.max(x, axis=1).eval({x: np.array([[1.0, 5.0], [7.0, 2.0]])}).tolist()
    [5.0, 7.0]
    """
    return _reduce_with(Max, x, axis, keepdims)


def min(x, axis=None, keepdims=False):
    """Minimum of ``x`` over ``axis``."""
    return _reduce_with(Min, x, axis, keepdims)


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum over ``axis`` (int64); with several axes (or None), the index
    into those axes flattened in C order, as numpy's ``argmax(axis=None)``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dmatrix()
    >>> T.argmax(x, axis=1).eval({x: np.array([[1.0, 5.0], [7.0, 2.0]])}).tolist()
    [1, 0]
    """
    return _reduce_with(Argmax, x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum over ``axis`` (int64), as ``argmax``."""
    return _reduce_with(Argmin, x, axis, keepdims)


def max_and_argmax(x, axis=None, keepdims=False):
    """``[max(x, axis), argmax(x, axis)]`` (Theano's ``T.max_and_argmax``)."""
    return [max(x, axis, keepdims), argmax(x, axis, keepdims)]


def all(x, axis=None, keepdims=False):
    """Whether every element over ``axis`` is non-zero.

    Returns bool (Theano 1.0 returns bool as well since it has a bool dtype).
    """
    return _reduce_with(All, x, axis, keepdims)


def any(x, axis=None, keepdims=False):
    """Whether some element over ``axis`` is non-zero (bool)."""
    return _reduce_with(Any, x, axis, keepdims)


def _count(x, axis, dtype):
    """The number of elements reduced over ``axis``, a scalar of ``dtype``."""
    from .shape import shape_i
    o = _ops()
    sizes = [shape_i(x, a) for a in axis]
    count = o.mul(*sizes) if sizes else as_tensor_variable(np.int64(1))
    return o.cast(count, dtype)


def mean(input, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Mean of ``input`` over ``axis``.

    Theano's dtype rule: the sum's dtype divided by the count; integer inputs give float64,
    float16 inputs are summed in float32 and give float16 back.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.lmatrix()
    >>> y = T.mean(x, axis=0)
    >>> y.dtype, y.eval({x: np.array([[1, 2], [4, 4]])}).tolist()
    ('float64', [2.5, 3.0])
    """
    o = _ops()
    input = as_tensor_variable(input)
    axis = normalize_axis(axis, input.ndim)
    sum_dtype = dtype
    if sum_dtype is None and input.dtype == "float16":
        sum_dtype = "float32"
    total = sum(input, axis=axis, dtype=sum_dtype, keepdims=keepdims, acc_dtype=acc_dtype)
    count_dtype = "float32" if total.dtype in ("float16", "float32") else "float64"
    result = o.true_div(total, _count(input, axis, count_dtype))
    if dtype == "float16" or (dtype is None and input.dtype == "float16"):
        result = o.cast(result, "float16")
    elif dtype is not None and not dt.is_discrete(dtype):
        result = o.cast(result, dtype)
    return result


def var(input, axis=None, ddof=0, keepdims=False, corrected=False):
    """Variance of ``input`` over ``axis``, dividing by ``n - ddof``.

    ``corrected=True`` uses the corrected two-pass algorithm (subtracts the squared mean of
    the centred values, which is zero in exact arithmetic), as Theano.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> float(T.var(x, ddof=1).eval({x: np.array([1.0, 2.0, 3.0, 4.0])}))
    1.6666666666666667
    """
    o = _ops()
    input = as_tensor_variable(input)
    axis = normalize_axis(axis, input.ndim)
    centred = o.sub(input, mean(input, axis, keepdims=True))
    dtype = centred.dtype
    n = _count(input, axis, "float64" if dtype == "float64" else "float32")
    denominator = o.sub(n, as_tensor_variable(np.asarray(ddof, dtype=n.dtype)))
    squares = sum(o.mul(centred, centred), axis=axis, keepdims=keepdims)
    result = o.true_div(squares, denominator)
    if corrected:
        error = sum(centred, axis=axis, keepdims=keepdims)
        result = o.sub(result, o.true_div(o.mul(error, error), o.mul(n, denominator)))
    return o.cast(result, dtype) if result.dtype != dtype else result


def std(input, axis=None, ddof=0, keepdims=False, corrected=False):
    """Standard deviation: ``sqrt(var(input, axis, ddof, keepdims, corrected))``."""
    return _ops().sqrt(var(input, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected))


def norm(x, L, axis=None, keepdims=False):
    """The L-norm of ``x`` over ``axis``: ``sum(abs(x) ** L) ** (1 / L)``.

    ``L`` = 1 and 2 use ``sum(abs(x))`` and ``sqrt(sum(x * x))``; ``inf`` and ``-inf`` the
    largest and smallest absolute value; 0 counts the non-zero elements (as numpy).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector()
    >>> float(T.norm(x, 2).eval({x: np.array([3.0, 4.0])}))
    5.0
    """
    o = _ops()
    x = as_tensor_variable(x)
    if L == 0:
        return sum(o.neq(x, 0), axis=axis, keepdims=keepdims)
    if L == 1:
        return sum(o.abs(x), axis=axis, keepdims=keepdims)
    if L == 2:
        return o.sqrt(sum(o.mul(x, x), axis=axis, keepdims=keepdims))
    if np.isinf(L):
        return (max if L > 0 else min)(o.abs(x), axis=axis, keepdims=keepdims)
    total = sum(o.pow(o.abs(x), L), axis=axis, keepdims=keepdims)
    return o.pow(total, 1.0 / L)


# ----------------------------------------------------------------------- cumulative ops
@dataclass(frozen=True)
class _Cumulative(Op):
    """Running reduction along ``axis`` (an int; the wrapper flattens for None)."""

    axis: int
    reducer = None

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not 0 <= self.axis < x.ndim:
            raise TypeError(f"{self} along axis {self.axis} of a {x.ndim}-d tensor ({x.type})")
        dtype = _SUM_OUT_DTYPE.get(x.dtype, x.dtype)
        return Apply(self, [x], [TensorType(dtype, x.broadcastable).make_variable()])

    def perform(self, node, inputs):
        dtype = node.outputs[0].dtype
        return [np.asarray(getattr(np, self.reducer)(inputs[0], axis=self.axis, dtype=dtype),
                           dtype=dtype)]

    def infer_shape(self, node, input_shapes):
        return [list(input_shapes[0])]


def _reverse_cumsum(g, axis):
    """``cumsum`` from the end along ``axis``: ``sum(g) - cumsum(g) + g``."""
    o = _ops()
    return o.add(o.sub(sum(g, axis=axis, keepdims=True), CumSum(axis)(g)), g)


@dataclass(frozen=True)
class CumSum(_Cumulative):
    """Running sum along ``axis`` (bool and small integers accumulate in int64)."""

    reducer = "cumsum"

    def grad(self, inputs, out_grads):
        (x,), (gz,) = inputs, out_grads
        if dt.is_discrete(x.dtype):
            return [None]
        return [_reverse_cumsum(gz, self.axis)]


@dataclass(frozen=True)
class CumProd(_Cumulative):
    """Running product along ``axis``; the gradient divides by ``x`` (no zeros), as Theano."""

    reducer = "cumprod"

    def grad(self, inputs, out_grads):
        (x,), (gz,) = inputs, out_grads
        if dt.is_discrete(x.dtype):
            return [None]
        o = _ops()
        return [o.true_div(_reverse_cumsum(o.mul(CumProd(self.axis)(x), gz), self.axis), x)]


def _cumulative(op_class, x, axis):
    x = as_tensor_variable(x)
    if axis is None:
        from .shape import flatten
        x, axis = flatten(x, 1), 0
    (axis,) = normalize_axis(axis, x.ndim)
    return op_class(axis)(x)


def cumsum(x, axis=None):
    """Running sum along ``axis`` (None: over the flattened array), as ``numpy.cumsum``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dmatrix()
    >>> T.cumsum(x).eval({x: np.array([[1.0, 2.0], [3.0, 4.0]])}).tolist()
    [1.0, 3.0, 6.0, 10.0]
    """
    return _cumulative(CumSum, x, axis)


def cumprod(x, axis=None):
    """Running product along ``axis`` (None: over the flattened array), as ``numpy.cumprod``."""
    return _cumulative(CumProd, x, axis)
