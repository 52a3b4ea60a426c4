"""Reverse-mode differentiation: walks the graph backwards calling each op's ``grad``.

Zero gradients are ``None`` all the way through (never graphs of zeros); only a ``wrt`` that
is connected to the cost but receives no contribution gets an explicit zero array.
Gradients flow only through float variables: an integer-valued variable has zero gradient.

Connectivity follows Theano: a ``wrt`` is connected when it is a *true* ancestor of the cost
(through the inputs that each op's ``connection_pattern`` marks as connected), stopping at
``consider_constant`` variables.  Everything here is iterative, so graphs of any depth work at
Python's default recursion limit.

An op's ``grad`` may return, per input: a graph; ``None`` (zero or not differentiable); a
variable of ``DisconnectedType`` (same as ``None``); or a variable of ``NullType`` (the
gradient is undefined: an error if a ``wrt`` needs it).  An op may define
``L_op(inputs, outputs, out_grads)`` instead, to reuse its own output variables.
"""

import warnings
from dataclasses import dataclass

from . import dtypes as dt
from .graph import Variable, io_toposort
from .op import Op
from .types import Type
from .variable import as_tensor_variable, constant


class NullTypeGradError(TypeError):
    """A gradient that is undefined or not implemented was needed."""


NullGradError = NullTypeGradError


class DisconnectedInputError(ValueError):
    """``grad`` was asked for the gradient w.r.t. a variable the cost does not depend on."""


@dataclass(frozen=True)
class NullType(Type):
    """The type of an undefined gradient; ``why_null`` says why (Theano's ``NullType``)."""

    why_null: str = "the gradient is undefined"

    def filter(self, value, strict=False, allow_downcast=None):
        raise TypeError(f"a NullType variable has no value: {self.why_null}")

    def __str__(self):
        return "NullType"


@dataclass(frozen=True)
class DisconnectedType(Type):
    """The type of the gradient w.r.t. a variable the cost does not depend on."""

    def filter(self, value, strict=False, allow_downcast=None):
        raise TypeError("a DisconnectedType variable is a symbolic placeholder, not a value")

    def __str__(self):
        return "DisconnectedType"


# Theano's spellings: ``disconnected_type()`` and ``null_type()`` make placeholder variables.
disconnected_type = DisconnectedType()
null_type = NullType()


def is_null(value):
    return isinstance(value, Variable) and isinstance(value.type, NullType)


def is_disconnected(value):
    return value is None or (isinstance(value, Variable) and
                             isinstance(value.type, DisconnectedType))


_DISCRETE = frozenset(dt.DISCRETE_DTYPES)


def _differentiable(variable):
    return getattr(variable.type, "dtype", "float64") not in _DISCRETE


def connection_pattern(node):
    """``node.op.connection_pattern(node)``, checked; None when every input is connected."""
    op = node.op
    if type(op).connection_pattern is Op.connection_pattern:
        return None
    pattern = op.connection_pattern(node)
    if len(pattern) != len(node.inputs) or any(len(row) != len(node.outputs)
                                               for row in pattern):
        raise TypeError(f"{op}.connection_pattern must have one row per input "
                        f"({len(node.inputs)}) and one column per output "
                        f"({len(node.outputs)})")
    return pattern


def true_ancestors(outputs, blockers=()):
    """Variables that ``outputs`` truly depend on (by connection patterns), outputs included.

    The walk stops at ``blockers``: they are included but not their ancestors.
    """
    return _true_ancestors(list(outputs), io_toposort(list(blockers), list(outputs)), {})


def _true_ancestors(outputs, nodes, patterns):
    """``true_ancestors`` given the nodes above ``outputs`` in topological order.

    Fills ``patterns`` with the connection pattern of each node reached.
    """
    reached = set(outputs)
    for node in reversed(nodes):
        live = [k for k, output in enumerate(node.outputs) if output in reached]
        if not live:
            continue
        pattern = patterns[node] = connection_pattern(node)
        if pattern is None:
            reached.update(node.inputs)
            continue
        for position, variable in enumerate(node.inputs):
            row = pattern[position]
            if any(row[k] for k in live):
                reached.add(variable)
    return reached


def _float_zeros_like(variable):
    from .ops import zeros_like
    dtype = variable.dtype if _differentiable(variable) else dt.config.floatX
    return zeros_like(variable, dtype=dtype)


def _fit(value, variable, where):
    """Make the gradient ``value`` the type of ``variable``: same ndim, dtype and pattern."""
    if isinstance(value, Variable) and (value.type is variable.type or
                                        value.type == variable.type):
        return value
    value = as_tensor_variable(value)
    if value.ndim != variable.ndim:
        raise TypeError(f"the gradient from {where} has {value.ndim} dimensions but "
                        f"{variable} ({variable.type}) has {variable.ndim}")
    if not _differentiable(variable):
        return value
    if value.dtype != variable.dtype:
        from .ops import cast
        value = cast(value, variable.dtype)
    if value.broadcastable != variable.broadcastable:
        from .ops import patternbroadcast
        value = patternbroadcast(value, variable.broadcastable)
    return value


