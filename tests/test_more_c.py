"""Native C code of split, repeat, roll, eye, arange, diagonals, cumsum/cumprod, batched_dot,
slice lengths, advanced indexing, nonzero and the gradient identities: each compiled function
(FAST_RUN) runs the op natively (not through its ``perform``) and agrees with the numpy
reference backend (FAST_COMPILE) on several dtypes and memory layouts, errors included."""

import importlib

import numpy as np
import pytest

import arignote as theano
import arignote.tensor as T
from arignote.runtime import build

# The ops package exports functions named like some of its modules (shape, ...).
blas, gradops, reduce, shape, subtensor = (
    importlib.import_module(f"arignote.compiler.ops.{name}")
    for name in ("blas", "gradops", "reduce", "shape", "subtensor"))

pytestmark = pytest.mark.skipif(build.find_compiler() is None, reason="no C compiler")

rng = np.random.default_rng(7)


def _values(shape, dtype):
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 5, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _layouts(a):
    """``a`` as contiguous, Fortran-ordered, strided and reversed (negative strides) arrays."""
    yield a
    if a.ndim == 0:
        return
    yield np.asfortranarray(a)
    yield np.repeat(a, 2, axis=-1)[..., ::2]
    yield np.flip(np.flip(a).copy())


def _tensor(value, name):
    return T.TensorType(value.dtype.name, (False,) * value.ndim)(name)


def _compile(inputs, outputs, op_class):
    """The compiled (C) and reference functions; the C one must run ``op_class`` natively."""
    native = theano.function(inputs, outputs, on_unused_input="ignore")
    reference = theano.function(inputs, outputs, on_unused_input="ignore", mode="FAST_COMPILE")
    plan = native.maker.native.plan
    assert any(isinstance(node.op, op_class) for node in plan.nodes), \
        f"no {op_class.__name__} node in the compiled graph"
    fallbacks = [node for node in plan.fallback_nodes if isinstance(node.op, op_class)]
    assert not fallbacks, f"{fallbacks} run through perform"
    return native, reference


def _same(got, want):
    got = got if isinstance(got, list) else [got]
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for a, b in zip(got, want):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-5 if a.dtype == "float32" else 1e-12,
                                       atol=1e-6)
        else:
            np.testing.assert_array_equal(a, b)


def _check(build_graph, values, op_class, layouts=True):
    """Compile ``build_graph(*symbolic)`` and compare both backends on every layout of the
    first value (the others kept contiguous)."""
    inputs = [_tensor(v, f"in{k}") for k, v in enumerate(values)]
    native, reference = _compile(inputs, build_graph(*inputs), op_class)
    variants = _layouts(values[0]) if layouts else [values[0]]
    for first in variants:
        arguments = [first] + list(values[1:])
        _same(native(*arguments), reference(*arguments))
    return native, reference


def _both_raise(native, reference, arguments, exception, match=None):
    for function in (native, reference):
        with pytest.raises(exception, match=match):
            function(*arguments)


# ----------------------------------------------------------------------- gradient identities
@pytest.mark.parametrize("wrap", [gradops.zero_grad, gradops.disconnected_grad,
                                  gradops.consider_constant, gradops.undefined_grad,
                                  lambda x: gradops.grad_clip(x, -1.0, 1.0),
                                  lambda x: gradops.grad_scale(x, 2.0)])
def test_gradient_identities_are_views(wrap):
    x = _values((3, 4), "float64")
    native, _ = _check(lambda v: [wrap(v) * 2.0, wrap(v)], [x],
                       gradops._GradientIdentity)
    result = native(x)[1]
    assert not np.shares_memory(result, x)
    np.testing.assert_array_equal(result, x)


# ----------------------------------------------------------------------- split
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
@pytest.mark.parametrize("axis", [0, -1])
def test_split(dtype, axis):
    x = _values((5, 6), dtype)
    sizes = np.array([2, 0, 3] if axis == 0 else [1, 5, 0], dtype="int64")
    native, reference = _check(lambda v, s: T.split(v, s, 3, axis=axis), [x, sizes],
                               shape.Split)
    _both_raise(native, reference, [x, np.array([1, 1, 1])], ValueError, "split")
    _both_raise(native, reference, [x, np.array([7, -1, 0])], ValueError, "split")
    _both_raise(native, reference, [x, np.array([5, 1])], ValueError, "split")


