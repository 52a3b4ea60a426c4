"""arignote: a Theano-style symbolic expression compiler."""

from .configparser import config  # noqa: F401
from . import tensor  # noqa: F401
from .compiler.grad import grad  # noqa: F401
from .runtime.function import function  # noqa: F401

__version__ = "0.1.0"
