"""Every op family's user-level functions, in one namespace (what tensor methods call).

Each family module lists its public functions in ``__all__``.
"""

from .elemwise import dimshuffle, transpose  # noqa: F401
from .scalar import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .subtensor import *  # noqa: F401,F403
from .blas import *  # noqa: F401,F403
from .nnet import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .transfer import *  # noqa: F401,F403
from .sort import *  # noqa: F401,F403