def test_split_single_piece_is_a_copy():
    x = _values((4, 3), "float32")
    native, _ = _check(lambda v, s: T.split(v, s, 1, axis=1), [x, np.array([3])], shape.Split)
    assert not np.shares_memory(native(x, np.array([3])), x)


# ----------------------------------------------------------------------- repeat
@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "bool"])
def test_repeat_scalar(dtype):
    x = _values((2, 3, 4), dtype)
    native, reference = _check(lambda v, r: [T.repeat(v, r, axis=axis)
                                             for axis in (None, 0, 1, 2)],
                               [x, np.array(3, dtype="int64")], shape.Repeat)
    _same(native(x, np.array(0)), reference(x, np.array(0)))
    _both_raise(native, reference, [x, np.array(-1)], ValueError, "negative")


@pytest.mark.parametrize("dtype", ["float64", "int64"])
@pytest.mark.parametrize("axis", [0, 1])
def test_repeat_vector(dtype, axis):
    x = _values((3, 4), dtype)
    counts = np.array([2, 0, 1, 3][:x.shape[axis]], dtype="int32")
    native, reference = _check(lambda v, r: T.repeat(v, r, axis=axis), [x, counts],
                               shape.Repeat)
    _both_raise(native, reference, [x, np.array([1, 2], dtype="int32")], ValueError, "counts")
    bad = counts.copy()
    bad[1] = -2
    _both_raise(native, reference, [x, bad], ValueError, "negative")


# ----------------------------------------------------------------------- roll
@pytest.mark.parametrize("dtype", ["float64", "int16", "bool"])
def test_roll(dtype):
    x = _values((4, 5), dtype)
    native, reference = _check(lambda v, s: [T.roll(v, s, axis=axis) for axis in (None, 0, 1)],
                               [x, np.array(2, dtype="int64")], shape.Roll)
    for shift in [0, -3, 13, -13]:
        for first in _layouts(x):
            _same(native(first, shift), reference(first, shift))


def test_roll_of_empty_array():
    x = np.zeros((0, 3))
    _check(lambda v, s: [T.roll(v, s), T.roll(v, s, axis=0), T.roll(v, s, axis=1)],
           [x, np.array(2)], shape.Roll, layouts=False)


# ----------------------------------------------------------------------- eye, arange
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "bool"])
def test_eye(dtype):
    n, m, k = T.lscalar("n"), T.lscalar("m"), T.lscalar("k")
    native, reference = _compile([n, m, k], T.eye(n, m, k, dtype=dtype), shape.Eye)
    for args in [(3, 3, 0), (2, 5, 1), (5, 2, -1), (3, 4, 7), (4, 3, -9), (0, 3, 0)]:
        _same(native(*args), reference(*args))
    _both_raise(native, reference, [-1, 2, 0], ValueError, "negative")


@pytest.mark.parametrize("dtype,args", [
    ("int64", [(0, 5, 1), (5, 0, -2), (3, 3, 1), (-4, 7, 3), (7, -4, -3), (0, 5, -1)]),
    ("int32", [(1, 10, 4)]),
    ("uint64", [(5, -1, -2), (0, 6, 2)]),
    ("float64", [(0.0, 1.0, 0.1), (2.5, -1.0, -0.75), (0.0, 0.0, 1.0)]),
    ("float32", [(0.0, 1.0, 0.1), (1.0, 2.0, 0.3)]),
])
def test_arange(dtype, args):
    value_dtype = "float64" if dtype.startswith("float") else "int64"
    start, stop, step = (T.scalar(name, dtype=value_dtype) for name in ("a", "b", "c"))
    native, reference = _compile([start, stop, step],
                                 T.arange(start, stop, step, dtype=dtype), shape.ARange)
    for values in args:
        _same(native(*values), reference(*values))
    _both_raise(native, reference, [0, 3, 0], ValueError, "step")


