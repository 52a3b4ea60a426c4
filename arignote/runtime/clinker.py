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
from .reference import node_trace, raise_with_node

# Linker names that mean "compile to C" (Theano's names for its C linkers).
C_LINKERS = ("cvm", "c", "c|py", "cvm_nogc", "c|py_nogc", "vm", "vm_nogc")
_warned = []


def describe_node(node):
    """``(head, tail)`` of the message an error inside ``node`` raises: the node, the types
    of its inputs and the user lines that built it (every line a fused node came from)."""
    inputs = ", ".join(str(v) for v in node.inputs)
    head = f"Apply node {node.op}({inputs}) failed: "
    types = ", ".join(v.type.describe() if hasattr(v.type, "describe") else str(v.type)
                      for v in node.inputs)
    lines = [f"  inputs: {types[:200]}"]
    traces = getattr(node.tag, "fused_traces", None) or [node_trace(node)]
    traces = [t for t in dict.fromkeys(traces) if t is not None][:3]
    if traces:
        lines += [f"  built at: {t}" for t in traces]
    else:
        lines.append("  built at: (unknown: the node was not built by user code)")
    return head, "\n" + "\n".join(lines)


def _thunk(node):
    """A callable running ``node``'s numpy reference on a tuple of arrays."""
    perform = node.op.perform
    dtypes = [np.dtype(o.dtype) for o in node.outputs]

    def thunk(arrays):
        try:
            results = perform(node, list(arrays))
        except Exception as error:
            raise_with_node(error, node, arrays)
        return tuple(np.require(r, dtype=d, requirements="A") for r, d in zip(results, dtypes))
    return thunk


class CLinker:
    """Turns a FunctionGraph into a native ``run`` function (see module docstring)."""

    def __init__(self, fgraph, n_args, n_outputs, update_targets, single_output,
                 profile=False):
        self.n_args = n_args
        renderer = codegen.CRenderer(fgraph, n_args, n_outputs, update_targets, single_output,
                                     profile=profile)
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

    def timings(self, state):
        """A view of the per-node times a profiling build records, in the shape that
        ``ProfileStats`` reads (``schedule``, ``times``, ``calls``)."""
        return _Timings(self, state)

    def explain(self, error):
        """Attach the failing node to an error raised by the generated code."""
        if getattr(error, "node", None) is None:
            index = self.module.failed_node()
            if 0 <= index < len(self.plan.nodes):
                error.node = self.plan.nodes[index]


class _Timings:
    def __init__(self, linker, state):
        self.linker, self.state = linker, state
        self.schedule = [(None, node) for node in linker.plan.nodes]
        self.fallback = set(linker.plan.fallback_nodes)
        self.inner = set(linker.plan.inner_nodes)

    def kind_of(self, node):
        return "Py" if node in self.fallback else "C"

    @property
    def times(self):
        return self.linker.module.timings(self.state)[0]

    @property
    def calls(self):
        return self.linker.module.timings(self.state)[1]


def native_linker(fgraph, specs, n_outputs, update_inputs, single, profile=False):
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
                       single and n_outputs == 1, profile=profile)
    except codegen.Unsupported:
        return None


class BackendComparison:
    """DebugMode's check: the generated C of a graph, with every intermediate value as an
    output, run beside the reference; the first node whose values differ is reported."""

    def __init__(self, fgraph, n_args):
        from ..compiler.evaluate import GraphEvaluator
        from ..compiler.graph import FunctionGraph
        self.order = fgraph.toposort()
        self.targets = [o for n in self.order for o in n.outputs if hasattr(o.type, "dtype")]
        probe = FunctionGraph(fgraph.inputs, self.targets, clone=False)
        self.linker = CLinker(probe, len(fgraph.inputs), len(self.targets), [], False)
        self.run, self.state = self.linker.make(())
        self.reference = GraphEvaluator(FunctionGraph(fgraph.inputs, self.targets, clone=False))

    def check(self, input_values):
        """Raise ``BackendMismatch`` at the first value the two backends disagree on."""
        from .reference import BackendMismatch, node_report
        compiled = self.run(self.state, *input_values)
        if compiled is NotImplemented:
            return
        expected = self.reference(list(input_values))
        for variable, got, want in zip(self.targets, compiled, expected):
            got, want = np.asarray(got), np.asarray(want)
            tolerance = 1e-4 if variable.dtype in ("float16", "float32") else 1e-7
            same = got.shape == want.shape and (
                np.allclose(got, want, rtol=tolerance, atol=tolerance, equal_nan=True)
                if got.dtype.kind in "fc" else np.array_equal(got, want))
            if not same:
                node = variable.owner
                lines = [f"DebugMode: the C backend and the reference disagree on output "
                         f"{variable.index} of Apply node {node}",
                         f"  C: {np.array2string(got, threshold=6)[:200]}",
                         f"  reference: {np.array2string(want, threshold=6)[:200]}"]
                lines += node_report(node)
                error = BackendMismatch("\n".join(lines))
                error.node = node
                raise error
