"""Shape ops against numpy: values, broadcast patterns, dtypes, errors and gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arignote
import arignote.tensor as T
from arignote.gradient import verify_grad

RNG = np.random.default_rng(5)
A = RNG.uniform(-2, 2, (3, 4))
X3 = RNG.uniform(-2, 2, (2, 3, 4))


def run(build, *values):
    """Compile ``build`` on inputs typed like ``values`` and call it on them."""
    inputs = [T.TensorType(np.asarray(v).dtype.name, (False,) * np.ndim(v))() for v in values]
    return arignote.function(inputs, build(*inputs))(*values)


def check_grad(build, *values):
    verify_grad(build, [np.asarray(v, dtype="float64") for v in values],
                rng=np.random.default_rng(0))


# ----------------------------------------------------------------------- shapes
def test_shape_and_shape_i():
    x = T.tensor3()
    assert x.shape.dtype == "int64" and x.shape.ndim == 1
    f = arignote.function([x], [x.shape, T.shape_i(x, -1), x.shape[1], x.size])
    shape, last, second, size = f(X3)
    assert shape.tolist() == [2, 3, 4] and int(last) == 4 and int(second) == 3
    assert int(size) == 24


def test_shape_i_folds_broadcastable_dims():
    row = T.row()
    assert int(T.get_scalar_constant_value(T.shape_i(row, 0))) == 1
    assert T.shape_of(row)[0].owner is None


# ----------------------------------------------------------------------- broadcast patterns
def test_patternbroadcast_addbroadcast_unbroadcast():
    x = T.matrix()
    assert T.addbroadcast(x, 0).broadcastable == (True, False)
    assert T.addbroadcast(x, -1).broadcastable == (False, True)
    assert T.unbroadcast(T.row(), 0).broadcastable == (False, False)
    assert T.patternbroadcast(x, (False, False)) is x
    with pytest.raises(ValueError):
        T.patternbroadcast(x, (True,))


def test_addbroadcast_checks_at_run_time():
    with pytest.raises(ValueError, match="broadcastable"):
        run(lambda v: T.addbroadcast(v, 0), A)
    np.testing.assert_array_equal(run(lambda v: T.addbroadcast(v, 0), A[:1]), A[:1])


def test_rebroadcast_gradient():
    check_grad(lambda v: T.addbroadcast(v, 0) * T.ones((3, 1)), A[:1])


# ----------------------------------------------------------------------- allocation
def test_alloc_broadcastable_and_values():
    s = T.dscalar()
    n = T.lscalar()
    y = T.alloc(s, 1, n, 3)
    assert y.broadcastable == (True, False, False)
    np.testing.assert_array_equal(arignote.function([s, n], y)(2.0, 2), np.full((1, 2, 3), 2.0))
    assert T.alloc(s, (2, 3)).ndim == 2


def test_alloc_errors():
    v = T.dvector()
    with pytest.raises(TypeError, match="dimensions"):
        T.alloc(T.dmatrix(), 3)
    with pytest.raises(TypeError, match="integer"):
        T.alloc(v, 2.5, 3)
    with pytest.raises(ValueError, match="cannot fill"):
        arignote.function([v], T.alloc(v, 2, 3))(np.zeros(4))
    with pytest.raises(ValueError, match="cannot fill"):
        # A non-broadcastable length-1 dimension does not stretch (Theano's strict rule).
        arignote.function([v], T.alloc(v, 2, 3))(np.zeros(1))


def test_alloc_gradient():
    check_grad(lambda v: T.alloc(v, 2, 3, 4), A[0])
    check_grad(lambda s: T.alloc(s, 3, 2), np.array(0.7))


def test_fill_zeros_ones_like():
    x = T.dmatrix()
    assert T.zeros_like(x).dtype == "float64"
    assert T.zeros_like(x, dtype="int8").dtype == "int8"
    assert T.ones_like(T.row()).broadcastable == (True, False)
    assert T.fill(x, T.constant(3, dtype="int32")).dtype == "int32"
    f = arignote.function([x], [T.zeros_like(x), T.ones_like(x), T.fill(x, 2.5), x.zeros_like(),
                                x.ones_like(dtype="int64"), x.fill(-1.0)])
    z, o, t, z2, o2, m = f(A)
    np.testing.assert_array_equal(z, np.zeros_like(A))
    np.testing.assert_array_equal(o, np.ones_like(A))
    np.testing.assert_array_equal(t, np.full_like(A, 2.5))
    np.testing.assert_array_equal(z2, np.zeros_like(A))
    assert o2.dtype == np.int64 and m.tolist() == np.full_like(A, -1.0).tolist()


def test_fill_broadcasts_model_and_value():
    col = T.TensorType("float64", (False, True))()
    v = T.dvector()
    y = T.fill(col, v)
    assert y.broadcastable == (False, False)
    result = arignote.function([col, v], y)(np.zeros((2, 1)), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(result, [[1, 2, 3], [1, 2, 3]])


@pytest.mark.parametrize("maker, value", [(T.zeros, 0), (T.ones, 1)])
def test_zeros_ones(maker, value):
    x = T.dmatrix()
    assert maker((2, 3)).dtype == arignote.config.floatX
    assert maker(4, dtype="int32").dtype == "int32"
    assert maker((1, 3)).broadcastable == (True, False)
    f = arignote.function([x], [maker(x.shape), maker((x.shape[1], 2)), maker(5)])
    a, b, c = f(A)
    np.testing.assert_array_equal(a, np.full(A.shape, value))
    np.testing.assert_array_equal(b, np.full((4, 2), value))
    np.testing.assert_array_equal(c, np.full(5, value))


def test_zeros_of_vector_with_unknown_length_asks_for_a_tuple():
    with pytest.raises(TypeError, match="not known"):
        T.zeros(T.lvector())


def test_eye_identity_like():
    assert T.eye(3).dtype == arignote.config.floatX
    n = T.lscalar()
    f = arignote.function([n], [T.eye(n), T.eye(n, 2, -1, dtype="int32")])
    square, wide = f(3)
    np.testing.assert_array_equal(square, np.eye(3))
    np.testing.assert_array_equal(wide, np.eye(3, 2, -1, dtype="int32"))
    assert wide.dtype == np.int32
    np.testing.assert_array_equal(run(lambda v: T.identity_like(v), A), np.eye(3, 4))


@pytest.mark.parametrize("args, dtype", [
    ((5,), "int64"), ((1, 7, 2), "int64"), ((7, 1, -2), "int64"), ((0.5, 3.0), "float32"),
    ((0.1, 1.0, 0.3), "float64"), ((0, 3, 0.5), "float32")])
def test_arange(args, dtype):
    r = T.arange(*args)
    assert r.dtype == dtype
    want = np.arange(*args)
    np.testing.assert_allclose(r.eval(), want.astype(dtype), rtol=1e-6)


def test_arange_symbolic_and_dtype():
    n = T.iscalar()
    r = T.arange(n)
    assert r.dtype == "int64"
    assert T.arange(n, dtype="float32").dtype == "float32"
    np.testing.assert_array_equal(arignote.function([n], r)(4), np.arange(4))
    with pytest.raises(ValueError, match="zero"):
        T.arange(0, 3, 0).eval()


def test_arange_gradient():
    check_grad(lambda start, step: T.arange(start, 10.0, step), np.array(0.5), np.array(1.5))


# ----------------------------------------------------------------------- reshaping
def test_reshape_forms():
    x = T.dmatrix()
    n = T.lscalar()
    v = T.lvector()
    outs = [T.reshape(x, (2, -1)), x.reshape((n, 2, -1)), T.reshape(x, v, ndim=1),
            x.reshape(12), T.reshape(x, (x.shape[1], x.shape[0])), x.reshape(x.shape[::-1])]
    f = arignote.function([x, n, v], outs, on_unused_input="ignore")
    got = f(A, 3, np.array([12]))
    for g, w in zip(got, [A.reshape(2, -1), A.reshape(3, 2, -1), A.reshape(12), A.reshape(12),
                          A.reshape(4, 3), A.reshape(4, 3)]):
        np.testing.assert_array_equal(g, w)


def test_reshape_broadcastable():
    x = T.dmatrix()
    n = T.lscalar()
    assert T.reshape(x, (1, -1)).broadcastable == (True, False)
    assert T.reshape(x, (n, 1, 1)).broadcastable == (False, True, True)
    assert T.reshape(T.row(), T.row().shape).broadcastable == (True, False)


def test_reshape_errors():
    x = T.dmatrix()
    with pytest.raises(ValueError, match="ndim"):
        T.reshape(x, T.lvector())
    with pytest.raises(TypeError, match="int vector"):
        T.reshape(x, T.dvector(), ndim=1)
    with pytest.raises(ValueError, match="cannot reshape"):
        run(lambda v: T.reshape(v, (5, -1)), A)
    with pytest.raises(ValueError, match="at most one -1"):
        run(lambda v: T.reshape(v, (-1, -1)), A)
    with pytest.raises(ValueError, match="length"):
        arignote.function([x], T.reshape(x, T.constant(np.array([12], dtype="int64")),
                                         ndim=2))


def test_reshape_gradient_and_hessian():
    check_grad(lambda v: T.reshape(v, (2, 6)) ** 2, A)
    check_grad(lambda v: T.grad(T.sum(T.reshape(v, (6, 2)) ** 3), v), A)


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_flatten(ndim):
    got = run(lambda v: T.flatten(v, ndim), X3)
    np.testing.assert_array_equal(got, X3.reshape(X3.shape[:ndim - 1] + (-1,)))
    assert T.flatten(T.tensor3(), outdim=2).ndim == 2
    assert T.dmatrix().flatten().ndim == 1 and T.dmatrix().ravel().ndim == 1


def test_flatten_broadcastable_and_errors():
    x = T.TensorType("float64", (True, False, True))()
    assert T.flatten(x, 2).broadcastable == (True, False)
    assert T.flatten(T.TensorType("float64", (False, True, True))(), 2).broadcastable == \
        (False, True)
    with pytest.raises(ValueError):
        T.flatten(T.dmatrix(), 3)
    check_grad(lambda v: T.flatten(v, 2), X3)


def test_squeeze():
    x = T.TensorType("float64", (True, False, True))()
    assert T.squeeze(x).broadcastable == (False,)
    assert T.squeeze(T.tensor3(), axis=1).ndim == 2
    np.testing.assert_array_equal(run(lambda v: T.squeeze(v, axis=1), X3[:, :1]), X3[:, 0])
    with pytest.raises(ValueError):
        run(lambda v: T.squeeze(v, axis=1), X3)


def test_shape_pad():
    x = T.dmatrix()
    assert T.shape_padleft(x, 2).broadcastable == (True, True, False, False)
    assert T.shape_padright(x).broadcastable == (False, False, True)
    assert T.shape_padaxis(x, 1).broadcastable == (False, True, False)
    assert T.shape_padaxis(x, -1).broadcastable == (False, False, True)
    with pytest.raises(IndexError):
        T.shape_padaxis(x, 4)


def test_specify_shape():
    x = T.dmatrix()
    y = T.specify_shape(x, (1, 4))
    assert y.broadcastable == (True, False)
    np.testing.assert_array_equal(arignote.function([x], y)(A[:1]), A[:1])
    with pytest.raises(ValueError, match="expected shape"):
        arignote.function([x], T.specify_shape(x, (3, 5)))(A)
    with pytest.raises(ValueError):
        T.specify_shape(x, (3,))
    check_grad(lambda v: T.specify_shape(v, (3, 4)) * 2.0, A)


# ----------------------------------------------------------------------- joining, splitting
def test_join_concatenate_forms():
    a, b = T.dmatrices("a", "b")
    f = arignote.function([a, b], [T.join(0, a, b), T.join(-1, a, b), T.concatenate([a, b]),
                                   T.concatenate((a, b, a), axis=1), T.join(1, [a, b])])
    got = f(A, A * 2)
    want = [np.concatenate([A, A * 2]), np.concatenate([A, A * 2], 1),
            np.concatenate([A, A * 2]), np.concatenate([A, A * 2, A], 1),
            np.concatenate([A, A * 2], 1)]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert T.join(0, a) is a


def test_join_types():
    a = T.dmatrix()
    row = T.row()
    assert T.join(0, T.imatrix(), T.fmatrix()).dtype == "float64"
    assert T.join(0, row, row).broadcastable == (False, False)
    assert T.join(1, row, row).broadcastable == (True, False)
    assert T.join(0, row).broadcastable == (True, False)
    with pytest.raises(TypeError):
        T.join(0, a, T.dvector())
    with pytest.raises(TypeError):
        T.concatenate(a)
    with pytest.raises(TypeError, match="constant"):
        T.join(T.lscalar(), a, a)


def test_join_runtime_mismatch():
    a, b = T.dmatrices("a", "b")
    with pytest.raises(ValueError, match="must match"):
        arignote.function([a, b], T.join(0, a, b))(A, np.zeros((2, 3)))


def test_join_gradient():
    check_grad(lambda a, b: T.join(1, a, b, a), A, A[:, :2])
    check_grad(lambda a, b: T.grad(T.sum(T.join(0, a, b) ** 3), a), A, A[:1])


def test_stack_forms():
    a, b = T.dvectors("a", "b")
    s, t = T.dscalars("s", "t")
    f = arignote.function([a, b, s, t], [T.stack([a, b]), T.stack([a, b], axis=1),
                                         T.stack(a, b), T.stack([a, b], -1), T.stack([s, t]),
                                         T.stack([s, 2]), T.stack([a, b], 1)])
    x, y = A[0], A[1]
    got = f(x, y, 1.5, 2.5)
    want = [np.stack([x, y]), np.stack([x, y], 1), np.stack([x, y]), np.stack([x, y], -1),
            [1.5, 2.5], [1.5, 2.0], np.stack([x, y], 1)]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert T.stack([s]).broadcastable == (True,)
    assert T.stack([T.iscalar(), T.bscalar()]).dtype == "int32"
    with pytest.raises(TypeError):
        T.stack([a, T.dmatrix()])


def test_as_tensor_variable_of_a_list_of_scalars():
    n = T.lscalar()
    v = T.as_tensor_variable([n, 2])
    assert v.ndim == 1 and v.dtype == "int64"
    np.testing.assert_array_equal(arignote.function([n], v)(5), [5, 2])


def test_stack_gradients():
    check_grad(lambda a, b: T.stack([a, b], axis=1), A[0], A[1])
    check_grad(lambda a, b: T.stack([a * b, a, b]), np.array(1.5), np.array(-0.5))


def test_split():
    x = T.dmatrix()
    n = T.lscalar()
    a, b, c = T.split(x, [1, n, 2], 3, axis=-1)
    got = arignote.function([x, n], [a, b, c])(A, 1)
    for g, w in zip(got, np.split(A, [1, 2], axis=1)):
        np.testing.assert_array_equal(g, w)
    sizes = T.lvector()
    parts = T.split(x, sizes, 2)
    got = arignote.function([x, sizes], parts)(A, np.array([3, 0]))
    assert got[0].shape == (3, 4) and got[1].shape == (0, 4)
    with pytest.raises(ValueError, match="adding up"):
        arignote.function([x, sizes], parts)(A, np.array([1, 1]))
    with pytest.raises(ValueError, match="adding up"):
        arignote.function([x, sizes], parts)(A, np.array([4, -1]))


def test_split_gradient_with_unused_outputs():
    x = T.dmatrix()
    a, b, c = T.split(x, [1, 1, 2], 3, axis=1)
    g = arignote.function([x], T.grad(T.sum(b * 3.0), x))(A)
    want = np.zeros_like(A)
    want[:, 1] = 3.0
    np.testing.assert_array_equal(g, want)
    check_grad(lambda v: T.split(v, [2, 1], 2)[0] + T.split(v, [2, 1], 2)[1].sum(), A)


# ----------------------------------------------------------------------- tile, repeat, roll
@pytest.mark.parametrize("reps", [(2,), (1, 3), (2, 1, 2), (2, 2, 1, 1)])
def test_tile(reps):
    np.testing.assert_array_equal(run(lambda v: T.tile(v, reps), A), np.tile(A, reps))


def test_tile_symbolic_and_gradient():
    x = T.dmatrix()
    n = T.lscalar()
    np.testing.assert_array_equal(arignote.function([x, n], T.tile(x, (n, 2)))(A, 3),
                                  np.tile(A, (3, 2)))
    assert T.tile(T.row(), (1, 3)).broadcastable == (True, False)
    with pytest.raises(ValueError):
        T.tile(x, (2, 2), ndim=1)
    check_grad(lambda v: T.tile(v, (2, 1, 3)), A)


@pytest.mark.parametrize("repeats, axis", [(2, None), (3, 0), (2, -1), ([1, 0, 2], 0),
                                           ([0, 1, 2, 3], 1), (1, 1)])
def test_repeat(repeats, axis):
    got = run(lambda v: T.repeat(v, np.asarray(repeats), axis=axis), A)
    np.testing.assert_array_equal(got, np.repeat(A, repeats, axis=axis))
    np.testing.assert_array_equal(run(lambda v: v.repeat(np.asarray(repeats), axis), A),
                                  np.repeat(A, repeats, axis=axis))
    check_grad(lambda v: T.repeat(v, np.asarray(repeats), axis=axis), A)


def test_repeat_symbolic_and_errors():
    x = T.dmatrix()
    r = T.lvector()
    f = arignote.function([x, r], T.repeat(x, r, axis=0))
    np.testing.assert_array_equal(f(A, np.array([2, 1, 0])), np.repeat(A, [2, 1, 0], axis=0))
    with pytest.raises(ValueError, match="counts"):
        f(A, np.array([1, 1]))
    with pytest.raises(ValueError, match="negative"):
        f(A, np.array([1, -1, 1]))
    with pytest.raises(TypeError):
        T.repeat(x, 1.5)
    assert T.repeat(T.row(), 1, axis=0).broadcastable == (True, False)


@pytest.mark.parametrize("shift, axis", [(1, None), (-2, None), (7, 1), (-1, 0), (2, -1)])
def test_roll(shift, axis):
    np.testing.assert_array_equal(run(lambda v: T.roll(v, shift, axis), A),
                                  np.roll(A, shift, axis))
    check_grad(lambda v: T.roll(v, shift, axis), A)


def test_roll_symbolic_shift():
    x = T.dvector()
    s = T.iscalar()
    f = arignote.function([x, s], T.roll(x, s))
    np.testing.assert_array_equal(f(A[0], 3), np.roll(A[0], 3))


# ----------------------------------------------------------------------- diagonals
@pytest.mark.parametrize("k", [0, 1, -2, 5])
def test_diag(k):
    np.testing.assert_array_equal(run(lambda v: T.diag(v, k), A[0]), np.diag(A[0], k))
    np.testing.assert_array_equal(run(lambda v: T.diag(v, k), A), np.diag(A, k))
    check_grad(lambda v: T.diag(v, k), A[0])
    if k != 5:
        check_grad(lambda v: T.diag(v, k), A)


@pytest.mark.parametrize("offset, axis1, axis2", [(0, 0, 1), (1, 1, 2), (-1, 2, 0),
                                                  (0, -1, -2)])
def test_diagonal(offset, axis1, axis2):
    got = run(lambda v: T.diagonal(v, offset, axis1, axis2), X3)
    np.testing.assert_array_equal(got, np.diagonal(X3, offset, axis1, axis2))
    np.testing.assert_array_equal(run(lambda v: v.diagonal(offset, axis1, axis2), X3), got)
    check_grad(lambda v: T.diagonal(v, offset, axis1, axis2), X3)


def test_diag_errors():
    with pytest.raises(ValueError):
        T.diag(T.tensor3())
    with pytest.raises(ValueError):
        T.diagonal(T.dvector())
    with pytest.raises(ValueError):
        T.diagonal(T.dmatrix(), 0, 1, 1)


# ----------------------------------------------------------------------- hypothesis
@st.composite
def reshape_case(draw):
    shape = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 3))))
    size = int(np.prod(shape))
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    first = draw(st.sampled_from(divisors))
    target = draw(st.sampled_from([(first, -1), (-1, first), (size,), (first, size // first, 1)]))
    return np.arange(size, dtype="float64").reshape(shape), target


@settings(max_examples=30, deadline=None)
@given(reshape_case())
def test_reshape_hypothesis(case):
    x, target = case
    np.testing.assert_array_equal(run(lambda v: T.reshape(v, target), x), x.reshape(target))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=4), st.integers(0, 1))
def test_split_join_roundtrip_hypothesis(sizes, axis):
    shape = [2, 2]
    shape[axis] = sum(sizes)
    x = np.arange(np.prod(shape), dtype="float64").reshape(shape)
    got = run(lambda v: T.join(axis, *T.split(v, sizes, len(sizes), axis))
              if len(sizes) > 1 else T.split(v, sizes, 1, axis), x)
    np.testing.assert_array_equal(got, x)


def test_shape_slices_have_known_length():
    x = T.tensor3()
    assert T.zeros(x.shape[1:]).ndim == 2
    assert T.reshape(x, x.shape[::-1]).ndim == 3
    assert T.ones(T.concatenate([x.shape, x.shape[:1]])).ndim == 4
    np.testing.assert_array_equal(T.zeros(x.shape[1:]).eval({x: X3}), np.zeros((3, 4)))


def test_stacklists_and_hv_stack():
    a, b, c, d = T.dscalars(4)
    m = T.stacklists([[a, b], [c, d]])
    assert m.ndim == 2
    np.testing.assert_array_equal(arignote.function([a, b, c, d], m)(1, 2, 3, 4),
                                  [[1, 2], [3, 4]])
    x, y = T.dmatrices("x", "y")
    f = arignote.function([x, y], [T.horizontal_stack(x, y), T.vertical_stack(x, y)])
    h, v = f(A, A)
    np.testing.assert_array_equal(h, np.hstack([A, A]))
    np.testing.assert_array_equal(v, np.vstack([A, A]))
