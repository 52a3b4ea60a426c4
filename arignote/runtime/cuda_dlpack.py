"""DLPack both ways for device arrays: export a ``"dltensor"`` PyCapsule, consume one.

DLPack is a C struct handed over inside a PyCapsule, so this module speaks the Python C API
(``PyCapsule_*``) through ``ctypes.pythonapi``, the standard library's binding to the running
interpreter; cffi's ABI mode cannot turn a ``PyObject *`` into a Python object.  Nothing here
touches the CUDA driver: the caller (``runtime/cuda.py``) does any stream synchronisation.

The protocol (DLPack 0.8, the unversioned ``DLManagedTensor``):

- export: ``__dlpack__`` returns a capsule named ``"dltensor"`` whose pointer is a
  ``DLManagedTensor``.  Its ``deleter`` releases the exporting array.  A consumer renames the
  capsule ``"used_dltensor"`` and calls the deleter when done; a capsule that dies unconsumed
  calls the deleter from its destructor.
- import: read the struct, rename the capsule ``"used_dltensor"``, and call the producer's
  deleter when the last view of the memory dies (:class:`DLPackOwner`).  DLPack 1.0's
  ``"dltensor_versioned"`` capsules (``DLManagedTensorVersioned``) are read too.
"""

import ctypes

import numpy as np

KDL_CPU = 1
KDL_CUDA = 2
KDL_CUDA_HOST = 3
KDL_CUDA_MANAGED = 13

# DLDataTypeCode values.
_INT, _UINT, _FLOAT, _BFLOAT, _COMPLEX, _BOOL = 0, 1, 2, 4, 5, 6
_CODES = {"i": _INT, "u": _UINT, "f": _FLOAT, "c": _COMPLEX, "b": _BOOL}
_KINDS = {_INT: "i", _UINT: "u", _FLOAT: "f", _COMPLEX: "c"}


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class DLManagedTensor(ctypes.Structure):
    # The deleter is kept as a raw address: ours is a ctypes callback, a producer's is called
    # through PYFUNCTYPE (below) so that the GIL stays held for deleters that assume it.
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p)]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [("version", DLPackVersion), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p), ("flags", ctypes.c_uint64),
                ("dl_tensor", DLTensor)]


_api = ctypes.pythonapi
_api.PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_api.PyCapsule_New.restype = ctypes.py_object
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int

# The capsule keeps a pointer to its name: these buffers live as long as the interpreter.
_NAME = ctypes.create_string_buffer(b"dltensor")
_USED_NAME = ctypes.create_string_buffer(b"used_dltensor")
_VERSIONED_NAME = ctypes.create_string_buffer(b"dltensor_versioned")
_USED_VERSIONED_NAME = ctypes.create_string_buffer(b"used_dltensor_versioned")

# address of an exported DLManagedTensor -> the objects it points into (kept alive till then)
_EXPORTS = {}


def _release(address):
    _EXPORTS.pop(address, None)


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _deleter(address):
    # Called by a consumer, maybe from a thread without the GIL: ctypes takes it for us.
    _release(address)


_DELETER_ADDRESS = ctypes.cast(_deleter, ctypes.c_void_p).value

# The capsule destructor receives the dying capsule (refcount 0): it must be read through a
# raw pointer, never as a Python object, so these two calls take ``void *``.
_is_valid_raw = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_IsValid", _api))
_get_pointer_raw = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", _api))


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _capsule_destructor(capsule):
    # Unconsumed capsule: nobody took ownership, so the export is released here.
    if _is_valid_raw(capsule, _NAME):
        _release(_get_pointer_raw(capsule, _NAME))


def dlpack_dtype(dtype):
    """``(code, bits)`` of a numpy dtype in DLPack's ``DLDataType`` (lanes are always 1).

    >>> dlpack_dtype(np.dtype('float32')), dlpack_dtype(np.dtype('bool'))
    ((2, 32), (6, 8))
    """
    code = _CODES.get(dtype.kind)
    if code is None:
        raise BufferError(f"DLPack has no type for dtype {dtype}")
    return code, dtype.itemsize * 8


