"""The graph IR: Variable, Constant, Apply, FunctionGraph, and iterative traversals.

Every traversal here uses an explicit stack, never recursion, so graphs of any depth work
at Python's default recursion limit.  Pickling a variable flattens its ancestors into a list
for the same reason.
"""

import os
import sys

import numpy as np

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Trace:
    """Where user code created a variable or node: file, line number and function."""

    __slots__ = ("filename", "lineno", "function")

    def __init__(self, filename, lineno, function):
        self.filename, self.lineno, self.function = filename, lineno, function

    def __getstate__(self):
        return (self.filename, self.lineno, self.function)

    def __setstate__(self, state):
        self.filename, self.lineno, self.function = state

    def line(self):
        import linecache
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self):
        text = f'File "{self.filename}", line {self.lineno}, in {self.function}'
        source = self.line()
        return f"{text}\n    {source}" if source else text


_INSIDE = {}


def user_trace():
    """The innermost stack frame outside the arignote package (the user's line)."""
    frame = sys._getframe(1)
    inside = _INSIDE
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        flag = inside.get(filename)
        if flag is None:
            flag = inside[filename] = filename.startswith(_PACKAGE_DIR + os.sep)
        if not flag:
            return Trace(filename, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return None


class Tag:
    """Free-form annotations on a variable or node."""

    def __repr__(self):
        return f"Tag({self.__dict__})"


class Variable:
    """A value in a graph: the output of an ``Apply`` node, or an input (``owner is None``).

    ``trace`` is where user code created it: set by ``Apply`` for outputs and by the user
    constructors (``T.matrix``, ``shared``) for inputs.
    """

    trace = None

    def __init__(self, type, owner=None, index=None, name=None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag = Tag()

    @property
    def ndim(self):
        return self.type.ndim

    @property
    def dtype(self):
        return self.type.dtype

    @property
    def broadcastable(self):
        return self.type.broadcastable

    def get_parents(self):
        return [self.owner] if self.owner is not None else []

    def clone(self):
        """A new input variable of the same type and name (no owner)."""
        copy = self.type.make_variable(self.name)
        copy.trace = self.trace
        copy.tag.__dict__.update(self.tag.__dict__)
        return copy

    def eval(self, inputs_to_values=None):
        """Compile and evaluate this variable (Theano's ``Variable.eval``)."""
        from ..runtime.function import function
        inputs_to_values = inputs_to_values or {}
        inputs = list(inputs_to_values)
        key = (tuple(inputs),)
        cache = self.__dict__.setdefault("_eval_cache", {})
        if key not in cache:
            cache[key] = function(inputs, self, on_unused_input="ignore")
        return cache[key](*[inputs_to_values[v] for v in inputs])

    def auto_name(self):
        return self.name or f"{type(self).__name__}_{id(self) & 0xffff:x}"

    def __str__(self):
        if self.name is not None:
            return self.name
        if self.owner is not None:
            op = str(self.owner.op)
            if len(self.owner.outputs) == 1:
                return f"{op}.0"
            return f"{op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self):
        from ..configparser import config
        value = getattr(self.tag, "test_value", None)
        if config.print_test_value and value is not None:
            return f"{self}\n{value!r}"
        return str(self)

    def __reduce_ex__(self, protocol):
        if self.owner is None:
            return super().__reduce_ex__(protocol)
        return (_rebuild_variable, (flatten_graph([self]), 0))

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_eval_cache", None)
        return state


class Constant(Variable):
    """A variable with a fixed value (``data``, a read-only ndarray for tensors)."""

    def __init__(self, type, data, name=None):
        super().__init__(type, None, None, name)
        if isinstance(data, np.ndarray):
            data = data.copy() if data.flags.writeable else data
            data.setflags(write=False)
        self.data = data

    def signature(self):
        """Equal for constants with equal type and value (used to merge duplicates)."""
        data = self.data
        if isinstance(data, np.ndarray):
            return (self.type, data.shape, data.tobytes())
        return (self.type, data)

    def clone(self):
        return self

    def __str__(self):
        if self.name is not None:
            return self.name
        data = self.data
        if isinstance(data, np.ndarray) and data.size > 8:
            return f"Constant{{{data.shape}}}"
        text = np.array2string(np.asarray(data), separator=", ") if isinstance(
            data, np.ndarray) else repr(data)
        return text


class Apply:
    """One application of an op to input variables, producing output variables."""

    def __init__(self, op, inputs, outputs, trace=False):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.tag = Tag()
        self.trace = user_trace() if trace is False else trace
        for index, output in enumerate(self.outputs):
            output.owner = self
            output.index = index
            output.trace = self.trace

    @property
    def out(self):
        return self.outputs[0]

    @property
    def nin(self):
        return len(self.inputs)

    @property
    def nout(self):
        return len(self.outputs)

    def clone_with_new_inputs(self, inputs):
        """A copy of this node on ``inputs`` (same op, fresh outputs of the same types)."""
        outputs = [output.type.make_variable(output.name) for output in self.outputs]
        node = Apply(self.op, inputs, outputs, trace=self.trace)
        node.tag.__dict__.update(self.tag.__dict__)
        return node

    def __str__(self):
        return f"{self.op}({', '.join(str(v) for v in self.inputs)})"

    __repr__ = __str__

    def __reduce_ex__(self, protocol):
        return (_rebuild_node, (flatten_graph(self.outputs),))


# ----------------------------------------------------------------------- traversals
def io_toposort(inputs, outputs):
    """Apply nodes between ``inputs`` and ``outputs``, each after the nodes it depends on.

    The order is deterministic: a depth-first walk following input order.
    """
    stop = inputs if isinstance(inputs, (set, frozenset)) else set(inputs)
    visited = set()
    order = []
    for output in outputs:
        node = output.owner
        if node is None or output in stop or node in visited:
            continue
        visited.add(node)
        stack = [(node, iter(node.inputs))]
        while stack:
            current, pending = stack[-1]
            for variable in pending:
                parent = variable.owner
                if parent is not None and variable not in stop and parent not in visited:
                    visited.add(parent)
                    stack.append((parent, iter(parent.inputs)))
                    break
            else:
                stack.pop()
                order.append(current)
    return order


def ancestors(outputs, blockers=()):
    """Every variable that ``outputs`` depend on (outputs included), stopping at blockers."""
    blockers = set(blockers)
    seen = set()
    result = []
    stack = list(reversed(list(outputs)))
    while stack:
        variable = stack.pop()
        if variable in seen:
            continue
        seen.add(variable)
        result.append(variable)
        if variable.owner is not None and variable not in blockers:
            stack.extend(reversed(variable.owner.inputs))
    return result


def graph_inputs(outputs, blockers=()):
    """The variables without owner (or in ``blockers``) that ``outputs`` depend on."""
    blockers = set(blockers)
    return [v for v in ancestors(outputs, blockers) if v.owner is None or v in blockers]


def clone_get_equiv(inputs, outputs, copy_inputs=True, memo=None):
    """Copy the graph between ``inputs`` and ``outputs``; returns {old: new} for all of it."""
    memo = {} if memo is None else memo
    for variable in inputs:
        if variable not in memo:
            memo[variable] = variable.clone() if copy_inputs else variable
    for node in io_toposort(inputs, outputs):
        for variable in node.inputs:
            if variable not in memo:
                memo[variable] = variable.clone() if copy_inputs and not isinstance(
                    variable, Constant) else variable
        new_node = node.clone_with_new_inputs([memo[v] for v in node.inputs])
        memo[node] = new_node
        for old, new in zip(node.outputs, new_node.outputs):
            memo.setdefault(old, new)
    for variable in outputs:
        memo.setdefault(variable, variable.clone() if copy_inputs else variable)
    return memo


def clone_replace(outputs, replace=None, copy_inputs=False):
    """Copy the graph of ``outputs`` with some variables replaced (Theano's ``clone``).

    ``replace`` maps variables of the graph to variables to put in their place.
    """
    single = isinstance(outputs, Variable)
    output_list = [outputs] if single else list(outputs)
    replace = dict(replace or {})
    for old, new in replace.items():
        if not isinstance(new, Variable):
            from .variable import as_tensor_variable
            replace[old] = new = as_tensor_variable(new)
        if old.type != new.type and getattr(old.type, "ndim", None) != getattr(
                new.type, "ndim", None):
            raise TypeError(f"cannot replace {old} of type {old.type} with {new} "
                            f"of type {new.type}")
    memo = dict(replace)
    blockers = list(replace)
    for variable in graph_inputs(output_list, blockers):
        if variable not in memo:
            memo[variable] = variable.clone() if copy_inputs and not isinstance(
                variable, Constant) else variable
    for node in io_toposort(blockers + [v for v in graph_inputs(output_list, blockers)],
                            output_list):
        new_inputs = [memo.get(v, v) for v in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs)):
            new_node = node
        else:
            new_node = node.op.make_node(*new_inputs)
            new_node.trace = node.trace
            for output in new_node.outputs:
                output.trace = node.trace
            for old, new in zip(node.outputs, new_node.outputs):
                if old.name is not None:
                    new.name = old.name
        for old, new in zip(node.outputs, new_node.outputs):
            memo.setdefault(old, new)
    result = [memo.get(v, v) for v in output_list]
    return result[0] if single else result


# ----------------------------------------------------------------------- FunctionGraph
class FunctionGraph:
    """A graph owned by one function: inputs, outputs, and the clients of every variable.

    ``clients[v]`` lists ``(node, i)`` pairs (``node.inputs[i] is v``); an output position
    appears as ``('output', i)``.  Rewrites change the graph only through ``replace``.
    """

    def __init__(self, inputs, outputs, clone=True):
        if clone:
            memo = clone_get_equiv(inputs, outputs)
            inputs = [memo[v] for v in inputs]
            outputs = [memo[v] for v in outputs]
            self.equiv = memo
        else:
            self.equiv = None
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.clients = {}
        self.apply_nodes = set()
        self.variables = set()
        for variable in self.inputs:
            self._add_variable(variable)
        for node in io_toposort(self.inputs, self.outputs):
            self._import_node(node, check=True)
        for index, output in enumerate(self.outputs):
            self._add_variable(output)
            self.clients[output].append(("output", index))

    def _add_variable(self, variable):
        if variable not in self.variables:
            self.variables.add(variable)
            self.clients[variable] = []

    def _import_node(self, node, check=False):
        if node in self.apply_nodes:
            return
        for variable in node.inputs:
            if variable.owner is None and variable not in self.variables:
                if check and not isinstance(variable, Constant) and not getattr(
                        variable, "is_shared", False):
                    raise MissingInputError(variable)
            self._add_variable(variable)
        self.apply_nodes.add(node)
        for index, variable in enumerate(node.inputs):
            self.clients[variable].append((node, index))
        for output in node.outputs:
            self._add_variable(output)

    def import_graph(self, outputs):
        """Add the nodes that ``outputs`` need and the graph does not have yet."""
        if all(v in self.variables for v in outputs):
            return
        for node in io_toposort(self.variables, outputs):
            self._import_node(node)
        for output in outputs:
            self._add_variable(output)

    def replace(self, old, new, reason=None):
        """Make every client of ``old`` use ``new`` instead, and drop what became unused."""
        if old is new:
            return
        if old.type != new.type:
            raise TypeError(f"rewrite {reason or ''} would replace {old} ({old.type}) with "
                            f"{new} ({new.type})")
        self.import_graph([new])
        for client, index in list(self.clients.get(old, [])):
            if client == "output":
                self.outputs[index] = new
            else:
                client.inputs[index] = new
            self.clients[new].append((client, index))
        self.clients[old] = []
        self._prune(old)

    def replace_all(self, pairs, reason=None):
        for old, new in pairs:
            self.replace(old, new, reason)

    def _prune(self, variable):
        stack = [variable]
        while stack:
            variable = stack.pop()
            node = variable.owner
            if node is None or node not in self.apply_nodes:
                continue
            if any(self.clients.get(out) for out in node.outputs):
                continue
            self.apply_nodes.discard(node)
            for out in node.outputs:
                self.variables.discard(out)
                self.clients.pop(out, None)
            for index, parent in enumerate(node.inputs):
                clients = self.clients.get(parent)
                if clients is None:
                    continue
                clients[:] = [c for c in clients if not (c[0] is node and c[1] == index)]
                if not clients and parent not in self.inputs:
                    stack.append(parent)

    def toposort(self):
        return io_toposort(self.inputs, self.outputs)

    def clone(self):
        """An independent copy; returns ``(fgraph, equiv)``."""
        memo = clone_get_equiv(self.inputs, self.outputs)
        copy = FunctionGraph([memo[v] for v in self.inputs], [memo[v] for v in self.outputs],
                             clone=False)
        return copy, memo

    def __str__(self):
        return f"FunctionGraph({', '.join(str(o) for o in self.outputs)})"

    def __reduce_ex__(self, protocol):
        return (_rebuild_fgraph, (flatten_graph(self.outputs, self.inputs), len(self.inputs)))


class MissingInputError(Exception):
    """An output depends on an input variable that was not given to function()."""

    def __init__(self, variable):
        trace = f"\n  it was created at {variable.trace}" if variable.trace else ""
        super().__init__(
            f"the outputs depend on the input variable {variable} ({variable.type}), which is "
            f"not in the list of function inputs; add it to the inputs or replace it with "
            f"givens{trace}")
        self.variable = variable


# ----------------------------------------------------------------------- flat pickling
def flatten_graph(outputs, inputs=()):
    """A flat, non-recursive description of the graph of ``outputs``.

    Returns ``(leaves, nodes, outputs)``: leaves are variables without owner (pickled as
    themselves), nodes are ``(op, input_refs, output_meta)`` with references ``('l', i)`` to
    a leaf or ``('n', node, out)`` to an earlier node's output.
    """
    leaves, refs, nodes = list(inputs), {}, []
    for position, variable in enumerate(leaves):
        refs[variable] = ("l", position)
    for node in io_toposort(inputs, outputs):
        input_refs = []
        for variable in node.inputs:
            if variable not in refs:
                refs[variable] = ("l", len(leaves))
                leaves.append(variable)
            input_refs.append(refs[variable])
        meta = [(out.type, out.name, out.tag.__dict__, out.trace) for out in node.outputs]
        for out in node.outputs:
            refs[out] = ("n", len(nodes), out.index)
        nodes.append((node.op, input_refs, meta, node.trace))
    output_refs = []
    for variable in outputs:
        if variable not in refs:
            refs[variable] = ("l", len(leaves))
            leaves.append(variable)
        output_refs.append(refs[variable])
    return leaves, nodes, output_refs


def unflatten_graph(flat):
    """Rebuild the variables described by ``flatten_graph``; returns the output list."""
    leaves, nodes, output_refs = flat
    built = []

    def resolve(ref):
        return leaves[ref[1]] if ref[0] == "l" else built[ref[1]].outputs[ref[2]]

    for op, input_refs, meta, trace in nodes:
        outputs = []
        for type_, name, tag, _ in meta:
            variable = type_.make_variable(name)
            variable.tag.__dict__.update(tag)
            outputs.append(variable)
        node = Apply(op, [resolve(r) for r in input_refs], outputs, trace=trace)
        built.append(node)
    return [resolve(r) for r in output_refs]


def _rebuild_variable(flat, position):
    return unflatten_graph(flat)[position]


def _rebuild_node(flat):
    return unflatten_graph(flat)[0].owner


def _rebuild_fgraph(flat, n_inputs):
    leaves, _, _ = flat
    outputs = unflatten_graph(flat)
    return FunctionGraph(leaves[:n_inputs], outputs, clone=False)
