"""The rule sets: canonicalize (algebraic identities, constants, shapes, allocations) and
stabilize (numerics).

Each entry reads ``pattern -> replacement``; see engine.py for the pattern language.  A
replacement computes in the dtype of the node it replaces (builders cast their operands to
it first, so ``int8_x ** 2.0`` squares in float, not in wrapping int8), and the engine fits
its type to the replaced variable.

Rewrites that change rounding are allowed only where the result is exact: constants are
merged into ``(x * c1) * c2 -> x * (c1 * c2)`` when one of them is a power of two (scaling
by a power of two is exact in binary floating point, barring overflow and subnormals), and
integer constants always (integer arithmetic wraps around, so it is associative).
Rewrites that remove a NaN (``x - x -> 0``, ``x / x -> 1``) or an overflow (stabilization)
follow Theano.
"""

import importlib

import numpy as np

from .. import dtypes as dt
from .. import ops as O
from ..graph import Constant
from ..ops import scalar as S
from ..ops.blas import Dot
from ..ops.elemwise import DimShuffle, Elemwise
from ..variable import constant
from .engine import ANY, HALF, MINUS_ONE, ONE, TWO, ZERO, NodeRule, Rule, RuleSet, scalar_constant
from .merge import fold_node

nnet = importlib.import_module("arignote.compiler.ops.nnet")
reduce = importlib.import_module("arignote.compiler.ops.reduce")
SH = importlib.import_module("arignote.compiler.ops.shape")
ST = importlib.import_module("arignote.compiler.ops.subtensor")

# How many ``infer_shape`` steps ``length_key`` follows before it gives up proving.
_SHAPE_DEPTH = 16


def _float(x):
    return not dt.is_discrete(x.dtype)


def _out_dtype(node):
    return node.outputs[0].dtype


def _as_out(x, node):
    """``x`` cast to the dtype of ``node``'s output (where the replaced node computed)."""
    return O.cast(x, _out_dtype(node))


def _constant_like(value, node):
    """A scalar constant ``value`` in the dtype of ``node``'s output."""
    return constant(np.asarray(value, dtype=_out_dtype(node)))


# ----------------------------------------------------------------------- shapes
def length_key(variable, axis, depth=0):
    """A hashable key of the length of ``variable`` along ``axis``; two lengths with equal
    keys are equal at run time (when the graph runs without error).

    Lengths are followed through element-wise ops and dimshuffles and, ``_SHAPE_DEPTH`` steps
    deep, through other ops' ``infer_shape``; what cannot be followed is keyed by itself.
    """
    while True:
        if variable.broadcastable[axis]:
            return ("const", 1)
        if isinstance(variable, Constant):
            return ("const", int(np.shape(variable.data)[axis]))
        node = variable.owner
        if node is None:
            return ("length", id(variable), axis)
        if isinstance(node.op, Elemwise):
            variable = next(v for v in node.inputs if not v.broadcastable[axis])
            continue
        if isinstance(node.op, DimShuffle):
            variable, axis = node.inputs[0], node.op.new_order[axis]
            continue
        break
    shapes = infer_shape(node) if depth < _SHAPE_DEPTH else None
    if shapes is None or shapes[variable.index] is None:
        return ("length", id(variable), axis)
    return expression_key(shapes[variable.index][axis], depth + 1)


def expression_key(expression, depth=0):
    """A hashable key of an integer scalar graph (a length): equal keys, equal values."""
    value = scalar_constant(expression) if hasattr(expression, "owner") else None
    if value is not None:
        return ("const", int(value))
    if not hasattr(expression, "owner"):
        return ("const", int(expression))
    node = expression.owner
    if node is None or depth >= _SHAPE_DEPTH:
        return ("value", id(expression))
    if isinstance(node.op, SH.ShapeI):
        return length_key(node.inputs[0], node.op.i, depth)
    if isinstance(node.op, ST.Subtensor) and _constant_index(node) is not None:
        vector = node.inputs[0]
        if vector.owner is not None and isinstance(vector.owner.op, SH.Shape):
            shaped = vector.owner.inputs[0]
            index = _constant_index(node)
            if -shaped.ndim <= index < shaped.ndim:
                return length_key(shaped, index % shaped.ndim, depth)
    if isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, S.Cast) and \
            dt.is_discrete(node.inputs[0].dtype) and \
            dt.upcast(node.inputs[0].dtype, expression.dtype) == expression.dtype:
        return expression_key(node.inputs[0], depth)  # a widening cast keeps the value
    return (node.op, expression.index,
            tuple(expression_key(v, depth + 1) for v in node.inputs))