def test_arange_mixed_inputs_into_int():
    start, stop, step = T.dscalar("a"), T.lscalar("b"), T.dscalar("c")
    native, reference = _compile([start, stop, step],
                                 T.arange(start, stop, step, dtype="int64"), shape.ARange)
    for values in [(0.5, 5, 1.5), (4.0, -2, -1.25)]:
        _same(native(*values), reference(*values))
    _both_raise(native, reference, [0.0, 3, np.nan], ValueError, None)


def test_arange_negative_unsigned_overflows():
    start, stop = T.lscalar("a"), T.lscalar("b")
    native, reference = _compile([start, stop], T.arange(start, stop, dtype="uint64"),
                                 shape.ARange)
    _both_raise(native, reference, [-1, 3], OverflowError, None)


# ----------------------------------------------------------------------- diagonals
@pytest.mark.parametrize("dtype", ["float64", "int64", "bool"])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (0, 2), (2, 1)])
def test_extract_diag(dtype, axes):
    x = _values((3, 4, 5), dtype)
    _check(lambda v: [T.diagonal(v, offset, *axes) for offset in (0, 1, -2, 9)], [x],
           shape.ExtractDiag)


@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_alloc_diag_of_vector(dtype):
    _check(lambda v: [T.diag(v, offset) for offset in (0, 2, -1)], [_values((4,), dtype)],
           shape.AllocDiag)


@pytest.mark.parametrize("offset", [0, 1, -2])
@pytest.mark.parametrize("axes", [(0, 1), (1, 2), (2, 0)])
def test_alloc_diag_with_shape(offset, axes):
    a1, a2 = axes
    full = (3, 4, 5)
    n = max(0, min(full[a1] - max(-offset, 0), full[a2] - max(offset, 0)))
    kept = tuple(s for a, s in enumerate(full) if a not in axes)
    values = _values(kept + (n,), "float64")
    native, reference = _check(
        lambda v: shape.AllocDiag(offset, a1, a2)(v, *full), [values], shape.AllocDiag)
    _both_raise(native, reference, [_values(kept + (n + 1,), "float64")], ValueError,
                "do not fit")


# ----------------------------------------------------------------------- cumulative
@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "int64", "uint16", "bool"])
def test_cumulative(dtype):
    x = _values((3, 4, 2), dtype)
    axes = (None, 0, 1, 2)
    native, _ = _check(lambda v: [T.cumsum(v, axis=a) for a in axes] +
                       [T.cumprod(v, axis=a) for a in axes], [x], reduce.CumSum)
    assert not [n for n in native.maker.native.plan.fallback_nodes
                if isinstance(n.op, reduce.CumProd)]


def test_cumprod_wraps_like_numpy():
    x = np.full((70,), 3, dtype="int64")
    _check(lambda v: [T.cumprod(v), T.cumsum(v * 2 ** 61)], [x], reduce.CumProd)


# ----------------------------------------------------------------------- batched dot
_BATCHED_SHAPES = {
    (3, 3): [((4, 2, 3), (4, 3, 5)), ((2, 1, 3), (2, 3, 1)), ((3, 2, 0), (3, 0, 4)),
             ((0, 2, 3), (0, 3, 2))],
    (3, 2): [((4, 2, 3), (4, 3)), ((2, 5, 0), (2, 0))],
    (2, 3): [((4, 3), (4, 3, 5))],
    (2, 2): [((4, 3), (4, 3)), ((1, 3), (1, 3))],
}


@pytest.mark.parametrize("dtypes", [("float64", "float64"), ("float32", "float32"),
                                    ("float32", "float64"), ("int32", "int32"),
                                    ("int8", "int64")])
@pytest.mark.parametrize("ranks", list(_BATCHED_SHAPES))
def test_batched_dot(dtypes, ranks):
    shapes = _BATCHED_SHAPES[ranks]
    x, y = _values(shapes[0][0], dtypes[0]), _values(shapes[0][1], dtypes[1])
    native, reference = _check(lambda a, b: T.batched_dot(a, b), [x, y], blas.BatchedDot)
    for second in _layouts(y):
        _same(native(x, second), reference(x, second))
    for x_shape, y_shape in shapes[1:]:
        x, y = _values(x_shape, dtypes[0]), _values(y_shape, dtypes[1])
        _same(native(x, y), reference(x, y))
    wrong = _values((y.shape[0] + 1,) + y.shape[1:], dtypes[1])
    _both_raise(native, reference, [x, wrong], ValueError, "batched_dot")


