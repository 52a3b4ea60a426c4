"""Theano's ``theano.compile.mode``: compilation modes."""

from ..runtime.mode import (  # noqa: F401
    FAST_COMPILE,
    FAST_RUN,
    LINKERS,
    OPTIMIZERS,
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
