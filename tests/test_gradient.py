"""arignote.gradient: jacobian, hessian, Lop, Rop and the gradient-changing identities,
checked against numpy and finite differences."""

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote import gradient as G
from arignote.compiler.graph import io_toposort
from arignote.compiler.ops.map import Map

_rng = np.random.default_rng(3)


def _fn(inputs, outputs):
    return arignote.function(inputs, outputs, on_unused_input="ignore")


def _numeric_jacobian(f, x, eps=1e-6):
    """d f(x)[i] / d x[j...] by central differences: shape f(x).shape + x.shape."""
    x = np.array(x, dtype=float)
    out = np.asarray(f(x))
    result = np.zeros(out.shape + x.shape)
    for index in np.ndindex(*x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        result[(Ellipsis,) + index] = (np.asarray(f(plus)) - np.asarray(f(minus))) / (2 * eps)
    return result


# ----------------------------------------------------------------------- jacobian
def test_jacobian_matches_finite_differences_for_any_length():
    x, w = T.dvector("x"), T.dmatrix("w")
    y = T.tanh(T.dot(w, x)) * x.sum()
    jx, jw = G.jacobian(y, [x, w])
    f = _fn([x, w], [jx, jw])
    for rows in (1, 4):
        xv, wv = _rng.standard_normal(3), _rng.standard_normal((rows, 3))
        got_x, got_w = f(xv, wv)
        assert got_x.shape == (rows, 3) and got_w.shape == (rows, rows, 3)
        np.testing.assert_allclose(
            got_x, _numeric_jacobian(lambda v, w=wv: np.tanh(w @ v) * v.sum(), xv), atol=1e-6)
        np.testing.assert_allclose(
            got_w, _numeric_jacobian(lambda m, x=xv: np.tanh(m @ x) * x.sum(), wv), atol=1e-6)


def test_jacobian_of_an_empty_vector():
    x = T.dvector("x")
    j = G.jacobian(x[2:] * 2, x)
    assert _fn([x], j)(np.ones(2)).shape == (0, 2)


def test_jacobian_form_follows_wrt():
    x = T.dvector("x")
    assert isinstance(G.jacobian(x * 2, [x]), list)
    assert isinstance(G.jacobian(x * 2, (x,)), tuple)
    assert not isinstance(G.jacobian(x * 2, x), (list, tuple))


def test_jacobian_of_a_scalar_is_the_gradient():
    x = T.dvector("x")
    j = G.jacobian((x ** 2).sum(), x)
    np.testing.assert_allclose(_fn([x], j)(np.array([1.0, 3.0])), [2.0, 6.0])


def test_jacobian_rejects_matrices_and_disconnected_inputs():
    x, z = T.dvectors("x", "z")
    with pytest.raises(TypeError, match="flatten"):
        G.jacobian(T.outer(x, x), x)
    with pytest.raises(G.DisconnectedInputError):
        G.jacobian(x * 2, z)
    j = G.jacobian(x * 2, z, disconnected_inputs="ignore")
    np.testing.assert_array_equal(_fn([x, z], j)(np.ones(3), np.ones(2)), np.zeros((3, 2)))


def test_jacobian_hoists_what_does_not_depend_on_the_row():
    x = T.dvector("x")
    j = G.jacobian(T.exp(x) * 3, x)
    (node,) = [n for n in io_toposort([x], [j]) if isinstance(n.op, Map)]
    assert not any("exp" in str(n.op).lower() for n in node.op.body.toposort())
    assert any("exp" in str(v.owner.op).lower() for v in node.inputs if v.owner is not None)


def test_map_body_can_be_rewritten_into_a_new_op():
    from arignote.compiler.rewrite.pipeline import optimize

    x = T.dvector("x")
    j = G.jacobian(T.log(T.exp(x) + 1.0) * x, x)
    copy, _ = j.owner.op.body.clone()
    optimize(copy)
    rewritten = j.owner.op.with_inner_graphs([copy])(*j.owner.inputs)
    f = _fn([x], [j, rewritten])
    old_value, new_value = f(np.array([0.5, -2.0, 1.0]))
    np.testing.assert_allclose(new_value, old_value)


def test_jacobian_with_consider_constant():
    x = T.dvector("x")
    s = x.sum()
    j = G.jacobian(x * s, x, consider_constant=[s])
    xv = np.array([1.0, 2.0])
    np.testing.assert_allclose(_fn([x], j)(xv), np.eye(2) * 3.0)


def test_gradient_through_a_jacobian():
    G.verify_grad(lambda x: G.jacobian(T.sin(x) * x.sum(), x), [_rng.standard_normal(3)])


# ----------------------------------------------------------------------- hessian
def test_hessian_matches_finite_differences():
    x, y = T.dvectors("x", "y")
    cost = (T.exp(x) * x.sum()).sum() + (x[0] * y ** 3).sum()
    hx, hy = G.hessian(cost, [x, y])
    xv, yv = _rng.standard_normal(3), _rng.standard_normal(2)
    got_x, got_y = _fn([x, y], [hx, hy])(xv, yv)

    def grad_x(v):
        return np.exp(v).sum() + v.sum() * np.exp(v) + np.eye(3)[0] * (yv ** 3).sum()

    np.testing.assert_allclose(got_x, _numeric_jacobian(grad_x, xv), atol=1e-6)
    np.testing.assert_allclose(got_y, _numeric_jacobian(lambda v: 3 * xv[0] * v ** 2, yv),
                               atol=1e-6)


def test_hessian_of_a_linear_cost_is_zero():
    x = T.dvector("x")
    h = G.hessian((x * 3).sum(), x)
    np.testing.assert_array_equal(_fn([x], h)(np.ones(4)), np.zeros((4, 4)))


def test_hessian_needs_a_scalar_cost_and_vectors():
    x, m = T.dvector("x"), T.dmatrix("m")
    with pytest.raises(TypeError, match="scalar"):
        G.hessian(x * 2, x)
    with pytest.raises(TypeError, match="vectors"):
        G.hessian(m.sum(), m)


# ----------------------------------------------------------------------- Lop / Rop
def _mlp(w, x):
    return T.tanh(T.dot(w, x)) ** 2


def _mlp_np(w, x):
    return np.tanh(w @ x) ** 2


def test_lop_is_the_vector_jacobian_product():
    w, x, v = T.dmatrix("w"), T.dvector("x"), T.dvector("v")
    lw, lx = G.Lop(_mlp(w, x), [w, x], v)
    wv, xv, vv = _rng.standard_normal((2, 3)), _rng.standard_normal(3), _rng.standard_normal(2)
    got_w, got_x = _fn([w, x, v], [lw, lx])(wv, xv, vv)
    jac_x = _numeric_jacobian(lambda a: _mlp_np(wv, a), xv)
    jac_w = _numeric_jacobian(lambda a: _mlp_np(a, xv), wv)
    np.testing.assert_allclose(got_x, vv @ jac_x, atol=1e-6)
    np.testing.assert_allclose(got_w, np.tensordot(vv, jac_w, 1), atol=1e-6)


def test_rop_is_the_jacobian_vector_product():
    w, x = T.dmatrix("w"), T.dvector("x")
    vw, vx = T.dmatrix("vw"), T.dvector("vx")
    y = _mlp(w, x)
    r = G.Rop(y, [w, x], [vw, vx])
    wv, xv = _rng.standard_normal((2, 3)), _rng.standard_normal(3)
    vwv, vxv = _rng.standard_normal((2, 3)), _rng.standard_normal(3)
    got = _fn([w, x, vw, vx], r)(wv, xv, vwv, vxv)
    jac_x = _numeric_jacobian(lambda a: _mlp_np(wv, a), xv)
    jac_w = _numeric_jacobian(lambda a: _mlp_np(a, xv), wv)
    expected = jac_x @ vxv + np.tensordot(jac_w, vwv, 2)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_rop_does_not_need_the_placeholder():
    x, v = T.dmatrix("x"), T.dmatrix("v")
    y = T.nnet.softmax(x)
    r = G.Rop(y, x, v)
    xv, vv = _rng.standard_normal((2, 3)), _rng.standard_normal((2, 3))
    got = _fn([x, v], r)(xv, vv)

    def softmax(a):
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    expected = np.tensordot(_numeric_jacobian(softmax, xv), vv, 2)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_rop_of_several_outputs_and_disconnected_ones():
    x, v, z = T.dvectors("x", "v", "z")
    ys = G.Rop([x ** 2, z * 2], x, v, disconnected_outputs="ignore")
    assert isinstance(ys, list)
    got = _fn([x, v, z], ys)(np.array([1.0, 2.0]), np.array([3.0, 5.0]), np.ones(2))
    np.testing.assert_allclose(got[0], [6.0, 20.0])
    np.testing.assert_array_equal(got[1], [0.0, 0.0])
    with pytest.raises(G.DisconnectedInputError):
        G.Rop(z * 2, x, v)
    assert G.Rop(z * 2, x, v, disconnected_outputs="ignore", return_disconnected="None") is None


def test_rop_checks_eval_points():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="dimensions"):
        G.Rop(x * 2, x, T.dmatrix())
    with pytest.raises(ValueError, match="eval points"):
        G.Rop(x * 2, [x, x], [x])


