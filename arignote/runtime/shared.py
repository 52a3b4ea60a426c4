"""Shared variables: symbolic variables with a value stored between function calls.

A shared variable holds its value in a ``Container``; every compiled function that uses the
variable reads (and, through ``updates``, writes) that one container, so all functions and
the user see the same value.  Pickling keeps the sharing: the container is one object.

With ``config.device='cuda'`` float32 arrays live on the GPU (Theano 1.0's GPU shared
variables): a ``GpuArraySharedVariable`` keeps a ``runtime.cuda.DeviceArray`` in its
container's ``storage[0]``; values of other dtypes stay on the host.
"""

import copy

import numpy as np

from ..compiler.graph import Variable, user_trace
from ..compiler.types import TensorType, Type
from ..compiler.variable import TensorVariable
from ..configparser import config
from . import cuda


class Container:
    """One value slot (``storage[0]``) with the type that checks assignments to it."""

    __slots__ = ("allow_downcast", "name", "readonly", "storage", "strict", "type")
    # What pickles hold, in order (subclasses extend it; __slots__ names only a class's own).
    _STATE = __slots__

    def __init__(self, type, storage=None, name=None, strict=False, allow_downcast=None,
                 readonly=False):
        self.type = type
        self.storage = [None] if storage is None else storage
        self.name = name
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.readonly = readonly

    @property
    def value(self):
        return self.storage[0]

    @value.setter
    def value(self, value):
        if self.readonly:
            raise TypeError(f"cannot set the read-only container {self.name}")
        self.storage[0] = None if value is None else self.type.filter(
            value, strict=self.strict, allow_downcast=self.allow_downcast)

    data = value

    def __getstate__(self):
        return tuple(getattr(self, name) for name in self._STATE)

    def __setstate__(self, state):
        for name, value in zip(self._STATE, state):
            setattr(self, name, value)

    def __repr__(self):
        return f"<{self.name or 'container'}: {self.storage[0]!r}>"


class GenericType(Type):
    """The type of shared variables holding any Python object."""

    def __eq__(self, other):
        return type(other) is GenericType

    def __hash__(self):
        return hash(GenericType)

    def __repr__(self):
        return "generic"


generic = GenericType()


class SharedVariable(Variable):
    """A variable whose value lives in ``container`` and persists between calls.

    ``default_update``, when set, is the update every function applies to it unless told
    otherwise (``no_default_updates``).
    """

    is_shared = True

    def __init__(self, type, value, name=None, strict=False, allow_downcast=None,
                 container=None):
        super().__init__(type, name=name)
        if container is None:
            container = Container(type, [None], name=name, strict=strict,
                                  allow_downcast=allow_downcast)
            container.value = value
        self.container = container

    def get_value(self, borrow=False, return_internal_type=False):
        """The value; a copy unless ``borrow`` (then changing it changes the variable)."""
        value = self.container.storage[0]
        return value if borrow else copy.deepcopy(value)

    def set_value(self, value, borrow=False):
        """Replace the value (checked against the type; copied unless ``borrow``)."""
        self.container.value = value if borrow else copy.deepcopy(value)

    def clone(self):
        """Another variable of the same type sharing this one's container."""
        twin = type(self).__new__(type(self))
        Variable.__init__(twin, self.type, name=self.name)
        twin.container = self.container
        twin.trace = self.trace
        twin.tag.__dict__.update(self.tag.__dict__)
        return twin

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_eval_cache", None)
        return state


class TensorSharedVariable(TensorVariable, SharedVariable):
    """A shared n-d array: a tensor variable usable in any expression.

    >>> import numpy as np
    >>> w = shared(np.zeros(3), name='w')
    >>> w.set_value([1.0, 2.0, 3.0])
    >>> w.get_value()
    array([1., 2., 3.])
    >>> w.type
    TensorType(float64, vector)
    """

    def get_value(self, borrow=False, return_internal_type=False):
        value = self.container.storage[0]
        return value if borrow else value.copy()

    def set_value(self, value, borrow=False):
        container = self.container
        array = container.type.filter(value, strict=container.strict,
                                      allow_downcast=container.allow_downcast)
        if not borrow and (array is value or (
                isinstance(value, np.ndarray) and np.may_share_memory(array, value))):
            array = array.copy()
        container.storage[0] = array

    def zero(self, borrow=False):
        """Set the value to zeros of the current shape."""
        value = self.container.storage[0]
        if borrow:
            value[...] = 0
        else:
            self.container.storage[0] = np.zeros_like(value)


ScalarSharedVariable = TensorSharedVariable


