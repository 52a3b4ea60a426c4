"""Indexing: reads (``x[idx]``), writes (``set_subtensor``, ``inc_subtensor``), take, nonzero.

Basic indexing (integers, slices, ``None``, ``...``) is ``Subtensor``, a view of its input;
an integer vector on the first axis is ``AdvancedSubtensor1``; every other pattern with integer
or boolean arrays is ``AdvancedSubtensor``, with numpy's semantics.  Each read has a write
twin (``IncSubtensor``, ``AdvancedIncSubtensor1``, ``AdvancedIncSubtensor``) that sets or adds
into a copy of its input; advanced increments accumulate repeated indices (``np.add.at``).

An index pattern ``idx_list`` is a tuple with one entry per position of the numpy index:

- an ``int``: a constant integer index;
- ``"?"``: an integer scalar taken from the next extra input of the node;
- ``"A"``: an integer or boolean array, the next extra input (advanced ops only);
- ``None`` (a new axis) or ``Ellipsis``;
- a tuple ``(start, stop, step)`` for a slice, each part an ``int``, ``"?"`` or ``None``.

Constant scalars are folded into the pattern, so ``x[1:n]`` has the pattern ``((1, "?",
None),)`` and the node's inputs are ``[x, n]``.
"""

import numbers
from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from ..graph import Apply, Constant, Variable
from ..op import Op
from ..types import TensorType
from ..variable import as_tensor_variable, constant
from .elemwise import DimShuffle, dimshuffle, reduce_to_broadcastable

__all__ = ["getitem", "set_subtensor", "inc_subtensor", "take", "nonzero", "flatnonzero",
           "nonzero_values", "advanced_subtensor1", "advanced_inc_subtensor1",
           "advanced_set_subtensor1", "slice_length"]

SYM = "?"
ARRAY = "A"
FULL_SLICE = (None, None, None)


def _ops():
    from .. import ops
    return ops


# ----------------------------------------------------------------------- index patterns
def _is_slice(entry):
    return isinstance(entry, tuple)


def _is_sym(part):
    return isinstance(part, str) and part == SYM


def _numpy_index(idx_list, pieces):
    """The numpy index for ``idx_list`` with the values of the node's extra inputs."""
    pieces = iter(pieces)

    def value(part):
        return int(next(pieces)) if _is_sym(part) else part

    index = []
    for entry in idx_list:
        if _is_slice(entry):
            index.append(slice(*[value(part) for part in entry]))
        elif isinstance(entry, str) and entry == ARRAY:
            index.append(next(pieces))
        else:
            index.append(value(entry))
    return tuple(index)


def _pattern_text(idx_list):
    """``idx_list`` as the user wrote it: ``2, 1:?, ::-1, None``."""
    def part(p):
        return "" if p is None else str(p)

    shown = []
    for entry in idx_list:
        if _is_slice(entry):
            start, stop, step = entry
            text = f"{part(start)}:{part(stop)}"
            shown.append(text + (f":{part(step)}" if step is not None else ""))
        else:
            shown.append("..." if entry is Ellipsis else str(entry))
    return ", ".join(shown)


def _keeps_length_one(entry):
    """Whether the slice ``entry`` of a length-1 dimension surely leaves length 1."""
    if any(_is_sym(p) for p in entry):
        return False
    return len(range(1)[slice(*entry)]) == 1


def _check_pieces(idx_list, pieces, arrays_allowed):
    """Convert the node's extra inputs and check them against the pattern."""
    wanted = []
    for entry in idx_list:
        parts = entry if _is_slice(entry) else (entry,)
        wanted.extend(p for p in parts if isinstance(p, str))
    if len(wanted) != len(pieces):
        raise TypeError(f"index pattern [{_pattern_text(idx_list)}] takes {len(wanted)} "
                        f"index inputs, got {len(pieces)}")
    checked = []
    for kind, piece in zip(wanted, pieces):
        piece = as_tensor_variable(piece)
        if kind == ARRAY:
            if not arrays_allowed:
                raise TypeError("basic indexing takes no array indices")
            if piece.dtype not in dt.DISCRETE_DTYPES:
                raise TypeError(f"array indices must be integers or booleans, got {piece.type}")
        elif piece.ndim != 0 or piece.dtype not in dt.INTEGER_DTYPES:
            raise TypeError(f"index {piece} must be an integer scalar, got {piece.type}")
        checked.append(piece)
    return checked


