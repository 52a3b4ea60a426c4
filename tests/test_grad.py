"""The reverse-mode driver (arignote/compiler/grad.py): Theano's ``grad`` semantics."""

import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.graph import Apply
from arignote.compiler.op import Op
from arignote.gradient import (DisconnectedInputError, DisconnectedType, NullType,
                               NullTypeGradError, disconnected_grad, grad_undefined,
                               undefined_grad)

X = np.array([0.5, -1.0, 2.0])
# Functions whose output folds to a constant: the C linker does not return constant outputs
# yet (KeyError in codegen/c.py), so these run on the reference linker for now.
_CONSTANT_OUTPUT_MODE = "FAST_COMPILE"


def _eval(outputs, inputs, *values, mode=None):
    return arignote.function(inputs, outputs, on_unused_input="ignore", mode=mode)(*values)


# ----------------------------------------------------------------------- ops for the tests
@dataclass(frozen=True)
class _NoGrad(Op):
    """Doubles its input; has no gradient (the Op default)."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        return [inputs[0] * 2]


@dataclass(frozen=True)
class _Scale(Op):
    """x * factor, with a gradient built from the same op (cheap long chains)."""

    factor: float

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        return [inputs[0] * self.factor]

    def grad(self, inputs, out_grads):
        return [_Scale(self.factor)(out_grads[0])]


@dataclass(frozen=True)
class _HalfDefined(Op):
    """x * y; the gradient w.r.t. y is declared undefined (Theano's grad_undefined)."""

    def make_node(self, x, y):
        x, y = T.as_tensor_variable(x), T.as_tensor_variable(y)
        return Apply(self, [x, y], [x.type()])

    def perform(self, node, inputs):
        return [inputs[0] * inputs[1]]

    def grad(self, inputs, out_grads):
        y = inputs[1]
        return [out_grads[0] * y, grad_undefined(self, 1, y, "for the test")]


@dataclass(frozen=True)
class _WithLop(Op):
    """exp(x), differentiated with L_op (which receives the node's own outputs)."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs):
        return [np.exp(inputs[0])]

    def L_op(self, inputs, outputs, out_grads):
        return [out_grads[0] * outputs[0]]


@dataclass(frozen=True)
class _SplitSigns(Op):
    """Two outputs: max(x, 0) and min(x, 0)."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type(), x.type()])

    def perform(self, node, inputs):
        return [np.maximum(inputs[0], 0), np.minimum(inputs[0], 0)]

    def grad(self, inputs, out_grads):
        (x,) = inputs
        positive, negative = out_grads
        return [T.switch(T.gt(x, 0), positive, negative)]


# ----------------------------------------------------------------------- basics
def test_simple_gradient_and_names():
    x = T.dvector("x")
    cost = (T.exp(x) * x).sum()
    cost.name = "cost"
    g = arignote.grad(cost, x)
    assert g.name == "(dcost/dx)"
    np.testing.assert_allclose(_eval(g, [x], X), np.exp(X) * (X + 1))


def test_wrt_form_is_kept():
    x, y = T.dvectors("x", "y")
    cost = (x * y).sum()
    assert isinstance(arignote.grad(cost, [x, y]), list)
    assert isinstance(arignote.grad(cost, (x, y)), tuple)
    assert isinstance(arignote.grad(cost, x), T.TensorVariable)


def test_cost_must_be_scalar():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="scalar"):
        arignote.grad(x * 2, x)


def test_grad_of_cost_wrt_itself_is_one():
    x = T.dscalar("x")
    cost = x * 3
    g = arignote.grad(cost, cost)
    assert float(_eval(g, [x], 2.0, mode=_CONSTANT_OUTPUT_MODE)) == 1.0


def test_bad_options_raise():
    x = T.dscalar("x")
    with pytest.raises(ValueError, match="disconnected_inputs"):
        arignote.grad(x * 2, x, disconnected_inputs="sometimes")
    with pytest.raises(ValueError, match="return_disconnected"):
        arignote.grad(x * 2, x, return_disconnected="maybe")
    with pytest.raises(TypeError, match="wrt"):
        arignote.grad(x * 2, [3.0])
    with pytest.raises(ValueError, match="cost or known_grads"):
        arignote.grad(None, x)


# ----------------------------------------------------------------------- consider_constant
def test_consider_constant_blocks_ancestors():
    x = T.dvector("x")
    y = x * 2
    cost = (y * x).sum()
    full = arignote.grad(cost, x)
    blocked = arignote.grad(cost, x, consider_constant=[y])
    np.testing.assert_allclose(_eval(full, [x], X), 4 * X)
    np.testing.assert_allclose(_eval(blocked, [x], X), 2 * X)


def test_gradient_wrt_a_constant_considered_variable():
    x = T.dvector("x")
    y = x * 2
    cost = (y * x).sum()
    gy = arignote.grad(cost, y, consider_constant=[y])
    np.testing.assert_allclose(_eval(gy, [x], X), X)


def test_consider_constant_must_list_variables():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="consider_constant"):
        arignote.grad(x * 2, x, consider_constant=[1.0])


