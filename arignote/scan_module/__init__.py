"""Loops: Theano's ``scan`` and its shorthands (``theano.scan_module`` under the import hook).

A loop becomes one ``Scan`` node (``arignote.compiler.ops.scan``); when compiled, the whole
loop, inner graph included, runs inside the function's generated C module.
"""

from .basic import scan, until
from .checkpoints import scan_checkpoints
from .views import foldl, foldr, map, reduce

__all__ = ["foldl", "foldr", "map", "reduce", "scan", "scan_checkpoints", "until"]