# ----------------------------------------------------------------------- identities
def test_identities_return_their_input():
    x = T.dvector("x")
    xv = np.array([1.0, -2.0])
    for wrap in (G.zero_grad, G.disconnected_grad, G.consider_constant, G.undefined_grad,
                 lambda a: G.grad_clip(a, -1, 1), lambda a: G.grad_scale(a, 3)):
        np.testing.assert_array_equal(_fn([x], wrap(x) * 1.0)(xv), xv)


def test_zero_grad():
    x = T.dvector("x")
    g = arignote.grad((x * G.zero_grad(x ** 2)).sum(), x)
    np.testing.assert_allclose(_fn([x], g)(np.array([1.0, 3.0])), [1.0, 9.0])
    g = arignote.grad(G.zero_grad(x).sum(), x)
    np.testing.assert_array_equal(_fn([x], g)(np.ones(2)), [0.0, 0.0])


def test_disconnected_grad():
    x = T.dvector("x")
    g = arignote.grad((x * G.disconnected_grad(x ** 2)).sum(), x)
    np.testing.assert_allclose(_fn([x], g)(np.array([1.0, 3.0])), [1.0, 9.0])
    with pytest.raises(G.DisconnectedInputError):
        arignote.grad(G.disconnected_grad(x).sum(), x)