def test_batched_dot_of_transposed_operands():
    x, y = _values((3, 4, 2), "float64"), _values((3, 5, 4), "float64")
    a, b = T.dtensor3("a"), T.dtensor3("b")
    native, reference = _compile([a, b], T.batched_dot(a.dimshuffle(0, 2, 1),
                                                       b.dimshuffle(0, 2, 1)), blas.BatchedDot)
    _same(native(x, y), reference(x, y))


# ----------------------------------------------------------------------- slice length
def test_slice_length():
    n, a, b, c = (T.lscalar(name) for name in "nabc")
    native, reference = _compile([n, a, b, c], [T.slice_length(n, a, b, c),
                                                T.slice_length(n, None, b, c),
                                                T.slice_length(n, a, None, None),
                                                T.slice_length(n, -2, b, 3)],
                                 subtensor.SliceLength)
    for values in [(10, 1, 7, 2), (10, -3, 0, -1), (5, 9, -9, -2), (-4, 0, 3, 1), (0, 0, 0, 5)]:
        _same(native(*values), reference(*values))
    _both_raise(native, reference, [10, 0, 5, 0], ValueError, "step")


# ----------------------------------------------------------------------- advanced indexing
_PATTERNS = [
    ("rows_cols", lambda x, i, j: x[i, j]),
    ("rows_slice", lambda x, i, j: x[i, 1:]),
    ("slice_cols", lambda x, i, j: x[::-1, j]),
    ("matrix_index", lambda x, i, j: x[i.reshape((2, 2)), j.reshape((2, 2))]),
    ("broadcast_index", lambda x, i, j: x[i.reshape((4, 1)), j.reshape((1, 4))]),
    ("int_and_array", lambda x, i, j: x[2, j]),
    ("array_slice_array_3d", lambda x, i, j: x.reshape((2, 3, 4))[i % 2, :, j]),
    ("slice_array_array_3d", lambda x, i, j: x.reshape((2, 3, 4))[:, i % 3, j]),
]


@pytest.mark.parametrize("dtype,index_dtype", [("float64", "int64"), ("int32", "int32"),
                                               ("bool", "uint8")])
@pytest.mark.parametrize("name,pattern", _PATTERNS, ids=[p[0] for p in _PATTERNS])
def test_advanced_subtensor(dtype, index_dtype, name, pattern):
    x = _values((6, 4), dtype)
    rows = np.array([5, 0, 2, 5], dtype=index_dtype)
    cols = np.array([3, 3, 0, 1], dtype=index_dtype)
    if index_dtype != "uint8":
        rows[1], cols[2] = -1, -4
    native, reference = _check(pattern, [x, rows, cols], subtensor.AdvancedSubtensor)
    if index_dtype != "uint8":
        bad = rows.copy()
        bad[2] = 6
        if name in ("rows_cols", "rows_slice", "matrix_index", "broadcast_index"):
            _both_raise(native, reference, [x, bad, cols], IndexError, "out of bounds")


def test_advanced_subtensor_broadcast_mismatch_and_empty():
    x, i, j = T.dmatrix("x"), T.lvector("i"), T.lvector("j")
    native, reference = _compile([x, i, j], x[i, j], subtensor.AdvancedSubtensor)
    value = _values((3, 4), "float64")
    _both_raise(native, reference, [value, np.array([0, 1]), np.array([0, 1, 2])], IndexError,
                None)
    empty = np.zeros(0, dtype="int64")
    _same(native(value, empty, empty), reference(value, empty, empty))
    _same(native(value, np.array([1]), np.array([0, 1, 3])),
          reference(value, np.array([1]), np.array([0, 1, 3])))


@pytest.mark.parametrize("dtype,set_instead", [("float64", False), ("float64", True),
                                               ("int8", False)])
