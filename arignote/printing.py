"""Showing graphs: ``debugprint`` (Theano's tree), ``pp`` (infix text), ``pydotprint``
(a Graphviz drawing), and the ``Print`` op that prints a value as it is computed.

All three print ops under Theano 1.0's names (``op_name``: ``Elemwise{mul,no_inplace}``,
``TensorConstant{2.0}``, ``InplaceDimShuffle{x}`` ...), so output compares with Theano's
documentation; ``str(op)`` keeps arignote's short names for messages and generated C.
Every walk here uses an explicit stack, so graphs of any depth print at Python's default
recursion limit.

>>> import arignote.tensor as T
>>> x, y = T.dvectors('x', 'y')
>>> print(pp(x + T.exp(y)))
(x + exp(y))
"""

import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import numpy as np

from .compiler.graph import Apply, Constant, FunctionGraph, Variable
from .compiler.op import Op

__all__ = ["GraphvizNotFound", "Print", "char_from_number", "constant_text", "debugprint",
           "default_colorCodes", "op_name", "pp", "pprint", "pydotprint", "source"]


# ----------------------------------------------------------------------- Theano's names
# Element-wise ops print under Theano 1.0's names: an Elemwise built by a tensor function
# is 'Elemwise{<function>,no_inplace}', the scalar op inside a fused or in-place one prints
# under its scalar name, and a few Elemwise carry a name of their own ('sigmoid').
_TENSOR_FUNCTIONS = {
    "TrueDiv": "true_div", "IntDiv": "int_div", "Abs": "abs_", "Reciprocal": "inv",
    "Identity": "tensor_copy", "RoundHalfToEven": "round_half_to_even",
    "RoundHalfAwayFromZero": "round_half_away_from_zero", "IsNan": "isnan_",
    "IsInf": "isinf_", "And": "and_", "Or": "or_",
}
_SCALAR_NAMES = {
    "TrueDiv": "true_div", "IntDiv": "int_div", "Reciprocal": "inv", "Abs": "Abs",
    "Switch": "Switch", "LT": "LT", "LE": "LE", "GT": "GT", "GE": "GE", "EQ": "EQ",
    "NEQ": "NEQ", "IsNan": "IsNan", "IsInf": "IsInf", "And": "AND", "Or": "OR", "Xor": "XOR",
    "Invert": "Invert", "RoundHalfToEven": "RoundHalfToEven",
    "RoundHalfAwayFromZero": "RoundHalfAwayFromZero", "Sigmoid": "scalar_sigmoid",
    "Softplus": "scalar_softplus",
}
_NAMED_ELEMWISE = {"Sigmoid": "sigmoid", "Softplus": "softplus"}
# Operators of pp and of Composite formulas (Theano parenthesises every one of them).
_INFIX = {"Add": "+", "Sub": "-", "Mul": "*", "TrueDiv": "/", "IntDiv": "//", "Pow": "**"}
_SCALAR_INFIX = dict(_INFIX, Mod="%")
# Theano accumulates float32 and small integer sums in a wider type.
_ACC_DTYPES = {"float16": "float32", "float32": "float64", "int8": "int64", "int16": "int64",
               "int32": "int64", "uint8": "uint64", "uint16": "uint64", "uint32": "uint64",
               "bool": "int64", "complex64": "complex128"}


def _scalar_class(scalar_op):
    return type(scalar_op).__name__


def _has_params(scalar_op):
    """Cast{float32} and PolyGamma{1} print their parameters, as Theano's Cast does."""
    return bool(getattr(scalar_op, "__dataclass_fields__", None))


def _tensor_function(scalar_op):
    """The tensor function that applies ``scalar_op``: 'mul', 'true_div', 'exp' ..."""
    name = _scalar_class(scalar_op)
    return _TENSOR_FUNCTIONS.get(name, name.lower())


def _scalar_name(scalar_op):
    """Theano's name of a scalar op: 'mul', 'scalar_sigmoid', 'LT', 'Cast{int64}' ..."""
    from .compiler.ops.composite import Composite
    if isinstance(scalar_op, Composite):
        return _composite_name(scalar_op)
    if _has_params(scalar_op):
        return str(scalar_op)
    name = _scalar_class(scalar_op)
    return _SCALAR_NAMES.get(name, name.lower())


def _composite_name(composite):
    """'Composite{((i0 + i1) * i2)}': Theano's formula of a fused element-wise op, inputs
    named i0, i1 ... (an intermediate used twice is written out twice)."""
    texts = []
    for scalar_op, args, _ in composite.program:
        operands = []
        for ref in args:
            if ref[0] == "in":
                operands.append(f"i{ref[1]}")
            elif ref[0] == "tmp":
                operands.append(texts[ref[1]])
            else:
                operands.append(str(np.asarray(ref[1], dtype=ref[2])))
        name = _scalar_class(scalar_op)
        if name == "Neg":
            texts.append(f"(-{operands[0]})")
        elif name in _SCALAR_INFIX and len(operands) >= 2:
            texts.append("(" + f" {_SCALAR_INFIX[name]} ".join(operands) + ")")
        else:
            texts.append(f"{_scalar_name(scalar_op)}({', '.join(operands)})")
    outs = []
    for ref in composite.outs:
        outs.append(f"i{ref[1]}" if ref[0] == "in" else texts[ref[1]] if ref[0] == "tmp"
                    else str(np.asarray(ref[1], dtype=ref[2])))
    return "Composite{" + ", ".join(outs) + "}"