def infer_shape(node):
    """The output shapes of ``node`` as graphs of its inputs' lengths, or None.

    Uses the op's ``infer_shape``; advanced indexing by integer vectors alone, whose op has
    none, gives a vector as long as the index vectors.
    """
    if hasattr(node.op, "infer_shape"):
        try:
            return node.op.infer_shape(node, _symbolic_shapes(node))
        except Exception:  # noqa: BLE001 (an op that cannot say proves nothing)
            return None
    if isinstance(node.op, ST.AdvancedSubtensor):
        x, *pieces = node.inputs
        if len(node.op.idx_list) == x.ndim and all(e == ST.ARRAY for e in node.op.idx_list) \
                and all(p.ndim == 1 and p.dtype != "bool" for p in pieces):
            lengths = [p for p in pieces if not p.broadcastable[0]]
            return [[SH.shape_i(lengths[0], 0) if lengths else constant(1, dtype="int64")]]
    return None


def _symbolic_shapes(node):
    """Input shapes of ``node`` as ``infer_shape`` wants them (lists of int64 scalars)."""
    return [[SH.shape_i(v, k) for k in range(v.ndim)] if hasattr(v.type, "ndim") else None
            for v in node.inputs]


def _depends_on(variables, target, limit=1000):
    """Whether the shape graph of ``variables`` uses the value of ``target`` (lengths of
    other variables are not followed further; a graph larger than ``limit`` counts as yes).
    """
    stack, seen = list(variables), set()
    while stack:
        variable = stack.pop()
        if variable is target:
            return True
        if variable in seen or variable.owner is None:
            continue
        seen.add(variable)
        if len(seen) > limit:
            return True
        if isinstance(variable.owner.op, (SH.Shape, SH.ShapeI)):
            continue
        stack.extend(variable.owner.inputs)
    return False


def _shape_of_computed(x, node):
    """``x.shape`` from the shapes of ``x``'s inputs, so ``x`` need not be computed."""
    producer = x.owner
    shapes = None if producer is None else infer_shape(producer)
    if shapes is None:
        return None
    shape = shapes[x.index]
    if shape is None:
        return None
    if isinstance(node.op, SH.ShapeI):
        shape = [shape[node.op.i]]
    if not shape or _depends_on(shape, x):
        return None  # an infer_shape that needs the value itself lifts nothing
    shape = [O.cast(s, "int64") for s in shape]
    if isinstance(node.op, SH.ShapeI):
        return shape[0]
    return SH.make_vector(*shape, dtype="int64")


def _constant_index(node):
    """The index of a ``Subtensor`` taking one element by a constant int, else None."""
    entries = node.op.idx_list
    if len(entries) == 1 and isinstance(entries[0], (int, np.integer)) and not isinstance(
            entries[0], bool) and len(node.inputs) == 1:
        return int(entries[0])
    return None


def _index_of_shape(x, node):
    """x.shape[i] -> shape_i(x, i)."""
    index = _constant_index(node)
    if index is None or not -x.ndim <= index < x.ndim:
        return None
    return SH.shape_i(x, index % x.ndim)


def _index_of_vector(fgraph, node):
    """make_vector(a, b, ...)[i] -> the i-th element."""
    vector = node.inputs[0]
    index = _constant_index(node)
    if index is None or vector.owner is None or not isinstance(vector.owner.op,
                                                               SH.MakeVector):
        return None
    elements = vector.owner.inputs
    if not -len(elements) <= index < len(elements):
        return None
    return {node.outputs[0]: elements[index]}


def _merge_dimshuffles(x, node):
    inner = node.inputs[0].owner.op
    outer = node.op
    order = tuple("x" if a == "x" else inner.new_order[a] for a in outer.new_order)
    return O.dimshuffle(x, order)


def _drop_identity_dimshuffle(x, node):
    return x if node.op.new_order == tuple(range(x.ndim)) else None


def _transpose_of_dot(fgraph, node):
    """dot(a, b).T -> dot(b.T, a.T) for matrices, when the product has no other use: the
    product is then in the layout its consumer wants (``W - lr * dot(a, b).T`` is a gemm)."""
    product = node.inputs[0]
    if node.op.new_order != (1, 0) or product.owner is None \
            or not isinstance(product.owner.op, Dot) or not _single_client(fgraph, product):
        return None
    a, b = product.owner.inputs
    if a.ndim != 2 or b.ndim != 2:
        return None
    return {node.outputs[0]: O.dot(O.transpose(b), O.transpose(a))}


