"""``scan``: Theano's loop constructor, building one ``Scan`` node.

``fn`` is called once, on placeholders for one step's values; the graph it returns becomes
the loop's inner graph.  Everything in that graph that does not depend on the step's values
(non-sequences, shared variables ``fn`` uses, expressions of them) is computed once, outside
the loop.
"""

from collections import OrderedDict

import numpy as np

from ..compiler import dtypes
from ..compiler import ops as O
from ..compiler.evaluate import capture, depends_on, frontier
from ..compiler.graph import Constant, Variable, clone_replace
from ..compiler.op import with_test_values
from ..compiler.ops.scan import CheckSteps, Scan, row_type
from ..compiler.types import TensorType
from ..compiler.variable import as_tensor_variable
from ..runtime.shared import SharedVariable
from .pushout import batch_outputs

__all__ = ["scan", "until"]


class until:
    """Stop the loop after the step where ``condition`` is true (return it from ``fn``).

    >>> import arignote, arignote.tensor as T
    >>> from arignote.scan_module import until
    >>> x = T.dscalar('x')
    >>> doubles, _ = arignote.scan(lambda v: (v * 2, until(v * 2 > 40)), outputs_info=x,
    ...                            n_steps=100)
    >>> arignote.function([x], doubles)(3.0).tolist()
    [6.0, 12.0, 24.0, 48.0]
    """

    def __init__(self, condition):
        self.condition = as_tensor_variable(condition)
        if self.condition.ndim != 0:
            raise TypeError(f"until: the condition must be a scalar, got {self.condition.type}")


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _label(kind, index, variable):
    name = getattr(variable, "name", None)
    return f"{kind}[{index}]" + (f" ({name})" if name else "")


class _Sequence:
    """One user sequence: its slices per tap and the placeholders ``fn`` receives."""

    def __init__(self, index, spec):
        if isinstance(spec, dict):
            unknown = set(spec) - {"input", "taps"}
            if unknown or "input" not in spec:
                raise ValueError(f"scan: sequences[{index}] must be a variable or "
                                 f"dict(input=..., taps=[...]), got keys {sorted(spec)}")
            variable, taps = spec["input"], spec.get("taps", [0])
            taps = [0] if taps is None else list(taps)
        else:
            variable, taps = spec, [0]
        self.variable = as_tensor_variable(variable)
        self.label = _label("sequences", index, self.variable)
        if self.variable.ndim == 0:
            raise TypeError(f"scan: {self.label} is a scalar; a sequence needs an axis to "
                            f"iterate over")
        if not taps or any(not isinstance(k, int) for k in taps):
            raise ValueError(f"scan: the taps of {self.label} must be ints, got {taps}")
        self.taps = taps
        high, low = max(max(taps), 0), min(min(taps), 0)
        self.slices, self.placeholders = [], []
        for k in taps:
            start, stop = k - low, (k - high) or None
            self.slices.append(self.variable[start:stop])
            name = self.variable.name and f"{self.variable.name}[t{k:+d}]".replace("+0", "")
            self.placeholders.append(row_type(self.variable).make_variable(name))


class _Output:
    """One entry of ``outputs_info``: not fed back (``taps`` empty), or a recurrent state."""

    def __init__(self, index, spec):
        self.index = index
        self.label = f"outputs_info[{index}]"
        initial, taps = spec, [-1]
        if isinstance(spec, dict):
            unknown = set(spec) - {"initial", "taps", "return_steps"}
            if unknown:
                raise ValueError(f"scan: {self.label} has unknown keys {sorted(unknown)}")
            initial = spec.get("initial")
            taps = list(spec.get("taps", [-1]) or [])
        if initial is None:
            self.taps, self.initial = [], None
            return
        if not taps or any(not isinstance(k, int) or k >= 0 for k in taps):
            raise ValueError(f"scan: the taps of {self.label} must be negative ints, got {taps}")
        initial = as_tensor_variable(initial)
        self.label = _label("outputs_info", index, initial)
        self.taps = taps
        if taps == [-1]:
            self.rows = O.shape_padleft(initial)    # the state itself is the one initial row
        else:
            if initial.ndim == 0:
                raise TypeError(f"scan: {self.label} has taps {taps}, so its initial value "
                                f"needs a leading axis of {-min(taps)} rows; it is a scalar")
            self.rows = initial
            length = _static_length(initial)
            if length is not None and length < -min(taps):
                raise ValueError(f"scan: {self.label} has taps {taps}, so its initial value "
                                 f"needs {-min(taps)} rows (one per step back); it has {length}")
        self.initial = initial
        self.type = row_type(self.rows)

    @property
    def recurrent(self):
        return bool(self.taps)


