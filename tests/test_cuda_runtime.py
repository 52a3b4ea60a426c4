"""The CUDA runtime (runtime/cuda.py): libraries, NVRTC, device arrays, interop, GPU shared
variables.

Three kinds of tests:

- no driver needed: library discovery and its messages, config flags, NVRTC compiling for
  sm_90 (NVRTC runs without a GPU), the cubin cache, the interop descriptors of a
  DeviceArray built on a pointer that is never dereferenced;
- the ``gpu`` fixture runs the same tests twice: on ``fake``, a stand-in driver compiled
  from ``fake_cuda_driver.c`` whose "device memory" is host memory (so the runtime's own
  logic runs everywhere), and on ``real``, the GPU (marked ``cuda``: skipped without one);
- GPU only (``cuda``): kernels compiled by NVRTC and launched, CuPy and PyTorch interop.
"""

import ctypes
import gc
import os
import pickle
import shutil
import subprocess
import weakref

import numpy as np
import pytest

import arignote
from arignote.configparser import Config, config
from arignote.runtime import cache, cuda, cuda_dlpack
from arignote.runtime.build import KERNELS_DIR, CompileError
from arignote.runtime.shared import GpuArraySharedVariable, TensorSharedVariable

from .conftest import requires_gpu

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_POINTER = 0x7F0000000000  # never dereferenced: no driver is called in those tests
ALL_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
              "float16", "float32", "float64", "complex64", "complex128"]


def _nvrtc_installed():
    try:
        cuda.library_path("nvrtc")
    except cuda.CudaUnavailableError:
        return False
    return True


needs_nvrtc = pytest.mark.skipif(not _nvrtc_installed(),
                                 reason="NVRTC (nvidia-cuda-nvrtc wheel) not installed")


@pytest.fixture
def no_driver(monkeypatch):
    """A process in which libcuda cannot be found (fresh runtime state)."""
    monkeypatch.setitem(cuda._LIBRARIES, "cuda", ((), ("libcuda-absent.so.1",), None))
    monkeypatch.setattr(cuda, "_STATE", cuda._State())
    libraries = cuda._Libraries()
    monkeypatch.setattr(cuda, "_LIBS", libraries)
    cuda.library_path.cache_clear()
    yield
    cuda.library_path.cache_clear()


@pytest.fixture(scope="session")
def fake_driver_path(tmp_path_factory):
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the fake driver")
    path = str(tmp_path_factory.mktemp("fakecuda") / "libcuda.so.1")
    # -Bsymbolic: the fake's own counters, whatever else the process has loaded.
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-Wl,-Bsymbolic",
                    os.path.join(HERE, "fake_cuda_driver.c"), "-o", path], check=True,
                   capture_output=True)
    return path


class _Counters:
    """The fake driver's call counters (None on the real GPU)."""

    def __init__(self, path):
        self.library = ctypes.CDLL(path) if path else None

    def __getitem__(self, name):
        if self.library is None:
            return None
        return ctypes.c_long.in_dll(self.library, f"fake_{name}").value


@pytest.fixture(params=["fake", pytest.param("real", marks=requires_gpu)])
def gpu(request, monkeypatch):
    """The runtime on the fake driver, or on the real GPU; yields the fake's counters."""
    monkeypatch.setattr(config, "device", "cuda")
    monkeypatch.setattr(config, "compiledir", str(request.getfixturevalue("tmp_path")))
    if request.param == "real":
        yield _Counters(None)
        cuda.synchronize()
        return
    fake_driver_path = request.getfixturevalue("fake_driver_path")
    original = cuda.library_path
    monkeypatch.setattr(cuda, "library_path",
                        lambda name: fake_driver_path if name == "cuda" else original(name))
    libraries = cuda._Libraries()
    libraries._ffi = cuda._LIBS.ffi  # the declarations are parsed once per process
    monkeypatch.setattr(cuda, "_LIBS", libraries)
    monkeypatch.setattr(cuda, "_STATE", cuda._State())
    yield _Counters(fake_driver_path)
    gc.collect()  # arrays on fake memory are freed by the fake driver, not the real one


# ---------------------------------------------------------------------------------------------
# Libraries and messages (no driver)


