"""Reverse-mode differentiation: walks the graph backwards calling each op's ``grad``.

Zero gradients are ``None`` all the way through (never graphs of zeros); only a ``wrt`` that
is connected to the cost but receives no contribution gets an explicit ``zeros_like``.
Gradients flow only through float variables: an integer-valued variable has zero gradient.
"""

import warnings

from . import dtypes as dt
from .graph import Variable, ancestors, io_toposort
from .variable import as_tensor_variable, constant


class NullGradError(TypeError):
    """The gradient of an op that has none was asked for."""


class DisconnectedInputError(ValueError):
    """``grad`` was asked for the gradient w.r.t. a variable the cost does not depend on."""


class DisconnectedGrad:
    """Returned for a disconnected input when ``return_disconnected='Disconnected'``."""

    def __repr__(self):
        return "DisconnectedGrad"


def _differentiable(variable):
    return getattr(variable.type, "dtype", "float64") not in dt.DISCRETE_DTYPES


def _on_path(cost_vars, wrt, blockers):
    """Nodes that carry gradient from ``cost_vars`` to ``wrt``, in topological order, and the
    set of variables through which gradient flows."""
    wrt_set = set(wrt)
    nodes = io_toposort(list(wrt_set), cost_vars)
    depends = set(v for v in wrt_set)
    for node in nodes:
        pattern = node.op.connection_pattern(node)
        for o, output in enumerate(node.outputs):
            if output in depends or not _differentiable(output):
                continue
            if any(pattern[i][o] and v in depends and v not in blockers and _differentiable(v)
                   for i, v in enumerate(node.inputs)):
                depends.add(output)
    return [n for n in nodes if any(o in depends for o in n.outputs)], depends


def _fit(grad_value, variable, node):
    """Make ``grad_value`` the type of ``variable``: same ndim, dtype and broadcast pattern."""
    grad_value = as_tensor_variable(grad_value)
    if grad_value.ndim != variable.ndim:
        raise TypeError(f"{node.op}.grad returned a gradient with {grad_value.ndim} dimensions "
                        f"for an input with {variable.ndim}")
    if grad_value.dtype != variable.dtype:
        from .ops import cast
        grad_value = cast(grad_value, variable.dtype)
    if grad_value.broadcastable != variable.broadcastable:
        from .ops import patternbroadcast
        grad_value = patternbroadcast(grad_value, variable.broadcastable)
    return grad_value


def _sum(terms):
    from .ops import add
    return terms[0] if len(terms) == 1 else add(*terms)


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise", add_names=True,
         known_grads=None, return_disconnected="zero", null_gradients="raise"):
    """Symbolic gradient of the scalar ``cost`` with respect to ``wrt`` (a variable or a list).

    Parameters follow Theano: ``consider_constant`` lists variables treated as constants;
    ``disconnected_inputs`` is 'raise', 'warn' or 'ignore' for a ``wrt`` the cost does not
    depend on; ``known_grads`` maps variables to gradients already known (``cost`` may then be
    None); ``return_disconnected`` is 'zero', 'None' or 'Disconnected'.

    >>> import arignote.tensor as T
    >>> x = T.dscalar('x')
    >>> g = grad(x ** 2, x)
    >>> float(g.eval({x: 3.0}))
    6.0
    """
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    for variable in wrt_list:
        if not isinstance(variable, Variable):
            raise TypeError(f"grad: wrt must be symbolic variables, got {variable!r}")
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError("disconnected_inputs must be 'raise', 'warn' or 'ignore'")
    seeds = {}
    if cost is not None:
        cost = as_tensor_variable(cost)
        if cost.ndim != 0:
            raise TypeError(f"grad: the cost must be a scalar, got a {cost.ndim}-d tensor "
                            f"({cost.type}); reduce it first, e.g. cost.sum() or cost.mean()")
        if not _differentiable(cost):
            raise TypeError(f"grad: the cost has integer dtype {cost.dtype}; "
                            f"gradients are defined for float costs")
        seeds[cost] = constant(1, dtype=cost.dtype)
    for variable, value in (known_grads or {}).items():
        seeds[variable] = _fit(value, variable, type("known_grads", (), {"op": "known_grads"}))
    if not seeds:
        raise ValueError("grad: give a cost or known_grads")

    blockers = set(consider_constant or ())
    nodes, depends = _on_path(list(seeds), wrt_list, blockers)
    pending = {v: [g] for v, g in seeds.items() if v in depends}
    totals = {}

    for node in reversed(nodes):
        out_grads = []
        for output in node.outputs:
            terms = pending.pop(output, None)
            total = None if terms is None else _sum(terms)
            if total is not None:
                totals[output] = total
            out_grads.append(total)
        if all(g is None for g in out_grads):
            continue
        if any(o in blockers for o in node.outputs) and all(
                o in blockers or g is None for o, g in zip(node.outputs, out_grads)):
            continue
        inputs_needing = [v in depends and v not in blockers and _differentiable(v)
                          for v in node.inputs]
        if not any(inputs_needing):
            continue
        if len(node.outputs) > 1 and not getattr(node.op, "grad_accepts_none", False):
            from .ops import zeros_like
            out_grads = [zeros_like(o) if g is None else g
                         for o, g in zip(node.outputs, out_grads)]
        try:
            input_grads = node.op.grad(list(node.inputs), out_grads)
        except NullGradError as error:
            if null_gradients == "return":
                continue
            where = f"\n  the node was built at {node.trace}" if node.trace else ""
            raise NullGradError(f"cannot differentiate through {node.op}: {error}{where}") \
                from None
        if len(input_grads) != len(node.inputs):
            raise TypeError(f"{node.op}.grad returned {len(input_grads)} gradients for "
                            f"{len(node.inputs)} inputs")
        for variable, needed, value in zip(node.inputs, inputs_needing, input_grads):
            if not needed or value is None or isinstance(value, DisconnectedGrad):
                continue
            pending.setdefault(variable, []).append(_fit(value, variable, node))
    for variable, terms in pending.items():
        totals[variable] = _sum(terms)

    results = []
    reachable = None
    for variable in wrt_list:
        value = totals.get(variable)
        if value is None and variable in seeds:
            value = seeds[variable]
        if value is None:
            if reachable is None:
                reachable = set(ancestors(list(seeds), blockers))
            if variable not in reachable:
                message = (f"grad: the cost does not depend on {variable} ({variable.type})"
                           + (f", created at {variable.trace}" if variable.trace else "")
                           + "; pass disconnected_inputs='ignore' to get a zero gradient")
                if disconnected_inputs == "raise":
                    raise DisconnectedInputError(message)
                if disconnected_inputs == "warn":
                    warnings.warn(message, stacklevel=2)
                if return_disconnected == "None":
                    results.append(None)
                    continue
                if return_disconnected == "Disconnected":
                    results.append(DisconnectedGrad())
                    continue
            from .ops import zeros_like
            value = zeros_like(variable)
        elif variable in seeds and variable not in totals:
            value = seeds[variable]
        if add_names and value is not None and getattr(value, "name", None) is None:
            cost_name = cost.name if cost is not None and cost.name else "cost"
            if variable.name:
                try:
                    value.name = f"(d{cost_name}/d{variable.name})"
                except AttributeError:
                    pass
        results.append(value)
    return results[0] if single else results