def _bool_mask_to_indices(fgraph, node):
    """x[mask] (or an increment of it) -> x[nonzero(mask)]: integer indices, which have C
    code.  Only when the mask's shape provably equals the axes it indexes (as in
    ``x[x > 0]``): a mismatched mask must keep raising numpy's IndexError."""
    first = 1 if isinstance(node.op, ST.AdvancedSubtensor) else 2
    x, pieces = node.inputs[0], list(node.inputs[first:])
    entries, axis, position = [], 0, 0
    new_pieces, changed = [], False
    for entry in node.op.idx_list:
        if entry == ST.ARRAY:
            piece = pieces[position]
            position += 1
            if piece.dtype == "bool" and piece.ndim > 0:
                if any(length_key(piece, d) != length_key(x, axis + d)
                       for d in range(piece.ndim)):
                    return None
                rows = O.nonzero(piece, return_matrix=True)
                entries += [ST.ARRAY] * piece.ndim
                new_pieces += [rows[d] for d in range(piece.ndim)]
                axis += piece.ndim
                changed = True
                continue
            entries.append(entry)
            new_pieces.append(piece)
            axis += 1
        elif entry == (None, None, None):
            entries.append(entry)
            axis += 1
        else:
            return None     # symbolic scalars or bounds: the pieces are not one per entry
    if not changed:
        return None
    op = type(node.op)(**{**node.op.__dict__, "idx_list": tuple(entries)})
    return {node.outputs[0]: op(*node.inputs[:first], *new_pieces)}


def _reshape_of_reshape(x, shape, node):
    return O.reshape(x, shape, ndim=node.outputs[0].ndim)


# ----------------------------------------------------------------------- allocations
def _alloc_source(variable):
    """``(alloc_node, order)`` when ``variable`` is an Alloc output, dimshuffled by ``order``
    (None: not dimshuffled); else None."""
    node = variable.owner
    if node is None:
        return None
    if isinstance(node.op, SH.Alloc):
        return node, None
    if isinstance(node.op, DimShuffle):
        inner = node.inputs[0].owner
        if inner is not None and isinstance(inner.op, SH.Alloc):
            return inner, node.op.new_order
    return None


def _without_alloc(variable):
    """``(replacement, lengths)``: the value of the Alloc behind ``variable`` padded and
    dimshuffled to ``variable``'s rank, and the lengths the Alloc gave each axis."""
    found = _alloc_source(variable)
    if found is None:
        return None
    alloc, order = found
    value, shape = alloc.inputs[0], alloc.inputs[1:]
    padded = O.dimshuffle(value, ["x"] * (len(shape) - value.ndim) + list(range(value.ndim)))
    if order is None:
        return padded, list(shape)
    dropped = [a for a in range(padded.ndim) if a not in order]
    if any(not padded.broadcastable[a] for a in dropped):
        return None
    return O.dimshuffle(padded, order), [None if a == "x" else shape[a] for a in order]


def _alloc_into_elemwise(fgraph, node):
    """An Alloc input of an element-wise op is replaced by its (broadcast) value where the
    other inputs already give the output its shape (Theano's local_alloc_elemwise): the
    gradient of ``mean`` allocates the scalar ``gz / n`` to a vector only to multiply it."""
    inputs = list(node.inputs)
    changed = False
    for position, variable in enumerate(inputs):
        found = _without_alloc(variable)
        if found is None:
            continue
        replacement, lengths = found
        others = inputs[:position] + inputs[position + 1:] + [replacement]
        proven = True
        for axis, length in enumerate(lengths):
            if variable.broadcastable[axis]:
                continue
            wanted = expression_key(length)
            if not any(not v.broadcastable[axis] and length_key(v, axis) == wanted
                       for v in others):
                proven = False
                break
        if proven:
            inputs[position] = replacement
            changed = True
    if not changed:
        return None
    outputs = node.op.make_node(*inputs).outputs
    return dict(zip(node.outputs, outputs))


def _elemwise_into_alloc(fgraph, node):
    """f(Alloc(v, *shape), s, ...) -> Alloc(f(v, s, ...), *shape) when the other inputs are
    broadcastable everywhere (Theano's local_alloc_unary): f runs on the value only, and the
    Alloc can then meet an input that gives its shape (``alloc_into_elemwise``)."""
    allocs = [v for v in node.inputs if v.owner is not None and isinstance(v.owner.op,
                                                                            SH.Alloc)]
    if len(allocs) != 1 or len(node.outputs) != 1:
        return None
    if any(not all(v.broadcastable) for v in node.inputs if v is not allocs[0]):
        return None
    alloc = allocs[0].owner
    value, shape = alloc.inputs[0], alloc.inputs[1:]
    padded = O.dimshuffle(value, ["x"] * (len(shape) - value.ndim) + list(range(value.ndim)))
    inner = node.op.make_node(*[padded if v is allocs[0] else v for v in node.inputs])
    return {node.outputs[0]: SH.alloc(inner.outputs[0], *shape)}


