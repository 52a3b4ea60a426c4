"""Reductions and cumulative ops against numpy: values, dtypes, axes, keepdims, gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arignote
import arignote.tensor as T
from arignote.gradient import verify_grad

RNG = np.random.default_rng(3)
X3 = RNG.uniform(-2, 2, (2, 3, 4))
AXES = [None, 0, -1, 1, (0, 2), (2, 0), (), (0, 1, 2), [1, -1]]


def run(build, *values):
    """Compile ``build`` on inputs typed like ``values`` and call it on them."""
    inputs = [T.TensorType(np.asarray(v).dtype.name, (False,) * np.ndim(v))() for v in values]
    return arignote.function(inputs, build(*inputs))(*values)


def np_axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def flat_arg(fn, x, axis, keepdims):
    """numpy argmax/argmin over several axes: the index into those axes flattened."""
    if axis is None:
        axis = tuple(range(x.ndim))
    axis = [a % x.ndim for a in (axis if isinstance(axis, (tuple, list)) else [axis])]
    kept = [a for a in range(x.ndim) if a not in axis]
    moved = np.transpose(x, kept + sorted(axis))
    result = fn(moved.reshape(moved.shape[:len(kept)] + (-1,)), axis=-1)
    if keepdims:
        result = np.expand_dims(result, tuple(sorted(axis)))
    return result


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "all", "any"])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_matches_numpy(name, axis, keepdims):
    x = X3 if name not in ("all", "any") else X3 > 0
    got = run(lambda v: getattr(T, name)(v, axis=axis, keepdims=keepdims), x)
    want = getattr(np, name)(x, axis=np_axis(axis), keepdims=keepdims)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (1, 2), [2, 0]])
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax_argmin(name, axis, keepdims):
    got = run(lambda v: getattr(T, name)(v, axis=axis, keepdims=keepdims), X3)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, flat_arg(getattr(np, name), X3, axis, keepdims))


def test_argmax_none_is_numpy_flat_index():
    assert int(run(lambda v: T.argmax(v), X3)) == X3.argmax()


@pytest.mark.parametrize("dtype, out", [
    ("bool", "int64"), ("int8", "int64"), ("int16", "int64"), ("int32", "int64"),
    ("int64", "int64"), ("uint8", "uint64"), ("uint32", "uint64"), ("float16", "float16"),
    ("float32", "float32"), ("float64", "float64")])
def test_sum_prod_dtypes(dtype, out):
    x = T.TensorType(dtype, (False, False))()
    assert T.sum(x).dtype == out
    assert T.prod(x, axis=0).dtype == out
    assert T.cumsum(x).dtype == out
    assert T.max(x).dtype == dtype
    assert T.argmax(x).dtype == "int64"
    assert T.all(x).dtype == T.any(x, axis=1).dtype == "bool"


def test_sum_int8_does_not_overflow():
    x = np.full((300,), 100, dtype="int8")
    assert int(run(lambda v: T.sum(v), x)) == 30000
    assert int(run(lambda v: T.cumsum(v), x)[-1]) == 30000


def test_sum_explicit_dtype_and_acc_dtype():
    x = T.bvector()
    assert T.sum(x, dtype="int16").dtype == "int16"
    assert T.sum(x, acc_dtype="int32").dtype == "int64"
    value = np.array([100, 100, 100], dtype="int8")
    assert int(arignote.function([x], T.sum(x, dtype="int16"))(value)) == 300
    f = T.fvector()
    assert T.sum(f, dtype="float64").dtype == "float64"
    assert T.mean(f).dtype == "float32"


def test_float16_sum_accumulates_in_float32():
    x = np.full((4096,), 1.0, dtype="float16")
    result = run(lambda v: T.sum(v), x)
    assert result.dtype == np.float16 and float(result) == 4096.0
    mean = run(lambda v: T.mean(v), x)
    assert mean.dtype == np.float16 and float(mean) == 1.0


@pytest.mark.parametrize("dtype, out", [("int8", "float64"), ("int64", "float64"),
                                        ("bool", "float64"), ("float32", "float32"),
                                        ("float64", "float64")])
def test_mean_dtype(dtype, out):
    # Theano: sum (int64 for ints) divided by a float64 count gives float64.
    assert T.mean(T.TensorType(dtype, (False,))()).dtype == out


def test_mean_of_ints_value():
    x = np.array([[1, 2], [4, 4]], dtype="int32")
    np.testing.assert_allclose(run(lambda v: T.mean(v, axis=0), x), [2.5, 3.0])


@pytest.mark.parametrize("axis", [None, 0, (1, 2)])
@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("corrected", [False, True])
def test_var_std(axis, ddof, keepdims, corrected):
    for name in ("var", "std"):
        got = run(lambda v: getattr(T, name)(v, axis=axis, ddof=ddof, keepdims=keepdims,
                                             corrected=corrected), X3)
        want = getattr(np, name)(X3, axis=axis, ddof=ddof, keepdims=keepdims)
        np.testing.assert_allclose(got, want, rtol=1e-10)


def test_var_float32_keeps_dtype():
    assert T.var(T.fmatrix(), axis=0).dtype == "float32"
    assert T.std(T.fmatrix()).dtype == "float32"


@pytest.mark.parametrize("L", [0, 1, 2, 3, 2.5, np.inf, -np.inf])
@pytest.mark.parametrize("axis", [None, 1])
def test_norm(L, axis):
    got = run(lambda v: T.norm(v, L, axis=axis), X3[0])
    if L == 0:
        want = np.count_nonzero(X3[0], axis=axis)
    elif np.isinf(L):
        want = (np.max if L > 0 else np.min)(np.abs(X3[0]), axis=axis)
    else:
        want = (np.abs(X3[0]) ** L).sum(axis=axis) ** (1.0 / L)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, 2])
def test_cumulative(name, axis):
    got = run(lambda v: getattr(T, name)(v, axis=axis), X3)
    np.testing.assert_allclose(got, getattr(np, name)(X3, axis=axis), rtol=1e-12)


def test_max_and_argmax():
    maximum, index = run(lambda v: T.max_and_argmax(v, axis=1), X3)
    np.testing.assert_array_equal(maximum, X3.max(1))
    np.testing.assert_array_equal(index, X3.argmax(1))


def test_tensor_methods():
    x = T.dmatrix()
    value = X3[0]
    outputs = [x.sum(axis=0), x.prod(), x.mean(1), x.max(), x.min(axis=0), x.argmax(axis=1),
               x.argmin(), x.var(), x.std(axis=0), x.norm(2, axis=1), x.cumsum(1),
               x.cumprod(), (x > 0).all(), (x > 0).any(axis=1), x.size]
    got = arignote.function([x], outputs)(value)
    want = [value.sum(0), value.prod(), value.mean(1), value.max(), value.min(0),
            value.argmax(1), value.argmin(), value.var(), value.std(0),
            np.sqrt((value ** 2).sum(1)), value.cumsum(1), value.cumprod(), (value > 0).all(),
            (value > 0).any(1), value.size]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_axis_errors():
    x = T.dmatrix()
    with pytest.raises(ValueError, match="out of bounds"):
        T.sum(x, axis=2)
    with pytest.raises(ValueError, match="out of bounds"):
        T.max(x, axis=-3)
    with pytest.raises(ValueError, match="repeated"):
        T.sum(x, axis=(1, -1))
    with pytest.raises(TypeError, match="constant"):
        T.sum(x, axis=T.lscalar())
    with pytest.raises(TypeError, match="integers"):
        T.sum(x, axis=1.5)


def test_constant_axis_is_accepted():
    x = T.dmatrix()
    assert T.sum(x, axis=T.constant(1)).ndim == 1


def test_empty_reductions():
    empty = np.zeros((0, 3))
    np.testing.assert_array_equal(run(lambda v: T.sum(v, axis=0), empty), np.zeros(3))
    np.testing.assert_array_equal(run(lambda v: T.prod(v, axis=0), empty), np.ones(3))
    np.testing.assert_array_equal(run(lambda v: T.all(v, axis=0), empty), np.ones(3, bool))
    with pytest.raises(ValueError, match="empty"):
        run(lambda v: T.max(v, axis=0), empty)
    np.testing.assert_array_equal(run(lambda v: T.max(v, axis=1), empty), np.zeros(0))


def test_keepdims_is_broadcastable():
    x = T.tensor3()
    assert T.sum(x, axis=(0, 2), keepdims=True).broadcastable == (True, False, True)
    assert T.argmax(x, axis=1, keepdims=True).broadcastable == (False, True, False)
    row = T.row()
    assert T.max(row, axis=1).broadcastable == (True,)


# ----------------------------------------------------------------------- gradients
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
def test_gradients(name, axis):
    x = RNG.permutation(24).reshape(2, 3, 4) / 10.0 + 0.3  # distinct, positive
    verify_grad(lambda v: getattr(T, name)(v, axis=axis), [x], rng=np.random.default_rng(0))


@pytest.mark.parametrize("L", [1, 2, 3, np.inf])
def test_norm_gradients(L):
    x = RNG.permutation(12).reshape(3, 4) / 5.0 + 0.2
    verify_grad(lambda v: T.norm(v, L, axis=0), [x], rng=np.random.default_rng(0))


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("axis", [None, 0, 2])
def test_cumulative_gradients(name, axis):
    x = RNG.uniform(0.5, 1.5, (2, 3, 4))
    verify_grad(lambda v: getattr(T, name)(v, axis=axis), [x], rng=np.random.default_rng(0))


def test_prod_gradient_with_zeros():
    x = T.dmatrix()
    value = np.array([[2.0, 3.0, 4.0], [2.0, 0.0, 4.0], [0.0, 3.0, 0.0]])
    g = arignote.function([x], T.grad(T.sum(T.prod(x, axis=1)), x))(value)
    np.testing.assert_allclose(g, [[12.0, 8.0, 6.0], [0.0, 8.0, 0.0], [0.0, 0.0, 0.0]])
    verify_grad(lambda v: T.prod(v, axis=1), [value], rng=np.random.default_rng(0))


def test_max_gradient_goes_to_every_tied_maximum():
    x = T.dvector()
    g = arignote.function([x], T.grad(T.max(x), x))(np.array([1.0, 3.0, 3.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 0.0])


def test_integer_reductions_have_no_gradient():
    x = T.dvector()
    cost = T.sum(x) + T.cast(T.argmax(x), "float64") + T.cast(T.sum(T.cast(x, "int32")),
                                                               "float64")
    g = arignote.function([x], T.grad(cost, x))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [1.0, 1.0])


@pytest.mark.parametrize("build", [
    lambda v: T.prod(v, axis=0),
    lambda v: T.max(v, axis=1) * T.min(v, axis=0).sum(),
    lambda v: T.var(v, axis=0),
    lambda v: T.std(v),
    lambda v: T.cumprod(v, axis=1),
    lambda v: T.norm(v, 3),
], ids=["prod", "max_min", "var", "std", "cumprod", "norm3"])
def test_second_derivatives(build):
    x = RNG.permutation(12).reshape(3, 4) / 6.0 + 0.4
    verify_grad(lambda v: T.grad(T.sum(build(v) ** 2), v), [x],
                rng=np.random.default_rng(0))


def test_prod_hessian_with_one_zero():
    value = np.array([[1.5, 0.0, 2.0], [0.5, 1.2, 0.7]])
    verify_grad(lambda v: T.grad(T.sum(T.prod(v, axis=1)), v), [value],
                rng=np.random.default_rng(0))


# ----------------------------------------------------------------------- hypothesis
@st.composite
def array_and_axis(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    data = np.asarray(draw(st.lists(st.integers(-50, 50), min_size=int(np.prod(shape)),
                                    max_size=int(np.prod(shape)))), dtype="float64")
    axes = draw(st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda a: a % ndim,
                         max_size=ndim))
    axis = draw(st.sampled_from([None, tuple(axes)] + ([axes[0]] if axes else [])))
    return data.reshape(shape) / 7.0, axis


@settings(max_examples=40, deadline=None)
@given(array_and_axis(), st.booleans())
def test_reductions_hypothesis(case, keepdims):
    x, axis = case
    got = run(lambda v: [T.sum(v, axis=axis, keepdims=keepdims),
                         T.max(v, axis=axis, keepdims=keepdims),
                         T.mean(v, axis=axis, keepdims=keepdims)], x)
    np.testing.assert_allclose(got[0], np.sum(x, axis=axis, keepdims=keepdims), atol=1e-12)
    np.testing.assert_array_equal(got[1], np.max(x, axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(got[2], np.mean(x, axis=axis, keepdims=keepdims), atol=1e-12)
