"""Theano's ``theano.gof``: the graph classes, for code that walks or builds graphs itself.

>>> import arignote.tensor as T
>>> from arignote import gof
>>> x = T.dvector('x')
>>> y = T.exp(x) * x
>>> isinstance(y, gof.Variable) and isinstance(y.owner, gof.Apply)
True
>>> gof.graph.inputs([y])
[x]
"""

from ..compiler.graph import Apply, Constant, FunctionGraph, MissingInputError, Variable
from ..compiler.op import Op
from ..compiler.types import Type
from . import graph

__all__ = ["Apply", "Constant", "FunctionGraph", "MissingInputError", "Op", "Type", "Variable",
           "graph"]