def numpy_dtype(code, bits, lanes=1):
    """The numpy dtype of a DLPack ``(code, bits, lanes)``; TypeError when numpy has none.

    >>> numpy_dtype(2, 32), numpy_dtype(6, 8)
    (dtype('float32'), dtype('bool'))
    """
    if lanes != 1:
        raise TypeError(f"DLPack vector types (lanes={lanes}) are not supported")
    if code == _BOOL and bits == 8:
        return np.dtype(np.bool_)
    kind = _KINDS.get(code)
    if kind is None:
        name = "bfloat16" if code == _BFLOAT else f"type code {code}"
        raise TypeError(f"DLPack {name} ({bits} bits) has no numpy dtype")
    return np.dtype(f"{kind}{bits // 8}")


def export(array, device_type, device_id):
    """A ``"dltensor"`` capsule describing ``array`` (anything with ptr/shape/strides/dtype).

    The capsule's ``DLManagedTensor`` keeps ``array`` alive until its deleter runs.
    """
    dtype = array.dtype
    code, bits = dlpack_dtype(dtype)
    itemsize = dtype.itemsize
    if any(stride % itemsize for stride in array.strides):
        raise BufferError(f"strides {array.strides} are not whole elements of {dtype}: DLPack "
                          "counts strides in elements")
    ndim = len(array.shape)
    shape = (ctypes.c_int64 * max(ndim, 1))(*array.shape)
    strides = (ctypes.c_int64 * max(ndim, 1))(*(s // itemsize for s in array.strides))
    managed = DLManagedTensor()
    tensor = managed.dl_tensor
    tensor.data = array.ptr or None
    tensor.device = DLDevice(device_type, device_id)
    tensor.ndim = ndim
    tensor.dtype = DLDataType(code, bits, 1)
    tensor.shape = ctypes.cast(shape, ctypes.POINTER(ctypes.c_int64))
    tensor.strides = ctypes.cast(strides, ctypes.POINTER(ctypes.c_int64))
    tensor.byte_offset = 0
    managed.deleter = _DELETER_ADDRESS
    address = ctypes.addressof(managed)
    _EXPORTS[address] = (managed, shape, strides, array)
    return _api.PyCapsule_New(address, _NAME, ctypes.cast(_capsule_destructor, ctypes.c_void_p))


class DLPackOwner:
    """Owns a consumed ``DLManagedTensor``: calls the producer's deleter when collected."""

    __slots__ = ("address", "deleter")

    def __init__(self, address, deleter):
        self.address = address
        self.deleter = deleter

    def __del__(self):
        if self.deleter:
            deleter, self.deleter = self.deleter, None
            ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(deleter)(self.address)


def consume(capsule):
    """Take a ``"dltensor"`` capsule: ``(ptr, shape, strides_bytes, dtype, device, owner)``.

    ``device`` is ``(device_type, device_id)``; ``owner`` (a :class:`DLPackOwner`) must stay
    alive as long as the memory is used.  The capsule is renamed ``"used_dltensor"``.
    """
    if _api.PyCapsule_IsValid(capsule, _NAME):
        name, used_name, managed_type = _NAME, _USED_NAME, DLManagedTensor
    elif _api.PyCapsule_IsValid(capsule, _VERSIONED_NAME):
        name, used_name, managed_type = (_VERSIONED_NAME, _USED_VERSIONED_NAME,
                                         DLManagedTensorVersioned)
    else:
        raise ValueError("not a 'dltensor' PyCapsule (a DLPack capsule can be consumed once)")
    address = _api.PyCapsule_GetPointer(capsule, name)
    managed = managed_type.from_address(address)
    if managed_type is DLManagedTensorVersioned and managed.version.major != 1:
        raise BufferError(f"DLPack {managed.version.major}.{managed.version.minor} capsules "
                          "are not supported (1.x are)")
    tensor = managed.dl_tensor
    dtype = numpy_dtype(tensor.dtype.code, tensor.dtype.bits, tensor.dtype.lanes)
    ndim = tensor.ndim
    shape = tuple(tensor.shape[i] for i in range(ndim))
    if tensor.strides:
        strides = tuple(tensor.strides[i] * dtype.itemsize for i in range(ndim))
    else:
        strides = contiguous_strides(shape, dtype.itemsize)
    ptr = (tensor.data or 0) + tensor.byte_offset
    device = (tensor.device.device_type, tensor.device.device_id)
    owner = DLPackOwner(address, managed.deleter)
    _api.PyCapsule_SetName(capsule, used_name)
    return ptr, shape, strides, dtype, device, owner


def contiguous_strides(shape, itemsize):
    """Byte strides of a C-contiguous array.

    >>> contiguous_strides((2, 3, 4), 4)
    (48, 16, 4)
    """
    strides = []
    step = itemsize
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))
