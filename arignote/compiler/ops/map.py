"""``Map``: evaluate an inner graph for i = 0 .. n-1, stacking (or summing) its outputs.

A small loop op (a precursor of ``scan``) that ``jacobian`` and ``hessian`` use: row i of a
Jacobian is ``grad(y[i], x)``, a graph of a symbolic index ``i``.  ``map_over_index`` captures
that graph into an inner ``FunctionGraph`` of ``[i, *invariants]``: everything that does not
depend on ``i`` is hoisted out and computed once, outside the loop, as an input of the node.

The node's inputs are ``[n, *invariants, *templates]``: one template per output, a variable
whose shape is the shape of one step's value (so that ``n == 0`` gives a well-shaped empty
result, and each step's shape is checked).  The gradient of a ``Map`` is again a ``Map`` (in
``'sum'`` mode), so derivatives of any order work.
"""

from dataclasses import dataclass, field

import numpy as np

from ..evaluate import capture, depends_on, evaluator
from ..graph import Apply, FunctionGraph, clone_replace
from ..op import Op
from ..types import TensorType
from ..variable import as_tensor_variable

__all__ = []

_MODES = ("stack", "sum")


@dataclass(frozen=True)
class Map(Op):
    """Run ``body`` (inputs ``[i, *invariants]``) for each i; stack or sum each output."""

    body: FunctionGraph = field(repr=False)
    mode: str = "stack"
    grad_accepts_none = True

    def __post_init__(self):
        if self.mode not in _MODES:
            raise ValueError(f"Map: mode must be one of {_MODES}, got {self.mode!r}")

    @property
    def n_invariants(self):
        return len(self.body.inputs) - 1

    @property
    def inner_graphs(self):
        return (self.body,)

    def with_inner_graphs(self, graphs):
        """The same op on another (e.g. rewritten) body with the same interface."""
        return Map(graphs[0], self.mode)

    def make_node(self, n, *rest):
        n = as_tensor_variable(n)
        if n.ndim != 0 or not n.dtype.startswith(("int", "uint")):
            raise TypeError(f"Map: the number of steps must be an integer scalar, got {n.type}")
        count = self.n_invariants
        invariants, templates = rest[:count], [as_tensor_variable(t) for t in rest[count:]]
        expected = [v.type for v in self.body.inputs[1:]]
        if [v.type for v in invariants] != expected:
            raise TypeError(f"Map: invariant inputs of types {[v.type for v in invariants]}, "
                            f"expected {expected}")
        if [t.ndim for t in templates] != [o.ndim for o in self.body.outputs]:
            raise TypeError("Map: give one shape template per output, of the output's ndim")
        outputs = []
        for output in self.body.outputs:
            pattern = output.broadcastable
            if self.mode == "stack":
                pattern = (False,) + pattern
            outputs.append(TensorType(output.dtype, pattern).make_variable())
        return Apply(self, [n, *invariants, *templates], outputs)

    def perform(self, node, inputs):
        steps, count = int(inputs[0]), self.n_invariants
        if steps < 0:
            raise ValueError(f"Map: negative number of steps {steps}")
        invariants, templates = inputs[1:1 + count], inputs[1 + count:]
        results = []
        for output, template in zip(node.outputs, templates):
            shape = ((steps,) if self.mode == "stack" else ()) + np.shape(template)
            results.append(np.zeros(shape, dtype=output.dtype))
        run = evaluator(self.body)
        for i in range(steps):
            values = run([np.asarray(i, dtype="int64"), *invariants])
            for k, (value, template) in enumerate(zip(values, templates)):
                if np.shape(value) != np.shape(template):
                    raise ValueError(f"Map: step {i} gave output {k} the shape "
                                     f"{np.shape(value)}, expected {np.shape(template)}")
                if self.mode == "stack":
                    results[k][i] = value
                else:
                    results[k] += value
        return results

    def infer_shape(self, node, input_shapes):
        templates = input_shapes[1 + self.n_invariants:]
        if self.mode == "stack":
            return [[node.inputs[0]] + list(shape) for shape in templates]
        return [list(shape) for shape in templates]

    def connection_pattern(self, node):
        from ..grad import true_ancestors
        reached = [true_ancestors([o]) for o in self.body.outputs]
        pattern = [[False] * len(node.outputs)]
        pattern += [[v in r for r in reached] for v in self.body.inputs[1:]]
        pattern += [[False] * len(node.outputs) for _ in node.outputs]
        return pattern

    def grad(self, inputs, out_grads):
        from ..grad import grad
        count = self.n_invariants
        steps, invariants = inputs[0], inputs[1:1 + count]
        index = TensorType("int64", ()).make_variable("i")
        replace = dict(zip(self.body.inputs, [index, *invariants]))
        outputs = clone_replace(list(self.body.outputs), replace)
        known = {}
        for output, g in zip(outputs, out_grads):
            if g is None or not _is_float(output):
                continue
            seed = g[index] if self.mode == "stack" else g
            known[output] = known[output] + seed if output in known else seed
        wrt = [v for v in dict.fromkeys(invariants) if _is_float(v)]
        if not known or not wrt:
            return [None] * len(inputs)
        grads = grad(None, wrt, known_grads=known, disconnected_inputs="ignore",
                     return_disconnected="None")
        pairs = [(v, g) for v, g in zip(wrt, grads) if g is not None]
        if not pairs:
            return [None] * len(inputs)
        totals = map_over_index(index, steps, [g for _, g in pairs], "sum",
                                [v for v, _ in pairs])
        by_variable = dict(zip([v for v, _ in pairs], totals))
        result, done = [None], set()
        for variable in invariants:
            result.append(None if variable in done else by_variable.get(variable))
            done.add(variable)
        return result + [None] * (len(inputs) - 1 - count)

    def __str__(self):
        return f"Map{{{self.mode}}}"


def _is_float(variable):
    return variable.dtype.startswith(("float", "complex"))


def map_over_index(index, n, outputs, mode, templates):
    """Loop ``outputs`` (graphs of the int64 scalar ``index``) over index = 0 .. n-1.

    Returns one variable per output: the values stacked along a new first axis
    (``mode='stack'``) or summed (``mode='sum'``).  ``templates`` give, per output, a
    variable (computed outside the loop) with the shape of one step's value.  What does not
    depend on ``index`` is computed once, outside the loop.
    """
    outputs = [as_tensor_variable(o) for o in outputs]
    variant = depends_on(outputs, [index])
    invariants, body = capture(outputs, lambda v: v not in variant, leading=[index])
    node = Map(body, mode).make_node(n, *invariants, *templates)
    return list(node.outputs)
