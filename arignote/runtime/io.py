"""Theano's input and output specifications: ``In`` and ``Out``.

``function([x, In(y, value=1.0)], Out(z, borrow=True))`` gives ``y`` a default value and lets
the function return ``z`` without copying it.  An ``In`` with both ``value`` and ``update``
is internal state: the function keeps the value and replaces it by the update after each
call.
"""

from ..compiler.graph import Variable


class In:
    """How a function input is passed: its name, default value, update and checking flags.

    Parameters
    ----------
    variable : Variable
        The symbolic input.
    name : str, optional
        The keyword that passes it (default: ``variable.name`` when ``autoname``).
    value : optional
        A default value; the input may then be omitted from calls.
    update : Variable, optional
        With ``value``: after each call, the stored value becomes ``update``'s value.
    mutable : bool
        The function may overwrite the array passed (lets in-place rewrites use it).
    strict : bool
        Accept only arrays of exactly the input's dtype (no conversion at all).
    allow_downcast : bool, optional
        Accept values whose conversion loses precision (default: the function's
        ``allow_input_downcast``).
    implicit : bool, optional
        The input is never passed by the caller (its value comes from ``value``).
    borrow : bool
        The caller does not mind the function keeping a reference to the value passed.

    >>> import arignote.tensor as T
    >>> from arignote import function
    >>> x, y = T.dscalars('x', 'y')
    >>> f = function([x, In(y, value=10.0)], x + y)
    >>> float(f(1.0)), float(f(1.0, 2.0)), float(f(1.0, y=5.0))
    (11.0, 3.0, 6.0)
    """

    def __init__(self, variable, name=None, value=None, update=None, mutable=None,
                 strict=False, allow_downcast=None, autoname=True, implicit=None,
                 borrow=None, shared=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"In() takes a symbolic variable, got {type(variable).__name__}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"the name of an In must be a string, got {name!r}")
        self.variable = variable
        self.name = variable.name if name is None and autoname else name
        self.value = value
        self.update = update
        self.mutable = bool(update is not None if mutable is None else mutable)
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.autoname = autoname
        self.implicit = bool(implicit)
        if self.implicit and value is None:
            raise TypeError(f"the implicit input {variable} needs a value")
        self.borrow = bool(self.mutable if borrow is None else borrow)
        self.shared = shared

    def __repr__(self):
        extras = "".join(f", {key}={getattr(self, key)!r}" for key in ("value", "update")
                         if getattr(self, key) is not None)
        return f"In({self.variable}{extras})"


class Out:
    """A function output; ``borrow=True`` returns internal storage without copying it.

    With ``borrow=True`` the array returned may be overwritten by the next call, and may be
    a view of an input or of a shared variable.

    >>> import arignote.tensor as T
    >>> from arignote import function
    >>> x = T.dvector('x')
    >>> f = function([x], Out(x * 2, borrow=True))
    >>> f([1.0, 2.0])
    array([2., 4.])
    """

    def __init__(self, variable, borrow=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"Out() takes a symbolic variable, got {type(variable).__name__}")
        self.variable = variable
        self.borrow = borrow

    def __repr__(self):
        return f"Out({self.variable}, borrow={self.borrow})"


SymbolicInput = In
SymbolicOutput = Out
