"""Theano's ``theano.tensor.shared_randomstreams`` (with ``raw_random``): ``RandomStreams``.

As in Theano 1.0, a seed generator ``numpy.random.RandomState(seed)`` gives every random
variable its own ``RandomState`` (seeded with ``randint(2 ** 30)``), kept in a shared variable
(``rv.rng``), and each draw is the numpy call Theano made (``RandomState.uniform(low, high,
size)``, ...), so the numbers are Theano's for the same seed.  The draw is a
``RandomFunction`` node (arignote/compiler/ops/random.py) which the C backend runs through its
``perform``; the shared variable's ``default_update`` is the state after the draw.

>>> import arignote
>>> srng = RandomStreams(seed=234)
>>> rv = srng.uniform((2, 2))
>>> f = arignote.function([], rv)
>>> type(rv.rng.get_value()).__name__
'RandomState'
>>> rng = rv.rng.get_value(borrow=True)
>>> rng.seed(89234)
>>> rv.rng.set_value(rng, borrow=True)
>>> bool((f() == np.random.RandomState(89234).uniform(size=(2, 2))).all())
True
"""

import numpy as np

from ..compiler import dtypes as dt
from ..compiler import ops as O
from ..compiler.ops.random import RandomFunction, pack_random_state, unpack_random_state
from ..compiler.types import TensorType
from ..compiler.variable import as_tensor_variable, constant
from ..configparser import config
from ..runtime.shared import Container, TensorSharedVariable, shared, shared_constructor
from ..sandbox.rng_mrg import shape_ops

__all__ = ["RandomStateSharedVariable", "RandomStreams", "randomstate_constructor"]

STATE_TYPE = TensorType("int64", (False,))


class RandomStateSharedVariable(TensorSharedVariable):
    """A shared numpy ``RandomState`` (Theano's ``RandomStateSharedVariable``).

    ``get_value()`` returns a ``RandomState`` and ``set_value`` takes one.  Inside graphs the
    state is a packed int64 vector (``pack_random_state``), which is what compiled code
    reads and updates; ``get_value(borrow=True)`` therefore also returns a new
    ``RandomState`` object: changes to it take effect through ``set_value``, as Theano's
    documentation does it (``rng.seed(...)`` then ``rv.rng.set_value(rng, borrow=True)``).
    """

    def get_value(self, borrow=False, return_internal_type=False):
        packed = self.container.storage[0]
        if return_internal_type:
            return packed if borrow else packed.copy()
        return unpack_random_state(packed)

    def set_value(self, value, borrow=False):
        if type(value) is not np.random.RandomState:
            raise TypeError(f"only values of type RandomState are permitted, got "
                            f"{type(value).__name__}")
        self.container.storage[0] = pack_random_state(value)


def randomstate_constructor(value, name=None, strict=False, allow_downcast=None, borrow=False):
    """``shared(RandomState)``: a ``RandomStateSharedVariable`` (other values: TypeError)."""
    if type(value) is not np.random.RandomState:
        raise TypeError(f"not a RandomState: {type(value).__name__}")
    container = Container(STATE_TYPE, [pack_random_state(value)], name=name, strict=True)
    return RandomStateSharedVariable(STATE_TYPE, None, name=name, container=container)


shared_constructor(randomstate_constructor)


def _infer_ndim_bcast(ndim, shape, *args):
    """Theano's ``_infer_ndim_bcast``: ``(ndim, int64 shape vector, broadcastable)`` from
    ``shape`` (ints and int scalars, -1 taking the length of a parameter; a symbolic vector;
    or None: the shape of the parameters broadcast together)."""
    args_ndim = max((a.ndim for a in args), default=0)
    if isinstance(shape, (tuple, list)):
        if ndim is not None and len(shape) != ndim:
            raise ValueError(f"ndim should be equal to len(shape), but ndim = {ndim}, "
                             f"len(shape) = {len(shape)}, shape = {shape}")
        ndim = len(shape)
        elements, bcast = [], []
        for i, s in enumerate(shape):
            if hasattr(s, "type"):
                elements.append(shape_ops._int64_scalar(s, "the size"))
                bcast.append(False)
            elif s >= 0:
                elements.append(constant(int(s), dtype="int64"))
                bcast.append(int(s) == 1)
            elif s == -1:
                owners = [a for a in args if i >= ndim - a.ndim]
                for a in owners:
                    axis = i + a.ndim - ndim
                    if not a.broadcastable[axis]:
                        elements.append(shape_ops.shape_i(a, axis))
                        bcast.append(False)
                        break
                else:
                    if not owners:
                        raise ValueError("Auto-shape of -1 must overlap with the shape of one "
                                         "of the broadcastable inputs")
                    elements.append(constant(1, dtype="int64"))
                    bcast.append(True)
            else:
                raise ValueError(f"negative shape {s}")
        vector = (O.stack(elements) if elements
                  else constant(np.zeros(0, dtype="int64"), dtype="int64"))
    elif shape is None:
        if not args:
            raise TypeError("_infer_ndim_bcast cannot infer shape without either shape or args")
        template = args[0]
        for a in args[1:]:
            template = O.add(template, a)
        vector, bcast, ndim = O.shape(template), template.broadcastable, template.ndim
    else:
        vector = as_tensor_variable(shape)
        if vector.ndim != 1:
            raise TypeError(f"shape must be a vector or list of scalar, got '{vector}'")
        if ndim is None:
            elements = shape_ops._vector_elements(vector)
            if elements is None:
                raise TypeError(f"the length of the shape {vector} is not known; pass ndim=")
            ndim = len(elements)
        bcast = (False,) * ndim
    if not vector.dtype.startswith(("int", "uint")):
        raise TypeError(f"shape must be an integer vector or list, got {vector.dtype}")
    if args_ndim > ndim:
        raise ValueError(f"ndim should be at least as big as required by args value: "
                         f"ndim = {ndim}, the parameters have {args_ndim}")
    return ndim, O.cast(vector, "int64"), tuple(bcast)


