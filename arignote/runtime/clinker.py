"""The C linker: render a FunctionGraph to C, build (or load from cache) and bind it.

``CLinker(fgraph, n_args, n_outputs, update_targets, single_output).make(cells)`` returns
``(run, state)``: ``run(state, *args)`` computes the outputs in one native call.
"""

import numpy as np

from ..compiler import codegen
from . import cache


def describe_node(node):
    """The text an error inside ``node`` is reported with: the node and the user's line."""
    inputs = ", ".join(str(v) for v in node.inputs)
    text = f"Apply node {node.op}({inputs}) failed."
    if node.trace is not None:
        text += f"\n  built at {node.trace}"
    return text


def _thunk(node):
    """A callable running ``node``'s numpy reference on a tuple of arrays."""
    perform = node.op.perform
    dtypes = [np.dtype(o.dtype) for o in node.outputs]

    def thunk(arrays):
        results = perform(node, list(arrays))
        return tuple(np.require(r, dtype=d, requirements="A") for r, d in zip(results, dtypes))
    return thunk


class CLinker:
    """Turns a FunctionGraph into a native ``run`` function (see module docstring)."""

    def __init__(self, fgraph, n_args, n_outputs, update_targets, single_output, name="f"):
        renderer = codegen.CRenderer(fgraph, n_args, n_outputs, update_targets, single_output,
                                     name)
        self.source = renderer.render()
        self.plan = renderer.plan
        self.module = cache.get_module(self.source)

    def make(self, cells):
        """Bind shared-variable storage cells; returns ``(run, state)``."""
        consts = tuple(np.asarray(c.data) for c in self.plan.constants)
        thunks = tuple(_thunk(n) for n in self.plan.fallback_nodes)
        descs = tuple(describe_node(n) for n in self.plan.nodes)
        state = self.module.make(tuple(cells), consts, thunks, descs)
        return self.module.run, state
