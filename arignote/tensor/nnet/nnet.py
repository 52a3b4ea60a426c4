"""Theano's ``theano.tensor.nnet.nnet`` module: the softmax family, the cross-entropies and
the activations that module defined (or imported from ``sigm``), under their Theano names.

Programs that import from the submodule (``from theano.tensor.nnet.nnet import softsign``)
get the same functions as ``T.nnet``.

>>> import numpy as np, arignote.tensor as T
>>> from arignote.tensor.nnet.nnet import softsign
>>> x = T.dvector('x')
>>> softsign(x).eval({x: np.array([1.0, -3.0])})
array([ 0.5 , -0.75])
"""

from ...compiler.ops.nnet import (
    LogSoftmax,
    Softmax,
    binary_crossentropy,
    categorical_crossentropy,
    crossentropy_categorical_1hot,
    crossentropy_softmax_1hot,
    crossentropy_softmax_1hot_with_bias,
    crossentropy_softmax_argmax_1hot_with_bias,
    log_softmax,
    logsoftmax,
    logsoftmax_op,
    selu,
    sigmoid_binary_crossentropy,
    softmax,
    softmax_graph,
    softmax_op,
    softmax_with_bias,
    softsign,
)
from ...compiler.ops.scalar import elu, relu, sigmoid, softplus

__all__ = [
    "LogSoftmax", "Softmax", "binary_crossentropy", "categorical_crossentropy",
    "crossentropy_categorical_1hot", "crossentropy_softmax_1hot",
    "crossentropy_softmax_1hot_with_bias", "crossentropy_softmax_argmax_1hot_with_bias",
    "elu", "log_softmax", "logsoftmax", "logsoftmax_op", "prepend_0_to_each_row",
    "prepend_1_to_each_row", "prepend_scalar_to_each_row", "relu", "selu", "sigmoid",
    "sigmoid_binary_crossentropy", "softmax", "softmax_graph", "softmax_op",
    "softmax_with_bias", "softplus", "softsign",
]


def prepend_scalar_to_each_row(val, mat):
    """``mat`` with a first column holding ``val`` (Theano's ``prepend_scalar_to_each_row``).

    >>> import numpy as np, arignote.tensor as T
    >>> m = T.dmatrix('m')
    >>> prepend_scalar_to_each_row(7.0, m).eval({m: np.zeros((2, 1))})
    array([[7., 0.],
           [7., 0.]])
    """
    from ... import tensor as T
    from ...compiler.variable import as_tensor_variable
    mat = as_tensor_variable(mat)
    if mat.ndim != 2:
        raise TypeError(f"prepend_scalar_to_each_row takes a matrix, got {mat.type}")
    column = T.alloc(T.cast(val, mat.dtype), mat.shape[0], 1)
    return T.concatenate([column, mat], axis=1)


def prepend_0_to_each_row(mat):
    """``mat`` with a first column of zeros.

    >>> import numpy as np
    >>> prepend_0_to_each_row(np.ones((1, 1))).eval()
    array([[0., 1.]])
    """
    return prepend_scalar_to_each_row(0.0, mat)


def prepend_1_to_each_row(mat):
    """``mat`` with a first column of ones (a bias column).

    >>> import numpy as np
    >>> prepend_1_to_each_row(np.zeros((2, 1))).eval()
    array([[1., 0.],
           [1., 0.]])
    """
    return prepend_scalar_to_each_row(1.0, mat)
