"""Op-contract cases of pooling (arignote/compiler/ops/pool.py).

The expected values come from Theano 1.0's definition written out directly: the image is
padded explicitly (``np.pad``), window ``i`` covers ``[i * stride, min(i * stride + ws,
padded length))`` of the padded image, clipped to the unpadded part except for
``average_inc_pad``; the gradients loop over windows and elements one at a time.
"""

import numpy as np

import arignote.tensor as T
from arignote.compiler.ops.pool import DownsampleFactorMaxGradGrad, MaxPoolGrad

from . import OpCase


def out_length(n, ws, stride, pad, ignore_border):
    """Theano's ``Pool.out_shape`` for one axis."""
    if ignore_border:
        return (n + 2 * pad - ws) // stride + 1
    if stride >= ws:
        return (n - 1) // stride + 1
    return max(0, (n - 1 - ws + stride) // stride) + 1


def regions(n, ws, stride, pad, ignore_border, inc_pad):
    """Per window: (start, end) in padded coordinates and the divisor length."""
    padded = n + 2 * pad
    result = []
    for i in range(out_length(n, ws, stride, pad, ignore_border)):
        start = i * stride
        end = min(start + ws, padded)
        if not inc_pad:
            start, end = max(start, pad), min(end, padded - pad)
        result.append((start, end))
    return result


def _loop(x, ws, stride, pad, ignore_border, mode):
    """Windows of both axes over every plane: yields (plane index, i, j, padded window
    slices) with the padded image."""
    inc = mode == "average_inc_pad"
    rows = regions(x.shape[-2], ws[0], stride[0], pad[0], ignore_border, inc)
    cols = regions(x.shape[-1], ws[1], stride[1], pad[1], ignore_border, inc)
    return rows, cols


def pool_reference(x, ws, stride=None, pad=(0, 0), ignore_border=True, mode="max"):
    stride = stride or ws
    rows, cols = _loop(x, ws, stride, pad, ignore_border, mode)
    widths = [(0, 0)] * (x.ndim - 2) + [(pad[0], pad[0]), (pad[1], pad[1])]
    padded = np.pad(x, widths)
    out = np.zeros(x.shape[:-2] + (len(rows), len(cols)), dtype=x.dtype)
    for k in np.ndindex(*x.shape[:-2]):
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                window = padded[k][r0:r1, c0:c1]
                if mode == "max":
                    out[k][i, j] = window.max()
                elif mode == "sum":
                    out[k][i, j] = window.sum()
                else:
                    out[k][i, j] = window.mean()
    return out


def pool_grad_reference(x, gz, ws, stride=None, pad=(0, 0), ignore_border=True, mode="max"):
    """The gradient of ``sum(pool(x) * gz)`` w.r.t. ``x``, element by element."""
    stride = stride or ws
    rows, cols = _loop(x, ws, stride, pad, ignore_border, mode)
    maxout = pool_reference(x, ws, stride, pad, ignore_border, mode)
    gx = np.zeros((x.shape[:-2] + (x.shape[-2] + 2 * pad[0], x.shape[-1] + 2 * pad[1])),
                  dtype=x.dtype)
    widths = [(0, 0)] * (x.ndim - 2) + [(pad[0], pad[0]), (pad[1], pad[1])]
    padded = np.pad(x, widths)
    for k in np.ndindex(*x.shape[:-2]):
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        if mode == "max":
                            if padded[k][r, c] == maxout[k][i, j]:
                                gx[k][r, c] += gz[k][i, j]
                        elif mode == "sum":
                            gx[k][r, c] += gz[k][i, j]
                        else:
                            gx[k][r, c] += gz[k][i, j] / ((r1 - r0) * (c1 - c0))
    return gx[..., pad[0]:gx.shape[-2] - pad[0], pad[1]:gx.shape[-1] - pad[1]]


def max_gradgrad_reference(x, ggx, ws, stride=None, pad=(0, 0), ignore_border=True):
    """Per window, the sum of ``ggx`` over the elements equal to the window's maximum."""
    stride = stride or ws
    rows, cols = _loop(x, ws, stride, pad, ignore_border, "max")
    maxout = pool_reference(x, ws, stride, pad, ignore_border, "max")
    widths = [(0, 0)] * (x.ndim - 2) + [(pad[0], pad[0]), (pad[1], pad[1])]
    padded, gpadded = np.pad(x, widths), np.pad(ggx, widths)
    out = np.zeros_like(maxout)
    for k in np.ndindex(*x.shape[:-2]):
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                hit = padded[k][r0:r1, c0:c1] == maxout[k][i, j]
                out[k][i, j] = (gpadded[k][r0:r1, c0:c1] * hit).sum()
    return out


_rng = np.random.default_rng(8)
X4 = _rng.standard_normal((2, 3, 7, 6))
X3 = _rng.standard_normal((3, 5, 5))
X2 = _rng.standard_normal((6, 7))


def _pool(**options):
    return lambda x: T.signal.pool.pool_2d(x, **options)


def _pool_grad(**options):
    """The gradient graph of ``sum(pool(x) * w)`` for a fixed weight ``w`` (a constant)."""
    def build(x, weights):
        y = T.signal.pool.pool_2d(x, **options)
        return T.grad((y * weights).sum(), x)
    return build


def _weights(x, **options):
    ws = options["ws"]
    stride = options.get("stride") or ws
    pad = options.get("pad", (0, 0))
    shape = x.shape[:-2] + tuple(
        out_length(x.shape[-2 + a], ws[a], stride[a], pad[a], options["ignore_border"])
        for a in range(2))
    return _rng.standard_normal(shape)


_MAX_PAD = dict(ws=(3, 2), stride=(2, 1), pad=(1, 1), ignore_border=True)
_PARTIAL = dict(ws=(2, 3), stride=(2, 2), ignore_border=False)
_W_PAD, _W_PARTIAL = _weights(X4, **_MAX_PAD), _weights(X4, **_PARTIAL)
G3 = _weights(X3, ws=(2, 2), ignore_border=True)


def _gradgrad(x, weights, ggx):
    """The max-pool gradient's gradient: ``DownsampleFactorMaxGradGrad`` through T.grad of
    ``sum(MaxPoolGrad(x, maxout, weights) * ggx)`` w.r.t. the output gradient."""
    op = MaxPoolGrad(ws=(2, 2), stride=(2, 2), pad=(0, 0), ignore_border=True)
    maxout = T.signal.pool.pool_2d(x, ws=(2, 2), ignore_border=True)
    return T.grad((op(x, maxout, weights) * ggx).sum(), weights)


CASES = [
    OpCase("Pool_max_4d_pad", _pool(**_MAX_PAD), [X4],
           lambda x: pool_reference(x, **_MAX_PAD)),
    OpCase("Pool_max_partial_windows", _pool(**_PARTIAL), [X4],
           lambda x: pool_reference(x, **_PARTIAL)),
    OpCase("Pool_sum_3d_overlapping", _pool(ws=(3, 3), stride=(1, 2), ignore_border=True,
                                            mode="sum"),
           [X3], lambda x: pool_reference(x, (3, 3), (1, 2), mode="sum")),
    OpCase("Pool_average_inc_pad", _pool(ws=(3, 3), pad=(2, 1), stride=(2, 2),
                                         ignore_border=True, mode="average_inc_pad"),
           [X4], lambda x: pool_reference(x, (3, 3), (2, 2), (2, 1), True, "average_inc_pad")),
    OpCase("Pool_average_exc_pad_matrix", _pool(ws=(3, 2), pad=(1, 1), ignore_border=True,
                                                 mode="average_exc_pad"),
           [X2], lambda x: pool_reference(x, (3, 2), None, (1, 1), True, "average_exc_pad")),
    OpCase("Pool_float32", _pool(ws=(2, 2), ignore_border=False), [X3.astype("float32")],
           lambda x: pool_reference(x, (2, 2), None, (0, 0), False), rtol=1e-6, grad=False),
    OpCase("MaxPoolGrad_pad", _pool_grad(**_MAX_PAD), [X4, _W_PAD],
           lambda x, w: pool_grad_reference(x, w, **_MAX_PAD)),
    OpCase("MaxPoolGrad_partial", _pool_grad(**_PARTIAL), [X4, _W_PARTIAL],
           lambda x, w: pool_grad_reference(x, w, **_PARTIAL), grad_wrt=[1]),
    OpCase("AveragePoolGrad_exc_pad", _pool_grad(ws=(3, 2), pad=(1, 1), ignore_border=True,
                                                 mode="average_exc_pad"),
           [X2, _weights(X2, ws=(3, 2), pad=(1, 1), ignore_border=True)],
           lambda x, w: pool_grad_reference(x, w, (3, 2), None, (1, 1), True,
                                            "average_exc_pad"), grad_wrt=[1]),
    OpCase("AveragePoolGrad_sum_partial", _pool_grad(ws=(3, 3), stride=(2, 2),
                                                     ignore_border=False, mode="sum"),
           [X4, _weights(X4, ws=(3, 3), stride=(2, 2), ignore_border=False)],
           lambda x, w: pool_grad_reference(x, w, (3, 3), (2, 2), (0, 0), False, "sum"),
           grad_wrt=[1]),
    OpCase("DownsampleFactorMaxGradGrad", _gradgrad, [X3, G3, _rng.standard_normal(X3.shape)],
           lambda x, w, ggx: max_gradgrad_reference(x, ggx, (2, 2)), grad_wrt=[2]),
    OpCase("DownsampleFactorMaxGradGrad_direct",
           lambda x, ggx: DownsampleFactorMaxGradGrad(ws=(2, 2), stride=(1, 1), pad=(0, 0),
                                                      ignore_border=True)(
               x, T.signal.pool.pool_2d(x, ws=(2, 2), stride=(1, 1), ignore_border=True), ggx),
           [X3, _rng.standard_normal(X3.shape)],
           lambda x, ggx: max_gradgrad_reference(x, ggx, (2, 2), (1, 1)), grad_wrt=[1]),
]