def _output_broadcastable(idx_list, x, pieces):
    """The broadcast pattern of ``x[idx]`` (numpy's rules for where advanced indices go)."""
    pieces = iter(pieces)
    arrays = {}
    consumed = 0
    for position, entry in enumerate(idx_list):
        if _is_slice(entry):
            for part in entry:
                if _is_sym(part):
                    next(pieces)
            consumed += 1
        elif isinstance(entry, str) and entry == ARRAY:
            arrays[position] = next(pieces)
            consumed += arrays[position].ndim if arrays[position].dtype == "bool" else 1
        elif entry is not None and entry is not Ellipsis:
            if _is_sym(entry):
                next(pieces)
            consumed += 1
    if consumed > x.ndim:
        raise IndexError(f"too many indices for a {x.ndim}-d tensor: [{_pattern_text(idx_list)}]"
                         f" indexes {consumed} dimensions")
    if sum(entry is Ellipsis for entry in idx_list) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")

    # Advanced positions: arrays, and integers when there is an array (numpy's rule).
    advanced = [p for p, e in enumerate(idx_list) if p in arrays or (
        arrays and not _is_slice(e) and e is not None and e is not Ellipsis)]
    out, axis, block_at, block = [], 0, None, []
    for position, entry in enumerate(idx_list):
        if entry is None:
            out.append(True)
        elif entry is Ellipsis:
            skipped = x.ndim - consumed
            out.extend(x.broadcastable[axis:axis + skipped])
            axis += skipped
        elif _is_slice(entry):
            out.append(x.broadcastable[axis] and _keeps_length_one(entry))
            axis += 1
        else:
            if position in arrays and arrays[position].dtype == "bool":
                axis += arrays[position].ndim
            else:
                if not _is_sym(entry) and position not in arrays and x.broadcastable[axis] \
                        and entry not in (0, -1):
                    raise IndexError(f"index {entry} is out of bounds for dimension {axis} "
                                     f"of {x}, which is broadcastable (length 1)")
                axis += 1
            if position in advanced and block_at is None:
                block_at = len(out)
    out.extend(x.broadcastable[axis:])
    if arrays:
        patterns = [(False,) if v.dtype == "bool" else v.broadcastable for v in arrays.values()]
        ndim = max(len(p) for p in patterns)
        block = [all(p[len(p) - ndim + i] for p in patterns if len(p) - ndim + i >= 0)
                 for i in range(ndim)]
        if advanced != list(range(advanced[0], advanced[0] + len(advanced))):
            block_at = 0
        out[block_at:block_at] = block
    return tuple(out)


def _run_index(op, x, index, read):
    """``read(x, index)``, with numpy's index errors re-raised naming the pattern and shape."""
    try:
        return read(x, index)
    except IndexError as error:
        raise IndexError(f"{op}: {error} (indexing an array of shape {x.shape} with "
                         f"[{_pattern_text(op.idx_list)}])") from None


def _zeros_like(x):
    return _ops().zeros_like(x)


def _zero(dtype):
    return constant(0, dtype=dtype)


