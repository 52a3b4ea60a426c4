"""Inner graphs: ``capture`` a sub-graph into a ``FunctionGraph``, and ``evaluate`` one.

Ops that hold inner graphs (``IfElse`` branches, ``Map`` bodies) build them with ``capture``
and run them with ``evaluate``, the smallest reference executor (each node's ``perform`` in
topological order); the reference linker may use it too.

Ops holding inner graphs expose them as ``op.inner_graphs`` (a tuple of ``FunctionGraph``)
and ``op.with_inner_graphs(graphs)`` (the same op on replacement graphs with the same inputs
and output types), so rewrite passes and code generators can treat them uniformly.  An inner
graph held by an op is never mutated (ops are values): to rewrite one, clone it, rewrite the
clone and build a new op with ``with_inner_graphs``; cached node orders stay valid.

>>> import numpy as np, arignote.tensor as T
>>> from arignote.compiler.graph import FunctionGraph
>>> x = T.dvector('x')
>>> run = GraphEvaluator(FunctionGraph([x], [T.exp(x) * 2]))
>>> run([np.zeros(2)])[0].tolist()
[2.0, 2.0]
"""

import weakref

from .graph import Constant, FunctionGraph, MissingInputError, io_toposort


class GraphEvaluator:
    """Evaluates ``fgraph`` on input values, any number of times (the order is computed once)."""

    def __init__(self, fgraph):
        self.fgraph = fgraph
        self.order = fgraph.toposort()

    def __call__(self, input_values):
        """The list of output values for ``input_values`` (one per ``fgraph.inputs``)."""
        values = dict(zip(self.fgraph.inputs, input_values))
        for node in self.order:
            arguments = [values[v] if v in values else _leaf_value(v) for v in node.inputs]
            try:
                results = node.op.perform(node, arguments)
            except Exception as error:
                trace = f", built at {node.trace}" if node.trace is not None else ""
                error.add_note(f"in the inner graph node {node.op}{trace}")
                raise
            for output, result in zip(node.outputs, results):
                values[output] = result
        return [values[v] if v in values else _leaf_value(v) for v in self.fgraph.outputs]


def _leaf_value(variable):
    if isinstance(variable, Constant):
        return variable.data
    raise MissingInputError(variable)


_EVALUATORS = weakref.WeakKeyDictionary()


def evaluator(fgraph):
    """The (cached) ``GraphEvaluator`` of an inner graph."""
    runner = _EVALUATORS.get(fgraph)
    if runner is None:
        runner = _EVALUATORS[fgraph] = GraphEvaluator(fgraph)
    return runner


def evaluate(fgraph, input_values):
    """Output values of ``fgraph`` for ``input_values``, computed by each node's ``perform``."""
    return evaluator(fgraph)(input_values)


def frontier(outputs, is_outer=None, leading=()):
    """Variables at which ``capture`` stops copying the graph of ``outputs``, in walk order.

    They are the variables without owner (constants excepted) and those for which
    ``is_outer(variable)`` is true; ``leading`` variables are stops but not listed.
    """
    stop = set(leading)
    outer, seen = [], set()
    stack = list(reversed(list(outputs)))
    while stack:
        variable = stack.pop()
        if variable in seen:
            continue
        seen.add(variable)
        if variable in stop or isinstance(variable, Constant):
            continue
        if variable.owner is None or (is_outer is not None and is_outer(variable)):
            outer.append(variable)
            continue
        stack.extend(reversed(variable.owner.inputs))
    return outer


def capture(outputs, is_outer=None, leading=()):
    """Copy the graph of ``outputs`` into a closed inner ``FunctionGraph``.

    The copy stops at the ``frontier``: variables without owner (constants stay inside),
    variables for which ``is_outer(variable)`` is true, and ``leading``.  Returns
    ``(outer, fgraph)``: ``fgraph.inputs`` are fresh placeholders for ``leading + outer``, in
    that order.  The original graph is unchanged.
    """
    leading = list(leading)
    outer = frontier(outputs, is_outer, leading)
    memo = {v: v.type.make_variable(v.name) for v in leading + outer}
    for node in io_toposort(leading + outer, list(outputs)):
        copy = node.clone_with_new_inputs([memo.get(v, v) for v in node.inputs])
        memo.update(zip(node.outputs, copy.outputs))
    inner_inputs = [memo[v] for v in leading + outer]
    fgraph = FunctionGraph(inner_inputs, [memo.get(v, v) for v in outputs], clone=False)
    return outer, fgraph


def depends_on(outputs, sources):
    """The variables of the graph of ``outputs`` whose value depends on any of ``sources``."""
    variant = set(sources)
    for node in io_toposort(list(variant), list(outputs)):
        if any(v in variant for v in node.inputs):
            variant.update(node.outputs)
    return variant
