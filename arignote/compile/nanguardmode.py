"""Theano's ``theano.compile.nanguardmode``."""

from ..runtime.mode import NanGuardMode  # noqa: F401
from ..runtime.reference import NanGuardError  # noqa: F401