def test_missing_driver_says_so(no_driver):
    assert cuda.available() is False
    with pytest.raises(cuda.CudaUnavailableError, match="libcuda.so.1 could not be loaded"):
        cuda.require("cuda")
    with pytest.raises(cuda.CudaUnavailableError, match="comes with the NVIDIA driver"):
        cuda.context()


def test_missing_wheel_names_the_pip_package(monkeypatch, tmp_path):
    monkeypatch.setattr(cuda, "_nvidia_roots", lambda: [str(tmp_path)])
    monkeypatch.setitem(cuda._LIBRARIES, "cublas",
                        (cuda._LIBRARIES["cublas"][0], ("libcublas-absent.so",), "nvidia-cublas"))
    cuda.library_path.cache_clear()
    try:
        with pytest.raises(cuda.CudaUnavailableError) as error:
            cuda.library_path("cublas")
    finally:
        cuda.library_path.cache_clear()
    message = str(error.value)
    assert "pip install 'arignote[cuda]'" in message and "nvidia-cublas" in message
    assert str(tmp_path) in message
    with pytest.raises(ValueError, match="unknown CUDA library"):
        cuda.library_path("cufft")


def test_libraries_are_found_in_both_wheel_layouts(monkeypatch, tmp_path):
    # CUDA 13 wheels share nvidia/cu13/lib; CUDA 12 wheels have one directory per package.
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build stand-in libraries")
    (tmp_path / "empty.c").write_text("int arignote_test_stand_in(void) { return 1; }\n")
    old = tmp_path / "old" / "cuda_nvrtc" / "lib"
    new = tmp_path / "new" / "cu13" / "lib"
    old.mkdir(parents=True)
    new.mkdir(parents=True)
    for target in (old / "libnvrtc.so.12", new / "libnvrtc.so.13",
                   new / "libnvrtc-builtins.so.13.0"):
        subprocess.run([compiler, "-shared", "-fPIC", str(tmp_path / "empty.c"), "-o",
                        str(target)], check=True, capture_output=True)
    try:
        for root, expected in ((tmp_path / "old", old / "libnvrtc.so.12"),
                               (tmp_path / "new", new / "libnvrtc.so.13")):
            monkeypatch.setattr(cuda, "_nvidia_roots", lambda root=root: [str(root)])
            cuda.library_path.cache_clear()
            assert cuda.library_path("nvrtc") == str(expected)
    finally:
        cuda.library_path.cache_clear()


@needs_nvrtc
def test_nvrtc_is_found_in_the_nvidia_wheel():
    path = cuda.library_path("nvrtc")
    assert any(path.startswith(root) for root in cuda._nvidia_roots()), path
    assert cuda.nvrtc_version() >= (12, 0)
    assert "sm_90" in cuda.nvrtc_architectures()


def test_device_flags():
    assert Config({"ARIGNOTE_FLAGS": "device=cuda"}).device == "cuda"
    assert Config({"THEANO_FLAGS": "device=gpu1,floatX=float32"}).device == "cuda1"
    assert Config({"THEANO_FLAGS": "device=cuda1", "ARIGNOTE_FLAGS": "device=cpu"}).device == "cpu"
    assert Config({"THEANO_FLAGS": "device=gpu"}).device == "cuda"
    with pytest.raises(ValueError, match="'cpu', 'cuda' or 'cudaN'"):
        Config({"ARIGNOTE_FLAGS": "device=cuda-1"})
    with pytest.raises(ValueError):
        Config({"ARIGNOTE_FLAGS": "device=opencl"})
    assert [cuda.device_ordinal(name) for name in ("cuda", "cuda0", "cuda3", "gpu2")] == \
        [0, 0, 3, 2]
    with pytest.raises(ValueError, match="not a CUDA device name"):
        cuda.device_ordinal("cpu")


def test_selecting_cuda_without_a_gpu_fails_at_first_use(no_driver, monkeypatch):
    monkeypatch.setattr(config, "device", "cuda")  # selecting it checks nothing yet
    assert arignote.shared(np.ones(3)).type.dtype == "float64"  # float64 stays on the host
    with pytest.raises(cuda.CudaUnavailableError, match="NVIDIA driver"):
        arignote.shared(np.ones(3, dtype="float32"))
    with pytest.raises(cuda.CudaUnavailableError, match="NVIDIA driver"):
        cuda.to_device(np.ones(3))
    with pytest.raises(cuda.CudaUnavailableError, match="NVIDIA driver"):
        cuda.nvrtc_compile("__global__ void k() {}")  # no arch: the GPU's is needed
    # The host path is untouched: target='cpu' and device=cpu keep float32 on the host.
    assert isinstance(arignote.shared(np.ones(3, "float32"), target="cpu"), TensorSharedVariable)
    monkeypatch.setattr(config, "device", "cpu")
    assert not isinstance(arignote.shared(np.ones(3, "float32")), GpuArraySharedVariable)


