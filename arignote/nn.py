"""Concise layers: ``Conv2D``, ``MaxPool2D``, ``Dense``, ``Dropout``, ``BatchNorm``, ``Flatten``
and ``Sequential``.

A layer owns ordinary shared variables (``layer.params``, of ``config.floatX``) and, called on
a symbolic input, returns an ordinary graph: take ``T.grad`` of any loss built on it, add
regularisers, write your own updates or use ``arignote.optimizers``.  Shapes are per example
(the minibatch axis left out), as Keras writes them; ``Sequential(..., input_shape=...)``
creates every parameter at once, passing each layer the shape the previous one produces.

Training and test graphs come from the same model: ``model(x)`` draws dropout masks and
normalises with the minibatch's statistics, ``model(x, deterministic=True)`` does neither
(Lasagne's convention).  BatchNorm's running averages are updates, in ``model.updates`` after
a training-mode call.  Weights start from Glorot (Xavier) uniform by default, He on request,
drawn from a numpy ``RandomState`` seeded by ``seed=``; dropout masks come from
``MRG_RandomStreams`` (inverted dropout: kept units are scaled by ``1 / (1 - p)``).

>>> import numpy as np, arignote, arignote.tensor as T
>>> model = Sequential(Dense(3, activation="relu"), Dense(2, activation="softmax"),
...                    input_shape=(4,), seed=0)
>>> [p.name for p in model.params]
['dense0.W', 'dense0.b', 'dense1.W', 'dense1.b']
>>> x = T.matrix("x")
>>> probs = arignote.function([x], model(x, deterministic=True))(np.ones((5, 4)))
>>> probs.shape, np.allclose(probs.sum(axis=1), 1)
((5, 2), True)
"""

import math
from collections import OrderedDict

import numpy as np

from . import tensor as T
from .configparser import config
from .runtime.shared import shared
from .sandbox.rng_mrg import MRG_RandomStreams

__all__ = ["Layer", "Dense", "Conv2D", "Pool2D", "MaxPool2D", "Dropout", "BatchNorm",
           "Flatten", "Sequential", "initial_weights", "ACTIVATIONS"]


def _linear(x):
    return x


ACTIVATIONS = {
    None: _linear, "linear": _linear, "relu": T.nnet.relu, "tanh": T.tanh,
    "sigmoid": T.nnet.sigmoid, "softmax": T.nnet.softmax, "softplus": T.nnet.softplus,
    "elu": T.nnet.elu,
}

# Layers that get no seed and sit in no seeded Sequential draw from this generator, as
# Lasagne's layers draw from lasagne.random.get_rng(): reproducible within one program.
_DEFAULT_RNG = np.random.RandomState(1234)


def _activation(activation, layer):
    if callable(activation):
        return activation
    if activation not in ACTIVATIONS:
        names = ", ".join(sorted(repr(k) for k in ACTIVATIONS if k is not None))
        raise ValueError(f"{layer}: unknown activation {activation!r}; use a callable or one "
                         f"of {names}")
    return ACTIVATIONS[activation]


def _pair(value, what):
    """``value`` as a pair of ints (an int means the same on both axes)."""
    if isinstance(value, (int, np.integer)):
        return (int(value), int(value))
    try:
        pair = tuple(int(v) for v in value)
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise ValueError(f"{what} must be an int or a pair of ints, got {value!r}")
    return pair


