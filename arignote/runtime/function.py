"""Compiled functions: Theano's ``function`` with inputs, outputs, updates and givens.

``function(inputs, outputs, updates=..., givens=...)`` substitutes the givens, adds the
default updates of shared variables, checks that every needed input is given and every
given input is needed, wraps the result in a ``FunctionGraph``, rewrites it with the mode's
optimizer and hands it to the mode's linker.  Everything a call needs is computed there, so
``Function.__call__`` only checks the arguments (``trust_input`` skips that), runs the
linker, makes sure no returned array aliases an input, a shared value or another output,
and then stores the updates.  A call that raises changes no shared variable: updates are
computed into the linker's outputs and stored only once all of them exist.
"""

import contextlib
import copy as copy_module
import gc
import threading
import time
import warnings
from collections import OrderedDict

import numpy as np

from ..compiler.graph import (
    Constant,
    FunctionGraph,
    MissingInputError,
    Variable,
    ancestors,
    clone_replace,
    user_trace,
)
from ..compiler.types import TensorType
from ..compiler.variable import as_tensor_variable
from ..configparser import config
from ..compiler.codegen import Unsupported
from . import build
from .clinker import C_LINKERS, BackendComparison, native_linker
from .io import In, Out
from .mode import get_mode
from .profiling import ProfileStats
from .shared import Container, DeviceContainer, SharedVariable, shared

__all__ = ["Function", "FunctionMaker", "MissingInputError", "UnusedInputError", "function"]

# Taken by calls that run Python midway (see Function.__init__).
_CALL_LOCK = threading.RLock()


class UnusedInputError(Exception):
    """An input given to function() is not needed to compute the outputs or updates."""


# ----------------------------------------------------------------------- function()
def function(inputs, outputs=None, mode=None, updates=None, givens=None,
             no_default_updates=False, accept_inplace=False, name=None, rebuild_strict=True,
             allow_input_downcast=None, profile=None, on_unused_input=None):
    """Compile a function from symbolic ``inputs`` to ``outputs`` (Theano's ``function``).

    Parameters
    ----------
    inputs : list of Variable or In
        The arguments, in call order.  Shared variables are never listed: they are
        implicit inputs.
    outputs : Variable, Out, list or dict of them, or None
        A single variable gives a single value; a list gives a list; a dict (string keys)
        gives a dict; None gives None (a function called for its updates).
    mode : str or Mode, optional
        'FAST_RUN', 'FAST_COMPILE', 'DebugMode', 'NanGuardMode' or a Mode (default:
        ``config.mode``).
    updates : list of pairs, dict or OrderedDict, optional
        ``(shared_variable, new_value_expression)`` pairs, stored after each call.
    givens : list of pairs or dict, optional
        ``(variable, replacement)`` pairs substituted in the graph before compiling.
    no_default_updates : bool or list
        True ignores every ``default_update`` of shared variables; a list ignores those.
    allow_input_downcast : bool, optional
        Accept arguments whose conversion to the input dtype loses precision.
    profile : bool or ProfileStats, optional
        Time every node; ``f.profile.summary()`` prints the table.
    on_unused_input : {'raise', 'warn', 'ignore'}, optional
        What to do with an input the outputs do not need (default ``config.on_unused_input``).

    Returns
    -------
    Function

    >>> import numpy as np
    >>> import arignote.tensor as T
    >>> from arignote import shared
    >>> x = T.dvector('x')
    >>> total = shared(0.0, name='total')
    >>> f = function([x], x.sum(), updates=[(total, total + x.sum())])
    >>> float(f([1.0, 2.0])), float(f([3.0]))
    (3.0, 3.0)
    >>> float(total.get_value())
    6.0
    """
    if name is None:
        trace = user_trace()
        name = f"{trace.filename}:{trace.lineno}" if trace is not None else None
    with _no_gc():
        return _compile(inputs, outputs, mode, updates, givens, no_default_updates,
                        accept_inplace, name, allow_input_downcast, profile, on_unused_input)


