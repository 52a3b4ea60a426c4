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
>>> T.dvector == T.TensorType('float64', (False,))
True
>>> [v.name for v in T.dscalars('xys')]
['x', 'y', 's']
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


def _constructor(kind):
    pattern = PATTERNS[kind]

    def make(name=None, dtype=None):
        variable = TensorType(dtype or config.floatX, pattern).make_variable(name)
        variable.trace = user_trace()
        return variable

    make.__name__ = kind
    make.__doc__ = f"A symbolic {kind} (floatX unless dtype= is given)."
    return make


def _plural_name(kind):
    return "matrices" if kind == "matrix" else kind + "s"


def _plural(single, name):
    def make(*names, dtype=None):
        # Theano's rules: an int is a count; one string is split into its letters
        # (T.scalars('xyz')), or at commas (an arignote extension: T.scalars('x, y')); one
        # variable is returned for one name, a list otherwise.
        if len(names) == 1 and isinstance(names[0], int):
            count = names[0]
            names = [None] * count
            if count == 1:
                return _one(single, None, dtype)
            return [_one(single, None, dtype) for _ in names]
        if len(names) == 1 and isinstance(names[0], str):
            text = names[0]
            names = [n.strip() for n in text.split(",")] if "," in text else list(text)
        if len(names) == 1:
            return _one(single, names[0], dtype)
        return [_one(single, n, dtype) for n in names]

    make.__name__ = name
    make.__doc__ = "Several variables, one per name (or letter of one string, or an int count)."
    return make


def _one(single, name, dtype):
    return single(name, dtype=dtype) if dtype else single(name)


def _prefix(dtype):
    return {v: k for k, v in PREFIX_DTYPES.items()}[dtype]


def _build():
    """The constructors: plain kinds are functions of (name, dtype); prefixed kinds are
    ``TensorType`` instances, as in Theano (``T.dscalar == TensorType('float64', ())``), and
    calling one makes a variable."""
    names = {}
    for kind in PATTERNS:
        names[kind] = _constructor(kind)
        names[_plural_name(kind)] = _plural(names[kind], _plural_name(kind))
        for prefix, dtype in PREFIX_DTYPES.items():
            if prefix in "cz":
                continue
            single = TensorType(dtype, PATTERNS[kind])
            names[prefix + kind] = single
            names[prefix + _plural_name(kind)] = _plural(single, prefix + _plural_name(kind))
    return names


globals().update(_build())
__all__ = ["tensor", "TensorType", "PATTERNS"] + list(_build())
