"""C emission of ``Scan``: the whole loop, inner graph included, inside the module.

Before the loop: the run-time checks (steps, sequence lengths, initial rows), one buffer
per recurrent state (``[initial; trajectory]``, or a ring of ``max(window, taps) + 1`` rows
when only a window is kept) and the inner inputs' array headers.  Each step points the
headers at the step's rows, runs the inner graph (rendered by a child renderer into slots
that are reused at every step and kept across calls: no allocation per step), checks the
shapes of what it produced and copies it into the buffers.  After the loop the outputs get
their rows.  A ``while`` loop (``until``) grows its buffers by doubling.
"""

from ..ops.scan import CheckSteps, Scan
from .c import CTYPES, emitter, itemsize


def _row_view(name, source):
    """Statements making ``name`` a header for one row of the contiguous buffer ``source``."""
    return (f"ag_array {name}; {name}.ndim = {source}.ndim - 1;\n"
            f"for (int i_ = 1; i_ < {source}.ndim; i_++) {{ {name}.shape[i_ - 1] = "
            f"{source}.shape[i_]; {name}.strides[i_ - 1] = {source}.strides[i_]; }}\n"
            f"{name}.data = {source}.data;")


def _check_lengths(op, ctx, n, seqs):
    """Statements checking the sequences' lengths against the number of steps ``n``."""
    lines = []
    for k, seq in enumerate(seqs):
        length = f"{ctx.name(seq)}.shape[0]"
        lines.append(f"if ({length} < {n}) " + ctx.fail(
            "ValueError", op.short_sequence_message(k), f"(long){n}", f"(long){length}"))
    return lines


def _read_steps(op, ctx, steps_in, n):
    return [f"npy_intp {n} = (npy_intp)*({CTYPES[steps_in.dtype]} *){ctx.name(steps_in)}.data;",
            f"if ({n} < 0) " + ctx.fail("ValueError", op.negative_steps_message(), f"(long){n}")]


@emitter(CheckSteps)
def emit_check_steps(node, ctx):
    steps_in, *seqs = node.inputs
    n = ctx.fresh("steps")
    lines = _read_steps(node.op.loop, ctx, steps_in, n)
    lines += _check_lengths(node.op.loop, ctx, n, seqs)
    lines += [f"{ctx.name(out)} = {ctx.name(seq)};" for seq, out in zip(seqs, node.outputs)]
    return "\n".join(lines)


