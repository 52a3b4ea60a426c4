"""Theano's ``theano.compile`` namespace: function, In, Out, shared, modes and profiling.

>>> from arignote.compile import function, shared, In, Out, Mode, FAST_RUN
>>> from arignote.compile.sharedvalue import SharedVariable
"""

from ..runtime.io import In, Out, SymbolicInput, SymbolicOutput  # noqa: F401
from ..runtime.mode import (  # noqa: F401
    FAST_COMPILE,
    FAST_RUN,
    DebugMode,
    Mode,
    NanGuardMode,
    get_default_mode,
    get_mode,
    predefined_linkers,
    predefined_modes,
    predefined_optimizers,
    register_linker,
    register_mode,
    register_optimizer,
)
from ..runtime.profiling import ProfileStats  # noqa: F401
from ..runtime.reference import DebugModeError, NanGuardError  # noqa: F401
from ..runtime.shared import Container, SharedVariable, shared, shared_constructor  # noqa: F401
from . import (  # noqa: F401
    debugmode,
    function_module,
    io,
    mode,
    monitormode,
    nanguardmode,
    profiling,
    sharedvalue,
)
from .function import function
from .function_module import Function, FunctionMaker, UnusedInputError, orig_function  # noqa: F401
from .monitormode import MonitorMode  # noqa: F401

pfunc = function
