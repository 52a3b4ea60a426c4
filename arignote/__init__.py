"""arignote: a Theano-style symbolic expression compiler.

``import arignote as theano`` gives Theano 1.0's top-level API: ``function``, ``shared``,
``grad``, ``In``, ``Out``, ``config``, and the ``tensor``, ``gradient``, ``ifelse`` and
``printing`` modules.
"""

import os as _os

# Generated modules use OpenMP for large loops, beside OpenBLAS's own threads: idle OpenMP
# threads must sleep, not spin, or they steal the cores BLAS needs (set before libgomp loads;
# a value the user chose is kept).
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .configparser import config  # noqa: F401,E402
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
from . import gof, scalar  # noqa: F401,E402
from .compiler.graph import Variable  # noqa: F401,E402
from .tensor import dot  # noqa: F401,E402
from . import scan_module  # noqa: F401,E402
from .scan_module import foldl, foldr, map, reduce, scan, scan_checkpoints  # noqa: F401,E402,A004

__version__ = "0.1.0"
