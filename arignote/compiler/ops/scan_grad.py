"""Backpropagation through time: the gradient of a ``Scan`` is a ``Scan`` running backwards.

With ``full_j = [initial_j; trajectory_j]`` (``m_j`` initial rows), forward step ``t`` reads
``full_j[m_j + t + k]`` for each tap ``k`` and writes ``full_j[m_j + t]``.  The backward loop
visits ``t = T-1, ..., 0`` and carries, per float state ``j``, ``m_j`` pending gradients
``P_j[d]`` (the gradient already gathered for ``full_j[m_j + t - d]``):

- the total gradient of step ``t``'s new state is ``out_grad_j[t] + P_j[0]``;
- the inner graph's gradient gives ``c_{j,k}`` for each tap input and the step's share of
  each sequence row and invariant;
- then ``P'_j[d] = P_j[d + 1] + c_{j,-(d+1)}`` for the step ``t - 1``, invariants' gradients
  are summed in carried accumulators, sequence rows' gradients are stacked.

After step 0, ``P_j[d]`` is the gradient of initial row ``m_j - 1 - d``.  The backward body
reads the forward values it needs as sequences (the states at every tap, the step outputs),
so the forward computation is not redone: the inner gradient's references to the forward
step's outputs are replaced by the stored values.  ``truncate_gradient = k`` runs only the
last ``k`` backward steps (and gives the initial states no gradient when steps were cut).
"""

from ..evaluate import capture, depends_on
from ..graph import Constant, clone_replace
from ..variable import constant
from .scan import row_type

__all__ = []


def _ops():
    from .. import ops
    return ops


def _is_float(variable):
    return variable.dtype.startswith(("float", "complex"))


def scan_gradient(op, inputs, outputs, out_grads):
    """Gradients of ``op``'s outer inputs for the output gradients ``out_grads``."""
    O = _ops()
    if any(w for w in op.windows):
        return _through_full_loop(op, inputs, outputs, out_grads)
    steps, seqs, inits, invariants = op.split_outer(inputs)
    trajectories = outputs[:op.n_states]
    # A while loop ran as many steps as its outputs have rows.
    ran = O.shape(outputs[0])[0] if op.as_while and outputs else steps
    ran = O.cast(ran, "int64")
    if op.truncate_gradient > 0:
        back_steps = O.minimum(ran, constant(op.truncate_gradient, dtype="int64"))
    else:
        back_steps = ran
    float_states = [j for j in range(op.n_states) if _is_float(trajectories[j])]

    # Forward values, as sequences of the backward loop (time reversed, cut to back_steps).
    def backward_sequence(variable):
        return variable[:ran][::-1][:back_steps]

    inner = op.body
    seq_inner = list(inner.inputs[:op.n_seqs])
    invariant_inner = list(inner.inputs[op.n_seqs + op.n_tap_inputs:])
    step_values = list(inner.outputs[:op.n_states + op.n_nitsot])

    # The inner graph's gradient, as a graph of fresh placeholders.
    place = {}
    back_seqs, back_seq_inner = [], []

    def add_sequence(outer, row_type, name=None):
        placeholder = row_type.make_variable(name)
        back_seqs.append(backward_sequence(outer))
        back_seq_inner.append(placeholder)
        return placeholder

    def step_order(sequence):
        return sequence[::-1] if op.go_backwards else sequence

    for outer, variable in zip(seqs, seq_inner):
        place[variable] = add_sequence(step_order(outer), variable.type, variable.name)
    for j in range(op.n_states):
        m = op.rows(j)
        full = O.concatenate([inits[j][:m], trajectories[j]])
        for k, variable in zip(op.state_taps[j], op.inner_tap_inputs(j)):
            place[variable] = add_sequence(full[m + k:], variable.type, variable.name)
    invariant_place = [v.type.make_variable(v.name) for v in invariant_inner]
    place.update(zip(invariant_inner, invariant_place))

    # Seeds: each step's output gradient, plus the pending gradient of each float state.
    cloned = clone_replace(step_values, dict(place))
    pending_inner = {}
    known = {}
    for position, (value, g) in enumerate(zip(cloned, out_grads)):
        if position < op.n_states and position not in float_states:
            continue
        if position >= op.n_states and not _is_float(value):
            continue
        seed = None
        if g is not None:
            seed = add_sequence(g, row_type(g))
        if position < op.n_states:
            pending = [row_type(trajectories[position]).make_variable(f"pending{d}")
                       for d in range(op.rows(position))]
            pending_inner[position] = pending
            seed = pending[0] if seed is None else seed + pending[0]
        if seed is not None:
            known[value] = known[value] + seed if value in known else seed

    wrt = []
    for j in float_states:
        wrt += [place[v] for v in op.inner_tap_inputs(j)]
    wrt += [place[v] for v in seq_inner if _is_float(v)]
    wrt += [p for p in invariant_place if _is_float(p)]
    wrt = list(dict.fromkeys(wrt))
    if not known or not wrt:
        return [None] * len(inputs)
    from ..grad import grad
    grads = grad(None, wrt, known_grads=known, disconnected_inputs="ignore",
                 return_disconnected="None")
    local = dict(zip(wrt, grads))

    # Reuse the stored step outputs instead of recomputing them.
    stored = {}
    for position, value in enumerate(cloned):
        if isinstance(value, Constant) or value in stored:
            continue
        outer = outputs[position]
        stored[value] = add_sequence(outer, value.type)

    # Backward carried states: pending gradients (one per tap depth) and accumulators.
    new_states, state_inits, state_inner = [], [], []
    for j in float_states:
        pending = pending_inner[j]
        taps = dict(zip(op.state_taps[j], op.inner_tap_inputs(j)))
        m = op.rows(j)
        for d in range(m):
            later = pending[d + 1] if d + 1 < m else None
            share = local.get(place[taps[-(d + 1)]]) if -(d + 1) in taps else None
            value = _add(later, share)
            if value is None:
                value = O.zeros_like(pending[d])
            new_states.append(value)
            state_inner.append(pending[d])
            state_inits.append(O.zeros_like(inits[j][:1]))
    accumulated = []
    for variable, placeholder, outer in zip(invariant_inner, invariant_place, invariants):
        g = local.get(placeholder)
        if g is None or not _is_float(placeholder):
            accumulated.append(None)
            continue
        accumulator = placeholder.type.make_variable("total")
        new_states.append(_accumulate(accumulator, g))
        state_inner.append(accumulator)
        state_inits.append(O.shape_padleft(O.zeros_like(outer)))
        accumulated.append(len(new_states) - 1)
    seq_grads = []
    for variable in seq_inner:
        g = local.get(place[variable]) if _is_float(variable) else None
        seq_grads.append(g)
    stacked = [g for g in seq_grads if g is not None]

    body_outputs = clone_replace(new_states + stacked, stored)
    leading = back_seq_inner + state_inner
    from .scan import Scan
    variant = depends_on(body_outputs, leading)
    frontier, body = capture(body_outputs, lambda v: v not in variant, leading=leading)
    # Hoisted expressions of the invariants' placeholders become expressions of the invariants.
    outer_invariants = clone_replace(frontier, dict(zip(invariant_place, invariants)))
    back = Scan(body, n_seqs=len(back_seqs), state_taps=((-1,),) * len(state_inner),
                n_nitsot=len(stacked), windows=(1,) * len(state_inner),
                name=f"grad_of_{op.name}",
                labels=tuple(f"sequence {i} of the gradient" for i in range(len(back_seqs)))
                + tuple(f"gradient state {j}" for j in range(len(state_inner))))
    node = back.make_node(back_steps, *back_seqs, *state_inits, *outer_invariants)
    finals = [o[0] for o in node.outputs[:len(state_inner)]]
    stacked_out = node.outputs[len(state_inner):]

    result = [None]
    it = iter(stacked_out)
    for outer, g in zip(seqs, seq_grads):
        if g is None:
            result.append(None)
            continue
        rows = next(it)[::-1]
        start = ran - back_steps
        g = O.inc_subtensor(O.zeros_like(outer)[start:ran], rows)   # in step order
        result.append(g[::-1] if op.go_backwards else g)
    position = 0
    cut = op.truncate_gradient > 0
    for j in range(op.n_states):
        if j not in float_states:
            result.append(None)
            continue
        m = op.rows(j)
        rows = [finals[position + m - 1 - r] for r in range(m)]
        position += m
        g = O.stack(rows) if m > 1 else O.shape_padleft(rows[0])
        init = inits[j]
        if cut:
            g = O.switch(O.le(ran, op.truncate_gradient), g, O.zeros_like(g))
        # Rows of the initial value beyond the deepest tap are not read: no gradient.
        g = O.inc_subtensor(O.zeros_like(init)[:m], g)
        result.append(g)
    for index in accumulated:
        result.append(None if index is None else finals[index])
    return result