def _useless_alloc(fgraph, node):
    """Alloc(x, *x.shape) -> x."""
    value, shape = node.inputs[0], node.inputs[1:]
    if value.ndim != len(shape):
        return None
    out = node.outputs[0]
    for axis, length in enumerate(shape):
        if value.broadcastable[axis]:
            if not out.broadcastable[axis]:
                return None
        elif length_key(value, axis) != expression_key(length):
            return None
    return {node.outputs[0]: value}


def _increment_covering_zeros(fgraph, node):
    """inc_subtensor(zeros[:, 0, :], y) -> y with the indexed axis put back, when the index
    takes every element (full slices, and an integer on axes of length 1) and ``y`` has the
    region's shape: the zeros are all overwritten (the gradient of ``x[:, 0]``)."""
    x, y, *pieces = node.inputs
    if pieces or x.owner is None or not isinstance(x.owner.op, SH.Alloc):
        return None
    zero = scalar_constant(x.owner.inputs[0])
    if zero is None or float(zero) != 0:
        return None
    order, y_axis = [], 0
    for axis, entry in enumerate(node.op.idx_list + ((None, None, None),) * (
            x.ndim - len(node.op.idx_list))):
        if entry == (None, None, None):
            if y_axis >= y.ndim or y.broadcastable[y_axis] != x.broadcastable[axis] or \
                    length_key(y, y_axis) != length_key(x, axis):
                return None
            order.append(y_axis)
            y_axis += 1
        elif isinstance(entry, int) and not isinstance(entry, bool) and entry in (0, -1) \
                and x.broadcastable[axis]:
            order.append("x")
        else:
            return None
    if y_axis != y.ndim:
        return None
    value = O.dimshuffle(y, tuple(order))
    if value.dtype != x.dtype:
        value = O.cast(value, x.dtype)
    return {node.outputs[0]: value} if value.type == node.outputs[0].type else None


# ----------------------------------------------------------------------- arithmetic
def _power_of_two(value):
    """Whether the 0-d float array ``value`` is +-2**k (multiplying by it is exact)."""
    number = float(value)
    if number == 0 or not np.isfinite(number):
        return False
    mantissa, _ = np.frexp(abs(number))
    return mantissa == 0.5


def _merge_scalings(x, c1, c2, node):
    """(x * c1) * c2 -> x * (c1 * c2) where that is exact."""
    return _merge_constants(x, c1, c2, node, np.multiply, O.mul)


def _merge_offsets(x, c1, c2, node):
    """(x + c1) + c2 -> x + (c1 + c2) for integers (exact: integer addition wraps around)."""
    return _merge_constants(x, c1, c2, node, np.add, O.add)


def _merge_constants(x, c1, c2, node, combine, apply):
    dtype = _out_dtype(node)
    inner = node.inputs[0] if node.inputs[1] is c2 else node.inputs[1]
    first, second = scalar_constant(c1), scalar_constant(c2)
    if first is None or second is None or scalar_constant(x) is not None:
        return None
    if inner.dtype != dtype or dtype == "bool" or not (_float(inner) or dt.is_discrete(dtype)):
        return None
    first, second = first.astype(dtype), second.astype(dtype)
    if dt.is_float(dtype) and (combine is not np.multiply or not (
            _power_of_two(first) or _power_of_two(second))):
        return None
    with np.errstate(all="ignore"):
        merged = np.asarray(combine(first, second), dtype=dtype)
    if not np.isfinite(merged) or (dt.is_float(dtype) and merged != 0 and abs(merged) < np.finfo(
            dtype).tiny):
        return None
    return apply(_as_out(x, node), constant(merged))


def _neg_of_scaled(x, c, node):
    """-(x * c) -> x * (-c) for a constant ``c`` (negation is exact)."""
    value = scalar_constant(c)
    if value is None or _out_dtype(node) == "bool" or node.inputs[0].dtype != _out_dtype(node):
        return None
    return O.mul(_as_out(x, node), _constant_like(-value.astype(_out_dtype(node)), node))


def _div_by_power_of_two(x, c, node):
    """x / 2**k -> x * 2**-k (exact)."""
    value = scalar_constant(c)
    if value is None or not dt.is_float(_out_dtype(node)):
        return None
    value = value.astype(_out_dtype(node))
    if not _power_of_two(value):
        return None
    inverse = np.asarray(1, dtype=value.dtype) / value
    if not np.isfinite(inverse) or not _power_of_two(inverse):
        return None
    return O.mul(_as_out(x, node), _constant_like(inverse, node))