@contextlib.contextmanager
def _no_gc():
    """Pause the cyclic garbage collector: compiling allocates many objects and frees none."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compile(inputs, outputs, mode, updates, givens, no_default_updates, accept_inplace, name,
             allow_input_downcast, profile, on_unused_input):
    """function() after the default name is chosen."""
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("the inputs of function() must be a list (or tuple) of variables, "
                        "even when there is only one input")
    input_specs = [_as_in(spec, index) for index, spec in enumerate(inputs)]
    _check_inputs(input_specs)
    single, return_none, output_keys, output_specs = _as_outs(outputs)
    update_pairs = _as_pairs(updates, "updates")
    given_pairs = _as_givens(givens, input_specs)
    start = time.perf_counter()

    # Substitute the givens in every expression the function computes.
    explicit_updates = [(i, spec.update) for i, spec in enumerate(input_specs)
                        if spec.update is not None]
    roots = ([spec.variable for spec in output_specs] + [u for _, u in update_pairs] +
             [u for _, u in explicit_updates])
    roots = [_as_update_value(r) if not isinstance(r, Variable) else r for r in roots]
    if given_pairs:
        roots = clone_replace(roots, given_pairs)
    n_out, n_updates = len(output_specs), len(update_pairs)
    outputs_ = roots[:n_out]
    shared_updates = [(target, value) for (target, _), value in
                      zip(update_pairs, roots[n_out:n_out + n_updates])]
    input_updates = [(index, value) for (index, _), value in
                     zip(explicit_updates, roots[n_out + n_updates:])]
    shared_updates = _add_default_updates(outputs_, shared_updates, input_updates,
                                          given_pairs, no_default_updates,
                                          {spec.variable for spec in input_specs})
    for position, (target, value) in enumerate(shared_updates):
        shared_updates[position] = (target, _conform_update(target, value))
    for position, (index, value) in enumerate(input_updates):
        input_updates[position] = (index, _conform_update(input_specs[index].variable, value))

    # Which inputs the graph needs, and which it lacks.
    update_values = [v for _, v in shared_updates] + [v for _, v in input_updates]
    explicit = {spec.variable for spec in input_specs}
    needed = ancestors(outputs_ + update_values, blockers=explicit)
    shared_inputs = []
    for variable in needed:
        if variable.owner is None and variable not in explicit:
            if isinstance(variable, SharedVariable):
                shared_inputs.append(variable)
            elif not isinstance(variable, Constant):
                raise MissingInputError(variable)
    _check_unused(input_specs, set(needed), on_unused_input)
    listed = set(shared_inputs)
    shared_inputs += [t for t, _ in shared_updates if t not in listed]
    updated = {target: value for target, value in shared_updates}
    all_specs = input_specs + [
        In(variable, value=variable.container, update=updated.get(variable),
           mutable=variable in updated, implicit=True, shared=True)
        for variable in shared_inputs]

    # The graph: user outputs, then one output per update (explicit inputs' first).
    update_inputs = [index for index, _ in input_updates]
    update_inputs += [len(input_specs) + shared_inputs.index(t) for t, _ in shared_updates]
    fgraph = FunctionGraph([spec.variable for spec in all_specs],
                           outputs_ + [v for _, v in input_updates] +
                           [v for _, v in shared_updates])
    if not accept_inplace:
        for node in fgraph.apply_nodes:
            if node.op.destroy_map:
                raise TypeError(f"the graph contains the in-place operation {node}; pass "
                                f"accept_inplace=True to function() to allow it")
    containers = [_container_of(spec, allow_input_downcast) for spec in all_specs]
    mode = get_mode(mode)
    profile = _profile_of(profile, name)
    maker = FunctionMaker(fgraph, all_specs, output_specs, update_inputs, mode, profile,
                          allow_input_downcast=allow_input_downcast,
                          on_unused_input=on_unused_input, accept_inplace=accept_inplace,
                          single=single, return_none=return_none, output_keys=output_keys,
                          optimize=True, start=start)
    return maker.create(containers, name=name)


def _as_in(spec, index):
    if isinstance(spec, In):
        return spec
    if isinstance(spec, Constant):
        raise TypeError(f"input {index} of function() is the constant {spec}; constants "
                        f"cannot be inputs (remove it from the list)")
    if isinstance(spec, Variable):
        return In(spec)
    if isinstance(spec, (list, tuple)):
        return _legacy_in(spec, index)
    raise TypeError(f"input {index} of function() must be a symbolic variable or In, got "
                    f"{type(spec).__name__} {spec!r:.60}")


def _legacy_in(spec, index):
    """Theano's tuple forms of an input: ``(x, default)``, ``((x, update), default)``, each
    optionally preceded by a name, and ``(In(x), default)``."""
    items, name = list(spec), None
    if items and isinstance(items[0], str):
        name, items = items[0], items[1:]
    invalid = TypeError(f"input {index} of function(): {spec!r:.80} is not one of Theano's "
                        f"input forms (x, default), ((x, update), default), (name, x, "
                        f"default); use In(x, value=..., update=...)")
    if not items or len(items) > 2:
        raise invalid
    value = items[1] if len(items) == 2 else None
    if isinstance(value, (Variable, In)):
        raise TypeError(f"input {index} of function(): the default value of {items[0]} must "
                        f"be a value, not the symbolic {value}")
    if isinstance(items[0], In):
        base = copy_module.copy(items[0])
        if name is not None:
            base.name = name
        if len(items) == 2:
            base.value = value
        return base
    update = None
    if isinstance(items[0], (list, tuple)):
        if len(items[0]) != 2 or len(items) != 2:
            raise invalid
        variable, update = items[0]
        if not isinstance(update, Variable):
            update = as_tensor_variable(update)
    else:
        variable = items[0]
    if not isinstance(variable, Variable):
        raise invalid
    return In(variable, name=name, value=value, update=update)


def _check_inputs(specs):
    seen = {}
    for index, spec in enumerate(specs):
        variable = spec.variable
        if isinstance(variable, SharedVariable) and not spec.implicit:
            raise TypeError(
                f"cannot use the shared variable {variable} as an explicit input of "
                f"function(): its value comes from the variable itself; to feed a value, "
                f"substitute a non-shared variable via the `givens` parameter")
        if isinstance(variable, Constant):
            raise TypeError(f"input {index} of function() is the constant {variable}; "
                            f"constants cannot be inputs")
        if variable in seen:
            raise UnusedInputError(
                f"variable {variable} is used twice in the inputs of function(), at indices "
                f"{seen[variable]} and {index}; the value given for one of them would be "
                f"ignored. Please do not duplicate variables in the inputs list.")
        seen[variable] = index


def _as_outs(outputs):
    """(single, return_none, dict keys, [Out])."""
    if outputs is None:
        return False, True, None, []
    if isinstance(outputs, dict):
        keys = list(outputs)
        if not all(isinstance(k, str) for k in keys):
            raise TypeError("the keys of a dict of outputs must be strings")
        return False, False, keys, [_as_out(outputs[k]) for k in keys]
    if isinstance(outputs, (list, tuple)):
        return False, False, None, [_as_out(o) for o in outputs]
    return True, False, None, [_as_out(outputs)]


def _as_out(output):
    if isinstance(output, Out):
        return output
    if isinstance(output, Variable):
        return Out(output)
    raise TypeError(f"outputs of function() must be symbolic variables or Out instances; got "
                    f"{type(output).__name__} {output!r:.60}")


def _as_pairs(pairs, what):
    if pairs is None:
        return []
    if isinstance(pairs, (dict, OrderedDict)):
        pairs = list(pairs.items())
    else:
        pairs = list(pairs)
    result, seen = [], set()
    for pair in pairs:
        try:
            target, value = pair
        except (TypeError, ValueError):
            raise TypeError(f"{what} must be (variable, expression) pairs, got {pair!r:.80}"
                            ) from None
        if not isinstance(target, SharedVariable):
            raise TypeError(f"update target must be a shared variable, got {target} "
                            f"({type(target).__name__})")
        if target in seen:
            raise ValueError(f"the shared variable {target} is updated twice; give one update "
                             f"expression per shared variable")
        seen.add(target)
        result.append((target, value if isinstance(value, Variable)
                       else _constant_like(target, value)))
    return result


def _constant_like(target, value):
    from ..compiler.variable import constant
    if isinstance(target.type, TensorType):
        return constant(np.asarray(target.type.filter(value)), dtype=target.dtype)
    raise TypeError(f"the update of {target} must be a symbolic expression, got "
                    f"{type(value).__name__}")


def _as_update_value(value):
    return as_tensor_variable(value)


def _as_givens(givens, input_specs):
    if givens is None:
        return {}
    pairs = list(givens.items()) if isinstance(givens, dict) else list(givens)
    inputs = {spec.variable for spec in input_specs}
    result = {}
    for pair in pairs:
        try:
            old, new = pair
        except (TypeError, ValueError):
            raise TypeError(f"givens must be (variable, replacement) pairs, got {pair!r:.80}"
                            ) from None
        if not isinstance(old, Variable):
            raise TypeError(f"the keys of givens must be symbolic variables, got {old!r:.60}")
        if old in inputs:
            raise RuntimeError(
                f"You are trying to replace variable '{old}' through the `givens` parameter, "
                f"but this variable is an input to your function. Replacing inputs is "
                f"forbidden because it has no effect. To compute f(g(y)), define a new input "
                f"y and use function([y], f(x), givens={{x: g(y)}}).")
        if not isinstance(new, Variable):
            new = shared(new)
        if old in result:
            raise ValueError(f"{old} is replaced twice in givens")
        result[old] = _check_given(old, new)
    return result


def _check_given(old, new):
    if old.type == new.type:
        return new
    if isinstance(old.type, TensorType) and isinstance(new.type, TensorType):
        if old.dtype != new.dtype:
            raise TypeError(
                f"givens: cannot replace {old} ({old.type}) with {new} ({new.type}): the "
                f"dtypes differ ({old.dtype} vs {new.dtype}); cast the replacement with "
                f"T.cast({new}, '{old.dtype}') or build {old} with dtype '{new.dtype}'")
        if old.ndim != new.ndim:
            raise TypeError(
                f"givens: cannot replace {old} ({old.type}) with {new} ({new.type}): "
                f"{old.ndim} dimensions vs {new.ndim}")
        lost = [a for a, (o, n) in enumerate(zip(old.broadcastable, new.broadcastable))
                if o and not n]
        if lost:
            raise TypeError(
                f"givens: cannot replace {old} ({old.type}) with {new} ({new.type}): "
                f"dimensions {lost} are broadcastable in {old} but not in the replacement; "
                f"use T.addbroadcast(replacement, {', '.join(map(str, lost))})")
        return new
    raise TypeError(f"givens: cannot replace {old} ({old.type}) with {new} ({new.type})")


def _add_default_updates(outputs, shared_updates, input_updates, givens, no_default_updates,
                         explicit):
    """``shared_updates`` plus the default updates of the shared variables used."""
    if no_default_updates is True:
        return shared_updates
    excluded = set(no_default_updates or ())
    result = list(shared_updates)
    done = {target for target, _ in result}
    pending = outputs + [v for _, v in result] + [v for _, v in input_updates]
    while pending:
        added = []
        for variable in ancestors(pending, blockers=explicit):
            if (variable.owner is None and isinstance(variable, SharedVariable)
                    and variable not in done and variable not in excluded
                    and getattr(variable, "default_update", None) is not None):
                done.add(variable)
                value = variable.default_update
                if not isinstance(value, Variable):
                    value = _constant_like(variable, value)
                if givens:
                    value = clone_replace(value, givens)
                result.append((variable, value))
                added.append(value)
        pending = added
    return result


def _conform_update(target, value):
    """``value`` with exactly ``target``'s type (dtype cast with a warning), or TypeError."""
    if not isinstance(value, Variable):
        value = _constant_like(target, value)
    if value.type == target.type:
        return value
    if not (isinstance(target.type, TensorType) and isinstance(value.type, TensorType)):
        raise TypeError(f"the update of {target} ({target.type}) has type {value.type}")
    if value.ndim != target.ndim:
        raise TypeError(
            f"the update of shared variable {target} ({target.type}) has {value.ndim} "
            f"dimensions ({value.type}); an update must have the variable's type")
    lost = [a for a, (t, v) in enumerate(zip(target.broadcastable, value.broadcastable))
            if t and not v]
    if lost:
        raise TypeError(
            f"the update of shared variable {target} ({target.type}) has type {value.type}: "
            f"dimensions {lost} are broadcastable in {target} but not in the update; use "
            f"T.addbroadcast(update, {', '.join(map(str, lost))}) or T.patternbroadcast")
    from ..compiler import ops
    if value.dtype != target.dtype:
        warnings.warn(
            f"the update of shared variable {target} has dtype {value.dtype} but the variable "
            f"is {target.dtype}; the update is cast to {target.dtype}", stacklevel=4)
        value = ops.cast(value, target.dtype)
    if value.broadcastable != target.broadcastable:
        value = ops.patternbroadcast(value, target.broadcastable)
    return value