# ---------------------------------------------------------------------------------------------
# NVRTC (no GPU needed)

KERNEL = r"""
#include "test_kernel.cuh"
extern "C" __global__ void add_one(float *x, long long n) {
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = plus_one(x[i]);
}
"""


@pytest.fixture
def kernel_dir(tmp_path):
    (tmp_path / "test_kernel.cuh").write_text(
        "__device__ inline float plus_one(float v) { return v + 1.0f; }\n")
    return tmp_path


@needs_nvrtc
def test_nvrtc_compiles_a_cubin_for_sm90(kernel_dir, monkeypatch, tmp_path):
    monkeypatch.setattr(config, "compiledir", str(tmp_path / "cache"))
    cubin = cuda.nvrtc_compile(KERNEL, "sm_90", options=[f"-I{kernel_dir}"])
    assert cubin[:4] == b"\x7fELF"
    assert b"add_one" in cubin
    options = cuda.nvrtc_options("sm_90")
    assert "--gpu-architecture=sm_90" in options and f"-I{KERNELS_DIR}" in options
    assert "-default-device" in options and "--std=c++17" in options


@needs_nvrtc
def test_cubin_cache_hit_and_corruption(kernel_dir, monkeypatch, tmp_path):
    monkeypatch.setattr(config, "compiledir", str(tmp_path / "cache"))
    options = [f"-I{kernel_dir}"]
    first = cuda.nvrtc_compile(KERNEL, "sm_90", options)
    key = cuda.cubin_key(KERNEL, "sm_90", options)
    assert [os.path.basename(entry) for entry, _, _ in cache.entries()] == [key]
    # A new process: nothing in memory, the cubin comes from disk without compiling.
    monkeypatch.setattr(cuda, "_CUBINS", {})
    compiled = []
    real_compile = cuda._compile
    monkeypatch.setattr(cuda, "_compile", lambda *a: compiled.append(a) or real_compile(*a))
    assert cuda.nvrtc_compile(KERNEL, "sm_90", options) == first
    assert compiled == []
    # Another arch or other options are other entries.
    assert cuda.cubin_key(KERNEL, "sm_80", options) != key
    assert cuda.cubin_key(KERNEL, "sm_90", options + ["-lineinfo"]) != key
    # A corrupt cubin fails its checksum and is rebuilt.
    entry = cache._entry_dir(cache.cache_root(), key)
    with open(os.path.join(entry, cuda._CUBIN_FILE), "r+b") as handle:
        handle.write(b"garbage")
    monkeypatch.setattr(cuda, "_CUBINS", {})
    assert cuda.nvrtc_compile(KERNEL, "sm_90", options) == first
    assert len(compiled) == 1


@needs_nvrtc
def test_nvrtc_errors_carry_the_log_and_numbered_source(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "compiledir", str(tmp_path))
    source = "// line one\n__global__ void k(float *x) { x[0] = undefined_name; }\n"
    with pytest.raises(CompileError) as error:
        cuda.nvrtc_compile(source, "sm_90")
    message = str(error.value)
    assert "undefined_name" in message and "sm_90" in message
    assert "    2  __global__ void k" in message
    assert cache.entries() == []
    with pytest.raises(ValueError, match="real architecture"):
        cuda.nvrtc_compile(source, "compute_90")


# ---------------------------------------------------------------------------------------------
# Interop descriptors on a fake pointer (no driver)