def _single_step(node):
    """``(scalar_op, operands)`` when ``node`` is a fused Elemwise of one scalar op (fusion
    makes a Composite of a lone op too), its literals as constants: printed as the Elemwise
    of that op, as Theano leaves a lone op unfused.  None for any other node."""
    from .compiler.ops.composite import Composite
    from .compiler.variable import constant
    op = node.op
    if type(op).__name__ != "Elemwise" or op.inplace_pattern:
        return None
    composite = op.scalar_op
    if not isinstance(composite, Composite) or len(composite.program) != 1 or \
            tuple(composite.outs) != (("tmp", 0),):
        return None
    scalar_op, args, _ = composite.program[0]
    if isinstance(scalar_op, Composite) or any(ref[0] == "tmp" for ref in args):
        return None
    operands = [node.inputs[ref[1]] if ref[0] == "in" else constant(ref[1], dtype=ref[2])
                for ref in args]
    return scalar_op, operands


def _elemwise_parts(node):
    """``(scalar_op, operands, inplace_pattern)`` of an Elemwise node as printed."""
    single = _single_step(node)
    if single is not None:
        return single[0], single[1], ()
    return node.op.scalar_op, list(node.inputs), node.op.inplace_pattern


def _elemwise_name(scalar_op, inplace_pattern=()):
    if inplace_pattern:
        pairs = ", ".join(f"({o}, {i})" for o, i in sorted(inplace_pattern))
        return f"Elemwise{{{_scalar_name(scalar_op)}}}[{pairs}]"
    from .compiler.ops.composite import Composite
    if isinstance(scalar_op, Composite) or _has_params(scalar_op):
        return f"Elemwise{{{_scalar_name(scalar_op)}}}"
    named = _NAMED_ELEMWISE.get(_scalar_class(scalar_op))
    if named is not None:
        return named
    return f"Elemwise{{{_tensor_function(scalar_op)},no_inplace}}"


def _index_entry(entry, inputs):
    """One Subtensor index as Theano prints it: the dtype of its scalar (Theano makes a
    constant index a scalar input), a slice as 'start:stop:step'."""
    if isinstance(entry, tuple):
        return ":".join("" if part is None else _index_entry(part, inputs) for part in entry)
    if isinstance(entry, str):  # a symbolic index: the node's next input
        return next(inputs).dtype
    if entry is Ellipsis:
        return "..."
    return "int64"


def _index_text(op, node):
    inputs = iter(node.inputs[2 if "Inc" in type(op).__name__ else 1:]) if node else iter(())
    return ", ".join(_index_entry(entry, inputs) for entry in op.idx_list)


def _reduce_name(op, node):
    """'Sum{acc_dtype=float64}', 'Sum{axis=[0], acc_dtype=float64}', 'Max{0}' ..."""
    name = type(op).__name__
    ndim = node.inputs[0].ndim if node is not None else None
    axis = tuple(op.axis) if op.axis is not None else None
    whole = axis is None or (ndim is not None and sorted(axis) == list(range(ndim)))
    if name in ("Sum", "Prod"):
        acc = getattr(op, "acc_dtype", None)
        if acc is None and node is not None:
            dtype = node.inputs[0].dtype
            acc = _ACC_DTYPES.get(dtype, dtype)
        axis_text = "" if whole else f"axis=[{', '.join(str(a) for a in axis)}], "
        return f"{name}{{{axis_text}acc_dtype={acc}}}"
    if name in ("Max", "Min"):
        reducer = "maximum" if name == "Max" else "minimum"
        return f"Reduce{{{reducer}}}" if whole else \
            f"Reduce{{{reducer}}}{{{', '.join(str(a) for a in axis)}}}"
    return name if whole else f"{name}{{{', '.join(str(a) for a in axis)}}}"


def _special_name(op, node):
    """Names of the ops whose Theano text is not 'ClassName{fields}'; None for the rest."""
    name = type(op).__name__
    if name == "Elemwise":
        if node is not None:
            scalar_op, _, inplace_pattern = _elemwise_parts(node)
            return _elemwise_name(scalar_op, inplace_pattern)
        return _elemwise_name(op.scalar_op, op.inplace_pattern)
    if name == "DimShuffle":
        # Theano 1.0 builds every DimShuffle as a view ('inplace=True' by default).
        return f"InplaceDimShuffle{{{','.join(str(a) for a in op.new_order)}}}"
    if name in ("Subtensor", "AdvancedSubtensor") and hasattr(op, "idx_list"):
        return "AdvancedSubtensor" if name == "AdvancedSubtensor" else \
            f"Subtensor{{{_index_text(op, node)}}}"
    if name == "IncSubtensor":
        kind = ("Inplace" if op.inplace else "") + ("Set" if op.set_instead_of_inc else "Inc")
        return f"IncSubtensor{{{kind};{_index_text(op, node)}}}"
    if name in ("AdvancedIncSubtensor1", "AdvancedIncSubtensor"):
        return (f"{name}{{{'inplace' if op.inplace else 'no_inplace'},"
                f"{'set' if op.set_instead_of_inc else 'inc'}}}")
    if name in ("Sum", "Prod", "Max", "Min", "All", "Any", "Argmax", "Argmin"):
        return _reduce_name(op, node)
    if name in ("Dot", "Gemm", "Join"):
        return {"Dot": "dot", "Gemm": "Gemm{no_inplace}", "Join": "Join"}[name]
    if name == "ShapeI":
        return f"Shape_i{{{op.i}}}"
    if name == "Reshape":
        return f"Reshape{{{op.ndim}}}"
    if name in ("MakeVector", "ARange", "Eye"):
        return f"{name}{{dtype='{op.dtype}'}}"
    if name == "Repeat":
        return f"RepeatOp{{axis={op.axis}}}"
    if name == "Split":
        return f"Split{{{op.n_splits}}}"
    if name in ("CumSum", "CumProd"):
        return f"CumOp{{{op.axis}, {'add' if name == 'CumSum' else 'mul'}}}"
    if name == "Rebroadcast":
        pattern = ["?"] * (1 + max((a for a, _ in op.axes), default=-1))
        for axis, flag in op.axes:
            pattern[axis] = str(int(flag))
        return f"Rebroadcast{{{','.join(pattern)}}}"
    if name == "Scan":
        loop = "do_while" if op.as_while else "for"
        return f"{loop}{{cpu,{'scan_fn' if op.name == 'scan' else op.name}}}"
    if name == "MRGUniform" and node is not None:
        return f"mrg_uniform{{{node.outputs[1].type},no_inplace}}"
    if name == "FusedReduce":
        axes = ", ".join(str(a) for a in op.axis)
        return f"Reduce{{{op.kind}, {_scalar_name(op.scalar_op)}}}{{{axes}}}"
    if name in ("Pool", "MaxPoolGrad", "AveragePoolGrad", "DownsampleFactorMaxGradGrad"):
        return f"{name}{{ignore_border={op.ignore_border}, mode='{op.mode}', ndim=2}}"
    return None


