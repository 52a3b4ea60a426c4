"""Lazy conditional: ``ifelse(condition, then_branch, else_branch)`` computes one branch only.

Unlike the element-wise ``switch``, which computes both sides, ``ifelse`` takes a scalar
condition (0 is false, anything else true) and evaluates only the chosen branch.

How laziness works, for every linker: the ``IfElse`` op *holds* its two branches as inner
graphs (``then_graph``, ``else_graph``), captured when ``ifelse`` is called.  The capture stops
at the graph inputs the branches need (variables without owner: function inputs, shared
variables); constants stay inside.  The node's inputs are ``[condition] + those variables``
(both inner graphs take that same list), so a linker that runs nodes in order only computes
the condition before the node, and ``perform`` evaluates the chosen inner graph alone (with
``compiler.evaluate``).  A code generator renders the node as ``if (cond) {then} else {else}``
with each inner graph inside.  A consequence to know: a variable computed inside a branch is
private to it; asking ``grad`` w.r.t. such an intermediate variable gives a disconnected error
(take the gradient w.r.t. graph inputs, or build the branch on the intermediate as an input).
"""

from dataclasses import dataclass, field

import numpy as np

from ..dtypes import DISCRETE_DTYPES as _DISCRETE
from ..evaluate import capture, evaluate, frontier
from ..graph import Apply, FunctionGraph, Variable, clone_replace
from ..op import Op
from ..types import TensorType
from ..variable import as_tensor_variable, constant

__all__ = ["ifelse"]


@dataclass(frozen=True)
class IfElse(Op):
    """Evaluate ``then_graph`` or ``else_graph`` on inputs 1.. depending on input 0."""

    then_graph: FunctionGraph = field(repr=False)
    else_graph: FunctionGraph = field(repr=False)
    name: str = None
    grad_accepts_none = True

    @property
    def n_outs(self):
        return len(self.then_graph.outputs)

    @property
    def inner_graphs(self):
        return (self.then_graph, self.else_graph)

    def with_inner_graphs(self, graphs):
        """The same op on other (e.g. rewritten) branch graphs with the same interface."""
        then_graph, else_graph = graphs
        return IfElse(then_graph, else_graph, self.name)

    def make_node(self, condition, *inputs):
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise TypeError(f"ifelse: the condition must be a scalar (0 is false, anything "
                            f"else true), got {condition.type}")
        expected = [v.type for v in self.then_graph.inputs]
        if [v.type for v in inputs] != expected:
            raise TypeError(f"IfElse: inputs of types {[v.type for v in inputs]}, expected "
                            f"{expected}")
        outputs = [v.type.make_variable() for v in self.then_graph.outputs]
        return Apply(self, [condition, *inputs], outputs)

    def perform(self, node, inputs):
        condition, values = inputs[0], inputs[1:]
        graph = self.then_graph if condition != 0 else self.else_graph
        results = evaluate(graph, values)
        return [_owned(result, output.dtype, values)
                for result, output in zip(results, node.outputs)]

    def infer_shape(self, node, input_shapes):
        condition, outer = node.inputs[0], node.inputs[1:]
        then_outs, else_outs = self.branch_outputs(outer)
        ndims = [o.ndim for o in node.outputs]
        if not any(ndims):
            return [[] for _ in node.outputs]
        from .shape import shape_i
        then_shapes = [shape_i(o, d) for o in then_outs for d in range(o.ndim)]
        else_shapes = [shape_i(o, d) for o in else_outs for d in range(o.ndim)]
        flat = build_ifelse(condition, then_shapes, else_shapes, cut=[condition, *outer])
        shapes, position = [], 0
        for ndim in ndims:
            shapes.append(flat[position:position + ndim])
            position += ndim
        return shapes

    def connection_pattern(self, node):
        from ..grad import true_ancestors
        pattern = [[False] * len(node.outputs)]
        reached = [true_ancestors([t, e]) for t, e in zip(self.then_graph.outputs,
                                                         self.else_graph.outputs)]
        for position in range(len(node.inputs) - 1):
            then_input = self.then_graph.inputs[position]
            else_input = self.else_graph.inputs[position]
            pattern.append([then_input in r or else_input in r for r in reached])
        return pattern

    def grad(self, inputs, out_grads):
        from ..grad import grad
        from .shape import zeros_like
        condition, outer = inputs[0], inputs[1:]
        wrt = [v for v in dict.fromkeys(outer) if v.dtype not in _DISCRETE]
        sides = []
        for outputs in self.branch_outputs(outer):
            known = {}
            for output, g in zip(outputs, out_grads):
                if g is not None and output.dtype not in _DISCRETE:
                    known[output] = known[output] + g if output in known else g
            grads = (grad(None, wrt, known_grads=known, disconnected_inputs="ignore",
                          return_disconnected="None") if known and wrt else [None] * len(wrt))
            sides.append(dict(zip(wrt, grads)))
        then_grads, else_grads = sides
        chosen = [v for v in wrt if then_grads[v] is not None or else_grads[v] is not None]
        if not chosen:
            return [None] * len(inputs)
        then_side = [then_grads[v] if then_grads[v] is not None else zeros_like(v)
                     for v in chosen]
        else_side = [else_grads[v] if else_grads[v] is not None else zeros_like(v)
                     for v in chosen]
        gradients = dict(zip(chosen, build_ifelse(
            condition, then_side, else_side, cut=[condition, *outer, *[
                g for g in out_grads if g is not None]])))
        result, done = [None], set()
        for variable in outer:
            result.append(gradients.get(variable) if variable not in done else None)
            done.add(variable)
        return result

    def branch_outputs(self, outer):
        """The two branches' outputs rebuilt on the outer variables ``outer``."""
        return [clone_replace(list(graph.outputs), dict(zip(graph.inputs, outer)))
                for graph in (self.then_graph, self.else_graph)]

    def __str__(self):
        return f"if{{{self.name}}}" if self.name else "if{}"


