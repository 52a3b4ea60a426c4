"""Op-contract cases of conv2d and its gradient ops (arignote/compiler/ops/conv.py), against
numpy computations written with explicit loops over the filter taps."""

import numpy as np

import arignote.tensor as T
from arignote.tensor.nnet import abstract_conv

from . import OpCase

_rng = np.random.default_rng(11)
X = _rng.standard_normal((2, 4, 6, 5))
W = _rng.standard_normal((6, 2, 3, 2))
GY = _rng.standard_normal((2, 6, 3, 4))
GY_SAME = _rng.standard_normal((2, 6, 6, 6))
GY_WIDE = _rng.standard_normal((2, 6, 3, 6))


def _correlate(x, w, pad, stride, groups):
    """Cross-correlation by explicit sums over the taps (stride, symmetric padding, groups)."""
    x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    o, cg, kh, kw = w.shape
    oh = (x.shape[2] - kh) // stride[0] + 1
    ow = (x.shape[3] - kw) // stride[1] + 1
    out = np.zeros((x.shape[0], o, oh, ow))
    for f in range(o):
        group = f // (o // groups)
        for i in range(kh):
            for j in range(kw):
                patch = x[:, group * cg:(group + 1) * cg,
                          i:i + stride[0] * (oh - 1) + 1:stride[0],
                          j:j + stride[1] * (ow - 1) + 1:stride[1]]
                out[:, f] += np.einsum("nchw,c->nhw", patch, w[f, :, i, j])
    return out


def _grad_inputs(w, gy, pad, stride, groups, image):
    """The transpose of ``_correlate`` w.r.t. x: each tap scatters its share back."""
    o, cg, kh, kw = w.shape
    dx = np.zeros((gy.shape[0], cg * groups, image[0] + 2 * pad[0], image[1] + 2 * pad[1]))
    oh, ow = gy.shape[2:]
    for f in range(o):
        group = f // (o // groups)
        for i in range(kh):
            for j in range(kw):
                dx[:, group * cg:(group + 1) * cg, i:i + stride[0] * (oh - 1) + 1:stride[0],
                   j:j + stride[1] * (ow - 1) + 1:stride[1]] += np.einsum(
                    "nhw,c->nchw", gy[:, f], w[f, :, i, j])
    return dx[:, :, pad[0]:pad[0] + image[0], pad[1]:pad[1] + image[1]]


def _grad_weights(x, gy, pad, stride, groups, kernel):
    """The derivative of ``_correlate`` w.r.t. each filter tap."""
    x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    o = gy.shape[1]
    cg = x.shape[1] // groups
    oh, ow = gy.shape[2:]
    dw = np.zeros((o, cg) + kernel)
    for f in range(o):
        group = f // (o // groups)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                patch = x[:, group * cg:(group + 1) * cg,
                          i:i + stride[0] * (oh - 1) + 1:stride[0],
                          j:j + stride[1] * (ow - 1) + 1:stride[1]]
                dw[f, :, i, j] = np.einsum("nchw,nhw->c", patch, gy[:, f])
    return dw


CASES = [
    OpCase("Conv2d_valid_groups", lambda x, w: T.nnet.conv2d(x, w, num_groups=2), [X, W],
           lambda x, w: _correlate(x, w[:, :, ::-1, ::-1], (0, 0), (1, 1), 2)),
    OpCase("Conv2d_padded_strided_correlation",
           lambda x, w: T.nnet.conv2d(x, w, border_mode=(1, 2), subsample=(2, 1),
                                      filter_flip=False, num_groups=2),
           [X, W], lambda x, w: _correlate(x, w, (1, 2), (2, 1), 2)),
    OpCase("Conv2d_float32", lambda x, w: T.nnet.conv2d(x, w, border_mode="full"),
           [X.astype("float32"), W[:4].reshape(2, 4, 3, 2).astype("float32")],
           lambda x, w: _correlate(x, w[:, :, ::-1, ::-1], (2, 1), (1, 1), 1), rtol=1e-5,
           atol=1e-5),
    OpCase("Conv2dGradInputs",
           lambda w, gy: abstract_conv.conv2d_grad_wrt_inputs(
               gy, w, (6, 5), border_mode=(1, 1), filter_flip=False, num_groups=2),
           [W, GY_SAME], lambda w, gy: _grad_inputs(w, gy, (1, 1), (1, 1), 2, (6, 5))),
    OpCase("Conv2dGradInputs_strided",
           lambda w, gy: abstract_conv.conv2d_grad_wrt_inputs(
               gy, w, (7, 8), subsample=(2, 2), filter_flip=False, num_groups=2),
           [W, GY], lambda w, gy: _grad_inputs(w, gy, (0, 0), (2, 2), 2, (7, 8))),
    OpCase("Conv2dGradWeights",
           lambda x, gy: abstract_conv.conv2d_grad_wrt_weights(
               x, gy, (3, 2), border_mode=(0, 1), filter_flip=False, num_groups=2),
           [X[:, :, :5], GY_WIDE], lambda x, gy: _grad_weights(x, gy, (0, 1), (1, 1), 2, (3, 2))),
    OpCase("Conv2dGradWeights_flipped",
           lambda x, gy: abstract_conv.conv2d_grad_wrt_weights(
               x, gy, (2, 2), subsample=(2, 1), num_groups=2),
           [X, GY], lambda x, gy: _grad_weights(x, gy, (0, 0), (2, 1), 2, (2, 2))[
               :, :, ::-1, ::-1]),
]