def op_name(op, node=None):
    """How Theano 1.0 prints ``op`` (applied in ``node``, when given): the name used by
    ``debugprint``, ``pp`` and ``pydotprint``.

    Element-wise ops print as ``Elemwise{mul,no_inplace}`` (fused ones as
    ``Elemwise{Composite{...}}``), dimension shuffles as ``InplaceDimShuffle{x,0}``, and
    ``Shape_i{0}``, ``Subtensor{int64::}``, ``Sum{acc_dtype=float64}``, ``dot``,
    ``Reshape{2}``... as Theano did. ``str(op)`` keeps arignote's shorter names, which error
    messages, profiles and the comments of generated C use.

    Examples
    --------
    >>> import arignote.tensor as T
    >>> x = T.dmatrix('x')
    >>> op_name((x * 2).owner.op), op_name(x.T.owner.op)
    ('Elemwise{mul,no_inplace}', 'InplaceDimShuffle{1,0}')
    >>> node = x[1:].owner
    >>> op_name(node.op, node), op_name(T.sum(x, axis=0).owner.op, T.sum(x, axis=0).owner)
    ('Subtensor{int64::}', 'Sum{axis=[0], acc_dtype=float64}')
    """
    name = _special_name(op, node)
    return str(op) if name is None else name


def constant_text(constant):
    """A constant as Theano prints it: ``TensorConstant{2.0}``, ``TensorConstant{(3,) of 1}``.

    >>> import numpy as np, arignote.tensor as T
    >>> constant_text(T.constant(2.0)), constant_text(T.constant(np.ones(3, 'int8')))
    ('TensorConstant{2.0}', 'TensorConstant{(3,) of 1}')
    """
    data = constant.data
    if not isinstance(data, np.ndarray):
        return str(constant)
    flat = data.ravel()
    if data.ndim > 0 and flat.size and (flat == flat[0]).all():
        text = f"{data.shape} of {flat[0]}"
    else:
        text = str(data)
    if len(text) > 20:
        text = text[:10] + ".." + text[-10:]
    return f"TensorConstant{{{text}}}"


class _IndexConstant:
    """A constant index that Theano makes a scalar input of Subtensor (arignote keeps it in
    the op): debugprint shows it as the child ``Constant{0}`` as Theano does."""

    def __init__(self, node, position, value):
        self.node, self.position, self.value = node, position, value
        self.owner = None
        self.type = "int64"
        self.name = None

    def __eq__(self, other):
        return isinstance(other, _IndexConstant) and (self.node, self.position) == (
            other.node, other.position)

    def __hash__(self):
        return hash((id(self.node), self.position))

    def __str__(self):
        return f"Constant{{{self.value}}}"


def _children(node):
    """The inputs debugprint shows under ``node``: its inputs, with Theano's extra ones (the
    constant indices of Subtensor, the axis of Join)."""
    name = type(node.op).__name__
    if name == "Elemwise":
        return _elemwise_parts(node)[1]
    if name == "Join":
        from .compiler.variable import constant
        return [constant(node.op.axis, dtype="int8")] + list(node.inputs)
    if name not in ("Subtensor", "IncSubtensor") or not hasattr(node.op, "idx_list"):
        return list(node.inputs)
    start = 2 if name == "IncSubtensor" else 1
    children = list(node.inputs[:start])
    symbolic = iter(node.inputs[start:])
    position = 0
    for entry in node.op.idx_list:
        for part in entry if isinstance(entry, tuple) else (entry,):
            if isinstance(part, str):
                children.append(next(symbolic))
            elif isinstance(part, (int, np.integer)) and not isinstance(part, bool):
                children.append(_IndexConstant(node, position, int(part)))
            position += 1
    children.extend(symbolic)
    return children


def _leaf_name(variable):
    """A variable with no owner as debugprint and pp show it."""
    if isinstance(variable, Constant) and variable.name is None:
        return constant_text(variable)
    return str(variable)


# ----------------------------------------------------------------------- debugprint
def char_from_number(number):
    """The letter id of ``number`` in debugprint's 'CHAR' mode: 0 is A, 25 is Z, 26 is BA.

    >>> char_from_number(0), char_from_number(27)
    ('A', 'BB')
    """
    if number == 0:
        return "A"
    text = ""
    while number:
        number, remainder = divmod(number, 26)
        text = chr(ord("A") + remainder) + text
    return text


def _is_function(obj):
    maker = getattr(obj, "maker", None)
    return maker is not None and isinstance(getattr(maker, "fgraph", None), FunctionGraph)


