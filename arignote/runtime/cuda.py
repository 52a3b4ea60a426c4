"""The CUDA runtime: the driver, device memory, device arrays, interop and NVRTC.

The Python side binds the CUDA driver (``libcuda``, shipped with the NVIDIA driver) and NVRTC
(``libnvrtc``, from NVIDIA's pip wheel) with cffi in ABI mode: the declarations below are
parsed once per process, on first use, and nothing is compiled.  Per-call work of compiled
functions never passes through here: the generated host modules load the driver themselves
(``dlopen(library_path('cuda'))``) and receive :func:`context` and the cubin from
:func:`nvrtc_compile` when they are made.

Conventions every GPU piece of arignote follows:

- one CUDA context per device, the driver's *primary* context (the one the CUDA runtime,
  PyTorch and CuPy use), so pointers pass between them freely;
- all work on the legacy default stream (stream 0), so it is ordered with the work of the
  other libraries on their default streams;
- device memory from the driver's stream-ordered pool (``cuMemAllocAsync`` /
  ``cuMemFreeAsync`` on stream 0); out of memory raises ``MemoryError`` naming the size.

Importing this module touches no library: ``available()``, ``require()`` or the first
allocation do.  Without a usable driver, GPU or wheel, those raise
:class:`CudaUnavailableError` saying what is missing.

>>> a = DeviceArray.from_pointer(0x7f0000000000, (2, 3), 'float32', owner='test')
>>> a.shape, a.strides, a.nbytes
((2, 3), (12, 4), 24)
"""

import functools
import glob
import hashlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
import threading
import time
import warnings

import numpy as np

from ..configparser import config
from . import cuda_dlpack
from .build import KERNELS_DIR, CompileError

__all__ = [
    "CudaError", "CudaUnavailableError", "DeviceArray", "Kernel", "as_device_array",
    "available", "compute_capability", "context", "device_name", "device_ordinal",
    "device_value", "driver_version", "empty", "fill_zeros", "host_value", "include_dirs",
    "is_device_array", "library_path", "nvrtc_compile", "nvrtc_version", "require",
    "synchronize", "to_device", "zeros",
]

# The subset of cuda.h and nvrtc.h used from Python.  Types and values are those of the
# headers (CUDA >= 11.2 for the stream-ordered allocator); the _v2 names are what cuda.h's
# macros resolve to.
_CDEF = """
typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
typedef struct CUmemPoolHandle_st *CUmemoryPool;

CUresult cuInit(unsigned int flags);
CUresult cuDriverGetVersion(int *version);
CUresult cuGetErrorName(CUresult error, const char **name);
CUresult cuGetErrorString(CUresult error, const char **text);
CUresult cuDeviceGetCount(int *count);
CUresult cuDeviceGet(CUdevice *device, int ordinal);
CUresult cuDeviceGetName(char *name, int length, CUdevice device);
CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device);
CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device);
CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice device);
CUresult cuCtxSetCurrent(CUcontext context);
CUresult cuCtxGetCurrent(CUcontext *context);
CUresult cuCtxSynchronize(void);
CUresult cuDeviceGetMemPool(CUmemoryPool *pool, CUdevice device);
CUresult cuMemPoolSetAttribute(CUmemoryPool pool, int attribute, void *value);
CUresult cuMemAllocAsync(CUdeviceptr *pointer, size_t bytes, CUstream stream);
CUresult cuMemFreeAsync(CUdeviceptr pointer, CUstream stream);
CUresult cuMemGetInfo_v2(size_t *free, size_t *total);
CUresult cuMemcpyHtoD_v2(CUdeviceptr destination, const void *source, size_t bytes);
CUresult cuMemcpyDtoH_v2(void *destination, CUdeviceptr source, size_t bytes);
CUresult cuMemcpyDtoD_v2(CUdeviceptr destination, CUdeviceptr source, size_t bytes);
CUresult cuMemsetD8_v2(CUdeviceptr destination, unsigned char value, size_t count);
CUresult cuPointerGetAttribute(void *data, int attribute, CUdeviceptr pointer);
CUresult cuEventCreate(CUevent *event, unsigned int flags);
CUresult cuEventRecord(CUevent event, CUstream stream);
CUresult cuEventDestroy_v2(CUevent event);
CUresult cuStreamWaitEvent(CUstream stream, CUevent event, unsigned int flags);
CUresult cuModuleLoadData(CUmodule *module, const void *image);
CUresult cuModuleUnload(CUmodule module);
CUresult cuModuleGetFunction(CUfunction *function, CUmodule module, const char *name);
CUresult cuLaunchKernel(CUfunction function, unsigned int grid_x, unsigned int grid_y,
                        unsigned int grid_z, unsigned int block_x, unsigned int block_y,
                        unsigned int block_z, unsigned int shared_bytes, CUstream stream,
                        void **parameters, void **extra);

typedef int nvrtcResult;
typedef struct _nvrtcProgram *nvrtcProgram;
const char *nvrtcGetErrorString(nvrtcResult result);
nvrtcResult nvrtcVersion(int *major, int *minor);
nvrtcResult nvrtcGetNumSupportedArchs(int *count);
nvrtcResult nvrtcGetSupportedArchs(int *archs);
nvrtcResult nvrtcCreateProgram(nvrtcProgram *program, const char *source, const char *name,
                               int header_count, const char *const *headers,
                               const char *const *include_names);
nvrtcResult nvrtcDestroyProgram(nvrtcProgram *program);
nvrtcResult nvrtcCompileProgram(nvrtcProgram program, int option_count,
                                const char *const *options);
nvrtcResult nvrtcGetCUBINSize(nvrtcProgram program, size_t *size);
nvrtcResult nvrtcGetCUBIN(nvrtcProgram program, char *cubin);
nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram program, size_t *size);
nvrtcResult nvrtcGetProgramLog(nvrtcProgram program, char *log);
"""

CUDA_SUCCESS = 0
CUDA_ERROR_OUT_OF_MEMORY = 2
CUDA_ERROR_NO_DEVICE = 100
CUDA_ERROR_INSUFFICIENT_DRIVER = 35
_ATTRIBUTE_CC_MAJOR = 75
_ATTRIBUTE_CC_MINOR = 76
_ATTRIBUTE_MEMORY_POOLS_SUPPORTED = 115
_POOL_RELEASE_THRESHOLD = 4
_POINTER_DEVICE_ORDINAL = 9
_EVENT_DISABLE_TIMING = 2
_MIN_DRIVER = 11020  # cuMemAllocAsync