def _accumulate(total, g):
    """``total + g``, with increments of zeros turned into increments of ``total`` (the
    gradient of an indexed invariant, ``U[:, x_t]``, touches a few entries: the loop adds
    them to its accumulator in place instead of adding a whole array of zeros)."""
    node = g.owner
    if node is not None and type(node.op).__name__ == "Add" and len(node.inputs) > 1 and all(
            v.type == g.type for v in node.inputs):
        for term in node.inputs:
            total = _accumulate(total, term)
        return total
    if node is not None and type(node.op).__name__ in (
            "IncSubtensor", "AdvancedIncSubtensor1", "AdvancedIncSubtensor") \
            and not getattr(node.op, "set_instead_of_inc", False) and _is_zeros(node.inputs[0]) \
            and node.inputs[0].type == total.type:
        return node.op.make_node(total, *node.inputs[1:]).outputs[0]
    return total + g


def _is_zeros(variable):
    """Whether ``variable`` is built as an array of zeros (``zeros_like`` and ``fill`` build
    ``alloc(0, ...)``)."""
    from ..variable import get_scalar_constant_value
    node = variable.owner
    if node is None or type(node.op).__name__ != "Alloc":
        return False
    try:
        return float(get_scalar_constant_value(node.inputs[0])) == 0
    except Exception:  # noqa: BLE001 (not a constant: not known to be zero)
        return False


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _through_full_loop(op, inputs, outputs, out_grads):
    """Gradients through windowed outputs: differentiate the same loop keeping all states."""
    O = _ops()
    full_op = op.replace(windows=(0,) * op.n_states, needs=(0,) * op.n_states)
    node = full_op.make_node(*inputs)
    steps, _, inits, _ = op.split_outer(inputs)
    grads = list(out_grads)
    ran = O.shape(node.outputs[0])[0] if op.as_while and node.outputs else steps
    extra_init = [None] * op.n_states
    for j, w in enumerate(op.windows):
        if not w or grads[j] is None:
            continue
        m = op.rows(j)
        everything = O.concatenate([inits[j][:m], node.outputs[j]])
        total = O.inc_subtensor(O.zeros_like(everything)[m + ran - w:], grads[j])
        grads[j] = total[m:]
        extra_init[j] = total[:m]
    result = scan_gradient(full_op, inputs, node.outputs, grads)
    for j, extra in enumerate(extra_init):
        if extra is None:
            continue
        position = 1 + op.n_seqs + j
        padded = O.inc_subtensor(O.zeros_like(inits[j])[:op.rows(j)], extra)
        result[position] = padded if result[position] is None else result[position] + padded
    return result

