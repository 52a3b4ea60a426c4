"""arignote.ifelse: values, types, laziness (only the chosen branch runs) and gradients."""

from dataclasses import dataclass

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote import gradient as G
from arignote.compiler.graph import Apply
from arignote.compiler.op import Op
from arignote.ifelse import IfElse, ifelse

CALLS = {}


@dataclass(frozen=True)
class _Counted(Op):
    """Identity that counts its perform calls under ``label``; gradient: identity."""

    label: str

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        CALLS[self.label] = CALLS.get(self.label, 0) + 1
        return [inputs[0].copy()]

    def grad(self, inputs, out_grads):
        return [_Counted(self.label + "_grad")(out_grads[0])]


@dataclass(frozen=True)
class _Explode(Op):
    """Raises when computed."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        raise RuntimeError("the untaken branch was computed")


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()


def _fn(inputs, outputs):
    return arignote.function(inputs, outputs, on_unused_input="ignore")


# ----------------------------------------------------------------------- values and types
@pytest.mark.parametrize("condition, chosen", [(1, "then"), (0, "else"), (-3, "then")])
def test_values(condition, chosen):
    c, x, y = T.iscalar("c"), T.dvector("x"), T.dvector("y")
    z = ifelse(c, x * 2, y + 1)
    xv, yv = np.array([1.0, 2.0]), np.array([5.0, 6.0])
    expected = xv * 2 if chosen == "then" else yv + 1
    np.testing.assert_array_equal(_fn([c, x, y], z)(condition, xv, yv), expected)


def test_float_and_bool_conditions():
    a, b = T.dscalars("a", "b")
    f = _fn([a, b], ifelse(T.lt(a, b), a, b))
    assert float(f(1.0, 2.0)) == 1.0 and float(f(3.0, 2.0)) == 2.0
    f = _fn([a], ifelse(a, 1.5 * a, a - 1))
    assert float(f(0.0)) == -1.0 and float(f(0.5)) == 0.75


def test_lists_and_tuples():
    c, x = T.iscalar("c"), T.dmatrix("x")
    outs = ifelse(c, [x.sum(), x * 2], [x.max(), x])
    assert isinstance(outs, list) and len(outs) == 2
    outs_t = ifelse(c, (x.sum(), x * 2), (x.max(), x))
    assert isinstance(outs_t, tuple)
    xv = np.arange(6.0).reshape(2, 3)
    got = _fn([c, x], outs)(0, xv)
    assert float(got[0]) == 5.0
    np.testing.assert_array_equal(got[1], xv)
    assert isinstance(ifelse(c, x, x), T.TensorVariable)


def test_output_types_and_name():
    c, x = T.iscalar("c"), T.fmatrix("x")
    z = ifelse(c, x, x * 2, name="choose")
    assert z.type == x.type
    assert isinstance(z.owner.op, IfElse) and "choose" in str(z.owner.op)


def test_mismatched_types_raise_naming_both():
    c = T.iscalar("c")
    with pytest.raises(TypeError, match="float64.*float32|float32.*float64"):
        ifelse(c, T.dvector(), T.fvector())
    with pytest.raises(TypeError, match="row.*matrix"):
        ifelse(c, T.drow(), T.dmatrix())
    with pytest.raises(TypeError, match="identical types"):
        ifelse(c, T.dvector(), T.dmatrix())


def test_plain_values_take_the_other_branch_type():
    c, x, v = T.iscalar("c"), T.dscalar("x"), T.fvector("v")
    assert ifelse(c, x, 0.5).type == x.type
    assert ifelse(c, 2, x).type == x.type
    assert ifelse(c, v, np.array([1.0, 2.0])).type == v.type
    f = _fn([c, v], ifelse(c, v, np.array([1.0, 2.0])))
    np.testing.assert_array_equal(f(0, np.zeros(2, "float32")), [1.0, 2.0])


def test_bad_arguments():
    c, x = T.iscalar("c"), T.dvector("x")
    with pytest.raises(ValueError, match="as many"):
        ifelse(c, [x, x], [x])
    with pytest.raises(ValueError, match="empty"):
        ifelse(c, [], [])
    with pytest.raises(TypeError, match="scalar"):
        ifelse(x, x, x)


def test_result_does_not_alias_inputs():
    c, x = T.iscalar("c"), T.dvector("x")
    xv = np.array([1.0, 2.0])
    out = _fn([c, x], ifelse(c, x, x * 2))(1, xv)
    assert not np.shares_memory(out, xv)
    out[:] = 0
    np.testing.assert_array_equal(xv, [1.0, 2.0])


def test_constant_branches():
    c = T.iscalar("c")
    f = _fn([c], ifelse(c, T.constant(np.array([1.0, 2.0])), T.constant(np.array([3.0, 4.0]))))
    out = f(1)
    np.testing.assert_array_equal(out, [1.0, 2.0])
    out[:] = 7
    np.testing.assert_array_equal(f(1), [1.0, 2.0])


# ----------------------------------------------------------------------- laziness
def test_only_the_chosen_branch_is_computed():
    c, x, y = T.iscalar("c"), T.dvector("x"), T.dvector("y")
    z = ifelse(c, _Counted("then")(x * 2).sum(), _Counted("else")(y).sum())
    f = _fn([c, x, y], z)
    f(1, np.ones(2), np.ones(3))
    assert CALLS == {"then": 1}
    f(0, np.ones(2), np.ones(3))
    f(0, np.ones(2), np.ones(3))
    assert CALLS == {"then": 1, "else": 2}


def test_untaken_branch_may_be_invalid():
    c, x = T.iscalar("c"), T.dvector("x")
    f = _fn([c, x], ifelse(c, x + 1, _Explode()(x)))
    np.testing.assert_array_equal(f(1, np.zeros(2)), [1.0, 1.0])
    with pytest.raises(RuntimeError, match="untaken"):
        f(0, np.zeros(2))


def test_nested_ifelse_is_lazy():
    a, b, x = T.iscalar("a"), T.iscalar("b"), T.dvector("x")
    inner = ifelse(b, _Counted("inner_then")(x), _Counted("inner_else")(x))
    z = ifelse(a, inner * 2, _Counted("outer_else")(x))
    f = _fn([a, b, x], z)
    np.testing.assert_array_equal(f(1, 0, np.ones(2)), [2.0, 2.0])
    assert CALLS == {"inner_else": 1}
    f(0, 1, np.ones(2))
    assert CALLS == {"inner_else": 1, "outer_else": 1}


def test_shared_variables_in_branches():
    w = arignote.shared(np.array([1.0, 2.0]), name="w")
    c = T.iscalar("c")
    f = _fn([c], ifelse(c, _Counted("w")(w) * 3, T.zeros_like(w)))
    np.testing.assert_array_equal(f(1), [3.0, 6.0])
    np.testing.assert_array_equal(f(0), [0.0, 0.0])
    assert CALLS == {"w": 1}
    w.set_value(np.array([5.0, 5.0]))
    np.testing.assert_array_equal(f(1), [15.0, 15.0])


# ----------------------------------------------------------------------- gradients
def test_gradient_follows_the_chosen_branch():
    c, x, y = T.iscalar("c"), T.dvector("x"), T.dvector("y")
    z = ifelse(c, (T.exp(x) * y).sum(), (x * x).sum())
    gx, gy = arignote.grad(z, [x, y])
    f = _fn([c, x, y], [gx, gy])
    xv, yv = np.array([0.5, -1.0]), np.array([2.0, 3.0])
    got_x, got_y = f(1, xv, yv)
    np.testing.assert_allclose(got_x, np.exp(xv) * yv)
    np.testing.assert_allclose(got_y, np.exp(xv))
    got_x, got_y = f(0, xv, yv)
    np.testing.assert_allclose(got_x, 2 * xv)
    np.testing.assert_array_equal(got_y, [0.0, 0.0])


def test_gradient_is_lazy_too():
    c, x, y = T.iscalar("c"), T.dvector("x"), T.dvector("y")
    z = ifelse(c, _Counted("then")(x).sum(), (y * 2).sum())
    f = _fn([c, x, y], arignote.grad(z, [x, y]))
    f(0, np.ones(2), np.ones(2))
    assert CALLS == {}
    gx, _ = f(1, np.ones(2), np.ones(2))
    assert CALLS == {"then": 1, "then_grad": 1}
    np.testing.assert_array_equal(gx, [1.0, 1.0])


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_verify_grad_through_ifelse(sign):
    def build(x, y):
        return ifelse(T.gt(x.sum() * sign, 0), [T.tanh(x) * y.sum(), y],
                      [x * y, T.exp(y)])[0] * 2

    rng = np.random.default_rng(0)
    G.verify_grad(build, [np.abs(rng.standard_normal(3)) + 0.1, rng.standard_normal(3)])


def test_verify_grad_through_nested_ifelse_and_second_order():
    def build(x):
        inner = ifelse(T.gt(x[0], 0), x ** 3, T.sin(x))
        return ifelse(T.gt(x[1], 0), inner * x[2], inner + 1.0)

    G.verify_grad(build, [np.array([0.7, 0.4, -1.3])])
    G.verify_grad(lambda x: arignote.grad(build(x).sum(), x), [np.array([0.7, -0.4, 1.3])])


def test_hessian_through_ifelse():
    x = T.dvector("x")
    cost = ifelse(T.gt(x.sum(), 0), (x ** 3).sum(), (x ** 2).sum())
    h = _fn([x], G.hessian(cost, x))
    np.testing.assert_allclose(h(np.array([1.0, 2.0])), np.diag([6.0, 12.0]))
    np.testing.assert_allclose(h(np.array([-1.0, -2.0])), np.diag([2.0, 2.0]))


def test_condition_gets_no_gradient():
    x = T.dscalar("x")
    z = ifelse(x, 3.0 * x, x - 1)
    g = arignote.grad(z, x)
    f = _fn([x], g)
    assert float(f(2.0)) == 3.0 and float(f(0.0)) == 1.0


def test_inner_graphs_can_be_rewritten_into_a_new_op():
    from arignote.compiler.rewrite.pipeline import optimize

    c, x = T.iscalar("c"), T.dvector("x")
    z = ifelse(c, T.log(T.exp(x) + 1.0) * 2, x - x)
    op = z.owner.op
    rewritten = []
    for graph in op.inner_graphs:
        copy, _ = graph.clone()
        optimize(copy)
        rewritten.append(copy)
    new = op.with_inner_graphs(rewritten)(*z.owner.inputs)
    f = _fn([c, x], [z, new])
    for condition in (0, 1):
        old_value, new_value = f(condition, np.array([0.5, -2.0]))
        np.testing.assert_allclose(new_value, old_value)