def test_cuda_array_interface_contents():
    array = cuda.DeviceArray.from_pointer(FAKE_POINTER, (4, 5), "float32", owner="test")
    interface = array.__cuda_array_interface__
    assert interface == {"shape": (4, 5), "typestr": "<f4", "descr": [("", "<f4")],
                         "data": (FAKE_POINTER, False), "strides": None, "version": 3,
                         "stream": 1}
    transposed = cuda.DeviceArray.from_pointer(FAKE_POINTER, (5, 4), "float64",
                                               strides=(8, 40), owner=array)
    assert not transposed.c_contiguous
    assert transposed.__cuda_array_interface__["strides"] == (8, 40)
    assert transposed.__cuda_array_interface__["typestr"] == "<f8"
    scalar = cuda.DeviceArray.from_pointer(FAKE_POINTER, (), "int64", owner="test")
    assert scalar.__cuda_array_interface__["shape"] == () and scalar.size == 1
    assert (scalar.nbytes, scalar.ndim, scalar.strides) == (8, 0, ())
    assert cuda.is_device_array(array) and not cuda.is_device_array(np.zeros(2))
    assert repr(array) == "DeviceArray(shape=(4, 5), dtype=float32, device='cuda0')"
    with pytest.raises(ValueError, match="copy=False"):
        np.asarray(array, copy=False) if np.__version__ >= "2" else array.__array__(copy=False)


def _read_capsule(capsule):
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    address = get_pointer(capsule, b"dltensor")
    return cuda_dlpack.DLManagedTensor.from_address(address).dl_tensor


def test_dlpack_export_contents():
    owner = np.zeros(1)
    array = cuda.DeviceArray.from_pointer(FAKE_POINTER, (3, 4), "int16", strides=(2, 6),
                                          owner=owner, device=1)
    assert array.__dlpack_device__() == (2, 1)
    alive = weakref.ref(array)
    capsule = array.__dlpack__()
    tensor = _read_capsule(capsule)
    assert tensor.data == FAKE_POINTER and tensor.byte_offset == 0
    assert (tensor.device.device_type, tensor.device.device_id) == (2, 1)
    assert tensor.ndim == 2
    assert (tensor.dtype.code, tensor.dtype.bits, tensor.dtype.lanes) == (0, 16, 1)
    assert [tensor.shape[i] for i in range(2)] == [3, 4]
    assert [tensor.strides[i] for i in range(2)] == [1, 3]  # DLPack counts elements
    del array
    gc.collect()
    assert alive() is not None  # the capsule keeps the array alive ...
    del capsule, tensor
    gc.collect()
    assert alive() is None  # ... and releases it when it dies unconsumed


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_dlpack_round_trip_without_copy(dtype):
    producer = cuda.DeviceArray.from_pointer(FAKE_POINTER, (2, 3), dtype, owner="memory")
    exported = {"array": producer}

    class Foreign:  # another library's array exporting DLPack only
        def __dlpack__(self, stream=None):
            assert stream == 1  # we read on the legacy default stream
            return exported["array"].__dlpack__(stream=stream)

        def __dlpack_device__(self):
            return exported["array"].__dlpack_device__()

    alive = weakref.ref(producer)
    view = cuda.as_device_array(Foreign())
    assert (view.ptr, view.shape, view.strides, view.dtype) == (
        FAKE_POINTER, (2, 3), producer.strides, np.dtype(dtype))
    exported.clear()
    del producer
    gc.collect()
    assert alive() is not None  # the view holds the producer through DLPack's deleter
    del view
    gc.collect()
    assert alive() is None and not cuda_dlpack._EXPORTS


def test_bare_capsules_are_consumed_once():
    producer = cuda.DeviceArray.from_pointer(FAKE_POINTER, (5,), "float32", owner="memory")
    capsule = producer.__dlpack__()
    view = cuda.as_device_array(capsule)
    assert view.ptr == FAKE_POINTER
    assert "used_dltensor" in repr(capsule)
    with pytest.raises(ValueError, match="consumed once"):
        cuda.as_device_array(capsule)
    del view, producer
    gc.collect()
    assert not cuda_dlpack._EXPORTS


