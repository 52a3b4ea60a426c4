"""The C renderer: one optimized FunctionGraph becomes one C extension module.

The module exports ``make(cells, consts, thunks, descs)`` returning a state capsule, and
``run(state, *inputs)`` which checks the inputs, runs every node in order (fused loops,
kernels, views; ops without C code call their numpy ``perform`` through ``thunks``), returns
fresh output arrays and then, only when everything succeeded, swaps the new values of
updated shared variables into their ``cells``.  ``run`` returns ``NotImplemented`` when an
input needs converting (a list, another dtype): Python converts it and calls again.

Op emitters: an op class may define ``c_code(node, ctx)``; otherwise ``EMITTERS`` (filled by
the modules of this package) is consulted by class; otherwise the node runs its ``perform``.
"""

import numpy as np

from ..graph import Constant
from ..ops.elemwise import DimShuffle, Elemwise

CTYPES = {
    "bool": "npy_bool", "int8": "npy_int8", "int16": "npy_int16", "int32": "npy_int32",
    "int64": "npy_int64", "uint8": "npy_uint8", "uint16": "npy_uint16",
    "uint32": "npy_uint32", "uint64": "npy_uint64", "float16": "npy_half",
    "float32": "float", "float64": "double",
}
TYPENUMS = {
    "bool": "NPY_BOOL", "int8": "NPY_INT8", "int16": "NPY_INT16", "int32": "NPY_INT32",
    "int64": "NPY_INT64", "uint8": "NPY_UINT8", "uint16": "NPY_UINT16",
    "uint32": "NPY_UINT32", "uint64": "NPY_UINT64", "float16": "NPY_FLOAT16",
    "float32": "NPY_FLOAT32", "float64": "NPY_FLOAT64",
}
MAXDIM = 16
# Loops over more elements than this are split across threads: below it a parallel region
# (waking threads, a barrier that waits for a descheduled core) costs more than it saves.
PARALLEL_THRESHOLD = 1 << 20

EMITTERS = {}

# Ops that copy their first input and modify the copy: when that input dies at the node,
# the output takes over its buffer and the copy is skipped (the destroy rule of Theano's
# inplace increments, decided here where buffer lifetimes are known).
INPLACE_INCREMENTS = ("IncSubtensor", "AdvancedIncSubtensor1", "AdvancedIncSubtensor", "Gemm")


def blas_available():
    """Whether generated code can call OpenBLAS (the scipy-openblas32 wheel is installed)."""
    import importlib.util
    return importlib.util.find_spec("scipy_openblas32") is not None


class Unsupported(Exception):
    """The graph cannot be rendered as C (the caller falls back to the reference linker)."""


def c_convert(expression, dtype):
    """C converting ``expression`` to ``dtype`` as numpy's ``astype`` does: to bool, any
    nonzero value is True (a plain C cast to the one-byte npy_bool would keep the low byte:
    0.5 and 256 would become False)."""
    if dtype == "bool":
        return f"((npy_bool)(({expression}) != 0))"
    return f"({CTYPES[dtype]})({expression})"


def emitter(*op_classes):
    """Register ``fn(node, ctx)`` as the C emitter of ``op_classes``."""
    def register(fn):
        for cls in op_classes:
            EMITTERS[cls] = fn
        return fn
    return register


def itemsize(dtype):
    return np.dtype(dtype).itemsize


class Plan:
    """What the Python side must hand to ``make``: constants, fallback nodes, descriptions."""

    def __init__(self):
        self.constants = []     # Constant variables, in slot order
        self.fallback_nodes = []  # Apply nodes run through perform
        self.nodes = []         # every Apply node, in order (its index is its desc index)
        self.inner_nodes = []   # those of loops' inner graphs (timed inside their loop)


class Context:
    """What an emitter sees: C names of variables and helpers for allocation and errors."""

    def __init__(self, renderer, node, index):
        self.renderer, self.node, self.index = renderer, node, index

    def name(self, variable):
        return self.renderer.names[variable]

    ctype = staticmethod(lambda dtype: CTYPES[dtype])
    typenum = staticmethod(lambda dtype: TYPENUMS[dtype])
    itemsize = staticmethod(itemsize)

    def alloc(self, variable):
        """C statements giving ``variable`` a contiguous buffer (its shape must be set)."""
        return self.renderer.alloc_code(variable)

    def fail(self, exception, fmt, *args):
        extra = "".join(f", {a}" for a in args)
        return (f"AG_FAIL(PyExc_{exception}, st->descs, {self.index}, "
                f"{_c_string(fmt)}{extra});")

    def fresh(self, prefix="t"):
        return self.renderer.fresh(prefix)


