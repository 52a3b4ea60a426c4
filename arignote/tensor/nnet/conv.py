"""Theano's old ``theano.tensor.nnet.conv`` module: ``conv2d`` as the classic LeNet tutorial
and ``network3.py`` call it.

It computes the same true convolution (filters flipped) as ``T.nnet.conv2d`` with
``border_mode`` 'valid' or 'full'; the old argument names map onto the new ones.

>>> import numpy as np, arignote.tensor as T
>>> from arignote.tensor.nnet import conv
>>> x, w = T.dtensor4('x'), T.dtensor4('w')
>>> y = conv.conv2d(x, w, filter_shape=(2, 1, 2, 2), image_shape=(1, 1, 3, 3))
>>> y.eval({x: np.ones((1, 1, 3, 3)), w: np.ones((2, 1, 2, 2))}).shape
(1, 2, 2, 2)
"""

from ...compiler.ops import conv as _conv

__all__ = ["conv2d"]

# Tuning hints of Theano's old ConvOp: they choose among its C implementations and change
# no result, so they are accepted and have no effect here.
_TUNING_KEYWORDS = ("unroll_batch", "unroll_kern", "unroll_patch", "verbose", "version",
                    "direction_hint", "openmp")


def conv2d(input, filters, filter_shape=None, image_shape=None, border_mode="valid",
           subsample=(1, 1), **kargs):
    """2-d convolution of a batch of images with filters (Theano's old interface).

    Parameters
    ----------
    input : 4-d tensor
        Images, shape (batch size, stack size, rows, columns).
    filters : 4-d tensor
        Filters, shape (number of filters, stack size, rows, columns).
    filter_shape, image_shape : tuple of 4 ints or None, optional
        The shapes, when known; mismatches raise when the graph is built.
    border_mode : 'valid' or 'full'
        Only where the filter fits entirely, or every partial overlap.
    subsample : (int, int)
        Strides of the output.
    **kargs
        The old ConvOp's tuning hints (``unroll_batch``, ``unroll_kern``, ...): ignored.

    Returns
    -------
    4-d tensor of shape (batch size, number of filters, out rows, out columns).

    Examples
    --------
    >>> import numpy as np, arignote.tensor as T
    >>> from arignote.tensor.nnet import conv
    >>> x, w = T.dtensor4('x'), T.dtensor4('w')
    >>> conv.conv2d(x, w, border_mode='full').eval(
    ...     {x: np.ones((1, 1, 2, 2)), w: np.ones((1, 1, 2, 2))})[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    unknown = sorted(set(kargs) - set(_TUNING_KEYWORDS))
    if unknown:
        raise TypeError(f"conv.conv2d: unexpected keyword arguments {unknown}")
    if border_mode not in ("valid", "full"):
        raise ValueError(f"conv.conv2d: border_mode must be 'valid' or 'full', got "
                         f"{border_mode!r}; T.nnet.conv2d also takes 'half' and paddings")
    return _conv.conv2d(input, filters, input_shape=image_shape, filter_shape=filter_shape,
                        border_mode=border_mode, subsample=subsample, filter_flip=True)