# ----------------------------------------------------------------------- disconnected inputs
def test_disconnected_input_raises_naming_it():
    x, z = T.dvector("x"), T.dvector("z")
    with pytest.raises(DisconnectedInputError, match="z"):
        arignote.grad(x.sum(), z)


def test_disconnected_input_warn_gives_zeros():
    x, z = T.dvector("x"), T.dvector("z")
    with pytest.warns(UserWarning, match="does not depend on z"):
        g = arignote.grad(x.sum(), z, disconnected_inputs="warn")
    np.testing.assert_array_equal(_eval(g, [x, z], X, np.ones(2)), np.zeros(2))


def test_disconnected_input_ignore_is_silent():
    x, z = T.dvector("x"), T.dmatrix("z")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = arignote.grad(x.sum(), z, disconnected_inputs="ignore")
    assert g.type == z.type
    np.testing.assert_array_equal(_eval(g, [z], np.ones((2, 3))), np.zeros((2, 3)))


@pytest.mark.parametrize("mode", ["None", "none"])
def test_return_disconnected_none(mode):
    x, z = T.dvectors("x", "z")
    gx, gz = arignote.grad(x.sum(), [x, z], disconnected_inputs="ignore",
                           return_disconnected=mode)
    assert gz is None and gx is not None


def test_return_disconnected_disconnected_type():
    x, z = T.dvectors("x", "z")
    gz = arignote.grad(x.sum(), z, disconnected_inputs="ignore",
                       return_disconnected="Disconnected")
    assert isinstance(gz.type, DisconnectedType)


def test_connected_only_through_disconnected_grad_raises():
    x = T.dvector("x")
    with pytest.raises(DisconnectedInputError):
        arignote.grad(disconnected_grad(x).sum(), x)
    g = arignote.grad((disconnected_grad(x) * x).sum(), x)
    np.testing.assert_allclose(_eval(g, [x], X), X)


def test_connected_only_through_shape_is_disconnected():
    x = T.dvector("x")
    cost = T.cast(x.shape[0], "float64") * 2.0
    with pytest.raises(DisconnectedInputError):
        arignote.grad(cost, x)


# ----------------------------------------------------------------------- known_grads
def test_known_grads_without_cost():
    x, gy = T.dvectors("x", "gy")
    y = T.exp(x)
    g = arignote.grad(None, x, known_grads={y: gy})
    np.testing.assert_allclose(_eval(g, [x, gy], X, np.arange(3.0)), np.arange(3.0) * np.exp(X))


def test_known_grads_add_to_the_cost():
    x = T.dvector("x")
    y = T.exp(x)
    cost = (y * 2).sum()
    g = arignote.grad(cost, x, known_grads={y: T.ones_like(y)})
    np.testing.assert_allclose(_eval(g, [x], X), 3 * np.exp(X))


def test_known_grads_replace_the_cost_seed():
    x = T.dscalar("x")
    cost = x * x
    g = arignote.grad(cost, x, known_grads={cost: T.constant(5.0)})
    assert float(_eval(g, [x], 3.0)) == 30.0


def test_known_grads_must_be_float_of_matching_ndim():
    x = T.dvector("x")
    y = x * 2
    with pytest.raises(TypeError, match="float"):
        arignote.grad(None, x, known_grads={y: T.ivector()})
    with pytest.raises(TypeError, match="dimensions"):
        arignote.grad(None, x, known_grads={y: T.dmatrix()})


def test_known_grads_cast_to_the_variable_dtype():
    x = T.fvector("x")
    y = x * 2
    g = arignote.grad(None, x, known_grads={y: T.dvector("g")})
    assert g.dtype == "float32"


# ----------------------------------------------------------------------- integers
def test_integer_wrt_gets_float_zeros():
    x, i = T.dvector("x"), T.iscalar("i")
    cost = (x * i).sum()
    gx, gi = arignote.grad(cost, [x, i])
    assert gi.dtype == arignote.config.floatX
    assert float(_eval(gi, [x, i], X, 3, mode=_CONSTANT_OUTPUT_MODE)) == 0.0
    np.testing.assert_allclose(_eval(gx, [x, i], X, 3), np.full(3, 3.0))


def test_integer_path_gives_zero():
    x = T.dvector("x")
    cost = T.cast(T.cast(x, "int32"), "float64").sum() + T.argmax(x)
    g = arignote.grad(cost, x)
    np.testing.assert_array_equal(_eval(g, [x], X), np.zeros(3))


def test_integer_cost_gives_zero():
    x = T.dvector("x")
    g = arignote.grad(T.cast(x * 3, "int32").sum(), x)
    np.testing.assert_array_equal(_eval(g, [x], X), np.zeros(3))


def test_argmax_is_not_connected():
    x = T.dvector("x")
    with pytest.raises(DisconnectedInputError):
        arignote.grad(T.argmax(x), x)


def test_float32_gradients_stay_float32():
    x = T.fvector("x")
    g = arignote.grad((x * 2.5).sum(), x)
    assert g.dtype == "float32"


