"""Op-contract cases of T.nnet (arignote/compiler/ops/nnet.py), against numpy formulas."""

import numpy as np

import arignote.tensor as T

from . import OpCase

_rng = np.random.default_rng(5)
X = _rng.standard_normal((3, 5)) * 3
B = _rng.standard_normal(5)
LABELS = np.array([4, 0, 2], dtype="int32")
PROBS = _rng.uniform(0.1, 0.9, (3, 5))
TARGETS = _rng.uniform(0, 1, (3, 5))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(x):
    return np.log(_softmax(x))


CASES = [
    OpCase("Softmax_matrix", T.nnet.softmax, [X], _softmax),
    OpCase("Softmax_vector_is_row", T.nnet.softmax, [B], lambda v: _softmax(v[None, :])),
    OpCase("Softmax_large_values", T.nnet.softmax, [X * 400], _softmax, grad=False),
    OpCase("Softmax_float32", T.nnet.softmax, [X.astype("float32")], _softmax, rtol=1e-5),
    OpCase("Softmax_with_bias", T.nnet.softmax_with_bias, [X, B],
           lambda x, b: _softmax(x + b)),
    OpCase("LogSoftmax_matrix", T.nnet.logsoftmax, [X], _log_softmax),
    OpCase("LogSoftmax_large_values", T.nnet.logsoftmax, [X * 400],
           lambda x: x - x.max(axis=1, keepdims=True) - np.log(
               np.exp(x - x.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)),
           grad=False),
    OpCase("categorical_crossentropy_labels", T.nnet.categorical_crossentropy,
           [PROBS, LABELS], lambda p, y: -np.log(p[np.arange(3), y])),
    OpCase("categorical_crossentropy_dense", T.nnet.categorical_crossentropy,
           [PROBS, TARGETS], lambda p, t: -(t * np.log(p)).sum(axis=1)),
    OpCase("binary_crossentropy", T.nnet.binary_crossentropy, [PROBS, TARGETS],
           lambda o, t: -(t * np.log(o) + (1 - t) * np.log(1 - o))),
    OpCase("sigmoid_binary_crossentropy", T.nnet.sigmoid_binary_crossentropy, [X, TARGETS],
           lambda z, t: -(t * np.log(1 / (1 + np.exp(-z))) + (1 - t) * np.log(
               1 - 1 / (1 + np.exp(-z))))),
    OpCase("crossentropy_softmax_1hot", lambda x, y: list(T.nnet.crossentropy_softmax_1hot(x, y)),
           [X, LABELS], lambda x, y: [-_log_softmax(x)[np.arange(3), y], _softmax(x)]),
    OpCase("crossentropy_softmax_argmax_1hot_with_bias",
           lambda x, b, y: list(T.nnet.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)),
           [X, B, LABELS], lambda x, b, y: [-_log_softmax(x + b)[np.arange(3), y],
                                            _softmax(x + b), np.argmax(x + b, axis=1)]),
    OpCase("selu", T.nnet.selu, [X + 0.05],
           lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    OpCase("softsign", T.nnet.softsign, [X], lambda x: x / (1 + np.abs(x))),
]
