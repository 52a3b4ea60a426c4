"""Theano's ``theano.compile.profiling``."""

from ..runtime.profiling import ProfileStats  # noqa: F401
