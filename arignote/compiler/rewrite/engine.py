"""The rewrite engine: rules as data, applied to a FunctionGraph until nothing changes.

A ``Rule`` pairs a pattern with a function building the replacement::

    Rule("mul_one", (Mul, "x", ONE), lambda x: x)

A pattern is a tuple ``(matcher, *argument_patterns)``; a matcher is an ``Op`` class (the
node's op is an instance), a ``ScalarOp`` class (an ``Elemwise`` of that scalar op) or a
predicate ``fn(node) -> bool``.  An argument pattern is a name (binds that variable; a name
used twice must bind the same variable), a ``Const`` (a constant of that value, seen through
broadcasting dimshuffles), ``ANY``, or a nested pattern.  Patterns on commutative scalar ops
also match with the two arguments swapped, at every level (the matcher backtracks, so
``(Mul, (Add, "x", "y"), "x")`` finds ``x`` on either side of the addition).  The builder
gets the bindings as keyword arguments (plus ``node`` if it asks for it) and returns a
variable, or None to decline.

A ``NodeRule`` is the escape hatch for rewrites that are not a local pattern: it gets
``(fgraph, node)`` and returns ``{old: new}`` or None.

Replacements are fitted to the type of what they replace (``fit_type``: a cast, or a
broadcast-pattern assertion); a replacement that cannot be fitted is dropped.  With
``ARIGNOTE_FLAGS=trace_rewrites=1`` every firing is printed to stderr as
``rewrite <set>/<rule>: <before> -> <after>  [<user's line>]``.
"""

import inspect
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ...configparser import config
from ..graph import Constant, Variable, io_toposort
from ..op import Op
from ..ops.elemwise import DimShuffle, Elemwise, ScalarOp

ANY = object()


@dataclass(frozen=True)
class Const:
    """Matches a constant whose every element equals ``value`` (through dimshuffles)."""

    value: float

    def matches(self, variable):
        data = constant_value(variable)
        if data is None or data.dtype.kind not in "biuf":
            return False
        with np.errstate(invalid="ignore"):
            return bool(np.all(data == self.value))


ZERO, ONE, TWO, HALF, MINUS_ONE = Const(0), Const(1), Const(2), Const(0.5), Const(-1)


def constant_value(variable):
    """The ndarray of a constant (seen through dimshuffles of constants), else None."""
    while variable.owner is not None and isinstance(variable.owner.op, DimShuffle):
        variable = variable.owner.inputs[0]
    if isinstance(variable, Constant) and isinstance(variable.data, np.ndarray):
        return variable.data
    return None


def scalar_constant(variable):
    """The value of a constant with one element (through dimshuffles) as a 0-d array, else
    None."""
    data = constant_value(variable)
    if data is None or data.size != 1:
        return None
    return data.reshape(())


@dataclass
class Rule:
    name: str
    pattern: tuple
    build: Callable
    wants_node: bool = field(init=False, default=False)

    def __post_init__(self):
        self.wants_node = "node" in inspect.signature(self.build).parameters

    @property
    def root(self):
        return self.pattern[0]

    def apply(self, fgraph, node):
        for bindings in _match(self.pattern, node, {}):
            if self.wants_node:
                bindings = dict(bindings, node=node)
            replacement = self.build(**bindings)
            if replacement is not None:
                return {node.outputs[0]: replacement}
        return None


@dataclass
class NodeRule:
    name: str
    roots: tuple
    fn: Callable

    def apply(self, fgraph, node):
        return self.fn(fgraph, node)


def _matcher_accepts(matcher, node):
    if isinstance(matcher, type) and issubclass(matcher, ScalarOp):
        return isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, matcher)
    if isinstance(matcher, type) and issubclass(matcher, Op):
        return isinstance(node.op, matcher)
    return bool(matcher(node))


def _match_argument(pattern, variable, bindings):
    """Every extension of ``bindings`` under which ``variable`` matches ``pattern``."""
    if pattern is ANY:
        yield bindings
    elif isinstance(pattern, str):
        bound = bindings.get(pattern)
        if bound is None:
            yield {**bindings, pattern: variable}
        elif bound is variable:
            yield bindings
    elif isinstance(pattern, Const):
        if pattern.matches(variable):
            yield bindings
    elif isinstance(pattern, tuple):
        if variable.owner is not None:
            yield from _match(pattern, variable.owner, bindings)
    else:
        raise TypeError(f"bad pattern element {pattern!r}")


def _match_all(patterns, variables, bindings):
    if not patterns:
        yield bindings
        return
    for extended in _match_argument(patterns[0], variables[0], bindings):
        yield from _match_all(patterns[1:], variables[1:], extended)


def _match(pattern, node, bindings):
    """Every extension of ``bindings`` under which ``node`` matches ``pattern`` (a generator:
    the caller backtracks by asking for the next one)."""
    matcher, arguments = pattern[0], pattern[1:]
    if not _matcher_accepts(matcher, node) or len(arguments) != len(node.inputs):
        return
    yield from _match_all(arguments, node.inputs, bindings)
    commutative = isinstance(node.op, Elemwise) and node.op.scalar_op.commutative
    if commutative and len(arguments) == 2 and node.inputs[0] is not node.inputs[1]:
        yield from _match_all(arguments, node.inputs[::-1], bindings)


