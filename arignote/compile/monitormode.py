"""Theano's ``theano.compile.monitormode``: ``MonitorMode`` calls user functions around every
node of a compiled function, and ``detect_nan`` is the classic such function.

The graph is rewritten as in FAST_RUN (element-wise fusion excepted, so each node is one of
the user's operations) and run node by node by the numpy reference linker, which is what
lets a Python function look at every intermediate value.
"""

import numpy as np

from ..runtime.mode import Mode
from ..runtime.reference import ReferenceLinker

__all__ = ["MonitorMode", "detect_nan"]


class NodeThunk:
    """The ``fn`` handed to ``pre_func``/``post_func``: one node ready to run.

    ``inputs`` and ``outputs`` are lists of one-element lists (Theano's storage cells):
    ``fn.inputs[k][0]`` is the value of input ``k``; ``fn.outputs[k][0]`` is None before the
    node runs and its ``k``-th result after.  Calling ``fn()`` computes the outputs.
    """

    def __init__(self, node, inputs):
        self.node = node
        self.inputs = [[value] for value in inputs]
        self.outputs = [[None] for _ in node.outputs]

    def __call__(self):
        results = self.node.op.perform(self.node, [cell[0] for cell in self.inputs])
        for cell, value in zip(self.outputs, results):
            cell[0] = value


class _MonitorCheck:
    """The linker check that calls ``pre_func(i, node, fn)`` and ``post_func(i, node, fn)``,
    ``i`` being the node's position in the execution order."""

    def __init__(self, pre_func, post_func):
        self.pre_func, self.post_func = pre_func, post_func
        self.positions = {}

    def before(self, node, inputs):
        thunk = NodeThunk(node, inputs)
        if self.pre_func is not None:
            self.pre_func(self.positions.get(node, -1), node, thunk)
        return thunk

    def after(self, node, inputs, results, thunk):
        for cell, value in zip(thunk.outputs, results):
            cell[0] = value
        if self.post_func is not None:
            self.post_func(self.positions.get(node, -1), node, thunk)


class MonitorMode(Mode):
    """A mode that calls ``pre_func(i, node, fn)`` before and ``post_func(i, node, fn)``
    after each node runs (Theano's ``theano.compile.MonitorMode``).

    Parameters
    ----------
    pre_func, post_func : callable, optional
        Called with the node's position ``i`` in the execution order, the ``Apply`` node and
        ``fn``, whose ``fn.inputs[k][0]`` and ``fn.outputs[k][0]`` hold the values (outputs
        are None in ``pre_func``).
    optimizer : str, optional
        The rewrites to run ('default' is FAST_RUN's, 'fast_compile' keeps the graph close
        to what was built).
    linker : None
        This mode runs its own linker; passing one raises ``ValueError`` as in Theano.

    Examples
    --------
    >>> import numpy as np
    >>> import arignote as theano
    >>> import arignote.tensor as T
    >>> def inspect_inputs(i, node, fn):
    ...     print(i, [cell[0].tolist() for cell in fn.inputs], end=' ')
    >>> def inspect_outputs(i, node, fn):
    ...     print([cell[0].tolist() for cell in fn.outputs])
    >>> x = T.dscalar('x')
    >>> f = theano.function([x], [5 * x], mode=MonitorMode(pre_func=inspect_inputs,
    ...                                                     post_func=inspect_outputs))
    >>> f(3)
    0 [5, 3.0] [15.0]
    [array(15.)]
    """

    def __init__(self, pre_func=None, post_func=None, optimizer="default", linker=None):
        if linker is not None and not isinstance(getattr(linker, "mode", None), MonitorMode):
            raise ValueError(f"MonitorMode can only use its own linker, got {linker!r}")
        super().__init__(None, optimizer)
        self.pre_func = pre_func
        self.post_func = post_func
        self.provided_optimizer = optimizer
        self.excluded = ("fusion",)  # show the user's own nodes, not fused kernels

    def eval(self, i, node, fn):
        """Run ``fn`` between ``pre_func`` and ``post_func`` (Theano's ``MonitorMode.eval``)."""
        if self.pre_func is not None:
            self.pre_func(i, node, fn)
        fn()
        if self.post_func is not None:
            self.post_func(i, node, fn)

    def node_checks(self):
        return (_MonitorCheck(self.pre_func, self.post_func),)

    def make_linker(self, fgraph, profile=None):
        check = _MonitorCheck(self.pre_func, self.post_func)
        linker = ReferenceLinker(fgraph, node_checks=(check,), profile=profile)
        check.positions = {node: i for i, node in enumerate(linker.nodes)}
        return linker

    def clone(self, link_kwargs=None, optimizer="", **kwargs):
        return type(self)(self.pre_func, self.post_func,
                          self.provided_optimizer if optimizer == "" else optimizer)

    def __getstate__(self):
        state = super().__getstate__()
        state["pre_func"] = state["post_func"] = None  # functions of the user's session
        return state


def detect_nan(i, node, fn):
    """A ``post_func`` for ``MonitorMode``: print each node producing a NaN, with its graph
    and the values of its inputs and outputs (Theano's ``detect_nan``).

    >>> import numpy as np
    >>> import arignote as theano
    >>> import arignote.tensor as T
    >>> x = T.dscalar('x')
    >>> f = theano.function([x], T.log(x), mode=MonitorMode(post_func=detect_nan))
    >>> f(-1.0)
    *** NaN detected ***
    Elemwise{log,no_inplace} [id A] ''
     |x [id B]
    Inputs : [array(-1.)]
    Outputs: [array(nan)]
    array(nan)
    """
    from ..printing import debugprint
    for output in fn.outputs:
        value = output[0]
        if isinstance(value, np.random.RandomState):
            continue
        array = np.asarray(value)
        if array.dtype.kind in "fc" and np.isnan(array).any():
            print("*** NaN detected ***")
            debugprint(node)
            print(f"Inputs : {[cell[0] for cell in fn.inputs]}")
            print(f"Outputs: {[cell[0] for cell in fn.outputs]}")
            break
