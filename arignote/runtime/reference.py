"""The reference linker: runs a ``FunctionGraph`` node by node with each op's numpy ``perform``.

It is the semantic oracle of the project (compiled backends are checked against it) and the
backend of every mode until code generation exists.  Everything is decided at construction:
a flat storage list indexed by slots (inputs first, then constants, then computed values), and
a schedule of ``(perform, node, input_slots, output_slots, freed_slots)`` steps, so a call is
one loop over the schedule.

A linker's contract, which a compiled linker keeps too: ``Linker(fgraph, ...)``, then
``make_thunk()`` returns ``run(values) -> outputs``, where ``values`` lists the values of
``fgraph.inputs`` in order and ``outputs`` those of ``fgraph.outputs``.
"""

import time

import numpy as np

from ..compiler.graph import Constant
from ..compiler.types import TensorType

_MESSAGE_LINES = 4
_LINE_CHARS = 300


class ReferenceLinker:
    """Run ``fgraph`` with numpy; ``node_checks`` watch every node, ``profile`` times them."""

    def __init__(self, fgraph, node_checks=(), profile=None):
        self.fgraph = fgraph
        self.node_checks = tuple(node_checks)
        self.profile = profile
        self.nodes = fgraph.toposort()
        slots = {}
        template = []
        for variable in fgraph.inputs:
            slots[variable] = len(template)
            template.append(None)
        self.n_inputs = len(template)

        def slot_of(variable):
            slot = slots.get(variable)
            if slot is None:
                if not isinstance(variable, Constant):
                    raise ValueError(f"{variable} is neither an input of the graph nor computed "
                                     f"by one of its nodes")
                slot = slots[variable] = len(template)
                template.append(variable.data)
            return slot

        steps = []
        last_use = {}
        for position, node in enumerate(self.nodes):
            input_slots = tuple(slot_of(v) for v in node.inputs)
            for slot in input_slots:
                last_use[slot] = position
            output_slots = []
            for variable in node.outputs:
                slots[variable] = len(template)
                template.append(None)
                output_slots.append(slots[variable])
                last_use.setdefault(slots[variable], position)
            steps.append([node.op.perform, node, input_slots, tuple(output_slots), []])
        self.output_slots = tuple(slot_of(v) for v in fgraph.outputs)
        kept = set(self.output_slots)
        for slot, position in last_use.items():
            if slot not in kept:
                steps[position][4].append(slot)
        self.schedule = tuple((perform, node, ins, outs, tuple(frees))
                              for perform, node, ins, outs, frees in steps)
        self.template = template
        self.slots = slots
        self.times = [0.0] * len(self.schedule)
        self.calls = [0] * len(self.schedule)
        if profile is not None:
            profile.add_linker(self)

    def make_thunk(self):
        """The function ``run(values) -> outputs`` for this graph."""
        if self.profile is not None or self.node_checks:
            return self._make_instrumented()
        schedule, template, outputs = self.schedule, self.template, self.output_slots
        n_inputs = self.n_inputs

        def run(values):
            storage = template.copy()
            storage[:n_inputs] = values
            try:
                for step in schedule:
                    results = step[0](step[1], [storage[i] for i in step[2]])
                    for slot, value in zip(step[3], results):
                        storage[slot] = value
                    for slot in step[4]:
                        storage[slot] = None
            except Exception as error:  # noqa: BLE001 (re-raised with the node)
                raise_with_node(error, step[1], [storage[i] for i in step[2]])
            return [storage[i] for i in outputs]

        return run

    def _make_instrumented(self):
        schedule, template, outputs = self.schedule, self.template, self.output_slots
        n_inputs, checks = self.n_inputs, self.node_checks
        timed = self.profile is not None
        times, calls = self.times, self.calls
        clock = time.perf_counter

        def run(values):
            storage = template.copy()
            storage[:n_inputs] = values
            try:
                for position, step in enumerate(schedule):
                    node = step[1]
                    inputs = [storage[i] for i in step[2]]
                    tokens = [check.before(node, inputs) for check in checks]
                    if timed:
                        start = clock()
                        results = step[0](node, inputs)
                        times[position] += clock() - start
                        calls[position] += 1
                    else:
                        results = step[0](node, inputs)
                    for check, token in zip(checks, tokens):
                        check.after(node, inputs, results, token)
                    for slot, value in zip(step[3], results):
                        storage[slot] = value
                    for slot in step[4]:
                        storage[slot] = None
            except Exception as error:  # noqa: BLE001 (re-raised with the node)
                raise_with_node(error, step[1], [storage[i] for i in step[2]])
            return [storage[i] for i in outputs]

        return run

    def run(self, values):
        """Compute the outputs of the graph for ``values`` of its inputs."""
        return self.make_thunk()(values)