@emitter(Scan)
def emit_scan(node, ctx):
    op = node.op
    r = ctx.renderer
    child = r.inner(op.body)
    steps_in, seqs, inits, invariants = op.split_outer(node.inputs)
    n = ctx.fresh("steps")
    t = ctx.fresh("t")
    done = ctx.fresh("done")
    cap = ctx.fresh("cap")
    lines = _read_steps(op, ctx, steps_in, n) + _check_lengths(op, ctx, n, seqs)
    # Capacity (rows) of growing buffers: exact for a for loop, doubling for a while loop.
    lines.append(f"npy_intp {cap} = {n};")
    if op.as_while:
        lines.append(f"if ({cap} > 16) {cap} = 16;")

    # Recurrent states: one contiguous buffer each, initial rows first.  An accumulator (one
    # tap, only its last value kept, no other output viewing it) has a single row, which
    # the step computing its next value may update in place.
    pinned = {}
    for j in range(op.n_states):
        tap = op.inner_tap_inputs(j)[0]
        others = [o for k, o in enumerate(op.body.outputs) if k != j]
        if op.windows[j] == 1 and op.rows(j) == 1 and not any(
                child._base(o) is tap for o in others):
            pinned[j] = tap
            child.slot_of[tap] = r.extra_slot(("scan accumulator", node, j))
            child.pinned[tap] = op.body.outputs[j]
    buffers, sizes, row_bytes = [], [], []
    for j, init in enumerate(inits):
        m = op.rows(j)
        out = node.outputs[j]
        isz = itemsize(out.dtype)
        buf, size, rb = ctx.fresh("buf"), ctx.fresh("size"), ctx.fresh("rowbytes")
        slot = r.extra_slot(("scan buffer", node, j))
        iname = ctx.name(init)
        lines.append(f"if ({iname}.shape[0] < {m}) " + ctx.fail(
            "ValueError", op.initial_rows_message(j), f"(long){iname}.shape[0]"))
        window = op.windows[j]
        size_expr = f"{max(window, m) + 1}" if window else f"{m} + {cap}"
        if j in pinned:
            size_expr = "1"
            slot = child.slot_of[pinned[j]]
        lines += [f"npy_intp {size} = {size_expr};",
                  f"ag_array {buf} = {iname}; {buf}.shape[0] = {size};",
                  f"if (ag_alloc_in_slot(&{buf}, &st->slots[{slot}], {isz}) < 0) goto fail;",
                  f"const npy_intp {rb} = ag_size(&{buf}) / ({size} ? {size} : 1) * {isz};",
                  f"for (npy_intp r_ = 0; r_ < {m}; r_++) {{",
                  f"    ag_array d_ = {buf}; d_.shape[0] = 1; d_.data += (r_ % {size}) * {rb};",
                  f"    ag_array s_ = {iname}; s_.shape[0] = 1; "
                  f"s_.data += r_ * {iname}.strides[0];",
                  f"    ag_copy(&d_, &s_, {isz});",
                  "}"]
        buffers.append(buf)
        sizes.append(size)
        row_bytes.append(rb)

    # Nit-sot outputs: allocated after the first step, when their shape is known.
    # (a for loop writes them in place; a while loop stacks them in a growing buffer first).
    stacks = []
    for i in range(op.n_nitsot):
        out = node.outputs[op.n_states + i]
        if op.as_while:
            stack = ctx.fresh("stack")
            lines.append(f"ag_array {stack}; {stack}.ndim = {out.ndim};")
        else:
            stack = ctx.name(out)
        lines.append(f"{stack}.data = NULL;")
        stacks.append(stack)

    # Inner inputs: headers whose data pointers move at every step.
    inner_inputs = op.body.inputs
    for k, (seq, variable) in enumerate(zip(seqs, inner_inputs[:op.n_seqs])):
        name = ctx.fresh("row")
        child.names[variable] = name
        lines.append(_row_view(name, ctx.name(seq)))
    for j in range(op.n_states):
        for k, variable in zip(op.state_taps[j], op.inner_tap_inputs(j)):
            name = ctx.fresh("tap")
            child.names[variable] = name
            lines.append(_row_view(name, buffers[j]))
    start = op.n_seqs + op.n_tap_inputs
    for outer, variable in zip(invariants, inner_inputs[start:]):
        child.names[variable] = ctx.name(outer)

    constants = []
    body = child.render_nodes(prelude=constants)
    lines += constants
    step = []
    for k, (seq, variable) in enumerate(zip(seqs, inner_inputs[:op.n_seqs])):
        row = f"({ctx.name(seq)}.shape[0] - 1 - {t})" if op.go_backwards else t
        step.append(f"{child.names[variable]}.data = {ctx.name(seq)}.data + {row} * "
                    f"{ctx.name(seq)}.strides[0];")
    for j in range(op.n_states):
        m = op.rows(j)
        for k, variable in zip(op.state_taps[j], op.inner_tap_inputs(j)):
            row_index = f"({m} + {t} + ({k}))"
            if op.windows[j]:
                row_index = f"({row_index} % {sizes[j]})"   # a ring: only windows wrap
            step.append(f"{child.names[variable]}.data = {buffers[j]}.data + "
                        f"{row_index} * {row_bytes[j]};")
    step += body
    outs = op.body.outputs
    # Check every produced shape before storing anything.
    for j in range(op.n_states):
        value = child.names[outs[j]]
        check = " || ".join([f"{value}.ndim != {buffers[j]}.ndim - 1"] + [
            f"{value}.shape[{d}] != {buffers[j]}.shape[{d + 1}]" for d in range(outs[j].ndim)])
        step.append(f"if ({check}) " + ctx.fail(
            "ValueError", f"scan {op.name}: step %ld returned a value of another shape than "
            f"the initial state of {op.labels[op.n_seqs + j]}", f"(long){t}"))
    for i, stack in enumerate(stacks):
        out = node.outputs[op.n_states + i]
        value = child.names[outs[op.n_states + i]]
        isz = itemsize(out.dtype)
        first = [f"{stack}.shape[0] = {cap};"] + [
            f"{stack}.shape[{d + 1}] = {value}.shape[{d}];" for d in range(out.ndim - 1)]
        if op.as_while:
            slot = r.extra_slot(("scan stack", node, i))
            first.append(f"if (ag_alloc_in_slot(&{stack}, &st->slots[{slot}], {isz}) < 0) "
                         f"goto fail;")
        else:
            first.append(ctx.alloc(out))
        check = " || ".join(["0"] + [f"{value}.shape[{d}] != {stack}.shape[{d + 1}]"
                                     for d in range(out.ndim - 1)])
        step.append(f"if ({t} == 0) {{ " + " ".join(first) + " }")
        step.append(f"else if ({check}) " + ctx.fail(
            "ValueError", f"scan {op.name}: step %ld returned a value for output "
            f"{op.n_states + i} (not fed back) of another shape than the first step's",
            f"(long){t}"))
    if op.as_while:
        step += _grow(op, node, r, t, cap, buffers, sizes, row_bytes, stacks)
    for j in range(op.n_states):
        m = op.rows(j)
        isz = itemsize(node.outputs[j].dtype)
        row_index = f"(({m} + {t}) % {sizes[j]})" if op.windows[j] else f"({m} + {t})"
        step.append(f"{{ {_row_view('d_', buffers[j])} "
                    f"d_.data += {row_index} * {row_bytes[j]}; "
                    f"ag_copy(&d_, &{child.names[outs[j]]}, {isz}); }}")
    for i, stack in enumerate(stacks):
        out = node.outputs[op.n_states + i]
        isz = itemsize(out.dtype)
        step.append(f"{{ {_row_view('d_', stack)} "
                    f"d_.data += {t} * {stack}.strides[0]; "
                    f"ag_copy(&d_, &{child.names[outs[op.n_states + i]]}, {isz}); }}")
    if op.as_while:
        cond = child.names[outs[-1]]
        step.append(f"if (*({CTYPES[outs[-1].dtype]} *){cond}.data) {{ {done} = {t} + 1; "
                    f"break; }}")

    lines.append(f"npy_intp {done} = {n};")
    lines.append(f"for (npy_intp {t} = 0; {t} < {n}; {t}++) {{")
    lines += ["    " + line for chunk in step for line in chunk.split("\n")]
    lines.append("}")
    lines += _finish(op, node, ctx, done, buffers, sizes, row_bytes, stacks)
    return "\n".join(lines)