def test_versioned_capsules_of_other_producers():
    # A DLPack 1.0 producer written here in ctypes: its deleter must run exactly once, when
    # the view dies.
    deleted = []
    deleter = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(deleted.append)
    managed = cuda_dlpack.DLManagedTensorVersioned()
    managed.version = cuda_dlpack.DLPackVersion(1, 0)
    managed.deleter = ctypes.cast(deleter, ctypes.c_void_p).value
    shape = (ctypes.c_int64 * 2)(3, 4)
    tensor = managed.dl_tensor
    tensor.data, tensor.byte_offset = FAKE_POINTER, 64
    tensor.device = cuda_dlpack.DLDevice(cuda_dlpack.KDL_CUDA, 0)
    tensor.ndim = 2
    tensor.dtype = cuda_dlpack.DLDataType(2, 64, 1)
    tensor.shape = ctypes.cast(shape, ctypes.POINTER(ctypes.c_int64))
    new_capsule = ctypes.pythonapi.PyCapsule_New
    new_capsule.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    new_capsule.restype = ctypes.py_object
    capsule = new_capsule(ctypes.addressof(managed), b"dltensor_versioned", None)
    view = cuda.as_device_array(capsule)
    assert (view.ptr, view.shape, view.strides, view.dtype) == (
        FAKE_POINTER + 64, (3, 4), (32, 8), np.dtype("float64"))  # no strides: C order
    assert "used_dltensor_versioned" in repr(capsule)
    assert deleted == []
    del view
    gc.collect()
    assert deleted == [ctypes.addressof(managed)]


def test_host_data_is_not_a_device_array():
    host = np.arange(6.0)
    assert cuda.as_device_array(host) is None
    assert cuda.as_device_array([1, 2]) is None
    assert cuda.host_value(host) is host
    with pytest.raises(TypeError, match="not CUDA"):  # a CPU DLPack capsule
        cuda.as_device_array(host.__dlpack__())
    with pytest.raises(BufferError, match="no type"):
        cuda_dlpack.dlpack_dtype(np.dtype("datetime64[s]"))
    with pytest.raises(TypeError, match="bfloat16"):
        cuda_dlpack.numpy_dtype(4, 16)


# ---------------------------------------------------------------------------------------------
# The runtime on a driver: the fake one everywhere, the real GPU where there is one


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_transfers_round_trip(gpu, dtype):
    rng = np.random.default_rng(0)
    host = (rng.standard_normal((3, 5)) * 100).astype(dtype)
    if np.dtype(dtype).kind == "c":
        host = host + 1j * host[::-1]
    device = cuda.to_device(host)
    assert (device.shape, device.dtype, device.strides) == (host.shape, host.dtype, host.strides)
    np.testing.assert_array_equal(device.get(), host)
    np.testing.assert_array_equal(np.asarray(device), host)
    np.testing.assert_array_equal(device.copy().get(), host)
    scalar = cuda.to_device(host[1, 2])
    assert scalar.shape == () and scalar.get() == host[1, 2]
    empty = cuda.to_device(host[:0])
    assert empty.shape == (0, 5) and empty.ptr == 0 and empty.get().shape == (0, 5)


def test_strided_arrays(gpu):
    host = np.arange(60, dtype="float32").reshape(3, 4, 5)
    for view in (host[:, ::2, 1:], host.transpose(2, 0, 1), host[::-1, :, ::-2], host[1]):
        np.testing.assert_array_equal(cuda.to_device(view).get(), view)  # copied in contiguous
    device = cuda.to_device(host)
    # Strided device views (as other libraries hand over): read back through their extent.
    itemsize = 4
    reversed_view = cuda.DeviceArray.from_pointer(
        device.ptr + (host.size - 1) * itemsize, (3, 4, 5), "float32",
        strides=(-80, -20, -4), owner=device)
    np.testing.assert_array_equal(reversed_view.get(), host[::-1, ::-1, ::-1])
    columns = cuda.DeviceArray.from_pointer(device.ptr + 2 * itemsize, (3, 4), "float32",
                                            strides=(80, 20), owner=device)
    np.testing.assert_array_equal(columns.get(), host[:, :, 2])
    copied = columns.copy()
    assert copied.c_contiguous and copied.ptr != columns.ptr
    np.testing.assert_array_equal(copied.get(), host[:, :, 2])


def test_memory_is_pooled_and_freed(gpu):
    before = (gpu["allocs"], gpu["frees"])
    array = cuda.empty((1000,), "float32")
    view = cuda.DeviceArray.from_pointer(array.ptr, (10,), "float32", owner=array)
    del array
    gc.collect()
    if gpu.library is not None:
        assert gpu["allocs"] == before[0] + 1 and gpu["frees"] == before[1]  # the view holds it
        assert gpu["threshold_set"] == 1  # the pool keeps freed memory for reuse
    del view
    gc.collect()
    if gpu.library is not None:
        assert gpu["frees"] == before[1] + 1
    assert cuda.zeros((2, 3), "int32").get().tolist() == [[0, 0, 0], [0, 0, 0]]
    assert isinstance(cuda.context(), int) and cuda.context() != 0
    assert cuda.require("cuda") == 0
    assert cuda.available()
    major, _ = cuda.compute_capability()
    assert major >= 7
    assert cuda.device_name()


