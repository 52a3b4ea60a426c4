"""Showing graphs: ``debugprint`` (Theano's tree), ``pp`` (infix text), ``pydotprint`` (DOT),
and the ``Print`` op that prints a value as it is computed.

Every walk here uses an explicit stack, so graphs of any depth print at Python's default
recursion limit.

>>> import arignote.tensor as T
>>> x, y = T.dvectors('x', 'y')
>>> print(pp(x + T.exp(y)))
(x + exp(y))
"""

import io
import shutil
import subprocess
import sys
from dataclasses import dataclass

import numpy as np

from .compiler.graph import Apply, Constant, FunctionGraph, Variable
from .compiler.op import Op

__all__ = ["Print", "char_from_number", "debugprint", "pp", "pprint", "pydotprint", "source"]


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
    Elemwise{Add} [id A] ''
     |x [id B]
     |Elemwise{Exp} [id C] ''
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
                self._write(f"{prefix}{variable} {_id_string(variable, self.done, self.ids)}"
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
            self._write(f"{prefix}{op}{index} {label}{type_text} '{name}' {destroy} {view} "
                        f"{position}{data}")
            if getattr(op, "inner_graphs", None) and node not in self.inner_seen:
                self.inner_seen.add(node)
                self.inner_nodes.append(node)
            if already_printed or (self.stop_on_name and variable.name is not None):
                continue
            children = []
            last = len(node.inputs) - 1
            for position, child in enumerate(node.inputs):
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
# scalar op name -> (operator text, precedence, kind); kind: 'left', 'right', 'chain'
# (comparisons: always parenthesise operands) or 'unary'.  Python's precedences.
_OPERATORS = {
    "lt": ("<", 1, "chain"), "less": ("<", 1, "chain"),
    "gt": (">", 1, "chain"), "greater": (">", 1, "chain"),
    "le": ("<=", 1, "chain"), "lessequal": ("<=", 1, "chain"),
    "ge": (">=", 1, "chain"), "greaterequal": (">=", 1, "chain"),
    "eq": ("==", 1, "chain"), "neq": ("!=", 1, "chain"),
    "or": ("|", 2, "left"), "or_": ("|", 2, "left"),
    "xor": ("^", 3, "left"),
    "and": ("&", 4, "left"), "and_": ("&", 4, "left"),
    "add": ("+", 6, "left"), "sub": ("-", 6, "left"),
    "mul": ("*", 7, "left"), "truediv": ("/", 7, "left"),
    "intdiv": ("//", 7, "left"), "floordiv": ("//", 7, "left"), "mod": ("%", 7, "left"),
    "neg": ("-", 8, "unary"), "invert": ("~", 8, "unary"),
    "pow": ("**", 9, "right"),
}
_ATOM = 100


def _operator_of(node):
    """(text, precedence, kind) if ``node`` prints as an infix or prefix operator."""
    scalar_op = getattr(node.op, "scalar_op", None)
    if scalar_op is None or getattr(node.op, "inplace_pattern", ()):
        return None
    entry = _OPERATORS.get(type(scalar_op).__name__.lower())
    if entry is None or (entry[2] == "unary") != (len(node.inputs) == 1):
        return None
    return entry


def _hidden_dimshuffle(node):
    """For a DimShuffle: 'same' if it only adds broadcast dims, 'T' if it reverses, else None."""
    if type(node.op).__name__ != "DimShuffle":
        return None
    kept = [a for a in node.op.new_order if a != "x"]
    ndim = node.inputs[0].ndim
    if kept == list(range(ndim)):
        return "same"
    if kept == list(reversed(range(ndim))) and len(kept) == ndim:
        return "T"
    return None


def _precedence(variable):
    node = variable.owner
    if node is None:
        return _ATOM
    if _hidden_dimshuffle(node) == "same":
        return _precedence(_strip_dimshuffles(variable))
    entry = _operator_of(node)
    return _ATOM if entry is None else entry[1]


def _strip_dimshuffles(variable):
    while variable.owner is not None and _hidden_dimshuffle(variable.owner) == "same":
        variable = variable.owner.inputs[0]
    return variable


def _leaf_text(variable):
    if isinstance(variable, Constant):
        return str(variable)
    if variable.name is not None:
        return variable.name
    return f"<{variable.type}>"


def _function_name(node):
    scalar_op = getattr(node.op, "scalar_op", None)
    if scalar_op is not None and not getattr(scalar_op, "__dataclass_fields__", None):
        return scalar_op.name
    return str(scalar_op if scalar_op is not None else node.op)


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
            todo.append((next(pieces), False))
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
    """The infix text of one variable, built with an explicit stack of pieces."""
    pieces = []
    stack = [(variable, True)]
    while stack:
        entry = stack.pop()
        if isinstance(entry, str):
            pieces.append(entry)
            continue
        item, top = entry
        item = _strip_dimshuffles(item)
        node = item.owner
        if node is None:
            pieces.append(_leaf_text(item))
            continue
        todo = []
        if _is_indexing(node):
            child = node.inputs[0]
            wrap = _precedence(child) < _ATOM
            todo = ["("] * wrap + [child] + [")"] * wrap + _index_pieces(node)
        elif _hidden_dimshuffle(node) == "T":
            child = node.inputs[0]
            wrap = _precedence(child) < _ATOM
            todo = ["("] * wrap + [child] + [")"] * wrap + [".T"]
        else:
            entry = _operator_of(node)
            if entry is None:
                todo.append(_function_name(node) + "(")
                for position, child in enumerate(node.inputs):
                    if position:
                        todo.append(", ")
                    todo.append((child, False))
                todo.append(")")
                if len(node.outputs) > 1:
                    todo.append(f"[{item.index}]")
            else:
                text, precedence, kind = entry
                operands = []
                for position, child in enumerate(node.inputs):
                    child_precedence = _precedence(child)
                    if kind == "unary":
                        wrap = child_precedence < precedence
                    elif kind == "chain":
                        wrap = child_precedence <= precedence
                    elif kind == "right":
                        wrap = child_precedence < precedence or (
                            child_precedence == precedence and position == 0)
                    else:
                        wrap = child_precedence < precedence or (
                            child_precedence == precedence and position > 0)
                    operands.append(["("] * wrap + [(child, False)] + [")"] * wrap)
                if kind == "unary":
                    body = [text] + operands[0]
                else:
                    body = operands[0]
                    for operand in operands[1:]:
                        body = body + [f" {text} "] + operand
                todo = ["("] + body + [")"] if top else body
        stack.extend(reversed([t if isinstance(t, (str, tuple)) else (t, False)
                               for t in todo]))
    return "".join(pieces)


def pp(*variables):
    """A readable infix formula of a variable (or several, one per line).

    Operators (``+ - * / // % ** < & ...``) print infix, with the parentheses that Python's
    precedence needs (the whole formula is parenthesised when it is an operator expression,
    as Theano does); other ops print as function calls; broadcasting dimshuffles are hidden
    and a transposition prints as ``.T``.

    Examples
    --------
    >>> import arignote.tensor as T
    >>> x, y, z = T.dscalars('x', 'y', 'z')
    >>> pp(x + T.exp(y))
    '(x + exp(y))'
    >>> pp((x + y) * z - x / (y * z))
    '((x + y) * z - x / (y * z))'
    >>> pp(T.exp(-x) ** 2)
    '(exp(-x) ** 2)'
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
def _dot_quote(text, max_size):
    text = str(text)
    if max_size and len(text) > max_size:
        text = text[:max_size - 3] + "..."
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_source(outputs, inputs, order, compact, with_ids, max_label_size):
    """The DOT text of the graph of ``outputs`` (apply nodes as ellipses, data as boxes)."""
    from .compiler.graph import io_toposort
    lines = ["digraph G {", "  graph [bgcolor=white];"]
    names = {}

    def node_id(obj):
        if obj not in names:
            names[obj] = f"n{len(names)}"
        return names[obj]

    def data_label(variable):
        text = str(variable) if isinstance(variable, Constant) else (
            variable.name if variable.name is not None else str(variable.type))
        return f"{text} id={node_id(variable)}" if with_ids else text

    output_set = set(outputs)
    nodes = order if order is not None else io_toposort([], outputs)
    drawn = set()

    def draw_data(variable, color):
        if variable not in drawn:
            drawn.add(variable)
            lines.append(f"  {node_id(variable)} [label={_dot_quote(data_label(variable), max_label_size)}, "
                         f"shape=box, style=filled, fillcolor={color}];")

    for position, node in enumerate(nodes):
        label = str(node.op) + (f" id={position}" if with_ids else "")
        lines.append(f"  {node_id(node)} [label={_dot_quote(label, max_label_size)}, "
                     "shape=ellipse];")
        for index, variable in enumerate(node.inputs):
            edge = str(index) if len(node.inputs) > 1 else ""
            if variable.owner is None:
                color = "grey" if isinstance(variable, Constant) else "limegreen"
                draw_data(variable, color)
                source = node_id(variable)
            elif compact and variable.name is None and variable not in output_set:
                source = node_id(variable.owner)
                edge = (edge + " " + str(variable.type)).strip()
            else:
                draw_data(variable, "dodgerblue" if variable in output_set else "white")
                source = node_id(variable)
                if variable.owner is not None:
                    lines.append(f"  {node_id(variable.owner)} -> {source};")
            lines.append(f"  {source} -> {node_id(node)} [label={_dot_quote(edge, 0)}];")
    for variable in outputs:
        if variable not in drawn:
            draw_data(variable, "dodgerblue")
            if variable.owner is not None:
                lines.append(f"  {node_id(variable.owner)} -> {node_id(variable)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def pydotprint(fct, outfile=None, compact=True, format="png", with_ids=False,
               max_label_size=70, print_output_file=True, return_image=False):
    """Draw the graph of a variable, list of variables, FunctionGraph or compiled function.

    ``format='dot'`` writes the Graphviz source itself and needs nothing installed; other
    formats (png, svg, pdf, ...) are rendered with ``pydot`` or the Graphviz ``dot`` program.
    Apply nodes are ellipses; inputs green boxes, constants grey, outputs blue; with
    ``compact`` an unnamed intermediate variable is drawn as an edge label.

    Returns the image bytes when ``return_image`` is true, otherwise writes ``outfile``
    (default ``arignote.pydotprint.<format>`` in the current directory).

    >>> import arignote.tensor as T
    >>> x = T.dvector('x')
    >>> text = pydotprint(T.exp(x), format='dot', return_image=True).decode()
    >>> text.splitlines()[0], 'Elemwise{Exp}' in text
    ('digraph G {', True)
    """
    if isinstance(fct, FunctionGraph) or _is_function(fct):
        fgraph = fct if isinstance(fct, FunctionGraph) else fct.maker.fgraph
        outputs, inputs, order = list(fgraph.outputs), list(fgraph.inputs), fgraph.toposort()
    elif isinstance(fct, Variable):
        outputs, inputs, order = [fct], [], None
    elif isinstance(fct, (list, tuple)) and all(isinstance(v, Variable) for v in fct):
        outputs, inputs, order = list(fct), [], None
    else:
        raise TypeError(f"pydotprint cannot draw an object of type {type(fct).__name__}")
    source = _dot_source(outputs, inputs, order, compact, with_ids, max_label_size)
    if format == "dot":
        image = source.encode()
    else:
        image = _render_dot(source, format)
    if return_image:
        return image
    outfile = outfile or f"arignote.pydotprint.{format}"
    with open(outfile, "wb") as handle:
        handle.write(image)
    if print_output_file:
        print("The output file is available at", outfile)
    return None


def _render_dot(source, format):
    """Render DOT text to ``format`` with pydot, or with the ``dot`` program."""
    try:
        import pydot
    except ImportError:
        pydot = None
    if pydot is not None:
        return pydot.graph_from_dot_data(source)[0].create(format=format)
    program = shutil.which("dot")
    if program is None:
        raise RuntimeError(f"pydotprint(format={format!r}) needs Graphviz: install pydot or "
                           "the 'dot' program, or use format='dot' to write the source")
    result = subprocess.run([program, f"-T{format}"], input=source.encode(),
                            capture_output=True, check=False)
    if result.returncode:
        raise RuntimeError(f"dot failed: {result.stderr.decode(errors='replace')}")
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
