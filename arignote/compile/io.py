"""Theano's ``theano.compile.io``: input and output specifications."""

from ..runtime.io import In, Out, SymbolicInput, SymbolicOutput  # noqa: F401