# ----------------------------------------------------------------------- basic indexing
@dataclass(frozen=True)
class Subtensor(Op):
    """Basic indexing ``x[2, 1:n, ::-1, None]``: its output is a view of ``x``."""

    idx_list: tuple
    view_map = {0: [0]}

    def make_node(self, x, *pieces):
        x = as_tensor_variable(x)
        pieces = _check_pieces(self.idx_list, pieces, arrays_allowed=False)
        broadcastable = _output_broadcastable(self.idx_list, x, pieces)
        return Apply(self, [x, *pieces], [TensorType(x.dtype, broadcastable).make_variable()])

    def perform(self, node, inputs):
        x, *pieces = inputs
        index = _numpy_index(self.idx_list, pieces)
        return [np.asarray(_run_index(self, x, index, lambda a, i: a[i]))]

    def infer_shape(self, node, input_shapes):
        return [_basic_shape(self.idx_list, node.inputs[0], input_shapes[0], node.inputs[1:])]

    def grad(self, inputs, out_grads):
        x, *pieces = inputs
        (gz,) = out_grads
        return [IncSubtensor(self.idx_list)(_zeros_like(x), gz, *pieces)] + [None] * len(pieces)

    def __str__(self):
        return f"Subtensor{{{_pattern_text(self.idx_list)}}}"


def _basic_shape(idx_list, x, x_shape, pieces):
    """Symbolic output shape of basic indexing."""
    pieces = iter(pieces)
    consumed = sum(1 for e in idx_list if e is not None and e is not Ellipsis)
    out, axis = [], 0
    for entry in idx_list:
        if entry is None:
            out.append(constant(1, dtype="int64"))
        elif entry is Ellipsis:
            skipped = x.ndim - consumed
            out.extend(x_shape[axis:axis + skipped])
            axis += skipped
        elif _is_slice(entry):
            parts = [next(pieces) if _is_sym(p) else p for p in entry]
            if all(p is None for p in parts):
                out.append(x_shape[axis])
            else:
                out.append(slice_length(x_shape[axis], *parts))
            axis += 1
        else:
            if _is_sym(entry):
                next(pieces)
            axis += 1
    out.extend(x_shape[axis:])
    return out


@dataclass(frozen=True)
class SliceLength(Op):
    """``len(range(n)[start:stop:step])``: the length of a sliced dimension (an int64 scalar)."""

    slice_spec: tuple

    def make_node(self, length, *pieces):
        length = as_tensor_variable(length)
        if length.ndim != 0 or length.dtype not in dt.INTEGER_DTYPES:
            raise TypeError(f"SliceLength takes an integer scalar length, got {length.type}")
        pieces = _check_pieces((self.slice_spec,), pieces, arrays_allowed=False)
        return Apply(self, [length, *pieces], [TensorType("int64", ()).make_variable()])

    def perform(self, node, inputs):
        length, *pieces = inputs
        (piece,) = _numpy_index((self.slice_spec,), pieces)
        return [np.asarray(len(range(int(length))[piece]), dtype="int64")]

    def infer_shape(self, node, input_shapes):
        return [[]]

    def grad(self, inputs, out_grads):
        return [None] * len(inputs)

    def __str__(self):
        return f"SliceLength{{{_pattern_text((self.slice_spec,))}}}"


def slice_length(length, start=None, stop=None, step=None):
    """The length of ``range(length)[start:stop:step]`` as an int64 scalar graph.

    >>> import arignote.tensor as T
    >>> n = T.lscalar('n')
    >>> int(slice_length(n, 1, None, 2).eval({n: 10}))
    5
    """
    spec, pieces = _slice_entry(slice(start, stop, step))
    folded = _constant_int(length)
    if folded is not None and not pieces:
        return constant(len(range(folded)[slice(*spec)]), dtype="int64")
    return SliceLength(spec)(length, *pieces)


