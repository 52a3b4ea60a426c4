"""Renderers from optimized graphs to source text (C now; CUDA subclasses the C renderer)."""

from . import c, elemwise_c, views_c  # noqa: F401  (importing registers the emitters)
from .c import CRenderer, Unsupported  # noqa: F401