# ----------------------------------------------------------------------- errors
def describe_value(value):
    """'float64 (3, 4)' for an array, the type name otherwise."""
    if isinstance(value, (np.ndarray, np.generic)):
        return f"{value.dtype.name} {value.shape}"
    return type(value).__name__


def node_trace(node):
    """Where the user built ``node`` (a ``Trace``), or None."""
    trace = getattr(node, "trace", None)
    if trace is None:
        for output in node.outputs:
            if output.trace is not None:
                return output.trace
    return trace


def node_report(node, input_values=None):
    """Lines naming ``node``, its input values and the user line that built it."""
    lines = []
    if input_values is not None:
        shown = ", ".join(describe_value(v) for v in input_values)
        lines.append(f"  inputs: {_clip(shown)}")
    trace = node_trace(node)
    lines.append(f"  built at: {trace}" if trace is not None else
                 "  built at: (unknown: the node was not built by user code)")
    return lines


def _clip(text):
    return text if len(text) <= _LINE_CHARS else text[:_LINE_CHARS - 3] + "..."


def raise_with_node(error, node, input_values):
    """Re-raise ``error`` from ``node.op.perform`` with the node, values and user line.

    The exception keeps its class (ValueError stays ValueError); the node is ``error.node``.
    Errors already explained by an inner function (or a check) pass through unchanged.
    """
    if getattr(error, "arignote_node", None) is not None:
        raise error
    original = str(error) or type(error).__name__
    original_lines = original.splitlines() or [""]
    if len(original_lines) > _MESSAGE_LINES:
        original_lines = original_lines[:_MESSAGE_LINES] + ["..."]
    lines = [_clip(f"Apply node {node} failed: {original_lines[0]}")]
    lines += ["  " + _clip(line) for line in original_lines[1:]]
    lines += node_report(node, input_values)
    message = "\n".join(lines)
    try:
        new = type(error)(message)
    except Exception:  # noqa: BLE001 (a class that takes other arguments)
        new = error
        new.args = (message,)
    if new is not error and getattr(error, "__notes__", None):
        new.__notes__ = list(error.__notes__)
    new.arignote_node = node
    new.node = node
    raise new.with_traceback(error.__traceback__) from None


def explained(error, node):
    """Mark ``error`` as already naming ``node`` (so the linker does not wrap it again)."""
    error.arignote_node = node
    error.node = node
    return error


# ----------------------------------------------------------------------- node checks
class NanGuardError(AssertionError):
    """A NaN, an infinity or a huge value appeared under NanGuardMode."""