@dataclass(frozen=True)
class IncSubtensor(Op):
    """``x`` with ``x[idx]`` set to (or incremented by) ``y``: Theano's ``IncSubtensor``."""

    idx_list: tuple
    set_instead_of_inc: bool = False
    inplace: bool = False

    @property
    def destroy_map(self):
        return {0: [0]} if self.inplace else {}

    def make_node(self, x, y, *pieces):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        pieces = _check_pieces(self.idx_list, pieces, arrays_allowed=False)
        _check_value_rank(x, y, _output_broadcastable(self.idx_list, x, pieces), self)
        y = _increment_value(x, y, self)
        return Apply(self, [x, y, *pieces], [x.type.make_variable()])

    def perform(self, node, inputs):
        x, y, *pieces = inputs
        out = x if self.inplace else x.copy()
        index = _numpy_index(self.idx_list, pieces)
        target = _run_index(self, out, index, lambda a, i: a[i])
        value = _fit_value(y, np.shape(target), node.inputs[1]).astype(out.dtype, copy=False)
        new = value if self.set_instead_of_inc else target + value
        _run_index(self, out, index, lambda a, i: a.__setitem__(i, new))
        return [out]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, out_grads):
        x, y, *pieces = inputs
        (g,) = out_grads
        gx = g
        if self.set_instead_of_inc:
            gx = IncSubtensor(self.idx_list, True)(g, _zero(g.dtype), *pieces)
        gy = reduce_to_broadcastable(Subtensor(self.idx_list)(g, *pieces), y)
        return [gx, gy] + [None] * len(pieces)

    def __str__(self):
        kind = "Set" if self.set_instead_of_inc else "Inc"
        inplace = ";inplace" if self.inplace else ""
        return f"{kind}Subtensor{{{_pattern_text(self.idx_list)}{inplace}}}"


def _increment_value(x, y, op):
    """``y`` ready to be added into ``x``: numpy refuses ``x[i] += y`` when ``y``'s dtype does
    not cast to ``x``'s under its same_kind rule (float into int, anything but bool into
    bool), and so does arignote; a constant whose value ``x``'s dtype holds exactly (the 1 of
    ``inc_subtensor(b[0], 1)``) is converted instead."""
    if op.set_instead_of_inc or np.can_cast(y.dtype, x.dtype, "same_kind"):
        return y
    if isinstance(y, Constant):
        data = np.asarray(y.data)
        converted = data.astype(x.dtype)
        if np.array_equal(converted, data):
            return constant(converted, dtype=x.dtype)
    raise TypeError(f"{op}: cannot add {y.dtype} values into the {x.dtype} tensor {x} "
                    f"(numpy's same_kind casting rule refuses {x.dtype} += {y.dtype}); cast "
                    f"the value to {x.dtype} explicitly, or use set_subtensor")


def _check_value_rank(x, y, target_broadcastable, op):
    if y.ndim > len(target_broadcastable):
        raise TypeError(f"{op}: cannot write a {y.ndim}-d value into {x}[...], a "
                        f"{len(target_broadcastable)}-d subtensor")


def _fit_value(value, shape, variable):
    """``value`` checked against the ``shape`` of the subtensor it is written into.

    Theano's rule: it broadcasts only along the dimensions its type declares broadcastable;
    every other dimension must match the subtensor's exactly.
    """
    value = np.asarray(value)
    offset = len(shape) - value.ndim
    fits = offset >= 0 and all(
        size == shape[offset + axis] or (flag and size == 1)
        for axis, (size, flag) in enumerate(zip(value.shape, variable.broadcastable)))
    if not fits:
        raise ValueError(f"cannot write a value of shape {value.shape} into a subtensor of "
                         f"shape {shape}" + (
                             f" (the value's broadcastable dimensions are "
                             f"{variable.broadcastable})" if any(variable.broadcastable) else ""))
    return value


# ----------------------------------------------------------------------- advanced indexing
def _check_vector_index(ilist):
    ilist = as_tensor_variable(ilist)
    if ilist.ndim != 1 or ilist.dtype not in dt.INTEGER_DTYPES:
        raise TypeError(f"index must be an integer vector, got {ilist.type}")
    return ilist


