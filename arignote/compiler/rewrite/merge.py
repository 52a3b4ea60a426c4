"""Merging (common-subexpression elimination) and constant folding."""

import numpy as np

from ..graph import Constant
from ..variable import TensorConstant

# Folded results larger than this stay computed at run time (no huge constants in modules).
MAX_FOLDED_ELEMENTS = 1 << 16


def merge(fgraph):
    """Replace equal constants by one, then nodes with equal op and inputs by one."""
    merged = 0
    constants = {}
    # In graph order, not set order: which duplicate survives must be deterministic.
    ordered = dict.fromkeys([v for node in fgraph.toposort() for v in node.inputs] +
                            list(fgraph.outputs))
    for variable in ordered:
        if isinstance(variable, Constant) and variable in fgraph.variables:
            try:
                key = variable.signature()
                hash(key)
            except TypeError:
                continue
            kept = constants.setdefault(key, variable)
            if kept is not variable and fgraph.clients.get(variable):
                fgraph.replace(variable, kept, reason="merge")
                merged += 1
    seen = {}
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        try:
            key = (node.op, tuple(id(v) for v in node.inputs),
                   tuple(o.type for o in node.outputs))
            hash(key)
        except TypeError:
            continue
        kept = seen.setdefault(key, node)
        if kept is not node and not getattr(node.op, "nondeterministic", False):
            for old, new in zip(node.outputs, kept.outputs):
                fgraph.replace(old, new, reason="merge")
            merged += 1
    return merged


def fold_node(node):
    """``{output: constant}`` for a node whose inputs are all constants (small results,
    deterministic ops), else None."""
    if not node.inputs or not all(isinstance(v, Constant) for v in node.inputs):
        return None
    if getattr(node.op, "nondeterministic", False) or getattr(node.op, "no_fold", False):
        return None
    if any(not hasattr(o.type, "dtype") for o in node.outputs):
        return None
    try:
        values = node.op.perform(node, [v.data for v in node.inputs])
    except Exception:  # noqa: BLE001 (left to run time, where the error names the line)
        return None
    if any(np.size(v) > MAX_FOLDED_ELEMENTS for v in values):
        return None
    return {output: TensorConstant(output.type, np.asarray(value, dtype=output.dtype))
            for output, value in zip(node.outputs, values)}


def constant_fold(fgraph):
    """Evaluate nodes whose inputs are all constants (small results only)."""
    folded = 0
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        replacements = fold_node(node)
        if replacements is None:
            continue
        for output, constant in replacements.items():
            if output in fgraph.variables:
                fgraph.replace(output, constant, reason="constant_fold")
        folded += 1
    return folded