def _grow(op, node, r, t, cap, buffers, sizes, row_bytes, stacks):
    """Statements doubling the full-trajectory buffers and stacks of a while loop."""
    lines = [f"if ({t} == {cap}) {{", f"    {cap} *= 2;"]
    for j, buf in enumerate(buffers):
        if op.windows[j]:
            continue
        slot = r.extra_slot(("scan buffer", node, j))
        m = op.rows(j)
        lines += [f"    if (ag_slot_grow(&st->slots[{slot}], ({m} + {cap}) * {row_bytes[j]}, "
                  f"({m} + {t}) * {row_bytes[j]}) < 0) goto fail;",
                  f"    {buf}.data = st->slots[{slot}].ptr; {buf}.shape[0] = {m} + {cap}; "
                  f"{sizes[j]} = {m} + {cap};"]
    for i, stack in enumerate(stacks):
        slot = r.extra_slot(("scan stack", node, i))
        lines += [f"    if (ag_slot_grow(&st->slots[{slot}], {cap} * {stack}.strides[0], "
                  f"{t} * {stack}.strides[0]) < 0) goto fail;",
                  f"    {stack}.data = st->slots[{slot}].ptr; {stack}.shape[0] = {cap};"]
    lines.append("}")
    return lines


def _finish(op, node, ctx, done, buffers, sizes, row_bytes, stacks):
    """Statements giving the outputs their rows once the loop has run ``done`` steps."""
    lines = []
    for j, buf in enumerate(buffers):
        out = node.outputs[j]
        name = ctx.name(out)
        m = op.rows(j)
        isz = itemsize(out.dtype)
        window = op.windows[j]
        lines.append(f"{name}.ndim = {out.ndim};")
        lines.append(f"for (int i_ = 1; i_ < {out.ndim}; i_++) {name}.shape[i_] = "
                     f"{buf}.shape[i_];")
        if window:
            if op.needs[j]:
                lines.append(f"if ({done} < {op.needs[j]}) " + ctx.fail(
                    "IndexError", op.need_message(j), f"(long){done}"))
            lines += [f"{name}.shape[0] = {window};", ctx.alloc(out),
                      f"for (npy_intp r_ = 0; r_ < {window}; r_++) {{",
                      f"    ag_array d_ = {name}; d_.shape[0] = 1; "
                      f"d_.data += r_ * {name}.strides[0];",
                      f"    ag_array s_ = {buf}; s_.shape[0] = 1; "
                      f"s_.data += (({m} + {done} - {window} + r_) % {sizes[j]}) * "
                      f"{row_bytes[j]};",
                      f"    ag_copy(&d_, &s_, {isz});", "}"]
        else:
            lines += [f"{name}.shape[0] = {done};", ctx.alloc(out),
                      f"{{ ag_array s_ = {buf}; s_.shape[0] = {done}; "
                      f"s_.data += {m} * {row_bytes[j]}; ag_copy(&{name}, &s_, {isz}); }}"]
    for i, stack in enumerate(stacks):
        out = node.outputs[op.n_states + i]
        name = ctx.name(out)
        isz = itemsize(out.dtype)
        empty = [f"{name}.shape[{d}] = 0;" for d in range(out.ndim)]
        if op.as_while:
            lines += [f"if ({stack}.data == NULL) {{ {' '.join(empty)} }}",
                      f"else {{ {name}.ndim = {out.ndim}; "
                      f"for (int i_ = 0; i_ < {out.ndim}; i_++) {name}.shape[i_] = "
                      f"{stack}.shape[i_]; {name}.shape[0] = {done}; }}",
                      ctx.alloc(out),
                      f"if ({stack}.data) {{ ag_array s_ = {stack}; s_.shape[0] = {done}; "
                      f"ag_copy(&{name}, &s_, {isz}); }}"]
        else:
            lines.append(f"if ({stack}.data == NULL) {{ {' '.join(empty)} {ctx.alloc(out)} }}")
    return lines