def _check_unused(specs, needed, on_unused_input):
    mode = config.on_unused_input if on_unused_input is None else on_unused_input
    if mode not in ("raise", "warn", "ignore"):
        raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore', got {mode!r}")
    if mode == "ignore":
        return
    for index, spec in enumerate(specs):
        if spec.variable in needed or spec.implicit:
            continue
        message = (
            f"function() was asked to create a function computing outputs given certain "
            f"inputs, but the provided input variable at index {index} is not part of the "
            f"computational graph needed to compute the outputs: {spec.variable}.\nTo make "
            f"this error into a warning, you can pass the parameter on_unused_input='warn' "
            f"to function(). To disable it completely, use on_unused_input='ignore'.")
        if mode == "raise":
            raise UnusedInputError(message)
        warnings.warn(message, stacklevel=4)


def _container_of(spec, allow_input_downcast):
    if spec.shared:
        return spec.variable.container
    allow = spec.allow_downcast if spec.allow_downcast is not None else allow_input_downcast
    container = Container(spec.variable.type, [None], name=spec.name, strict=spec.strict,
                          allow_downcast=allow)
    if spec.value is not None:
        value = spec.value
        if isinstance(value, SharedVariable):
            value = value.get_value()
        elif isinstance(value, Container):
            value = value.storage[0]
        container.value = copy_module.deepcopy(value)
    return container