def _static_length(variable):
    if isinstance(variable, Constant):
        return len(variable.data)
    return None


def _parse_result(result):
    """``(outputs, updates, condition)`` from what ``fn`` returned (any of Theano's forms)."""
    outputs, updates, condition = [], OrderedDict(), None

    def is_pairs(value):
        return bool(value) and all(isinstance(e, tuple) and len(e) == 2
                                   and isinstance(e[0], SharedVariable) for e in value)

    def visit(value, depth):
        nonlocal condition
        if isinstance(value, until):
            condition = value.condition
        elif isinstance(value, dict) or isinstance(value, (list, tuple)) and is_pairs(value):
            updates.update(value)
        elif isinstance(value, (list, tuple)) and depth == 0:
            for element in value:
                visit(element, 1)
        elif isinstance(value, (list, tuple)) and depth == 1:
            outputs.extend(value)
        else:
            outputs.append(value)

    visit(result, 0)
    converted = []
    for k, value in enumerate(outputs):
        if value is None:
            raise TypeError(f"scan: fn returned None as its output {k}; return variables")
        try:
            converted.append(as_tensor_variable(value))
        except (TypeError, ValueError) as error:
            raise TypeError(f"scan: fn's output {k} is not a variable: {value!r}") from error
    return converted, updates, condition


