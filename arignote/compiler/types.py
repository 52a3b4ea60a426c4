"""Types of graph variables: ``TensorType(dtype, broadcastable)`` and the generic ``Type``."""

from dataclasses import dataclass

import numpy as np

from . import dtypes as dt
from ..configparser import config

_NDIM_NAMES = {0: "scalar", 1: "vector", 2: "matrix", 3: "tensor3", 4: "tensor4",
               5: "tensor5"}


class Type:
    """Base of all variable types. A type is immutable, hashable and compares by value."""

    def make_variable(self, name=None):
        from .graph import Variable
        return Variable(self, name=name)

    def __call__(self, name=None):
        return self.make_variable(name)

    def filter(self, value, strict=False, allow_downcast=None):
        return value


@dataclass(frozen=True)
class TensorType(Type):
    """An n-dimensional array type: a dtype and, per dimension, whether it is broadcastable.

    A broadcastable dimension always has length 1 and broadcasts against any length, as in
    Theano.  Non-broadcastable dimensions must agree exactly at run time.

    >>> TensorType('float32', (False, False))
    TensorType(float32, matrix)
    >>> TensorType('int64', (True, False)).ndim
    2
    """

    dtype: str
    broadcastable: tuple

    def __init__(self, dtype, broadcastable=None, shape=None):
        if broadcastable is None:
            broadcastable = tuple(s == 1 for s in shape) if shape is not None else ()
        object.__setattr__(self, "dtype", dt.check_dtype(dtype))
        object.__setattr__(self, "broadcastable", tuple(bool(b) for b in broadcastable))

    @property
    def ndim(self):
        return len(self.broadcastable)

    @property
    def shape(self):
        return tuple(1 if b else None for b in self.broadcastable)

    @property
    def numpy_dtype(self):
        return np.dtype(self.dtype)

    def make_variable(self, name=None):
        from .variable import TensorVariable
        return TensorVariable(self, name=name)

    def __call__(self, name=None):
        """A new variable of this type, traced to the user's line (``T.dmatrix('x')``)."""
        from .graph import user_trace
        variable = self.make_variable(name)
        variable.trace = user_trace()
        return variable

    def clone(self, dtype=None, broadcastable=None):
        return TensorType(self.dtype if dtype is None else dtype,
                          self.broadcastable if broadcastable is None else broadcastable)

    def describe(self):
        """'float64 matrix', or 'int8 (True, False)' where the name does not say it all."""
        name = _NDIM_NAMES.get(self.ndim)
        if name is not None and (self.ndim == 0 or not any(self.broadcastable)):
            return f"{self.dtype} {name}"
        if self.ndim == 2 and self.broadcastable == (True, False):
            return f"{self.dtype} row"
        if self.ndim == 2 and self.broadcastable == (False, True):
            return f"{self.dtype} col"
        return f"{self.dtype} {self.ndim}-d array, broadcastable={self.broadcastable}"

    def __repr__(self):
        name = _NDIM_NAMES.get(self.ndim) if not any(self.broadcastable) else None
        if self.ndim == 2 and self.broadcastable == (True, False):
            name = "row"
        elif self.ndim == 2 and self.broadcastable == (False, True):
            name = "col"
        return f"TensorType({self.dtype}, {name or self.broadcastable})"

    __str__ = __repr__

    def filter(self, value, strict=False, allow_downcast=None):
        """Return ``value`` as an ndarray of this type, or raise TypeError saying why."""
        if strict:
            if not isinstance(value, np.ndarray) or value.dtype.name != self.dtype:
                got = value.dtype.name if isinstance(value, np.ndarray) else type(value).__name__
                raise TypeError(f"expected an ndarray of dtype {self.dtype} (strict), got {got}")
            array = value
        else:
            array = self._convert(value, allow_downcast)
        if array.ndim != self.ndim:
            raise TypeError(f"expected a {self.describe()} ({self.ndim} dimensions), "
                            f"got an array with {array.ndim} dimensions, shape {array.shape}")
        for axis, (flag, size) in enumerate(zip(self.broadcastable, array.shape)):
            if flag and size != 1:
                raise TypeError(
                    f"dimension {axis} is broadcastable (must have length 1) but the value has "
                    f"shape {array.shape}; declare the variable without that broadcastable "
                    f"dimension or pass a value of length 1 there")
        return array

    def _convert(self, value, allow_downcast):
        if isinstance(value, np.ndarray) and value.dtype.name == self.dtype:
            return value
        is_array = isinstance(value, (np.ndarray, np.generic))
        try:
            source = value if is_array else np.asarray(value)
        except Exception:
            raise TypeError(f"cannot convert {type(value).__name__} to {self.describe()}")
        if source.dtype.name == self.dtype:
            return np.asarray(source)
        if source.dtype.kind not in "biuf":
            raise TypeError(f"expected numbers for a {self.describe()}, "
                            f"got dtype {source.dtype.name}")
        converted = np.asarray(source, dtype=self.dtype)
        if allow_downcast:
            return converted
        if dt.upcast(self.dtype, source.dtype.name) == self.dtype:
            return converted
        # Python numbers and lists: accept when no information is lost, and floats when the
        # target is floatX (Theano's rule), so f(0.1) works for an fscalar under floatX=float32.
        if not is_array and allow_downcast is None:
            if source.dtype.kind == "f" and self.dtype == config.floatX:
                return converted
            with np.errstate(invalid="ignore", over="ignore"):
                if np.array_equal(converted, source):
                    return converted
        raise TypeError(
            f"expected {self.describe()}, got {type(value).__name__} of dtype "
            f"{source.dtype.name}; converting would lose precision. Cast the value "
            f"(e.g. numpy.asarray(value, dtype='{self.dtype}')) or pass "
            f"allow_input_downcast=True to function()")

    def value_zeros(self, shape):
        return np.zeros(shape, dtype=self.dtype)


def scalar_type(dtype):
    return TensorType(dtype, ())


def float_x():
    return config.floatX
