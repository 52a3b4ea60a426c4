"""The rewrite engine: rules as data, applied to a FunctionGraph until nothing changes.

A ``Rule`` pairs a pattern with a function building the replacement::

    Rule("mul_one", (Mul, "x", ONE), lambda x: x)

A pattern is a tuple ``(matcher, *argument_patterns)``; a matcher is an ``Op`` class (the
node's op is an instance), a ``ScalarOp`` class (an ``Elemwise`` of that scalar op) or a
predicate ``fn(node) -> bool``.  An argument pattern is a name (binds that variable; a name
used twice must bind the same variable), a ``Const`` (a constant of that value, seen through
broadcasting dimshuffles), ``ANY``, or a nested pattern.  Patterns on commutative scalar ops
also match with the two arguments swapped.  The builder gets the bindings as keyword
arguments (plus ``node`` if it asks for it) and returns a variable, or None to decline.

A ``NodeRule`` is the escape hatch for rewrites that are not a local pattern: it gets
``(fgraph, node)`` and returns ``{old: new}`` or None.
"""

import inspect
import sys
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ...configparser import config
from ..graph import Constant, Variable
from ..op import Op
from ..ops.elemwise import DimShuffle, Elemwise, ScalarOp

ANY = object()


@dataclass(frozen=True)
class Const:
    """Matches a constant whose every element equals ``value`` (through dimshuffles)."""

    value: float

    def matches(self, variable):
        data = constant_value(variable)
        if data is None:
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
        bindings = {}
        if not _match(self.pattern, node, bindings):
            return None
        if self.wants_node:
            bindings["node"] = node
        replacement = self.build(**bindings)
        if replacement is None:
            return None
        return {node.outputs[0]: replacement}


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
    if pattern is ANY:
        return True
    if isinstance(pattern, str):
        bound = bindings.get(pattern)
        if bound is None:
            bindings[pattern] = variable
            return True
        return bound is variable
    if isinstance(pattern, Const):
        return pattern.matches(variable)
    if isinstance(pattern, tuple):
        return variable.owner is not None and _match(pattern, variable.owner, bindings)
    raise TypeError(f"bad pattern element {pattern!r}")


def _match(pattern, node, bindings):
    matcher, arguments = pattern[0], pattern[1:]
    if not _matcher_accepts(matcher, node):
        return False
    if len(arguments) != len(node.inputs):
        return False
    saved = dict(bindings)
    if all(_match_argument(p, v, bindings) for p, v in zip(arguments, node.inputs)):
        return True
    bindings.clear()
    bindings.update(saved)
    commutative = isinstance(node.op, Elemwise) and node.op.scalar_op.commutative
    if commutative and len(arguments) == 2:
        if all(_match_argument(p, v, bindings)
               for p, v in zip(arguments, reversed(node.inputs))):
            return True
        bindings.clear()
        bindings.update(saved)
    return False


class RuleSet:
    """A named list of rules, indexed by the op or scalar-op class at their root."""

    def __init__(self, name, rules=()):
        self.name = name
        self.rules = []
        self._by_class = {}
        self._generic = []
        for rule in rules:
            self.add(rule)

    def add(self, rule):
        self.rules.append(rule)
        roots = rule.roots if isinstance(rule, NodeRule) else (rule.root,)
        for root in roots:
            if isinstance(root, type):
                self._by_class.setdefault(root, []).append(rule)
            else:
                self._generic.append(rule)
        return rule

    def candidates(self, node):
        found = []
        keys = [type(node.op)]
        if isinstance(node.op, Elemwise):
            keys.append(type(node.op.scalar_op))
        for key in keys:
            for cls in key.__mro__:
                found.extend(self._by_class.get(cls, ()))
        return found + self._generic


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
        if any(b and not a for a, b in zip(new.broadcastable, old.broadcastable)):
            # ``old`` is broadcastable where ``new`` is not: assert length 1 at run time.
            new = patternbroadcast(new, old.broadcastable)
        else:
            return None
    return new if new.type == old.type else None


def apply_rules(fgraph, ruleset, max_rounds=50):
    """Apply ``ruleset`` to every node until no rule fires (bounded by ``max_rounds``)."""
    fired_total = 0
    for _ in range(max_rounds):
        fired = 0
        for node in fgraph.toposort():
            if node not in fgraph.apply_nodes:
                continue
            for rule in ruleset.candidates(node):
                replacements = rule.apply(fgraph, node)
                if not replacements:
                    continue
                if _replace(fgraph, replacements, rule, ruleset, node):
                    fired += 1
                    break
        fired_total += fired
        if not fired:
            break
    return fired_total


def _inherit_trace(fgraph, variable, trace):
    """New nodes built by a rewrite report errors at the line of the node they replace."""
    stack = [variable]
    while stack:
        current = stack.pop()
        node = current.owner
        if node is None or node in fgraph.apply_nodes or node.trace is trace:
            continue
        node.trace = trace
        for output in node.outputs:
            output.trace = trace
        stack.extend(node.inputs)


def _replace(fgraph, replacements, rule, ruleset, node):
    pairs = []
    for old, new in replacements.items():
        if new is old:
            continue
        fitted = fit_type(new, old)
        if fitted is None:
            return False
        pairs.append((old, fitted))
    if not pairs:
        return False
    for old, new in pairs:
        if old in fgraph.variables:
            _inherit_trace(fgraph, new, node.trace)
            fgraph.replace(old, new, reason=rule.name)
    if config.trace_rewrites:
        print(f"rewrite {ruleset.name}/{rule.name}: {node}", file=sys.stderr)
    return True