def test_consider_constant_op():
    x = T.dvector("x")
    g = arignote.grad((G.consider_constant(x) * x).sum(), x)
    np.testing.assert_allclose(_fn([x], g)(np.array([2.0, 5.0])), [2.0, 5.0])


def test_grad_clip():
    x = T.dvector("x")
    g = arignote.grad((G.grad_clip(x, -1.0, 2.0) * T.constant([5.0, -5.0, 0.5])).sum(), x)
    np.testing.assert_allclose(_fn([x], g)(np.zeros(3)), [2.0, -1.0, 0.5])
    with pytest.raises(ValueError, match="upper_bound"):
        G.grad_clip(x, 1.0, -1.0)


def test_grad_scale():
    x = T.dvector("x")
    g = arignote.grad((G.grad_scale(x, 0.25) ** 2).sum(), x)
    np.testing.assert_allclose(_fn([x], g)(np.array([1.0, 4.0])), [0.5, 2.0])
    s = T.dscalar("s")
    g = arignote.grad(G.grad_scale(x, s).sum(), x)
    np.testing.assert_allclose(_fn([x, s], g)(np.ones(2), -3.0), [-3.0, -3.0])


def test_undefined_grad_raises_only_when_needed():
    x, y = T.dvectors("x", "y")
    cost = (G.undefined_grad(x) * y).sum()
    np.testing.assert_allclose(_fn([x, y], arignote.grad(cost, y))(np.ones(2), np.ones(2)),
                               np.ones(2))
    with pytest.raises(G.NullTypeGradError, match="undefined"):
        arignote.grad(cost, x)


def test_subgraph_grad_matches_grad():
    x, t = T.dvectors("x", "t")
    w1, w2 = T.dmatrix("w1"), T.dmatrix("w2")
    a1 = T.tanh(T.dot(w1, x))
    cost = ((T.tanh(T.dot(w2, a1)) - t) ** 2).sum()
    (g2,), (g_a1,) = G.subgraph_grad([w2], [a1], cost=cost)
    (g1,), _ = G.subgraph_grad([w1], [x], start={a1: g_a1})
    full1, full2 = arignote.grad(cost, [w1, w2])
    values = [_rng.standard_normal(3), _rng.standard_normal(2), _rng.standard_normal((4, 3)),
              _rng.standard_normal((2, 4))]
    got = _fn([x, t, w1, w2], [g1, g2, full1, full2])(*values)
    np.testing.assert_allclose(got[0], got[2])
    np.testing.assert_allclose(got[1], got[3])


def test_verify_grad_catches_a_wrong_gradient():
    from dataclasses import dataclass

    from arignote.compiler.graph import Apply
    from arignote.compiler.op import Op

    @dataclass(frozen=True)
    class _WrongSquare(Op):
        def make_node(self, x):
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs):
            return [inputs[0] ** 2]

        def grad(self, inputs, out_grads):
            return [out_grads[0] * inputs[0] * 3]

    with pytest.raises(G.GradientError):
        G.verify_grad(lambda x: _WrongSquare()(x), [np.array([1.0, 2.0])])
    G.verify_grad(lambda x: x ** 2, [np.array([1.0, 2.0])])
