"""C loops for element-wise nodes (single scalar ops and fused ``Composite`` programs).

One node becomes one loop nest: a flat ``#pragma omp simd`` loop (split across threads above
``PARALLEL_THRESHOLD`` elements) when every input is either contiguous with the output's
shape or a single element, else a serial strided loop nest.
"""

from ..ops.composite import Composite
from ..ops.elemwise import Elemwise
from .c import CTYPES, PARALLEL_THRESHOLD, c_convert, emitter


def program_of(scalar_op, in_dtypes, out_dtypes):
    """The (steps, outs) program of a scalar op; a plain op is a one-step program."""
    if isinstance(scalar_op, Composite):
        return scalar_op.program, scalar_op.outs
    args = tuple(("in", k) for k in range(len(in_dtypes)))
    if scalar_op.nout == 1:
        return ((scalar_op, args, out_dtypes[0]),), (("tmp", 0),)
    raise TypeError(f"{scalar_op} has several outputs and is not a Composite")


def _literal(value, dtype):
    if dtype == "bool":
        return "1" if value else "0"
    if dtype.startswith("float"):
        value = float(value)
        if value != value:
            return "NAN"
        if value in (float("inf"), float("-inf")):
            return "INFINITY" if value > 0 else "(-INFINITY)"
        text = repr(value)
        return f"(({CTYPES[dtype]}){text})"
    return f"(({CTYPES[dtype]}){int(value)}LL)" if dtype.startswith("int") else \
        f"(({CTYPES[dtype]}){int(value)}ULL)"


def scalar_statements(scalar_op, in_names, in_dtypes, out_dtypes, prefix, method="c_expr"):
    """C statements computing the outputs of ``scalar_op`` from C scalars ``in_names``.

    ``method`` is ``c_expr`` or ``cuda_expr``.  Returns (statements, output expressions)."""
    steps, outs = program_of(scalar_op, in_dtypes, out_dtypes)
    statements, temps, temp_dtypes = [], [], []

    def resolve(ref):
        if ref[0] == "in":
            return in_names[ref[1]], in_dtypes[ref[1]]
        if ref[0] == "tmp":
            return temps[ref[1]], temp_dtypes[ref[1]]
        return _literal(ref[1], ref[2]), ref[2]

    for k, (op, args, dtype) in enumerate(steps):
        resolved = [resolve(a) for a in args]
        expr = getattr(op, method)([r[0] for r in resolved], [r[1] for r in resolved], dtype)
        name = f"{prefix}{k}"
        statements.append(f"const {CTYPES[dtype]} {name} = {c_convert(expr, dtype)};")
        temps.append(name)
        temp_dtypes.append(dtype)
    return statements, [resolve(r)[0] for r in outs]


def _supports(node):
    op = node.op.scalar_op
    try:
        scalar_statements(op, [f"a{k}" for k in range(len(node.inputs))],
                          [v.dtype for v in node.inputs], [v.dtype for v in node.outputs], "s")
    except (TypeError, KeyError, AttributeError):
        return False
    return True


def broadcast_shape_code(node, ctx, names, out_names):
    """Statements checking that the inputs' shapes agree (Theano's broadcasting: only
    dimensions declared broadcastable may differ) and setting the outputs' shapes; shared by
    the C and CUDA renderers."""
    inputs = node.inputs
    lines = []
    for axis in range(node.outputs[0].ndim):
        sources = [k for k, v in enumerate(inputs) if not v.broadcastable[axis]]
        size = f"{names[sources[0]]}.shape[{axis}]" if sources else "1"
        for k in sources[1:]:
            other = f"{names[k]}.shape[{axis}]"
            lines.append(
                f"if ({other} != {size}) {{ char a_[64], b_[64]; " + ctx.fail(
                    "ValueError", f"input shapes %s and %s do not match in dimension {axis} "
                    f"(inputs {sources[0]} and {k}); broadcasting needs that dimension "
                    f"declared broadcastable", f"ag_shape_str(&{names[sources[0]]}, a_, 64)",
                    f"ag_shape_str(&{names[k]}, b_, 64)") + " }")
        for out in out_names:
            lines.append(f"{out}.shape[{axis}] = {size};")
    return lines


