"""Neural-network ops of Theano's ``T.nnet``: softmax, log-softmax and the cross-entropies.

``Softmax`` and ``LogSoftmax`` are primitives (computed stably, the row maximum subtracted
first) whose gradients are graphs of other ops, so they can be differentiated again.  The
cross-entropies are graph macros over them and indexing.
"""

from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from ..graph import Apply
from ..op import Op
from ..variable import as_tensor_variable
from .elemwise import dimshuffle
from .scalar import add, exp, log, mul, neg, sub

__all__ = ["softmax", "logsoftmax", "log_softmax", "softmax_graph", "softmax_with_bias",
           "categorical_crossentropy", "crossentropy_categorical_1hot", "binary_crossentropy",
           "sigmoid_binary_crossentropy", "crossentropy_softmax_1hot",
           "crossentropy_softmax_1hot_with_bias", "crossentropy_softmax_argmax_1hot_with_bias",
           "selu", "softsign"]


def _ops():
    from .. import ops
    return ops


def _softmax_input(op, x):
    """A float matrix: Theano treats a vector as a one-row matrix (the output is a row)."""
    x = as_tensor_variable(x)
    if x.ndim == 1:
        x = dimshuffle(x, ("x", 0))
    if x.ndim != 2 or x.dtype not in dt.FLOAT_DTYPES:
        raise TypeError(f"{op} takes a float vector or matrix, got {x.type}; reshape other "
                        f"ranks to a matrix with the softmax axis last")
    return x


def _row_sum(x):
    return _ops().sum(x, axis=1, keepdims=True)


@dataclass(frozen=True)
class Softmax(Op):
    """Row-wise softmax of a matrix: ``exp(x - max) / sum(exp(x - max))`` along axis 1."""

    def make_node(self, x):
        x = _softmax_input(self, x)
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node, inputs):
        (x,) = inputs
        e = np.exp(x - np.max(x, axis=1, keepdims=True, initial=-np.inf))
        return [np.asarray(e / np.sum(e, axis=1, keepdims=True), dtype=x.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, out_grads):
        (x,) = inputs
        (gz,) = out_grads
        sm = self(x)
        product = mul(gz, sm)
        return [sub(product, mul(_row_sum(product), sm))]


@dataclass(frozen=True)
class LogSoftmax(Op):
    """Row-wise log of the softmax of a matrix, computed as ``x - max - log(sum(exp(x - max)))``."""

    def make_node(self, x):
        x = _softmax_input(self, x)
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node, inputs):
        (x,) = inputs
        shifted = x - np.max(x, axis=1, keepdims=True, initial=-np.inf)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        return [np.asarray(out, dtype=x.dtype)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, out_grads):
        (x,) = inputs
        (gz,) = out_grads
        return [sub(gz, mul(_row_sum(gz), exp(self(x))))]


softmax_op = Softmax()
logsoftmax_op = LogSoftmax()


def softmax(c):
    """Row-wise softmax of a matrix (Theano 1.0: a vector gives a one-row matrix).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dmatrix('x')
    >>> T.nnet.softmax(x).eval({x: np.log([[1., 3.]])})
    array([[0.25, 0.75]])
    """
    return softmax_op(c)


def logsoftmax(c):
    """Row-wise log-softmax of a matrix, computed stably (a vector gives a one-row matrix)."""
    return logsoftmax_op(c)


log_softmax = logsoftmax


def softmax_graph(c):
    """Softmax over the last axis written as ``exp(c) / sum(exp(c))`` (not stabilised)."""
    e = exp(as_tensor_variable(c))
    return _ops().true_div(e, _ops().sum(e, axis=-1, keepdims=True))


def softmax_with_bias(x, b):
    """``softmax(x + b)`` for a matrix ``x`` and a bias vector ``b`` added to every row."""
    x, b = as_tensor_variable(x), as_tensor_variable(b)
    if x.ndim != 2 or b.ndim != 1:
        raise TypeError(f"softmax_with_bias takes a matrix and a vector, got {x.type} and "
                        f"{b.type}")
    return softmax(add(x, b))


def _pick(coding_dist, labels):
    """``coding_dist[i, labels[i]]`` for every row ``i``."""
    rows = _ops().arange(_ops().shape_i(coding_dist, 0))
    return coding_dist[rows, labels]


def _check_labels(function, coding_dist, labels):
    coding_dist, labels = as_tensor_variable(coding_dist), as_tensor_variable(labels)
    if coding_dist.ndim != 2 or labels.ndim != 1 or labels.dtype not in dt.INTEGER_DTYPES:
        raise TypeError(f"{function} takes a matrix of distributions and an integer vector of "
                        f"labels, got {coding_dist.type} and {labels.type}")
    return coding_dist, labels