@with_test_values
def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None,
         truncate_gradient=-1, go_backwards=False, mode=None, name=None, profile=False,
         allow_gc=None, strict=False, return_list=False):
    """Loop ``fn`` over sequences and recurrent states; Theano 1.0's ``scan``.

    Returns ``(outputs, updates)``: one variable per output of ``fn`` with a leading axis
    of steps (a list unless there is one output and ``return_list`` is False), and the
    updates of shared variables that ``fn`` made, to give to ``function(updates=...)``.
    ``mode``, ``profile`` and ``allow_gc`` are accepted for compatibility: the loop is
    compiled into the function that uses it.

    >>> import numpy as np, arignote, arignote.tensor as T
    >>> A, k = T.dvector('A'), T.iscalar('k')
    >>> powers, _ = arignote.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A),
    ...                           non_sequences=A, n_steps=k)
    >>> arignote.function([A, k], powers[-1])(np.arange(4.0), 3).tolist()
    [0.0, 1.0, 8.0, 27.0]
    """
    name = name or "scan_fn"
    seqs = [_Sequence(i, s) for i, s in enumerate(_as_list(sequences))]
    infos = [_Output(j, o) for j, o in enumerate(_as_list(outputs_info))]
    non_seqs = [v if isinstance(v, Variable) else as_tensor_variable(v)
                for v in _as_list(non_sequences)]
    if not isinstance(truncate_gradient, int) or truncate_gradient == 0:
        raise ValueError(f"scan: truncate_gradient must be -1 or a positive int, "
                         f"got {truncate_gradient!r}")
    steps = _steps(n_steps, seqs)

    states = [o for o in infos if o.recurrent]
    tap_types = {id(o): o.type for o in states}
    for _attempt in range(3):
        tap_places = {id(o): {k: tap_types[id(o)].make_variable(_tap_name(o, k))
                              for k in o.taps} for o in states}
        args = [p for s in seqs for p in s.placeholders]
        args += [tap_places[id(o)][k] for o in states for k in o.taps]
        outputs, updates, condition = _parse_result(fn(*args, *non_seqs))
        if infos and len(outputs) != len(infos):
            raise ValueError(f"scan: fn returned {len(outputs)} outputs but outputs_info has "
                             f"{len(infos)} entries (give None for outputs not fed back)")
        if not infos:
            infos = [_Output(j, None) for j in range(len(outputs))]
        changed = False
        for o in states:
            wanted = _state_type(o, outputs[o.index], tap_types[id(o)])
            if wanted != tap_types[id(o)]:
                tap_types[id(o)], changed = wanted, True
        if not changed:
            break
    for o in states:
        outputs[o.index] = _fit(outputs[o.index], tap_types[id(o)])

    updates = _with_default_updates(updates, outputs, condition, args)
    shared_states = list(updates)
    shared_places = [sv.type.make_variable(sv.name) for sv in shared_states]
    update_values = [_fit_update(sv, updates[sv]) for sv in shared_states]
    tail = [condition] if condition is not None else []
    replaced = clone_replace(outputs + update_values + tail,
                             dict(zip(shared_states, shared_places)))
    outputs = replaced[:len(outputs)]
    update_values = replaced[len(outputs):len(outputs) + len(update_values)]
    if condition is not None:
        condition = replaced[-1]

    seq_places = [p for s in seqs for p in s.placeholders]
    leading = list(seq_places)
    for o in states:
        leading += [tap_places[id(o)][k] for k in sorted(o.taps)]
    leading += shared_places
    if strict:
        everything = outputs + update_values + ([condition] if condition is not None else [])
        variant_all = depends_on(everything, leading)
        _check_strict(frontier(everything, lambda v: v not in variant_all, leading=leading),
                      non_seqs, name)
    pushed, stand_ins = {}, {}
    if condition is None:
        pushed, stand_ins = _push_out(seqs, states, infos, outputs, leading, steps,
                                      go_backwards)
    inner_outputs = [outputs[o.index] for o in states] + update_values
    inner_outputs += [outputs[o.index] for o in infos
                      if not o.recurrent and o.index not in pushed]
    if condition is not None:
        inner_outputs.append(condition)
    variant = depends_on(inner_outputs, leading)
    invariants, body = capture(inner_outputs, lambda v: v not in variant, leading=leading)

    seq_labels = tuple(s.label + (f" (tap {k})" if s.taps != [0] else "")
                       for s in seqs for k in s.taps)
    state_labels = tuple(o.label for o in states)
    state_labels += tuple(f"the update of {sv.name or 'a shared variable'}"
                          for sv in shared_states)
    op = Scan(body, n_seqs=len(seq_places),
              state_taps=tuple(tuple(sorted(o.taps)) for o in states)
              + ((-1,),) * len(shared_states),
              n_nitsot=sum(1 for o in infos if not o.recurrent and o.index not in pushed),
              windows=(0,) * len(states) + (1,) * len(shared_states),
              as_while=condition is not None, go_backwards=bool(go_backwards),
              name=name,
              labels=seq_labels + state_labels, truncate_gradient=truncate_gradient)
    initial = [O.cast(o.rows, tap_types[id(o)].dtype) for o in states]
    initial += [O.shape_padleft(sv) for sv in shared_states]
    node = op.make_node(steps, *[x for s in seqs for x in s.slices], *initial, *invariants)

    trajectories = {stand_ins[id(o)]: node.outputs[k] for k, o in enumerate(states)
                    if id(o) in stand_ins}
    if pushed and seqs:
        # The batched outputs read the sequences directly: check them as the loop would.
        slices = [x for s in seqs for x in s.slices]
        checked = CheckSteps(op).make_node(steps, *slices).outputs
        trajectories.update(zip(slices, checked))
    results, k_state, k_nitsot = [], 0, len(states) + len(shared_states)
    for o in infos:
        if o.recurrent:
            results.append(node.outputs[k_state])
            k_state += 1
        elif o.index in pushed:
            results.append(clone_replace([pushed[o.index]], trajectories)[0])
        else:
            results.append(node.outputs[k_nitsot])
            k_nitsot += 1
    new_updates = OrderedDict(
        (sv, node.outputs[len(states) + k][0]) for k, sv in enumerate(shared_states))
    if return_list:
        return results, new_updates
    if not results:
        return None, new_updates
    return (results[0] if len(results) == 1 else results), new_updates


