"""Dtype rules: Theano's upcasting, float upgrade and autocasting of Python scalars."""

import functools

import numpy as np

from ..configparser import config

BOOL = ("bool",)
INT_DTYPES = ("int8", "int16", "int32", "int64")
UINT_DTYPES = ("uint8", "uint16", "uint32", "uint64")
FLOAT_DTYPES = ("float16", "float32", "float64")
COMPLEX_DTYPES = ("complex64", "complex128")
INTEGER_DTYPES = INT_DTYPES + UINT_DTYPES
DISCRETE_DTYPES = BOOL + INTEGER_DTYPES
ALL_DTYPES = DISCRETE_DTYPES + FLOAT_DTYPES

# Theano's short names, as in T.fmatrix, T.lvector.
PREFIX_DTYPES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64",
                 "f": "float32", "d": "float64", "c": "complex64", "z": "complex128"}


_ALL_SET = frozenset(ALL_DTYPES)
_INT_BOUNDS = [(d, int(np.iinfo(d).min), int(np.iinfo(d).max)) for d in INT_DTYPES]


def check_dtype(dtype):
    """Return the canonical name of ``dtype`` or raise TypeError."""
    if dtype.__class__ is str and dtype in _ALL_SET:
        return dtype
    if dtype == "floatX":
        return config.floatX
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in ALL_DTYPES:
        raise TypeError(f"unsupported dtype {dtype!r}; arignote supports {', '.join(ALL_DTYPES)}")
    return name


@functools.lru_cache(maxsize=4096)
def upcast(*dtypes):
    """The dtype of combining values of ``dtypes`` (numpy's array promotion)."""
    return np.result_type(*[np.dtype(d) for d in dtypes]).name


def upgrade_to_float(*dtypes):
    """Theano's rule for functions that need a float result (exp of an int vector)."""
    out = upcast(*dtypes)
    if out in FLOAT_DTYPES:
        return out
    small = ("bool", "int8", "uint8", "int16", "uint16")
    if all(d in small for d in dtypes):
        return "float32" if config.floatX != "float16" else "float16"
    return "float64"


def true_div_dtype(*dtypes):
    """``/`` of integers gives floatX (Theano), otherwise the upcast."""
    if all(d in DISCRETE_DTYPES for d in dtypes):
        return config.floatX
    return upcast(*dtypes)


def autocast_python_scalar(value):
    """The dtype Theano's 'custom' cast policy gives a Python ``bool``, ``int`` or ``float``.

    ints get the smallest of int8..int64 that holds them; floats get floatX when floatX is
    not float64, else the smallest of float32/float64 that represents them exactly.
    """
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, int):
        for dtype, low, high in _INT_BOUNDS:
            if low <= value <= high:
                return dtype
        if 0 <= value <= np.iinfo("uint64").max:
            return "uint64"
        raise OverflowError(f"integer {value} does not fit in 64 bits")
    if isinstance(value, float):
        if config.cast_policy == "numpy+floatX" or config.floatX != "float64":
            return config.floatX
        if np.isnan(value) or np.isinf(value) or float(np.float32(value)) == value:
            return "float32"
        return "float64"
    if isinstance(value, complex):
        return "complex128"
    raise TypeError(f"not a Python scalar: {value!r}")


def is_float(dtype):
    return dtype in FLOAT_DTYPES


def is_discrete(dtype):
    return dtype in DISCRETE_DTYPES
