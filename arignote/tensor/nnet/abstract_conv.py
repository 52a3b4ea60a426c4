"""Theano 1.0's ``theano.tensor.nnet.abstract_conv``: 2-d convolution and its gradients.

Images are NCHW (batch, channels, rows, columns) and filters OIHW (output channels, input
channels per group, rows, columns).  ``filter_flip=True`` (the default) computes a true
convolution, flipping the filters in both spatial axes; ``False`` a cross-correlation, as
most deep-learning libraries call "convolution".

>>> import numpy as np, arignote.tensor as T
>>> x, w = T.dtensor4('x'), T.dtensor4('w')
>>> y = T.nnet.abstract_conv.conv2d(x, w, border_mode='half')
>>> y.eval({x: np.ones((1, 1, 3, 3)), w: np.ones((1, 1, 3, 3))})[0, 0]
array([[4., 6., 4.],
       [6., 9., 6.],
       [4., 6., 4.]])
"""

import warnings

from ...compiler.ops import conv as _conv
from ...compiler.ops.conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights

__all__ = ["conv2d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights", "conv2d_transpose",
           "get_conv_output_shape", "AbstractConv2d", "AbstractConv2d_gradInputs",
           "AbstractConv2d_gradWeights"]

# Theano's class names for the three ops.
AbstractConv2d = Conv2d
AbstractConv2d_gradInputs = Conv2dGradInputs
AbstractConv2d_gradWeights = Conv2dGradWeights


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid",
           subsample=(1, 1), filter_flip=True, image_shape=None, filter_dilation=(1, 1),
           num_groups=1, **kwargs):
    """2-d convolution of a batch of images with a set of filters (``T.nnet.conv2d``).

    Parameters
    ----------
    input : 4-d tensor
        Images, shape (batch, channels, rows, columns).
    filters : 4-d tensor
        Filters, shape (output channels, channels / num_groups, rows, columns).
    input_shape, filter_shape : tuple of 4 ints or None, optional
        The shapes, when known (entries may be None); mismatches between them (channels,
        a filter larger than the padded image) then raise here, when the graph is built.
    border_mode : 'valid', 'full', 'half', int or (int, int)
        Zero padding: none ('valid'); ``kernel - 1`` ('full', every partial overlap);
        ``kernel // 2`` ('half', same size output for odd kernels and stride 1); or that
        many rows and columns on each side.
    subsample : (int, int)
        Strides of the output.
    filter_flip : bool
        True for a convolution (filters flipped), False for a cross-correlation.
    image_shape : tuple, optional
        Theano's old name of ``input_shape`` (deprecated).
    filter_dilation : (int, int)
        Spacing between filter taps (atrous convolution).
    num_groups : int
        Split the channels into groups convolved separately (grouped convolution).

    Returns
    -------
    4-d tensor of shape (batch, output channels, out rows, out columns), each
    ``(size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1``.

    Examples
    --------
    >>> import numpy as np, arignote.tensor as T
    >>> x, w = T.dtensor4('x'), T.dtensor4('w')
    >>> y = T.nnet.conv2d(x, w, subsample=(2, 2))
    >>> y.eval({x: np.ones((2, 3, 7, 7)), w: np.ones((4, 3, 3, 3))}).shape
    (2, 4, 3, 3)
    """
    if kwargs.pop("unshared", False):
        raise ValueError("conv2d: unshared (locally connected) convolution is not supported")
    if "imshp_logical" in kwargs or "kshp_logical" in kwargs:
        raise ValueError("conv2d: imshp_logical and kshp_logical belong to Theano's old "
                         "ConvOp and are not supported by the abstract conv2d")
    if kwargs:
        warnings.warn(f"conv2d: {sorted(kwargs)} are deprecated in the abstract conv2d "
                      f"interface and are ignored", DeprecationWarning, stacklevel=2)
    if image_shape is not None:
        if input_shape is not None:
            raise ValueError("conv2d: input_shape and image_shape should not be provided at "
                             "the same time")
        warnings.warn("conv2d: image_shape is deprecated, use input_shape",
                      DeprecationWarning, stacklevel=2)
        input_shape = image_shape
    return _conv.conv2d(input, filters, input_shape, filter_shape, border_mode, subsample,
                        filter_flip, filter_dilation, num_groups)