def initial_weights(shape, init, rng, fan_in, fan_out, dtype=None):
    """A weight array of ``shape`` drawn by the scheme ``init``.

    Parameters
    ----------
    shape : tuple of int
    init : str or array_like
        ``'glorot_uniform'`` (alias ``'glorot'``): uniform in ±sqrt(6 / (fan_in + fan_out));
        ``'glorot_normal'``: normal with std sqrt(2 / (fan_in + fan_out));
        ``'he_normal'`` (alias ``'he'``): normal with std sqrt(2 / fan_in);
        ``'he_uniform'``: uniform in ±sqrt(6 / fan_in); ``'zeros'``; or an array of ``shape``.
    rng : numpy.random.RandomState
    fan_in, fan_out : int
        Inputs and outputs of one unit (a convolution counts its receptive field in both).
    dtype : str, optional
        Default ``config.floatX``.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> w = initial_weights((100, 50), "glorot", np.random.RandomState(0), 100, 50)
    >>> bool(abs(w).max() <= np.sqrt(6 / 150)), w.dtype == np.dtype(config.floatX)
    (True, True)
    """
    dtype = dtype or config.floatX
    if not isinstance(init, str):
        array = np.asarray(init, dtype=dtype)
        if array.shape != tuple(shape):
            raise ValueError(f"initial weights of shape {array.shape} given for a parameter "
                             f"of shape {tuple(shape)}")
        return array.copy()
    name = {"glorot": "glorot_uniform", "he": "he_normal"}.get(init, init)
    if name == "glorot_uniform":
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        values = rng.uniform(-limit, limit, size=shape)
    elif name == "glorot_normal":
        values = rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=shape)
    elif name == "he_normal":
        values = rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)
    elif name == "he_uniform":
        limit = math.sqrt(6.0 / fan_in)
        values = rng.uniform(-limit, limit, size=shape)
    elif name == "zeros":
        values = np.zeros(shape)
    else:
        raise ValueError(f"unknown initialisation {init!r}: use 'glorot_uniform', "
                         "'glorot_normal', 'he_normal', 'he_uniform', 'zeros' or an array")
    return np.asarray(values, dtype=dtype)


class Layer:
    """Base class: a layer is built for one per-example input shape, then called on graphs.

    Subclasses define ``_build(input_shape, rng)`` (create parameters, return the output
    shape) and ``_apply(x, deterministic)`` (return the output graph).
    """

    kind = "layer"
    # Layers without parameters can make their graph before knowing the input shape.
    needs_shape = True

    def __init__(self, name=None, seed=None):
        self.name = name
        self.seed = seed
        self.params = []
        self.input_shape = None
        self.output_shape = None
        self._updates = OrderedDict()
        self._weights = []

    @property
    def built(self):
        """Whether the parameters exist (the input shape is known)."""
        return self.output_shape is not None

    @property
    def updates(self):
        """Updates of non-trainable state (BatchNorm's running averages) from the latest
        training-mode call; empty for most layers."""
        return OrderedDict(self._updates)

    @property
    def weights(self):
        """The parameters a weight penalty usually applies to (weights, not biases)."""
        return list(self._weights)

    def build(self, input_shape, rng=None):
        """Create the parameters for inputs of per-example shape ``input_shape``; returns
        the per-example output shape."""
        input_shape = tuple(input_shape)
        if any(not isinstance(d, (int, np.integer)) or d < 1 for d in input_shape):
            raise ValueError(f"{self.label}: the input shape must be positive ints (the minibatch "
                             f"axis left out), got {input_shape}")
        if self.built:
            if tuple(input_shape) != self.input_shape:
                raise ValueError(f"{self.label} was built for inputs of shape {self.input_shape}, "
                                 f"not {input_shape}")
            return self.output_shape
        if isinstance(self.seed, np.random.RandomState):
            rng = self.seed
        elif self.seed is not None:
            rng = np.random.RandomState(self.seed)
        self.input_shape = tuple(int(d) for d in input_shape)
        self.output_shape = tuple(int(d) for d in self._build(self.input_shape,
                                                              rng or _DEFAULT_RNG))
        return self.output_shape

    def _param(self, value, suffix, weight=False):
        variable = shared(np.asarray(value, dtype=config.floatX),
                          name=f"{self.name or self.kind}.{suffix}")
        self.params.append(variable)
        if weight:
            self._weights.append(variable)
        return variable

    def __call__(self, x, deterministic=False):
        """The layer's output graph for the symbolic minibatch ``x``."""
        x = T.as_tensor_variable(x)
        if not self.built and not self.needs_shape:
            return self._apply(x, deterministic)
        if not self.built:
            shape = tuple(getattr(x.type, "shape", (None,) * x.ndim))[1:]
            if x.ndim < 1 or any(d is None for d in shape):
                raise ValueError(f"{self.label} does not know its input shape: build it with "
                                 "Sequential(..., input_shape=...) or layer.build(shape)")
            self.build(shape)
        expected = 1 + len(self.input_shape)
        if x.ndim != expected:
            raise ValueError(f"{self.label} expects inputs of {expected} dimensions (minibatch, "
                             f"{', '.join(map(str, self.input_shape))}), got {x.ndim}")
        return self._apply(x, deterministic)

    def _build(self, input_shape, rng):
        return input_shape

    def _describe(self):
        return ""

    @property
    def label(self):
        """One line naming the layer in messages: its class, settings and name."""
        named = f" {self.name!r}" if self.name else ""
        return f"{type(self).__name__}({self._describe()}){named}"

    def __repr__(self):
        return f"{type(self).__name__}({self._describe()})"


