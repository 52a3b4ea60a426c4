"""``Scan``: a loop whose step is an inner graph, with recurrent states and stacked outputs.

The op sees a normalised loop (``arignote.scan`` builds it from Theano's arguments):

- outer inputs ``[n_steps, *sequences, *initial_states, *invariants]``;
- step ``t`` reads row ``t`` of every sequence (row ``len - 1 - t`` when ``go_backwards``:
  Theano reverses the sequences, then takes ``n_steps`` rows; taps are outer slices, made
  by ``scan``);
- recurrent state ``j`` with taps ``(-m, ..., -1)`` (any subset of negative taps) has an
  initial value of ``m`` rows: with ``full = [initial; trajectory]``, step ``t`` reads
  ``full[m + t + k]`` for each tap ``k`` and writes ``full[m + t]``;
- the inner graph's inputs are the sequence rows, then each state's taps, then the
  invariants; its outputs are the new states, then the stacked-only (``nit-sot``) values,
  then, for a ``while`` loop, the stop condition;
- outer outputs are, per state, its trajectory (``n_steps`` rows) or, when
  ``windows[j] = w > 0``, only the last ``w`` rows of ``full`` (memory O(w), not
  O(n_steps): the compile-time rewrite ``scan_save_memory`` chooses this when only the last
  states are used), then one stacked array per nit-sot value.

The gradient (backpropagation through time) is another ``Scan`` running backwards over the
stored states, so gradients of gradients work too.
"""

from dataclasses import dataclass, field

import numpy as np

from ..evaluate import evaluator
from ..graph import Apply, FunctionGraph
from ..op import Op
from ..types import TensorType
from ..variable import as_tensor_variable

__all__ = []