def _lossless(source, target):
    """Whether every value of dtype ``source`` is exactly a value of dtype ``target``."""
    if source == target or source == "bool":
        return True
    source_type, target_type = np.dtype(source), np.dtype(target)
    if target_type.kind == "f" and source_type.kind in "iu":
        digits = np.finfo(target_type).nmant + 1
        return source_type.itemsize * 8 - (source_type.kind == "i") <= digits
    return source_type.kind in "iuf" and np.can_cast(source_type, target_type, "safe") and \
        (target_type.kind != "f") == (source_type.kind != "f")


def _cast_of_cast(x, node):
    """cast(cast(x, b), a) -> cast(x, a) where b holds every value of x exactly."""
    middle = node.inputs[0].dtype
    if not _lossless(x.dtype, middle):
        return None
    return _as_out(x, node)


# ----------------------------------------------------------------------- products
_PRODUCT_OPS = (S.Mul, S.TrueDiv, S.Reciprocal, S.Neg)
_KEY_DEPTH = 4


def _product_op(variable):
    """The scalar op of ``variable``'s node if it is a product op (mul, div, neg, 1/x)."""
    node = variable.owner
    if node is None or not isinstance(node.op, Elemwise):
        return None
    op = node.op.scalar_op
    return op if type(op) in _PRODUCT_OPS else None


def _single_client(fgraph, variable):
    clients = fgraph.clients.get(variable, ())
    return len(clients) == 1 and clients[0][0] != "output"


def _key(variable, depth=_KEY_DEPTH):
    """A structural key: equal keys, equal values (for cancelling equal factors)."""
    if isinstance(variable, Constant):
        return ("constant", variable.signature())
    node = variable.owner
    if node is None or depth == 0 or getattr(node.op, "nondeterministic", False):
        return ("variable", id(variable))
    return (node.op, variable.index, tuple(_key(v, depth - 1) for v in node.inputs))


def _same(a, b):
    return a is b or _key(a) == _key(b)


def _argument_of(variable, scalar_class):
    """The input of ``variable``'s node if it is an element-wise ``scalar_class``, else None."""
    node = variable.owner
    if node is not None and isinstance(node.op, Elemwise) and isinstance(
            node.op.scalar_op, scalar_class):
        return node.inputs[0]
    return None


def _negated(u):
    """-u, without a double negation."""
    inner = _argument_of(u, S.Neg)
    return inner if inner is not None else O.neg(u)


def _is_negation(a, b):
    """Whether ``a`` is known to equal ``-b``."""
    inner_a, inner_b = _argument_of(a, S.Neg), _argument_of(b, S.Neg)
    return (inner_a is not None and _same(inner_a, b)) or (
        inner_b is not None and _same(inner_b, a))


def _one_plus_exp(variable):
    """``u`` when ``variable`` is ``1 + exp(u)``, else None."""
    node = variable.owner
    if node is None or not isinstance(node.op, Elemwise) or not isinstance(
            node.op.scalar_op, S.Add):
        return None
    for one, other in (node.inputs, node.inputs[::-1]):
        if ONE.matches(one):
            return _argument_of(other, S.Exp)
    return None


def _flatten(fgraph, variable, dtype):
    """``variable`` as ``(negative, numerator, denominator)`` factor lists, expanding the
    product ops of ``dtype`` that nothing else uses; constant factors +-1 are dropped."""
    negative, numerator, denominator = False, [], []
    stack = [(variable, False)]
    while stack:
        current, inverted = stack.pop()
        op = _product_op(current)
        if op is not None and current.dtype == dtype and (
                current is variable or _single_client(fgraph, current)):
            inputs = current.owner.inputs
            if isinstance(op, S.Mul):
                stack.extend([(inputs[1], inverted), (inputs[0], inverted)])
            elif isinstance(op, S.TrueDiv):
                stack.extend([(inputs[1], not inverted), (inputs[0], inverted)])
            elif isinstance(op, S.Reciprocal):
                stack.append((inputs[0], not inverted))
            else:
                negative = not negative
                stack.append((inputs[0], inverted))
            continue
        value = scalar_constant(current)
        if value is not None and value in (1, -1) and all(current.broadcastable):
            negative ^= bool(value == -1)
            continue
        (denominator if inverted else numerator).append(current)
    return negative, numerator, denominator