class RuleSet:
    """A named list of rules, indexed by the op or scalar-op class at their root."""

    def __init__(self, name, rules=()):
        self.name = name
        self.rules = []
        self._by_class = {}
        self._generic = []
        self._cache = {}
        for rule in rules:
            self.add(rule)

    def add(self, rule):
        self.rules.append(rule)
        self._cache.clear()
        roots = rule.roots if isinstance(rule, NodeRule) else (rule.root,)
        for root in roots:
            if isinstance(root, type):
                self._by_class.setdefault(root, []).append(rule)
            else:
                self._generic.append(rule)
        return rule

    def candidates(self, node):
        """The rules that may apply to ``node``, in the order they were added."""
        key = (type(node.op), type(node.op.scalar_op) if isinstance(node.op, Elemwise)
               else None)
        found = self._cache.get(key)
        if found is None:
            matching = {id(rule) for rule in self._generic}
            for cls in key:
                for base in cls.__mro__ if cls is not None else ():
                    matching.update(id(rule) for rule in self._by_class.get(base, ()))
            found = self._cache[key] = [rule for rule in self.rules if id(rule) in matching]
        return found

    def __iter__(self):
        return iter(self.rules)

    def __repr__(self):
        return f"RuleSet({self.name!r}, {len(self.rules)} rules)"


def fit_type(new, old):
    """``new`` adjusted to ``old``'s type (dtype cast, broadcast pattern), or None."""
    if not isinstance(new, Variable):
        from ..variable import as_tensor_variable
        new = as_tensor_variable(new)
    if new.type == old.type:
        return new
    if getattr(new.type, "ndim", None) != getattr(old.type, "ndim", None):
        return None
    from ..ops import cast, patternbroadcast
    if new.dtype != old.dtype:
        new = cast(new, old.dtype)
    if new.broadcastable != old.broadcastable:
        if all(b or not a for a, b in zip(new.broadcastable, old.broadcastable)):
            # ``old`` is broadcastable where ``new`` is not: assert length 1 at run time.
            new = patternbroadcast(new, old.broadcastable)
        else:
            return None
    return new if new.type == old.type else None


def apply_rules(fgraph, ruleset, max_rounds=50):
    """Apply ``ruleset`` to every node until no rule fires; returns the number of firings.

    Each round visits every node in topological order, then the nodes a rewrite created
    or whose inputs it changed, until none is left; rounds repeat until one fires nothing
    (rules may look past a node's inputs, at its clients or at siblings).  ``max_rounds``
    and a cap on firings per round bound the work if rules undo each other.
    """
    fired_total = 0
    for _ in range(max_rounds):
        pending = deque(fgraph.toposort())
        queued = set(pending)
        budget = 20 * len(queued) + 1000
        fired = 0
        while pending and fired < budget:
            node = pending.popleft()
            queued.discard(node)
            if node not in fgraph.apply_nodes:
                continue
            for rule in ruleset.candidates(node):
                replacements = rule.apply(fgraph, node)
                if not replacements:
                    continue
                touched = _replace(fgraph, replacements, rule, ruleset, node)
                if touched is None:
                    continue
                fired += 1
                for other in touched:
                    if other not in queued:
                        queued.add(other)
                        pending.append(other)
                break
        fired_total += fired
        if not fired:
            break
    return fired_total


def _new_nodes(fgraph, variable):
    """The nodes of ``variable``'s graph that are not in ``fgraph`` yet."""
    found, seen = [], set()
    stack = [variable]
    while stack:
        current = stack.pop()
        node = current.owner
        if node is None or node in fgraph.apply_nodes or node in seen:
            continue
        seen.add(node)
        found.append(node)
        stack.extend(node.inputs)
    return found


def _replace(fgraph, replacements, rule, ruleset, node):
    """Make the replacements; returns the nodes to visit again (the new ones, then the
    clients of the new variables), or None when a replacement does not fit."""
    pairs = []
    for old, new in replacements.items():
        if new is old or old not in fgraph.variables:
            continue
        fitted = fit_type(new, old)
        if fitted is None:
            return None
        created = _new_nodes(fgraph, fitted)
        if any(old in n.inputs for n in created):
            return None  # the replacement would consume what it replaces: a cycle
        pairs.append((old, fitted, created))
    if not pairs:
        return None
    touched = []
    for old, new, created in pairs:
        for made in created:
            # New nodes report errors at the line of the node they replace.
            made.trace = node.trace
            for output in made.outputs:
                output.trace = node.trace
        fgraph.replace(old, new, reason=rule.name)
        if created:
            made = set(created)
            boundary = [v for n in created for v in n.inputs if v.owner not in made]
            touched.extend(io_toposort(boundary, [new]))
        touched.extend(client for client, _ in fgraph.clients.get(new, ())
                       if client != "output")
        if config.trace_rewrites:
            where = f"  [{node.trace.filename}:{node.trace.lineno}]" if node.trace else ""
            print(f"rewrite {ruleset.name}/{rule.name}: {describe(old)} -> {describe(new)}"
                  f"{where}", file=sys.stderr)
    return touched


def describe(variable, depth=3):
    """A short text of ``variable``'s expression, ``depth`` levels deep (for traces)."""
    if variable.name is not None or variable.owner is None:
        text = str(variable)
        return text if len(text) <= 24 else text[:21] + "..."
    if depth == 0:
        return "..."
    op = variable.owner.op
    if isinstance(op, Elemwise):
        name = op.scalar_op.name if isinstance(op.scalar_op.name, str) else str(op.scalar_op)
    else:
        name = str(op)
    arguments = ", ".join(describe(v, depth - 1) for v in variable.owner.inputs)
    return f"{name}({arguments})"