class DeviceContainer(Container):
    """A container whose value is a DeviceArray on GPU ``device`` (an ordinal).

    Assignments accept numpy data (copied to the GPU) and device arrays of any library
    (kept without a copy when dtype and layout fit), checked like the host container's.
    """

    __slots__ = ("device",)
    _STATE = Container._STATE + ("device",)

    def __init__(self, type, storage=None, name=None, strict=False, allow_downcast=None,
                 readonly=False, device=0):
        super().__init__(type, storage, name, strict, allow_downcast, readonly)
        self.device = device

    def _set_value(self, value):
        if self.readonly:
            raise TypeError(f"cannot set the read-only container {self.name}")
        self.storage[0] = None if value is None else self.filter(value, borrow=True)

    value = property(Container.value.fget, _set_value)
    data = value

    def filter(self, value, borrow=False):
        """``value`` as a DeviceArray of this container's type on its device.

        Raises TypeError as the host container does (dtype, strictness, downcasting, number
        of dimensions, broadcastable dimensions).  A device array of the right dtype is kept
        as is when ``borrow`` and it is C-contiguous on this device; anything else is copied.
        """
        tensor_type = self.type
        view = cuda.as_device_array(value)
        if view is not None and view.dtype.name == tensor_type.dtype:
            # The layout checks of the host type, on a zero-byte stand-in of that shape.
            tensor_type.filter(np.broadcast_to(np.zeros((), view.dtype), view.shape),
                               strict=True)
            if borrow and view.c_contiguous and view.device == self.device:
                return view
            return cuda.to_device(view, device=self.device)
        host = view.get() if view is not None else value
        array = tensor_type.filter(host, strict=self.strict, allow_downcast=self.allow_downcast)
        return cuda.to_device(array, device=self.device)


class GpuArraySharedVariable(TensorSharedVariable):
    """A shared tensor whose value lives on the GPU (Theano 1.0's GPU shared variable).

    ``get_value()`` returns a numpy copy; ``get_value(borrow=True,
    return_internal_type=True)`` the DeviceArray itself.  ``set_value`` takes numpy data or
    any device array (CuPy, PyTorch, JAX, ...): with ``borrow=True`` a C-contiguous device
    array of the right dtype becomes the value without a copy.  Pickles hold a host copy,
    restored to the GPU (or, with a warning, to the host where there is none).
    """

    def get_value(self, borrow=False, return_internal_type=False):
        value = self.container.storage[0]
        if not isinstance(value, cuda.DeviceArray):  # unpickled where no GPU was usable
            return super().get_value(borrow, return_internal_type)
        if return_internal_type:
            return value if borrow else value.copy()
        return value.get()

    def set_value(self, value, borrow=False):
        container = self.container
        if isinstance(container.storage[0], np.ndarray):  # the host fallback of unpickling
            return super().set_value(cuda.host_value(value), borrow)
        container.storage[0] = container.filter(value, borrow=borrow)

    def zero(self, borrow=False):
        """Set the value to zeros of the current shape (in place when ``borrow``)."""
        value = self.container.storage[0]
        if not isinstance(value, cuda.DeviceArray):
            return super().zero(borrow)
        if borrow and value.c_contiguous:
            cuda.fill_zeros(value)
        else:
            self.container.storage[0] = cuda.zeros(value.shape, value.dtype, value.device)


def _broadcastable(ndim, broadcastable, shape):
    if broadcastable is not None:
        return broadcastable
    if shape is not None:
        return tuple(s == 1 for s in shape)
    return (False,) * ndim


def gpuarray_shared_constructor(value, name=None, strict=False, allow_downcast=None,
                                borrow=False, broadcastable=None, shape=None, target=None):
    """A ``GpuArraySharedVariable`` (Theano 1.0's rule for what goes to the GPU).

    With ``target`` unset: float32 arrays (numpy or device) when ``config.device`` is a
    GPU; with ``target='cuda'`` / ``'cudaN'``: arrays of any numeric dtype.  Everything else
    raises TypeError, leaving it to the host constructor.  A GPU that cannot be used raises
    ``CudaUnavailableError``, saying what is missing.
    """
    if target == "cpu" or (target is None and config.device == "cpu"):
        raise TypeError("the value stays on the host (device=cpu or target='cpu')")
    try:
        ordinal = cuda.device_ordinal(config.device if target is None else target)
    except ValueError as error:
        raise TypeError(str(error)) from None
    view = cuda.as_device_array(value)
    if view is None and not isinstance(value, (np.ndarray, np.generic)):
        raise TypeError(f"the GPU takes arrays, not {type(value).__name__}")
    dtype = view.dtype if view is not None else np.asarray(value).dtype
    if dtype.kind not in "biuf":
        raise TypeError(f"cannot make a tensor of dtype {dtype}")
    if target is None and dtype != np.float32:
        raise TypeError(f"only float32 values go to the GPU by default (Theano's rule), not "
                        f"{dtype}; pass target='cuda' to place it there anyway")
    cuda.require(f"cuda{ordinal}")
    if view is not None:
        array = (view if borrow and view.c_contiguous and view.device == ordinal
                 else cuda.to_device(view, device=ordinal))
    else:
        array = cuda.to_device(value, device=ordinal)
    tensor_type = TensorType(dtype.name, _broadcastable(array.ndim, broadcastable, shape))
    container = DeviceContainer(tensor_type, [None], name=name, strict=strict,
                                allow_downcast=allow_downcast, device=ordinal)
    container.storage[0] = container.filter(array, borrow=True)
    return GpuArraySharedVariable(tensor_type, None, name=name, container=container)