def test_out_of_memory_names_the_size(gpu):
    elements = 2**42 + 3  # 16 TiB of float32: more than any GPU has
    with pytest.raises(MemoryError, match=f"cannot allocate {elements * 4} bytes") as error:
        cuda.empty((elements,), "float32")
    assert "out of memory on cuda0" in str(error.value)
    assert cuda.to_device(np.ones(3)).get().sum() == 3  # the device is still usable


def test_foreign_streams_are_ordered(gpu):
    device = cuda.to_device(np.arange(4.0))

    class Foreign:  # a producer that works on a stream of its own
        __cuda_array_interface__ = dict(device.__cuda_array_interface__, stream=2)

    waits = gpu["waits"]
    view = cuda.as_device_array(Foreign())
    assert view.ptr == device.ptr and gpu["waits"] == waits  # per-thread stream: ordered
    if gpu.library is not None:
        stream_handle = ctypes.addressof(ctypes.c_int(0))  # a stream the fake never reads

        class OnOwnStream:
            __cuda_array_interface__ = dict(device.__cuda_array_interface__,
                                            stream=stream_handle)

        cuda.as_device_array(OnOwnStream())
        assert gpu["waits"] == waits + 1
        device.__dlpack__(stream=stream_handle)
        assert gpu["waits"] == waits + 2


def test_host_and_device_values(gpu):
    host = np.arange(5, dtype="float32")
    device = cuda.device_value(host)
    assert isinstance(device, cuda.DeviceArray)
    assert cuda.device_value(device) is device
    np.testing.assert_array_equal(cuda.host_value(device), host)
    as_double = cuda.device_value(device, like=np.zeros(1))
    assert as_double.dtype == np.float64 and as_double.get().tolist() == host.tolist()
    assert cuda.device_value([1, 2], like=device).dtype == np.float32


def test_kernel_arguments(gpu):
    if gpu.library is None:
        pytest.skip("the real launch is test_nvrtc_kernel_runs")
    device = cuda.zeros(4, "float32")
    kernel = cuda.Kernel(b"FAKE cubin", "k")
    kernel((5,), (128,), device, np.float64(1.5), 7)
    assert (gpu["launches"], gpu["grid_x"], gpu["block_x"]) == (1, 5, 128)
    parameters = (ctypes.c_uint64 * 3).in_dll(gpu.library, "fake_parameters")
    assert parameters[0] == device.ptr
    assert parameters[1] == np.float64(1.5).view(np.uint64)
    assert parameters[2] == 7
    with pytest.raises(TypeError, match="cannot pass str"):
        kernel((1,), (1,), "text")


def test_driver_errors_are_python_errors(gpu):
    with pytest.raises(cuda.CudaError) as error:
        cuda.Kernel(b"not a cubin", "k")
    assert error.value.name.startswith("CUDA_ERROR_") and error.value.code != 0
    assert "cuModuleLoadData" in str(error.value)


def test_pickled_device_arrays_hold_values(gpu):
    device = cuda.to_device(np.arange(6, dtype="int32").reshape(2, 3))
    restored = pickle.loads(pickle.dumps(device))
    assert isinstance(restored, cuda.DeviceArray) and restored.ptr != device.ptr
    np.testing.assert_array_equal(restored.get(), device.get())


# ---------------------------------------------------------------------------------------------
# GPU shared variables