@emitter(Elemwise)
def elemwise_code(node, ctx):
    """Shape check, output allocation and the fused loop of one element-wise node."""
    outputs, inputs = node.outputs, node.inputs
    ndim = outputs[0].ndim
    names = [ctx.name(v) for v in inputs]
    out_names = [ctx.name(v) for v in outputs]
    lines = broadcast_shape_code(node, ctx, names, out_names)
    for variable in outputs:
        lines.append(ctx.alloc(variable))
    if ndim == 0:  # a scalar: the expression inline, no loop
        return "\n".join(lines + _strided_loop(node, ctx, names, out_names))
    lines.append(f"const npy_intp n_ = ag_size(&{out_names[0]});")
    in_dtypes = [v.dtype for v in inputs]
    out_dtypes = [v.dtype for v in outputs]
    kinds = ["full" if v.broadcastable == outputs[0].broadcastable else
             "scalar" if all(v.broadcastable) else "partial" for v in inputs]
    if "partial" not in kinds:
        checks = " && ".join(f"ag_is_contiguous(&{names[k]}, {ctx.itemsize(in_dtypes[k])})"
                             for k in range(len(inputs)) if kinds[k] == "full") or "1"
        lines.append(f"if ({checks}) {{")
        lines += ["    " + line for line in _flat_loop(node, ctx, names, out_names, kinds)]
        lines.append("} else {")
        lines += ["    " + line for line in _strided_loop(node, ctx, names, out_names)]
        lines.append("}")
    elif _blocked_kinds(inputs, outputs[0].broadcastable) is not None:
        split, blocked = _blocked_kinds(inputs, outputs[0].broadcastable)
        checks = " && ".join(f"ag_is_contiguous(&{names[k]}, {ctx.itemsize(in_dtypes[k])})"
                             for k in range(len(inputs)) if blocked[k] != "scalar") or "1"
        lines.append(f"if ({checks}) {{")
        lines += ["    " + line for line in _blocked_loop(node, ctx, names, out_names, split,
                                                            blocked)]
        lines.append("} else {")
        lines += ["    " + line for line in _strided_loop(node, ctx, names, out_names)]
        lines.append("}")
    else:
        lines += _strided_loop(node, ctx, names, out_names)
    return "\n".join(lines)


elemwise_code.supports = _supports


def _kernel(node, ctx, by_value):
    """A vectorised kernel function over elements [lo, hi) of contiguous operands; inputs in
    ``by_value`` are passed as one value, the others as pointers.  Returns its name."""
    inputs, outputs = node.inputs, node.outputs
    out_names = [ctx.name(v) for v in outputs]
    aliased = bool({ctx.name(v) for v in inputs} & set(out_names)) or _aliased(ctx, node)
    restrict = "" if aliased else "restrict "
    params, loads = [], []
    for k, variable in enumerate(inputs):
        ctype = CTYPES[variable.dtype]
        if k in by_value:
            params.append(f"const {ctype} b{k}")
            loads.append(f"b{k}")
        else:
            params.append(f"const {ctype} *{restrict}p{k}")
            loads.append(f"p{k}[i]")
    for j, variable in enumerate(outputs):
        params.append(f"{CTYPES[variable.dtype]} *{restrict}q{j}")
    statements, results = scalar_statements(
        node.op.scalar_op, [f"x{k}" for k in range(len(inputs))],
        [v.dtype for v in inputs], [v.dtype for v in outputs], "t")
    body = [f"const {CTYPES[v.dtype]} x{k} = {loads[k]};" for k, v in enumerate(inputs)]
    body += statements
    body += [f"q{j}[i] = {c_convert(results[j], v.dtype)};" for j, v in enumerate(outputs)]
    name = ctx.renderer.fresh("kernel")
    comment = str(node.op.scalar_op).replace("*/", "* /")
    ctx.renderer.functions.append("\n".join(
        [f"/* {comment} */",
         f"static __attribute__((noinline)) void {name}(npy_intp lo, npy_intp hi, "
         f"{', '.join(params)}) {{",
         "    #pragma omp simd",
         "    for (npy_intp i = lo; i < hi; i++) {"] +
        ["        " + b for b in body] + ["    }", "}"]))
    return name


def _flat_loop(node, ctx, names, out_names, kinds):
    """The contiguous path: one vectorised kernel function, run over chunks by threads when
    the array is large (a parallel region costs microseconds, so small arrays stay serial)."""
    inputs, outputs = node.inputs, node.outputs
    name = _kernel(node, ctx, {k for k, kind in enumerate(kinds) if kind == "scalar"})
    args = []
    for k, variable in enumerate(inputs):
        ctype = CTYPES[variable.dtype]
        args.append(f"*(const {ctype} *){names[k]}.data" if kinds[k] == "scalar"
                    else f"(const {ctype} *){names[k]}.data")
    args += [f"({CTYPES[v.dtype]} *){out_names[j]}.data" for j, v in enumerate(outputs)]
    call_args = ", ".join(args)
    return [f"if (n_ > {PARALLEL_THRESHOLD}) {{",
            "    #pragma omp parallel",
            "    {",
            "        const npy_intp nt_ = omp_get_num_threads(), t_ = omp_get_thread_num();",
            "        const npy_intp chunk_ = (n_ + nt_ - 1) / nt_;",
            "        const npy_intp lo_ = t_ * chunk_, hi_ = lo_ + chunk_ < n_ ? lo_ + chunk_ : n_;",
            f"        if (lo_ < hi_) {name}(lo_, hi_, {call_args});",
            "    }",
            f"}} else {name}(0, n_, {call_args});"]


