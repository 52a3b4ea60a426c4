"""C emission of the other ops holding inner graphs: the lazy ``IfElse`` and the ``Map``
loop of ``jacobian``/``hessian``.  Like ``Scan`` (``scan_c``), each inner graph is rendered
by a child renderer into the function's own module, so these run with no Python.

- ``IfElse``: ``if (condition) { then graph } else { else graph }``; only the chosen branch
  runs, and its results are copied into the node's outputs (which never alias an input).
- ``Map``: a loop over ``i``; each step's results are checked against the shape templates
  and copied into row ``i`` of the stacked outputs, or added into the summed ones.
"""

from ..ops.ifelse import IfElse
from ..ops.map import Map
from .c import CTYPES, emitter, itemsize


def _bind_inputs(child, inner_inputs, outer_names):
    for variable, name in zip(inner_inputs, outer_names):
        child.names[variable] = name


def _copy_out(ctx, out, value_name):
    """Statements giving ``out`` the shape of ``value_name`` and copying the value in."""
    name = ctx.name(out)
    return "\n".join([f"for (int i_ = 0; i_ < {out.ndim}; i_++) {name}.shape[i_] = "
                      f"{value_name}.shape[i_];",
                      ctx.alloc(out),
                      f"ag_copy(&{name}, &{value_name}, {itemsize(out.dtype)});"])


@emitter(IfElse)
def emit_ifelse(node, ctx):
    op = node.op
    condition, *outer = node.inputs
    names = [ctx.name(v) for v in outer]
    blocks = []
    for graph in (op.then_graph, op.else_graph):
        child = ctx.renderer.inner(graph)
        _bind_inputs(child, graph.inputs, names)
        body = child.render_nodes()
        body += [_copy_out(ctx, out, child.names[value])
                 for out, value in zip(node.outputs, graph.outputs)]
        blocks.append("\n".join("    " + line for chunk in body for line in chunk.split("\n")))
    test = f"*({CTYPES[condition.dtype]} *){ctx.name(condition)}.data != 0"
    return f"if ({test}) {{\n{blocks[0]}\n}} else {{\n{blocks[1]}\n}}"


def _add_helper(renderer, dtype):
    """A strided ``dst += src`` (same shapes) for ``dtype``; returns its name."""
    name = f"ag_add_into_{dtype}"
    if name not in renderer.root.functions_by_name:
        ctype = CTYPES[dtype]
        renderer.root.functions_by_name.add(name)
        renderer.functions.append(
            f"static void {name}(ag_array *dst, const ag_array *src) {{\n"
            f"    npy_intp n = ag_size(src), index[AG_MAXDIM] = {{0}};\n"
            f"    for (npy_intp k = 0; k < n; k++) {{\n"
            f"        char *d = dst->data; const char *s = src->data;\n"
            f"        for (int i = 0; i < src->ndim; i++) {{ d += index[i] * dst->strides[i]; "
            f"s += index[i] * src->strides[i]; }}\n"
            f"        *({ctype} *)d += *(const {ctype} *)s;\n"
            f"        for (int i = src->ndim - 1; i >= 0; i--) {{ if (++index[i] < "
            f"src->shape[i]) break; index[i] = 0; }}\n"
            f"    }}\n}}\n")
    return name


@emitter(Map)
def emit_map(node, ctx):
    op = node.op
    count = op.n_invariants
    steps_in, invariants = node.inputs[0], node.inputs[1:1 + count]
    templates = node.inputs[1 + count:]
    child = ctx.renderer.inner(op.body)
    n, i, index = ctx.fresh("steps"), ctx.fresh("i"), ctx.fresh("index")
    lines = [f"const npy_intp {n} = (npy_intp)*({CTYPES[steps_in.dtype]} *)"
             f"{ctx.name(steps_in)}.data;",
             f"if ({n} < 0) " + ctx.fail("ValueError", "Map: negative number of steps %ld",
                                         f"(long){n}"),
             f"npy_int64 {i} = 0;",
             f"ag_array {index}; {index}.ndim = 0; {index}.data = (char *)&{i};"]
    stacked = op.mode == "stack"
    for out, template in zip(node.outputs, templates):
        name, tname = ctx.name(out), ctx.name(template)
        lead = 1 if stacked else 0
        if stacked:
            lines.append(f"{name}.shape[0] = {n};")
        lines.append(f"for (int d_ = 0; d_ < {template.ndim}; d_++) {name}.shape[d_ + {lead}] "
                     f"= {tname}.shape[d_];")
        lines.append(ctx.alloc(out))
        if not stacked:
            lines.append(f"memset({name}.data, 0, (size_t)ag_size(&{name}) * "
                         f"{itemsize(out.dtype)});")
    _bind_inputs(child, op.body.inputs, [index] + [ctx.name(v) for v in invariants])
    body = child.render_nodes(prelude=lines)
    for k, (out, template, value) in enumerate(zip(node.outputs, templates,
                                                   op.body.outputs)):
        vname, tname, name = child.names[value], ctx.name(template), ctx.name(out)
        check = " || ".join([f"{vname}.shape[{d}] != {tname}.shape[{d}]"
                             for d in range(template.ndim)] or ["0"])
        body.append(f"if ({check}) " + ctx.fail(
            "ValueError", f"Map: step %ld gave output {k} another shape than its template",
            f"(long){i}"))
        if stacked:
            body.append(f"{{ ag_array row_ = {name}; row_.ndim = {name}.ndim - 1; "
                        f"for (int d_ = 1; d_ < {name}.ndim; d_++) {{ row_.shape[d_ - 1] = "
                        f"{name}.shape[d_]; row_.strides[d_ - 1] = {name}.strides[d_]; }} "
                        f"row_.data = {name}.data + {i} * {name}.strides[0]; "
                        f"ag_copy(&row_, &{vname}, {itemsize(out.dtype)}); }}")
        else:
            body.append(f"{_add_helper(ctx.renderer, out.dtype)}(&{name}, &{vname});")
    lines.append(f"for ({i} = 0; {i} < {n}; {i}++) {{")
    lines += ["    " + line for chunk in body for line in chunk.split("\n")]
    lines.append("}")
    return "\n".join(lines)


def _map_supports(node):
    return all(out.dtype in CTYPES and out.dtype != "bool" for out in node.outputs) or \
        node.op.mode == "stack"


emit_map.supports = _map_supports
