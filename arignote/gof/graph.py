"""Theano's ``theano.gof.graph``: walking and copying graphs.

>>> import arignote.tensor as T
>>> from arignote.gof import graph
>>> x, y = T.dscalars('x', 'y')
>>> z = x * y + x
>>> graph.inputs([z])
[x, y]
>>> [str(node.op) for node in graph.io_toposort([x, y], [z])]
['Elemwise{Mul}', 'Elemwise{Add}']
"""

from ..compiler.graph import (  # noqa: F401
    Apply, Constant, Variable, ancestors, clone_get_equiv, graph_inputs, io_toposort)


def inputs(variable_list, blockers=None):
    """The variables without owner (or in ``blockers``) that ``variable_list`` depends on."""
    return graph_inputs(variable_list, blockers or ())


def variables(i, o):
    """Every variable on a path from the inputs ``i`` to the outputs ``o`` (both included)."""
    return ancestors(o, blockers=i)


def ops(i, o):
    """The set of Apply nodes between the inputs ``i`` and the outputs ``o``."""
    return set(io_toposort(i, o))


def clone(i, o, copy_inputs=True):
    """A copy of the graph from ``i`` to ``o``: ``(new_inputs, new_outputs)``."""
    equiv = clone_get_equiv(i, o, copy_inputs=copy_inputs)
    return [equiv[v] for v in i], [equiv[v] for v in o]
