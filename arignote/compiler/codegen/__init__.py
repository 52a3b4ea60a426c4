"""Renderers from optimized graphs to source text (C now; CUDA subclasses the C renderer).

Importing this package registers the C emitters of every op family.
"""

from . import c, elemwise_c, views_c  # noqa: F401
from . import blas_c, more_c, nnet_c, random_c, reduce_c, shape_c, subtensor_c  # noqa: F401
from . import inner_c, scan_c  # noqa: F401
from . import conv_c  # noqa: F401
from . import pool_c  # noqa: F401
from . import sort_c  # noqa: F401
from .c import CRenderer, Unsupported  # noqa: F401