def _profile_of(profile, name):
    if profile is None or profile is False:
        return None
    if profile is True:
        return ProfileStats(name)
    if isinstance(profile, str):
        return ProfileStats(profile)
    if isinstance(profile, ProfileStats):
        return profile
    raise TypeError(f"profile must be a bool, a name or a ProfileStats, got {profile!r:.60}")


# ----------------------------------------------------------------------- the maker
class FunctionMaker:
    """What ``function()`` built: the graph, the input and output specs, the mode, the linker.

    ``fgraph.outputs`` lists the user outputs, then one value per update; ``update_inputs[k]``
    is the position (in ``inputs``) of the input that the k-th update value replaces.
    """

    def __init__(self, fgraph, inputs, outputs, update_inputs, mode, profile=None,
                 allow_input_downcast=None, on_unused_input=None, accept_inplace=False,
                 single=False, return_none=False, output_keys=None, optimize=True,
                 start=None):
        start = time.perf_counter() if start is None else start
        self.fgraph = fgraph
        self.inputs = inputs
        self.expanded_inputs = inputs
        self.outputs = outputs
        self.update_inputs = list(update_inputs)
        self.mode = mode
        self.profile = profile
        self.allow_input_downcast = allow_input_downcast
        self.on_unused_input = on_unused_input
        self.accept_inplace = accept_inplace
        self.single = single
        self.return_none = return_none
        self.output_keys = output_keys
        n_out = len(outputs)
        fgraph.update_mapping = {n_out + k: i for k, i in enumerate(self.update_inputs)}
        fgraph.mutable_inputs = {fgraph.inputs[i] for i, spec in enumerate(inputs)
                                 if spec.mutable}
        rewritten = time.perf_counter()
        if optimize:
            mode.optimize(fgraph)
        linked = time.perf_counter()
        self.linker = mode.make_linker(fgraph, profile)
        self.native = None
        self.on_gpu = _on_gpu(inputs)
        if isinstance(mode.linker, str) and mode.linker in C_LINKERS and \
                not mode.node_checks():
            if self.on_gpu and profile is None:
                self.native = _cuda_linker(fgraph, inputs, n_out, self.update_inputs, single)
            if self.native is None and not self.on_gpu:
                self.native = native_linker(fgraph, inputs, n_out, self.update_inputs, single,
                                            profile=profile is not None)
        self.comparison = None
        if getattr(mode, "compare_with_c", False) and build.find_compiler() is not None:
            try:
                self.comparison = BackendComparison(fgraph, len(inputs))
            except Unsupported:
                self.comparison = None
        if profile is not None:
            profile.optimizer_time += linked - rewritten
            profile.linker_time += time.perf_counter() - linked
            profile.compile_time += time.perf_counter() - start

    def create(self, input_storage, name=None, trust_input=False):
        """A ``Function`` over ``input_storage`` (one Container per input)."""
        return Function(self, input_storage, name=name, trust_input=trust_input)

    def __reduce__(self):
        raise TypeError("pickle the Function, not its maker")