class RandomStreams:
    """Theano's ``RandomStreams(seed=None)``: random variables drawn by numpy
    ``RandomState`` objects held in shared variables.

    Methods (``raw_random.RandomStreamsBase``'s): ``uniform``, ``normal``, ``binomial``,
    ``random_integers``, ``choice``, ``poisson``, ``permutation``, ``multinomial``,
    ``shuffle_row_elements``; ``seed(seed)`` re-seeds every stream, ``updates()`` lists the
    ``(state, new_state)`` pairs and ``gen(op, ...)`` makes a new stream.
    """

    def __init__(self, seed=None):
        self.state_updates = []
        self.default_instance_seed = seed
        self.gen_seedgen = np.random.RandomState(seed)

    def updates(self):
        """The ``(state, new_state)`` pairs of every random variable made so far."""
        return list(self.state_updates)

    def seed(self, seed=None):
        """Give every stream made so far a ``RandomState`` seeded from a temporary
        ``RandomState(seed)`` (Theano's rule; ``seed=None`` means the constructor's)."""
        if seed is None:
            seed = self.default_instance_seed
        seedgen = np.random.RandomState(seed)
        for old_r, _ in self.state_updates:
            old_r_seed = seedgen.randint(2 ** 30)
            old_r.set_value(np.random.RandomState(int(old_r_seed)), borrow=True)

    def __getitem__(self, item):
        """The ``RandomState`` of the stream ``item`` (a random variable's ``.rng``)."""
        return item.get_value(borrow=True)

    def __setitem__(self, item, value):
        if type(value) is not np.random.RandomState:
            raise TypeError(f"only values of type RandomState are permitted, got {value!r}")
        item.set_value(value, borrow=True)

    def gen(self, op, *args, **kwargs):
        """``op(state, *args, **kwargs)`` on a new stream seeded from the seed generator;
        returns the sample with ``.rng`` (the shared state) and ``.update``."""
        seed = int(self.gen_seedgen.randint(2 ** 30))
        random_state_variable = shared(np.random.RandomState(seed))
        random_state_variable.tag.is_rng = True
        new_r, out = op(random_state_variable, *args, **kwargs)
        out.rng = random_state_variable
        out.update = (random_state_variable, new_r)
        self.state_updates.append(out.update)
        random_state_variable.default_update = new_r
        return out

    # --------------------------------------------------------------- distributions
    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """``RandomState.uniform(low, high, size)``; ``dtype`` defaults to floatX or a wider
        float of ``low``/``high``."""
        return self.gen(uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """``RandomState.normal(avg, std, size)``."""
        return self.gen(normal, size, avg, std, ndim=ndim, dtype=dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        """``RandomState.binomial(n, p, size)`` (``prob``: Theano's old name of ``p``)."""
        return self.gen(binomial, size, n, p if prob is None else prob, ndim=ndim, dtype=dtype)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        """Integers in ``[low, high]``, both included, one numpy draw per element."""
        return self.gen(random_integers, size, low, high, ndim=ndim, dtype=dtype)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"):
        """``RandomState.choice(a, size, replace, p)``."""
        return self.gen(choice, size, a, replace, p, ndim=ndim, dtype=dtype)

    def poisson(self, size=None, lam=None, ndim=None, dtype="int64"):
        """``RandomState.poisson(lam, size)``."""
        return self.gen(poisson, size, lam, ndim=ndim, dtype=dtype)

    def permutation(self, size=None, n=1, ndim=None, dtype="int64"):
        """Permutations of ``range(n)``, one per element of ``size``: shape ``size + (n,)``."""
        return self.gen(permutation, size, n, ndim=ndim, dtype=dtype)

    def multinomial(self, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
        """``RandomState.multinomial(n, pvals)`` per row: shape ``size + (len(pvals),)``."""
        return self.gen(multinomial, size, n, list(pvals) if isinstance(pvals, tuple)
                        else pvals, ndim=ndim, dtype=dtype)

    def shuffle_row_elements(self, input):
        """``input`` with the elements of every row (last axis) of a vector or matrix
        shuffled; the permutation is the result's ``.permutation``."""
        input = as_tensor_variable(input)
        if input.ndim not in (1, 2):
            raise TypeError(f"shuffle_row_elements takes a vector or a matrix, got {input.type}")
        if input.ndim == 1:
            perm = self.permutation(size=None, n=shape_ops.shape_i(input, 0))
            shuffled = input[perm]
        else:
            perm = self.permutation(size=(shape_ops.shape_i(input, 0),),
                                    n=shape_ops.shape_i(input, 1))
            rows = O.dimshuffle(O.arange(shape_ops.shape_i(input, 0)), (0, "x"))
            shuffled = input[rows, perm]
        shuffled.permutation = perm
        return shuffled


# ---------------------------------------------------------------- raw_random's functions
def _float_dtype(dtype, *params):
    return dtype or dt.upcast(config.floatX, *[p.dtype for p in params])


def uniform(random_state, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
    """Theano's ``raw_random.uniform``: ``(new_state, sample)``."""
    low, high = as_tensor_variable(low), as_tensor_variable(high)
    dtype = _float_dtype(dtype, low, high)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, low, high)
    return RandomFunction("uniform", dtype, bcast)(random_state, size, low, high)


def normal(random_state, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
    """Theano's ``raw_random.normal``."""
    avg, std = as_tensor_variable(avg), as_tensor_variable(std)
    dtype = _float_dtype(dtype, avg, std)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, avg, std)
    return RandomFunction("normal", dtype, bcast)(random_state, size, avg, std)


def binomial(random_state, size=None, n=1, p=0.5, ndim=None, dtype="int64"):
    """Theano's ``raw_random.binomial`` (its sample is never marked broadcastable)."""
    n, p = as_tensor_variable(n), as_tensor_variable(p)
    ndim, size, _ = _infer_ndim_bcast(ndim, size, n, p)
    return RandomFunction("binomial", dtype, (False,) * ndim)(random_state, size, n, p)


def random_integers(random_state, size=None, low=0, high=1, ndim=None, dtype="int64"):
    """Theano's ``raw_random.random_integers``."""
    low, high = as_tensor_variable(low), as_tensor_variable(high)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, low, high)
    return RandomFunction("random_integers", dtype, bcast)(random_state, size, low, high)


def choice(random_state, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"):
    """Theano's ``raw_random.choice`` (``p=None`` travels as an empty vector)."""
    a = as_tensor_variable(a)
    replace = constant(int(replace), dtype="int8") if isinstance(replace, bool) \
        else as_tensor_variable(replace)
    p = as_tensor_variable(np.zeros(0) if p is None else p)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    return RandomFunction("choice", dtype, bcast)(random_state, size, a, replace, p)


def poisson(random_state, size=None, lam=1.0, ndim=None, dtype="int64"):
    """Theano's ``raw_random.poisson``: ``size`` or ``ndim`` must be given."""
    lam = as_tensor_variable(lam)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    return RandomFunction("poisson", dtype, bcast)(random_state, size, lam)


def permutation(random_state, size=None, n=1, ndim=None, dtype="int64"):
    """Theano's ``raw_random.permutation``: shape ``size + (n,)``."""
    if size is None or size == ():
        if not (ndim is None or ndim == 1):
            raise TypeError("You asked for just one permutation but asked for more then 1 "
                            "dimensions.")
        size, bcast = constant(np.zeros(0, dtype="int64"), dtype="int64"), ()
    else:
        ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    n = as_tensor_variable(n)
    return RandomFunction("permutation", dtype, bcast + (False,), 1)(random_state, size, n)


def multinomial(random_state, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
    """Theano's ``raw_random.multinomial``: shape ``size + (pvals.shape[-1],)``."""
    n = as_tensor_variable(n)
    pvals = as_tensor_variable(list(pvals) if isinstance(pvals, tuple) else pvals)
    row_template = pvals[(slice(None),) * (pvals.ndim - 1) + (0,)]
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, n, row_template)
    bcast = bcast + (pvals.broadcastable[-1],)
    return RandomFunction("multinomial", dtype, bcast, 1)(random_state, size, n, pvals)
