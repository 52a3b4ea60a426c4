"""Theano's ``ifelse`` module: ``ifelse(condition, then_branch, else_branch)``, lazy.

See ``arignote.compiler.ops.ifelse`` for how only the chosen branch gets computed.
"""

from .compiler.ops.ifelse import IfElse, ifelse

__all__ = ["IfElse", "ifelse"]
