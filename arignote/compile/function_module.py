"""Theano's ``theano.compile.function_module``: the compiled Function and its maker."""

from ..runtime.function import (  # noqa: F401
    Function,
    FunctionMaker,
    MissingInputError,
    UnusedInputError,
    function,
    orig_function,
)