class NanGuardCheck:
    """Raise when a node's input or output holds NaN, inf, or values above 1e10 in size."""

    def __init__(self, nan_is_error=True, inf_is_error=True, big_is_error=True):
        self.nan_is_error = nan_is_error
        self.inf_is_error = inf_is_error
        self.big_is_error = big_is_error

    def _problem(self, value):
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fc" or not value.size:
            return None
        if self.nan_is_error and np.isnan(value).any():
            return "NaN"
        if self.inf_is_error and np.isinf(value).any():
            return "an infinity"
        if self.big_is_error and np.nanmax(np.abs(np.where(np.isinf(value), 0, value))) > 1e10:
            return "a value larger than 1e10 in magnitude"
        return None

    def before(self, node, inputs):
        for index, value in enumerate(inputs):
            problem = self._problem(value)
            if problem is not None:
                raise self._error(node, f"input {index} ({node.inputs[index]}) of", problem,
                                  inputs)

    def after(self, node, inputs, outputs, token):
        for index, value in enumerate(outputs):
            problem = self._problem(np.asarray(value))
            if problem is not None:
                raise self._error(node, f"output {index} of", problem, inputs)

    def _error(self, node, where, problem, inputs):
        lines = [_clip(f"NanGuardMode: {problem} in {where} Apply node {node}")]
        lines += node_report(node, inputs)
        return explained(NanGuardError("\n".join(lines)), node)


class DebugModeError(Exception):
    """An op broke its contract while running under DebugMode."""


class BackendMismatch(DebugModeError):
    """DebugMode: the generated C computed a different value than the numpy reference."""


class InvalidValueError(DebugModeError):
    """An op's perform returned a value that its output type does not describe."""


class BadDestroyMap(DebugModeError):
    """An op overwrote an input without declaring it in ``destroy_map``."""


class BadViewMap(DebugModeError):
    """An op returned a view of an input without declaring it in ``view_map``."""


class DebugCheck:
    """Check each node's outputs against their types, and that inputs are left intact."""

    def before(self, node, inputs):
        return [np.array(v, copy=True) if isinstance(v, np.ndarray) else None for v in inputs]

    def after(self, node, inputs, outputs, copies):
        op = node.op
        if len(outputs) != len(node.outputs):
            raise self._error(InvalidValueError, node, inputs,
                              f"perform returned {len(outputs)} values for "
                              f"{len(node.outputs)} outputs")
        for index, (variable, value) in enumerate(zip(node.outputs, outputs)):
            if isinstance(variable.type, TensorType):
                problem = _type_problem(variable.type, value)
                if problem:
                    raise self._error(InvalidValueError, node, inputs,
                                      f"output {index} is {problem}, but its type is "
                                      f"{variable.type}")
        destroyed = {i for targets in op.destroy_map.values() for i in targets}
        viewed = {i for targets in op.view_map.values() for i in targets} | destroyed
        for index, (value, saved) in enumerate(zip(inputs, copies)):
            if saved is None or index in destroyed:
                continue
            if value.shape != saved.shape or not np.array_equal(value, saved, equal_nan=(
                    value.dtype.kind in "fc")):
                raise self._error(BadDestroyMap, node, inputs,
                                  f"input {index} was modified, but destroy_map does not "
                                  f"declare it")
        for out_index, value in enumerate(outputs):
            if not isinstance(value, np.ndarray):
                continue
            for index, original in enumerate(inputs):
                if (index not in viewed and isinstance(original, np.ndarray)
                        and np.may_share_memory(value, original)):
                    raise self._error(BadViewMap, node, inputs,
                                      f"output {out_index} shares memory with input {index}, "
                                      f"but view_map does not declare it")

    def _error(self, kind, node, inputs, what):
        lines = [_clip(f"DebugMode: Apply node {node}: {what}")] + node_report(node, inputs)
        return explained(kind("\n".join(lines)), node)


def _type_problem(tensor_type, value):
    """Why ``value`` is not a value of ``tensor_type`` ('' when it is)."""
    if not isinstance(value, np.ndarray):
        return f"a {type(value).__name__}, not an ndarray"
    if value.dtype.name != tensor_type.dtype:
        return f"of dtype {value.dtype.name}"
    if value.ndim != tensor_type.ndim:
        return f"of {value.ndim} dimensions (shape {value.shape})"
    for axis, flag in enumerate(tensor_type.broadcastable):
        if flag and value.shape[axis] != 1:
            return f"of shape {value.shape} (dimension {axis} is broadcastable)"
    return ""
