"""Indexing: x[idx] (basic and advanced), set/inc_subtensor, take, nonzero, against numpy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arignote
import arignote.tensor as T
from arignote.compiler.ops.subtensor import (
    AdvancedIncSubtensor, AdvancedIncSubtensor1, AdvancedSubtensor, AdvancedSubtensor1,
    IncSubtensor, Subtensor)
from arignote.gradient import verify_grad

rng = np.random.default_rng(0)


def f(inputs, outputs):
    return arignote.function(inputs, outputs)


# ----------------------------------------------------------------------- basic indexing
def test_basic_patterns_match_numpy():
    x = T.dtensor3("x")
    a = rng.standard_normal((3, 4, 5))
    for index in [0, -1, (1, 2), (slice(None), 1), (Ellipsis, 2), (None, 1), (1, None, 2),
                  (slice(1, None), slice(None, None, -1), slice(0, 5, 2)),
                  (slice(-2, None), Ellipsis, None), (Ellipsis,), (), (2, 3, 4),
                  (slice(10, 20),), (np.int64(1), slice(None, -1))]:
        out = x[index]
        assert isinstance(out.owner.op, Subtensor), index
        np.testing.assert_array_equal(f([x], out)(a), a[index], err_msg=str(index))


def test_subtensor_output_is_view_and_pattern_text():
    x = T.dmatrix("x")
    y = x[1:, ::-1]
    assert y.owner.op.view_map == {0: [0]}
    assert str(y.owner.op) == "Subtensor{1:, ::-1}"


def test_symbolic_scalars_and_slices():
    x = T.dmatrix("x")
    i, j, k = T.iscalars("i", "j", "k")
    out = x[i:j:k, -i]
    assert len(out.owner.inputs) == 5
    a = rng.standard_normal((6, 4))
    fn = f([x, i, j, k], out)
    for args in [(1, 5, 2), (4, 0, -1), (-1, -6, -2), (0, 6, 1), (2, 100, 3)]:
        np.testing.assert_array_equal(fn(a, *args), a[args[0]:args[1]:args[2], -args[0]])


def test_constant_scalars_are_folded_into_the_pattern():
    x = T.dvector("x")
    out = x[T.constant(2):np.int32(4)]
    assert out.owner.inputs == [x]
    assert out.owner.op.idx_list == ((2, 4, None),)


def test_broadcastable_rules():
    row = T.drow("r")
    assert row[:, 1:3].broadcastable == (True, False)
    assert row[0].broadcastable == (False,)
    assert row[1:].broadcastable == (False, False)
    assert row[::-1].broadcastable == (True, False)
    assert row[:T.iscalar()].broadcastable == (False, False)
    assert T.dmatrix()[None, :, None].broadcastable == (True, False, True, False)
    assert T.dtensor3()[1].broadcastable == (False, False)
    with pytest.raises(IndexError, match="broadcastable"):
        row[1]


def test_rnn_column_pattern_with_int32_scalar():
    # s_t = tanh(U[:, x_t] + W s_{t-1}), as in W6: basic indexing by a symbolic scalar.
    U = T.dmatrix("U")
    x_t = T.iscalar("x_t")
    column = U[:, x_t]
    assert isinstance(column.owner.op, Subtensor)
    assert column.type == T.dvector().type
    u = rng.standard_normal((4, 7))
    np.testing.assert_array_equal(f([U, x_t], column)(u, np.int32(5)), u[:, 5])
    g = T.grad(T.sum(T.tanh(column) * 3.0), U)
    expected = np.zeros_like(u)
    expected[:, 5] = 3.0 * (1 - np.tanh(u[:, 5]) ** 2)
    np.testing.assert_allclose(f([U, x_t], g)(u, 5), expected)
    verify_grad(lambda m: m[:, 3] ** 2, [u], rng=np.random.default_rng(1))


@pytest.mark.parametrize("index", [(slice(1, None), -1), (Ellipsis, 0), (None, 2, slice(None, 2)),
                                   (slice(None, None, -2),)])
def test_subtensor_grad(index):
    verify_grad(lambda m: m[index], [rng.standard_normal((4, 3))], rng=np.random.default_rng(2))


def test_second_derivative_through_indexing():
    x = T.dvector("x")
    cost = T.sum(x[1:] ** 3) + (x[0] * x[2]) ** 2
    g = T.grad(cost, x)
    hessian_row = T.grad(g[2], x)
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(f([x], hessian_row)(a), [4 * 1 * 3, 0, 6 * 3 + 2 * 1])


def test_out_of_range_raises_index_error():
    x = T.dmatrix("x")
    i = T.lscalar("i")
    a = np.zeros((2, 3))
    with pytest.raises(IndexError, match="out of bounds"):
        f([x, i], x[i])(a, 2)
    with pytest.raises(IndexError, match="out of bounds"):
        f([x], x[[0, 3]])(a)
    with pytest.raises(IndexError, match="out of bounds"):
        f([x], x[:, [0, 3]])(a)
    with pytest.raises(IndexError, match="out of bounds"):
        f([x], T.inc_subtensor(x[[5]], 1.0))(a)
    with pytest.raises(IndexError, match="out of bounds"):
        f([x, i], T.set_subtensor(x[0, i], 1.0))(a, -4)


def test_bad_indices_raise_at_build_time():
    x = T.dmatrix("x")
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(TypeError, match="integers"):
        x[T.dscalar()]
    with pytest.raises(TypeError, match="integers or booleans"):
        x[T.dvector()]
    with pytest.raises(TypeError, match="slice bound"):
        x[1.5:]
    with pytest.raises(TypeError, match="boolean"):
        x[True]


# ----------------------------------------------------------------------- advanced indexing
def test_vector_rows_use_advanced_subtensor1():
    x = T.dmatrix("x")
    r = T.lvector("r")
    out = x[r]
    assert isinstance(out.owner.op, AdvancedSubtensor1)
    a = rng.standard_normal((5, 3))
    np.testing.assert_array_equal(f([x, r], out)(a, [4, 0, 4, -1]), a[[4, 0, 4, -1]])
    assert isinstance(x[r, :].owner.op, AdvancedSubtensor1)
    assert isinstance(x[:, r].owner.op, AdvancedSubtensor)


def test_arange_labels_pattern_and_grad():
    # loss = -mean(log(p)[arange(n), y]), as in W4/W5/W6.
    p = T.dmatrix("p")
    y = T.ivector("y")
    picked = p[T.arange(y.shape[0]), y]
    probs = rng.uniform(0.1, 1.0, (4, 3))
    labels = np.array([2, 0, 2, 1], dtype="int32")
    np.testing.assert_array_equal(f([p, y], picked)(probs, labels), probs[np.arange(4), labels])
    g = T.grad(-T.mean(T.log(picked)), p)
    expected = np.zeros_like(probs)
    expected[np.arange(4), labels] = -1 / (4 * probs[np.arange(4), labels])
    np.testing.assert_allclose(f([p, y], g)(probs, labels), expected)
    verify_grad(lambda m: m[np.arange(4), labels], [probs], rng=np.random.default_rng(3))


@pytest.mark.parametrize("index", [
    ([1, 1, 0],), (slice(None), [2, 0]), ([[0, 1], [1, 0]], [0, 2]),
    (0, slice(None), [1, 1]), ([0, 1], slice(None), [1, 0]), (slice(1, None), [0], None),
    (np.array([True, False, True]),), (Ellipsis, [1, 0]), ([2, 0], Ellipsis, [3, 3]),
    (None, [1, 0], Ellipsis, [0, 2]), (slice(None), np.ones((3, 4), bool)),
])
def test_advanced_patterns_match_numpy(index):
    x = T.dtensor3("x")
    a = rng.standard_normal((3, 3, 4))
    out = x[index]
    result = f([x], out)(a)
    np.testing.assert_array_equal(result, a[index])
    assert result.ndim == out.ndim
    assert all(result.shape[d] == 1 for d, b in enumerate(out.broadcastable) if b)


def test_boolean_mask_read_and_grad():
    x = T.dmatrix("x")
    out = x[x > 0]
    a = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(f([x], out)(a), a[a > 0])
    g = T.grad(T.sum(out ** 2), x)
    np.testing.assert_allclose(f([x], g)(a), np.where(a > 0, 2 * a, 0))
    mask = a > 0
    verify_grad(lambda m: m[mask] * 2.0, [a], rng=np.random.default_rng(4))


def test_mask_shape_mismatch_raises():
    x = T.dmatrix("x")
    m = T.bmatrix("m")
    with pytest.raises(IndexError):
        f([x, m], x[m > 0])(np.zeros((2, 2)), np.ones((3, 2), "int8"))


# ----------------------------------------------------------------------- set / inc
def test_set_and_inc_subtensor_basic():
    x = T.dmatrix("x")
    y = T.dvector("y")
    i = T.iscalar("i")
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal(4)
    out_set = T.set_subtensor(x[i], y)
    out_inc = T.inc_subtensor(x[i], y)
    assert isinstance(out_set.owner.op, IncSubtensor) and out_set.owner.op.set_instead_of_inc
    expected = a.copy()
    expected[1] = b
    np.testing.assert_array_equal(f([x, y, i], out_set)(a, b, 1), expected)
    expected = a.copy()
    expected[1] += b
    np.testing.assert_array_equal(f([x, y, i], out_inc)(a, b, 1), expected)
    # the input is not modified
    original = a.copy()
    f([x, y, i], out_inc)(a, b, 1)
    np.testing.assert_array_equal(a, original)


def test_inc_subtensor_duplicates_accumulate():
    x = T.dvector("x")
    r = T.lvector("r")
    out = T.inc_subtensor(x[r], 1.0)
    assert isinstance(out.owner.op, AdvancedIncSubtensor1)
    np.testing.assert_array_equal(f([x, r], out)(np.zeros(4), [0, 2, 0, 0]), [3, 0, 1, 0])
    m = T.dmatrix("m")
    c = T.lvector("c")
    out = T.inc_subtensor(m[r, c], T.dvector("v"))
    assert isinstance(out.owner.op, AdvancedIncSubtensor)
    v = np.array([1.0, 2.0, 4.0])
    result = f([m, r, c, out.owner.inputs[1]], out)(np.zeros((2, 2)), [1, 1, 0], [0, 0, 1], v)
    np.testing.assert_array_equal(result, [[0, 4], [3, 0]])


def test_set_subtensor_masks_and_columns():
    x = T.dmatrix("x")
    a = rng.standard_normal((3, 4))
    out = f([x], T.set_subtensor(x[x < 0], 0.0))(a)
    np.testing.assert_array_equal(out, np.maximum(a, 0))
    out = f([x], T.set_subtensor(x[:, [3, 0]], [[1.0, 2.0]] * 3))(a)
    expected = a.copy()
    expected[:, [3, 0]] = [1.0, 2.0]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("writer", [T.set_subtensor, T.inc_subtensor])
@pytest.mark.parametrize("index", [(1, slice(None, 3)), ([2, 0, 2],), (slice(None), [1, 1]),
                                   ([0, 2], [3, 3])])
def test_set_inc_grads(writer, index):
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal(a[index].shape)
    if writer is T.set_subtensor and index in (([2, 0, 2],), (slice(None), [1, 1])):
        # With repeated positions only the last write survives (as in Theano and numpy),
        # and the gradient w.r.t. the overwritten values is not defined: write distinct ones.
        index = ([2, 0, 1],) if len(index) == 1 else (slice(None), [1, 3])
    verify_grad(lambda m, v: writer(m[index], v), [a, b], rng=np.random.default_rng(5))


def test_set_subtensor_of_dimshuffled_subtensor():
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    out = T.set_subtensor(x[:2, 1:].T, y)
    a, b = np.zeros((3, 4)), rng.standard_normal((3, 2))
    expected = a.copy()
    expected[:2, 1:] = b.T
    np.testing.assert_array_equal(f([x, y], out)(a, b), expected)
    out = T.inc_subtensor(x[0].dimshuffle("x", 0), T.drow("r"))
    np.testing.assert_array_equal(f([x, out.owner.inputs[1].owner.inputs[0]], out)(
        a, np.ones((1, 4))), np.vstack([np.ones(4), np.zeros((2, 4))]))


def test_set_subtensor_value_shape_checks():
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="indexed tensor"):
        T.set_subtensor(x, 1.0)
    with pytest.raises(TypeError, match="3-d value"):
        T.set_subtensor(x[0], T.dtensor3())
    y = T.dvector("y")
    with pytest.raises(ValueError, match="cannot write a value of shape"):
        f([x, y], T.set_subtensor(x[0], y))(np.zeros((2, 3)), np.zeros(2))
    # a length-1 value broadcasts only along a dimension declared broadcastable
    with pytest.raises(ValueError, match="cannot write"):
        f([x, y], T.inc_subtensor(x[0], y))(np.zeros((2, 3)), np.zeros(1))
    out = f([x], T.inc_subtensor(x[0], T.constant([2.0])))(np.zeros((2, 3)))
    np.testing.assert_array_equal(out, [[2, 2, 2], [0, 0, 0]])


def test_inc_subtensor_int_into_float_and_float_into_int():
    x = T.ivector("x")
    out = f([x], T.set_subtensor(x[1:], T.constant(2.7)))(np.zeros(3, "int32"))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [0, 2, 2])


# ----------------------------------------------------------------------- take, nonzero
@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take_matches_numpy(mode, axis):
    x = T.dmatrix("x")
    a = rng.standard_normal((3, 4))
    indices = [0, 2, 1] if mode == "raise" else [5, -7, 1]
    np.testing.assert_array_equal(f([x], T.take(x, indices, axis=axis, mode=mode))(a),
                                  np.take(a, indices, axis=axis, mode=mode))
    np.testing.assert_array_equal(f([x], x.take([[0, 1], [1, 1]], axis=axis))(a),
                                  np.take(a, [[0, 1], [1, 1]], axis=axis))
    np.testing.assert_array_equal(f([x], T.take(x, 1, axis=axis))(a), np.take(a, 1, axis=axis))


def test_take_raise_out_of_range():
    x = T.dvector("x")
    with pytest.raises(IndexError):
        f([x], T.take(x, [3]))(np.zeros(3))


def test_nonzero_family():
    x = T.dmatrix("x")
    a = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, -1.0]])
    rows, cols = T.nonzero(x)
    got = f([x], [rows, cols])(a)
    for g, e in zip(got, np.nonzero(a)):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == np.int64
    np.testing.assert_array_equal(f([x], x.nonzero(return_matrix=True))(a),
                                  np.array(np.nonzero(a)))
    np.testing.assert_array_equal(f([x], T.flatnonzero(x))(a), np.flatnonzero(a))
    np.testing.assert_array_equal(f([x], x.nonzero_values())(a), a[a != 0])
    np.testing.assert_array_equal(f([x], T.nonzero(x)[0])(np.zeros((2, 3))), [])
    with pytest.raises(TypeError):
        T.nonzero(T.dscalar())


# ----------------------------------------------------------------------- properties
_SHAPE = (4, 5, 3)


@st.composite
def _basic_index(draw):
    entries = []
    axis = 0
    bound = st.one_of(st.none(), st.integers(-7, 7))
    ellipsis_used = False
    while axis < len(_SHAPE) and draw(st.booleans()):
        kind = draw(st.sampled_from(["int", "slice", "new", "ellipsis"]))
        if kind == "int":
            entries.append(draw(st.integers(-_SHAPE[axis], _SHAPE[axis] - 1)))
            axis += 1
        elif kind == "slice":
            step = draw(st.one_of(st.none(), st.integers(-3, 3).filter(bool)))
            entries.append(slice(draw(bound), draw(bound), step))
            axis += 1
        elif kind == "new":
            entries.append(None)
        elif not ellipsis_used:
            entries.append(Ellipsis)
            ellipsis_used = True
            axis = len(_SHAPE)
    return tuple(entries)


@settings(max_examples=30, deadline=None)
@given(_basic_index(), st.booleans())
def test_basic_indexing_property(index, symbolic):
    """Basic indexing, constant or with every int symbolic, agrees with numpy; so does the
    inferred shape."""
    x = T.dtensor3("x")
    a = np.arange(np.prod(_SHAPE), dtype="float64").reshape(_SHAPE)
    scalars, values = [], []

    def lift(v):
        if symbolic and isinstance(v, int):
            s = T.lscalar()
            scalars.append(s)
            values.append(v)
            return s
        return v

    built = tuple(slice(lift(e.start), lift(e.stop), lift(e.step)) if isinstance(e, slice)
                  else lift(e) for e in index)
    out = x[built]
    shape = [out.owner.op.infer_shape(out.owner, [[x.shape[k] for k in range(3)]] + [
        [] for _ in out.owner.inputs[1:]])[0][k] for k in range(out.ndim)]
    result, *sizes = f([x] + scalars, [out] + shape)(a, *values)
    np.testing.assert_array_equal(result, a[index])
    assert tuple(int(s) for s in sizes) == a[index].shape
    assert all(result.shape[d] == 1 for d, b in enumerate(out.broadcastable) if b)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-4, 3), min_size=1, max_size=6),
       st.lists(st.integers(-5, 4), min_size=1, max_size=6))
def test_inc_subtensor_property(rows, cols):
    """inc_subtensor with repeated advanced indices is np.add.at; set is numpy assignment."""
    n = min(len(rows), len(cols))
    rows, cols = np.array(rows[:n]), np.array(cols[:n])
    x, v = T.dmatrix("x"), T.dvector("v")
    a, b = rng.standard_normal((4, 5)), rng.standard_normal(n)
    got = f([x, v], T.inc_subtensor(x[rows, cols], v))(a, b)
    expected = a.copy()
    np.add.at(expected, (rows, cols), b)
    np.testing.assert_allclose(got, expected)
    got = f([x, v], T.set_subtensor(x[rows, cols], v))(a, b)
    expected = a.copy()
    expected[rows, cols] = b
    np.testing.assert_allclose(got, expected)
