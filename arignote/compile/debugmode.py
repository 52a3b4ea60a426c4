"""Theano's ``theano.compile.debugmode``: DebugMode and the errors it raises."""

from ..runtime.mode import DebugMode  # noqa: F401
from ..runtime.reference import BadDestroyMap, BadViewMap, DebugModeError, InvalidValueError  # noqa: F401