def crossentropy_categorical_1hot(coding_dist, true_one_of_n):
    """``-log(coding_dist[i, true_one_of_n[i]])`` per row: the cross-entropy with labels."""
    coding_dist, labels = _check_labels("crossentropy_categorical_1hot", coding_dist,
                                        true_one_of_n)
    return neg(log(_pick(coding_dist, labels)))


def categorical_crossentropy(coding_dist, true_dist):
    """Cross-entropy between predicted distributions and targets, one value per row.

    ``true_dist`` is either an integer vector of class labels (then the result is
    ``-log(coding_dist[i, true_dist[i]])``) or a matrix of target distributions (one-hot or
    not: ``-sum(true_dist * log(coding_dist), axis=1)``).

    >>> import numpy as np, arignote.tensor as T
    >>> p, y = T.dmatrix('p'), T.ivector('y')
    >>> T.nnet.categorical_crossentropy(p, y).eval(
    ...     {p: np.array([[0.5, 0.5], [0.25, 0.75]]), y: np.array([0, 1], 'int32')})
    array([0.69314718, 0.28768207])
    """
    coding_dist, true_dist = as_tensor_variable(coding_dist), as_tensor_variable(true_dist)
    if true_dist.ndim == coding_dist.ndim:
        return neg(_ops().sum(mul(true_dist, log(coding_dist)), axis=coding_dist.ndim - 1))
    if true_dist.ndim == coding_dist.ndim - 1:
        if coding_dist.ndim == 1:
            return neg(log(coding_dist[true_dist]))
        return crossentropy_categorical_1hot(coding_dist, true_dist)
    raise TypeError(f"categorical_crossentropy: rank mismatch between the coding "
                    f"distribution ({coding_dist.type}) and the true distribution "
                    f"({true_dist.type})")


def binary_crossentropy(output, target):
    """``-(target * log(output) + (1 - target) * log(1 - output))``, element-wise.

    >>> import numpy as np, arignote.tensor as T
    >>> o, t = T.dvectors('o', 't')
    >>> T.nnet.binary_crossentropy(o, t).eval({o: np.array([0.5]), t: np.array([1.])})
    array([0.69314718])
    """
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    return neg(add(mul(target, log(output)), mul(sub(1, target), log(sub(1, output)))))


def sigmoid_binary_crossentropy(output, target):
    """``binary_crossentropy(sigmoid(output), target)`` for logits ``output``, computed stably.

    Written with softplus: ``target * softplus(-output) + (1 - target) * softplus(output)``.
    """
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    softplus = _ops().softplus
    return add(mul(target, softplus(neg(output))), mul(sub(1, target), softplus(output)))


def crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx):
    """``(nll, softmax(x + b), argmax(x + b, axis=1))``, nll the cross-entropy with ``y_idx``."""
    x, labels = _check_labels("crossentropy_softmax_argmax_1hot_with_bias", x, y_idx)
    z = add(x, as_tensor_variable(b))
    nll = neg(_pick(logsoftmax(z), labels))
    return nll, softmax(z), _ops().argmax(z, axis=1)


def crossentropy_softmax_1hot_with_bias(x, b, y_idx):
    """``(nll, softmax(x + b))``: the cross-entropy of the softmax with labels ``y_idx``."""
    return crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx)[:2]


def crossentropy_softmax_1hot(x, y_idx):
    """``(nll, softmax(x))``: the cross-entropy of the softmax of ``x`` with labels ``y_idx``.

    >>> import numpy as np, arignote.tensor as T
    >>> x, y = T.dmatrix('x'), T.lvector('y')
    >>> nll, sm = T.nnet.crossentropy_softmax_1hot(x, y)
    >>> nll.eval({x: np.zeros((1, 4)), y: np.array([2])})
    array([1.38629436])
    """
    x, labels = _check_labels("crossentropy_softmax_1hot", x, y_idx)
    nll = neg(_pick(logsoftmax(x), labels))
    return nll, softmax(x)


def selu(x):
    """Scaled exponential linear unit: ``scale * elu(x, alpha)`` with the constants of
    Klambauer et al. (2017), as Theano's ``T.nnet.selu``."""
    return mul(1.0507009873554804934193349852946,
               _ops().elu(x, 1.6732632423543772848170429916717))


def softsign(x):
    """Element-wise ``x / (1 + abs(x))``."""
    x = as_tensor_variable(x)
    return _ops().true_div(x, add(1, _ops().abs(x)))