def _storage_of(function):
    """{variable: value} held by a compiled function: its storage map where it exposes one,
    else the values of its inputs (defaults, last arguments, shared variables)."""
    for holder in (function, getattr(function, "fn", None)):
        storage = getattr(holder, "storage_map", None)
        if isinstance(storage, dict):
            return {k: (v[0] if isinstance(v, list) and len(v) == 1 else v)
                    for k, v in storage.items()}
    values = {}
    containers = getattr(function, "input_storage", None) or []
    for variable, container in zip(function.maker.fgraph.inputs, containers):
        cell = getattr(container, "storage", None)
        if isinstance(cell, list) and cell and cell[0] is not None:
            values[variable] = cell[0]
    return values


def debugprint(obj, depth=-1, print_type=False, file=None, ids="CHAR", stop_on_name=False,
               done=None, print_storage=False, print_destroy_map=False,
               print_view_map=False):
    """Print the graph of ``obj`` as an indented tree, in Theano's format.

    Parameters
    ----------
    obj : Variable, Apply, FunctionGraph, compiled function, In/Out, or a list of them
        What to print.  For a compiled function, its (rewritten) graph ``f.maker.fgraph``
        is printed, each node followed by its position in the execution order.
    depth : int
        How many levels to print (-1: all).
    print_type : bool
        Also print each variable's type.
    file : file object, 'str' or None
        Where to write; ``'str'`` returns the text; ``None`` prints to stdout.
    ids : {'CHAR', 'int', 'id', ''}
        How nodes are labelled: letters (A, B, ...), integers, Python ``id()``, or not at all.
        A node reached a second time is printed once more with its id but without children.
    stop_on_name : bool
        Do not expand the inputs of a named variable.
    done : dict, optional
        Ids given so far; pass the same dict to several calls to share the labels.
    print_storage : bool
        For a compiled function, also print the values it holds (for its inputs: defaults,
        the last arguments, and the shared variables' values).

    Examples
    --------
    >>> import arignote.tensor as T
    >>> x, y = T.dvectors('x', 'y')
    >>> print(debugprint(x + T.exp(y), file='str'))
    Elemwise{add,no_inplace} [id A] ''
     |x [id B]
     |Elemwise{exp,no_inplace} [id C] ''
       |y [id D]
    <BLANKLINE>
    """
    if not isinstance(depth, (int, np.integer)):
        raise TypeError(f"depth must be an int, got {depth!r}")
    if ids not in ("CHAR", "int", "id", ""):
        raise ValueError(f"ids must be 'CHAR', 'int', 'id' or '', got {ids!r}")
    if file == "str":
        out = io.StringIO()
    elif file is None:
        out = sys.stdout
    else:
        out = file
    done = {} if done is None else done
    objects = list(obj) if isinstance(obj, (list, tuple, set)) else [obj]
    roots = []  # (variable, {node: position} or None, {variable: stored value})
    for item in objects:
        if isinstance(item, Variable):
            roots.append((item, None, {}))
        elif isinstance(item, Apply):
            roots.extend((v, None, {}) for v in item.outputs)
        elif isinstance(item, FunctionGraph) or _is_function(item):
            fgraph = item if isinstance(item, FunctionGraph) else item.maker.fgraph
            order = {node: i for i, node in enumerate(fgraph.toposort())}
            storage = _storage_of(item) if print_storage and _is_function(item) else {}
            roots.extend((v, order, storage) for v in fgraph.outputs)
        elif isinstance(item, (int, float, np.integer, np.floating, np.ndarray)):
            print(item, file=out)
        elif isinstance(getattr(item, "variable", None), Variable):
            roots.append((item.variable, None, {}))
        else:
            raise TypeError(f"debugprint cannot print an object of type {type(item).__name__}")
    printer = _TreePrinter(out, done, print_type, ids, stop_on_name, print_destroy_map,
                           print_view_map)
    for variable, order, storage in roots:
        printer.tree(variable, depth, order=order, storage=storage)
    printer.inner_graphs(depth)
    if file == "str":
        return out.getvalue()
    if file is None:
        out.flush()
        return None
    return file


def _id_string(obj, done, ids):
    """The ``[id X]`` label of ``obj``, assigning a new one the first time it is seen."""
    if obj not in done:
        if ids == "CHAR":
            done[obj] = f"[id {char_from_number(len(done))}]"
        elif ids == "int":
            done[obj] = f"[id {len(done)}]"
        elif ids == "id":
            done[obj] = f"[id {id(obj)}]"
        else:
            done[obj] = ""
    return done[obj]


def _inner_to_outer(node, graph_index):
    """The outer variable (or None) bound to each input of inner graph ``graph_index``."""
    op = node.op
    graph = op.inner_graphs[graph_index]
    if hasattr(op, "outer_inputs"):
        return list(op.outer_inputs(node, graph_index))
    if type(op).__name__ == "IfElse":
        return list(node.inputs[1:1 + len(graph.inputs)])
    if type(op).__name__ == "Map":
        return [None] + list(node.inputs[1:len(graph.inputs)])
    return [None] * len(graph.inputs)


