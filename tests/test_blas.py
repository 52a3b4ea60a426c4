"""dot, tensordot, outer, batched_dot against numpy; gradients by finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arignote
import arignote.tensor as T
from arignote.compiler.ops.blas import BatchedDot, Dot
from arignote.gradient import verify_grad

rng = np.random.default_rng(1)


def f(inputs, outputs):
    return arignote.function(inputs, outputs)


def _tensor(ndim, dtype="float64", name=None):
    return T.TensorType(dtype, (False,) * ndim)(name)


@pytest.mark.parametrize("shapes", [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)),
                                    ((3, 4), (4, 2)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)),
                                    ((2, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4)), ((), (3, 2)),
                                    ((2, 3), ())])
def test_dot_matches_numpy(shapes):
    a, b = (rng.standard_normal(s) for s in shapes)
    x, y = _tensor(len(shapes[0])), _tensor(len(shapes[1]))
    out = T.dot(x, y)
    result = f([x, y], out)(a, b)
    np.testing.assert_allclose(result, np.dot(a, b), rtol=1e-12)
    assert out.ndim == np.ndim(np.dot(a, b))
    verify_grad(T.dot, [a, b], rng=np.random.default_rng(0))


def test_dot_types_and_broadcast():
    assert T.dot(T.fmatrix(), T.dvector()).dtype == "float64"
    assert T.dot(T.imatrix(), T.ivector()).dtype == "int32"
    assert T.dot(T.fmatrix(), T.bvector()).dtype == "float32"
    assert T.dot(T.drow(), T.dmatrix()).broadcastable == (True, False)
    assert T.dot(T.dmatrix(), T.dcol()).broadcastable == (False, True)
    assert isinstance(T.dot(T.dmatrix(), T.dmatrix()).owner.op, Dot)
    a = np.arange(6, dtype="int32").reshape(2, 3)
    x = T.imatrix()
    result = f([x], T.dot(x, x.T))(a)
    assert result.dtype == np.int32
    np.testing.assert_array_equal(result, a @ a.T)


def test_dot_mismatch_names_both_shapes():
    x, y = T.dmatrices("x", "y")
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        f([x, y], T.dot(x, y))(np.zeros((2, 3)), np.zeros((4, 5)))
    with pytest.raises(ValueError):
        f([x, y], T.dot(x, y[0]))(np.zeros((2, 3)), np.zeros((4, 5)))
    with pytest.raises(TypeError):
        Dot()(T.dtensor3(), T.dmatrix())


def test_second_derivative_of_quadratic_form():
    x = T.dvector("x")
    A = T.dmatrix("A")
    g = T.grad(T.dot(x, T.dot(A, x)), x)
    H = T.grad(g[1], x)
    a = rng.standard_normal((3, 3))
    np.testing.assert_allclose(f([x, A], H)(np.ones(3), a), (a + a.T)[1])


def test_matmul_operator_and_outer():
    x, y = T.dmatrices("x", "y")
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(f([x, y], x @ y)(a, b), a @ b)
    np.testing.assert_allclose(f([x, y], T.outer(x, y))(a, b), np.outer(a, b))
    verify_grad(T.outer, [rng.standard_normal(3), rng.standard_normal(2)])


@pytest.mark.parametrize("shapes, axes", [
    (((2, 3, 4), (3, 4, 5)), 2), (((2, 3, 4), (4, 3)), [[1, 2], [1, 0]]),
    (((2, 3), (3, 2)), [[0], [1]]), (((2, 3), (4,)), 0), (((3, 4), (3, 4)), 2),
    (((2, 3, 4), (2, 3, 4)), 3), (((2, 3, 4), (4, 2)), [[-1, 0], [0, -1]]),
    (((3,), (3,)), 1), (((2, 1, 3), (3, 1)), [[2], [0]]),
])
def test_tensordot_matches_numpy(shapes, axes):
    a, b = (rng.standard_normal(s) for s in shapes)
    x, y = _tensor(a.ndim), _tensor(b.ndim)
    out = T.tensordot(x, y, axes)
    expected = np.tensordot(a, b, axes)
    np.testing.assert_allclose(f([x, y], out)(a, b), expected, rtol=1e-12)
    assert out.ndim == expected.ndim
    verify_grad(lambda p, q: T.tensordot(p, q, axes), [a, b], rng=np.random.default_rng(2))


def test_tensordot_keeps_broadcastable_dims():
    x = T.TensorType("float64", (False, True, False))()
    assert T.tensordot(x, T.dmatrix(), [[2], [0]]).broadcastable == (False, True, False)


def test_tensordot_bad_axes():
    with pytest.raises(ValueError, match="different lengths"):
        T.tensordot(T.dmatrix(), T.dmatrix(), [[0, 1], [0]])
    with pytest.raises(ValueError, match="out of range"):
        T.tensordot(T.dmatrix(), T.dmatrix(), [[2], [0]])
    with pytest.raises(ValueError, match="cannot sum over 3 axes"):
        T.tensordot(T.dmatrix(), T.dmatrix(), 3)


@pytest.mark.parametrize("shapes, subscripts", [
    (((3, 2, 4), (3, 4, 5)), "bij,bjk->bik"), (((3, 2, 4), (3, 4)), "bij,bj->bi"),
    (((3, 4), (3, 4, 2)), "bj,bjk->bk"), (((3, 4), (3, 4)), "bj,bj->b"),
    (((3,), (3, 4)), "b,bj->bj"), (((3, 2, 4), (3,)), "bij,b->bij"),
    (((2, 3, 4, 5), (2, 5, 3)), "bijk,bkl->bijl"),
])
def test_batched_dot_matches_einsum(shapes, subscripts):
    a, b = (rng.standard_normal(s) for s in shapes)
    x, y = _tensor(a.ndim), _tensor(b.ndim)
    out = T.batched_dot(x, y)
    np.testing.assert_allclose(f([x, y], out)(a, b), np.einsum(subscripts, a, b), rtol=1e-12)
    verify_grad(T.batched_dot, [a, b], rng=np.random.default_rng(3))


def test_batched_dot_errors_and_types():
    x, y = T.dtensor3("x"), T.dtensor3("y")
    assert isinstance(T.batched_dot(x, y).owner.op, BatchedDot)
    assert T.batched_dot(T.ftensor3(), T.fmatrix()).dtype == "float32"
    with pytest.raises(ValueError, match="batch"):
        f([x, y], T.batched_dot(x, y))(np.zeros((2, 3, 4)), np.zeros((3, 4, 5)))
    with pytest.raises(ValueError):
        f([x, y], T.batched_dot(x, y))(np.zeros((2, 3, 4)), np.zeros((2, 3, 5)))
    with pytest.raises(TypeError):
        T.batched_dot(T.dscalar(), x)


def test_batched_tensordot():
    a, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 5, 4))
    x, y = _tensor(4), _tensor(3)
    out = T.batched_tensordot(x, y, [[2, 3], [2, 1]])
    np.testing.assert_allclose(f([x, y], out)(a, b), np.einsum("bijk,bkj->bi", a, b))
    out = T.batched_tensordot(x, y, 1)
    np.testing.assert_allclose(f([x, y], out)(a, b), np.einsum("bijk,bkl->bijl", a, b))
    with pytest.raises(ValueError, match="batch axis"):
        T.batched_tensordot(x, y, [[0], [0]])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2),
       st.integers(0, 2))
def test_dot_property(m, k, n, a_rank, b_rank):
    """T.dot agrees with numpy.dot over vector/matrix/tensor3 combinations."""
    a_shape = [(k,), (m, k), (2, m, k)][a_rank]
    b_shape = [(k,), (k, n), (2, k, n)][b_rank]
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    x, y = _tensor(a.ndim), _tensor(b.ndim)
    np.testing.assert_allclose(f([x, y], T.dot(x, y))(a, b), np.dot(a, b), rtol=1e-12)
