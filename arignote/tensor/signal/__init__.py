"""Theano's T.signal namespace: ``pool`` (``pool_2d``) and the old ``downsample``."""

from . import downsample, pool  # noqa: F401
