"""Loops: Theano's ``scan`` and its shorthands (``theano.scan_module`` under the import hook).

A loop becomes one ``Scan`` node (``arignote.compiler.ops.scan``); when compiled, the whole
loop, inner graph included, runs inside the function's generated C module.
"""

from .basic import scan, until  # noqa: F401
from .checkpoints import scan_checkpoints  # noqa: F401
from .views import foldl, foldr, map, reduce  # noqa: F401

__all__ = ["scan", "until", "map", "reduce", "foldl", "foldr", "scan_checkpoints"]