# ----------------------------------------------------------------------- Function
class Function:
    """A compiled function: call it with values for its inputs.

    Attributes
    ----------
    maker : FunctionMaker
        ``maker.fgraph`` is the graph that runs, ``maker.inputs`` the In specs (explicit
        inputs, then the shared variables).
    input_storage : list of Container
        One per ``maker.inputs``: defaults and internal state of explicit inputs, the
        shared variables' own containers.
    trust_input : bool
        When True, arguments are used as given (no type checks or conversion).
    name : str
    profile : ProfileStats or None
    outputs : list of Out
        The output specs, ``maker.outputs`` (Theano's ``Function.outputs``).
    """

    def __init__(self, maker, input_storage, name=None, trust_input=False):
        self.maker = maker
        self.input_storage = list(input_storage)
        self.name = name
        self.trust_input = trust_input
        self.profile = maker.profile
        inputs = maker.inputs
        fgraph = maker.fgraph
        n_out = len(maker.outputs)
        self._n_outputs = n_out
        self._n_inputs = len(inputs)
        self._filters = [_make_filter(self, i) for i in range(len(inputs))]
        self._required = tuple(i for i, spec in enumerate(inputs)
                               if not spec.implicit and spec.value is None)
        self._min_args = (self._required[-1] + 1) if self._required else 0
        self._update_containers = [self.input_storage[i] for i in maker.update_inputs]
        self._borrow = [o.borrow for o in maker.outputs] + [False] * len(maker.update_inputs)
        self._dtypes = [v.type.dtype if isinstance(v.type, TensorType) else None
                        for v in fgraph.outputs]
        self._single = maker.single
        self._return_none = maker.return_none
        self._output_keys = maker.output_keys
        names = {}
        for index, spec in enumerate(inputs):
            if spec.name is not None and not spec.shared:
                names[spec.name] = None if spec.name in names else index
        for index, spec in enumerate(inputs):
            if spec.name is not None and spec.shared:
                names.setdefault(spec.name, index)
        self._names = names
        self._max_args = next((i for i, spec in enumerate(inputs) if spec.implicit),
                              len(inputs))
        self._positions = {}
        for index, spec in enumerate(inputs):
            self._positions[spec.variable] = index
            self._positions.setdefault(fgraph.inputs[index], index)
        self._run = maker.linker.make_thunk()
        if maker.on_gpu and maker.native is None:
            self._run = _on_host(self._run)
        self._crun = self._cstate = None
        if maker.native is not None:
            self._n_args = maker.native.n_args
            cells = tuple(c.storage for c in self.input_storage[self._n_args:])
            self._crun, self._cstate = maker.native.make(cells)
            adapt = getattr(maker.native, "adapt_filters", None)
            if adapt is not None:  # the CUDA linker takes device arrays of any library
                types = [c.type for c in self.input_storage[:self._n_args]]
                self._filters[:self._n_args] = adapt(self._filters[:self._n_args], types)
            if self.profile is not None:
                self.profile.add_linker(maker.native.timings(self._cstate))
        self._plain = not self._return_none and self._output_keys is None
        # A call that runs wholly in the compiled module holds the GIL from start to end, so
        # it is atomic for other threads. One that runs Python inside (numpy callbacks of
        # fallback nodes, or the reference backend) lets other threads run midway: it takes
        # the process-wide call lock, so that no other such call reuses its buffers or
        # interleaves its updates. Re-entrant: a callback may call another function.
        plan = getattr(maker.native, "plan", None)
        self._lock = None if plan is not None and not plan.fallback_nodes else _CALL_LOCK
        self._fast = self._crun if self._lock is None else None
        self.value = _ValueView(self)
        self.container = _ContainerView(self)

    @property
    def outputs(self):
        """The output specs (``Out``: ``.variable``, ``.borrow``), as Theano's
        ``Function.outputs`` holds them; the same list as ``maker.outputs``."""
        return self.maker.outputs

    # ---- calling
    def __call__(self, *args, **kwargs):
        crun = self._fast
        if crun is not None and self.profile is None:
            if not kwargs and len(args) == self._n_args:
                try:
                    result = crun(self._cstate, *args)
                except Exception as error:
                    self.maker.native.explain(error)
                    raise
                if result is not NotImplemented:
                    return result if self._plain else self._shaped(result)
            return self._native_call(args, kwargs)
        if self._lock is not None:
            with self._lock:
                return self._call(args, kwargs)
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        """A call that may run Python inside (the caller holds the call lock)."""
        if self._crun is not None:
            if self.profile is not None:
                start = time.perf_counter()
                result = self._native_call(args, kwargs)
                elapsed = time.perf_counter() - start
                self.profile.record_call(elapsed, elapsed)
                return result
            return self._native_call(args, kwargs)
        if self.profile is not None:
            return self._profiled_call(args, kwargs)
        values = [c.storage[0] for c in self.input_storage]
        n_args = len(args)
        if n_args > self._max_args:
            raise self._too_many(n_args, kwargs)
        if self.trust_input:
            values[:n_args] = args
        else:
            filters = self._filters
            for i in range(n_args):
                values[i] = filters[i](args[i])
        if kwargs:
            self._set_keywords(values, n_args, kwargs)
        elif n_args < self._min_args:
            self._raise_missing(set(range(n_args)))
        outputs = self._run(values)
        if self.maker.comparison is not None:
            self.maker.comparison.check(values)
        return self._finish(outputs, values)

    def _native_call(self, args, kwargs):
        """The compiled call after converting arguments, filling defaults and keywords."""
        values = [c.storage[0] for c in self.input_storage[:self._n_args]]
        n_args = len(args)
        if n_args > self._max_args:
            raise self._too_many(n_args, kwargs)
        filters = self._filters
        for i in range(n_args):
            values[i] = filters[i](args[i])
        if kwargs:
            values += [None] * (self._n_inputs - len(values))
            self._set_keywords(values, n_args, kwargs)
            del values[self._n_args:]
        elif n_args < self._min_args:
            self._raise_missing(set(range(n_args)))
        try:
            result = self._crun(self._cstate, *values)
        except Exception as error:
            self.maker.native.explain(error)
            raise
        if result is NotImplemented:
            raise TypeError(f"{self._title()}: an argument still has the wrong type after "
                            f"conversion; arguments: {[type(v).__name__ for v in values]}")
        return result if self._plain else self._shaped(result)

    def _shaped(self, outputs):
        if self._return_none:
            return None
        return dict(zip(self._output_keys, outputs))

    @property
    def source(self):
        """The generated C source of this function (None on the reference backend)."""
        native = self.maker.native
        return native.source if native is not None else None

    def _finish(self, outputs, values):
        seen = {id(v) for v in values}
        borrow, dtypes = self._borrow, self._dtypes
        for index, value in enumerate(outputs):
            dtype = dtypes[index]
            if dtype is None:
                continue
            if type(value) is not np.ndarray:
                value = np.asarray(value, dtype=dtype)
                if value.base is not None:
                    value = value.copy()
            elif borrow[index]:
                continue
            elif value.base is not None or id(value) in seen or not value.flags.writeable:
                value = value.copy()
            seen.add(id(value))
            outputs[index] = value
        n_out = self._n_outputs
        for container, value in zip(self._update_containers, outputs[n_out:]):
            container.storage[0] = value
        if self.maker.on_gpu:  # the reference backend's new values go back to the GPU
            for container in self._update_containers:
                if isinstance(container, DeviceContainer):
                    container.storage[0] = container.filter(container.storage[0])
        del outputs[n_out:]
        if self._single:
            return outputs[0]
        if self._return_none:
            return None
        if self._output_keys is not None:
            return dict(zip(self._output_keys, outputs))
        return outputs

    def _profiled_call(self, args, kwargs):
        profile = self.profile
        start = time.perf_counter()
        values = [c.storage[0] for c in self.input_storage]
        n_args = len(args)
        if n_args > self._max_args:
            raise self._too_many(n_args, kwargs)
        for i in range(n_args):
            values[i] = args[i] if self.trust_input else self._filters[i](args[i])
        if kwargs:
            self._set_keywords(values, n_args, kwargs)
        elif n_args < self._min_args:
            self._raise_missing(set(range(n_args)))
        run_start = time.perf_counter()
        outputs = self._run(values)
        run_time = time.perf_counter() - run_start
        result = self._finish(outputs, values)
        profile.record_call(time.perf_counter() - start, run_time)
        return result

    def _set_keywords(self, values, n_args, kwargs):
        provided = set(range(n_args))
        for key, arg in kwargs.items():
            index = self._index_of(key)
            if index in provided:
                raise TypeError(f"{self._describe(index)} of {self._title()} was given twice "
                                f"(by position and by keyword {key!r})")
            if self.maker.inputs[index].implicit:
                raise TypeError(f"tried to provide a value for the implicit input "
                                f"{self._describe(index)} of {self._title()}")
            values[index] = arg if self.trust_input else self._filters[index](arg)
            provided.add(index)
        if any(i not in provided for i in self._required):
            self._raise_missing(provided)

    def _raise_missing(self, provided):
        missing = [self._describe(i) for i in self._required if i not in provided]
        raise TypeError(f"{self._title()} is missing required input"
                        f"{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")

    def _too_many(self, n_args, kwargs):
        n_explicit = sum(1 for spec in self.maker.inputs if not spec.implicit)
        return TypeError(f"{self._title()} takes {n_explicit} input"
                         f"{'' if n_explicit == 1 else 's'} but {n_args} positional "
                         f"argument{'' if n_args == 1 else 's'} were given")

    def _index_of(self, key):
        if isinstance(key, str):
            index = self._names.get(key, -1)
            if index is None:
                raise TypeError(f"the name {key!r} is ambiguous: several inputs of "
                                f"{self._title()} have it")
            if index < 0:
                named = [n for n in self._names]
                unnamed = sum(1 for spec in self.maker.inputs if spec.name is None)
                raise TypeError(f"unknown input or state: {key!r}. {self._title()} has "
                                f"{len(named)} named inputs ({', '.join(named)}) and {unnamed} "
                                f"unnamed inputs, which cannot be passed by keyword")
            return index
        if isinstance(key, In):
            key = key.variable
        index = self._positions.get(key) if isinstance(key, Variable) else None
        if index is None:
            if isinstance(key, int) and 0 <= key < self._n_inputs:
                return key
            raise TypeError(f"{key} is not an input of {self._title()}")
        return index

    def _describe(self, index):
        spec = self.maker.inputs[index]
        kind = spec.variable.type.describe() if hasattr(spec.variable.type, "describe") \
            else str(spec.variable.type)
        label = f"'{spec.name}'" if spec.name else "unnamed"
        return f"input {index} ({label}, {kind})"

    def _title(self):
        return f"function '{self.name}'" if self.name else "the function"

    # ---- state access (Theano's f[x], f.value[x], f.container[x])
    def __getitem__(self, key):
        return self.input_storage[self._index_of(key)].storage[0]

    def __setitem__(self, key, value):
        index = self._index_of(key)
        self.input_storage[index].storage[0] = self._filters[index](value, force=True)

    def __contains__(self, key):
        try:
            self._index_of(key)
        except TypeError:
            return False
        return True

    def get_shared(self):
        """The shared variables this function reads or updates."""
        return [spec.variable for spec in self.maker.inputs if spec.shared]

    def free(self):
        """Release intermediate storage (the reference linker keeps none between calls)."""

    def sync_shared(self):
        """Wait for shared variables on devices (nothing to do on the CPU)."""

    def copy(self, share_memory=False, swap=None, delete_updates=False, name=None,
             profile=None):
        """A copy of this function with its own internal state.

        Shared variables stay shared unless ``swap`` maps them to other shared variables
        (of the same type); ``delete_updates`` drops every update.
        """
        maker = self.maker
        swap = dict(swap or {})
        specs, storage = [], []
        for spec, container in zip(maker.inputs, self.input_storage):
            if spec.shared:
                variable = spec.variable
                if variable in swap:
                    new = swap.pop(variable)
                    if not isinstance(new, SharedVariable) or new.type != variable.type:
                        raise TypeError(f"swap: {variable} ({variable.type}) can only be "
                                        f"replaced by a shared variable of the same type, "
                                        f"got {new} ({getattr(new, 'type', type(new))})")
                    spec = copy_module.copy(spec)
                    spec.variable, spec.value = new, new.container
                    container = new.container
                storage.append(container)
            else:
                new_container = Container(container.type, [copy_module.deepcopy(
                    container.storage[0])], container.name, container.strict,
                    container.allow_downcast)
                storage.append(new_container)
            specs.append(spec)
        if swap:
            raise ValueError(f"swap names shared variables that the function does not use: "
                             f"{', '.join(str(v) for v in swap)}")
        profile = _profile_of(profile, name or self.name) if profile is not None else None
        n_out = len(maker.outputs)
        fgraph, update_inputs = maker.fgraph, maker.update_inputs
        if delete_updates:
            fgraph = FunctionGraph(fgraph.inputs, fgraph.outputs[:n_out])
            update_inputs = []
            specs = [_without_update(spec) for spec in specs]
        new_maker = FunctionMaker(fgraph, specs, maker.outputs, update_inputs, maker.mode,
                                  profile, maker.allow_input_downcast, maker.on_unused_input,
                                  maker.accept_inplace, maker.single, maker.return_none,
                                  maker.output_keys, optimize=False)
        function = new_maker.create(storage, name=name or self.name,
                                    trust_input=self.trust_input)
        return function

    def __copy__(self):
        return self.copy()

    # ---- pickling: the graph (flat), the specs, the containers
    def __reduce__(self):
        maker = self.maker
        fgraph = maker.fgraph
        n_out = len(maker.outputs)
        specs = [(spec.name, spec.mutable, spec.strict, spec.allow_downcast, spec.implicit,
                  spec.borrow, spec.shared) for spec in maker.inputs]
        state = {
            "fgraph": fgraph, "inputs": specs, "storage": self.input_storage,
            "borrow": [o.borrow for o in maker.outputs], "n_outputs": n_out,
            "update_inputs": maker.update_inputs, "mode": maker.mode, "name": self.name,
            "trust_input": self.trust_input, "single": maker.single,
            "return_none": maker.return_none, "output_keys": maker.output_keys,
            "profile": self.profile is not None,
            "allow_input_downcast": maker.allow_input_downcast,
            "on_unused_input": maker.on_unused_input,
            "accept_inplace": maker.accept_inplace,
        }
        return (_rebuild_function, (state,))

    def __repr__(self):
        return f"<Function {self.name or ''}>".replace(" >", ">")