@dataclass(frozen=True)
class Scan(Op):
    """A loop over ``n_steps`` steps of ``body`` (see the module docstring for the layout)."""

    body: FunctionGraph = field(repr=False)
    n_seqs: int = 0
    state_taps: tuple = ()
    n_nitsot: int = 0
    windows: tuple = ()
    needs: tuple = ()
    as_while: bool = False
    go_backwards: bool = False
    name: str = "scan"
    labels: tuple = ()
    truncate_gradient: int = -1
    optimized: bool = False     # the inner graph went through the rewrite pipeline
    grad_accepts_none = True

    def __post_init__(self):
        if not self.windows:
            object.__setattr__(self, "windows", (0,) * len(self.state_taps))
        if not self.needs:
            object.__setattr__(self, "needs", (0,) * len(self.state_taps))
        if not self.labels:
            labels = tuple(f"sequences[{i}]" for i in range(self.n_seqs)) + tuple(
                f"outputs_info[{j}]" for j in range(len(self.state_taps)))
            object.__setattr__(self, "labels", labels)
        for taps in self.state_taps:
            if not taps or list(taps) != sorted(set(taps)) or taps[-1] >= 0:
                raise ValueError(f"Scan: state taps must be distinct negative ints, got {taps}")
        expected = self.n_seqs + self.n_tap_inputs + self.n_invariants
        if len(self.body.inputs) != expected or self.n_invariants < 0:
            raise ValueError("Scan: the inner graph's inputs do not match the loop layout")
        count = len(self.state_taps) + self.n_nitsot + int(self.as_while)
        if len(self.body.outputs) != count:
            raise ValueError(f"Scan: the inner graph has {len(self.body.outputs)} outputs, "
                             f"expected {count}")

    # ---------------------------------------------------------------- layout
    @property
    def n_states(self):
        return len(self.state_taps)

    @property
    def n_tap_inputs(self):
        return sum(len(taps) for taps in self.state_taps)

    @property
    def n_invariants(self):
        return len(self.body.inputs) - self.n_seqs - self.n_tap_inputs

    def rows(self, j):
        """How many initial rows state ``j`` needs (its deepest tap)."""
        return -self.state_taps[j][0]

    def inner_tap_inputs(self, j):
        """The inner inputs of state ``j``'s taps, in tap order."""
        start = self.n_seqs + sum(len(t) for t in self.state_taps[:j])
        return self.body.inputs[start:start + len(self.state_taps[j])]

    def split_outer(self, inputs):
        """``(n_steps, sequences, initial_states, invariants)`` of an outer input list."""
        s, n = self.n_seqs, self.n_states
        return inputs[0], inputs[1:1 + s], inputs[1 + s:1 + s + n], inputs[1 + s + n:]

    @property
    def inner_graphs(self):
        return (self.body,)

    def with_inner_graphs(self, graphs):
        """The same loop on another (e.g. rewritten) body with the same interface."""
        return self.replace(body=graphs[0])

    def replace(self, **changes):
        """A copy of this op with some fields changed."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields.update(changes)
        return Scan(**fields)

    # ---------------------------------------------------------------- node
    def make_node(self, n_steps, *rest):
        n_steps = as_tensor_variable(n_steps)
        if n_steps.ndim != 0 or not n_steps.dtype.startswith(("int", "uint")):
            raise TypeError(f"scan {self.name}: n_steps must be an integer scalar, "
                            f"got {n_steps.type}")
        rest = [as_tensor_variable(v) for v in rest]
        wanted = self.n_seqs + self.n_states + self.n_invariants
        if len(rest) != wanted:
            raise TypeError(f"scan {self.name}: {len(rest)} inputs, expected {wanted}")
        _, seqs, inits, invariants = self.split_outer([n_steps, *rest])
        for k, (outer, inner) in enumerate(zip(seqs, self.body.inputs[:self.n_seqs])):
            _check_type(outer, inner, 1, f"scan {self.name}: {self.labels[k]}")
        for j, init in enumerate(inits):
            _check_type(init, self.inner_tap_inputs(j)[0], 1,
                        f"scan {self.name}: the initial value of {self.labels[self.n_seqs + j]}")
        start = self.n_seqs + self.n_tap_inputs
        for outer, inner in zip(invariants, self.body.inputs[start:]):
            _check_type(outer, inner, 0, f"scan {self.name}: a non-sequence")
        outputs = [TensorType(o.dtype, (False,) + o.broadcastable).make_variable()
                   for o in self.body.outputs[:self.n_states + self.n_nitsot]]
        return Apply(self, [n_steps, *rest], outputs)

    def perform(self, node, inputs):
        steps, seqs, inits, invariants = self.split_outer(inputs)
        steps = self.check_steps(int(steps), [len(s) for s in seqs])
        rings = []
        for j, init in enumerate(inits):
            m = self.check_initial(j, np.shape(init))
            size = max(self.windows[j], m) + 1 if self.windows[j] else m + steps
            ring = np.empty((size,) + np.shape(init)[1:], dtype=node.outputs[j].dtype)
            for row in range(m):
                ring[row % size] = init[row]
            rings.append(ring)
        stacked = [None] * self.n_nitsot
        run = evaluator(self.body)
        done = steps
        for t in range(steps):
            step_inputs = [s[len(s) - 1 - t] if self.go_backwards else s[t] for s in seqs]
            for j, ring in enumerate(rings):
                m = self.rows(j)
                step_inputs += [ring[(m + t + k) % len(ring)] for k in self.state_taps[j]]
            values = run(step_inputs + list(invariants))
            for j, ring in enumerate(rings):
                self.check_step_shape(t, j, np.shape(values[j]), ring.shape[1:])
            for j, ring in enumerate(rings):
                ring[(self.rows(j) + t) % len(ring)] = values[j]
            for i in range(self.n_nitsot):
                value = values[self.n_states + i]
                if stacked[i] is None:
                    stacked[i] = np.empty((steps,) + np.shape(value),
                                          dtype=node.outputs[self.n_states + i].dtype)
                self.check_step_shape(t, self.n_states + i, np.shape(value),
                                      stacked[i].shape[1:])
                stacked[i][t] = value
            if self.as_while and bool(values[-1]):
                done = t + 1
                break
        results = []
        for j, ring in enumerate(rings):
            m = self.rows(j)
            if self.windows[j]:
                self.check_need(j, done)
                w = self.windows[j]
                results.append(np.stack([ring[(m + done - w + r) % len(ring)]
                                         for r in range(w)]))
            else:
                results.append(ring[m:m + done].copy())
        for i, values in enumerate(stacked):
            if values is None:
                output = node.outputs[self.n_states + i]
                values = np.zeros((0,) * output.ndim, dtype=output.dtype)
            results.append(values[:done])
        return results

    # ---------------------------------------------------------------- run-time checks
    # Run-time messages, as printf templates (``%ld`` for the run-time numbers), shared by
    # the checks below and by the generated C, which makes the same checks.
    def _label(self, k):
        return self.labels[k].replace("%", "%%")

    def negative_steps_message(self):
        return f"scan {self.name}: n_steps is negative (%ld)"

    def short_sequence_message(self, k):
        return (f"scan {self.name}: n_steps is %ld but {self._label(k)} gives only %ld steps "
                f"(after taps)")

    def initial_rows_message(self, j):
        return (f"scan {self.name}: {self._label(self.n_seqs + j)} has taps "
                f"{list(self.state_taps[j])}, so its initial value needs {self.rows(j)} rows "
                f"(one per step back); it has %ld")

    def need_message(self, j):
        return (f"scan {self.name}: index -{self.needs[j]} is out of bounds for the %ld steps "
                f"of {self._label(self.n_seqs + j)}")

    def check_steps(self, steps, lengths):
        """The number of steps, after checking it against the sequences' lengths."""
        if steps < 0:
            raise ValueError(self.negative_steps_message() % steps)
        for k, length in enumerate(lengths):
            if length < steps:
                raise ValueError(self.short_sequence_message(k) % (steps, length))
        return steps

    def check_initial(self, j, shape):
        """The rows state ``j`` needs, after checking its initial value has them."""
        m = self.rows(j)
        if len(shape) == 0 or shape[0] < m:
            raise ValueError(self.initial_rows_message(j) % (shape[0] if shape else 0))
        return m

    def check_step_shape(self, t, k, shape, expected):
        if tuple(shape) != tuple(expected):
            what = (self.labels[self.n_seqs + k] if k < self.n_states
                    else f"output {k} (not fed back)")
            base = ("the initial state has" if k < self.n_states
                    else "the first step gave")
            raise ValueError(f"scan {self.name}: step {t} returned shape {tuple(shape)} for "
                             f"{what}; {base} shape {tuple(expected)}")

    def check_need(self, j, done):
        if done < self.needs[j]:
            raise IndexError(self.need_message(j) % done)

    # ---------------------------------------------------------------- shapes and gradients
    def infer_shape(self, node, input_shapes):
        """States' shapes (a while loop's length is known only once it ran: None); the
        stacked values' row shapes are known only from the first step (None)."""
        steps = node.inputs[0]
        shapes = []
        for j, shape in enumerate(input_shapes[1 + self.n_seqs:1 + self.n_seqs + self.n_states]):
            if self.windows[j]:
                first = as_tensor_variable(np.int64(self.windows[j]))
            elif self.as_while:
                shapes.append(None)
                continue
            else:
                first = steps
            shapes.append([first] + list(shape[1:]))
        return shapes + [None] * self.n_nitsot

    def connection_pattern(self, node):
        rows = [[False] * len(node.outputs)]
        rows += [[True] * len(node.outputs) for _ in node.inputs[1:]]
        return rows

    def L_op(self, inputs, outputs, out_grads):
        from .scan_grad import scan_gradient
        return scan_gradient(self, inputs, outputs, out_grads)

    def __str__(self):
        kind = ("while" if self.as_while else "for") + (", backwards" * self.go_backwards)
        return f"Scan{{{self.name}, {kind}}}"