def _push_out(seqs, states, infos, outputs, leading, steps, go_backwards):
    """Outputs not fed back that can be computed after the loop, batched over the steps
    (see ``pushout``): ``({output index: batched graph}, {id(state): stand-in})``, where the
    graphs read each state's trajectory through its stand-in."""
    stacked, stand_ins = {}, {}
    for s in seqs:
        for placeholder, rows in zip(s.placeholders, s.slices):
            stacked[placeholder] = (rows[::-1] if go_backwards else rows)[:steps]
    for o in states:
        value = outputs[o.index]
        if value not in stacked:
            stand_in = TensorType(value.dtype, (False,) + value.broadcastable).make_variable()
            stacked[value] = stand_ins[id(o)] = stand_in
    candidates = [o for o in infos if not o.recurrent]
    batched = batch_outputs([outputs[o.index] for o in candidates], stacked, leading)
    pushed = {}
    for o, graph in zip(candidates, batched):
        value = outputs[o.index]
        if graph is None or graph.dtype != value.dtype or graph.ndim != value.ndim + 1:
            continue
        wanted = (False,) + value.broadcastable
        if graph.broadcastable != wanted:
            graph = O.patternbroadcast(graph, wanted)
        pushed[o.index] = graph
    return pushed, stand_ins


def _steps(n_steps, seqs):
    """The symbolic number of steps: ``n_steps``, or as many as the shortest sequence (after
    taps) gives, as in Theano."""
    if n_steps is None:
        if not seqs:
            raise ValueError("scan: no sequences and no n_steps: cannot tell how many steps "
                             "to run")
        lengths = [O.shape(part)[0] for s in seqs for part in s.slices]
        steps = lengths[0]
        for length in lengths[1:]:
            steps = O.minimum(steps, length)
        return steps
    if isinstance(n_steps, (int, np.integer)) and n_steps < 0:
        raise ValueError(f"scan: n_steps is negative ({n_steps})")
    steps = as_tensor_variable(n_steps)
    if steps.ndim != 0 or not steps.dtype.startswith(("int", "uint")):
        raise TypeError(f"scan: n_steps must be an integer scalar, got {steps.type}")
    return O.cast(steps, "int64")


def _tap_name(output, k):
    name = getattr(output.initial, "name", None)
    return name and f"{name}[t{k}]"


def _state_type(output, value, current):
    """The placeholder type that fits both the initial state and what ``fn`` returned."""
    if value.ndim != current.ndim:
        raise TypeError(f"scan: fn returned a {value.ndim}-d value for {output.label}, whose "
                        f"initial state has {current.ndim} dimensions ({current})")
    dtype = dtypes.upcast(current.dtype, value.dtype)
    if dtype != value.dtype:
        raise TypeError(f"scan: fn returned a {value.dtype} value for {output.label}, whose "
                        f"initial state is {current.dtype}: the loop would have to cast each "
                        f"step's result down; cast the initial state (or fn's result) so "
                        f"that they agree")
    pattern = tuple(a and b for a, b in zip(current.broadcastable, value.broadcastable))
    return TensorType(dtype, pattern)


def _fit(value, wanted):
    """``value`` cast and rebroadcast to the type ``wanted`` (same ndim)."""
    if value.dtype != wanted.dtype:
        value = O.cast(value, wanted.dtype)
    if value.broadcastable != wanted.broadcastable:
        value = O.patternbroadcast(value, wanted.broadcastable)
    return value


def _fit_update(shared_variable, value):
    value = as_tensor_variable(value)
    if value.ndim != shared_variable.type.ndim:
        raise TypeError(f"scan: the update of {shared_variable} inside fn has "
                        f"{value.ndim} dimensions; the shared variable has "
                        f"{shared_variable.type.ndim}")
    return _fit(value, shared_variable.type)


def _with_default_updates(updates, outputs, condition, args):
    """``fn``'s updates plus the default updates of shared variables it uses (random
    streams): they advance at every step."""
    updates = OrderedDict(updates)
    for key in updates:
        if not isinstance(key, SharedVariable):
            raise TypeError(f"scan: fn returned an update of {key}, which is not a shared "
                            f"variable")
    pending = list(outputs) + list(updates.values()) + ([condition] if condition is not None else [])
    while pending:
        found = [v for v in frontier(pending, leading=args)
                 if isinstance(v, SharedVariable) and v not in updates
                 and getattr(v, "default_update", None) is not None]
        pending = []
        for shared_variable in found:
            updates[shared_variable] = shared_variable.default_update
            pending.append(shared_variable.default_update)
    return updates


def _check_strict(invariants, non_seqs, name):
    given = set(non_seqs)
    for variable in frontier(invariants, lambda v: v in given):
        if isinstance(variable, Constant) or variable in given:
            continue
        raise ValueError(f"scan {name} (strict=True): fn uses {variable}, which is not in "
                         f"non_sequences; pass it there or use strict=False")
