"""2-d convolution of Theano 1.0's ``AbstractConv2d`` family: the forward op and its two
gradient ops, each a primitive with a numpy reference, shape inference and a gradient graph.

Layouts are NCHW for images (batch, channels, rows, columns) and OIHW for filters (output
channels, input channels per group, rows, columns).  Every op is the same correlation with
the same parameters, seen from another side:

- ``Conv2d(x, w)``: ``y[n, o] = sum_c,i,j x_pad[n, g*Cg + c, oh*sh + i*dh, ow*sw + j*dw] *
  w'[o, c, i, j]`` with ``w'`` the filters flipped in both spatial axes when
  ``filter_flip`` (a true convolution, Theano's default) and ``g`` the group of ``o``;
- ``Conv2dGradInputs(w, gy, (H, W))``: the gradient of that w.r.t. ``x`` (a transposed
  convolution), for an image of ``H x W`` (a stride makes the size ambiguous, so it is an
  input);
- ``Conv2dGradWeights(x, gy, (kh, kw))``: the gradient w.r.t. ``w``.

The gradient of each is a graph of the other two, so second derivatives and R-operators
work.  The C kernels (im2col + GEMM) live in ``kernels/conv.h``; these classes only describe
the computation.
"""

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import dtypes as dt
from ..graph import Apply
from ..op import Op
from ..types import TensorType
from ..variable import as_tensor_variable

__all__ = ["conv2d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights"]


def _ops():
    """The ops namespace, imported late: it imports this module."""
    from .. import ops
    return ops