class _TreePrinter:
    """Writes debugprint trees; collects the nodes whose ops hold inner graphs."""

    def __init__(self, out, done, print_type, ids, stop_on_name, print_destroy_map,
                 print_view_map):
        self.out, self.done, self.ids = out, done, ids
        self.print_type, self.stop_on_name = print_type, stop_on_name
        self.print_destroy_map, self.print_view_map = print_destroy_map, print_view_map
        self.inner_nodes, self.inner_seen = [], set()

    def tree(self, root, depth, prefix="", prefix_child="", order=None, storage=None,
             arrows=None):
        """Print the tree of ``root``, preorder, with an explicit stack.

        ``arrows`` maps inner-graph inputs to the label of the outer variable they stand for.
        """
        storage, arrows = storage or {}, arrows or {}
        stack = [(root, prefix, prefix_child, depth)]
        while stack:
            variable, prefix, prefix_child, level = stack.pop()
            if level == 0:
                continue
            type_text = f" <{variable.type}>" if self.print_type else ""
            node = variable.owner
            if node is None:
                data = f" {storage[variable]}" if variable in storage else ""
                arrow = f" -> {arrows[variable]}" if variable in arrows else ""
                self._write(f"{prefix}{_leaf_name(variable)} "
                            f"{_id_string(variable, self.done, self.ids)}"
                            f"{type_text}{arrow}{data}")
                continue
            already_printed = node in self.done
            label = _id_string(node, self.done, self.ids)
            index = "" if len(node.outputs) == 1 else f".{variable.index}"
            name = variable.name if variable.name is not None else ""
            op = node.op
            destroy = str(op.destroy_map) if self.print_destroy_map and op.destroy_map else ""
            view = str(op.view_map) if self.print_view_map and op.view_map else ""
            position = str(order[node]) if order and node in order else ""
            data = f" {storage.get(node.outputs[0], '')}" if storage else ""
            self._write(f"{prefix}{op_name(op, node)}{index} {label}{type_text} '{name}' "
                        f"{destroy} {view} {position}{data}")
            if getattr(op, "inner_graphs", None) and node not in self.inner_seen:
                self.inner_seen.add(node)
                self.inner_nodes.append(node)
            if already_printed or (self.stop_on_name and variable.name is not None):
                continue
            children = []
            inputs = _children(node)
            last = len(inputs) - 1
            for position, child in enumerate(inputs):
                child_prefix = prefix_child + (" " * 2 if position == last else " |")
                children.append((child, prefix_child + " |", child_prefix, level - 1))
            stack.extend(reversed(children))

    def inner_graphs(self, depth):
        """After the outer trees: each op's inner graphs, outputs marked ``>``, as Theano
        prints scan's; inner inputs point (``->``) to the outer variables they receive."""
        if not self.inner_nodes:
            return
        self._write("")
        self._write("Inner graphs:")
        position = 0
        while position < len(self.inner_nodes):
            node = self.inner_nodes[position]
            position += 1
            self._write("")
            self.tree(node.outputs[0], 1)
            for graph_index, graph in enumerate(node.op.inner_graphs):
                outer = _inner_to_outer(node, graph_index)
                arrows = {inner: _id_string(variable.owner or variable, self.done, self.ids)
                          for inner, variable in zip(graph.inputs, outer)
                          if variable is not None}
                for output in graph.outputs:
                    self.tree(output, depth, " >", " >", arrows=arrows)

    def _write(self, line):
        self.out.write(line.rstrip() + "\n")


# ----------------------------------------------------------------------- pp
# Theano's pp writes these element-wise ops as operators and parenthesises each of them
# (whatever the precedences), the matrix product as '(x \dot w)'; other element-wise ops
# are calls of their tensor function ('exp(x)', 'gt(a, b)', 'float32(x)' for a cast), and
# every other op is 'OpName(inputs)'.
_PP_UNARY = {"Neg": "-"}


def _pp_function(node):
    """The function name pp calls a node other than an operator by."""
    if type(node.op).__name__ == "Elemwise":
        scalar_op, _, inplace_pattern = _elemwise_parts(node)
        name = _scalar_class(scalar_op)
        if not inplace_pattern:
            if name == "Cast":
                return scalar_op.dtype
            if name in _NAMED_ELEMWISE:
                return _NAMED_ELEMWISE[name]
            if not _has_params(scalar_op):
                return _tensor_function(scalar_op)
    return op_name(node.op, node)


def _dimshuffle_view(node):
    """Theano's DimShufflePrinter: leading broadcast dims are hidden; then 'same' (hide the
    op), 'T' (a transposition), or the remaining order to print as DimShuffle{...}(x)."""
    order = list(node.op.new_order)
    while order and order[0] == "x":
        order = order[1:]
    ndim = node.inputs[0].ndim
    if order == list(range(ndim)):
        return "same"
    if order == list(reversed(range(ndim))):
        return "T"
    return order


_INDEXING_OPS = ("Subtensor", "AdvancedSubtensor", "AdvancedSubtensor1")
_PIECE_MARKS = ("?", "A")  # idx_list entries standing for the node's next extra input


def _is_indexing(node):
    return type(node.op).__name__ in _INDEXING_OPS and hasattr(node.op, "idx_list")


def _index_pieces(node):
    """``[``, the index entries (symbolic ones as variables to render), ``]``."""
    pieces = iter(node.inputs[1:])
    todo = ["["]

    def part(value, in_slice):
        if isinstance(value, str) and value in _PIECE_MARKS:
            todo.append(next(pieces))
        elif value is Ellipsis:
            todo.append("...")
        elif value is not None or not in_slice:
            todo.append(str(value))

    for position, entry in enumerate(node.op.idx_list):
        if position:
            todo.append(", ")
        if isinstance(entry, tuple):
            start, stop, step = entry
            part(start, True)
            todo.append(":")
            part(stop, True)
            if step is not None:
                todo.append(":")
                part(step, True)
        else:
            part(entry, False)
    todo.append("]")
    return todo


