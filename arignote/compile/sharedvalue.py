"""Theano's ``theano.compile.sharedvalue``: shared variables and their constructors."""

from ..runtime.shared import (  # noqa: F401
    Container,
    GenericType,
    SharedVariable,
    TensorSharedVariable,
    generic,
    generic_constructor,
    shared,
    shared_constructor,
)