# ------------------------------------------------------------------------ parameters
def _pair(value, what, minimum):
    """``value`` (an int or a pair of ints) as a pair of Python ints, each >= ``minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    try:
        pair = tuple(value)
    except TypeError:
        pair = None
    if pair is None or len(pair) != 2 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"conv2d: {what} must be a pair of ints, got {value!r}")
    if any(v < minimum for v in pair):
        raise ValueError(f"conv2d: {what} must be >= {minimum} in both axes, got {pair}")
    return int(pair[0]), int(pair[1])


def normalize_border_mode(border_mode):
    """``'full'``, ``'half'`` or a pair of non-negative paddings (``'valid'`` is (0, 0))."""
    if isinstance(border_mode, str):
        if border_mode == "valid":
            return (0, 0)
        if border_mode in ("full", "half"):
            return border_mode
        raise ValueError(f"conv2d: border_mode must be 'valid', 'full', 'half', an int or a "
                         f"pair of ints, got {border_mode!r}")
    if isinstance(border_mode, (tuple, list)) and any(isinstance(b, (tuple, list))
                                                      for b in border_mode):
        raise ValueError(f"conv2d: asymmetric padding {border_mode!r} is not supported; pad "
                         f"the input with T.set_subtensor into a larger zero tensor instead")
    try:
        return _pair(border_mode, "border_mode", 0)
    except ValueError:
        raise ValueError(f"conv2d: border_mode must be 'valid', 'full', 'half', a "
                         f"non-negative int or a pair of them, got {border_mode!r}") from None


def pads(border_mode, kernel, dilation):
    """The zero padding (rows, columns) of each side for filters of ``kernel`` size; works on
    Python ints and on symbolic int scalars alike."""
    if border_mode == "full":
        return tuple((k - 1) * d for k, d in zip(kernel, dilation))
    if border_mode == "half":
        return tuple(((k - 1) * d + 1) // 2 for k, d in zip(kernel, dilation))
    return border_mode


def output_length(image, kernel, pad, stride, dilation):
    """Length of the output along one axis (Python ints or symbolic scalars)."""
    return (image + 2 * pad - ((kernel - 1) * dilation + 1)) // stride + 1


@dataclass(frozen=True)
class _ConvParams:
    """The parameters shared by the three ops (their identity and hash)."""

    border_mode: object = (0, 0)
    subsample: tuple = (1, 1)
    filter_flip: bool = True
    filter_dilation: tuple = (1, 1)
    num_groups: int = 1

    def __post_init__(self):
        object.__setattr__(self, "border_mode", normalize_border_mode(self.border_mode))
        object.__setattr__(self, "subsample", _pair(self.subsample, "subsample", 1))
        object.__setattr__(self, "filter_dilation",
                           _pair(self.filter_dilation, "filter_dilation", 1))
        object.__setattr__(self, "filter_flip", bool(self.filter_flip))
        groups = self.num_groups
        if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"conv2d: num_groups must be a positive int, got {groups!r}")
        object.__setattr__(self, "num_groups", int(groups))

    def __str__(self):
        """``Conv2d{valid}``, ``Conv2d{half, subsample=(2, 2)}``: the non-default fields."""
        mode = self.border_mode
        shown = ["valid" if mode == (0, 0) else str(mode)]
        for name, default in (("subsample", (1, 1)), ("filter_flip", True),
                              ("filter_dilation", (1, 1)), ("num_groups", 1)):
            if getattr(self, name) != default:
                shown.append(f"{name}={getattr(self, name)}")
        return f"{type(self).__name__}{{{', '.join(shown)}}}"

    def params(self):
        """The fields as keyword arguments (to build the other ops of the family)."""
        return dict(border_mode=self.border_mode, subsample=self.subsample,
                    filter_flip=self.filter_flip, filter_dilation=self.filter_dilation,
                    num_groups=self.num_groups)

    # -------------------------------------------------------------- shared checks
    def geometry(self, image_shape, kernel_shape, out_spatial=None):
        """Check the sizes of one call and return ``(pads, output spatial size)``.

        ``image_shape`` is (N, C, H, W), ``kernel_shape`` (O, C/groups, kh, kw); raises
        ValueError naming what disagrees.  ``out_spatial`` (given by the gradient ops) must
        equal the size the forward convolution would produce."""
        _, c, h, w = image_shape
        o, cg, kh, kw = kernel_shape
        groups = self.num_groups
        if kh < 1 or kw < 1:
            raise ValueError(f"conv2d: the filters are empty (filter shape "
                             f"{tuple(kernel_shape)})")
        if c != cg * groups:
            raise ValueError(
                f"conv2d: the input has {c} channels but the filters expect {cg} input "
                f"channels x {groups} group(s) = {cg * groups} (input shape "
                f"{tuple(image_shape)}, filter shape {tuple(kernel_shape)})")
        if o % groups:
            raise ValueError(f"conv2d: {o} filters cannot be split into {groups} groups")
        pad = pads(self.border_mode, (kh, kw), self.filter_dilation)
        spans = [(k - 1) * d + 1 for k, d in zip((kh, kw), self.filter_dilation)]
        for axis, size, p, span in zip(("rows", "columns"), (h, w), pad, spans):
            if size + 2 * p < span:
                raise ValueError(
                    f"conv2d: the filter ({span} {axis} after dilation) is larger than the "
                    f"padded image ({size} + 2 x {p} padding = {size + 2 * p} {axis}); input "
                    f"shape {tuple(image_shape)}, filter shape {tuple(kernel_shape)}")
        out = tuple(output_length(size, k, p, s, d) for size, k, p, s, d in zip(
            (h, w), (kh, kw), pad, self.subsample, self.filter_dilation))
        if out_spatial is not None and tuple(out_spatial) != out:
            raise ValueError(
                f"conv2d gradient: the output gradient has spatial shape {tuple(out_spatial)} "
                f"but an image of shape {tuple(image_shape)} convolved with filters of shape "
                f"{tuple(kernel_shape)} gives {out}")
        return pad, out


def _float_pair(op, a, b):
    """Two 4-d operands of one float dtype (the ops' inputs; the user functions cast)."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    for variable in (a, b):
        if variable.ndim != 4:
            raise TypeError(f"{op}: takes 4-d tensors (NCHW images, OIHW filters), got "
                            f"{variable.type.describe()}")
    if a.dtype != b.dtype or a.dtype not in dt.FLOAT_DTYPES:
        raise TypeError(f"{op}: needs two tensors of one float dtype, got {a.dtype} and "
                        f"{b.dtype}")
    return a, b


def _shape_input(op, shape):
    """The spatial-shape input of a gradient op as an int64 vector."""
    shape = _ops().cast(as_tensor_variable(shape), "int64")
    if shape.ndim != 1:
        raise TypeError(f"{op}: the spatial shape must be a vector of two ints, got "
                        f"{shape.type.describe()}")
    return shape


def _spatial(shape, what):
    """The two positive lengths of a spatial-shape value (the gradient ops' perform)."""
    values = tuple(int(v) for v in np.asarray(shape).reshape(-1))
    if len(values) != 2 or min(values) < 1:
        raise ValueError(f"conv2d gradient: the {what} shape must be two positive lengths, "
                         f"got {values}")
    return values


# ------------------------------------------------------------------ numpy reference
def _padded(x, pad):
    """``x`` with ``pad`` rows and columns of zeros on each side."""
    return np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))


