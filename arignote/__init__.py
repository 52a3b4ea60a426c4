"""arignote: a Theano-style symbolic expression compiler.

``import arignote as theano`` gives Theano 1.0's top-level API: ``function``, ``shared``,
``grad``, ``In``, ``Out``, ``config``, and the ``tensor``, ``gradient``, ``ifelse`` and
``printing`` modules.
"""

from .configparser import config  # noqa: F401
from . import tensor  # noqa: F401
from . import gradient, ifelse, printing  # noqa: F401
from .printing import pp, pprint  # noqa: F401
from .compiler.grad import grad  # noqa: F401
from .gradient import Lop, Rop, subgraph_grad  # noqa: F401
from .runtime.function import function  # noqa: F401
from .runtime.io import In, Out  # noqa: F401
from .runtime.mode import Mode  # noqa: F401
from .runtime.shared import SharedVariable, shared  # noqa: F401
from . import compile  # noqa: F401

__version__ = "0.1.0"