def _render(variable):
    """The pp text of one variable, built with an explicit stack of pieces.

    A named variable other than the one printed shows as its name, as in Theano."""
    pieces = []
    stack = [(variable, True)]
    while stack:
        entry = stack.pop()
        if isinstance(entry, str):
            pieces.append(entry)
            continue
        item, top = entry
        node = item.owner
        if node is None:
            pieces.append(_leaf_name(item) if item.name is None else item.name)
            continue
        if not top and item.name is not None:
            pieces.append(item.name)
            continue
        if type(node.op).__name__ == "DimShuffle":
            view = _dimshuffle_view(node)
            child = (node.inputs[0], top and view == "same")
            if view == "same":
                todo = [child]
            elif view == "T":
                todo = [child, ".T"]
            else:
                todo = [f"DimShuffle{{{', '.join(str(a) for a in view)}}}(", child, ")"]
        elif _is_indexing(node):
            todo = [(node.inputs[0], False)] + [p if isinstance(p, str) else (p, False)
                                                 for p in _index_pieces(node)]
        else:
            operands, operator = list(node.inputs), None
            if type(node.op).__name__ == "Dot":
                operator = "\\dot"
            elif type(node.op).__name__ == "Elemwise":
                scalar_op, operands, inplace_pattern = _elemwise_parts(node)
                if not inplace_pattern:
                    operator = (_PP_UNARY if len(operands) == 1 else _INFIX).get(
                        _scalar_class(scalar_op))
            if operator is not None and len(operands) == 1:
                todo = ["(" + operator, (operands[0], False), ")"]
            elif operator is not None:
                todo = ["("]
                for position, child in enumerate(operands):
                    if position:
                        todo.append(f" {operator} ")
                    todo.append((child, False))
                todo.append(")")
            else:
                todo = [_pp_function(node) + "("]
                for position, child in enumerate(operands):
                    if position:
                        todo.append(", ")
                    todo.append((child, False))
                todo.append(")")
                if len(node.outputs) > 1:
                    todo.append(f"[{item.index}]")
        stack.extend(reversed(todo))
    return "".join(pieces)


def pp(*variables):
    """A formula of a variable (or several, one per line), printed as Theano 1.0's ``pp``.

    ``+ - * / // **`` and the matrix product (``\\dot``) print infix, each operation in
    parentheses as Theano does; other element-wise ops print as calls of their tensor
    function (``exp(x)``, ``gt(a, b)``); other ops as ``OpName(inputs)``. Constants print as
    ``TensorConstant{2}``; broadcasting dimshuffles are hidden and a transposition prints
    as ``.T``; a named intermediate variable prints as its name; indexing prints as
    ``x[1:, i]``.

    Examples
    --------
    >>> import arignote.tensor as T
    >>> x, y, z = T.dscalars('x', 'y', 'z')
    >>> pp(x + T.exp(y))
    '(x + exp(y))'
    >>> pp((x + y) * z - x / (y * z))
    '(((x + y) * z) - (x / (y * z)))'
    >>> pp(T.exp(-x) ** 2)
    '(exp((-x)) ** TensorConstant{2})'
    """
    if len(variables) == 1 and isinstance(variables[0], (list, tuple)):
        variables = tuple(variables[0])
    texts = []
    for variable in variables:
        if isinstance(variable, FunctionGraph) or _is_function(variable):
            fgraph = variable if isinstance(variable, FunctionGraph) else variable.maker.fgraph
            texts.extend(_render(v) for v in fgraph.outputs)
        elif isinstance(variable, Variable):
            texts.append(_render(variable))
        else:
            raise TypeError(f"pp cannot print an object of type {type(variable).__name__}")
    return "\n".join(texts)


pprint = pp


# ----------------------------------------------------------------------- pydotprint
# Theano's colours: apply nodes by op class (a key matches any class name containing it),
# 'Output' for the graph's outputs and for the edges of views.
default_colorCodes = {
    "GpuFromHost": "red", "HostFromGpu": "red", "Transfer": "red", "Scan": "yellow",
    "Shape": "brown", "IfElse": "magenta", "Elemwise": "#FFAABB", "Subtensor": "#FFAAFF",
    "Alloc": "#FFAA22", "Output": "lightblue",
}


def _dot_quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _clip_label(text, max_size):
    return text[:max_size - 3] + "..." if max_size and len(text) > max_size else text


