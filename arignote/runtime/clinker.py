"""The C linker: render a FunctionGraph to C, build (or load from cache) and bind it.

``CLinker(fgraph, n_args, n_outputs, update_targets, single_output).make(cells)`` returns
``(run, state)``: ``run(state, *args)`` computes the outputs in one native call.
"""

import sys
import warnings

import numpy as np

from ..compiler import codegen
from ..configparser import config
from . import build, cache

# Linker names that mean "compile to C" (Theano's names for its C linkers).
C_LINKERS = ("cvm", "c", "c|py", "cvm_nogc", "c|py_nogc", "vm", "vm_nogc")
_warned = []


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

    def __init__(self, fgraph, n_args, n_outputs, update_targets, single_output):
        self.n_args = n_args
        renderer = codegen.CRenderer(fgraph, n_args, n_outputs, update_targets, single_output)
        self.source = renderer.render()
        self.plan = renderer.plan
        if config.print_source:
            print(f"/* ---- arignote: generated module ---- */\n{self.source}", file=sys.stderr)
        self.module = cache.get_module(self.source)

    def make(self, cells):
        """Bind shared-variable storage cells; returns ``(run, state)``."""
        consts = tuple(np.asarray(c.data) for c in self.plan.constants)
        thunks = tuple(_thunk(n) for n in self.plan.fallback_nodes)
        descs = tuple(describe_node(n) for n in self.plan.nodes)
        state = self.module.make(tuple(cells), consts, thunks, descs)
        return self.module.run, state


def native_linker(fgraph, specs, n_outputs, update_inputs, single):
    """A CLinker for a function's graph, or None when it must run on the reference linker
    (no C compiler, a type C cannot hold, updates of explicit inputs)."""
    n_args = sum(1 for spec in specs if not spec.implicit)
    if any(spec.implicit for spec in specs[:n_args]):
        return None
    if any(position < n_args for position in update_inputs):
        return None
    if build.find_compiler() is None:
        if not _warned:
            _warned.append(True)
            warnings.warn("no C compiler found (set $CC or install gcc): arignote runs "
                          "functions with its numpy reference backend, which is much slower",
                          stacklevel=4)
        return None
    try:
        return CLinker(fgraph, n_args, n_outputs, [p - n_args for p in update_inputs],
                       single and n_outputs == 1)
    except codegen.Unsupported:
        return None
