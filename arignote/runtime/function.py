"""Compiled functions (minimal reference version; replaced by the full runtime)."""

import numpy as np

from ..compiler.graph import Constant, FunctionGraph, Variable


def function(inputs, outputs, updates=None, givens=None, on_unused_input="raise", **kwargs):
    single = isinstance(outputs, Variable)
    outputs = [outputs] if single else list(outputs)
    fgraph = FunctionGraph(list(inputs), outputs)
    order = fgraph.toposort()

    def call(*args):
        values = {v: np.asarray(a, dtype=v.dtype) for v, a in zip(fgraph.inputs, args)}
        for node in order:
            args_ = [v.data if isinstance(v, Constant) else values[v] for v in node.inputs]
            for out, value in zip(node.outputs, node.op.perform(node, args_)):
                values[out] = value
        results = [v.data if isinstance(v, Constant) else values[v] for v in fgraph.outputs]
        return results[0] if single else results
    return call