class _DotGraph:
    """Builds the DOT text of a graph as Theano's pydotprint lays it out: apply nodes are
    ellipses labelled with their op, variables are boxes (inputs green, shared variables
    cyan, outputs and updated values in the 'Output' colour, unused results grey); an input
    edge is blue when the op returns a view of it and red when it overwrites it; with
    ``compact`` an unnamed intermediate result is only an edge label."""

    def __init__(self, topo, outputs, input_update, compact, with_ids, high_contrast,
                 color_codes, max_label_size, var_with_name_simple):
        self.topo, self.outputs, self.input_update = topo, outputs, input_update
        self.compact, self.with_ids, self.high_contrast = compact, with_ids, high_contrast
        self.colors, self.max_size = color_codes, max_label_size
        self.simple = var_with_name_simple
        self.lines = ["digraph G {"]
        self.ids, self.labels, self.all_labels, self.drawn = {}, {}, set(), set()
        self.clients = {}
        for node in topo:
            for variable in node.inputs:
                self.clients[variable] = self.clients.get(variable, 0) + 1

    def node_id(self, obj):
        if obj not in self.ids:
            self.ids[obj] = f"n{len(self.ids)}"
        return self.ids[obj]

    def var_label(self, variable):
        if variable in self.labels:
            return self.labels[variable]
        type_text = str(variable.type)
        if variable.name is not None:
            text = variable.name if self.simple else f"name={variable.name} {type_text}"
        elif isinstance(variable, Constant):
            value = str(np.asarray(variable.data)).split("\n")[0]
            text = f"val={value} {type_text}"
        elif variable in self.input_update and self.input_update[variable].name is not None:
            name = self.input_update[variable].name
            text = f"{name} UPDATE" + ("" if self.simple else f" {type_text}")
        else:
            text = type_text
        if self.with_ids:
            text = f"{text} id={len(self.labels)}"
        text = _clip_label(text, self.max_size)
        self.labels[variable] = text
        self.all_labels.add(text)
        return text

    def apply_label(self, node):
        if node in self.labels:
            return self.labels[node]
        text = op_name(node.op, node).replace(":", "_")
        if text in self.all_labels or self.with_ids:
            suffix = f" id={self.topo.index(node)}"
            text = _clip_label(text, self.max_size - len(suffix)) + suffix
        else:
            text = _clip_label(text, self.max_size)
        self.labels[node] = text
        self.all_labels.add(text)
        return text

    def box(self, variable, color=None):
        if variable in self.drawn:
            return
        self.drawn.add(variable)
        style = ""
        if color is not None:
            style = (f", style=filled, fillcolor={_dot_quote(color)}" if self.high_contrast
                     else f", color={_dot_quote(color)}")
        self.lines.append(f"  {self.node_id(variable)} [label="
                          f"{_dot_quote(self.var_label(variable))}, shape=box{style}];")

    def edge(self, source, target, label="", color=None):
        attributes = [f"label={_dot_quote(label)}"] if label else []
        if color is not None:
            attributes.append(f"color={_dot_quote(color)}")
        extra = f" [{', '.join(attributes)}]" if attributes else ""
        self.lines.append(f"  {self.node_id(source)} -> {self.node_id(target)}{extra};")

    def source(self):
        output_color = self.colors.get("Output", "lightblue")
        for node in self.topo:
            color = None
            for key, value in self.colors.items():
                if key in type(node.op).__name__:
                    color = value
            style = ""
            if color is not None:
                style = (f", style=filled, fillcolor={_dot_quote(color)}" if self.high_contrast
                         else f", color={_dot_quote(color)}")
            self.lines.append(f"  {self.node_id(node)} [label="
                              f"{_dot_quote(self.apply_label(node))}, shape=ellipse{style}];")
            viewed = {i for inputs in getattr(node.op, "view_map", {}).values() for i in inputs}
            destroyed = {i for inputs in getattr(node.op, "destroy_map", {}).values()
                         for i in inputs}
            for index, variable in enumerate(node.inputs):
                label = str(index) if len(node.inputs) > 1 else ""
                edge_color = output_color if index in viewed else (
                    "red" if index in destroyed else None)
                if variable.owner is None:
                    kind = "cyan" if type(variable).__name__.endswith("SharedVariable") \
                        else "green"
                    self.box(variable, kind)
                    self.edge(variable, node, label, edge_color)
                elif variable.name or not self.compact or variable in self.outputs:
                    self.edge(variable, node, label, edge_color)
                else:
                    label = _clip_label(f"{label} {variable.type}".strip(), self.max_size)
                    self.edge(variable.owner, node, label, edge_color)
            for index, variable in enumerate(node.outputs):
                label = str(index) if len(node.outputs) > 1 else ""
                if variable in self.outputs or variable in self.input_update:
                    self.edge(node, variable, label)
                    self.box(variable, output_color)
                elif not self.clients.get(variable):
                    self.edge(node, variable, label)
                    self.box(variable, "grey")
                elif variable.name or not self.compact:
                    self.edge(node, variable, label)
                    self.box(variable)
        for update, shared_input in self.input_update.items():
            self.edge(shared_input, update, "UPDATE", output_color)
        for variable in self.outputs:
            if variable.owner is None:
                self.box(variable, output_color)
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"


def _graph_of(fct):
    """(toposorted nodes, outputs, {update output: the shared input it updates})."""
    from .compiler.graph import io_toposort
    if _is_function(fct):
        fgraph = fct.maker.fgraph
        n_out = len(fct.maker.outputs)
        updates = {fgraph.outputs[n_out + k]: fgraph.inputs[i]
                   for k, i in enumerate(fct.maker.update_inputs)}
        return fgraph.toposort(), list(fgraph.outputs[:n_out]), updates
    if isinstance(fct, FunctionGraph):
        return fct.toposort(), list(fct.outputs), {}
    if isinstance(fct, Apply):
        fct = fct.outputs
    if isinstance(fct, Variable):
        fct = [fct]
    if not isinstance(fct, (list, tuple)) or not all(isinstance(v, Variable) for v in fct):
        raise TypeError(f"pydotprint cannot draw an object of type {type(fct).__name__}")
    return io_toposort([], list(fct)), list(fct), {}