def _cancel_factors(numerator, denominator):
    """Cancel equal factors above and below, turn ``1 / (1 + exp(u))`` into
    ``sigmoid(-u)`` and ``exp(u) * sigmoid(-u)`` into ``sigmoid(u)``.

    Returns ``(changed, numerator, denominator)``.
    """
    numerator, kept, changed = list(numerator), [], False
    for factor in denominator:
        match = next((k for k, n in enumerate(numerator) if _same(n, factor)), None)
        if match is not None:
            del numerator[match]
            changed = True
            continue
        u = _one_plus_exp(factor)
        if u is not None and dt.is_float(u.dtype):
            numerator.append(O.sigmoid(_negated(u)))
            changed = True
            continue
        kept.append(factor)
    position = 0
    while position < len(numerator):
        u = _argument_of(numerator[position], S.Exp)
        partner = None if u is None else next(
            (k for k, n in enumerate(numerator) if k != position and
             _argument_of(n, S.Sigmoid) is not None and
             _is_negation(_argument_of(n, S.Sigmoid), u)), None)
        if partner is None:
            position += 1
            continue
        merged = O.sigmoid(u)
        numerator = [n for k, n in enumerate(numerator) if k not in (position, partner)]
        numerator.append(merged)
        changed = True
        position = 0
    return changed, numerator, kept


def _build_product(negative, numerator, denominator, dtype):
    """The graph of ``+-prod(numerator) / prod(denominator)`` in ``dtype`` (None if empty)."""
    numerator = [O.cast(v, dtype) for v in numerator]
    denominator = [O.cast(v, dtype) for v in denominator]
    if not numerator:
        return None
    result = O.mul(*numerator)
    if denominator:
        result = O.true_div(result, O.mul(*denominator))
    return O.neg(result) if negative else result


def _distribute(fgraph, negative, numerator, denominator, dtype):
    """``(a +- b) * rest -> a * rest +- b * rest`` where a factor of ``rest`` cancels in
    ``a`` or ``b`` (Theano's greedy distributor), else None."""
    for position, factor in enumerate(numerator):
        node = factor.owner
        if node is None or not isinstance(node.op, Elemwise) or type(
                node.op.scalar_op) not in (S.Add, S.Sub) or factor.dtype != dtype:
            continue
        if not _single_client(fgraph, factor):
            continue
        rest = numerator[:position] + numerator[position + 1:]
        parts, cancelled = [], False
        for term in node.inputs:
            term_negative, term_numerator, term_denominator = _flatten(fgraph, term, dtype)
            changed, term_numerator, term_denominator = _cancel_factors(
                term_numerator + rest, term_denominator + denominator)
            cancelled = cancelled or changed
            parts.append((term_negative, term_numerator, term_denominator))
        if not cancelled:
            continue
        terms = [_build_product(*part, dtype) for part in parts]
        if None in terms:
            continue
        combined = (O.add if isinstance(node.op.scalar_op, S.Add) else O.sub)(*terms)
        return O.neg(combined) if negative else combined
    return None


def _canonical_product(fgraph, node):
    """A float product of products, divisions and negations with equal factors cancelled
    (``(a / b) * b -> a``), sigmoid factors combined, and sums distributed over where that
    cancels: the gradients of ``log(sigmoid(x))`` and ``log(softmax(x))`` divide by the
    probability only to multiply by it again, which overflows where it rounds to 0."""
    out = node.outputs[0]
    if not dt.is_float(out.dtype):
        return None
    clients = fgraph.clients.get(out, ())
    if len(clients) == 1 and clients[0][0] != "output":
        consumer = clients[0][0].outputs[0]
        if _product_op(consumer) is not None and consumer.dtype == out.dtype:
            return None  # the enclosing product is rewritten as a whole
    negative, numerator, denominator = _flatten(fgraph, out, out.dtype)
    changed, numerator, denominator = _cancel_factors(numerator, denominator)
    if changed:
        result = _build_product(negative, numerator, denominator, out.dtype)
    else:
        result = _distribute(fgraph, negative, numerator, denominator, out.dtype)
    return None if result is None else {out: result}


# ----------------------------------------------------------------------- stabilization
def _log_of_indexed_softmax(fgraph, node):
    """log(softmax(x)[index]) -> logsoftmax(x)[index]: the crossentropy pattern."""
    (indexed,) = node.inputs
    producer = indexed.owner
    if producer is None or not isinstance(producer.op, (ST.Subtensor, ST.AdvancedSubtensor,
                                                        ST.AdvancedSubtensor1)):
        return None
    source = producer.inputs[0]
    if source.owner is None or not isinstance(source.owner.op, nnet.Softmax):
        return None
    log_source = nnet.LogSoftmax(*_softmax_params(source.owner.op))(*source.owner.inputs)
    return {node.outputs[0]: producer.op(log_source, *producer.inputs[1:])}


def _softmax_params(op):
    fields = getattr(op, "__dataclass_fields__", {})
    return tuple(getattr(op, f) for f in fields)