def _owned(value, dtype, inputs):
    """``value`` as an array of ``dtype`` that aliases no input (and can be written)."""
    value = np.asarray(value, dtype=dtype)
    if not value.flags.writeable or any(
            isinstance(x, np.ndarray) and np.may_share_memory(value, x) for x in inputs):
        value = value.copy()
    return value


def build_ifelse(condition, then_branch, else_branch, name=None, cut=()):
    """The outputs of an ``IfElse`` node on equal-typed lists of branch variables.

    The branches are captured down to graph inputs and to the variables in ``cut`` (which
    are then computed outside, before the node).
    """
    cut = set(cut)
    condition = as_tensor_variable(condition)
    is_outer = cut.__contains__
    outer = frontier(list(then_branch) + list(else_branch), is_outer)
    _, then_graph = capture(then_branch, is_outer, leading=outer)
    _, else_graph = capture(else_branch, is_outer, leading=outer)
    node = IfElse(then_graph, else_graph, name).make_node(condition, *outer)
    return list(node.outputs)


def _match(then_value, else_value):
    """Both branch values as variables of one type (a plain value takes the other's type)."""
    if not isinstance(then_value, Variable) and isinstance(else_value, Variable):
        then_value = _like(then_value, else_value)
    elif not isinstance(else_value, Variable) and isinstance(then_value, Variable):
        else_value = _like(else_value, then_value)
    then_value, else_value = as_tensor_variable(then_value), as_tensor_variable(else_value)
    if then_value.type != else_value.type:
        raise TypeError(
            f"ifelse: the two branches must have identical types, but the `then` branch is "
            f"{then_value.type} and the `else` branch is {else_value.type}; cast one of them "
            f"(T.cast) or fix its broadcast pattern (T.patternbroadcast, T.unbroadcast)")
    return then_value, else_value


def _like(value, variable):
    """A constant holding ``value`` with ``variable``'s type when that loses nothing."""
    data = np.asarray(value)
    if (not isinstance(variable.type, TensorType) or data.ndim != variable.ndim
            or data.dtype.kind not in "biuf"):
        return value
    converted = data.astype(variable.dtype)
    with np.errstate(invalid="ignore"):
        if not np.array_equal(converted, data, equal_nan=data.dtype.kind == "f"):
            return value
    if any(flag and size != 1 for flag, size in zip(variable.broadcastable, data.shape)):
        return value
    from .shape import patternbroadcast
    return patternbroadcast(constant(converted), variable.broadcastable)


def ifelse(condition, then_branch, else_branch, name=None):
    """``then_branch`` if ``condition`` is non-zero, else ``else_branch``: only one is computed.

    Parameters
    ----------
    condition : a scalar (0 is false, anything else true).
    then_branch, else_branch : a variable, or a list or tuple of variables; both sides have
        the same length and pairwise identical types.  A plain number or array on one side
        takes the type of the variable on the other side when no precision is lost.
    name : shown when printing the graph.

    Returns
    -------
    One variable, or a list (tuple) when the branches are lists (tuples).

    >>> import arignote.tensor as T
    >>> a, b = T.dscalars('a', 'b')
    >>> z = ifelse(T.lt(a, b), a * 10, b * 100)
    >>> float(z.eval({a: 1.0, b: 2.0})), float(z.eval({a: 3.0, b: 2.0}))
    (10.0, 200.0)
    """
    kind = type(then_branch) if isinstance(then_branch, (list, tuple)) else None
    then_list = list(then_branch) if isinstance(then_branch, (list, tuple)) else [then_branch]
    else_list = list(else_branch) if isinstance(else_branch, (list, tuple)) else [else_branch]
    if len(then_list) != len(else_list):
        raise ValueError(f"ifelse: the `then` branch has {len(then_list)} values and the `else` "
                         f"branch {len(else_list)}; they must have as many")
    if not then_list:
        raise ValueError("ifelse: the branches are empty")
    pairs = [_match(t, e) for t, e in zip(then_list, else_list)]
    outputs = build_ifelse(condition, [t for t, _ in pairs], [e for _, e in pairs], name)
    if kind is None:
        return outputs[0]
    return kind(outputs)