# Where each library comes from: file patterns inside the `nvidia` wheels (CUDA 13's shared
# nvidia/cu13/lib, then the per-package layout of CUDA 12 wheels), the names the dynamic
# loader is asked for, and the pip package that ships it.
_LIBRARIES = {
    "cuda": ((), ("libcuda.so.1", "libcuda.so"), None),
    "nvrtc": (("cu13/lib/libnvrtc.so.13*", "cuda_nvrtc/lib/libnvrtc.so.1[23]*",
               "cu12/lib/libnvrtc.so.12*"),
              ("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"), "nvidia-cuda-nvrtc"),
    "cublas": (("cu13/lib/libcublas.so.13*", "cublas/lib/libcublas.so.1[23]*",
                "cu12/lib/libcublas.so.12*"),
               ("libcublas.so.13", "libcublas.so.12", "libcublas.so"), "nvidia-cublas"),
    "cublasLt": (("cu13/lib/libcublasLt.so.13*", "cublas/lib/libcublasLt.so.1[23]*",
                  "cu12/lib/libcublasLt.so.12*"),
                 ("libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"), "nvidia-cublas"),
}
_INSTALL_HINT = "pip install 'arignote[cuda]'"


class CudaUnavailableError(RuntimeError):
    """CUDA cannot be used here; the message says what is missing (driver, GPU or wheel)."""


class CudaError(RuntimeError):
    """A CUDA driver or NVRTC call failed: ``code`` and ``name`` are the library's.

    >>> error = CudaError(700, 'CUDA_ERROR_ILLEGAL_ADDRESS', 'an illegal memory access')
    >>> error.code, error.name
    (700, 'CUDA_ERROR_ILLEGAL_ADDRESS')
    """

    def __init__(self, code, name, message):
        super().__init__(f"{name} ({code}): {message}")
        self.code = code
        self.name = name


# ---------------------------------------------------------------------------------------------
# Libraries


def _nvidia_roots():
    """Directories of the ``nvidia`` namespace package (the NVIDIA wheels), in path order."""
    try:
        spec = importlib.util.find_spec("nvidia")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [path for path in spec.submodule_search_locations if os.path.isdir(path)]


def _wheel_candidates(name):
    """Files in the NVIDIA wheels that can be library ``name``, best first."""
    patterns = _LIBRARIES[name][0]
    found = []
    for root in _nvidia_roots():
        for pattern in patterns:
            for path in sorted(glob.glob(os.path.join(root, pattern))):
                # libnvrtc-builtins and the like never match these patterns; the check is on
                # what we open.
                if os.path.isfile(path) and path not in found:
                    found.append(path)
    return found