def _log_softmax(x, node):
    op = node.inputs[0].owner.op
    return nnet.LogSoftmax(*_softmax_params(op))(x)


def _logsumexp(x, node):
    """log(sum(exp(x), axis)) -> max + log(sum(exp(x - max))), finite for large x."""
    axis = node.inputs[0].owner.op.axis
    x = _as_out(x, node)
    peak = reduce.max(x, axis=axis, keepdims=True)
    peak = O.switch(O.isinf(peak), 0, peak)
    result = O.log(reduce.sum(O.exp(x - peak), axis=axis, keepdims=True)) + peak
    return O.dimshuffle(result, [k for k in range(x.ndim) if k not in axis])


def _softmax_of_graph(x, node):
    """exp(x) / sum(exp(x), axis=1, keepdims=True) -> softmax(x), for matrices."""
    total = node.inputs[1].owner
    if x.ndim != 2 or total.op.new_order != (0, "x"):
        return None
    if total.inputs[0].owner.op.axis != (1,):
        return None
    return nnet.softmax(_as_out(x, node))


def _if_exact_negations(build):
    """``build(a, b, node)`` unless a negated input of the node has an integer dtype narrower
    than the node's: ``-uint8_b`` wraps around in uint8, so ``a - -b`` is not ``a + b``."""
    def rule(a, b, node):
        for variable in node.inputs:
            if _argument_of(variable, S.Neg) is not None and not _float(variable) and \
                    variable.dtype != _out_dtype(node):
                return None
        return build(a, b, node)
    return rule


def _float_rule(build):
    """``build`` applied to ``x`` cast to the node's dtype, declined for integer results."""
    def rule(x, node):
        return build(_as_out(x, node)) if _float(node.outputs[0]) else None
    return rule


def _fold(fgraph, node):
    return fold_node(node)


def _any_node(node):
    return True


CANONICALIZE = RuleSet("canonicalize", [
    NodeRule("constant_fold", (_any_node,), _fold),
    Rule("mul_by_one", (S.Mul, "x", ONE), lambda x: x),
    Rule("add_zero", (S.Add, "x", ZERO), lambda x: x),
    Rule("sub_zero", (S.Sub, "x", ZERO), lambda x: x),
    Rule("zero_sub", (S.Sub, ZERO, "x"),
         lambda x, node: O.neg(_as_out(x, node)) if _out_dtype(node) != "bool" else None),
    Rule("sub_self", (S.Sub, "x", "x"), lambda x: O.zeros_like(x)),
    Rule("neg_neg", (S.Neg, (S.Neg, "x")), lambda x: x),
    Rule("mul_by_minus_one", (S.Mul, "x", MINUS_ONE),
         lambda x, node: O.neg(_as_out(x, node)) if _out_dtype(node) != "bool" else None),
    Rule("mul_neg_neg", (S.Mul, (S.Neg, "a"), (S.Neg, "b")),
         _if_exact_negations(lambda a, b, node: O.mul(a, b))),
    Rule("div_neg_neg", (S.TrueDiv, (S.Neg, "a"), (S.Neg, "b")),
         _if_exact_negations(lambda a, b, node: O.true_div(a, b))),
    Rule("add_neg", (S.Add, "a", (S.Neg, "b")),
         _if_exact_negations(lambda a, b, node: O.sub(a, b))),
    Rule("sub_neg", (S.Sub, "a", (S.Neg, "b")),
         _if_exact_negations(lambda a, b, node: O.add(a, b))),
    Rule("div_by_one", (S.TrueDiv, "x", ONE), lambda x: x),
    Rule("div_self", (S.TrueDiv, "x", "x"), lambda x: O.ones_like(x) if _float(x) else None),
    Rule("sub_of_neg", (S.Sub, (S.Neg, "a"), "b"),
         _if_exact_negations(lambda a, b, node: O.neg(_as_out(O.add(a, b), node)))),
    Rule("pow_two", (S.Pow, "x", TWO), lambda x, node: O.sqr(_as_out(x, node))),
    Rule("pow_half", (S.Pow, "x", HALF), _float_rule(O.sqrt)),
    Rule("pow_minus_one", (S.Pow, "x", MINUS_ONE), _float_rule(O.reciprocal)),
    Rule("pow_one", (S.Pow, "x", ONE), lambda x: x),
    Rule("pow_zero", (S.Pow, "x", ZERO), lambda x, node: O.ones_like(x, dtype=_out_dtype(node))),
    Rule("merge_scalings", (S.Mul, (S.Mul, "x", "c1"), "c2"), _merge_scalings),
    Rule("merge_offsets", (S.Add, (S.Add, "x", "c1"), "c2"), _merge_offsets),
    Rule("div_by_power_of_two", (S.TrueDiv, "x", "c"), _div_by_power_of_two),
    Rule("neg_of_scaled", (S.Neg, (S.Mul, "x", "c")), _neg_of_scaled),
    NodeRule("canonical_product", _PRODUCT_OPS, _canonical_product),
    Rule("cast_of_cast", (S.Cast, (S.Cast, "x")), _cast_of_cast),
    Rule("second_to_alloc", (S.Second, "x", "y"), lambda x, y: SH.fill_shape(x, y)),
    Rule("dimshuffle_of_dimshuffle", (DimShuffle, (DimShuffle, "x")), _merge_dimshuffles),
    Rule("identity_dimshuffle", (DimShuffle, "x"), _drop_identity_dimshuffle),
    NodeRule("transpose_of_dot", (DimShuffle,), _transpose_of_dot),
    NodeRule("increment_covering_zeros", (ST.IncSubtensor,), _increment_covering_zeros),
    NodeRule("bool_mask_to_indices", (ST.AdvancedSubtensor, ST.AdvancedIncSubtensor),
             _bool_mask_to_indices),
    Rule("reshape_of_reshape", (SH.Reshape, (SH.Reshape, "x", ANY), "shape"),
         _reshape_of_reshape),
    Rule("shape_lift", (SH.Shape, "x"), _shape_of_computed),
    Rule("index_of_shape", (ST.Subtensor, (SH.Shape, "x")), _index_of_shape),
    NodeRule("index_of_vector", (ST.Subtensor,), _index_of_vector),
    Rule("shape_i_lift", (SH.ShapeI, "x"), _shape_of_computed),
    NodeRule("useless_alloc", (SH.Alloc,), _useless_alloc),
    NodeRule("alloc_into_elemwise", (Elemwise,), _alloc_into_elemwise),
    NodeRule("elemwise_into_alloc", (Elemwise,), _elemwise_into_alloc),
])

