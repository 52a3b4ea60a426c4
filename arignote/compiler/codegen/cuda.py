"""The CUDA renderer: one optimized FunctionGraph becomes one CUDA translation unit (every
kernel of the function) and one C host module (a CPython extension) that runs it.

It subclasses the C renderer and keeps its planning and its node loop: the same names, the
same buffer plan (slots reused as values die, results and update values in buffers of their
own, views free), the same fallback through each op's numpy ``perform``.  What differs is
where values live and what a node's code does:

- Values of the function (inputs, shared variables, everything kernels compute) live on the
  device: an ``ag_array`` whose data is a device pointer.  Shape arithmetic (``ShapeI``,
  ``ARange``, scalar integer expressions of shapes) runs on the host with the C emitters,
  because kernel launches need those numbers on the host.  ``where[variable]`` says which.
- A node has a CUDA emitter (``CUDA_EMITTERS``, filled by ``cuda_kernels``), runs on the host
  through its C emitter (small host values only), or runs its numpy ``perform``: its inputs
  are copied device -> host and its outputs back when a device node needs them (correct and
  slow; ``f.source`` marks such nodes with a comment).
- A value needed in the other place is copied once, at its first use (``name_at``).

The host module exports ``make(cells, consts, thunks, descs, cubin, kernels, dconsts, wrap,
fname, libcuda, libcublas)`` and ``run(state, *inputs)``.  ``run`` checks every argument's
dtype, rank and broadcastable pattern before any copy or launch, copies numpy arguments in,
takes device arrays as they are, launches the kernels on stream 0, allocates from the
driver's stream-ordered pool, and returns numpy outputs (a read-back is the only
synchronisation) or device arrays for the outputs listed in ``device_outputs``.  Updated
shared values are swapped into their cells only after everything succeeded.
"""

from ..graph import Constant
from .c import TYPENUMS, Context, CRenderer, _c_string, _c_text, itemsize

CUDA_TYPES = {
    "bool": "bool", "int8": "signed char", "int16": "short", "int32": "int",
    "int64": "long long", "uint8": "unsigned char", "uint16": "unsigned short",
    "uint32": "unsigned int", "uint64": "unsigned long long", "float32": "float",
    "float64": "double",
}

PRELUDE = """/* arignote generated CUDA kernels */
typedef signed char int8;
typedef short int16;
typedef int int32;
typedef long long int64;
typedef unsigned char uint8;
typedef unsigned short uint16;
typedef unsigned int uint32;
typedef unsigned long long uint64;
typedef float float32;
typedef double float64;
typedef int8 npy_int8;
typedef int16 npy_int16;
typedef int32 npy_int32;
typedef int64 npy_int64;
typedef uint8 npy_uint8;
typedef uint16 npy_uint16;
typedef uint32 npy_uint32;
typedef uint64 npy_uint64;
typedef bool npy_bool;
#define AG_CUDA 1
#include "scalar_math.h"
#include "ag_cuda.cuh"
"""

# op class -> fn(node, ctx) returning host C; fn.supports(node) may refuse a node;
# fn.host_inputs(node, renderer) lists the input positions the emitter reads on the host.
CUDA_EMITTERS = {}

# Ops the host runs with their C emitters when their inputs live on the host (shape
# arithmetic); Shape and ShapeI read only the shape, which the host always has.
HOST_OPS = ("Elemwise", "DimShuffle", "MakeVector", "ARange", "SliceLength", "Subtensor",
            "Rebroadcast", "SpecifyShape", "Reshape", "ScalarFromTensor", "TensorFromScalar")
SHAPE_OPS = ("Shape", "ShapeI", "SliceLength")
COPY_KERNELS = ("ag_copy_1", "ag_copy_2", "ag_copy_4", "ag_copy_8")


def cuda_emitter(*op_classes):
    """Register ``fn(node, ctx)`` as the CUDA emitter of ``op_classes``."""
    def register(fn):
        for cls in op_classes:
            CUDA_EMITTERS[cls] = fn
        return fn
    return register


