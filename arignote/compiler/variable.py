"""Tensor variables with Python operators, tensor constants, and ``as_tensor_variable``.

Operators and methods build graphs through the op functions collected in
``arignote.compiler.ops`` (imported lazily: the op modules themselves build variables).
"""

import numbers

import numpy as np

from . import dtypes as dt
from .graph import Constant, Variable
from .types import TensorType


def _ops():
    from . import ops
    return ops


def _comparison(result):
    """``result`` marked as having no truth value (see ``_TensorMethods.__bool__``)."""
    result._is_nonzero = False
    return result


class _TensorMethods:
    """Operators and numpy-like methods shared by tensor variables and constants."""

    # numpy operands defer to our reflected operators with their own dtype intact
    # (``np.float64(0.01) * x`` keeps float64 even under floatX=float32).
    __array_ufunc__ = None

    # ---- arithmetic
    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().sub(self, other)

    def __rsub__(self, other):
        return _ops().sub(other, self)

    def __mul__(self, other):
        return _ops().mul(self, other)

    def __rmul__(self, other):
        return _ops().mul(other, self)

    def __truediv__(self, other):
        return _ops().true_div(self, other)

    def __rtruediv__(self, other):
        return _ops().true_div(other, self)

    def __floordiv__(self, other):
        return _ops().int_div(self, other)

    def __rfloordiv__(self, other):
        return _ops().int_div(other, self)

    def __mod__(self, other):
        return _ops().mod(self, other)

    def __rmod__(self, other):
        return _ops().mod(other, self)

    def __pow__(self, other):
        return _ops().pow(self, other)

    def __rpow__(self, other):
        return _ops().pow(other, self)

    def __neg__(self):
        return _ops().neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops().abs(self)

    def __matmul__(self, other):
        return _ops().dot(self, other)

    def __rmatmul__(self, other):
        return _ops().dot(other, self)

    # ---- comparisons and logic (== and != stay identity comparisons, as in Theano)
    def __lt__(self, other):
        return _comparison(_ops().lt(self, other))

    def __le__(self, other):
        return _comparison(_ops().le(self, other))

    def __gt__(self, other):
        return _comparison(_ops().gt(self, other))

    def __ge__(self, other):
        return _comparison(_ops().ge(self, other))

    def __and__(self, other):
        return _ops().and_(self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _ops().or_(self, other)

    __ror__ = __or__

    def __xor__(self, other):
        return _ops().xor(self, other)

    __rxor__ = __xor__

    def __invert__(self):
        return _ops().invert(self)

    # Theano 1.0: every variable is true (``if not W:`` tests for None), except the results
    # of <, <=, >, >=, whose truth value raises to forbid chained comparisons (a < b < c).
    _is_nonzero = True

    def __bool__(self):
        if self._is_nonzero:
            return True
        raise TypeError(
            "a comparison of symbolic variables has no truth value (a < b < c is not "
            "supported); use arignote.ifelse.ifelse or T.switch for conditions and T.and_ to "
            "combine comparisons")

    def __iter__(self):
        # A vector of known length iterates over its elements (a, b = x.shape), as in Theano.
        if self.ndim != 1:
            raise TypeError(f"cannot iterate over a {self.ndim}-d symbolic tensor; index it "
                            "with x[i] or use scan")
        try:
            length = _ops().get_vector_length(self)
        except ValueError:
            raise TypeError("cannot iterate over a symbolic vector of unknown length; index "
                            "it with x[i] or use scan") from None
        return iter([self[i] for i in range(length)])

    def __len__(self):
        raise TypeError("the length of a symbolic tensor is symbolic; use x.shape[0]")

    # ---- indexing
    def __getitem__(self, index):
        return _ops().getitem(self, index)

    # ---- shape
    @property
    def shape(self):
        return _ops().shape(self)

    @property
    def size(self):
        return _ops().prod(self.shape)

    @property
    def T(self):
        return _ops().transpose(self)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        return _ops().transpose(self, axes or None)

    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (tuple, list)):
            pattern = pattern[0]
        return _ops().dimshuffle(self, pattern)

    def reshape(self, shape, ndim=None):
        return _ops().reshape(self, shape, ndim=ndim)

    def flatten(self, ndim=1):
        return _ops().flatten(self, ndim)

    def ravel(self):
        return _ops().flatten(self, 1)

    def squeeze(self):
        return _ops().squeeze(self)

    def astype(self, dtype):
        return _ops().cast(self, dtype)

    # ---- reductions
    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _ops().sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _ops().prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _ops().mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return _ops().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return _ops().min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return _ops().argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return _ops().argmin(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return _ops().var(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def std(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return _ops().std(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def all(self, axis=None, keepdims=False):
        return _ops().all(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return _ops().any(self, axis=axis, keepdims=keepdims)

    def norm(self, L, axis=None, keepdims=False):
        return _ops().norm(self, L, axis=axis, keepdims=keepdims)

    def cumsum(self, axis=None):
        return _ops().cumsum(self, axis=axis)

    def cumprod(self, axis=None):
        return _ops().cumprod(self, axis=axis)

    # ---- element-wise helpers
    def nonzero(self, return_matrix=False):
        return _ops().nonzero(self, return_matrix=return_matrix)

    def nonzero_values(self):
        return _ops().nonzero_values(self)

    def clip(self, a_min, a_max):
        return _ops().clip(self, a_min, a_max)

    def round(self, mode=None):
        return _ops().round(self, mode)

    def conj(self):
        return self

    def dot(self, other):
        return _ops().dot(self, other)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return _ops().diagonal(self, offset, axis1, axis2)

    def repeat(self, repeats, axis=None):
        return _ops().repeat(self, repeats, axis)

    def take(self, indices, axis=None, mode="raise"):
        return _ops().take(self, indices, axis, mode)

    def transfer(self, target):
        """This value placed on ``target`` ('cuda', 'cudaN', 'gpu' or 'cpu')."""
        return _ops().transfer(self, target)

    def copy(self, name=None):
        result = _ops().tensor_copy(self)
        result.name = name
        return result

    def zeros_like(self, dtype=None):
        return _ops().zeros_like(self, dtype=dtype)

    def ones_like(self, dtype=None):
        return _ops().ones_like(self, dtype=dtype)

    def fill(self, value):
        return _ops().fill(self, value)


class TensorVariable(_TensorMethods, Variable):
    """A symbolic n-d array."""


class TensorConstant(_TensorMethods, Constant):
    """A tensor with a fixed value."""

    @property
    def value(self):
        return self.data


def constant(value, name=None, ndim=None, dtype=None):
    """A ``TensorConstant`` holding ``value``.

    Python scalars get Theano's autocast dtype (``2`` is int8, ``1.5`` is float32 when
    floatX is float64 but the value fits exactly, otherwise floatX rules apply).

    >>> constant(2).dtype, constant([1.0, 2.5]).dtype
    ('int8', 'float64')
    """
    scalar_key = None
    if ndim is None and name is None and type(value) in (int, float, bool):
        scalar_key = (type(value), value, repr(value), dtype, dt.config.floatX)
        cached = _SCALAR_CONSTANTS.get(scalar_key)
        if cached is not None:
            return cached
    if dtype is not None:
        data = np.asarray(value, dtype=dt.check_dtype(dtype))
    elif isinstance(value, (bool, numbers.Number)) and not isinstance(
            value, (np.generic, np.ndarray)):
        data = np.asarray(value, dtype=dt.autocast_python_scalar(value))
    else:
        data = np.asarray(value)
        if data.dtype.kind == "f" and not isinstance(value, (np.ndarray, np.generic)):
            data = data.astype(dt.config.floatX if dt.config.floatX != "float64"
                               else data.dtype)
        if data.dtype.kind == "U" or data.dtype.kind == "O":
            raise TypeError(f"cannot make a tensor constant of {value!r}")
        if data.dtype.name not in dt.ALL_DTYPES:
            raise TypeError(f"cannot make a tensor constant of dtype {data.dtype.name}")
    if ndim is not None:
        if data.ndim > ndim:
            raise ValueError(f"constant {value!r} has {data.ndim} dimensions, more than {ndim}")
        data = data.reshape((1,) * (ndim - data.ndim) + data.shape)
    broadcastable = tuple(s == 1 for s in data.shape)
    result = TensorConstant(TensorType(data.dtype.name, broadcastable), data, name=name)
    if scalar_key is not None and len(_SCALAR_CONSTANTS) < 10000:
        _SCALAR_CONSTANTS[scalar_key] = result
    return result


# Constants are immutable, so equal Python scalars share one TensorConstant (as Theano).
_SCALAR_CONSTANTS = {}


def as_tensor_variable(value, name=None, ndim=None):
    """Return ``value`` as a tensor variable: variables pass through, data becomes a constant.

    >>> as_tensor_variable([[1, 2], [3, 4]]).type
    TensorType(int64, matrix)
    """
    if isinstance(value, Variable):
        if not isinstance(value.type, TensorType):
            raise TypeError(f"{value} has type {value.type}, not a tensor type")
        if ndim is not None and value.ndim != ndim:
            if value.ndim < ndim:
                return _ops().dimshuffle(value, ["x"] * (ndim - value.ndim) +
                                         list(range(value.ndim)))
            raise ValueError(f"{value} has {value.ndim} dimensions, expected {ndim}")
        return value
    if hasattr(value, "owner") and hasattr(value, "type"):
        raise TypeError(f"cannot use {value!r} as a tensor")
    if isinstance(value, (list, tuple)) and any(isinstance(v, Variable) for v in value):
        return _ops().stack([as_tensor_variable(v) for v in value])
    return constant(value, name=name, ndim=ndim)


def get_scalar_constant_value(value):
    """The numeric value of a constant scalar graph, or raise ``NotScalarConstantError``."""
    if isinstance(value, (numbers.Number, np.generic)):
        return np.asarray(value)
    if isinstance(value, np.ndarray) and value.size == 1:
        return value.reshape(())
    if isinstance(value, Constant) and isinstance(value.data, np.ndarray):
        if value.data.size == 1:
            return value.data.reshape(())
    if isinstance(value, Variable) and value.owner is not None:
        folded = getattr(value.owner.op, "constant_value", None)
        if folded is not None:
            result = folded(value.owner, value.index)
            if result is not None:
                return np.asarray(result)
    raise NotScalarConstantError(f"{value} is not a constant scalar")


class NotScalarConstantError(TypeError):
    """Raised by ``get_scalar_constant_value`` for a non-constant graph."""