@pytest.mark.parametrize("name,pattern", _PATTERNS, ids=[p[0] for p in _PATTERNS])
def test_advanced_inc_subtensor(dtype, set_instead, name, pattern):
    x = _values((6, 4), dtype)
    rows = np.array([5, 0, 5, 5], dtype="int64")
    cols = np.array([3, 3, 0, 3], dtype="int64")
    write = T.set_subtensor if set_instead else T.inc_subtensor
    inputs = [_tensor(x, "x"), T.lvector("i"), T.lvector("j")]
    target = pattern(*inputs)
    # numpy's x[i] += y refuses float values into an int array (same_kind), and so do we
    value_dtype = "float64" if set_instead or dtype == "float64" else dtype
    value = _values(np.shape(reference_target(pattern, x, rows, cols)), value_dtype)
    y = T.TensorType(value_dtype, (False,) * value.ndim)("y")
    if value_dtype != "float64":
        with pytest.raises(TypeError, match="same_kind"):
            write(target, T.TensorType("float64", (False,) * value.ndim)("f"))
    native, reference = _compile(inputs + [y], write(target, y),
                                 subtensor.AdvancedIncSubtensor)
    for first in _layouts(x):
        _same(native(first, rows, cols, value), reference(first, rows, cols, value))
    wrong = _values(value.shape[:-1] + (value.shape[-1] + 1,), value_dtype)
    _both_raise(native, reference, [x, rows, cols, wrong], ValueError, "cannot write")


def reference_target(pattern, x, rows, cols):
    """The value of the indexed subtensor, computed by the reference backend."""
    inputs = [_tensor(x, "x"), T.lvector("i"), T.lvector("j")]
    return theano.function(inputs, pattern(*inputs), mode="FAST_COMPILE",
                           on_unused_input="ignore")(x, rows, cols)


def test_advanced_inc_subtensor_broadcast_value_and_bool():
    x, i, j = T.dmatrix("x"), T.lvector("i"), T.lvector("j")
    scalar = T.dscalar("s")
    row = T.TensorType("float64", (True, False))("r")
    native, reference = _compile(
        [x, i, j, scalar, row],
        [T.inc_subtensor(x[i, j], scalar), T.inc_subtensor(x[i, 1:], row),
         T.set_subtensor(x[i, 1:], row)], subtensor.AdvancedIncSubtensor)
    args = [_values((5, 4), "float64"), np.array([4, 1, 4]), np.array([0, 0, 0]),
            np.float64(1.5), _values((1, 3), "float64")]
    _same(native(*args), reference(*args))
    args[1] = np.array([4, 7, 0])
    _both_raise(native, reference, args, IndexError, "out of bounds")

    mask = T.TensorType("bool", (False, False))("m")
    flags = T.TensorType("bool", (False,))("f")
    native, reference = _compile([mask, i, j, flags],
                                 [T.inc_subtensor(mask[i, j], flags),
                                  T.set_subtensor(mask[i, j], flags)],
                                 subtensor.AdvancedIncSubtensor)
    args = [_values((3, 3), "bool"), np.array([0, 0, 2]), np.array([1, 1, 2]),
            np.array([True, False, True])]
    _same(native(*args), reference(*args))


def test_masks_keep_the_reference():
    x = T.dmatrix("x")
    f = theano.function([x], x[x > 0])
    value = _values((3, 4), "float64")
    np.testing.assert_array_equal(f(value), value[value > 0])


# ----------------------------------------------------------------------- nonzero
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
@pytest.mark.parametrize("shapes", [[(7,), (0,)], [(3, 4), (0, 3)], [(2, 3, 4)]])
def test_nonzero(dtype, shapes):
    values = []
    for shape_ in shapes:
        x = _values(shape_, dtype)
        if dtype == "float64" and x.size:
            x[x < 0.3] = 0
            x.flat[0] = np.nan
        values.append(x)
    native, reference = _check(lambda v: [T.nonzero(v, return_matrix=True), T.flatnonzero(v),
                                          T.nonzero_values(v)], values[:1], subtensor.Nonzero)
    for x in values[1:]:
        _same(native(x), reference(x))
