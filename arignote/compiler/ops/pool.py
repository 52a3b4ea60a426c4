"""2-d pooling over the last two axes: Theano 1.0's ``Pool`` and its gradient ops.

``Pool`` reduces every window of the last two axes of an N-d tensor (N >= 2) with max, sum
or an average (over the whole window, padding included, or over its part inside the image).
Its gradients are ops too: ``MaxPoolGrad`` (the output gradient goes to every input equal to
its window's maximum, as Theano does at ties), ``AveragePoolGrad`` (spread evenly), and
``DownsampleFactorMaxGradGrad`` (the transpose of ``MaxPoolGrad`` in its output gradient), so
second derivatives work: each gradient op is linear in its gradient input, and its own
gradient is its transpose.

Window ``i`` of an axis of length ``n`` starts at ``i * stride - pad``; its part inside the
image, ``[max(start, 0), min(start + ws, n))``, is what max, sum and ``average_exc_pad`` see;
``average_inc_pad`` divides by the window's length inside the padded image. With
``ignore_border=False`` (padding must then be 0) a last, partial window covers the border.

The window sizes, strides and paddings are the ops' parameters (Python ints), so the C
kernels (kernels/pool.h, codegen/pool_c.py) get them as constants.
"""

from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from ..graph import Apply
from ..op import Op
from ..types import TensorType
from ..variable import as_tensor_variable