def _on_gpu(specs):
    """Whether the function runs on the GPU (config.device, or GPU shared variables)."""
    if not str(config.device).startswith(("cuda", "gpu")) and not any(
            spec.shared and isinstance(spec.variable.container, DeviceContainer)
            for spec in specs):
        return False
    from . import cudalinker
    return cudalinker.wants_cuda(specs)


def _cuda_linker(fgraph, specs, n_out, update_inputs, single):
    """The CUDA linker of a function that runs on the GPU; None when its graph cannot be
    rendered (it then runs on the reference backend, values converted at the boundary)."""
    from . import cudalinker
    try:
        return cudalinker.cuda_linker(fgraph, specs, n_out, update_inputs, single)
    except Unsupported:
        return None


def _on_host(run):
    """The reference backend's thunk with device values copied to the host first."""
    from .cuda import host_value

    def thunk(values):
        return run([host_value(v) for v in values])
    return thunk


def _without_update(spec):
    spec = copy_module.copy(spec)
    spec.update = None
    return spec


def _rebuild_function(state):
    with _no_gc():
        return _rebuild_function_now(state)


def _rebuild_function_now(state):
    fgraph = state["fgraph"]
    n_out = state["n_outputs"]
    storage = state["storage"]
    updates = dict(zip(state["update_inputs"], fgraph.outputs[n_out:]))
    specs = []
    for index, (name, mutable, strict, allow, implicit, borrow, is_shared) in enumerate(
            state["inputs"]):
        variable = fgraph.inputs[index]
        container = storage[index]
        value = container if is_shared else container.storage[0]
        specs.append(In(variable, name=name, value=value, update=updates.get(index),
                        mutable=mutable, strict=strict, allow_downcast=allow,
                        implicit=implicit, borrow=borrow, shared=is_shared, autoname=False))
    outputs = [Out(v, borrow) for v, borrow in zip(fgraph.outputs[:n_out], state["borrow"])]
    profile = ProfileStats(state["name"]) if state["profile"] else None
    maker = FunctionMaker(fgraph, specs, outputs, state["update_inputs"], state["mode"],
                          profile, state["allow_input_downcast"], state["on_unused_input"],
                          state["accept_inplace"], state["single"], state["return_none"],
                          state["output_keys"], optimize=False)
    return maker.create(storage, name=state["name"], trust_input=state["trust_input"])