def tensor_constructor(value, name=None, strict=False, allow_downcast=None, borrow=False,
                       broadcastable=None, shape=None, target=None):
    """A ``TensorSharedVariable`` for arrays, numpy scalars, Python numbers and lists.

    Device arrays (CuPy, PyTorch, ...) that do not go to the GPU are copied to the host.
    """
    if target not in (None, "cpu"):
        raise TypeError(f"arrays on target {target!r} are not supported")
    if cuda.is_device_array(value):
        value, borrow = cuda.host_value(value), True
    if isinstance(value, np.ndarray):
        array = value if borrow else value.copy()
    elif isinstance(value, (np.generic, bool, int, float, list, tuple)):
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"cannot make a tensor of {value!r}")
    else:
        raise TypeError(f"not array data: {type(value).__name__}")
    broadcastable = _broadcastable(array.ndim, broadcastable, shape)
    tensor_type = TensorType(array.dtype.name, broadcastable)
    container = Container(tensor_type, [tensor_type.filter(array, strict=True)], name=name,
                          strict=strict, allow_downcast=allow_downcast)
    return TensorSharedVariable(tensor_type, None, name=name, container=container)


def generic_constructor(value, name=None, strict=False, allow_downcast=None):
    """A ``SharedVariable`` holding any Python object (not usable in tensor expressions)."""
    return SharedVariable(generic, value, name=name, strict=strict,
                          allow_downcast=allow_downcast)


def shared(value, name=None, strict=False, allow_downcast=None, **kwargs):
    """A shared variable holding ``value`` (Theano's ``theano.shared``).

    Arrays keep their dtype; Python floats become float64 and ints int64 (numpy's rule);
    lists become arrays.  Dimensions are not broadcastable unless ``broadcastable=`` says.
    The value is copied unless ``borrow=True``.  With ``config.device='cuda'``, float32
    arrays become GPU shared variables (their value lives on the GPU; ``target='cpu'`` keeps
    one on the host, ``target='cuda'`` sends any numeric dtype there).

    Parameters
    ----------
    value : array_like or object
        The initial value.
    name : str, optional
    strict : bool
        ``set_value`` accepts only arrays of exactly the variable's dtype.
    allow_downcast : bool, optional
        ``set_value`` accepts values whose conversion loses precision.
    borrow : bool
        Use ``value`` itself as the storage (changes to it are seen by the variable).
    broadcastable : tuple of bool, optional

    >>> import numpy as np
    >>> shared(np.ones((2, 3), dtype='float32')).type
    TensorType(float32, matrix)
    >>> shared(0.5).dtype, shared(3).dtype
    ('float64', 'int64')
    """
    if isinstance(value, Variable):
        raise TypeError("shared() takes a value (an array or a number), not a symbolic "
                        f"variable ({value}); use the variable directly in the graph")
    errors = []
    for constructor in reversed(shared.constructors):
        try:
            variable = constructor(value, name=name, strict=strict,
                                   allow_downcast=allow_downcast, **kwargs)
        except TypeError as error:
            errors.append(str(error))
            continue
        variable.trace = user_trace()
        return variable
    raise TypeError(f"no shared variable type can hold {type(value).__name__} {value!r:.80}"
                    f" with arguments {kwargs}: {'; '.join(errors)}")


shared.constructors = []


def shared_constructor(constructor):
    """Register ``constructor(value, name, strict, allow_downcast, **kwargs)`` for shared().

    Constructors are tried newest first; one raises TypeError for values it does not take.
    """
    shared.constructors.append(constructor)
    return constructor


shared_constructor(generic_constructor)
shared_constructor(tensor_constructor)
shared_constructor(gpuarray_shared_constructor)
