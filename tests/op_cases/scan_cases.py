"""Op-contract cases of ``Scan`` (arignote/compiler/ops/scan.py): recurrences with taps,
sequences, non-sequences, windows (``reduce``), ``until`` and going backwards."""

import numpy as np

import arignote
import arignote.tensor as T
from arignote.scan_module import until

from . import OpCase

_rng = np.random.default_rng(11)


def _normal(*shape):
    return _rng.normal(size=shape)


def _rnn(x, W, h0):
    hs, _ = arignote.scan(lambda x_t, h, W: T.tanh(x_t + T.dot(W, h)), sequences=x,
                          outputs_info=h0, non_sequences=W)
    return hs


def _rnn_expected(x, W, h0):
    h, out = h0, []
    for x_t in x:
        h = np.tanh(x_t + W @ h)
        out.append(h)
    return np.array(out)


def _taps(x, s0):
    out, _ = arignote.scan(lambda a, b, s2, s1: s1 * 0.5 + s2 * 0.25 + a * b,
                           sequences=dict(input=x, taps=[-1, 1]),
                           outputs_info=dict(initial=s0, taps=[-2, -1]))
    return out


def _taps_expected(x, s0):
    s = list(s0)
    for t in range(1, len(x) - 1):
        s.append(s[-1] * 0.5 + s[-2] * 0.25 + x[t - 1] * x[t + 1])
    return np.array(s[2:])


def _backwards_map(x, y):
    out, _ = arignote.scan(lambda a, b: a * T.exp(b), sequences=[x, y], go_backwards=True)
    return out


def _halving(x):
    out, _ = arignote.scan(lambda v: (v / 2, until(T.sum(abs(v)) < 1)), outputs_info=x,
                           n_steps=50)
    return out


def _halving_expected(x):
    out, v = [], x
    for _ in range(50):
        v = v / 2
        out.append(v)
        if np.sum(np.abs(out[-1] * 2)) < 1:
            break
    return np.array(out)


def _reduce(x):
    total, _ = arignote.reduce(lambda v, acc: acc * 0.9 + v ** 2, x, T.zeros_like(x[0]))
    return total


def _reduce_expected(x):
    acc = np.zeros_like(x[0])
    for v in x:
        acc = acc * 0.9 + v ** 2
    return acc


CASES = [
    OpCase("Scan_rnn", _rnn, [_normal(5, 3), _normal(3, 3) * 0.5, _normal(3)], _rnn_expected),
    OpCase("Scan_taps", _taps, [_normal(7), _normal(2)], _taps_expected),
    OpCase("Scan_backwards_two_sequences", _backwards_map, [_normal(4, 2), _normal(4, 2)],
           lambda x, y: (x * np.exp(y))[::-1]),
    OpCase("Scan_until", _halving, [_normal(3) * 4], _halving_expected),
    OpCase("Scan_reduce_window", _reduce, [_normal(6, 2)], _reduce_expected),
]