class CudaContext(Context):
    """An emitter's view: inputs named where the node reads them, kernels and launches."""

    def __init__(self, renderer, node, index, host_inputs=()):
        super().__init__(renderer, node, index)
        self.host_vars = {node.inputs[k] for k in host_inputs}
        self.place = renderer.node_place.get(node, "device")

    def name(self, variable):
        renderer = self.renderer
        if variable in renderer.names and variable.owner is self.node:
            return renderer.names[variable]
        if type(self.node.op).__name__ in ("Shape", "ShapeI"):
            return renderer.names[variable]  # only its shape is read: the host has it
        place = "host" if variable in self.host_vars else self.place
        return renderer.name_at(variable, place)

    def where(self, variable):
        return self.renderer.where_of(variable)

    def kernel(self, hint, source):
        """Add ``source`` (which defines ``extern "C" __global__ void KNAME``; KNAME is
        replaced by a unique name) to the translation unit; returns (name, index into
        st->fn)."""
        return self.renderer.add_kernel(hint, source)

    def launch(self, index, name, grid, block, args, shared="0"):
        """A launch of kernel ``index`` (args: C lvalues of exactly the kernel's types)."""
        params = ", ".join(f"(void *)&{a}" for a in args)
        return (f"{{ void *p_[] = {{{params}}}; AG_CU(AGC.cuLaunchKernel(st->fn[{index}], "
                f"{grid}, 1, 1, {block}, 1, 1, {shared}, 0, p_, NULL), "
                f"{_c_string('launching ' + name)}); }}")

    def temp(self):
        """A per-call device buffer (``ag_dslot``) freed when the call ends."""
        return self.renderer.new_temp()

    def flag_check(self):
        """Kernels report bad indices in a device flag read at the end of the call."""
        self.renderer.uses_flag = True
        return "(int *)st->dflag", f"{self.index + 1}"


