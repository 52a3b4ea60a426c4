"""C for the random-number ops: MRG31k3p uniform streams and categorical draws.

The loops live in kernels/random.h; these emitters check the inputs, allocate the outputs
and call them.  The new generator state is a copy of the old one advanced in place.
"""

import importlib

from .c import CTYPES, emitter

random_ops = importlib.import_module("arignote.compiler.ops.random")

INCLUDE = '#include "random.h"'


def _include(ctx):
    if INCLUDE not in ctx.renderer.functions:
        ctx.renderer.functions.append(INCLUDE)


@emitter(random_ops.MRGUniform)
def mrg_uniform_code(node, ctx):
    """Check the state and the size, copy the state, advance the copy while sampling."""
    _include(ctx)
    state, sizes = node.inputs[0], node.inputs[1:]
    new_state, sample = node.outputs
    src, dst, out = ctx.name(state), ctx.name(new_state), ctx.name(sample)
    bad_state = ctx.fail("ValueError", "mrg_uniform: the state must have shape (n_streams, 6) "
                         "with n_streams >= 1, got (%ld, %ld)", f"(long){src}.shape[0]",
                         f"(long){src}.shape[1]")
    lines = [f"if ({src}.shape[1] != 6 || {src}.shape[0] < 1) {bad_state}"]
    for d, size in enumerate(sizes):
        negative = ctx.fail("ValueError", "mrg_uniform: negative length %ld in the size",
                            f"(long){out}.shape[{d}]")
        lines.append(f"{out}.shape[{d}] = (npy_intp)*(const npy_int64 *){ctx.name(size)}.data;")
        lines.append(f"if ({out}.shape[{d}] < 0) {negative}")
    lines += [ctx.alloc(sample),
              f"{dst}.shape[0] = {src}.shape[0]; {dst}.shape[1] = 6;",
              ctx.alloc(new_state),
              f"ag_copy(&{dst}, &{src}, sizeof(npy_int32));",
              (f"ag_mrg_uniform_{sample.dtype}((npy_int32 *){dst}.data, {dst}.shape[0], "
               f"({CTYPES[sample.dtype]} *){out}.data, ag_size(&{out}));")]
    return "\n".join(lines)


@emitter(random_ops.CategoricalFromUniform)
def categorical_code(node, ctx):
    """Check the row counts, then one kernel call over every row (work space: k doubles)."""
    _include(ctx)
    pvals, unis = node.inputs
    (out,) = node.outputs
    p, u, o = ctx.name(pvals), ctx.name(unis), ctx.name(out)
    if node.inputs[0].broadcastable[0]:
        rows_match = f"{p}.shape[0] == 1"
    else:
        rows_match = f"{p}.shape[0] == {u}.shape[1]"
    row_error = ctx.fail("ValueError", "categorical_from_uniform: %ld rows of probabilities "
                         "for %ld rows of uniform numbers", f"(long){p}.shape[0]",
                         f"(long){u}.shape[1]")
    negative = ctx.fail("ValueError", "categorical_from_uniform: row %ld of the probabilities "
                        "has a negative or NaN entry", "(long)(bad_ - 1)")
    exhausted = ctx.fail("ValueError", "categorical_from_uniform: row %ld has no outcome of "
                         "positive probability left (drawing %ld from %ld outcomes)",
                         "(long)(bad_ - 1)", f"(long){u}.shape[0]", f"(long){p}.shape[1]")
    kernel = f"ag_categorical_{pvals.dtype}_{unis.dtype}"
    return "\n".join([
        f"if (!({rows_match})) {row_error}",
        f"{o}.shape[0] = {u}.shape[0]; {o}.shape[1] = {u}.shape[1];",
        ctx.alloc(out),
        (f"if (ag_slot_reserve(&st->scratch_a, (size_t){p}.shape[1] * sizeof(double)) < 0) "
         f"goto fail;"),
        "int why_ = 0;",
        (f"const npy_intp bad_ = {kernel}({p}.data, {p}.shape[0], {p}.shape[1], "
         f"{p}.strides[0], {p}.strides[1], {u}.data, {u}.shape[0], {u}.shape[1], "
         f"{u}.strides[0], {u}.strides[1], (npy_int64 *){o}.data, {int(node.op.replace)}, "
         f"(double *)st->scratch_a.ptr, &why_);"),
        f"if (bad_ && why_ == 1) {negative}",
        f"if (bad_) {exhausted}",
    ])


@emitter(random_ops.ChoiceFromUniform)
def choice_code(node, ctx):
    """Check the row counts (and, without replacement, the number of draws), then one kernel
    call over every row (work space: a copy of one row of probabilities)."""
    _include(ctx)
    pvals, unis = node.inputs
    (out,) = node.outputs
    p, u, o = ctx.name(pvals), ctx.name(unis), ctx.name(out)
    row_error = ctx.fail("ValueError", "choice_from_uniform: %ld rows of probabilities for %ld "
                         "rows of uniform numbers", f"(long){p}.shape[0]", f"(long){u}.shape[1]")
    lines = [f"if ({p}.shape[0] != {u}.shape[1]) {row_error}"]
    if not node.op.replace:
        too_many = ctx.fail("ValueError", "choice_from_uniform: cannot draw %ld outcomes "
                            "without replacement from %ld", f"(long){u}.shape[0]",
                            f"(long){p}.shape[1]")
        lines.append(f"if ({u}.shape[0] > {p}.shape[1]) {too_many}")
    ptype, utype = CTYPES[pvals.dtype], CTYPES[unis.dtype]
    return "\n".join(lines + [
        f"{o}.shape[0] = {u}.shape[0]; {o}.shape[1] = {u}.shape[1];",
        ctx.alloc(out),
        (f"if (ag_slot_reserve(&st->scratch_a, (size_t){p}.shape[1] * sizeof({ptype}) + 1) < 0)"
         f" goto fail;"),
        (f"ag_choice_{ptype}_{utype}({p}.data, {p}.shape[1], {p}.strides[0], {p}.strides[1], "
         f"{u}.data, {u}.shape[0], {u}.shape[1], {u}.strides[0], {u}.strides[1], "
         f"(npy_int64 *){o}.data, {int(node.op.replace)}, ({ptype} *)st->scratch_a.ptr);"),
    ])