def pydotprint(fct, outfile=None, compact=True, format="png", with_ids=False,
               high_contrast=True, cond_highlight=None, colorCodes=None,
               max_label_size=70, scan_graphs=False, var_with_name_simple=False,
               print_output_file=True, return_image=False):
    """Draw a graph (variable, list of variables, Apply, FunctionGraph or compiled function)
    with Graphviz, as Theano's ``pydotprint`` does.

    Apply nodes are ellipses, coloured by op (``colorCodes``, default
    ``default_colorCodes``; ``high_contrast`` fills them, else only their outline is
    coloured); variables are boxes: inputs green, shared variables cyan, outputs light blue,
    unused results grey. A named variable is labelled ``name=x TensorType(...)`` (only its
    name with ``var_with_name_simple``), a constant ``val=...``; with ``compact`` an
    unnamed intermediate result is only an edge label. A compiled function's updates are
    edges labelled UPDATE. ``scan_graphs`` also draws each scan's inner graph, to
    ``<outfile>_<scan name>_<position>.<format>``.

    ``format='dot'`` writes the Graphviz source and needs nothing installed; other formats
    (png, svg, pdf ...) need the Graphviz ``dot`` program (see ``GraphvizNotFound``).
    Returns the image bytes when ``return_image`` is true; otherwise writes ``outfile``
    (default ``arignote.pydotprint.<format>`` in ``config.compiledir`` or the current
    directory; the format is appended when ``outfile`` does not end with it).

    ``cond_highlight`` (Theano's clusters of an IfElse's two branches) is accepted only as
    None: arignote's IfElse holds its branches as inner graphs, not as outer nodes.

    >>> import arignote.tensor as T
    >>> x = T.dvector('x')
    >>> text = pydotprint(T.exp(x), format='dot', return_image=True).decode()
    >>> text.splitlines()[0], 'Elemwise{exp,no_inplace}' in text, 'name=x' in text
    ('digraph G {', True, True)
    """
    if cond_highlight is not None:
        raise ValueError("pydotprint(cond_highlight=...): arignote's IfElse keeps its two "
                         "branches inside the node, so there are no outer nodes to group by "
                         "branch; draw them with debugprint, which prints the inner graphs")
    color_codes = dict(default_colorCodes if colorCodes is None else colorCodes)
    topo, outputs, input_update = _graph_of(fct)
    source = _DotGraph(topo, outputs, input_update, compact, with_ids, high_contrast,
                       color_codes, max_label_size, var_with_name_simple).source()
    image = source.encode() if format == "dot" else _render_dot(source, format)
    if outfile is None:
        from .configparser import config
        directory = getattr(config, "compiledir", "") or "."
        outfile = os.path.join(directory, f"arignote.pydotprint.{format}")
    if not outfile.endswith("." + format):
        outfile += "." + format
    if scan_graphs:
        path, name = os.path.split(outfile)
        base, extension = name[:-len(format) - 1], "." + format
        for position, node in enumerate(topo):
            if type(node.op).__name__ == "Scan":
                inner = os.path.join(path, f"{base}_{node.op.name}_{position}{extension}")
                pydotprint(node.op.inner_graphs[0], inner, compact, format, with_ids,
                           high_contrast, None, colorCodes, max_label_size, scan_graphs,
                           var_with_name_simple, print_output_file)
    if return_image:
        return image
    with open(outfile, "wb") as handle:
        handle.write(image)
    if print_output_file:
        print("The output file is available at", outfile)
    return None


class GraphvizNotFound(RuntimeError):
    """pydotprint was asked for an image and the Graphviz ``dot`` program is not installed."""


def _render_dot(source, format):
    """Render DOT text to ``format`` with Graphviz: through the ``pydot`` or ``graphviz``
    package when one is installed, else by running the ``dot`` program (which both packages
    run themselves, so it is needed in every case)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFound(
            f"pydotprint(format={format!r}) needs Graphviz's 'dot' program, which is not on "
            f"PATH: install Graphviz (apt-get install graphviz, dnf install graphviz, "
            f"brew install graphviz or conda install graphviz); the pip packages pydot and "
            f"graphviz only call that program. format='dot' writes the DOT source without it.")
    try:
        import pydot
    except ImportError:
        pydot = None
    if pydot is not None:
        return pydot.graph_from_dot_data(source)[0].create(prog=program, format=format)
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        return graphviz.Source(source).pipe(format=format)
    result = subprocess.run([program, f"-T{format}"], input=source.encode(),
                            capture_output=True, check=False)
    if result.returncode:
        raise RuntimeError(f"dot -T{format} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


# ----------------------------------------------------------------------- Print op
def _print_fn(op, value):
    """Print each of ``op.attrs`` of ``value`` after ``op.message``."""
    for attr in op.attrs:
        item = getattr(value, attr)
        print(op.message, attr, "=", item() if callable(item) else item)


@dataclass(frozen=True)
class Print(Op):
    """Theano's ``Print(message)(x)``: ``x`` unchanged, printing it when it is computed.

    ``attrs`` names attributes of the array to print (``'__str__'``, ``'shape'``, ...);
    ``global_fn(op, value)`` does the printing.  The gradient passes through.

    >>> import numpy as np
    >>> import arignote as theano
    >>> import arignote.tensor as T
    >>> x = T.dvector('x')
    >>> f = theano.function([x], Print('x is', attrs=('__str__', 'shape'))(x) * 2)
    >>> f(np.array([1.0, 2.0]))
    x is __str__ = [1. 2.]
    x is shape = (2,)
    array([2., 4.])
    """

    message: str = ""
    attrs: tuple = ("__str__",)
    global_fn: object = _print_fn

    @property
    def view_map(self):
        return {0: [0]}

    def __post_init__(self):
        if isinstance(self.attrs, list):
            object.__setattr__(self, "attrs", tuple(self.attrs))

    def make_node(self, x):
        from .compiler.variable import as_tensor_variable
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node, inputs):
        (x,) = inputs
        self.global_fn(self, x)
        return [x]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, out_grads):
        return list(out_grads)

    def __str__(self):
        return f"Print{{{self.message}}}"


def source(function):
    """The C source generated for a compiled function (``f.source``).

    Returns None when the function runs on the numpy reference backend (mode
    'FAST_COMPILE', DebugMode, or no C compiler on the machine).

    >>> import arignote, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> f = arignote.function([x], T.exp(x) * 2)
    >>> 'exp(' in source(f) and 'Composite{exp,mul}' in source(f)
    True
    """
    return function.source