def row_type(variable):
    """The type of one row of ``variable`` (its first axis dropped): a step's value."""
    return TensorType(variable.dtype, variable.broadcastable[1:])


def _check_type(outer, inner, extra, what):
    if outer.dtype != inner.dtype or outer.ndim != inner.ndim + extra:
        raise TypeError(f"{what} has type {outer.type}; the loop expects "
                        f"{inner.dtype} with {inner.ndim + extra} dimensions")


@dataclass(frozen=True)
class CheckSteps(Op):
    """The sequences unchanged (views), after ``scan``'s checks of their lengths against
    ``n_steps``: used where a loop's per-step outputs were moved out of the loop, so that
    the loop's own checks still apply."""

    loop: Scan = field(repr=False)

    @property
    def view_map(self):
        return {k: [k + 1] for k in range(self.loop.n_seqs)}

    def make_node(self, n_steps, *seqs):
        n_steps = as_tensor_variable(n_steps)
        seqs = [as_tensor_variable(s) for s in seqs]
        if len(seqs) != self.loop.n_seqs:
            raise TypeError(f"CheckSteps: {len(seqs)} sequences, expected {self.loop.n_seqs}")
        return Apply(self, [n_steps, *seqs], [s.type.make_variable() for s in seqs])

    def perform(self, node, inputs):
        steps, *seqs = inputs
        self.loop.check_steps(int(steps), [len(s) for s in seqs])
        return list(seqs)

    def infer_shape(self, node, input_shapes):
        return input_shapes[1:]

    def grad(self, inputs, out_grads):
        return [None] + list(out_grads)

    def __str__(self):
        return f"CheckSteps{{{self.loop.name}}}"