@dataclass(frozen=True)
class AdvancedSubtensor1(Op):
    """``x[ilist]``: rows of ``x`` picked by an integer vector (an embedding lookup)."""

    idx_list = (ARRAY,)

    def make_node(self, x, ilist):
        x, ilist = as_tensor_variable(x), _check_vector_index(ilist)
        if x.ndim == 0:
            raise TypeError("cannot index a 0-d tensor with a vector")
        broadcastable = ilist.broadcastable + x.broadcastable[1:]
        return Apply(self, [x, ilist], [TensorType(x.dtype, broadcastable).make_variable()])

    def perform(self, node, inputs):
        x, ilist = inputs
        return [_run_index(self, x, ilist, lambda a, i: np.take(a, i, axis=0))]

    def infer_shape(self, node, input_shapes):
        return [[input_shapes[1][0]] + list(input_shapes[0][1:])]

    def grad(self, inputs, out_grads):
        x, ilist = inputs
        return [AdvancedIncSubtensor1()(_zeros_like(x), out_grads[0], ilist), None]


@dataclass(frozen=True)
class AdvancedIncSubtensor1(Op):
    """``x`` with rows ``ilist`` set to (or incremented by, repeats adding up) ``y``."""

    set_instead_of_inc: bool = False
    inplace: bool = False
    idx_list = (ARRAY,)

    @property
    def destroy_map(self):
        return {0: [0]} if self.inplace else {}

    def make_node(self, x, y, ilist):
        x, y, ilist = as_tensor_variable(x), as_tensor_variable(y), _check_vector_index(ilist)
        if x.ndim == 0:
            raise TypeError("cannot index a 0-d tensor with a vector")
        _check_value_rank(x, y, x.broadcastable, self)
        y = _increment_value(x, y, self)
        return Apply(self, [x, y, ilist], [x.type.make_variable()])

    def perform(self, node, inputs):
        x, y, ilist = inputs
        out = x if self.inplace else x.copy()
        value = _fit_value(y, ilist.shape + x.shape[1:], node.inputs[1])
        value = value.astype(out.dtype, copy=False)
        if self.set_instead_of_inc:
            _run_index(self, out, ilist, lambda a, i: a.__setitem__(i, value))
        else:
            _run_index(self, out, ilist, lambda a, i: np.add.at(a, i, value))
        return [out]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, out_grads):
        x, y, ilist = inputs
        (g,) = out_grads
        gx = g
        if self.set_instead_of_inc:
            gx = AdvancedIncSubtensor1(True)(g, _zero(g.dtype), ilist)
        return [gx, reduce_to_broadcastable(AdvancedSubtensor1()(g, ilist), y), None]

    def __str__(self):
        return f"Advanced{'Set' if self.set_instead_of_inc else 'Inc'}Subtensor1" + (
            "{inplace}" if self.inplace else "")


@dataclass(frozen=True)
class AdvancedSubtensor(Op):
    """Indexing with integer or boolean arrays mixed with integers and slices (numpy's rules)."""

    idx_list: tuple

    def make_node(self, x, *pieces):
        x = as_tensor_variable(x)
        pieces = _check_pieces(self.idx_list, pieces, arrays_allowed=True)
        broadcastable = _output_broadcastable(self.idx_list, x, pieces)
        return Apply(self, [x, *pieces], [TensorType(x.dtype, broadcastable).make_variable()])

    def perform(self, node, inputs):
        x, *pieces = inputs
        index = _numpy_index(self.idx_list, pieces)
        return [np.asarray(_run_index(self, x, index, lambda a, i: a[i]))]

    def grad(self, inputs, out_grads):
        x, *pieces = inputs
        (gz,) = out_grads
        grad_x = AdvancedIncSubtensor(self.idx_list)(_zeros_like(x), gz, *pieces)
        return [grad_x] + [None] * len(pieces)

    def __str__(self):
        return f"AdvancedSubtensor{{{_pattern_text(self.idx_list)}}}"


