"""Theano's ``theano.tensor.signal.pool``: ``pool_2d`` and the pooling ops.

>>> import numpy as np, arignote.tensor as T
>>> x = T.dtensor4('x')
>>> y = T.signal.pool.pool_2d(x, ws=(2, 2), ignore_border=True, mode='average_inc_pad')
>>> y.eval({x: np.arange(16.).reshape(1, 1, 4, 4)})
array([[[[ 2.5,  4.5],
         [10.5, 12.5]]]])
"""

from ...compiler.ops.pool import (  # noqa: F401
    MODES, AveragePoolGrad, DownsampleFactorMaxGradGrad, MaxPoolGrad, Pool, max_pool_2d,
    pool_2d, pool_output_length)

__all__ = ["pool_2d", "max_pool_2d", "Pool", "MaxPoolGrad", "AveragePoolGrad",
           "DownsampleFactorMaxGradGrad", "pool_output_length"]