def _sum(terms):
    """The total of gradient terms: None if there are none, a NullType term if any is null."""
    if len(terms) == 1:
        return terms[0]
    if not terms:
        return None
    for term in terms:
        if is_null(term):
            return term
    from .ops import add
    return terms[0] if len(terms) == 1 else add(*terms)


def _where(node):
    return f"\n  the node was built at {node.trace}" if node.trace is not None else ""


def _check_options(disconnected_inputs, return_disconnected, null_gradients):
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"disconnected_inputs must be 'raise', 'warn' or 'ignore', "
                         f"got {disconnected_inputs!r}")
    if str(return_disconnected).lower() not in ("zero", "none", "disconnected"):
        raise ValueError(f"return_disconnected must be 'zero', 'None' or 'Disconnected', "
                         f"got {return_disconnected!r}")
    if null_gradients not in ("raise", "return"):
        raise ValueError(f"null_gradients must be 'raise' or 'return', got {null_gradients!r}")


def _seeds(cost, known_grads):
    """The starting gradients: 1 for the cost, and the ``known_grads`` (which win)."""
    seeds = {}
    if cost is not None:
        if not isinstance(cost, Variable):
            cost = as_tensor_variable(cost)
        if cost.ndim != 0:
            raise TypeError(f"grad: the cost must be a scalar, got a {cost.ndim}-d tensor "
                            f"({cost.type}); reduce it first, e.g. cost.sum() or cost.mean()")
        dtype = cost.dtype if _differentiable(cost) else dt.config.floatX
        seeds[cost] = constant(1, dtype=dtype)
    for variable, value in (known_grads or {}).items():
        if not isinstance(variable, Variable):
            raise TypeError(f"grad: the keys of known_grads must be variables, "
                            f"got {variable!r}")
        if is_disconnected(value):
            seeds.pop(variable, None)
            continue
        if not is_null(value):
            value = as_tensor_variable(value)
            if not dt.is_float(value.dtype):
                raise TypeError(f"grad: known_grads[{variable}] has dtype {value.dtype}; "
                                f"gradients are float")
            value = _fit(value, variable, "known_grads")
        seeds[variable] = value
    if not seeds and cost is None:
        raise ValueError("grad: give a cost or known_grads")
    return cost, seeds


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise", add_names=True,
         known_grads=None, return_disconnected="zero", null_gradients="raise"):
    """Symbolic gradient of the scalar ``cost`` with respect to ``wrt`` (a variable or a list).

    Parameters
    ----------
    cost : scalar variable, or None when ``known_grads`` is given.
    wrt : a variable, or a list or tuple of them (the result has the same form).
    consider_constant : variables treated as constants: no gradient flows into their
        ancestors (their own gradient can still be asked for).
    disconnected_inputs : 'raise' (``DisconnectedInputError``), 'warn' or 'ignore', for a
        ``wrt`` that the cost does not depend on.
    known_grads : {variable: gradient} already known; they are added to what flows back from
        the cost (or replace the cost's own seed of 1 when the key is the cost).
    return_disconnected : for a disconnected ``wrt``: 'zero' (zeros like it), 'None', or
        'Disconnected' (a ``DisconnectedType`` variable).
    null_gradients : 'raise' (``NullTypeGradError``) or 'return' (a ``NullType`` variable)
        when a needed gradient is undefined.

    Integer variables have zero gradient: an integer ``wrt`` connected to the cost gets float
    zeros, and no gradient flows through integer-valued variables.

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
    _check_options(disconnected_inputs, return_disconnected, null_gradients)
    blockers = set()
    for variable in consider_constant or ():
        if not isinstance(variable, Variable):
            raise TypeError(f"grad: consider_constant must list variables, got {variable!r}")
        blockers.add(variable)
    cost, seeds = _seeds(cost, known_grads)

    nodes = io_toposort(list(blockers), list(seeds))
    patterns = {}
    connected = _true_ancestors(list(seeds), nodes, patterns)
    on_path = _on_path(nodes, wrt_list, connected, blockers, patterns)
    pending = {variable: [value] for variable, value in seeds.items()}
    totals = {}

    for node in reversed(nodes):
        outputs = node.outputs
        if not any(output in on_path for output in outputs):
            continue
        out_grads, live = [], []
        for k, output in enumerate(outputs):
            terms = pending.pop(output, None)
            total = None
            if terms is not None:
                total = totals[output] = _sum(terms)
            if total is not None and output not in blockers and _differentiable(output):
                live.append(k)
            else:
                total = None
            out_grads.append(total)
        if not live:
            continue
        pattern = patterns.get(node)
        needed = [variable in on_path and _differentiable(variable) and (
                  pattern is None or any(pattern[i][k] for k in live))
                  for i, variable in enumerate(node.inputs)]
        if not any(needed):
            continue
        input_grads = _node_grads(node, out_grads, needed, pattern, null_gradients)
        for position, (variable, value) in enumerate(zip(node.inputs, input_grads)):
            if not needed[position] or is_disconnected(value):
                continue
            if is_null(value):
                if null_gradients == "raise":
                    raise NullTypeGradError(
                        f"grad: the gradient of {node.op} w.r.t. its input {position} "
                        f"({variable}) is needed but undefined: {value.type.why_null}"
                        f"{_where(node)}")
            else:
                value = _fit(value, variable, node.op)
            terms = pending.get(variable)
            if terms is None:
                pending[variable] = [value]
            else:
                terms.append(value)

    for variable, terms in pending.items():
        totals[variable] = _sum(terms)
    results = [_result(variable, totals.get(variable), connected, disconnected_inputs,
                       return_disconnected, null_gradients) for variable in wrt_list]
    if add_names and cost is not None and cost.name:
        for variable, value in zip(wrt_list, results):
            if variable.name and isinstance(value, Variable) and value.name is None:
                value.name = f"(d{cost.name}/d{variable.name})"
    if single:
        return results[0]
    return tuple(results) if isinstance(wrt, tuple) else results


def _on_path(nodes, wrt_list, connected, blockers, patterns):
    """Variables that truly depend on some ``wrt`` and that the cost truly depends on."""
    depends = set(wrt_list)
    for node in nodes:
        inputs = node.inputs
        if not any(v in depends for v in inputs):
            continue
        pattern = patterns.get(node)
        for k, output in enumerate(node.outputs):
            if output in depends or output in blockers:
                continue
            if pattern is None or any(pattern[i][k] and v in depends
                                      for i, v in enumerate(inputs)):
                depends.add(output)
    return depends & connected


def _node_grads(node, out_grads, needed, pattern, null_gradients):
    """Call the op's gradient for ``node``; NullType output gradients poison their inputs."""
    nulls = [g for g in out_grads if is_null(g)]
    if nulls:
        poisoned = [any(is_null(g) and (pattern is None or pattern[i][k])
                        for k, g in enumerate(out_grads)) for i in range(len(node.inputs))]
        out_grads = [None if is_null(g) else g for g in out_grads]
    if all(g is None for g in out_grads):
        input_grads = [None] * len(node.inputs)
    else:
        if len(node.outputs) > 1 and not getattr(node.op, "grad_accepts_none", False):
            out_grads = [_float_zeros_like(o) if g is None else g
                         for o, g in zip(node.outputs, out_grads)]
        try:
            l_op = getattr(node.op, "L_op", None)
            if l_op is not None:
                input_grads = l_op(list(node.inputs), list(node.outputs), out_grads)
            else:
                input_grads = node.op.grad(list(node.inputs), out_grads)
        except NullTypeGradError as error:
            if null_gradients == "raise":
                raise NullTypeGradError(f"grad: cannot differentiate through {node.op}: "
                                        f"{error}{_where(node)}") from None
            why = NullType(f"{node.op}: {error}")
            input_grads = [why() for _ in node.inputs]
        if input_grads is None or len(input_grads) != len(node.inputs):
            count = "None" if input_grads is None else len(input_grads)
            raise TypeError(f"{node.op}.grad returned {count} gradients for "
                            f"{len(node.inputs)} inputs")
        input_grads = list(input_grads)
    if nulls:
        for position, bad in enumerate(poisoned):
            if bad and needed[position]:
                input_grads[position] = nulls[0]
    return input_grads


def _result(variable, total, connected, disconnected_inputs, return_disconnected,
            null_gradients):
    """The gradient returned for one ``wrt``."""
    if is_null(total):
        if null_gradients == "raise":
            raise NullTypeGradError(f"grad: the gradient w.r.t. {variable} is undefined: "
                                    f"{total.type.why_null}")
        return total
    if total is not None:
        return total
    if variable in connected:
        return _float_zeros_like(variable)
    message = (f"grad: the cost does not depend on {variable} ({variable.type})"
               + (f", created at {variable.trace}" if variable.trace else "")
               + "; pass disconnected_inputs='ignore' to get a zero gradient")
    if disconnected_inputs == "raise":
        raise DisconnectedInputError(message)
    if disconnected_inputs == "warn":
        warnings.warn(message, stacklevel=3)
    mode = str(return_disconnected).lower()
    if mode == "none":
        return None
    if mode == "disconnected":
        return disconnected_type()
    return _float_zeros_like(variable)