class CudaRenderer(CRenderer):
    """Renders a function's graph as CUDA kernels plus the C host module that runs them
    (see the module docstring); ``kernel_source()`` is the CUDA, ``render()`` the host C."""

    expression_method = "cuda_expr"
    block_size = 256

    def __init__(self, fgraph, n_args, n_outputs, update_targets, single_output,
                 profile=False, device_outputs=(), header=""):
        super().__init__(fgraph, n_args, n_outputs, update_targets, single_output, False)
        self.device_outputs = set(device_outputs)
        self.header = header
        self.kernels = []        # CUDA source of each kernel, in launch-table order
        self.kernel_names = []
        self.where = {}          # variable -> "host" | "device"
        self.node_place = {}     # node -> "device" | "host" | "fallback"
        self.copies = {}         # (variable, place) -> C name of its copy there
        self.pending = []        # copy statements to emit before the current node's code
        self.predeclared = []    # declarations at the top of run() (copies outlive nodes)
        self.n_temps = 0
        self.uses_blas = False
        self.uses_flag = False
        self._rendered = None

    # ------------------------------------------------------------------ placement
    def where_of(self, variable):
        if isinstance(variable, Constant):
            return "both"
        return self.where.get(variable, "device")

    def _place(self, order):
        """Decide where every node runs and where its outputs live."""
        for variable in self.fgraph.inputs:
            self.where[variable] = "device"
        for node in order:
            name = type(node.op).__name__
            places = [self.where_of(v) for v in node.inputs]
            c_emitter = CRenderer._emitter(self, node)
            host_fed = "device" not in places and "host" in places
            constant_scalar = all(p == "both" for p in places) and all(
                o.ndim == 0 for o in node.outputs)
            if getattr(node.op, "target", None) == "cpu" and c_emitter is not None:
                place = "host"  # transfer(x, 'cpu')
            elif c_emitter is not None and (name in SHAPE_OPS or (
                    name in HOST_OPS and (host_fed or constant_scalar))):
                place = "host"
            elif self._cuda_emitter(node) is not None:
                place = "device"
            else:
                place = "fallback"
            self.node_place[node] = place
            for output in node.outputs:
                self.where[output] = "device" if place == "device" else "host"

    def _plan_storage(self, order):
        """The C plan, except that the value a ``transfer(x, 'cuda')`` output views is
        computed straight into that output's buffer (no copy at the end)."""
        if self.root is self:
            for position in sorted(self.device_outputs):
                variable = self.fgraph.outputs[position]
                source = variable.owner.inputs[0] if variable.owner is not None else None
                if source is not None and source.owner is not None and \
                        self.node_place.get(source.owner) == "device" and \
                        self._computed_here(source) and source not in self.result_index and \
                        source not in self.fgraph.outputs:
                    self.result_index[source] = position
        super()._plan_storage(order)

    def _cuda_emitter(self, node):
        if any(getattr(v.type, "dtype", None) not in CUDA_TYPES
               for v in node.inputs + node.outputs):
            return None
        for cls in type(node.op).__mro__:
            if cls in CUDA_EMITTERS:
                fn = CUDA_EMITTERS[cls]
                supports = getattr(fn, "supports", None)
                return fn if supports is None or supports(node) else None
        return None

    def _emitter(self, node):
        """The code of ``node`` where ``_place`` put it (None: its ``perform``)."""
        place = self.node_place.get(node)
        if place == "host":
            inner = CRenderer._emitter(self, node)
            host_inputs = range(len(node.inputs))
        elif place == "device":
            inner = self._cuda_emitter(node)
            host_inputs = getattr(inner, "host_inputs", lambda n, r: ())(node, self)
        else:
            return None

        def emit(node, ctx):
            ctx = CudaContext(self, node, ctx.index, host_inputs)
            code = inner(node, ctx)
            copies, self.pending = self.pending, []
            return "\n".join(copies + [code])
        return emit

    # ------------------------------------------------------------------ values and copies
    def name_at(self, variable, place):
        """The C name of ``variable`` in ``place`` ('host' or 'device'), copying it there
        at its first use."""
        home = self.where_of(variable)
        if isinstance(variable, Constant):
            if place == "host":
                return self.names[variable]
            key = (variable, "device")
            if key not in self.copies:
                name = f"d{self.names[variable]}"
                k = self.plan.constants.index(variable)
                self.predeclared.append(f"ag_array {name};")
                self.pending.append(
                    f"{name} = {self.names[variable]}; {name}.data = (char *)"
                    f"PyLong_AsVoidPtr(PyTuple_GET_ITEM(st->dconsts, {k}));")
                self.copies[key] = name
            return self.copies[key]
        if home == place or place is None:
            return self.names[variable]
        key = (variable, place)
        if key in self.copies:
            return self.copies[key]
        source = self.names[variable]
        name = f"{source}_{place[0]}"
        size = itemsize(variable.dtype)
        self.predeclared.append(f"ag_array {name};")
        if place == "host":
            keep = self.keep_count
            self.keep_count += 1
            self.pending.append(
                f"Py_XSETREF(st->keep[{keep}], ag_dto_numpy(st->copy_fns, &{source}, "
                f"{TYPENUMS[variable.dtype]}, {size}, st->fname)); "
                f"if (!st->keep[{keep}]) goto fail; "
                f"ag_from_numpy(&{name}, (PyArrayObject *)st->keep[{keep}]);")
        else:
            self.pending.append(f"if (ag_hto_device(&{name}, &dtmp[{self.new_temp()}], "
                                f"&{source}, {size}, st->fname) < 0) goto fail;")
        self.copies[key] = name
        return name

    def new_temp(self):
        self.n_temps += 1
        return self.n_temps - 1

    def add_kernel(self, hint, source):
        name = f"ag_{hint}{len(self.kernels)}"
        self.kernels.append(source.replace("KNAME", name))
        self.kernel_names.append(name)
        return name, len(self.kernel_names) - 1

    def alloc_code(self, variable):
        if self.where_of(variable) == "host":
            if variable in self.spare_index:  # an update value made on the host
                return (f"if (ag_alloc_in_slot(&{self.names[variable]}, &st->slots["
                        f"{self.extra_slot(variable)}], {itemsize(variable.dtype)}) < 0) "
                        f"goto fail;")
            return super().alloc_code(variable)
        size = itemsize(variable.dtype)
        name = self.names[variable]
        if variable in self.result_index:
            slot = f"dres[{self.result_index[variable]}]"
        elif variable in self.spare_index:
            slot = f"dspare[{self.spare_index[variable]}]"
        else:
            slot = f"dslots[{self.slot_of[variable]}]"
        return f"if (ag_dalloc(&{name}, &{slot}, {size}, st->fname) < 0) goto fail;"

    # ------------------------------------------------------------------ rendering
    def render(self):
        """Return the C source of the host module (``kernel_source()`` gives the CUDA)."""
        if self._rendered is not None:
            return self._rendered
        for position, variable in enumerate(self.fgraph.inputs):
            self.names[variable] = f"in{position}"
        self._place(self.fgraph.toposort())
        body = self.render_nodes()
        for node in self.plan.fallback_nodes:
            body.insert(0, f"/* node {self.plan.nodes.index(node)} ({node.op}) has no CUDA "
                        f"code: it runs its numpy perform, with device -> host -> device "
                        f"copies (correct, slow) */")
        body = self._read_inputs() + self.predeclared + body + self._finish_code()
        # Host-placed C emitters may ask for helper functions (loops, casts).
        self._rendered = self._module(body, self._cast_helpers() + "\n\n".join(self.functions))
        return self._rendered

    def kernel_source(self):
        """The CUDA translation unit: every kernel of the function."""
        self.render()
        return PRELUDE + "\n\n" + "\n\n".join(self.kernels) + "\n"

    def _read_inputs(self):
        lines = [f"if (nargs != {self.n_args + 1}) {{",
                 f"    PyErr_Format(PyExc_TypeError, \"expected {self.n_args} arguments, "
                 f"got %zd\", nargs - 1);",
                 "    return NULL;", "}",
                 "{ CUcontext current_ = NULL; AGC.cuCtxGetCurrent(&current_); "
                 "if (current_ != st->ctx) AGC.cuCtxSetCurrent(st->ctx); }"]
        sources, copies = [], []
        for position, variable in enumerate(self.fgraph.inputs):
            name = self.names[variable]
            typenum = TYPENUMS[variable.dtype]
            pattern = "".join("1" if b else "0" for b in variable.broadcastable)
            lines.append(f"ag_array {name}; {name}.ndim = {variable.ndim};")
            lines.append(f"PyObject *h{name} = NULL;")
            if position < self.n_args:
                source = f"args[{position + 1}]"
                refuse = "Py_RETURN_NOTIMPLEMENTED;"
            else:
                cell = position - self.n_args
                source = f"PyList_GET_ITEM(PyTuple_GET_ITEM(st->cells, {cell}), 0)"
                refuse = (f"{{ PyErr_SetString(PyExc_TypeError, \"the shared variable "
                          f"{_c_text(variable)} holds a value that is not a "
                          f"{variable.type.describe()}\"); return NULL; }}")
            # Every argument is checked before anything is copied or launched.
            lines.append(f"if (PyArray_Check({source})) {{ if (!ag_accept({source}, {typenum}, "
                         f"{variable.ndim}, \"{pattern}\")) {refuse} h{name} = {source}; }}")
            lines.append(f"else if (!ag_accept_device({source}, &{name}, {typenum}, "
                         f"{variable.ndim}, \"{pattern}\")) {refuse}")
            sources.append(name)
            copies.append(f"if (h{name}) {{ ag_array host_; ag_from_numpy(&host_, "
                          f"(PyArrayObject *)h{name}); if (ag_hto_device(&{name}, "
                          f"&dtmp[{self.new_temp()}], &host_, {itemsize(variable.dtype)}, "
                          f"st->fname) < 0) goto fail; }}")
        return lines + copies

    def _fallback_code(self, node, ctx):
        """``perform`` through Python on host copies of the inputs; outputs stay on the
        host until a device node asks for them."""
        names = {v: self.name_at(v, "host") for v in node.inputs}
        saved = dict(self.names)
        self.names.update(names)
        try:
            code = super()._fallback_code(node, ctx)
        finally:
            for variable in names:
                self.names[variable] = saved[variable]
        copies, self.pending = self.pending, []
        return "\n".join(copies + [code])

    def _finish_code(self):
        """Check the index flag, build the outputs, make the new shared values, then swap
        them in (nothing can fail after the first swap)."""
        lines = []
        if self.uses_flag:
            lines.append("{ int flag_ = 0; AG_CU(AGC.cuMemcpyDtoH(&flag_, st->dflag, "
                         "sizeof flag_), \"running its kernels\"); if (flag_) { "
                         "AGC.cuMemsetD8Async(st->dflag, 0, sizeof flag_, 0); "
                         "AG_FAIL(PyExc_IndexError, st->descs, flag_ - 1, "
                         "\"index out of bounds\"); } }")
        outputs = self.fgraph.outputs
        done = set()
        for position, variable in enumerate(outputs[:self.n_outputs]):
            size = itemsize(variable.dtype)
            typenum = TYPENUMS[variable.dtype]
            on_device = self.where_of(variable) == "device"
            if position in self.device_outputs:
                name = self.name_at(variable, "device")
                lines += self.pending
                self.pending = []
                viewed = variable.owner.inputs[0] if position in self.device_outputs and \
                    variable.owner is not None else None
                if on_device and variable not in done and (
                        self.result_index.get(variable) == position or
                        self.result_index.get(viewed) == position):
                    slot = f"dres[{position}]"
                else:
                    slot = f"dtmp[{self.new_temp()}]"
                    lines.append(f"{{ ag_array c_ = {name}; if (ag_dalloc(&c_, &{slot}, {size}, "
                                 f"st->fname) < 0 || ag_dcopy(st->copy_fns, &c_, &{name}, "
                                 f"{size}, st->fname) < 0) goto fail; }}")
                lines.append(f"res[{position}] = ag_wrap(st, {slot}.ptr, &{name}, {typenum}, "
                             f"{size});")
                lines.append(f"if (!res[{position}]) goto fail; {slot}.ptr = 0;")
            elif on_device:
                lines.append(f"res[{position}] = ag_dto_numpy(st->copy_fns, "
                             f"&{self.names[variable]}, {typenum}, {size}, st->fname);")
                lines.append(f"if (!res[{position}]) goto fail;")
            elif self.result_index.get(variable) != position or variable in done:
                lines.append(f"res[{position}] = ag_copy_to_numpy(&{self.names[variable]}, "
                             f"{typenum});")
                lines.append(f"if (!res[{position}]) goto fail;")
            done.add(variable)
        for k, variable in enumerate(outputs[self.n_outputs:]):
            size = itemsize(variable.dtype)
            typenum = TYPENUMS[variable.dtype]
            name = self.name_at(variable, "device")
            lines += self.pending
            self.pending = []
            if not (self.where_of(variable) == "device" and self.spare_index.get(variable) == k):
                lines.append(f"{{ ag_array c_ = {name}; if (ag_dalloc(&c_, &dspare[{k}], "
                             f"{size}, st->fname) < 0 || ag_dcopy(st->copy_fns, &c_, &{name}, "
                             f"{size}, st->fname) < 0) goto fail; }}")
            target = self.update_targets[k]
            lines.append(f"if (PyArray_Check(PyList_GET_ITEM(PyTuple_GET_ITEM(st->cells, "
                         f"{target}), 0))) new_[{k}] = ag_dto_numpy(st->copy_fns, &{name}, "
                         f"{typenum}, {size}, st->fname);")
            lines.append(f"else {{ new_[{k}] = ag_wrap(st, dspare[{k}].ptr, &{name}, {typenum}, "
                         f"{size}); "
                         f"if (new_[{k}]) dspare[{k}].ptr = 0; }}")
            lines.append(f"if (!new_[{k}]) goto fail;")
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
                         f"PyList_SET_ITEM(cell_, 0, new_[{k}]); new_[{k}] = NULL; "
                         f"Py_DECREF(old_); }}")
        lines.append("ag_release(dslots, dres, dspare, dtmp, new_);")
        lines.append("return result;")
        return lines

    def _module(self, body, helpers=""):
        n_res = max(self.n_outputs, 1)
        n_spares = max(len(self.update_targets), 1)
        n_slots = max(self.n_slots, 1)
        n_keep = max(self.keep_count, 1)
        n_temps = max(self.n_temps, 1)
        n_fn = max(len(self.kernel_names), 1)
        indented = "\n".join("    " + line for chunk in body for line in chunk.split("\n"))
        return f"""/* arignote generated CUDA host module{self.header} */
#include "runtime.h"
#include "cuda_host.h"

typedef struct {{
    PyObject *cells, *consts, *thunks, *descs, *dconsts, *wrap, *fname;
    ag_slot slots[{n_slots}];
    PyObject *keep[{n_keep}];
    CUcontext ctx;
    CUmodule module;
    CUfunction fn[{n_fn}];
    CUfunction copy_fns[4];
    CUdeviceptr dflag;
}} ag_state;

#define AG_N_RES {n_res}
#define AG_N_SPARES {n_spares}
#define AG_N_SLOTS {n_slots}
#define AG_N_TEMPS {n_temps}

static void state_free(PyObject *capsule) {{
    ag_state *st = (ag_state *)PyCapsule_GetPointer(capsule, NULL);
    if (!st) return;
    Py_XDECREF(st->cells); Py_XDECREF(st->consts); Py_XDECREF(st->thunks);
    Py_XDECREF(st->descs); Py_XDECREF(st->dconsts); Py_XDECREF(st->wrap);
    Py_XDECREF(st->fname);
    for (int i = 0; i < {n_slots}; i++) free(st->slots[i].ptr);
    for (int i = 0; i < {n_keep}; i++) Py_XDECREF(st->keep[i]);
    /* The module and flag stay: kernels may still be queued, and at interpreter exit the
     * context may be gone; the driver reclaims them with the context. */
    free(st);
}}

/* A device array owning `ptr` with `a`'s shape (C-contiguous), made by Python's
 * wrap(ptr, shape, strides, typenum, size). */
static PyObject *ag_wrap(ag_state *st, CUdeviceptr ptr, const ag_array *a, int typenum,
                         long long itemsize) {{
    PyObject *shape = PyTuple_New(a->ndim), *strides = PyTuple_New(a->ndim);
    if (!shape || !strides) {{ Py_XDECREF(shape); Py_XDECREF(strides); return NULL; }}
    long long step = itemsize, size = 1;
    for (int i = a->ndim - 1; i >= 0; i--) {{
        PyTuple_SET_ITEM(shape, i, PyLong_FromSsize_t(a->shape[i]));
        PyTuple_SET_ITEM(strides, i, PyLong_FromLongLong(step));
        step *= a->shape[i] > 1 ? a->shape[i] : 1;
        size *= a->shape[i];
    }}
    PyObject *args[5] = {{PyLong_FromUnsignedLongLong(ptr), shape, strides,
                         PyLong_FromLong(typenum), PyLong_FromLongLong(size)}};
    PyObject *out = NULL;
    if (args[0] && args[3] && args[4]) out = PyObject_Vectorcall(st->wrap, args, 5, NULL);
    for (int i = 0; i < 5; i++) Py_XDECREF(args[i]);
    return out;
}}

/* Frees what one call allocated and did not hand over (stream-ordered). */
static void ag_release(ag_dslot *dslots, ag_dslot *dres, ag_dslot *dspare, ag_dslot *dtmp,
                       PyObject **new_) {{
    for (int i = 0; i < AG_N_SLOTS; i++) ag_dfree(&dslots[i]);
    for (int i = 0; i < AG_N_RES; i++) ag_dfree(&dres[i]);
    for (int i = 0; i < AG_N_SPARES; i++) {{ ag_dfree(&dspare[i]); Py_CLEAR(new_[i]); }}
    for (int i = 0; i < AG_N_TEMPS; i++) ag_dfree(&dtmp[i]);
}}

static PyObject *make(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
    if (nargs != 11) {{
        PyErr_SetString(PyExc_TypeError, "make(cells, consts, thunks, descs, cubin, kernels, "
                        "dconsts, wrap, fname, libcuda, libcublas)");
        return NULL;
    }}
    for (int i = 0; i < 4; i++)
        if (!PyTuple_Check(args[i])) {{
            PyErr_SetString(PyExc_TypeError, "make() takes tuples");
            return NULL;
        }}
    if (!PyBytes_Check(args[4]) || !PyTuple_Check(args[5]) || !PyTuple_Check(args[6]) ||
        !PyUnicode_Check(args[8]) || !PyUnicode_Check(args[9]) || !PyUnicode_Check(args[10])) {{
        PyErr_SetString(PyExc_TypeError, "make(): bad argument types");
        return NULL;
    }}
    if (PyTuple_GET_SIZE(args[5]) != {len(self.kernel_names)}) {{
        PyErr_SetString(PyExc_ValueError, "make(): wrong number of kernel names");
        return NULL;
    }}
    if (ag_cuda_load(PyUnicode_AsUTF8(args[9]), PyUnicode_AsUTF8(args[10]),
                     {int(self.uses_blas)}) < 0)
        return NULL;
    ag_state *st = (ag_state *)calloc(1, sizeof(ag_state));
    if (!st) return PyErr_NoMemory();
    st->fname = Py_NewRef(args[8]);
    CUresult r = AGC.cuCtxGetCurrent(&st->ctx);
    if (r == 0 && !st->ctx) r = 201; /* CUDA_ERROR_INVALID_CONTEXT */
    if (r == 0) r = AGC.cuModuleLoadData(&st->module, PyBytes_AS_STRING(args[4]));
    for (Py_ssize_t i = 0; r == 0 && i < PyTuple_GET_SIZE(args[5]); i++)
        r = AGC.cuModuleGetFunction(&st->fn[i], st->module,
                                    PyUnicode_AsUTF8(PyTuple_GET_ITEM(args[5], i)));
    static const char *copies[4] = {{"ag_copy_1", "ag_copy_2", "ag_copy_4", "ag_copy_8"}};
    for (int i = 0; r == 0 && i < 4; i++)
        r = AGC.cuModuleGetFunction(&st->copy_fns[i], st->module, copies[i]);
    if (r == 0) r = AGC.cuMemAllocAsync(&st->dflag, 16, 0);
    if (r == 0) r = AGC.cuMemsetD8Async(st->dflag, 0, 16, 0);
    if (r == 0) r = AGC.cuStreamSynchronize(0);
    if (r != 0) {{
        ag_cuda_raise(r, "loading its CUDA module", st->fname);
        Py_DECREF(st->fname);
        free(st);
        return NULL;
    }}
    if ({int(self.uses_blas)} && !AGC.blas) {{
        int status = AGC.cublasCreate(&AGC.blas);
        if (status == 0) status = AGC.cublasSetStream(AGC.blas, 0);
        if (status == 0) status = AGC.cublasSetMathMode(AGC.blas, AG_CUBLAS_DEFAULT_MATH);
        if (status != 0) {{
            AGC.blas = NULL;
            PyErr_Format(PyExc_RuntimeError, "cuBLAS initialisation failed (status %d)",
                         status);
            Py_DECREF(st->fname);
            free(st);
            return NULL;
        }}
    }}
    st->cells = Py_NewRef(args[0]); st->consts = Py_NewRef(args[1]);
    st->thunks = Py_NewRef(args[2]); st->descs = Py_NewRef(args[3]);
    st->dconsts = Py_NewRef(args[6]); st->wrap = Py_NewRef(args[7]);
    PyObject *capsule = PyCapsule_New(st, NULL, state_free);
    if (!capsule) {{ free(st); return NULL; }}
    return capsule;
}}

{helpers}
static PyObject *run(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {{
    ag_state *st = (ag_state *)PyCapsule_GetPointer(args[0], NULL);
    if (!st) return NULL;
    PyObject *res[{n_res}] = {{0}};
    PyObject *new_[{n_spares}] = {{0}};
    ag_dslot dslots[{n_slots}] = {{{{0, 0}}}}, dres[{n_res}] = {{{{0, 0}}}};
    ag_dslot dspare[{n_spares}] = {{{{0, 0}}}}, dtmp[{n_temps}] = {{{{0, 0}}}};
{indented}
fail:
    for (int i = 0; i < {n_res}; i++) Py_XDECREF(res[i]);
    ag_release(dslots, dres, dspare, dtmp, new_);
    return NULL;
}}

static PyObject *failed_node(PyObject *self, PyObject *unused) {{
    return PyLong_FromLong(ag_failed_node);
}}

static PyMethodDef methods[] = {{
    {{"failed_node", failed_node, METH_NOARGS, "index of the node that raised last"}},
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


from . import cuda_kernels  # noqa: E402,F401  (registers the CUDA emitters)
