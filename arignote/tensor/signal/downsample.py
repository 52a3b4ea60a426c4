"""Theano's old ``theano.tensor.signal.downsample`` module: ``max_pool_2d``.

Theano 0.8 moved pooling to ``theano.tensor.signal.pool``; code written before still calls
``downsample.max_pool_2d(input, ds, ignore_border, st, padding, mode)``.

>>> import numpy as np, arignote.tensor as T
>>> x = T.dtensor3('x')
>>> T.signal.downsample.max_pool_2d(x, (2, 2), ignore_border=True).eval(
...     {x: np.arange(8.).reshape(2, 2, 2)})
array([[[3.]],
<BLANKLINE>
       [[7.]]])
"""

from ...compiler.ops.pool import (  # noqa: F401
    DownsampleFactorMaxGradGrad, MaxPoolGrad, Pool, max_pool_2d)

# Theano 0.7's op names, kept by its downsample module.
DownsampleFactorMax = Pool
DownsampleFactorMaxGrad = MaxPoolGrad

__all__ = ["max_pool_2d", "DownsampleFactorMax", "DownsampleFactorMaxGrad",
           "DownsampleFactorMaxGradGrad"]
