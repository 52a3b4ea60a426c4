"""Theano's ``theano.scalar`` (its contents live in ``basic``, as in Theano).

>>> import arignote.scalar as scal
>>> scal.upcast('int8', 'float32')
'float32'
"""

from .basic import *  # noqa: F401,F403
from .basic import __all__  # noqa: F401
