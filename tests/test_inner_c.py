"""IfElse and the Map loop of jacobian/hessian run in the generated C, with no Python."""

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.gradient import hessian, jacobian
from arignote.ifelse import ifelse


def test_ifelse_runs_in_c_and_only_the_chosen_branch():
    x, c = T.dvector("x"), T.dscalar("c")
    i = T.lscalar("i")
    f = arignote.function([c, x, i], ifelse(c > 0, [x.sum(), x * 2], [x[i], x]))
    assert "PyObject_CallOneArg" not in f.source
    total, doubled = f(1.0, np.arange(3.0), 99)     # x[99] is in the branch not taken
    assert total == 3.0 and doubled.tolist() == [0.0, 2.0, 4.0]
    picked, same = f(-1.0, np.arange(3.0), 2)
    assert picked == 2.0 and same.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(IndexError):
        f(-1.0, np.arange(3.0), 99)


def test_ifelse_outputs_do_not_alias_inputs():
    x, c = T.dvector("x"), T.dscalar("c")
    f = arignote.function([c, x], ifelse(c > 0, x, x * 2))
    value = np.arange(3.0)
    out = f(1.0, value)
    out[0] = 42.0
    assert value[0] == 0.0


def test_jacobian_and_hessian_loops_run_in_c():
    x = T.dvector("x")
    J = jacobian(T.exp(x) * x.sum(), x)
    H = hessian((x ** 3).sum() * x[0], x)
    f = arignote.function([x], [J, H])
    assert "PyObject_CallOneArg" not in f.source
    xv = np.array([0.1, -0.2, 0.3])
    jac, hess = f(xv)
    expected_jac = np.diag(np.exp(xv) * xv.sum()) + np.exp(xv)[:, None]
    np.testing.assert_allclose(jac, expected_jac, rtol=1e-12)
    expected_hess = np.diag(6 * xv * xv[0]) + np.outer(np.eye(3)[0], 3 * xv ** 2) \
        + np.outer(3 * xv ** 2, np.eye(3)[0])
    np.testing.assert_allclose(hess, expected_hess, rtol=1e-12)


def test_jacobian_of_an_empty_vector():
    x = T.dvector("x")
    f = arignote.function([x], jacobian(T.tanh(x), x))
    assert f(np.zeros(0)).shape == (0, 0)


def test_boolean_mask_indexing_runs_in_c():
    x = T.dmatrix("x")
    f = arignote.function([x], [x[x > 0], T.grad(T.sum(x[x > 0] ** 2), x)])
    assert "PyObject_CallOneArg" not in f.source
    a = np.random.default_rng(3).normal(size=(4, 5))
    picked, g = f(a)
    np.testing.assert_array_equal(picked, a[a > 0])
    np.testing.assert_allclose(g, 2 * a * (a > 0))


def test_mismatched_boolean_mask_still_raises():
    x, m = T.dvector("x"), T.bvector("m")
    f = arignote.function([x, m], x[T.neq(m, 0)])
    with pytest.raises(IndexError):
        f(np.zeros(3), np.ones(2, dtype="int8"))
