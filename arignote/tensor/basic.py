"""Variable constructors of Theano's tensor namespace: ``T.matrix``, ``T.fvector``, ...

Every constructor takes ``(name=None, dtype=None)``; ``dtype`` defaults to ``config.floatX``.
The prefixed forms fix the dtype (``b`` int8, ``w`` int16, ``i`` int32, ``l`` int64,
``f`` float32, ``d`` float64) and plurals build several at once:

>>> import arignote.tensor as T
>>> T.fmatrix('x').type
TensorType(float32, matrix)
>>> a, b = T.dvectors('a', 'b')
>>> T.row().broadcastable
(True, False)
"""

from ..compiler.dtypes import PREFIX_DTYPES
from ..compiler.graph import user_trace
from ..compiler.types import TensorType
from ..configparser import config

# name -> broadcastable pattern
PATTERNS = {
    "scalar": (),
    "vector": (False,),
    "row": (True, False),
    "col": (False, True),
    "matrix": (False, False),
    "tensor3": (False,) * 3,
    "tensor4": (False,) * 4,
    "tensor5": (False,) * 5,
    "tensor6": (False,) * 6,
    "tensor7": (False,) * 7,
}


def tensor(dtype=None, broadcastable=None, name=None, shape=None):
    """A tensor variable of ``dtype`` and broadcast pattern (or static ``shape``).

    Theano's ``T.tensor(dtype, broadcastable, name)``; PyTensor's ``shape=`` keyword also
    works (``shape=(None, 1)`` is broadcastable ``(False, True)``).
    """
    if isinstance(dtype, (tuple, list)) and broadcastable is None:
        dtype, broadcastable = None, dtype
    if broadcastable is None and shape is None:
        raise TypeError("tensor() needs broadcastable= or shape=")
    variable = TensorType(dtype or config.floatX, broadcastable, shape=shape).make_variable(name)
    variable.trace = user_trace()
    return variable


def _constructor(kind, fixed_dtype=None):
    pattern = PATTERNS[kind]

    def make(name=None, dtype=None):
        dtype = fixed_dtype or dtype or config.floatX
        variable = TensorType(dtype, pattern).make_variable(name)
        variable.trace = user_trace()
        return variable

    make.__name__ = kind if fixed_dtype is None else _prefix(fixed_dtype) + kind
    make.__doc__ = f"A symbolic {kind} ({fixed_dtype or 'floatX'} unless dtype= is given)."
    return make


def _plural_name(kind):
    return "matrices" if kind == "matrix" else kind + "s"


def _plural(single):
    def make(*names, dtype=None):
        if len(names) == 1 and isinstance(names[0], int):
            names = [None] * names[0]
        if len(names) == 1 and isinstance(names[0], str) and "," in names[0]:
            names = [n.strip() for n in names[0].split(",")]
        return [single(n, dtype=dtype) if dtype else single(n) for n in names]

    make.__name__ = single.__name__[:-len("matrix")] + "matrices" if single.__name__.endswith(
        "matrix") else single.__name__ + "s"
    make.__doc__ = f"Several {single.__name__}s, one per name (or an int count)."
    return make


def _prefix(dtype):
    return {v: k for k, v in PREFIX_DTYPES.items()}[dtype]


def _build():
    names = {}
    for kind in PATTERNS:
        names[kind] = _constructor(kind)
        names[_plural_name(kind)] = _plural(names[kind])
        for prefix, dtype in PREFIX_DTYPES.items():
            if prefix in "cz":
                continue
            single = _constructor(kind, dtype)
            names[prefix + kind] = single
            names[prefix + _plural_name(kind)] = _plural(single)
    return names


globals().update(_build())
__all__ = ["tensor", "TensorType", "PATTERNS"] + list(_build())