def _loaded_path(soname):
    """Absolute path of a library this process has loaded (from /proc/self/maps), or None."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.rsplit(" ", 1)[-1].strip()
                if os.path.basename(path).startswith(soname):
                    return path
    except OSError:
        pass
    return None


@functools.lru_cache(maxsize=None)
def library_path(name):
    """Path of CUDA library ``name`` ('cuda', 'nvrtc', 'cublas' or 'cublasLt').

    NVRTC and cuBLAS are looked for in the NVIDIA pip wheels first (the ``nvidia``
    namespace package: ``nvidia/cu13/lib`` or ``nvidia/<package>/lib``), then by the dynamic
    loader's search; ``libcuda`` comes with the driver and only the loader finds it.  Raises
    :class:`CudaUnavailableError` naming what to install when it is not found.

    >>> library_path('nvrtc')  # doctest: +SKIP
    '.../site-packages/nvidia/cu13/lib/libnvrtc.so.13'
    """
    import ctypes

    if name not in _LIBRARIES:
        raise ValueError(f"unknown CUDA library {name!r}; one of {', '.join(_LIBRARIES)}")
    _, loader_names, package = _LIBRARIES[name]
    candidates = _wheel_candidates(name)
    errors = []
    for path in candidates:
        try:
            ctypes.CDLL(path)  # loadable here (not a wheel for another platform)
            return path
        except OSError as error:
            errors.append(str(error))
    for soname in loader_names:
        try:
            ctypes.CDLL(soname)
        except OSError as error:
            errors.append(str(error))
            continue
        return _loaded_path(soname.split(".so")[0] + ".so") or soname
    roots = ", ".join(_nvidia_roots()) or "no 'nvidia' package on sys.path"
    tried = "; ".join(errors[-2:])
    if name == "cuda":
        raise CudaUnavailableError(
            "CUDA is unavailable: the NVIDIA driver library libcuda.so.1 could not be loaded "
            f"({tried}). It comes with the NVIDIA driver (not with pip): install the driver "
            "on a machine with an NVIDIA GPU, or use device=cpu.")
    raise CudaUnavailableError(
        f"CUDA is unavailable: {name} (lib{name}.so) was found neither in the NVIDIA wheels "
        f"({roots}) nor by the dynamic loader ({tried}). Install it with {_INSTALL_HINT} "
        f"(the {package} wheel).")


def include_dirs():
    """Header directories shipped in the NVIDIA wheels (``nvidia/*/include``); may be empty.

    >>> isinstance(include_dirs(), list)
    True
    """
    found = []
    for root in _nvidia_roots():
        for path in sorted(glob.glob(os.path.join(root, "*", "include"))):
            if os.path.isdir(path) and path not in found:
                found.append(path)
    return found


class _Libraries:
    """The cffi declarations (parsed once) and the opened libraries."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ffi = None
        self._driver = None
        self._nvrtc = None

    @property
    def ffi(self):
        if self._ffi is None:
            with self._lock:
                if self._ffi is None:
                    try:
                        import cffi
                    except ImportError as error:
                        raise CudaUnavailableError(
                            f"CUDA is unavailable: the cffi package is missing ({error}); "
                            "install it with: pip install cffi") from None
                    ffi = cffi.FFI()
                    ffi.cdef(_CDEF)
                    self._ffi = ffi
        return self._ffi

    @property
    def driver(self):
        if self._driver is None:
            path = library_path("cuda")
            self._driver = self.ffi.dlopen(path)
        return self._driver

    @property
    def nvrtc(self):
        if self._nvrtc is None:
            path = library_path("nvrtc")
            self._nvrtc = self.ffi.dlopen(path)
        return self._nvrtc


_LIBS = _Libraries()


def _error_name(code):
    ffi, driver = _LIBS.ffi, _LIBS.driver
    name, text = ffi.new("const char **"), ffi.new("const char **")
    if driver.cuGetErrorName(code, name) != CUDA_SUCCESS:
        return f"CUDA error {code}", "unknown error code"
    driver.cuGetErrorString(code, text)
    return ffi.string(name[0]).decode(), ffi.string(text[0]).decode() if text[0] else ""


def _check(code, what):
    """Raise :class:`CudaError` for a failed driver call ``what``."""
    if code != CUDA_SUCCESS:
        name, text = _error_name(code)
        raise CudaError(code, name, f"{what}: {text}")


# ---------------------------------------------------------------------------------------------
# Devices and contexts

_DEVICE_RE = re.compile(r"^(?:cuda|gpu)(\d*)$")


def device_ordinal(device="cuda"):
    """The GPU ordinal named by a device string: 'cuda' -> 0, 'cuda1' / 'gpu1' -> 1.

    >>> device_ordinal('cuda'), device_ordinal('cuda2'), device_ordinal('gpu1')
    (0, 2, 1)
    """
    match = _DEVICE_RE.match(str(device))
    if match is None:
        raise ValueError(f"not a CUDA device name: {device!r} (expected 'cuda' or 'cudaN')")
    return int(match.group(1) or 0)


_ORDINALS = {"cpu": 0}


def _selected():
    """Ordinal of the device ``config.device`` selects (0 when it selects the CPU)."""
    device = config.device
    ordinal = _ORDINALS.get(device)
    if ordinal is None:
        ordinal = _ORDINALS[device] = device_ordinal(device)
    return ordinal


class _State:
    """Driver initialisation (once per process) and the retained primary contexts."""

    def __init__(self):
        self.lock = threading.RLock()
        self.initialized = False
        self.failure = None
        self.count = 0
        self.contexts = {}  # ordinal -> CUcontext
        self.devices = {}  # ordinal -> CUdevice

    def initialize(self):
        if self.initialized:
            return
        with self.lock:
            if self.initialized:
                return
            if self.failure is not None:
                raise CudaUnavailableError(self.failure)
            try:
                self._initialize()
            except CudaUnavailableError as error:
                self.failure = str(error)
                raise

    def _initialize(self):
        driver = _LIBS.driver
        ffi = _LIBS.ffi
        version = ffi.new("int *")
        code = driver.cuInit(0)
        if code != CUDA_SUCCESS:
            name, text = _error_name(code)
            if code == CUDA_ERROR_NO_DEVICE:
                reason = "the NVIDIA driver is installed but finds no CUDA-capable GPU"
            elif code == CUDA_ERROR_INSUFFICIENT_DRIVER:
                reason = "the NVIDIA driver is older than the CUDA it was asked to serve"
            else:
                reason = "the NVIDIA driver could not be initialised"
            raise CudaUnavailableError(
                f"CUDA is unavailable: {reason} (cuInit returned {name}: {text}).")
        driver.cuDriverGetVersion(version)
        if version[0] < _MIN_DRIVER:
            raise CudaUnavailableError(
                f"CUDA is unavailable: the NVIDIA driver supports CUDA "
                f"{version[0] // 1000}.{version[0] % 1000 // 10}; arignote needs CUDA 11.2 or "
                "newer (stream-ordered allocation): update the driver.")
        count = ffi.new("int *")
        _check(driver.cuDeviceGetCount(count), "cuDeviceGetCount")
        if count[0] == 0:
            raise CudaUnavailableError(
                "CUDA is unavailable: the NVIDIA driver is installed but finds no GPU.")
        self.count = count[0]
        self.initialized = True

    def context(self, ordinal):
        """The retained primary context of ``ordinal`` (retained and configured once)."""
        context = self.contexts.get(ordinal)
        if context is not None:
            return context
        self.initialize()
        with self.lock:
            if ordinal in self.contexts:
                return self.contexts[ordinal]
            if not 0 <= ordinal < self.count:
                raise CudaUnavailableError(
                    f"CUDA device cuda{ordinal} does not exist: this machine has "
                    f"{self.count} GPU(s), cuda0 to cuda{self.count - 1}.")
            ffi, driver = _LIBS.ffi, _LIBS.driver
            device = ffi.new("CUdevice *")
            _check(driver.cuDeviceGet(device, ordinal), "cuDeviceGet")
            handle = ffi.new("CUcontext *")
            _check(driver.cuDevicePrimaryCtxRetain(handle, device[0]),
                   "cuDevicePrimaryCtxRetain")
            _check(driver.cuCtxSetCurrent(handle[0]), "cuCtxSetCurrent")
            supported = ffi.new("int *")
            _check(driver.cuDeviceGetAttribute(supported, _ATTRIBUTE_MEMORY_POOLS_SUPPORTED,
                                               device[0]), "cuDeviceGetAttribute")
            if not supported[0]:
                raise CudaUnavailableError(
                    f"CUDA device cuda{ordinal} does not support stream-ordered memory pools "
                    "(cuMemAllocAsync), which arignote needs.")
            # The pool's default release threshold (0) hands memory back to the driver at
            # every synchronisation, making the next allocation slow: keep it instead.
            pool = ffi.new("CUmemoryPool *")
            _check(driver.cuDeviceGetMemPool(pool, device[0]), "cuDeviceGetMemPool")
            threshold = ffi.new("unsigned long long *", 2**64 - 1)
            _check(driver.cuMemPoolSetAttribute(pool[0], _POOL_RELEASE_THRESHOLD, threshold),
                   "cuMemPoolSetAttribute")
            self.devices[ordinal] = device[0]
            self.contexts[ordinal] = handle[0]
            return handle[0]


_STATE = _State()


_THREAD = threading.local()


def _make_current(ordinal):
    """Make the primary context of ``ordinal`` current on this thread; return it."""
    context = _STATE.context(ordinal)
    driver = _LIBS.driver
    try:
        current = _THREAD.cell
    except AttributeError:
        current = _THREAD.cell = _LIBS.ffi.new("CUcontext *")
    driver.cuCtxGetCurrent(current)
    # Checked every time: another library (pycuda) may have pushed a context of its own.
    if current[0] != context:
        _check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent")
    return context


def available():
    """True when the driver loads, initialises, and sees at least one GPU.

    >>> isinstance(available(), bool)
    True
    """
    try:
        _STATE.initialize()
    except CudaUnavailableError:
        return False
    return True


def require(device="cuda"):
    """The ordinal of ``device`` ('cuda', 'cudaN'); CudaUnavailableError if it cannot be used.

    >>> require('cuda')  # doctest: +SKIP
    0
    """
    ordinal = device_ordinal(device)
    _STATE.context(ordinal)
    return ordinal


def context():
    """The CUcontext (an int) of the selected device, made current on the calling thread.

    It is the device's primary context, retained once per process.
    """
    return int(_LIBS.ffi.cast("uintptr_t", _make_current(_selected())))


def _device_handle(ordinal):
    _STATE.context(ordinal)
    return _STATE.devices[ordinal]


def compute_capability(device=None):
    """``(major, minor)`` of the selected GPU (or of ``device``); (9, 0) on an H200."""
    ordinal = _selected() if device is None else device_ordinal(device)
    handle = _device_handle(ordinal)
    ffi, driver = _LIBS.ffi, _LIBS.driver
    major, minor = ffi.new("int *"), ffi.new("int *")
    _check(driver.cuDeviceGetAttribute(major, _ATTRIBUTE_CC_MAJOR, handle), "cuDeviceGetAttribute")
    _check(driver.cuDeviceGetAttribute(minor, _ATTRIBUTE_CC_MINOR, handle), "cuDeviceGetAttribute")
    return major[0], minor[0]


def device_name(device=None):
    """The GPU's name as the driver reports it, e.g. 'NVIDIA H200'."""
    ordinal = _selected() if device is None else device_ordinal(device)
    handle = _device_handle(ordinal)
    ffi = _LIBS.ffi
    name = ffi.new("char[256]")
    _check(_LIBS.driver.cuDeviceGetName(name, 256, handle), "cuDeviceGetName")
    return ffi.string(name).decode()


def driver_version():
    """The CUDA version the driver supports, as ``(major, minor)``, e.g. (13, 0)."""
    _STATE.initialize()
    version = _LIBS.ffi.new("int *")
    _check(_LIBS.driver.cuDriverGetVersion(version), "cuDriverGetVersion")
    return version[0] // 1000, version[0] % 1000 // 10


def synchronize():
    """Wait for all work on every device this process uses; raises CudaError for a fault.

    A kernel fault (an illegal address, say) is reported by the next synchronising call;
    this is that call.  Without any GPU use so far it does nothing.
    """
    for ordinal in list(_STATE.contexts):
        _make_current(ordinal)
        _check(_LIBS.driver.cuCtxSynchronize(), "cuCtxSynchronize")


def _wait_for_stream(stream):
    """Make stream 0 wait for the work queued so far on ``stream`` (a foreign stream)."""
    ffi, driver = _LIBS.ffi, _LIBS.driver
    event = ffi.new("CUevent *")
    _check(driver.cuEventCreate(event, _EVENT_DISABLE_TIMING), "cuEventCreate")
    try:
        _check(driver.cuEventRecord(event[0], ffi.cast("CUstream", stream)), "cuEventRecord")
        _check(driver.cuStreamWaitEvent(ffi.NULL, event[0], 0), "cuStreamWaitEvent")
    finally:
        driver.cuEventDestroy_v2(event[0])


def _signal_stream(stream):
    """Make ``stream`` (a consumer's) wait for the work queued so far on stream 0."""
    ffi, driver = _LIBS.ffi, _LIBS.driver
    event = ffi.new("CUevent *")
    _check(driver.cuEventCreate(event, _EVENT_DISABLE_TIMING), "cuEventCreate")
    try:
        _check(driver.cuEventRecord(event[0], ffi.NULL), "cuEventRecord")
        _check(driver.cuStreamWaitEvent(ffi.cast("CUstream", stream), event[0], 0),
               "cuStreamWaitEvent")
    finally:
        driver.cuEventDestroy_v2(event[0])


# Stream values of the interop protocols that need no synchronisation with our stream 0:
# None / 0 / 1 name the legacy default stream itself, 2 the per-thread default stream (which
# synchronises with the legacy one), -1 asks for no synchronisation.
_SAME_ORDER_STREAMS = (None, -1, 0, 1, 2)


# ---------------------------------------------------------------------------------------------
# Memory


def _alloc(nbytes, ordinal, what="an array"):
    """``nbytes`` of device memory from the stream-ordered pool of ``ordinal``."""
    _make_current(ordinal)
    ffi, driver = _LIBS.ffi, _LIBS.driver
    pointer = ffi.new("CUdeviceptr *")
    code = driver.cuMemAllocAsync(pointer, nbytes, ffi.NULL)
    if code == CUDA_ERROR_OUT_OF_MEMORY:
        # Frees queued on stream 0 return memory only once they have run.
        driver.cuCtxSynchronize()
        code = driver.cuMemAllocAsync(pointer, nbytes, ffi.NULL)
    if code != CUDA_SUCCESS:
        free, total = ffi.new("size_t *"), ffi.new("size_t *")
        driver.cuMemGetInfo_v2(free, total)
    # A request beyond what the device has may come back as an invalid value, not as out of
    # memory: to the user both mean the same.
    if code == CUDA_ERROR_OUT_OF_MEMORY or (code != CUDA_SUCCESS and nbytes > free[0]):
        raise MemoryError(
            f"CUDA out of memory on cuda{ordinal}: cannot allocate {nbytes} bytes "
            f"({_human(nbytes)}) for {what}; {_human(free[0])} free of {_human(total[0])}")
    _check(code, f"cuMemAllocAsync({nbytes} bytes)")
    return int(pointer[0])


def _free(pointer, ordinal):
    _make_current(ordinal)
    _check(_LIBS.driver.cuMemFreeAsync(pointer, _LIBS.ffi.NULL), "cuMemFreeAsync")


def _human(nbytes):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024 or unit == "TiB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes} bytes"


def _copy_to_device(pointer, host, ordinal):
    """Copy the C-contiguous numpy array ``host`` to device memory at ``pointer``."""
    if host.nbytes:
        _make_current(ordinal)
        ffi = _LIBS.ffi
        _check(_LIBS.driver.cuMemcpyHtoD_v2(pointer, ffi.from_buffer(host), host.nbytes),
               "cuMemcpyHtoD")


def _copy_to_host(host, pointer, ordinal):
    """Copy ``host.nbytes`` bytes at device ``pointer`` into the C-contiguous ``host``."""
    if host.nbytes:
        _make_current(ordinal)
        ffi = _LIBS.ffi
        buffer = ffi.from_buffer(host, require_writable=True)
        _check(_LIBS.driver.cuMemcpyDtoH_v2(buffer, pointer, host.nbytes), "cuMemcpyDtoH")


def _copy_on_device(destination, source, nbytes, ordinal):
    if nbytes:
        _make_current(ordinal)
        _check(_LIBS.driver.cuMemcpyDtoD_v2(destination, source, nbytes), "cuMemcpyDtoD")


def _is_c_contiguous(shape, strides, itemsize):
    if any(size == 0 for size in shape):
        return True
    expected = itemsize
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True


def _extent(shape, strides, itemsize):
    """``(low, high)`` byte offsets spanned by an array (low <= 0 for negative strides)."""
    if any(size == 0 for size in shape):
        return 0, 0
    low = sum(stride * (size - 1) for size, stride in zip(shape, strides) if stride < 0)
    high = sum(stride * (size - 1) for size, stride in zip(shape, strides) if stride > 0)
    return low, high + itemsize


class DeviceArray:
    """An n-d array in GPU memory: a pointer, a shape, byte strides and a dtype.

    It owns its memory (allocated from the stream-ordered pool and freed on stream 0 when
    the array is collected) or keeps alive the ``owner`` of memory it views.  It exports
    ``__cuda_array_interface__`` (version 3) and DLPack, so CuPy, PyTorch, JAX and Numba
    take it without a copy; ``numpy.asarray(a)`` and ``a.get()`` copy it to the host.

    The attributes are plain slots, read directly by generated host modules.

    >>> a = DeviceArray.from_pointer(0x7f0000000000, (4, 5), 'float32', owner='test')
    >>> a.__cuda_array_interface__['shape'], a.__cuda_array_interface__['typestr']
    ((4, 5), '<f4')
    >>> a.__dlpack_device__()
    (2, 0)
    """

    __slots__ = ("ptr", "shape", "strides", "dtype", "size", "nbytes", "ndim", "device",
                 "_owner", "_owns", "__weakref__")

    @classmethod
    def from_pointer(cls, ptr, shape, dtype, strides=None, owner=None, device=None):
        """An array at device address ``ptr``; it frees ``ptr`` itself when ``owner`` is None.

        ``strides`` are in bytes (C-contiguous when omitted).  ``owner``, when given, is kept
        alive as long as the array (and so is the memory it owns).  ``device`` is the GPU
        ordinal (default: the selected device).  Nothing here calls the driver.
        """
        # Generated host modules wrap every device result with this: it stays lean.
        self = object.__new__(cls)
        if type(dtype) is not np.dtype:
            dtype = np.dtype(dtype)
        shape = tuple(map(int, shape))
        itemsize = dtype.itemsize
        size = 1
        if strides is None:
            contiguous = []
            step = itemsize
            for extent in reversed(shape):
                contiguous.append(step)
                step *= extent or 1
                size *= extent
            contiguous.reverse()
            strides = tuple(contiguous)
        else:
            strides = tuple(map(int, strides))
            if len(strides) != len(shape):
                raise ValueError(f"strides {strides} do not match shape {shape}")
            for extent in shape:
                size *= extent
        self.ptr = int(ptr)
        self.shape = shape
        self.dtype = dtype
        self.strides = strides
        self.size = size
        self.nbytes = size * itemsize
        self.ndim = len(shape)
        self.device = _selected() if device is None else int(device)
        self._owner = owner
        self._owns = owner is None and self.ptr != 0
        return self

    def __del__(self):
        if getattr(self, "_owns", False):  # False too for an instance never initialised
            self._owns = False
            try:
                _free(self.ptr, self.device)
            except Exception:  # interpreter shutdown, or a sticky fault already reported
                pass

    @property
    def c_contiguous(self):
        """True when the elements are laid out in C order without gaps."""
        return _is_c_contiguous(self.shape, self.strides, self.dtype.itemsize)

    def get(self):
        """A numpy copy of the array (waits for the work queued before it).

        >>> a = to_device(np.arange(3.0))  # doctest: +SKIP
        >>> a.get()  # doctest: +SKIP
        array([0., 1., 2.])
        """
        host = np.empty(self.shape, self.dtype)
        if self.nbytes == 0:
            return host
        if self.c_contiguous:
            _copy_to_host(host, self.ptr, self.device)
            return host
        # A strided array: copy the bytes it spans, then gather on the host.
        low, high = _extent(self.shape, self.strides, self.dtype.itemsize)
        span = np.empty(high - low, np.uint8)
        _copy_to_host(span, self.ptr + low, self.device)
        view = np.ndarray(self.shape, self.dtype, buffer=span, offset=-low,
                          strides=self.strides)
        host[...] = view
        return host

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError("a DeviceArray lives in GPU memory: numpy can only copy it "
                             "(copy=False is impossible)")
        host = self.get()
        return host if dtype is None else host.astype(dtype, copy=False)

    def copy(self):
        """A C-contiguous copy on the same device."""
        result = empty(self.shape, self.dtype, device=self.device)
        if self.c_contiguous:
            _copy_on_device(result.ptr, self.ptr, self.nbytes, self.device)
        else:
            _copy_to_device(result.ptr, self.get(), self.device)
        return result

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        # Pickles hold the values: device pointers mean nothing in another process.
        return _restore, (self.get(), self.device)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d DeviceArray")
        return self.shape[0]

    def __repr__(self):
        return (f"DeviceArray(shape={self.shape}, dtype={self.dtype.name}, "
                f"device='cuda{self.device}')")

    @property
    def __cuda_array_interface__(self):
        return {
            "shape": self.shape,
            "typestr": self.dtype.str,
            "descr": [("", self.dtype.str)],
            "data": (self.ptr, False),
            "strides": None if self.c_contiguous else self.strides,
            "version": 3,
            # Our work is queued on the legacy default stream: a consumer on another stream
            # must order itself after it.
            "stream": 1,
        }

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A ``"dltensor"`` PyCapsule viewing this array (DLPack's producer side).

        ``stream`` is the consumer's stream: unless it is ordered with the legacy default
        stream already, it is made to wait for the work queued here.
        """
        if dl_device is not None and tuple(dl_device) != self.__dlpack_device__():
            raise BufferError(f"cannot export a cuda{self.device} array to device {dl_device}")
        source = self.copy() if copy else self
        if stream not in _SAME_ORDER_STREAMS:
            _make_current(self.device)
            _signal_stream(stream)
        return cuda_dlpack.export(source, cuda_dlpack.KDL_CUDA, self.device)

    def __dlpack_device__(self):
        return cuda_dlpack.KDL_CUDA, self.device


def _restore(host, device):
    """Unpickle a DeviceArray: on its GPU if one is there, else on the host with a warning."""
    if available() and device < _STATE.count:
        return to_device(host, device=device)
    warnings.warn("unpickling a GPU array without a usable GPU: its value is restored as a "
                  "numpy array on the host", RuntimeWarning, stacklevel=2)
    return host


def empty(shape, dtype, device=None):
    """An uninitialised device array (allocated from the stream-ordered pool).

    >>> empty((2, 3), 'float32')  # doctest: +SKIP
    DeviceArray(shape=(2, 3), dtype=float32, device='cuda0')
    """
    shape = (int(shape),) if np.isscalar(shape) else tuple(int(size) for size in shape)
    dtype = np.dtype(dtype)
    if any(size < 0 for size in shape):
        raise ValueError(f"negative dimensions are not allowed: {shape}")
    ordinal = _selected() if device is None else int(device)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    what = f"a {shape} {dtype.name} array"
    pointer = _alloc(nbytes, ordinal, what) if nbytes else 0
    return DeviceArray.from_pointer(pointer, shape, dtype, device=ordinal)


def zeros(shape, dtype, device=None):
    """A device array of zeros.

    >>> zeros(3, 'float32').get()  # doctest: +SKIP
    array([0., 0., 0.], dtype=float32)
    """
    return fill_zeros(empty(shape, dtype, device))


def fill_zeros(array):
    """Set the bytes of the C-contiguous device ``array`` to zero (in place); return it."""
    if not array.c_contiguous:
        raise ValueError("fill_zeros needs a C-contiguous array")
    if array.nbytes:
        _make_current(array.device)
        _check(_LIBS.driver.cuMemsetD8_v2(array.ptr, 0, array.nbytes), "cuMemsetD8")
    return array


def to_device(obj, dtype=None, device=None):
    """A new device array holding a copy of ``obj`` (array-like, or another device array).

    >>> to_device([1.0, 2.0], dtype='float32').get()  # doctest: +SKIP
    array([1., 2.], dtype=float32)
    """
    view = as_device_array(obj)
    if view is not None and (dtype is None or np.dtype(dtype) == view.dtype) and (
            device is None or int(device) == view.device):
        return view.copy()
    host = view.get() if view is not None else obj
    host = np.asarray(host, dtype=dtype, order="C")  # ascontiguousarray makes 0-d 1-d
    if host.dtype.hasobject or host.dtype.kind not in "biufc":
        raise TypeError(f"cannot place {host.dtype} data on the GPU (numbers only)")
    result = empty(host.shape, host.dtype, device)
    _copy_to_device(result.ptr, host, result.device)
    return result


# ---------------------------------------------------------------------------------------------
# Interop

_HOST_TYPES = (np.ndarray, np.generic, int, float, complex, bool, list, tuple)


def is_device_array(obj):
    """True for arrays in GPU memory: DeviceArray, CAI objects, CUDA DLPack objects.

    >>> is_device_array(np.zeros(3))
    False
    """
    if isinstance(obj, DeviceArray):
        return True
    if isinstance(obj, _HOST_TYPES):
        return False
    if _cuda_array_interface(obj) is not None:
        return True
    try:
        return obj.__dlpack_device__()[0] in (cuda_dlpack.KDL_CUDA, cuda_dlpack.KDL_CUDA_MANAGED)
    except Exception:
        return False


def _cuda_array_interface(obj):
    try:
        return obj.__cuda_array_interface__
    except Exception:  # torch raises for CPU tensors, others AttributeError
        return None


def _pointer_device(pointer):
    """Ordinal of the GPU holding ``pointer``, asked of the driver only once it is running."""
    if pointer and _STATE.initialized:
        ffi = _LIBS.ffi
        ordinal = ffi.new("int *")
        if _LIBS.driver.cuPointerGetAttribute(ordinal, _POINTER_DEVICE_ORDINAL,
                                              pointer) == CUDA_SUCCESS:
            return ordinal[0]
    return _selected()


def as_device_array(obj):
    """A zero-copy DeviceArray view of a GPU array, or None for host data.

    Takes arignote's DeviceArray, anything with ``__cuda_array_interface__`` (CuPy, Numba,
    PyTorch, JAX, pycuda) and anything with DLPack on a CUDA device (including a bare
    ``"dltensor"`` capsule, which is consumed).  The view keeps ``obj`` alive.

    >>> as_device_array(np.zeros(3)) is None
    True
    """
    if isinstance(obj, DeviceArray):
        return obj
    if isinstance(obj, _HOST_TYPES):
        return None
    interface = _cuda_array_interface(obj)
    if interface is not None:
        return _from_interface(obj, interface)
    if type(obj).__name__ == "PyCapsule":
        return _from_capsule(obj)
    try:
        device_type = obj.__dlpack_device__()[0]
    except Exception:  # not a DLPack object
        return None
    if device_type not in (cuda_dlpack.KDL_CUDA, cuda_dlpack.KDL_CUDA_MANAGED):
        return None
    try:
        # We read on the legacy default stream: the producer orders its work before it.
        capsule = obj.__dlpack__(stream=1)
    except TypeError:
        capsule = obj.__dlpack__()
    return _from_capsule(capsule, keep=obj)


def _from_interface(obj, interface):
    if interface.get("mask") is not None:
        raise TypeError("masked __cuda_array_interface__ arrays are not supported")
    pointer = int(interface["data"][0] or 0)
    dtype = np.dtype(interface["typestr"])
    shape = tuple(interface["shape"])
    strides = interface.get("strides")
    stream = interface.get("stream") if interface.get("version", 0) >= 3 else None
    device = _pointer_device(pointer)
    if stream not in _SAME_ORDER_STREAMS:
        _make_current(device)
        _wait_for_stream(stream)
    return DeviceArray.from_pointer(pointer, shape, dtype, strides=strides, owner=obj,
                                    device=device)


def _from_capsule(capsule, keep=None):
    pointer, shape, strides, dtype, (device_type, device_id), owner = \
        cuda_dlpack.consume(capsule)
    if device_type not in (cuda_dlpack.KDL_CUDA, cuda_dlpack.KDL_CUDA_MANAGED):
        del owner  # hands the memory back to its producer
        raise TypeError(f"the DLPack tensor is on device type {device_type}, not CUDA")
    # The owner calls the producer's deleter; ``keep`` (the producer object) is not needed
    # for lifetime, but holding it makes the view's origin visible when debugging.
    return DeviceArray.from_pointer(pointer, shape, dtype, strides=strides,
                                    owner=(owner, keep), device=device_id)


def host_value(x):
    """``x`` on the host: device arrays are copied to numpy, anything else is returned as is.

    >>> host_value(np.arange(2))
    array([0, 1])
    """
    if isinstance(x, DeviceArray):
        return x.get()
    if isinstance(x, _HOST_TYPES):
        return x
    view = as_device_array(x)
    return x if view is None else view.get()


def device_value(x, like=None):
    """``x`` on the GPU: device arrays as zero-copy views, host data copied in.

    ``like`` (a DeviceArray, a numpy array or a dtype) gives the dtype (and, for a
    DeviceArray, the device) of the result; data of another dtype is converted.
    """
    dtype = None if like is None else np.dtype(getattr(like, "dtype", like))
    device = like.device if isinstance(like, DeviceArray) else None
    view = as_device_array(x)
    if view is not None and (dtype is None or view.dtype == dtype) and (
            device is None or view.device == device):
        return view
    return to_device(x if view is None else view, dtype=dtype, device=device)


# ---------------------------------------------------------------------------------------------
# Kernels loaded from Python (tests and tools; compiled functions load theirs in C)


class Kernel:
    """A ``__global__`` function of a cubin, launched on stream 0 from Python.

    ``kernel(grid, block, *arguments)``: DeviceArrays pass their pointer; numpy scalars pass
    as their C type (np.float32 -> float, np.int64 -> long long, ...); Python ints as
    ``long long`` and floats as ``double``.
    """

    _CTYPES = {"f4": "float", "f8": "double", "i4": "int", "i8": "long long",
               "u4": "unsigned int", "u8": "unsigned long long", "i2": "short", "i1": "char",
               "u1": "unsigned char", "b1": "unsigned char"}

    def __init__(self, cubin, name, device=None):
        self.device = _selected() if device is None else int(device)
        _make_current(self.device)
        ffi, driver = _LIBS.ffi, _LIBS.driver
        module = ffi.new("CUmodule *")
        image = ffi.from_buffer(bytes(cubin))
        _check(driver.cuModuleLoadData(module, image), "cuModuleLoadData")
        self._module = module[0]
        function = ffi.new("CUfunction *")
        _check(driver.cuModuleGetFunction(function, self._module, name.encode()),
               f"cuModuleGetFunction({name})")
        self._function = function[0]
        self.name = name

    def __call__(self, grid, block, *arguments, shared_bytes=0):
        ffi = _LIBS.ffi
        grid = tuple(grid) + (1,) * (3 - len(tuple(grid)))
        block = tuple(block) + (1,) * (3 - len(tuple(block)))
        cells = []
        for argument in arguments:
            if isinstance(argument, DeviceArray):
                cells.append(ffi.new("CUdeviceptr *", argument.ptr))
            elif isinstance(argument, np.generic):
                key = f"{argument.dtype.kind}{argument.dtype.itemsize}"
                cells.append(ffi.new(f"{self._CTYPES[key]} *", argument.item()))
            elif isinstance(argument, (bool, int)):
                cells.append(ffi.new("long long *", argument))
            elif isinstance(argument, float):
                cells.append(ffi.new("double *", argument))
            else:
                raise TypeError(f"cannot pass {type(argument).__name__} to kernel {self.name}")
        parameters = ffi.new("void *[]", [ffi.cast("void *", cell) for cell in cells] or [ffi.NULL])
        _make_current(self.device)
        _check(_LIBS.driver.cuLaunchKernel(self._function, *grid, *block, shared_bytes,
                                           ffi.NULL, parameters, ffi.NULL),
               f"cuLaunchKernel({self.name})")

    def __del__(self):
        try:
            _make_current(self.device)
            _LIBS.driver.cuModuleUnload(self._module)
        except Exception:  # interpreter shutdown
            pass


# ---------------------------------------------------------------------------------------------
# NVRTC

_CUBINS = {}  # cache key -> cubin bytes, for this process


def _nvrtc_check(code, what):
    if code != 0:
        text = _LIBS.ffi.string(_LIBS.nvrtc.nvrtcGetErrorString(code)).decode()
        raise CudaError(code, text, what)


@functools.lru_cache(maxsize=None)
def nvrtc_version():
    """``(major, minor)`` of the NVRTC library in use, e.g. (13, 0).

    >>> nvrtc_version()  # doctest: +SKIP
    (13, 0)
    """
    ffi = _LIBS.ffi
    major, minor = ffi.new("int *"), ffi.new("int *")
    _nvrtc_check(_LIBS.nvrtc.nvrtcVersion(major, minor), "nvrtcVersion")
    return major[0], minor[0]


@functools.lru_cache(maxsize=None)
def nvrtc_architectures():
    """The ``sm_XX`` architectures this NVRTC can compile for, e.g. ``['sm_75', ..., 'sm_120']``."""
    ffi, nvrtc = _LIBS.ffi, _LIBS.nvrtc
    count = ffi.new("int *")
    _nvrtc_check(nvrtc.nvrtcGetNumSupportedArchs(count), "nvrtcGetNumSupportedArchs")
    archs = ffi.new("int[]", count[0])
    _nvrtc_check(nvrtc.nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs")
    return [f"sm_{arch}" for arch in archs]


def _kernels_digest():
    """Digest of the hand-written CUDA/C headers that generated code may #include."""
    digest = hashlib.sha256()
    for name in sorted(os.listdir(KERNELS_DIR)):
        if name.endswith((".h", ".cuh", ".cu")):
            with open(os.path.join(KERNELS_DIR, name), "rb") as handle:
                digest.update(name.encode() + b"\0" + handle.read())
    return digest.hexdigest()


def nvrtc_options(arch, options=()):
    """The full NVRTC command line for ``arch``: what :func:`nvrtc_compile` passes."""
    includes = [f"-I{KERNELS_DIR}"] + [f"-I{path}" for path in include_dirs()]
    return [f"--gpu-architecture={arch}", "-default-device", "--std=c++17", *includes,
            *options]


def cubin_key(source, arch, options=()):
    """The cache key of a cubin: SHA-256 of the source, arch, NVRTC version and options."""
    digest = hashlib.sha256()
    for part in (source, arch, ".".join(map(str, nvrtc_version())),
                 "\0".join(nvrtc_options(arch, options)), _kernels_digest()):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def numbered(source):
    """``source`` with line numbers, as compile errors show it."""
    return "\n".join(f"{number:5d}  {line}" for number, line in
                     enumerate(source.splitlines(), start=1))


def nvrtc_compile(source, arch=None, options=()):
    """Compile CUDA ``source`` with NVRTC to a cubin (bytes) for ``arch`` ('sm_90', ...).

    ``arch`` defaults to the selected GPU's.  Headers of ``arignote/kernels`` and of the
    NVIDIA wheels are on the include path.  Cubins are cached in the compile cache
    (key: :func:`cubin_key`); a failure raises ``CompileError`` with NVRTC's log and the
    numbered source.

    >>> cubin = nvrtc_compile('__global__ void k(float *x) { x[0] = 1.0f; }', 'sm_90')
    ... # doctest: +SKIP
    >>> cubin[:4]  # doctest: +SKIP
    b'\\x7fELF'
    """
    if arch is None:
        major, minor = compute_capability()
        arch = f"sm_{major}{minor}"
    if not re.fullmatch(r"sm_\d+[af]?", arch):
        raise ValueError(f"arch must name a real architecture such as 'sm_90'; got {arch!r}")
    options = tuple(options)
    key = cubin_key(source, arch, options)
    cubin = _CUBINS.get(key)
    if cubin is not None:
        return cubin
    cubin = _read_cached(key)
    if cubin is None:
        cubin = _compile(source, arch, options)
        _write_cached(key, cubin, arch)
    _CUBINS[key] = cubin
    return cubin


def _compile(source, arch, options):
    ffi, nvrtc = _LIBS.ffi, _LIBS.nvrtc
    program = ffi.new("nvrtcProgram *")
    _nvrtc_check(nvrtc.nvrtcCreateProgram(program, source.encode(), b"arignote.cu", 0,
                                          ffi.NULL, ffi.NULL), "nvrtcCreateProgram")
    try:
        arguments = [ffi.new("char[]", option.encode()) for option in
                     nvrtc_options(arch, options)]
        code = nvrtc.nvrtcCompileProgram(program[0], len(arguments),
                                         ffi.new("char *[]", arguments))
        if code != 0:
            size = ffi.new("size_t *")
            nvrtc.nvrtcGetProgramLogSize(program[0], size)
            log = ffi.new("char[]", max(size[0], 1))
            nvrtc.nvrtcGetProgramLog(program[0], log)
            reason = ffi.string(nvrtc.nvrtcGetErrorString(code)).decode()
            raise CompileError(
                f"NVRTC {'.'.join(map(str, nvrtc_version()))} could not compile the CUDA "
                f"source for {arch} ({reason}):\n{ffi.string(log).decode(errors='replace')}\n"
                f"options: {' '.join(nvrtc_options(arch, options))}\n"
                f"source:\n{numbered(source)}")
        size = ffi.new("size_t *")
        _nvrtc_check(nvrtc.nvrtcGetCUBINSize(program[0], size), "nvrtcGetCUBINSize")
        cubin = ffi.new("char[]", size[0])
        _nvrtc_check(nvrtc.nvrtcGetCUBIN(program[0], cubin), "nvrtcGetCUBIN")
        return bytes(ffi.buffer(cubin, size[0]))
    finally:
        nvrtc.nvrtcDestroyProgram(program)


# Cubins share the compile cache with C modules: an entry is a directory named by the key
# holding the cubin and a meta.json with its SHA-256, so runtime/cache.py verifies, lists,
# evicts and clears both kinds alike.
_CUBIN_FILE = "kernels.cubin"


def _read_cached(key):
    from . import cache
    entry = cache._entry_dir(cache.cache_root(), key)
    if not cache._valid(entry, key):
        return None
    path = os.path.join(entry, _CUBIN_FILE)
    try:
        with open(path, "rb") as handle:
            cubin = handle.read()
        os.utime(os.path.join(entry, "meta.json"))
    except OSError:
        return None
    return cubin


def _write_cached(key, cubin, arch):
    from . import cache
    root = cache.ensure_root()
    entry = cache._entry_dir(root, key)
    os.makedirs(os.path.dirname(entry), mode=0o700, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="build-", dir=os.path.dirname(entry))
    try:
        with open(os.path.join(scratch, _CUBIN_FILE), "wb") as handle:
            handle.write(cubin)
        meta = {"key": key, "module": _CUBIN_FILE,
                "sha256": hashlib.sha256(cubin).hexdigest(), "created": time.time(),
                "compiler": f"nvrtc {'.'.join(map(str, nvrtc_version()))}", "arch": arch}
        with open(os.path.join(scratch, "meta.json"), "w", encoding="utf-8") as handle:
            json.dump(meta, handle)
        if os.path.exists(entry) and not cache._valid(entry, key):
            cache._discard(entry)
        try:
            os.rename(scratch, entry)
        except OSError:
            pass  # another process stored the same cubin first: identical bytes
    finally:
        if os.path.isdir(scratch):
            shutil.rmtree(scratch, ignore_errors=True)