@dataclass(frozen=True)
class AdvancedIncSubtensor(Op):
    """``x`` with ``x[idx]`` (advanced) set to or incremented by ``y``; repeats add up."""

    idx_list: tuple
    set_instead_of_inc: bool = False
    inplace: bool = False

    @property
    def destroy_map(self):
        return {0: [0]} if self.inplace else {}

    def make_node(self, x, y, *pieces):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        pieces = _check_pieces(self.idx_list, pieces, arrays_allowed=True)
        _check_value_rank(x, y, _output_broadcastable(self.idx_list, x, pieces), self)
        y = _increment_value(x, y, self)
        return Apply(self, [x, y, *pieces], [x.type.make_variable()])

    def perform(self, node, inputs):
        x, y, *pieces = inputs
        out = x if self.inplace else x.copy()
        index = _numpy_index(self.idx_list, pieces)
        target = _run_index(self, out, index, lambda a, i: a[i])
        value = _fit_value(y, target.shape, node.inputs[1]).astype(out.dtype, copy=False)
        if self.set_instead_of_inc:
            out[index] = value
        else:
            # ufunc.at takes integer arrays; a boolean mask becomes the arrays of its nonzeros.
            expanded = []
            for part in index:
                is_mask = isinstance(part, np.ndarray) and part.dtype == bool
                expanded.extend(np.nonzero(part) if is_mask else [part])
            np.add.at(out, tuple(expanded), value)
        return [out]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, out_grads):
        x, y, *pieces = inputs
        (g,) = out_grads
        gx = g
        if self.set_instead_of_inc:
            gx = AdvancedIncSubtensor(self.idx_list, True)(g, _zero(g.dtype), *pieces)
        gy = reduce_to_broadcastable(AdvancedSubtensor(self.idx_list)(g, *pieces), y)
        return [gx, gy] + [None] * len(pieces)

    def __str__(self):
        kind = "Set" if self.set_instead_of_inc else "Inc"
        inplace = ";inplace" if self.inplace else ""
        return f"Advanced{kind}Subtensor{{{_pattern_text(self.idx_list)}{inplace}}}"


# ----------------------------------------------------------------------- x[index]
def _constant_int(value):
    """The Python int of a constant integer scalar (Python, numpy or graph), else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    if isinstance(value, Constant) and getattr(value, "ndim", None) == 0 and \
            value.dtype in dt.INTEGER_DTYPES:
        return int(value.data)
    return None


def _scalar_entry(value, what):
    """A pattern entry and its extra inputs for an integer scalar index or slice bound."""
    if value is None:
        return None, []
    folded = _constant_int(value)
    if folded is not None:
        return folded, []
    if isinstance(value, Variable) and value.ndim == 0 and value.dtype in dt.INTEGER_DTYPES:
        return SYM, [value]
    raise TypeError(f"{what} must be an integer (a Python int or an integer scalar variable), "
                    f"got {value!r}" + (f" of type {value.type}" if isinstance(value, Variable)
                                        else ""))


def _slice_entry(value):
    parts, pieces = [], []
    for part in (value.start, value.stop, value.step):
        entry, extra = _scalar_entry(part, "a slice bound")
        parts.append(entry)
        pieces.extend(extra)
    return tuple(parts), pieces


def _index_entry(value):
    """One position of a user's index as (pattern entry, extra inputs)."""
    if value is None or value is Ellipsis:
        return value, []
    if isinstance(value, slice):
        return _slice_entry(value)
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("a bare boolean index is not supported; index with a boolean array "
                        "(a mask) instead")
    if _constant_int(value) is not None:
        return _constant_int(value), []
    if not isinstance(value, Variable):
        array = np.asarray(value)
        if array.size == 0 and array.dtype.kind == "f":
            array = array.astype("int64")
        value = constant(array)
    value = as_tensor_variable(value)
    if value.dtype not in dt.DISCRETE_DTYPES:
        raise TypeError(f"indices must be integers or booleans, got {value.type} ({value}); "
                        f"cast float indices with T.cast(i, 'int64')")
    if value.ndim == 0:
        if value.dtype == "bool":
            raise TypeError("a 0-d boolean index is not supported; index with a boolean array")
        return SYM, [value]
    return ARRAY, [value]


