"""Theano's ``theano.compile.function`` module."""

from ..runtime.function import function  # noqa: F401