def test_float32_shared_variables_live_on_the_gpu(gpu):
    value = np.arange(6, dtype="float32").reshape(2, 3)
    w = arignote.shared(value, name="w")
    assert isinstance(w, GpuArraySharedVariable) and w.type.dtype == "float32"
    internal = w.get_value(borrow=True, return_internal_type=True)
    assert isinstance(internal, cuda.DeviceArray)
    assert isinstance(w.container.storage[0], cuda.DeviceArray)
    assert w.get_value(return_internal_type=True).ptr != internal.ptr  # a copy
    got = w.get_value()
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, value)
    got[0, 0] = 100  # a copy: the variable does not change
    assert w.get_value()[0, 0] == 0
    # Theano 1.0's rule: other dtypes stay on the host, unless sent there explicitly.
    assert isinstance(arignote.shared(np.zeros(3)), TensorSharedVariable)
    assert not isinstance(arignote.shared(np.zeros(3)), GpuArraySharedVariable)
    assert not isinstance(arignote.shared(np.arange(3)), GpuArraySharedVariable)
    ints = arignote.shared(np.arange(3, dtype="int32"), target="cuda")
    assert isinstance(ints, GpuArraySharedVariable)
    assert ints.get_value().tolist() == [0, 1, 2]
    scalar = arignote.shared(np.float32(0.5))
    assert isinstance(scalar, GpuArraySharedVariable) and scalar.get_value() == 0.5


def test_gpu_shared_set_value(gpu):
    w = arignote.shared(np.zeros((2, 3), dtype="float32"))
    w.set_value(np.ones((2, 3), dtype="float32"))
    assert w.get_value().sum() == 6
    w.set_value(np.full((4, 3), 2, dtype="float32"))  # a new shape is fine
    assert w.get_value().shape == (4, 3)
    w.set_value([[1, 2, 3]])  # array-likes go through the host type's filter
    assert w.get_value().tolist() == [[1, 2, 3]]
    device = cuda.to_device(np.full((2, 3), 7, dtype="float32"))
    w.set_value(device, borrow=True)
    assert w.get_value(borrow=True, return_internal_type=True) is device  # no copy
    w.set_value(device)
    assert w.get_value(borrow=True, return_internal_type=True).ptr != device.ptr  # a copy
    with pytest.raises(TypeError):
        w.set_value(np.zeros((2, 3)))  # float64 into float32 without allow_downcast
    with pytest.raises(TypeError):
        w.set_value(cuda.to_device(np.zeros((2, 3))))  # the same, from a device array
    with pytest.raises(TypeError, match="dimensions"):
        w.set_value(cuda.to_device(np.zeros(3, dtype="float32")))
    assert w.get_value(borrow=True, return_internal_type=True).ptr != device.ptr
    row = arignote.shared(np.zeros((1, 3), "float32"), broadcastable=(True, False))
    with pytest.raises(TypeError, match="broadcastable"):
        row.set_value(cuda.to_device(np.zeros((2, 3), dtype="float32")))
    strict = arignote.shared(np.zeros(2, "float32"), strict=True)
    with pytest.raises(TypeError, match="strict"):
        strict.set_value([1.0, 2.0])
    strict.set_value(cuda.to_device(np.ones(2, "float32")))
    loose = arignote.shared(np.zeros(2, "float32"), allow_downcast=True)
    loose.set_value(np.array([0.5, 1.5]))
    assert loose.get_value().dtype == np.float32
    w.zero(borrow=True)
    assert w.get_value().sum() == 0
    w.container.value = np.ones((2, 2), "float32")
    assert isinstance(w.container.storage[0], cuda.DeviceArray)


def test_gpu_shared_variables_pickle(gpu, monkeypatch):
    w = arignote.shared(np.arange(4, dtype="float32"), name="w")
    restored = pickle.loads(pickle.dumps(w))
    assert isinstance(restored, GpuArraySharedVariable)
    assert isinstance(restored.container.storage[0], cuda.DeviceArray)
    np.testing.assert_array_equal(restored.get_value(), np.arange(4))
    data = pickle.dumps(w)
    # Unpickled where no GPU is usable: the value comes back on the host, with a warning.
    monkeypatch.setattr(cuda, "available", lambda: False)
    with pytest.warns(RuntimeWarning, match="restored as a numpy array"):
        host = pickle.loads(data)
    assert isinstance(host.container.storage[0], np.ndarray)
    np.testing.assert_array_equal(host.get_value(), np.arange(4))
    host.set_value(np.ones(4, "float32"))
    assert host.get_value().sum() == 4


def test_device_arrays_go_to_host_variables_as_copies(gpu, monkeypatch):
    device = cuda.to_device(np.arange(3.0))  # float64: not a GPU shared value by default
    v = arignote.shared(device)
    assert not isinstance(v, GpuArraySharedVariable)
    np.testing.assert_array_equal(v.get_value(), np.arange(3.0))
    monkeypatch.setattr(config, "device", "cpu")
    on_host = arignote.shared(cuda.to_device(np.ones(2, "float32")))
    assert isinstance(on_host.get_value(borrow=True), np.ndarray)