def _windows(x_pad, kernel, out, stride, dilation):
    """A (N, C, OH, OW, kh, kw) view: the image patch under each output position."""
    sn, sc, sh, sw = x_pad.strides
    return as_strided(x_pad, x_pad.shape[:2] + tuple(out) + tuple(kernel),
                      (sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0],
                       sw * dilation[1]), writeable=False)


def _flipped(w, flip):
    """The filters as the correlation uses them: flipped in both spatial axes for a
    convolution."""
    return w[:, :, ::-1, ::-1] if flip else w


def _groups(params, channels, filters):
    """Per group, the slices of its input channels and of its filters."""
    g = params.num_groups
    return [(slice(k * channels // g, (k + 1) * channels // g),
             slice(k * filters // g, (k + 1) * filters // g)) for k in range(g)]


# ----------------------------------------------------------------------------- ops
@dataclass(frozen=True)
class Conv2d(_ConvParams, Op):
    """2-d convolution (or correlation when ``filter_flip`` is False) of NCHW images with
    OIHW filters: Theano's ``AbstractConv2d``."""

    def make_node(self, x, w):
        x, w = _float_pair("conv2d", x, w)
        out = TensorType(x.dtype, (x.broadcastable[0], w.broadcastable[0], False, False))
        return Apply(self, [x, w], [out.make_variable()])

    def perform(self, node, inputs):
        x, w = inputs
        pad, out = self.geometry(x.shape, w.shape)
        cols = _windows(_padded(x, pad), w.shape[2:], out, self.subsample,
                        self.filter_dilation)
        w = _flipped(w, self.filter_flip)
        y = np.empty((x.shape[0], w.shape[0]) + out, dtype=x.dtype)
        for channels, filters in _groups(self, x.shape[1], w.shape[0]):
            y[:, filters] = np.einsum("nchwij,ocij->nohw", cols[:, channels], w[filters],
                                      optimize=True)
        return [y]

    def infer_shape(self, node, input_shapes):
        (n, _, h, w), (o, _, kh, kw) = input_shapes
        pad = pads(self.border_mode, (kh, kw), self.filter_dilation)
        return [[n, o] + [output_length(*args) for args in zip(
            (h, w), (kh, kw), pad, self.subsample, self.filter_dilation)]]

    def grad(self, inputs, out_grads):
        x, w = inputs
        (gy,) = out_grads
        shape = _ops().shape(x)
        return [Conv2dGradInputs(**self.params())(w, gy, shape[2:]),
                Conv2dGradWeights(**self.params())(x, gy, _ops().shape(w)[2:])]


@dataclass(frozen=True)
class Conv2dGradInputs(_ConvParams, Op):
    """The gradient of ``Conv2d`` w.r.t. its images (a transposed convolution):
    ``(filters, output gradient, (H, W))`` -> images of shape (N, C, H, W)."""

    def make_node(self, w, gy, shape):
        w, gy = _float_pair("conv2d_grad_wrt_inputs", w, gy)
        shape = _shape_input("conv2d_grad_wrt_inputs", shape)
        out = TensorType(w.dtype, (gy.broadcastable[0], False, False, False))
        return Apply(self, [w, gy, shape], [out.make_variable()])

    def perform(self, node, inputs):
        w, gy, shape = inputs
        h, wd = _spatial(shape, "image")
        o, cg, kh, kw = w.shape
        if gy.shape[1] != o:
            raise ValueError(f"conv2d_grad_wrt_inputs: the output gradient has {gy.shape[1]} "
                             f"channels but there are {o} filters (filter shape {w.shape})")
        c = cg * self.num_groups
        image = (gy.shape[0], c, h, wd)
        pad, out = self.geometry(image, w.shape, gy.shape[2:])
        dx = np.zeros((gy.shape[0], c, h + 2 * pad[0], wd + 2 * pad[1]), dtype=w.dtype)
        w = _flipped(w, self.filter_flip)
        (sh, sw), (dh, dw) = self.subsample, self.filter_dilation
        for channels, filters in _groups(self, c, o):
            for i in range(kh):
                for j in range(kw):
                    rows = slice(i * dh, i * dh + sh * (out[0] - 1) + 1, sh)
                    cols = slice(j * dw, j * dw + sw * (out[1] - 1) + 1, sw)
                    dx[:, channels, rows, cols] += np.einsum(
                        "nohw,oc->nchw", gy[:, filters], w[filters, :, i, j])
        return [np.ascontiguousarray(dx[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + wd])]

    def infer_shape(self, node, input_shapes):
        (o, cg, _, _), (n, _, _, _), _ = input_shapes
        shape = node.inputs[2]
        return [[n, cg * self.num_groups, shape[0], shape[1]]]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def grad(self, inputs, out_grads):
        w, gy, _ = inputs
        (gx,) = out_grads
        return [Conv2dGradWeights(**self.params())(gx, gy, _ops().shape(w)[2:]),
                Conv2d(**self.params())(gx, w), None]


@dataclass(frozen=True)
class Conv2dGradWeights(_ConvParams, Op):
    """The gradient of ``Conv2d`` w.r.t. its filters: ``(images, output gradient,
    (kh, kw))`` -> filters of shape (O, C/groups, kh, kw)."""

    def make_node(self, x, gy, shape):
        x, gy = _float_pair("conv2d_grad_wrt_weights", x, gy)
        shape = _shape_input("conv2d_grad_wrt_weights", shape)
        out = TensorType(x.dtype, (gy.broadcastable[1], False, False, False))
        return Apply(self, [x, gy, shape], [out.make_variable()])

    def perform(self, node, inputs):
        x, gy, shape = inputs
        kh, kw = _spatial(shape, "filter")
        if gy.shape[0] != x.shape[0]:
            raise ValueError(f"conv2d_grad_wrt_weights: the images have batch size "
                             f"{x.shape[0]} but the output gradient {gy.shape[0]}")
        o, g = gy.shape[1], self.num_groups
        if x.shape[1] % g:
            raise ValueError(f"conv2d_grad_wrt_weights: {x.shape[1]} input channels cannot "
                             f"be split into {g} groups")
        kernel = (o, x.shape[1] // g, kh, kw)
        pad, out = self.geometry(x.shape, kernel, gy.shape[2:])
        cols = _windows(_padded(x, pad), (kh, kw), out, self.subsample, self.filter_dilation)
        dw = np.empty(kernel, dtype=x.dtype)
        for channels, filters in _groups(self, x.shape[1], o):
            dw[filters] = np.einsum("nohw,nchwij->ocij", gy[:, filters], cols[:, channels],
                                    optimize=True)
        return [np.ascontiguousarray(_flipped(dw, self.filter_flip))]

    def infer_shape(self, node, input_shapes):
        (_, c, _, _), (_, o, _, _), _ = input_shapes
        shape = node.inputs[2]
        return [[o, c // self.num_groups, shape[0], shape[1]]]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def grad(self, inputs, out_grads):
        x, gy, _ = inputs
        (gw,) = out_grads
        return [Conv2dGradInputs(**self.params())(gw, gy, _ops().shape(x)[2:]),
                Conv2d(**self.params())(x, gw), None]


# ------------------------------------------------------------------ user functions
def _known(shape):
    """The entries of a declared shape that are ints (symbolic or missing ones: None)."""
    if shape is None:
        return (None,) * 4
    return tuple(int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                 else None for v in shape)


def _check_declared(params, input_shape, filter_shape):
    """Check the shapes the user declared (None entries unknown) when building the graph,
    so a mismatch raises at the line that builds the convolution."""
    for name, shape in (("input_shape", input_shape), ("filter_shape", filter_shape)):
        if shape is not None and len(tuple(shape)) != 4:
            raise ValueError(f"conv2d: {name} must have 4 entries (None for unknown), got "
                             f"{tuple(shape)!r}")
    _, c, h, w = _known(input_shape)
    o, cg, kh, kw = _known(filter_shape)
    groups = params.num_groups
    if c is not None and cg is not None and c != cg * groups:
        raise ValueError(f"conv2d: the input has {c} channels but the filters expect {cg} "
                         f"input channels x {groups} group(s) = {cg * groups} (input_shape "
                         f"{tuple(input_shape)}, filter_shape {tuple(filter_shape)})")
    if o is not None and o % groups:
        raise ValueError(f"conv2d: {o} filters cannot be split into {groups} groups")
    if None not in (h, w, kh, kw):
        params.geometry((1, groups, h, w), (groups, 1, kh, kw))


def _cast_pair(a, b):
    """Both operands as 4-d tensors of their common float dtype."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    for variable in (a, b):
        if variable.ndim != 4:
            raise TypeError(f"conv2d: takes 4-d tensors (NCHW images, OIHW filters), got a "
                            f"{variable.type.describe()}; reshape it to 4 dimensions first")
        if variable.dtype not in dt.FLOAT_DTYPES:
            raise TypeError(f"conv2d: takes float tensors, got a {variable.type.describe()}; "
                            f"cast it with T.cast(x, 'float32') first")
    dtype = dt.upcast(a.dtype, b.dtype)
    cast = _ops().cast
    return (a if a.dtype == dtype else cast(a, dtype)), (b if b.dtype == dtype else cast(b, dtype))


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid",
           subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1), num_groups=1):
    """2-d convolution of a batch of NCHW images with OIHW filters (the op behind
    ``T.nnet.conv2d``; see ``arignote.tensor.nnet.abstract_conv.conv2d``)."""
    params = _ConvParams(border_mode, subsample, filter_flip, filter_dilation, num_groups)
    _check_declared(params, input_shape, filter_shape)
    x, w = _cast_pair(input, filters)
    return Conv2d(**params.params())(x, w)


def _spatial_of(shape, what):
    """The last two entries of a declared shape (a tuple, list or symbolic vector)."""
    if isinstance(shape, (tuple, list)):
        if len(shape) not in (2, 4):
            raise ValueError(f"conv2d: {what} must have 2 or 4 entries, got {tuple(shape)!r}")
        if any(s is None for s in shape[-2:]):
            raise ValueError(f"conv2d: the spatial entries of {what} must be known, got "
                             f"{tuple(shape)!r}")
        return _ops().stack(*[as_tensor_variable(s) for s in shape[-2:]]) if any(
            not isinstance(s, (int, np.integer)) for s in shape[-2:]) else np.array(
            [int(s) for s in shape[-2:]], dtype="int64")
    shape = as_tensor_variable(shape)
    return shape[-2:]


def _declared(shape):
    """A full declared shape (4 entries) to check, or None (2 entries or symbolic)."""
    return tuple(shape) if isinstance(shape, (tuple, list)) and len(shape) == 4 else None


def conv2d_grad_wrt_inputs(output_grad, filters, input_shape, filter_shape=None,
                           border_mode="valid", subsample=(1, 1), filter_flip=True,
                           filter_dilation=(1, 1), num_groups=1):
    """The gradient of ``conv2d`` w.r.t. its input (see the user-level docstring in
    ``arignote.tensor.nnet.abstract_conv``)."""
    params = _ConvParams(border_mode, subsample, filter_flip, filter_dilation, num_groups)
    _check_declared(params, _declared(input_shape), filter_shape)
    gy, w = _cast_pair(output_grad, filters)
    return Conv2dGradInputs(**params.params())(w, gy, _spatial_of(input_shape, "input_shape"))


def conv2d_grad_wrt_weights(input, output_grad, filter_shape, input_shape=None,
                            border_mode="valid", subsample=(1, 1), filter_flip=True,
                            filter_dilation=(1, 1), num_groups=1):
    """The gradient of ``conv2d`` w.r.t. its filters (see the user-level docstring in
    ``arignote.tensor.nnet.abstract_conv``)."""
    params = _ConvParams(border_mode, subsample, filter_flip, filter_dilation, num_groups)
    _check_declared(params, input_shape, _declared(filter_shape))
    x, gy = _cast_pair(input, output_grad)
    return Conv2dGradWeights(**params.params())(x, gy, _spatial_of(filter_shape,
                                                                    "filter_shape"))