def getitem(x, index):
    """``x[index]`` with numpy's semantics (basic and advanced indexing).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dmatrix('x')
    >>> x[1:, ::-1].eval({x: np.arange(6.).reshape(2, 3)})
    array([[5., 4., 3.]])
    >>> x[[0, 1], [2, 0]].eval({x: np.arange(6.).reshape(2, 3)})
    array([2., 3.])
    """
    x = as_tensor_variable(x)
    if not isinstance(index, tuple):
        index = (index,)
    idx_list, pieces = [], []
    for value in index:
        entry, extra = _index_entry(value)
        idx_list.append(entry)
        pieces.extend(extra)
    idx_list = tuple(idx_list)
    _output_broadcastable(idx_list, x, pieces)
    arrays = [p for p in pieces if p.ndim > 0]
    if not arrays:
        return Subtensor(idx_list)(x, *pieces)
    if idx_list[0] == ARRAY and pieces[0].dtype != "bool" and pieces[0].ndim == 1 and all(
            entry == FULL_SLICE or entry is Ellipsis for entry in idx_list[1:]):
        return AdvancedSubtensor1()(x, pieces[0])
    return AdvancedSubtensor(idx_list)(x, *pieces)


# ----------------------------------------------------------------------- set / inc
def inc_subtensor(x, y, inplace=False, set_instead_of_inc=False,
                  tolerate_inplace_aliasing=False):
    """The whole tensor indexed by ``x`` with ``x`` incremented by ``y`` (Theano's API).

    ``x`` is the indexed graph itself (``inc_subtensor(a[idx], y)``); the result has the shape
    of ``a``.  With advanced indices, repeated positions add up (like ``np.add.at``).
    ``inplace`` and ``tolerate_inplace_aliasing`` are accepted for compatibility: in-place
    updates are chosen by the rewrites, as in Theano.

    >>> import numpy as np, arignote.tensor as T
    >>> a = T.dvector('a')
    >>> inc_subtensor(a[[0, 0, 2]], 1.0).eval({a: np.zeros(3)})
    array([2., 0., 1.])
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    node = x.owner
    kind = "set_subtensor" if set_instead_of_inc else "inc_subtensor"
    if node is None or not isinstance(node.op, (Subtensor, AdvancedSubtensor1,
                                                AdvancedSubtensor, DimShuffle)):
        raise TypeError(f"{kind}: the first argument must be an indexed tensor such as "
                        f"a[idx], got {x}")
    if y.ndim > x.ndim:
        raise TypeError(f"{kind}: cannot write a {y.ndim}-d value into {x}, which has "
                        f"{x.ndim} dimensions")
    op = node.op
    if isinstance(op, Subtensor):
        return IncSubtensor(op.idx_list, set_instead_of_inc)(node.inputs[0], y, *node.inputs[1:])
    if isinstance(op, AdvancedSubtensor1):
        return AdvancedIncSubtensor1(set_instead_of_inc)(node.inputs[0], y, node.inputs[1])
    if isinstance(op, AdvancedSubtensor):
        return AdvancedIncSubtensor(op.idx_list, set_instead_of_inc)(
            node.inputs[0], y, *node.inputs[1:])
    # A dimshuffled subtensor: write y, shuffled back, into the subtensor underneath.
    if y.ndim < x.ndim:
        y = dimshuffle(y, ["x"] * (x.ndim - y.ndim) + list(range(y.ndim)))
    for position, axis in enumerate(op.new_order):
        if axis == "x" and not y.broadcastable[position]:
            y = _ops().addbroadcast(y, position)
    order = [op.new_order.index(axis) if axis in op.new_order else "x"
             for axis in range(node.inputs[0].ndim)]
    return inc_subtensor(node.inputs[0], dimshuffle(y, order), inplace, set_instead_of_inc)


def set_subtensor(x, y, inplace=False, tolerate_inplace_aliasing=False):
    """The whole tensor indexed by ``x`` with ``x`` replaced by ``y`` (Theano's API).

    >>> import numpy as np, arignote.tensor as T
    >>> a = T.dmatrix('a')
    >>> set_subtensor(a[0, 1:], 5.0).eval({a: np.zeros((2, 3))})
    array([[0., 5., 5.],
           [0., 0., 0.]])
    """
    return inc_subtensor(x, y, inplace, set_instead_of_inc=True)


def advanced_subtensor1(x, ilist):
    """``x[ilist]`` for an integer vector ``ilist`` (rows of ``x``)."""
    return AdvancedSubtensor1()(x, ilist)


def advanced_inc_subtensor1(x, y, ilist):
    """``x`` with rows ``ilist`` incremented by ``y`` (repeated rows add up)."""
    return AdvancedIncSubtensor1()(x, y, ilist)


def advanced_set_subtensor1(x, y, ilist):
    """``x`` with rows ``ilist`` set to ``y``."""
    return AdvancedIncSubtensor1(True)(x, y, ilist)


def take(a, indices, axis=None, mode="raise"):
    """Elements of ``a`` at ``indices`` along ``axis`` (``numpy.take``).

    ``axis=None`` indexes the flattened array; ``mode`` is 'raise' (out-of-range indices
    raise IndexError), 'wrap' or 'clip'.

    >>> import numpy as np, arignote.tensor as T
    >>> a = T.dmatrix('a')
    >>> take(a, [2, 0], axis=1).eval({a: np.arange(6.).reshape(2, 3)})
    array([[2., 0.],
           [5., 3.]])
    """
    a = as_tensor_variable(a)
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if axis is None:
        a, axis = _ops().flatten(a, 1), 0
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"take: axis {axis} is out of range for a {a.ndim}-d tensor")
    axis %= a.ndim
    entry, extra = _index_entry(indices)
    indices = extra[0] if extra else constant(entry, dtype="int64")
    if mode != "raise":
        length = _ops().shape_i(a, axis)
        if mode == "wrap":
            indices = _ops().mod(indices, length)
        else:
            indices = _ops().clip(indices, 0, length - 1)
    return getitem(a, (slice(None),) * axis + (indices,))


# ----------------------------------------------------------------------- nonzero
@dataclass(frozen=True)
class Nonzero(Op):
    """The indices of the nonzero elements of ``a``: an int64 matrix of shape (ndim, count)."""

    def make_node(self, a):
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise TypeError("nonzero needs a tensor with at least one dimension")
        return Apply(self, [a], [TensorType("int64", (a.ndim == 1, False)).make_variable()])

    def perform(self, node, inputs):
        return [np.asarray(np.nonzero(inputs[0]), dtype="int64").reshape(inputs[0].ndim, -1)]

    def grad(self, inputs, out_grads):
        return [None]


def nonzero(a, return_matrix=False):
    """The indices of the nonzero elements of ``a``: a tuple of int64 vectors, one per axis.

    ``return_matrix=True`` gives them as one (ndim, count) matrix instead.

    >>> import numpy as np, arignote.tensor as T
    >>> a = T.dmatrix('a')
    >>> [v.eval({a: np.array([[0., 1.], [2., 0.]])}) for v in nonzero(a)]
    [array([0, 1]), array([1, 0])]
    """
    a = as_tensor_variable(a)
    matrix = Nonzero()(a)
    if return_matrix:
        return matrix
    return tuple(matrix[axis] for axis in range(a.ndim))


def flatnonzero(a):
    """The indices of the nonzero elements of ``a`` flattened (``numpy.flatnonzero``)."""
    a = as_tensor_variable(a)
    if a.ndim == 0:
        raise TypeError("flatnonzero needs a tensor with at least one dimension")
    return Nonzero()(_ops().flatten(a, 1))[0]


def nonzero_values(a):
    """The nonzero elements of ``a``, flattened (``a.flatten()[flatnonzero(a)]``)."""
    a = as_tensor_variable(a)
    return AdvancedSubtensor1()(_ops().flatten(a, 1), flatnonzero(a))