# ---------------------------------------------------------------------------------------------
# GPU only: kernels, and the interop of real libraries


@requires_gpu
def test_nvrtc_kernel_runs(kernel_dir, monkeypatch, tmp_path):
    monkeypatch.setattr(config, "compiledir", str(tmp_path))
    cubin = cuda.nvrtc_compile(KERNEL, options=[f"-I{kernel_dir}"])  # the GPU's own arch
    kernel = cuda.Kernel(cubin, "add_one")
    host = np.arange(1000, dtype="float32")
    device = cuda.to_device(host)
    kernel(((host.size + 255) // 256,), (256,), device, np.int64(host.size))
    cuda.synchronize()
    np.testing.assert_array_equal(device.get(), host + 1)


@requires_gpu
def test_cupy_interop_without_copies():
    cupy = pytest.importorskip("cupy")
    ours = cuda.to_device(np.arange(12, dtype="float32").reshape(3, 4))
    theirs = cupy.asarray(ours)  # through __cuda_array_interface__
    assert theirs.data.ptr == ours.ptr
    theirs += 1
    np.testing.assert_array_equal(ours.get(), np.arange(12).reshape(3, 4) + 1)
    via_dlpack = cupy.from_dlpack(ours)
    assert via_dlpack.data.ptr == ours.ptr
    source = cupy.arange(10, dtype=cupy.float32)[::2]
    view = cuda.as_device_array(source)
    assert view.ptr == source.data.ptr and view.strides == (8,)
    np.testing.assert_array_equal(view.get(), np.arange(0, 10, 2))
    w = arignote.shared(np.zeros(5, "float32"), target="cuda")
    contiguous = cupy.arange(5, dtype=cupy.float32)
    w.set_value(contiguous, borrow=True)
    assert w.get_value(borrow=True, return_internal_type=True).ptr == contiguous.data.ptr


@requires_gpu
def test_torch_interop_without_copies():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    ours = cuda.to_device(np.arange(6, dtype="float32").reshape(2, 3))
    theirs = torch.from_dlpack(ours)
    assert theirs.data_ptr() == ours.ptr and theirs.device.type == "cuda"
    theirs.mul_(2)
    np.testing.assert_array_equal(ours.get(), np.arange(6).reshape(2, 3) * 2)
    tensor = torch.arange(8, dtype=torch.float32, device="cuda").reshape(2, 4).t()
    view = cuda.as_device_array(tensor)
    assert view.ptr == tensor.data_ptr() and view.shape == (4, 2)
    np.testing.assert_array_equal(view.get(), tensor.cpu().numpy())
    for dtype in (torch.int64, torch.float16, torch.bool):
        source = torch.ones(3, dtype=dtype, device="cuda")
        via_dlpack = cuda.as_device_array(torch.utils.dlpack.to_dlpack(source))
        assert via_dlpack.ptr == source.data_ptr()
        np.testing.assert_array_equal(via_dlpack.get(), source.cpu().numpy())
    w = arignote.shared(np.zeros(4, "float32"), target="cuda")
    weights = torch.full((4,), 3.0, device="cuda")
    w.set_value(weights, borrow=True)
    assert w.get_value(borrow=True, return_internal_type=True).ptr == weights.data_ptr()
    assert w.get_value().tolist() == [3.0] * 4
    del weights
    gc.collect()
    assert w.get_value().tolist() == [3.0] * 4  # the view keeps torch's memory alive


@requires_gpu
def test_jax_interop():
    # JAX would otherwise take 75 % of the GPU's memory for itself at its first use.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    jax = pytest.importorskip("jax")
    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        pytest.skip("JAX without a GPU backend")
    array = jax.device_put(np.arange(5, dtype="float32"), gpus[0])
    view = cuda.as_device_array(array)
    assert view is not None
    np.testing.assert_array_equal(view.get(), np.arange(5))
    back = jax.dlpack.from_dlpack(cuda.to_device(np.arange(3, dtype="float32")))
    np.testing.assert_array_equal(np.asarray(back), np.arange(3))