# ----------------------------------------------------------------------- graph structure
def test_gradient_wrt_intermediate_and_its_input():
    x = T.dvector("x")
    h = T.exp(x)
    cost = (h * h).sum()
    gh, gx = arignote.grad(cost, [h, x])
    values = _eval([gh, gx], [x], X)
    np.testing.assert_allclose(values[0], 2 * np.exp(X))
    np.testing.assert_allclose(values[1], 2 * np.exp(2 * X))


def test_wrt_downstream_of_another_wrt():
    x = T.dvector("x")
    h = x * 3
    cost = (h * x).sum()
    gx, gh = arignote.grad(cost, [x, h])
    values = _eval([gx, gh], [x], X)
    np.testing.assert_allclose(values[0], 6 * X)
    np.testing.assert_allclose(values[1], X)


def test_shared_subexpressions_accumulate():
    x = T.dvector("x")
    h = T.exp(x)
    cost = (h + h * h + T.log(h) * h).sum()
    g = arignote.grad(cost, x)
    e = np.exp(X)
    np.testing.assert_allclose(_eval(g, [x], X), e + 2 * e * e + e + X * e)


def test_same_input_twice_in_one_node():
    x = T.dvector("x")
    g = arignote.grad((x * x).sum(), x)
    np.testing.assert_allclose(_eval(g, [x], X), 2 * X)


def test_multi_output_op_with_one_output_used():
    x = T.dvector("x")
    positive, negative = _SplitSigns()(x)
    g = arignote.grad((positive * 3).sum(), x)
    np.testing.assert_array_equal(_eval(g, [x], X), np.where(X > 0, 3.0, 0.0))
    g = arignote.grad((positive * 3 + negative * 5).sum(), x)
    np.testing.assert_array_equal(_eval(g, [x], X), np.where(X > 0, 3.0, 5.0))


def test_l_op_receives_the_node_outputs():
    x = T.dvector("x")
    y = _WithLop()(x)
    g = arignote.grad(y.sum(), x)
    np.testing.assert_allclose(_eval(g, [x], X), np.exp(X))
    assert y in [v for node in [g.owner] for v in node.inputs]


def test_second_derivative():
    x = T.dscalar("x")
    g = arignote.grad(x ** 4, x)
    h = arignote.grad(g, x)
    assert float(_eval(h, [x], 2.0)) == pytest.approx(48.0)


def test_long_chain_at_default_recursion_limit():
    # _Scale nodes build cheaply, so this measures the driver, not op construction.
    assert sys.getrecursionlimit() <= 10000
    x = T.dscalar("x")
    y = x
    for _ in range(50000):
        y = _Scale(1.00001)(y)
    start = time.perf_counter()
    g = arignote.grad(y, x)
    assert time.perf_counter() - start < 20
    value = float(_eval(g, [x], 1.0, mode=_CONSTANT_OUTPUT_MODE))
    assert value == pytest.approx(1.00001 ** 50000)


def test_chain_of_elementwise_ops():
    x = T.dvector("x")
    y = x
    for _ in range(200):
        y = T.exp(-y) * 0.5
    g = arignote.grad(y.sum(), x)
    value = X
    derivative = np.ones(3)
    for _ in range(200):
        value = np.exp(-value) * 0.5
        derivative = derivative * -value
    np.testing.assert_allclose(_eval(g, [x], X), derivative)


# ----------------------------------------------------------------------- undefined gradients
def test_null_grad_error_names_the_op():
    x = T.dvector("x")
    with pytest.raises(NullTypeGradError, match="_NoGrad"):
        arignote.grad(_NoGrad()(x).sum(), x)


def test_null_grad_error_names_the_user_line():
    x = T.dvector("x")
    y = undefined_grad(x) * 2  # the line the error must show
    with pytest.raises(NullTypeGradError) as info:
        arignote.grad(y.sum(), x)
    message = str(info.value)
    assert "UndefinedGrad" in message
    assert "test_grad.py" in message and "the line the error must show" in message


def test_no_error_when_the_undefined_gradient_is_not_needed():
    x, y = T.dvectors("x", "y")
    z = _HalfDefined()(x, y)
    g = arignote.grad(z.sum(), x)
    np.testing.assert_allclose(_eval(g, [x, y], X, 2 * X), 2 * X)
    with pytest.raises(NullTypeGradError, match="for the test"):
        arignote.grad(z.sum(), y)


def test_null_gradients_return():
    x, y = T.dvectors("x", "y")
    z = _HalfDefined()(x, y) * 2
    gy = arignote.grad(z.sum(), y, null_gradients="return")
    assert isinstance(gy.type, NullType)
    gx = arignote.grad(_NoGrad()(x).sum(), x, null_gradients="return")
    assert isinstance(gx.type, NullType)


def test_wrong_number_of_gradients_is_a_type_error():
    @dataclass(frozen=True)
    class _TooMany(_NoGrad):
        def grad(self, inputs, out_grads):
            return [out_grads[0], out_grads[0]]

    x = T.dvector("x")
    with pytest.raises(TypeError, match="2 gradients for 1 inputs"):
        arignote.grad(_TooMany()(x).sum(), x)
