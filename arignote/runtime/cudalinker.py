"""The CUDA linker: render a FunctionGraph as CUDA kernels plus a C host module, compile the
kernels with NVRTC and the host module with the C build, load and bind them.

``CudaLinker(fgraph, n_args, n_outputs, update_targets, single_output).make(cells)`` returns
``(run, state)`` as the C linker does: ``run(state, *args)`` is one native call that checks
the arguments, copies numpy ones to the GPU (device arrays of any library are taken as they
are), launches every kernel, and returns numpy outputs, or device arrays for outputs that
are ``transfer(x, 'cuda')``.  Updated shared values (device arrays) are swapped into their
containers only after the whole call succeeded.
"""

import sys

import numpy as np

from ..compiler.codegen.cuda import CudaRenderer
from ..compiler.ops.transfer import Transfer
from ..configparser import config
from . import cache, cuda
from .clinker import _thunk, describe_node

_DTYPES = {np.dtype(name).num: np.dtype(name) for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64")}


def wants_cuda(specs):
    """Whether a function over In ``specs`` runs on the GPU: ``config.device`` is a CUDA
    device, or a shared input keeps its value there."""
    if str(config.device).startswith(("cuda", "gpu")):
        return True
    return any(spec.shared and isinstance(
        getattr(getattr(spec.variable, "container", None), "storage", [None])[0],
        cuda.DeviceArray) for spec in specs)


def device_outputs(fgraph, n_outputs):
    """Output positions returned as device arrays: those computed by transfer(x, 'cuda')."""
    return [position for position, variable in enumerate(fgraph.outputs[:n_outputs])
            if variable.owner is not None and isinstance(variable.owner.op, Transfer)
            and variable.owner.op.target == "cuda"]


# The fields DeviceArray.from_pointer fills; _wrap fills them itself (a device result costs
# one Python call per output, on the per-call path) as long as the class has exactly these.
_FIELDS = ("ptr", "shape", "strides", "dtype", "size", "nbytes", "ndim", "device", "_owner",
           "_owns", "__weakref__")


def _wrap_fast(ptr, shape, strides, typenum, size, _new=object.__new__,
               _array=cuda.DeviceArray, _dtypes=_DTYPES):
    """A DeviceArray owning ``ptr`` (called by the host module for each device result)."""
    array = _new(_array)
    dtype = _dtypes[typenum]
    array.ptr, array.shape, array.strides, array.dtype = ptr, shape, strides, dtype
    array.size, array.nbytes, array.ndim = size, size * dtype.itemsize, len(shape)
    array.device, array._owner, array._owns = cuda._selected(), None, ptr != 0
    return array


def _wrap_plain(ptr, shape, strides, typenum, size):
    """The same through the public constructor."""
    return cuda.DeviceArray.from_pointer(ptr, shape, _DTYPES[typenum], strides)


_wrap = _wrap_fast if tuple(cuda.DeviceArray.__slots__) == _FIELDS else _wrap_plain


def render(fgraph, n_args, n_outputs, update_targets, single_output, arch="sm_90"):
    """The (host C, CUDA) sources of a function's graph and the renderer that made them."""
    header = f" for {arch}, NVRTC {'.'.join(map(str, cuda.nvrtc_version()))}"
    renderer = CudaRenderer(fgraph, n_args, n_outputs, update_targets, single_output,
                            device_outputs=device_outputs(fgraph, n_outputs), header=header)
    return renderer.render(), renderer.kernel_source(), renderer


class CudaLinker:
    """Turns a FunctionGraph into a native ``run`` function on the GPU (module docstring)."""

    def __init__(self, fgraph, n_args, n_outputs, update_targets, single_output, name=None):
        cuda.require(config.device if str(config.device).startswith(("cuda", "gpu"))
                     else "cuda")
        cuda.context()
        major, minor = cuda.compute_capability()
        self.arch = f"sm_{major}{minor}"
        self.n_args = n_args
        self.name = name or "a compiled function"
        self.host_source, self.cuda_source, renderer = render(
            fgraph, n_args, n_outputs, update_targets, single_output, self.arch)
        self.plan = renderer.plan
        self.kernel_names = tuple(renderer.kernel_names)
        self.uses_blas = renderer.uses_blas
        self.source = (f"/* ---- arignote: CUDA kernels ({self.arch}) ---- */\n"
                       f"{self.cuda_source}\n"
                       f"/* ---- arignote: host module ---- */\n{self.host_source}")
        if config.print_source:
            print(self.source, file=sys.stderr)
        self.cubin = cuda.nvrtc_compile(self.cuda_source, arch=self.arch)
        self.module = cache.get_module(self.host_source)
        self._device_constants = []

    def make(self, cells):
        """Bind shared-variable storage cells; returns ``(run, state)``."""
        # asarray, not ascontiguousarray: that one makes 0-d constants 1-d.
        consts = tuple(np.asarray(c.data, order="C") for c in self.plan.constants)
        device_constants = tuple(cuda.to_device(c) for c in consts)
        self._device_constants.append(device_constants)  # alive as long as the linker
        thunks = tuple(_thunk(n) for n in self.plan.fallback_nodes)
        descs = tuple(describe_node(n) for n in self.plan.nodes)
        libcublas = cuda.library_path("cublas") if self.uses_blas else ""
        state = self.module.make(tuple(cells), consts, thunks, descs, self.cubin,
                                 self.kernel_names, tuple(d.ptr for d in device_constants),
                                 _wrap, self.name, cuda.library_path("cuda"), libcublas)
        return self.module.run, state

    def adapt_filters(self, filters, types):
        """Argument conversions for the retry after ``run`` returned NotImplemented: device
        arrays of any library become DeviceArrays (other dtypes are converted on the way);
        everything else goes through the host filter."""
        def adapt(check, tensor_type):
            dtype = np.dtype(tensor_type.dtype)

            def convert(value, force=False):
                view = cuda.as_device_array(value)
                if view is None:
                    return check(value, force)
                if view.dtype != dtype:
                    return check(view.get(), force)
                return view
            return convert
        return [adapt(check, tensor_type) for check, tensor_type in zip(filters, types)]

    def timings(self, state):
        """Per-node times are not recorded on the GPU (kernels run asynchronously)."""
        return None

    def explain(self, error):
        """Attach the failing node to an error raised by the generated code."""
        if getattr(error, "node", None) is None:
            index = self.module.failed_node()
            if 0 <= index < len(self.plan.nodes):
                error.node = self.plan.nodes[index]


def cuda_linker(fgraph, specs, n_outputs, update_inputs, single, name=None):
    """A CudaLinker for a function's graph, or None where the graph needs the host path
    (updates of explicit inputs, inputs without a tensor type)."""
    n_args = sum(1 for spec in specs if not spec.implicit)
    if any(spec.implicit for spec in specs[:n_args]):
        return None
    if any(position < n_args for position in update_inputs):
        return None
    if any(getattr(v.type, "dtype", None) is None for v in fgraph.inputs + fgraph.outputs):
        return None
    return CudaLinker(fgraph, n_args, n_outputs, [p - n_args for p in update_inputs],
                      single and n_outputs == 1, name=name)