def conv2d_grad_wrt_inputs(output_grad, filters, input_shape, filter_shape=None,
                           border_mode="valid", subsample=(1, 1), filter_flip=True,
                           filter_dilation=(1, 1), num_groups=1):
    """The gradient of ``conv2d`` w.r.t. its input, given the gradient of its output.

    ``input_shape`` is the shape of the input (4 entries, or the 2 spatial ones; a symbolic
    vector works too): with strides, several input sizes give the same output size.  The
    other parameters are those of the forward ``conv2d``.  This is also a transposed
    convolution (see ``conv2d_transpose``).

    >>> import numpy as np, arignote.tensor as T
    >>> from arignote.tensor.nnet.abstract_conv import conv2d_grad_wrt_inputs
    >>> gy, w = T.dtensor4('gy'), T.dtensor4('w')
    >>> dx = conv2d_grad_wrt_inputs(gy, w, (1, 1, 3, 3))
    >>> dx.eval({gy: np.ones((1, 1, 2, 2)), w: np.ones((1, 1, 2, 2))})[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    return _conv.conv2d_grad_wrt_inputs(output_grad, filters, input_shape, filter_shape,
                                        border_mode, subsample, filter_flip, filter_dilation,
                                        num_groups)


def conv2d_grad_wrt_weights(input, output_grad, filter_shape, input_shape=None,
                            border_mode="valid", subsample=(1, 1), filter_flip=True,
                            filter_dilation=(1, 1), num_groups=1):
    """The gradient of ``conv2d`` w.r.t. its filters, given the gradient of its output.

    ``filter_shape`` is the shape of the filters (4 entries, or the 2 spatial ones; a
    symbolic vector works too); the other parameters are those of the forward ``conv2d``.

    >>> import numpy as np, arignote.tensor as T
    >>> from arignote.tensor.nnet.abstract_conv import conv2d_grad_wrt_weights
    >>> x, gy = T.dtensor4('x'), T.dtensor4('gy')
    >>> dw = conv2d_grad_wrt_weights(x, gy, (1, 1, 2, 2), filter_flip=False)
    >>> dw.eval({x: np.arange(9.).reshape(1, 1, 3, 3), gy: np.ones((1, 1, 2, 2))})[0, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """
    return _conv.conv2d_grad_wrt_weights(input, output_grad, filter_shape, input_shape,
                                         border_mode, subsample, filter_flip, filter_dilation,
                                         num_groups)


def conv2d_transpose(input, filters, output_shape, filter_shape=None, border_mode="valid",
                     input_dilation=(1, 1), filter_flip=True, filter_dilation=(1, 1),
                     num_groups=1):
    """Transposed convolution ("deconvolution"): the gradient of ``conv2d`` w.r.t. its
    input, used as an upsampling layer (``T.nnet.conv2d_transpose``).

    ``filters`` has shape (input channels of this op, output channels, rows, columns), as
    the filters of the ``conv2d`` it transposes; ``input_dilation`` is that convolution's
    stride, ``output_shape`` the shape of the result.

    >>> import numpy as np, arignote.tensor as T
    >>> x, w = T.dtensor4('x'), T.dtensor4('w')
    >>> up = T.nnet.conv2d_transpose(x, w, (1, 1, 4, 4), input_dilation=(2, 2))
    >>> up.eval({x: np.ones((1, 1, 2, 2)), w: np.ones((1, 1, 2, 2))})[0, 0]
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    """
    return conv2d_grad_wrt_inputs(input, filters, output_shape, filter_shape, border_mode,
                                  input_dilation, filter_flip, filter_dilation, num_groups)


def get_conv_output_shape(image_shape, kernel_shape, border_mode, subsample,
                          filter_dilation=None):
    """The output shape of ``conv2d`` for these shapes and parameters (None stays None).

    >>> from arignote.tensor.nnet.abstract_conv import get_conv_output_shape
    >>> get_conv_output_shape((50, 3, 32, 32), (20, 3, 5, 5), 'valid', (1, 1))
    (50, 20, 28, 28)
    """
    params = _conv._ConvParams(border_mode, subsample, True, filter_dilation or (1, 1))
    kernel = tuple(kernel_shape[2:])
    if None in kernel:
        spatial = (None, None)
    else:
        pads = _conv.pads(params.border_mode, kernel, params.filter_dilation)
        spatial = tuple(None if size is None else _conv.output_length(size, k, p, s, d)
                        for size, k, p, s, d in zip(image_shape[2:], kernel, pads,
                                                    params.subsample, params.filter_dilation))
    return (image_shape[0], kernel_shape[0]) + spatial
