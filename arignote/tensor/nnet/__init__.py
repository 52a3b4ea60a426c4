"""Theano's ``T.nnet`` namespace: activations, softmax and the cross-entropies.

>>> import numpy as np, arignote.tensor as T
>>> x = T.dvector('x')
>>> T.nnet.softmax(x).eval({x: np.zeros(2)})
array([[0.5, 0.5]])
"""

from ...compiler.ops.nnet import (  # noqa: F401
    LogSoftmax, Softmax, binary_crossentropy, categorical_crossentropy,
    crossentropy_categorical_1hot, crossentropy_softmax_1hot,
    crossentropy_softmax_1hot_with_bias, crossentropy_softmax_argmax_1hot_with_bias,
    log_softmax, logsoftmax, logsoftmax_op, selu, sigmoid_binary_crossentropy, softmax,
    softmax_graph, softmax_op, softmax_with_bias, softsign)
from ...compiler.ops.scalar import (  # noqa: F401
    elu, hard_sigmoid, relu, sigmoid, softplus, ultra_fast_sigmoid)
from . import abstract_conv, conv  # noqa: F401
from .abstract_conv import conv2d, conv2d_transpose  # noqa: F401
from . import bn  # noqa: F401
from . import nnet  # noqa: F401  (Theano's theano.tensor.nnet.nnet module)
# The function, not its module (``T.nnet.dropout(x, p)``, as Lasagne spells it).
from .dropout import dropout  # noqa: F401,E402
