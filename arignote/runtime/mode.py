"""Compilation modes: which rewrites run on a function's graph, and which linker runs it.

``function(..., mode=...)`` takes a mode name ('FAST_RUN', 'FAST_COMPILE', 'DebugMode',
'NanGuardMode'), a ``Mode`` instance, or None for ``config.mode``.  Every mode runs the
reference (numpy) linker for now; DebugMode also checks each op's outputs against its types
and that it leaves its inputs alone, and NanGuardMode raises at the first node producing a
NaN, an infinity or a huge value.

Rewrites are looked up by name in ``OPTIMIZERS`` (``register_optimizer``); a name with no
registered rewriter leaves the graph as built.
"""

from ..configparser import config
from .reference import DebugCheck, NanGuardCheck, ReferenceLinker

def _fast_run(fgraph, mode):
    from ..compiler.rewrite.pipeline import PASSES, optimize
    excluded = set(getattr(mode, "excluded", ()))
    optimize(fgraph, [p for p in PASSES if p[0] not in excluded and
                      p[0].split("_")[0] not in excluded])


def _fast_compile(fgraph, mode):
    from ..compiler.rewrite import merge
    merge.merge(fgraph)


# name -> callable(fgraph, mode) that rewrites fgraph in place
OPTIMIZERS = {"fast_run": _fast_run, "fast_compile": _fast_compile, "merge": _fast_compile}
# name -> linker class; a linker class takes (fgraph, node_checks=(), profile=None)
LINKERS = {"py": ReferenceLinker, "c": ReferenceLinker, "cvm": ReferenceLinker,
           "vm": ReferenceLinker, "c|py": ReferenceLinker, "cvm_nogc": ReferenceLinker,
           "vm_nogc": ReferenceLinker, "c|py_nogc": ReferenceLinker,
           "reference": ReferenceLinker}


def register_optimizer(name, rewrite):
    """Make ``rewrite(fgraph, mode)`` the rewriter of the optimizer called ``name``."""
    OPTIMIZERS[name] = rewrite
    return rewrite


def register_linker(name, linker_class):
    """Make ``linker_class`` the linker called ``name`` (e.g. a compiled C linker)."""
    LINKERS[name] = linker_class
    return linker_class


class Mode:
    """A linker and an optimizer (Theano's ``Mode(linker, optimizer)``).

    Parameters
    ----------
    linker : str or linker class, optional
        'cvm', 'c', 'py', 'vm' ... (all the reference linker for now), or a class.
    optimizer : str, callable or None, optional
        'fast_run', 'fast_compile', 'merge', None / 'None' (no rewriting), or a callable
        ``rewrite(fgraph, mode)``.  'default' means 'fast_run'.

    >>> Mode('cvm', 'fast_compile').excluding('fusion').excluded
    ('fusion',)
    """

    def __init__(self, linker=None, optimizer="default"):
        self.linker = "cvm" if linker is None else linker
        self.optimizer = "fast_run" if optimizer == "default" else optimizer
        self.included = ()
        self.excluded = ()
        self.required = ()

    def _derived(self, **changes):
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy

    def including(self, *tags):
        """This mode with the rewrites tagged ``tags`` added."""
        return self._derived(included=self.included + tags)

    def excluding(self, *tags):
        """This mode without the rewrites tagged ``tags``."""
        return self._derived(excluded=self.excluded + tags)

    def requiring(self, *tags):
        return self._derived(required=self.required + tags)

    def clone(self, link_kwargs=None, optimizer="", **kwargs):
        return self._derived() if optimizer == "" else self._derived(optimizer=optimizer)

    def optimize(self, fgraph):
        """Rewrite ``fgraph`` in place with this mode's optimizer."""
        rewrite = self.optimizer
        if isinstance(rewrite, str):
            rewrite = OPTIMIZERS.get(rewrite)
        if rewrite is not None:
            rewrite(fgraph, self)

    def node_checks(self):
        """Checks the linker runs around every node (none in ordinary modes)."""
        return ()

    def make_linker(self, fgraph, profile=None):
        """The linker that runs ``fgraph`` in this mode."""
        linker = LINKERS.get(self.linker, ReferenceLinker) if isinstance(
            self.linker, str) else self.linker
        return linker(fgraph, node_checks=self.node_checks(), profile=profile)

    def __getstate__(self):
        state = dict(self.__dict__)
        if not isinstance(state["optimizer"], (str, type(None))):
            state["optimizer"] = None
        if not isinstance(state["linker"], str):
            state["linker"] = "cvm"
        return state

    def __repr__(self):
        return f"{type(self).__name__}(linker={self.linker!r}, optimizer={self.optimizer!r})"


class DebugMode(Mode):
    """Check each node: output types match values, undeclared views or overwrites raise,
    and the generated C agrees with the numpy reference node by node.

    Raises a ``DebugModeError`` subclass (InvalidValueError, BadViewMap, BadDestroyMap,
    BackendMismatch) naming the first failing node and the user line that built it.
    Fusion is off in this mode so that each node is one of the user's operations.
    """

    def __init__(self, optimizer="fast_run", linker=None, **kwargs):
        super().__init__(linker, optimizer)
        self.excluded = ("fusion",)

    def node_checks(self):
        return (DebugCheck(),)

    compare_with_c = True


class NanGuardMode(Mode):
    """Raise ``NanGuardError`` (an AssertionError) at the first NaN, inf or value > 1e10.

    Each node's inputs and outputs are checked; the error names the node and its line.
    """

    def __init__(self, nan_is_error=None, inf_is_error=None, big_is_error=None,
                 optimizer="default", linker=None):
        super().__init__(linker, optimizer)
        self.excluded = ("fusion",)  # report the user's own node, not a fused kernel
        # None takes the default from config.NanGuardMode, as Theano does.
        defaults = config.NanGuardMode
        self.nan_is_error = defaults.nan_is_error if nan_is_error is None else nan_is_error
        self.inf_is_error = defaults.inf_is_error if inf_is_error is None else inf_is_error
        self.big_is_error = defaults.big_is_error if big_is_error is None else big_is_error

    def node_checks(self):
        return (NanGuardCheck(self.nan_is_error, self.inf_is_error, self.big_is_error),)


FAST_RUN = Mode("cvm", "fast_run")
FAST_COMPILE = Mode("py", "fast_compile")

predefined_modes = {
    "FAST_RUN": FAST_RUN,
    "FAST_COMPILE": FAST_COMPILE,
    "DebugMode": DebugMode(),
    "DEBUG_MODE": DebugMode(),
    "NanGuardMode": NanGuardMode(),
    "Mode": Mode(),
}
predefined_linkers = LINKERS
predefined_optimizers = OPTIMIZERS


def get_mode(mode):
    """The ``Mode`` for ``mode``: a Mode, a predefined name, or None for ``config.mode``."""
    if mode is None:
        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str):
        try:
            return predefined_modes[mode]
        except KeyError:
            raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(predefined_modes)}"
                             ) from None
    raise TypeError(f"mode must be a Mode or a mode name, got {type(mode).__name__}")


def get_default_mode():
    """The mode named by ``config.mode``."""
    return get_mode(None)


def register_mode(name, mode):
    """Make ``mode`` available as ``function(..., mode=name)``."""
    if name in predefined_modes:
        raise ValueError(f"mode {name!r} is already registered")
    predefined_modes[name] = mode