def _c_text(variable):
    """A variable's name made safe to put inside a C string literal."""
    return "".join(c for c in str(variable) if c.isalnum() or c in "_.-[](){}, ")


def _c_string(text):
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class CRenderer:
    """Renders a FunctionGraph whose inputs are ``n_args`` arguments followed by shared
    variables, and whose outputs are ``n_outputs`` results followed by update values
    (``update_targets[k]`` is the shared-input position the k-th update replaces)."""

    def __init__(self, fgraph, n_args, n_outputs, update_targets, single_output,
                 profile=False):
        self.profile = profile
        self.fgraph = fgraph
        self.n_args = n_args
        self.n_outputs = n_outputs
        self.update_targets = list(update_targets)
        self.single_output = single_output
        self.names = {}
        self.counter = 0
        self.plan = Plan()
        self.slot_of = {}
        self.n_slots = 0
        self.result_index = {}   # variable -> index into res[] (fresh output arrays)
        self.spare_index = {}    # variable -> update index whose spare holds it
        self.keep_count = 0
        self.casts = set()      # (source dtype, target dtype) copy helpers to emit
        self.functions = []     # top-level C functions emitters asked for (kernels)
        self.functions_by_name = set()  # names of shared helpers already in ``functions``
        self.root = self        # the module's renderer (an inner graph's renderer differs)
        self.fallback = set()
        # Inputs whose buffer (a slot) only the node computing the given variable may take
        # over: a loop's accumulator, updated in place by the step that computes its next
        # value, and never lent to other intermediates.
        self.pinned = {}

    def inner(self, fgraph):
        """A renderer for the inner graph ``fgraph`` of a loop, emitting into this module:
        it shares the module's names counter, slots, constants, node list and helpers, and
        plans its own buffers (all in slots, kept across steps and calls)."""
        child = CRenderer(fgraph, len(fgraph.inputs), 0, (), False, self.profile)
        child.root = self.root
        child.plan = self.root.plan
        child.casts = self.root.casts
        child.functions = self.root.functions
        return child

    def fresh(self, prefix="t"):
        self.root.counter += 1
        return f"{prefix}{self.root.counter}"

    # ------------------------------------------------------------------ planning
    def _plan_storage(self, order):
        """Decide where each variable's buffer lives: a result array, a spare, or a slot."""
        outputs = self.fgraph.outputs
        # The module's outputs are fresh arrays and spares; an inner graph's live in slots.
        if self.root is self:
            for position, variable in enumerate(outputs[:self.n_outputs]):
                if variable not in self.result_index and self._computed_here(variable):
                    self.result_index[variable] = position
            for k, variable in enumerate(outputs[self.n_outputs:]):
                if variable not in self.result_index and variable not in self.spare_index \
                        and self._computed_here(variable):
                    self.spare_index[variable] = k
        last_use = {}
        for position, node in enumerate(order):
            for variable in node.inputs:
                last_use[self._base(variable)] = position
        for variable in outputs:  # results copied at the end keep their memory until then
            last_use[self._base(variable)] = len(order)
        free = []
        for position, node in enumerate(order):
            dying = [v for v in dict.fromkeys(self._base(i) for i in node.inputs)
                     if last_use.get(v) == position and v in self.slot_of]
            reuse_now = (isinstance(node.op, Elemwise) or type(node.op).__name__ in
                         INPLACE_INCREMENTS) and not self._is_view(node)
            taken = [v for v in dying if reuse_now and self._inplace_safe(node, v)
                     and self.pinned.get(v, node.outputs[0]) is node.outputs[0]]
            # A pinned buffer goes to the node's output itself, never to the free list.
            free += [self.slot_of[v] for v in taken if v not in self.pinned]
            claimed = [self.slot_of[v] for v in taken if v in self.pinned]
            for output in node.outputs:
                if self._needs_slot(output, node):
                    self.slot_of[output] = claimed.pop() if claimed else (
                        free.pop() if free else self._new_slot())
            for variable in dying:
                slot = self.slot_of[variable]
                if slot not in free and variable not in taken and variable not in self.pinned:
                    free.append(slot)

    def _inplace_safe(self, node, variable):
        """Whether ``node`` may write its output over ``variable``'s dying buffer: read
        directly (not through a view, which could be read after being overwritten), and
        for element-wise ops with the output's shape and item size; an increment may only
        overwrite the tensor it increments."""
        direct = [k for k, i in enumerate(node.inputs) if i is variable]
        if not direct or any(self._base(i) is variable and i is not variable
                             for i in node.inputs):
            return False
        if not isinstance(node.op, Elemwise):
            return direct == [0]
        return all(variable.broadcastable == o.broadcastable and
                   itemsize(variable.dtype) == itemsize(o.dtype) for o in node.outputs)

    def extra_slot(self, variable):
        """A slot of its own for ``variable`` (a view op that sometimes has to copy)."""
        key = ("extra", variable)
        if key not in self.slot_of:
            self.slot_of[key] = self._new_slot()
        return self.slot_of[key]

    def _new_slot(self):
        self.root.n_slots += 1
        return self.root.n_slots - 1

    def _computed_here(self, variable):
        node = variable.owner
        return node is not None and not self._is_view(node) and node not in self.fallback

    def _is_view(self, node):
        return bool(getattr(node.op, "view_map", {})) or isinstance(node.op, DimShuffle)

    def _needs_slot(self, variable, node):
        return (variable not in self.result_index and variable not in self.spare_index
                and not self._is_view(node) and node not in self.fallback)

    def _base(self, variable):
        """The variable owning the memory that ``variable`` (maybe a view) points into."""
        while variable.owner is not None and self._is_view(variable.owner) \
                and variable.owner not in self.fallback:
            view_map = getattr(variable.owner.op, "view_map", {}) or {0: [0]}
            variable = variable.owner.inputs[view_map.get(variable.index, [0])[0]]
        return variable

    def alloc_code(self, variable):
        typenum = TYPENUMS[variable.dtype]
        name = self.names[variable]
        if variable in self.result_index:
            k = self.result_index[variable]
            return f"if (ag_alloc_array(&{name}, &res[{k}], {typenum}) < 0) goto fail;"
        if variable in self.spare_index:
            k = self.spare_index[variable]
            return f"if (ag_alloc_spare(&{name}, &st->spares[{k}], {typenum}) < 0) goto fail;"
        slot = self.slot_of[variable]
        return (f"if (ag_alloc_in_slot(&{name}, &st->slots[{slot}], "
                f"{itemsize(variable.dtype)}) < 0) goto fail;")

    # ------------------------------------------------------------------ rendering
    def render(self):
        """Return the C source of the module."""
        body = []
        for position, variable in enumerate(self.fgraph.inputs):
            self.names[variable] = f"in{position}"
        body += self._read_inputs()
        body += self.render_nodes()
        body += self._finish_code()
        return self._module(body, self._cast_helpers() + "\n\n".join(self.functions))

    def render_nodes(self, prelude=None):
        """C statements computing every node of the graph (its inputs already named):
        constants' declarations, then per node its outputs' declarations and its code.

        A loop's body passes ``prelude``, a list that receives the constants' declarations
        instead, so that they are emitted once before the loop and not at every step."""
        order = self.fgraph.toposort()
        for variable in self.fgraph.variables:
            if getattr(variable.type, "ndim", None) is None or variable.type.ndim > MAXDIM:
                raise Unsupported(f"{variable} has type {variable.type}")
            if variable.type.dtype not in CTYPES:
                raise Unsupported(f"dtype {variable.type.dtype}")
        self.fallback = set()
        for node in order:
            if self._emitter(node) is None:
                self.fallback.add(node)
        self._plan_storage(order)
        body = []
        for node in order:
            for output in node.outputs:
                self.names[output] = self.fresh("v")
        used = [v for node in order for v in node.inputs] + list(self.fgraph.outputs)
        declarations = body if prelude is None else prelude
        for variable in used:
            if isinstance(variable, Constant) and variable not in self.names:
                k = len(self.plan.constants)
                self.names[variable] = f"c{k}"
                self.plan.constants.append(variable)
                declarations.append(f"ag_array c{k}; ag_from_numpy(&c{k}, "
                                    f"(PyArrayObject *)PyTuple_GET_ITEM(st->consts, {k}));")
        for node in order:
            index = len(self.plan.nodes)
            self.plan.nodes.append(node)
            if self.root is not self:
                self.plan.inner_nodes.append(node)
            body.append(f"/* {index}: {_comment(node)} */")
            for output in node.outputs:
                body.append(f"ag_array {self.names[output]}; "
                            f"{self.names[output]}.ndim = {output.ndim};")
            ctx = Context(self, node, index)
            if self.profile:
                body.append(f"const double start{index}_ = ag_now();")
            if node in self.fallback:
                body.append(self._fallback_code(node, ctx))
            else:
                body.append("{\n" + self._emitter(node)(node, ctx) + "\n}")
            if self.profile:
                body.append(f"st->node_time[{index}] += ag_now() - start{index}_; "
                            f"st->node_calls[{index}]++;")
        return body

    def _cast_helpers(self):
        """Strided copy-with-conversion functions that emitters asked for."""
        helpers = []
        for source, target in sorted(self.casts):
            helpers.append(
                f"static void ag_copy_cast_{source}_{target}(ag_array *dst, const ag_array *src) "
                f"{{\n    npy_intp n = ag_size(src), index[AG_MAXDIM] = {{0}};\n"
                f"    for (npy_intp k = 0; k < n; k++) {{\n"
                f"        char *d = dst->data; const char *s = src->data;\n"
                f"        for (int i = 0; i < src->ndim; i++) {{ d += index[i] * dst->strides[i]; "
                f"s += index[i] * src->strides[i]; }}\n"
                f"        *({CTYPES[target]} *)d = "
                f"{c_convert(f'*(const {CTYPES[source]} *)s', target)};"
                f"\n        for (int i = src->ndim - 1; i >= 0; i--) {{ if (++index[i] < "
                f"src->shape[i]) break; index[i] = 0; }}\n    }}\n}}\n")
        return "\n".join(helpers)

    def _emitter(self, node):
        """The C emitter of ``node``, or None when it has to run its ``perform``."""
        if any(v.dtype == "float16" for v in node.inputs + node.outputs
               if hasattr(v.type, "dtype")):
            return None
        method = getattr(node.op, "c_code", None)
        if method is not None:
            supports = getattr(node.op, "c_supports", None)
            return method if supports is None or supports(node) else None
        for cls in type(node.op).__mro__:
            if cls in EMITTERS:
                fn = EMITTERS[cls]
                supports = getattr(fn, "supports", None)
                return fn if supports is None or supports(node) else None
        return None

    def _read_inputs(self):
        lines = [f"if (nargs != {self.n_args + 1}) {{",
                 f"    PyErr_Format(PyExc_TypeError, \"expected {self.n_args} arguments, "
                 f"got %zd\", nargs - 1);",
                 "    return NULL;", "}"]
        for position, variable in enumerate(self.fgraph.inputs):
            name = self.names[variable]
            if position < self.n_args:
                pattern = "".join("1" if b else "0" for b in variable.broadcastable)
                lines.append(f"if (!ag_accept(args[{position + 1}], {TYPENUMS[variable.dtype]}, "
                             f"{variable.ndim}, \"{pattern}\")) Py_RETURN_NOTIMPLEMENTED;")
                source = f"args[{position + 1}]"
            else:
                cell = position - self.n_args
                source = f"PyList_GET_ITEM(PyTuple_GET_ITEM(st->cells, {cell}), 0)"
                pattern = "".join("1" if b else "0" for b in variable.broadcastable)
                lines.append(
                    f"if (!ag_accept({source}, {TYPENUMS[variable.dtype]}, {variable.ndim}, "
                    f"\"{pattern}\")) {{ PyErr_SetString(PyExc_TypeError, \"the shared "
                    f"variable {_c_text(variable)} holds a value that is not a "
                    f"{variable.type.describe()}\"); goto fail; }}")
            lines.append(f"ag_array {name}; ag_from_numpy(&{name}, (PyArrayObject *){source});")
        return lines

    def _fallback_code(self, node, ctx):
        """Run ``perform`` through Python: wrap inputs as read-only numpy views, call the
        thunk, keep the returned arrays alive until the next call."""
        k = len(self.plan.fallback_nodes)
        self.plan.fallback_nodes.append(node)
        lines = [f"PyObject *args_ = PyTuple_New({len(node.inputs)});",
                 "if (!args_) goto fail;"]
        destroyed = {i for inputs in getattr(node.op, "destroy_map", {}).values()
                     for i in inputs}
        for i, variable in enumerate(node.inputs):
            wrap = "ag_to_numpy_writable" if i in destroyed else "ag_to_numpy"
            lines.append(f"{{ PyObject *a_ = {wrap}(&{self.names[variable]}, "
                         f"{TYPENUMS[variable.dtype]}, NULL); if (!a_) {{ Py_DECREF(args_); "
                         f"goto fail; }} PyTuple_SET_ITEM(args_, {i}, a_); }}")
        lines.append(f"PyObject *outs_ = PyObject_CallOneArg(PyTuple_GET_ITEM(st->thunks, {k}),"
                     f" args_);")
        lines.append("Py_DECREF(args_);")
        lines.append(f"if (!outs_) {{ ag_failed_node = {ctx.index}; goto fail; }}")
        for j, output in enumerate(node.outputs):
            keep = self.root.keep_count
            self.root.keep_count += 1
            lines.append(f"Py_XSETREF(st->keep[{keep}], Py_NewRef(PyTuple_GET_ITEM(outs_, {j})));")
            lines.append(f"ag_from_numpy(&{self.names[output]}, "
                         f"(PyArrayObject *)st->keep[{keep}]);")
        lines.append("Py_DECREF(outs_);")
        return "{\n" + "\n".join(lines) + "\n}"

    def _finish_code(self):
        """Build the return value, copying results that are not fresh arrays; then swap
        updates into the shared cells (nothing can fail after the first swap)."""
        lines = []
        outputs = self.fgraph.outputs
        done = set()
        for position, variable in enumerate(outputs[:self.n_outputs]):
            if self.result_index.get(variable) == position and variable not in done:
                done.add(variable)
                continue
            lines.append(f"res[{position}] = ag_copy_to_numpy(&{self.names[variable]}, "
                         f"{TYPENUMS[variable.dtype]});")
            lines.append(f"if (!res[{position}]) goto fail;")
        for k, variable in enumerate(outputs[self.n_outputs:]):
            if self.spare_index.get(variable) == k:
                continue
            name = self.names[variable]
            lines.append(f"{{ ag_array u_ = {name}; u_.data = NULL; "
                         f"if (ag_alloc_spare(&u_, &st->spares[{k}], "
                         f"{TYPENUMS[variable.dtype]}) < 0) goto fail; "
                         f"ag_copy(&u_, &{name}, {itemsize(variable.dtype)}); }}")
        if self.single_output and self.n_outputs == 1:
            lines.append("PyObject *result = res[0]; res[0] = NULL;")
        else:
            lines.append(f"PyObject *result = PyList_New({self.n_outputs});")
            lines.append("if (!result) goto fail;")
            for position in range(self.n_outputs):
                lines.append(f"PyList_SET_ITEM(result, {position}, res[{position}]); "
                             f"res[{position}] = NULL;")
        for k, target in enumerate(self.update_targets):
            lines.append(f"{{ PyObject *cell_ = PyTuple_GET_ITEM(st->cells, {target}); "
                         f"PyObject *old_ = PyList_GET_ITEM(cell_, 0); "
                         f"PyList_SET_ITEM(cell_, 0, st->spares[{k}]); "
                         f"st->spares[{k}] = old_; }}")
        lines.append("return result;")
        return lines

    def _module(self, body, helpers=""):
        n_res = max(self.n_outputs, 1)
        n_spares = max(len(self.update_targets), 1)
        n_slots = max(self.n_slots, 1)
        n_keep = max(self.keep_count, 1)
        n_nodes = max(len(self.plan.nodes), 1)
        indented = "\n".join("    " + line for chunk in body for line in chunk.split("\n"))
        return f"""/* arignote generated module */
#include "runtime.h"

typedef struct {{
    PyObject *cells, *consts, *thunks, *descs;
    ag_slot slots[{n_slots}];
    ag_slot scratch_a, scratch_b;
    PyObject *spares[{n_spares}];
    PyObject *keep[{n_keep}];
    double node_time[{n_nodes}];
    long long node_calls[{n_nodes}];
}} ag_state;

static void state_free(PyObject *capsule) {{
    ag_state *st = (ag_state *)PyCapsule_GetPointer(capsule, NULL);
    if (!st) return;
    Py_XDECREF(st->cells); Py_XDECREF(st->consts); Py_XDECREF(st->thunks);
    Py_XDECREF(st->descs);
    for (int i = 0; i < {n_slots}; i++) free(st->slots[i].ptr);
    free(st->scratch_a.ptr); free(st->scratch_b.ptr);
    for (int i = 0; i < {n_spares}; i++) Py_XDECREF(st->spares[i]);
    for (int i = 0; i < {n_keep}; i++) Py_XDECREF(st->keep[i]);
    free(st);
}}

static PyObject *make(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
    if (nargs != 4) {{
        PyErr_SetString(PyExc_TypeError, "make(cells, consts, thunks, descs)");
        return NULL;
    }}
    for (int i = 0; i < 4; i++)
        if (!PyTuple_Check(args[i])) {{
            PyErr_SetString(PyExc_TypeError, "make() takes tuples");
            return NULL;
        }}
    ag_state *st = (ag_state *)calloc(1, sizeof(ag_state));
    if (!st) return PyErr_NoMemory();
    st->cells = Py_NewRef(args[0]); st->consts = Py_NewRef(args[1]);
    st->thunks = Py_NewRef(args[2]); st->descs = Py_NewRef(args[3]);
    PyObject *capsule = PyCapsule_New(st, NULL, state_free);
    if (!capsule) {{ free(st); return NULL; }}
    return capsule;
}}

{helpers}
static PyObject *run(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
    ag_state *st = (ag_state *)PyCapsule_GetPointer(args[0], NULL);
    if (!st) return NULL;
    PyObject *res[{n_res}] = {{0}};
{indented}
fail:
    for (int i = 0; i < {n_res}; i++) Py_XDECREF(res[i]);
    return NULL;
}}

static PyObject *timings(PyObject *self, PyObject *capsule) {{
    ag_state *st = (ag_state *)PyCapsule_GetPointer(capsule, NULL);
    if (!st) return NULL;
    PyObject *times = PyList_New({n_nodes}), *calls = PyList_New({n_nodes});
    if (!times || !calls) {{ Py_XDECREF(times); Py_XDECREF(calls); return NULL; }}
    for (int i = 0; i < {n_nodes}; i++) {{
        PyList_SET_ITEM(times, i, PyFloat_FromDouble(st->node_time[i]));
        PyList_SET_ITEM(calls, i, PyLong_FromLongLong(st->node_calls[i]));
    }}
    return Py_BuildValue("(NN)", times, calls);
}}

static PyObject *failed_node(PyObject *self, PyObject *unused) {{
    return PyLong_FromLong(ag_failed_node);
}}

static PyMethodDef methods[] = {{
    {{"failed_node", failed_node, METH_NOARGS, "index of the node that raised last"}},
    {{"timings", timings, METH_O, "seconds and calls per node (profiling builds)"}},
    {{"make", (PyCFunction)(void (*)(void))make, METH_FASTCALL, "make the call state"}},
    {{"run", (PyCFunction)(void (*)(void))run, METH_FASTCALL, "run the function"}},
    {{NULL, NULL, 0, NULL}}
}};

static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, AG_MODULE_NAME_STR, NULL, -1,
                                     methods}};

PyMODINIT_FUNC AG_INIT_FUNCTION(void) {{
    import_array();
    return PyModule_Create(&module);
}}
"""


def _comment(node):
    text = f"{node.op}({', '.join(str(v.type.dtype) + str(tuple(v.broadcastable)) for v in node.inputs if hasattr(v.type, 'dtype'))})"
    return text.replace("*/", "* /")