def _make_filter(function, index):
    """The argument check of input ``index``: its type's filter, with a readable error."""
    spec = function.maker.inputs[index]
    container = function.input_storage[index]
    type_filter = container.type.filter
    strict, allow_downcast = container.strict, container.allow_downcast
    # Fast path: an ndarray of exactly the right dtype and rank, no broadcastable dimension.
    fast_dtype = fast_ndim = None
    if isinstance(container.type, TensorType) and not any(container.type.broadcastable):
        fast_dtype, fast_ndim = np.dtype(container.type.dtype), container.type.ndim
    ndarray = np.ndarray

    def check(value, force=False):
        if type(value) is ndarray and value.dtype is fast_dtype and value.ndim == fast_ndim:
            return value
        if spec.implicit and not force:
            raise TypeError(f"tried to provide a value for the implicit input "
                            f"{function._describe(index)} of {function._title()}")
        try:
            return type_filter(value, strict, allow_downcast)
        except (TypeError, ValueError) as error:
            raise TypeError(f"bad input argument {index}"
                            f"{f' (named {spec.name!r})' if spec.name else ''} to "
                            f"{function._title()}: {error}") from None

    return check


class _ValueView:
    """``f.value[x]``: the stored value (default or state) of input ``x``."""

    def __init__(self, function):
        self._function = function

    def __getitem__(self, key):
        return self._function[key]

    def __setitem__(self, key, value):
        self._function[key] = value

    def __contains__(self, key):
        return key in self._function


class _ContainerView(_ValueView):
    """``f.container[x]``: the Container holding input ``x``."""

    def __getitem__(self, key):
        function = self._function
        return function.input_storage[function._index_of(key)]

    def __setitem__(self, key, value):
        raise TypeError("containers cannot be replaced; set f.value[x] or f[x] instead")


def orig_function(inputs, outputs, mode=None, accept_inplace=False, name=None, profile=None,
                  on_unused_input=None):
    """Theano's ``orig_function``: compile without updates or givens."""
    return function(inputs, outputs, mode=mode, accept_inplace=accept_inplace, name=name,
                    profile=profile, on_unused_input=on_unused_input)