# log(1 - sigmoid(x)) becomes log(sigmoid(-x)) (one_minus_sigmoid), then -softplus(x).
STABILIZE = RuleSet("stabilize", [
    Rule("softplus", (S.Log, (S.Add, ONE, (S.Exp, "x"))), _float_rule(O.softplus)),
    Rule("log1p", (S.Log, (S.Add, ONE, "x")), _float_rule(O.log1p)),
    Rule("log1p_of_sub", (S.Log, (S.Sub, ONE, "x")), _float_rule(lambda x: O.log1p(O.neg(x)))),
    Rule("expm1", (S.Sub, (S.Exp, "x"), ONE), _float_rule(O.expm1)),
    Rule("sigmoid", (S.TrueDiv, ONE, (S.Add, ONE, (S.Exp, (S.Neg, "x")))),
         _float_rule(O.sigmoid)),
    Rule("sigmoid_of_neg", (S.TrueDiv, ONE, (S.Add, ONE, (S.Exp, "x"))),
         _float_rule(lambda x: O.sigmoid(O.neg(x)))),
    Rule("reciprocal_sigmoid", (S.Reciprocal, (S.Add, ONE, (S.Exp, (S.Neg, "x")))),
         _float_rule(O.sigmoid)),
    Rule("exp_over_one_plus_exp", (S.TrueDiv, (S.Exp, "x"), (S.Add, ONE, (S.Exp, "x"))),
         _float_rule(O.sigmoid)),
    Rule("one_minus_sigmoid", (S.Sub, ONE, (S.Sigmoid, "x")),
         _float_rule(lambda x: O.sigmoid(O.neg(x)))),
    Rule("log_sigmoid", (S.Log, (S.Sigmoid, "x")),
         _float_rule(lambda x: O.neg(O.softplus(O.neg(x))))),
    Rule("log1p_neg_sigmoid", (S.Log1p, (S.Neg, (S.Sigmoid, "x"))),
         _float_rule(lambda x: O.neg(O.softplus(x)))),
    Rule("log1p_exp", (S.Log1p, (S.Exp, "x")), _float_rule(O.softplus)),
    Rule("log_exp", (S.Log, (S.Exp, "x")), _float_rule(lambda x: x)),
    Rule("softmax_graph", (S.TrueDiv, (S.Exp, "x"), (DimShuffle, (reduce.Sum, (S.Exp, "x")))),
         _softmax_of_graph),
    Rule("log_softmax", (S.Log, (nnet.Softmax, "x")), _log_softmax),
    NodeRule("log_of_indexed_softmax", (S.Log,), _log_of_indexed_softmax),
    Rule("logsumexp", (S.Log, (reduce.Sum, (S.Exp, "x"))), _logsumexp),
])