__all__ = ["pool_2d", "max_pool_2d", "pool_output_length"]

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def pool_output_length(length, ws, stride, pad, ignore_border):
    """The number of windows along an axis of ``length`` (Theano's ``Pool.out_shape``);
    negative when a window does not fit (an error at run time)."""
    if ignore_border:
        return (length + 2 * pad - ws) // stride + 1
    if stride >= ws:
        return (length - 1) // stride + 1
    # Theano's formula gives one window for an empty axis; there is nothing to pool.
    return min(length, max(0, (length - 1 - ws + stride) // stride) + 1)


def _symbolic_length(length, ws, stride, pad, ignore_border):
    """``pool_output_length`` of an int64 scalar graph (for ``infer_shape``)."""
    from . import int_div, maximum, minimum
    if ignore_border:
        return int_div(length + (2 * pad - ws), stride) + 1
    if stride >= ws:
        return int_div(length - 1, stride) + 1
    return minimum(length, maximum(0, int_div(length - (1 + ws - stride), stride)) + 1)


def _windows(length, ws, stride, pad, ignore_border, inc_pad=False):
    """Per window of an axis: ``(lo, hi, divisor_length)`` with ``[lo, hi)`` the window's
    part inside the image and ``divisor_length`` its length counted for an average."""
    count = pool_output_length(length, ws, stride, pad, ignore_border)
    windows = []
    for i in range(max(count, 0)):
        start = i * stride - pad
        lo, hi = max(start, 0), min(start + ws, length)
        windows.append((lo, hi, min(start + ws, length + pad) - start if inc_pad else hi - lo))
    return windows


@dataclass(frozen=True)
class _PoolBase(Op):
    """Parameters shared by the pooling ops: window, stride and padding of the last two
    axes, whether partial windows at the border are dropped, and the reduction."""

    ws: tuple = (2, 2)
    stride: tuple = (2, 2)
    pad: tuple = (0, 0)
    ignore_border: bool = True
    mode: str = "max"

    def _check_input(self, x, what):
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise TypeError(f"{what}: pooling needs an input with at least 2 dimensions (it pools "
                            f"the last two), got {x.type}")
        if x.dtype not in dt.FLOAT_DTYPES and x.dtype not in dt.INTEGER_DTYPES:
            raise TypeError(f"{what}: pooling takes a float or integer tensor, got {x.type}")
        return x

    def _output_type(self, x):
        return TensorType(x.dtype, tuple(x.broadcastable[:-2]) + (False, False))

    def out_shape(self, shape):
        """The output shape for an input of ``shape``; raises ValueError when a window does
        not fit into the (padded) input with ``ignore_border=True``."""
        lengths = []
        for axis in range(2):
            n = shape[len(shape) - 2 + axis]
            out = pool_output_length(n, self.ws[axis], self.stride[axis], self.pad[axis],
                                     self.ignore_border)
            if out < 1 and self.ignore_border:
                raise ValueError(
                    f"pool_2d: the {self.ws[0]}x{self.ws[1]} window is larger than the "
                    f"{shape[-2]}x{shape[-1]} input padded by {self.pad} (ignore_border=True "
                    f"leaves no window); use a smaller window, padding, or ignore_border=False")
            lengths.append(max(out, 0))
        return tuple(shape[:-2]) + tuple(lengths)

    def _symbolic_shape(self, shape):
        return list(shape[:-2]) + [
            _symbolic_length(shape[len(shape) - 2 + axis], self.ws[axis], self.stride[axis],
                             self.pad[axis], self.ignore_border) for axis in range(2)]

    def _planes(self, x):
        """``x`` as a (planes, rows, cols) array and the windows of both axes."""
        rows = _windows(x.shape[-2], self.ws[0], self.stride[0], self.pad[0], self.ignore_border,
                        self.mode == "average_inc_pad")
        cols = _windows(x.shape[-1], self.ws[1], self.stride[1], self.pad[1], self.ignore_border,
                        self.mode == "average_inc_pad")
        return x.reshape((-1,) + x.shape[-2:]), rows, cols

    def _params(self):
        return dict(ws=self.ws, stride=self.stride, pad=self.pad,
                    ignore_border=self.ignore_border)

    def __str__(self):
        return (f"{type(self).__name__}{{{self.mode}, ws={self.ws}, stride={self.stride}, "
                f"pad={self.pad}, ignore_border={self.ignore_border}}}")


@dataclass(frozen=True)
class Pool(_PoolBase):
    """Pools the windows of the last two axes of ``x`` with ``mode``."""

    def make_node(self, x):
        x = self._check_input(x, "pool_2d")
        return Apply(self, [x], [self._output_type(x).make_variable()])

    def perform(self, node, inputs):
        (x,) = inputs
        out = np.empty(self.out_shape(x.shape), dtype=x.dtype)
        planes, rows, cols = self._planes(x)
        flat = out.reshape((-1,) + out.shape[-2:])
        for i, (r0, r1, rn) in enumerate(rows):
            for j, (c0, c1, cn) in enumerate(cols):
                window = planes[:, r0:r1, c0:c1]
                if self.mode == "max":
                    flat[:, i, j] = window.max(axis=(1, 2))
                else:
                    total = window.sum(axis=(1, 2), dtype=x.dtype)
                    flat[:, i, j] = total if self.mode == "sum" else total / (rn * cn)
        return [out]

    def infer_shape(self, node, input_shapes):
        return [self._symbolic_shape(input_shapes[0])]

    def grad(self, inputs, out_grads):
        (x,) = inputs
        (gz,) = out_grads
        if self.mode == "max":
            return [MaxPoolGrad(**self._params())(x, self(x), gz)]
        return [AveragePoolGrad(**self._params(), mode=self.mode)(x, gz)]


def _check_pooled(x, pooled, what, name):
    """``pooled`` must be shaped like ``op``'s output of ``x`` (same dtype, same rank)."""
    pooled = as_tensor_variable(pooled)
    if pooled.ndim != x.ndim or pooled.dtype != x.dtype:
        raise TypeError(f"{what}: {name} must be a {x.dtype} tensor of rank {x.ndim} (the "
                        f"pooled input), got {pooled.type}")
    return pooled


def _check_value_shape(op, x, value, what, name):
    expected = op.out_shape(x.shape)
    if value.shape != expected:
        raise ValueError(f"{what}: {name} has shape {value.shape}, but pooling an input of "
                         f"shape {x.shape} gives {expected}")


@dataclass(frozen=True)
class MaxPoolGrad(_PoolBase):
    """The gradient of max-pooling: ``gz[w]`` added to every input of window ``w`` equal to
    ``maxout[w]`` (its maximum). Inputs ``(x, maxout, gz)``; the output is shaped like x."""

    def make_node(self, x, maxout, gz):
        x = self._check_input(x, "MaxPoolGrad")
        maxout = _check_pooled(x, maxout, "MaxPoolGrad", "maxout")
        gz = _check_pooled(x, gz, "MaxPoolGrad", "the output gradient")
        return Apply(self, [x, maxout, gz], [x.type.make_variable()])

    def perform(self, node, inputs):
        x, maxout, gz = inputs
        _check_value_shape(self, x, maxout, "MaxPoolGrad", "maxout")
        _check_value_shape(self, x, gz, "MaxPoolGrad", "the output gradient")
        planes, rows, cols = self._planes(x)
        gx = np.zeros_like(planes)
        peaks = maxout.reshape((-1,) + maxout.shape[-2:])
        grads = gz.reshape((-1,) + gz.shape[-2:])
        for i, (r0, r1, _) in enumerate(rows):
            for j, (c0, c1, _) in enumerate(cols):
                hit = planes[:, r0:r1, c0:c1] == peaks[:, i, j, None, None]
                # a select, not a product: an infinite gradient stays off the non-maxima
                gx[:, r0:r1, c0:c1] += np.where(hit, grads[:, i, j, None, None], 0)
        return [gx.reshape(x.shape)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, out_grads):
        x, maxout, gz = inputs
        (ggx,) = out_grads
        return [None, None, DownsampleFactorMaxGradGrad(**self._params())(x, maxout, ggx)]


@dataclass(frozen=True)
class DownsampleFactorMaxGradGrad(_PoolBase):
    """The transpose of ``MaxPoolGrad`` in its output gradient: per window ``w``, the sum of
    ``ggx`` over the inputs of ``w`` equal to ``maxout[w]``. Inputs ``(x, maxout, ggx)``; the
    output is shaped like ``maxout``."""

    def make_node(self, x, maxout, ggx):
        x = self._check_input(x, "DownsampleFactorMaxGradGrad")
        maxout = _check_pooled(x, maxout, "DownsampleFactorMaxGradGrad", "maxout")
        ggx = _check_pooled(x, ggx, "DownsampleFactorMaxGradGrad", "ggx")
        return Apply(self, [x, maxout, ggx], [maxout.type.make_variable()])

    def perform(self, node, inputs):
        x, maxout, ggx = inputs
        _check_value_shape(self, x, maxout, "DownsampleFactorMaxGradGrad", "maxout")
        if ggx.shape != x.shape:
            raise ValueError(f"DownsampleFactorMaxGradGrad: ggx has shape {ggx.shape}, the "
                             f"input {x.shape}")
        planes, rows, cols = self._planes(x)
        peaks = maxout.reshape((-1,) + maxout.shape[-2:])
        ggx_planes = ggx.reshape(planes.shape)
        out = np.zeros_like(peaks)
        for i, (r0, r1, _) in enumerate(rows):
            for j, (c0, c1, _) in enumerate(cols):
                hit = planes[:, r0:r1, c0:c1] == peaks[:, i, j, None, None]
                out[:, i, j] = np.where(hit, ggx_planes[:, r0:r1, c0:c1], 0).sum(axis=(1, 2))
        return [out.reshape(maxout.shape)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]

    def grad(self, inputs, out_grads):
        x, maxout, ggx = inputs
        (gout,) = out_grads
        return [None, None, MaxPoolGrad(**self._params())(x, maxout, gout)]


@dataclass(frozen=True)
class AveragePoolGrad(_PoolBase):
    """The gradient of sum and average pooling: ``gz[w]`` (divided by the window's divisor
    for the averages) added to every input of window ``w``. Inputs ``(x, gz)``; ``x`` only
    gives the shape of the output."""

    mode: str = "average_inc_pad"

    def make_node(self, x, gz):
        x = self._check_input(x, "AveragePoolGrad")
        if self.mode == "max":
            raise ValueError("AveragePoolGrad: mode 'max' has MaxPoolGrad")
        gz = _check_pooled(x, gz, "AveragePoolGrad", "the output gradient")
        return Apply(self, [x, gz], [x.type.make_variable()])

    def perform(self, node, inputs):
        x, gz = inputs
        _check_value_shape(self, x, gz, "AveragePoolGrad", "the output gradient")
        planes, rows, cols = self._planes(x)
        gx = np.zeros(planes.shape, dtype=x.dtype)
        grads = gz.reshape((-1,) + gz.shape[-2:])
        for i, (r0, r1, rn) in enumerate(rows):
            for j, (c0, c1, cn) in enumerate(cols):
                share = grads[:, i, j] if self.mode == "sum" else grads[:, i, j] / (rn * cn)
                gx[:, r0:r1, c0:c1] += share[:, None, None].astype(x.dtype)
        return [gx.reshape(x.shape)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, out_grads):
        x, gz = inputs
        (ggx,) = out_grads
        return [None, Pool(**self._params(), mode=self.mode)(ggx)]


def _pair(value, what, allow_zero=False):
    """A pair of Python ints from an int, a pair, or constant graphs; clear errors else."""
    from .shape import _constant_int
    if isinstance(getattr(value, "data", None), np.ndarray):  # a constant graph
        value = value.data.tolist()
    scalar = isinstance(value, (int, np.integer)) or (np.ndim(value) == 0
                                                      and not hasattr(value, "ndim"))
    items = (value, value) if scalar else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"pool_2d: {what} must be a pair of ints, got {value!r}") from None
    if len(items) != 2:
        raise ValueError(f"pool_2d: {what} must have 2 entries (rows, columns), got {value!r}")
    pair = []
    for item in items:
        number = _constant_int(item) if not isinstance(item, (int, np.integer)) else int(item)
        if number is None or isinstance(item, (bool, np.bool_, float)):
            raise TypeError(f"pool_2d: {what} must be ints known when the graph is built, got "
                            f"{value!r}")
        pair.append(int(number))
    low = 0 if allow_zero else 1
    if any(n < low for n in pair):
        raise ValueError(f"pool_2d: {what} must be {'non-negative' if allow_zero else 'positive'}"
                         f", got {tuple(pair)}")
    return tuple(pair)


def _alias(new, old, new_name, old_name):
    if old is not None:
        if new is not None:
            raise ValueError(f"pool_2d: give {new_name} or its old name {old_name}, not both")
        return old
    return new


_IGNORE_BORDER_WARNING = ("pool_2d: ignore_border was not given; it defaults to False as in "
                          "Theano 1.0 (pass ignore_border=True to drop partial windows, as "
                          "cuDNN does)")


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max", ds=None,
            st=None, padding=None):
    """Pools the last two axes of ``input`` in windows ``ws`` (Theano 1.0's ``pool_2d``).

    Parameters
    ----------
    input : tensor of rank >= 2 (usually ``(batch, channels, rows, cols)``).
    ws : pair of ints, the window (``ds`` is its old name).
    ignore_border : bool; ``True`` drops partial windows at the border. ``None`` means
        ``False`` with a warning, as in Theano 1.0.
    stride : pair of ints, the step between windows (``st``; default ``ws``).
    pad : pair of ints, zero padding on both sides (``padding``); needs ``ignore_border``
        and must be smaller than the window.
    mode : ``'max'``, ``'sum'``, ``'average_inc_pad'`` (divide by the window size, padding
        included) or ``'average_exc_pad'`` (divide by the part inside the image).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dmatrix('x')
    >>> T.signal.pool.pool_2d(x, ws=(2, 2), ignore_border=True).eval(
    ...     {x: np.arange(16.).reshape(4, 4)})
    array([[ 5.,  7.],
           [13., 15.]])
    """
    import warnings
    ws = _alias(ws, ds, "ws", "ds")
    stride = _alias(stride, st, "stride", "st")
    if padding is not None:
        if tuple(np.atleast_1d(pad)) != (0, 0) and pad is not None:
            raise ValueError("pool_2d: give pad or its old name padding, not both")
        pad = padding
    if ws is None:
        raise TypeError("pool_2d: the window size ws is required")
    if mode not in MODES:
        raise ValueError(f"pool_2d: mode must be one of {', '.join(MODES)}; got {mode!r}")
    if ignore_border is None:
        warnings.warn(_IGNORE_BORDER_WARNING, stacklevel=2)
        ignore_border = False
    ws = _pair(ws, "ws (the window)")
    stride = ws if stride is None else _pair(stride, "stride")
    pad = _pair((0, 0) if pad is None else pad, "pad", allow_zero=True)
    if pad != (0, 0) and not ignore_border:
        raise ValueError(f"pool_2d: padding {pad} needs ignore_border=True")
    if any(p >= w for p, w in zip(pad, ws)):
        raise ValueError(f"pool_2d: the padding {pad} must be smaller than the window {ws} "
                         f"in each dimension")
    return Pool(ws, stride, pad, bool(ignore_border), mode)(input)


def max_pool_2d(input, ds, ignore_border=None, st=None, padding=(0, 0), mode="max"):
    """Theano's old ``theano.tensor.signal.downsample.max_pool_2d``: ``pool_2d`` with the
    window ``ds``, stride ``st`` and padding ``padding``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dmatrix('x')
    >>> T.signal.downsample.max_pool_2d(x, (2, 2), ignore_border=True).eval(
    ...     {x: np.arange(4.).reshape(2, 2)})
    array([[3.]])
    """
    if ignore_border is None:  # warned here, so that the warning names the caller's line
        import warnings
        warnings.warn(_IGNORE_BORDER_WARNING, stacklevel=2)
        ignore_border = False
    return pool_2d(input, ws=ds, ignore_border=ignore_border, stride=st, pad=padding,
                   mode=mode)