class Dense(Layer):
    """A fully connected layer: ``activation(dot(x, W) + b)``.

    Inputs of more than one dimension per example are flattened first (as Lasagne's
    DenseLayer does).

    Parameters
    ----------
    units : int
        Output units.
    activation : str or callable, optional
        ``'relu'``, ``'tanh'``, ``'sigmoid'``, ``'softmax'``, ``'softplus'``, ``'elu'``,
        ``'linear'``/``None``, or a function of a graph.
    init : str or array
        Weight initialisation (see ``initial_weights``; default Glorot uniform).
    bias : bool
        Whether to add a bias (zeros at start).
    input_dim : int, optional
        Input features, to build the layer at once without ``Sequential``.
    seed : int or numpy.random.RandomState, optional
        Seed of this layer's own initialisation generator.
    name : str, optional
        Prefix of the parameters' names.

    Examples
    --------
    >>> import numpy as np, arignote.tensor as T
    >>> layer = Dense(2, input_dim=3, init=np.ones((3, 2)))
    >>> x = T.matrix("x")
    >>> layer(x).eval({x: np.array([[1.0, 2.0, 3.0]], dtype=x.dtype)})
    array([[6., 6.]])
    """

    kind = "dense"

    def __init__(self, units, activation=None, init="glorot_uniform", bias=True,
                 input_dim=None, seed=None, name=None):
        super().__init__(name, seed)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"Dense: units must be a positive int, got {units!r}")
        self.units = int(units)
        self.activation_name = activation
        self.activation = _activation(activation, "Dense")
        self.init, self.bias = init, bias
        if input_dim is not None:
            self.build((input_dim,))

    def _build(self, input_shape, rng):
        n_in = int(np.prod(input_shape))
        self.W = self._param(initial_weights((n_in, self.units), self.init, rng, n_in,
                                             self.units), "W", weight=True)
        self.b = self._param(np.zeros(self.units), "b") if self.bias else None
        return (self.units,)

    def _apply(self, x, deterministic):
        if x.ndim > 2:
            x = x.flatten(2)
        out = T.dot(x, self.W)
        if self.b is not None:
            out = out + self.b
        return self.activation(out)

    def _describe(self):
        return f"{self.units}, activation={self.activation_name!r}"