def _blocked_kinds(inputs, pattern):
    """For outputs broadcastable nowhere: a split ``k`` of the dimensions such that every
    input is full, a single element, a row (broadcast over the first k dimensions) or a
    column (broadcast over the last ones).  Returns (k, kinds) or None."""
    ndim = len(pattern)
    if any(pattern) or ndim < 2:
        return None
    split, kinds = None, []
    for variable in inputs:
        flags = variable.broadcastable
        if not any(flags):
            kinds.append("full")
            continue
        if all(flags):
            kinds.append("scalar")
            continue
        if flags[0]:
            kind, k = "row", flags.index(False)
            if any(flags[k:]):
                return None
        else:
            kind, k = "col", flags.index(True)
            if not all(flags[k:]):
                return None
        if split is not None and k != split:
            return None
        split = k
        kinds.append(kind)
    return (split, kinds) if split is not None else None


def _blocked_loop(node, ctx, names, out_names, split, kinds):
    """Rows and columns broadcast into a matrix (a bias, a per-row scale): the kernel runs
    once per block of the last dimensions, rows passed as pointers, columns as values."""
    inputs, outputs = node.inputs, node.outputs
    by_value = {k for k, kind in enumerate(kinds) if kind in ("scalar", "col")}
    name = _kernel(node, ctx, by_value)
    out0 = out_names[0]
    lines = [f"npy_intp outer_ = 1;"]
    lines += [f"outer_ *= {out0}.shape[{d}];" for d in range(split)]
    lines.append("const npy_intp inner_ = outer_ ? n_ / outer_ : 0;")
    args = []
    for k, variable in enumerate(inputs):
        ctype = CTYPES[variable.dtype]
        pointer = f"(const {ctype} *){names[k]}.data"
        args.append({"full": f"{pointer} + o_ * inner_", "row": pointer,
                     "col": f"({pointer})[o_]", "scalar": f"*{pointer}"}[kinds[k]])
    args += [f"({CTYPES[v.dtype]} *){out_names[j]}.data + o_ * inner_"
             for j, v in enumerate(outputs)]
    lines.append(f"for (npy_intp o_ = 0; o_ < outer_; o_++) {name}(0, inner_, "
                 f"{', '.join(args)});")
    return lines


def _aliased(ctx, node):
    slots = ctx.renderer.slot_of
    ins = {slots.get(ctx.renderer._base(v)) for v in node.inputs} - {None}
    outs = {slots.get(v) for v in node.outputs} - {None}
    return bool(ins & outs)


def _strided_loop(node, ctx, names, out_names):
    inputs, outputs = node.inputs, node.outputs
    ndim = outputs[0].ndim
    out0 = out_names[0]
    lines = []
    offsets_in = []
    for k, variable in enumerate(inputs):
        terms = [f"i{d} * {names[k]}.strides[{d}]" for d in range(ndim)
                 if not variable.broadcastable[d]]
        offsets_in.append(" + ".join(terms) or "0")
    offsets_out = [" + ".join(f"i{d} * {name}.strides[{d}]" for d in range(ndim)) or "0"
                   for name in out_names]
    statements, results = scalar_statements(
        node.op.scalar_op, [f"x{k}" for k in range(len(inputs))],
        [v.dtype for v in inputs], [v.dtype for v in outputs], "t")
    body = [f"const {CTYPES[v.dtype]} x{k} = *(const {CTYPES[v.dtype]} *)"
            f"({names[k]}.data + {offsets_in[k]});" for k, v in enumerate(inputs)]
    body += statements
    body += [f"*({CTYPES[v.dtype]} *)({out_names[j]}.data + {offsets_out[j]}) = "
             f"{c_convert(results[j], v.dtype)};" for j, v in enumerate(outputs)]
    nest, indent = [], ""
    for d in range(ndim):
        nest.append(f"{indent}for (npy_intp i{d} = 0; i{d} < {out0}.shape[{d}]; i{d}++) {{")
        indent += "    "
    nest += [indent + b for b in body]
    for d in reversed(range(ndim)):
        indent = indent[:-4]
        nest.append(f"{indent}}}")
    if ndim == 0:
        return ["{"] + ["    " + b for b in body] + ["}"]
    # Strided (non-contiguous or partly broadcast) loops stay serial: one copy of the code
    # keeps compile time down, and large arrays are nearly always contiguous.
    return lines + nest