class Conv2D(Layer):
    """A 2-D convolution layer over NCHW minibatches: ``activation(conv2d(x, W) + b)``.

    ``W`` has shape ``(filters, channels, rows, columns)``; the graph is
    ``T.nnet.conv2d(x, W, border_mode=pad, subsample=stride, filter_flip=flip_filters)``.

    Parameters
    ----------
    filters : int
        Output channels.
    kernel_size : int or (int, int)
    stride : int or (int, int)
    pad : 'valid', 'full', 'same' (or 'half'), int or (int, int)
        Zero padding: none, ``kernel - 1``, ``kernel // 2`` (odd kernels keep the size), or
        explicit amounts per side.
    activation : str or callable, optional
    init : str or array
        Default Glorot uniform, fans counting the receptive field (as Lasagne does).
    bias : bool
    flip_filters : bool
        True (Theano's and Lasagne's default) computes a true convolution; False a
        cross-correlation, as PyTorch and Keras do.
    in_channels : int, optional
        Not needed inside ``Sequential``; with ``input_shape`` builds the layer at once.
    input_shape : (int, int, int), optional
        ``(channels, rows, columns)`` to build the layer at once.
    seed, name : optional

    Examples
    --------
    >>> conv = Conv2D(4, 3, pad="same")
    >>> conv.build((2, 8, 8), np.random.RandomState(0))
    (4, 8, 8)
    >>> [p.get_value().shape for p in conv.params]
    [(4, 2, 3, 3), (4,)]
    """

    kind = "conv"

    def __init__(self, filters, kernel_size, stride=1, pad="valid", activation=None,
                 init="glorot_uniform", bias=True, flip_filters=True, input_shape=None,
                 seed=None, name=None):
        super().__init__(name, seed)
        if not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ValueError(f"Conv2D: filters must be a positive int, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size, "Conv2D kernel_size")
        self.stride = _pair(stride, "Conv2D stride")
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"Conv2D: kernel_size {self.kernel_size} and stride {self.stride} "
                             "must be positive")
        if isinstance(pad, str):
            kernel = self.kernel_size
            modes = {"valid": (0, 0), "full": (kernel[0] - 1, kernel[1] - 1),
                     "same": (kernel[0] // 2, kernel[1] // 2),
                     "half": (kernel[0] // 2, kernel[1] // 2)}
            if pad not in modes:
                raise ValueError(f"Conv2D: pad must be 'valid', 'full', 'same', 'half' or "
                                 f"ints, got {pad!r}")
            self.border_mode = {"same": "half"}.get(pad, pad)
            self.padding = modes[pad]
        else:
            self.padding = _pair(pad, "Conv2D pad")
            if min(self.padding) < 0:
                raise ValueError(f"Conv2D: pad {self.padding} must not be negative")
            self.border_mode = self.padding
        self.activation_name = activation
        self.activation = _activation(activation, "Conv2D")
        self.init, self.bias, self.flip_filters = init, bias, bool(flip_filters)
        if input_shape is not None:
            self.build(input_shape)

    def _build(self, input_shape, rng):
        if len(input_shape) != 3:
            raise ValueError(f"{self.label} expects per-example inputs (channels, rows, columns), "
                             f"got {input_shape}")
        channels, rows, columns = input_shape
        kernel, stride, pad = self.kernel_size, self.stride, self.padding
        out_rows = (rows + 2 * pad[0] - kernel[0]) // stride[0] + 1
        out_columns = (columns + 2 * pad[1] - kernel[1]) // stride[1] + 1
        if out_rows < 1 or out_columns < 1:
            raise ValueError(f"{self.label}: the {kernel[0]}x{kernel[1]} filter is larger than the "
                             f"padded {rows + 2 * pad[0]}x{columns + 2 * pad[1]} input")
        field = kernel[0] * kernel[1]
        shape = (self.filters, channels) + kernel
        self.W = self._param(initial_weights(shape, self.init, rng, channels * field,
                                             self.filters * field), "W", weight=True)
        self.b = self._param(np.zeros(self.filters), "b") if self.bias else None
        return (self.filters, out_rows, out_columns)

    def _apply(self, x, deterministic):
        out = T.nnet.conv2d(x, self.W, input_shape=(None,) + self.input_shape,
                            filter_shape=self.W.get_value(borrow=True).shape,
                            border_mode=self.border_mode, subsample=self.stride,
                            filter_flip=self.flip_filters)
        if self.b is not None:
            out = out + self.b.dimshuffle("x", 0, "x", "x")
        return self.activation(out)

    def _describe(self):
        return (f"{self.filters}, {self.kernel_size}, stride={self.stride}, "
                f"pad={self.padding}, activation={self.activation_name!r}")


class Pool2D(Layer):
    """2-D pooling over the last two axes: ``pool_2d(x, ws, ignore_border, stride, pad, mode)``.

    Parameters
    ----------
    pool_size : int or (int, int)
    stride : int or (int, int), optional
        Default: the pool size (windows do not overlap).
    pad : int or (int, int)
        Zero padding (needs ``ignore_border=True``).
    ignore_border : bool
        True drops a partial window at the edge (Theano 1.0's recommended setting).
    mode : 'max', 'sum', 'average_inc_pad' or 'average_exc_pad'

    Examples
    --------
    >>> Pool2D(2, mode="average_exc_pad").build((3, 7, 7))
    (3, 3, 3)
    """

    kind = "pool"
    needs_shape = False

    def __init__(self, pool_size=2, stride=None, pad=0, ignore_border=True, mode="max",
                 name=None):
        super().__init__(name)
        self.pool_size = _pair(pool_size, f"{type(self).__name__} pool_size")
        self.stride = self.pool_size if stride is None else _pair(stride, "pool stride")
        self.pad = _pair(pad, "pool pad")
        if min(self.pool_size) < 1 or min(self.stride) < 1 or min(self.pad) < 0:
            raise ValueError(f"{type(self).__name__}: pool_size {self.pool_size}, stride "
                             f"{self.stride} must be positive and pad {self.pad} >= 0")
        if mode not in ("max", "sum", "average_inc_pad", "average_exc_pad"):
            raise ValueError(f"{type(self).__name__}: unknown mode {mode!r}")
        if not ignore_border and self.pad != (0, 0):
            raise ValueError(f"{type(self).__name__}: padding needs ignore_border=True")
        self.ignore_border, self.mode = bool(ignore_border), mode

    def _build(self, input_shape, rng):
        if len(input_shape) < 2:
            raise ValueError(f"{self.label} pools the last two axes; got inputs of shape "
                             f"{input_shape}")
        out = []
        for size, window, step, pad in zip(input_shape[-2:], self.pool_size, self.stride,
                                           self.pad):
            if self.ignore_border:
                length = (size + 2 * pad - window) // step + 1
            elif step >= window:
                length = (size - 1) // step + 1
            else:
                length = max(0, (size - 1 - window + step) // step) + 1
            if length < 1:
                raise ValueError(f"{self.label}: the {self.pool_size} window is larger than the "
                                 f"{input_shape[-2:]} input")
            out.append(length)
        return tuple(input_shape[:-2]) + tuple(out)

    def _apply(self, x, deterministic):
        from .tensor.signal import pool

        return pool.pool_2d(x, ws=self.pool_size, ignore_border=self.ignore_border,
                            stride=self.stride, pad=self.pad, mode=self.mode)

    def _describe(self):
        return f"{self.pool_size}, stride={self.stride}, mode={self.mode!r}"


class MaxPool2D(Pool2D):
    """Max-pooling: ``Pool2D`` with ``mode='max'`` (see ``Pool2D`` for the parameters).

    Examples
    --------
    >>> MaxPool2D(2).build((20, 28, 28))
    (20, 14, 14)
    """

    def __init__(self, pool_size=2, stride=None, pad=0, ignore_border=True, name=None):
        super().__init__(pool_size, stride, pad, ignore_border, "max", name)


class Dropout(Layer):
    """Inverted dropout: in training graphs each unit is kept with probability ``1 - p`` and
    scaled by ``1 / (1 - p)``; deterministic graphs pass the input through.

    The graph is ``T.nnet.dropout(x, p, srng, rescale)``: a binomial mask drawn from the
    layer's ``MRG_RandomStreams`` in C inside the compiled function (the generator state is a
    shared variable advanced at each call).

    Parameters
    ----------
    p : float
        The probability of dropping a unit, in [0, 1).
    rescale : bool
        Scale kept units by ``1 / (1 - p)`` (True) so that test graphs need no scaling.
    seed : int or numpy.random.RandomState, optional
        Seed of the random stream (inside ``Sequential``, drawn from its generator).

    Examples
    --------
    >>> import numpy as np, arignote, arignote.tensor as T
    >>> x = T.matrix("x")
    >>> drop = Dropout(0.5, seed=1)
    >>> out = arignote.function([x], drop(x))(np.ones((2, 1000), dtype=x.dtype))
    >>> sorted(set(out.ravel().tolist()))
    [0.0, 2.0]
    >>> drop(x, deterministic=True) is x
    True
    """

    kind = "dropout"

    def __init__(self, p=0.5, rescale=True, seed=None, name=None):
        super().__init__(name, seed)
        if not 0.0 <= float(p) < 1.0:
            raise ValueError(f"Dropout: p={p} must be in [0, 1)")
        self.p, self.rescale = float(p), bool(rescale)
        self.srng = None

    def _build(self, input_shape, rng):
        if self.srng is None:
            seed = self.seed if isinstance(self.seed, (int, np.integer)) else None
            if seed is None:
                rng = self.seed if isinstance(self.seed, np.random.RandomState) else rng
                seed = int(rng.randint(1, 2 ** 30))
            self.srng = MRG_RandomStreams(int(seed))
        return input_shape

    def __call__(self, x, deterministic=False):
        # Dropout takes inputs of any shape: only the random stream needs creating.
        x = T.as_tensor_variable(x)
        if deterministic or self.p == 0.0:
            return x
        if self.srng is None:
            self._build(None, _DEFAULT_RNG)
        return T.nnet.dropout(x, p=self.p, srng=self.srng, rescale=self.rescale)

    def _describe(self):
        return f"p={self.p}"


class BatchNorm(Layer):
    """Batch normalisation (Ioffe and Szegedy, 2015), with Theano 1.0's
    ``T.nnet.bn.batch_normalization_train`` / ``_test``.

    Training graphs normalise with the minibatch's mean and variance and put the running
    averages' updates in ``layer.updates`` (``running := (1 - alpha) * running + alpha *
    batch``, the variance unbiased); deterministic graphs use the running averages.
    ``gamma`` and ``beta`` are the trainable parameters.

    Parameters
    ----------
    axes : 'auto' or tuple of int
        Axes (of the minibatch, 0 being the examples) averaged over: ``'auto'`` is every axis
        but the channel axis 1, so per channel after a convolution and per unit after a
        dense layer.
    epsilon : float
        Added to the variance (1e-4, Theano's and Lasagne's default).
    alpha : float
        The running averages' update factor (0.1).

    Examples
    --------
    >>> bn = BatchNorm()
    >>> bn.build((20, 12, 12))
    (20, 12, 12)
    >>> [p.name for p in bn.params], bn.running_mean.get_value().shape
    (['batchnorm.gamma', 'batchnorm.beta'], (20,))
    """

    kind = "batchnorm"

    def __init__(self, axes="auto", epsilon=1e-4, alpha=0.1, name=None):
        super().__init__(name)
        self.axes, self.epsilon, self.alpha = axes, float(epsilon), float(alpha)

    def _build(self, input_shape, rng):
        ndim = len(input_shape) + 1
        axes = (0,) + tuple(range(2, ndim)) if self.axes == "auto" else tuple(self.axes)
        if not axes or any(not 0 <= a < ndim for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(f"BatchNorm: axes {self.axes!r} must be distinct axes of the "
                             f"{ndim}-dimensional minibatch")
        self.norm_axes = tuple(sorted(axes))
        kept = [d for a, d in enumerate((None,) + tuple(input_shape)) if a not in axes]
        shape = tuple(kept)
        self.gamma = self._param(np.ones(shape), "gamma")
        self.beta = self._param(np.zeros(shape), "beta")
        name = self.name or self.kind
        self.running_mean = shared(np.zeros(shape, dtype=config.floatX),
                                   name=f"{name}.running_mean")
        self.running_var = shared(np.ones(shape, dtype=config.floatX),
                                  name=f"{name}.running_var")
        return input_shape

    def _broadcast(self, variable, ndim):
        """``variable`` (the kept axes only) with broadcastable axes at the averaged ones."""
        pattern, kept = [], iter(range(variable.ndim))
        for axis in range(ndim):
            pattern.append("x" if axis in self.norm_axes else next(kept))
        return variable.dimshuffle(*pattern)

    def _apply(self, x, deterministic):
        from .tensor.nnet import bn

        gamma, beta = self._broadcast(self.gamma, x.ndim), self._broadcast(self.beta, x.ndim)
        mean = self._broadcast(self.running_mean, x.ndim)
        var = self._broadcast(self.running_var, x.ndim)
        if deterministic:
            return bn.batch_normalization_test(x, gamma, beta, mean, var, axes=self.norm_axes,
                                               epsilon=self.epsilon)
        out, _, _, new_mean, new_var = bn.batch_normalization_train(
            x, gamma, beta, axes=self.norm_axes, epsilon=self.epsilon,
            running_average_factor=self.alpha, running_mean=mean, running_var=var)
        shape = self.running_mean.get_value(borrow=True).shape
        self._updates = OrderedDict([(self.running_mean, new_mean.reshape(shape)),
                                     (self.running_var, new_var.reshape(shape))])
        return out

    def _describe(self):
        return f"axes={self.axes!r}"


class Flatten(Layer):
    """Flatten each example to one axis (``x.flatten(outdim)``).

    Examples
    --------
    >>> Flatten().build((40, 5, 5))
    (1000,)
    """

    kind = "flatten"
    needs_shape = False

    def __init__(self, outdim=2, name=None):
        super().__init__(name)
        if int(outdim) < 2:
            raise ValueError(f"Flatten: outdim={outdim} must be at least 2 (the minibatch "
                             "axis and one more)")
        self.outdim = int(outdim)

    def _build(self, input_shape, rng):
        keep = self.outdim - 2
        if len(input_shape) < self.outdim - 1:
            raise ValueError(f"{self.label}: inputs of shape {input_shape} have too few axes")
        return tuple(input_shape[:keep]) + (int(np.prod(input_shape[keep:])),)

    def _apply(self, x, deterministic):
        return x.flatten(self.outdim)

    def _describe(self):
        return f"outdim={self.outdim}"


class Sequential(Layer):
    """Layers applied one after the other.

    Parameters
    ----------
    *layers : Layer
    input_shape : tuple of int, optional
        The per-example input shape (e.g. ``(3, 32, 32)``): builds every layer at once, so
        ``model.params`` exists before the first call.  Without it the model is built on the
        first call, from the input's static shape.
    seed : int or numpy.random.RandomState, optional
        Seeds the numpy generator of every layer's initial weights and dropout streams (a
        layer's own ``seed`` wins).
    name : str, optional

    Attributes
    ----------
    params : list of SharedVariable
        Every layer's trainable parameters, in order.
    updates : OrderedDict
        The layers' state updates (BatchNorm's running averages) of the latest training-mode
        call; merge them into the training function's updates.

    Examples
    --------
    >>> model = Sequential(Flatten(), Dropout(0.5), Dense(10, activation="softmax"),
    ...                    input_shape=(1, 28, 28), seed=0)
    >>> model.output_shape, len(model.params)
    ((10,), 2)
    >>> print(model)
    Sequential(input_shape=(1, 28, 28))
      Flatten(outdim=2)               -> (784,)
      Dropout(p=0.5)                  -> (784,)
      Dense(10, activation='softmax') -> (10,)
    """

    kind = "sequential"

    def __init__(self, *layers, input_shape=None, seed=None, name=None):
        super().__init__(name, seed)
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for position, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: item {position} is {layer!r}, not a layer")
        self.layers = list(layers)
        if input_shape is not None:
            self.build(input_shape)

    def _build(self, input_shape, rng):
        counts = {}
        shape = input_shape
        for layer in self.layers:
            if layer.name is None and not layer.built:
                index = counts.get(layer.kind, 0)
                counts[layer.kind] = index + 1
                prefix = f"{self.name}." if self.name else ""
                layer.name = f"{prefix}{layer.kind}{index}"
            shape = layer.build(shape, rng)
        self.params = [p for layer in self.layers for p in layer.params]
        return shape

    def _apply(self, x, deterministic):
        for layer in self.layers:
            x = layer(x, deterministic=deterministic)
        return x

    @property
    def updates(self):
        merged = OrderedDict()
        for layer in self.layers:
            merged.update(layer.updates)
        return merged

    @property
    def weights(self):
        return [p for layer in self.layers for p in layer.weights]

    def _describe(self):
        return f"input_shape={self.input_shape}"

    def __getitem__(self, index):
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        head = f"Sequential({self._describe()})"
        if not self.built:
            return head + "".join(f"\n  {layer!r}" for layer in self.layers)
        names = [repr(layer) for layer in self.layers]
        width = max(len(n) for n in names) if names else 0
        rows = [f"\n  {n.ljust(width)} -> {layer.output_shape}"
                for n, layer in zip(names, self.layers)]
        return head + "".join(rows)
