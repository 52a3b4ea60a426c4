"""Errors speak to the user: they name the input or node and the line that built it."""

import inspect

import numpy as np
import pytest

import arignote.tensor as T
from arignote import In, function, shared
from arignote.compile import UnusedInputError
from arignote.compiler.graph import MissingInputError


def _next_line():
    """The number of the caller's next line."""
    return inspect.currentframe().f_back.f_lineno + 1


# ----------------------------------------------------------------------- run-time failures
def test_shape_mismatch_names_node_shapes_and_user_line():
    x, y = T.dvectors("x", "y")
    line = _next_line()
    z = x + y
    f = function([x, y], z * 2)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    message = str(info.value)
    # FAST_RUN fuses z * 2 into the addition's loop: the fused node is named, with every
    # user line that built one of its operations.
    assert message.startswith("Apply node Elemwise{") and " failed: " in message
    assert "(3,)" in message and "(4,)" in message and "float64" in message
    assert f'File "{__file__}", line {line}' in message
    assert "z = x + y" in message
    assert len(message.splitlines()) <= 10
    assert info.value.node in f.maker.fgraph.apply_nodes


def test_shape_mismatch_on_the_reference_backend_names_the_users_node():
    x, y = T.dvectors("x", "y")
    z = x + y
    f = function([x, y], z * 2, mode="FAST_COMPILE")
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    assert str(info.value).startswith("Apply node Elemwise{Add}(x, y) failed:")
    assert info.value.node.op == z.owner.op


def test_index_error_keeps_its_class():
    x = T.dvector("x")
    i = T.lscalar("i")
    line = _next_line()
    picked = x[i]
    f = function([x, i], picked)
    assert float(f(np.arange(3.0), 1)) == 1.0
    with pytest.raises(IndexError) as info:
        f(np.arange(3.0), 5)
    assert f"line {line}" in str(info.value) and __file__ in str(info.value)


def test_exception_chain_is_short():
    x, y = T.dvectors("x", "y")
    f = function([x, y], x * y)
    with pytest.raises(ValueError) as info:
        f(np.ones(2), np.ones(5))
    error = info.value
    assert error.__cause__ is None and (error.__suppress_context__ or error.__context__ is None)


# ----------------------------------------------------------------------- bad arguments
def test_wrong_dtype_names_input_type_and_fix():
    x = T.fmatrix("x")
    f = function([x], x * 2)
    with pytest.raises(TypeError) as info:
        f(np.ones((2, 2)))
    message = str(info.value)
    assert "argument 0" in message and "'x'" in message
    assert "float32 matrix" in message and "float64" in message
    assert "allow_input_downcast=True" in message


def test_wrong_rank_and_broadcast_pattern():
    x = T.dvector("x")
    r = T.drow("r")
    f = function([x, r], x + r)
    with pytest.raises(TypeError, match=r"argument 0 \(named 'x'\).*2 dimensions"):
        f(np.ones((2, 2)), np.ones((1, 2)))
    with pytest.raises(TypeError, match=r"argument 1 \(named 'r'\).*broadcastable"):
        f(np.ones(2), np.ones((3, 2)))


def test_unnamed_input_is_named_by_position():
    x = T.dvector()
    f = function([x], x * 2)
    with pytest.raises(TypeError, match="bad input argument 0 to"):
        f("not numbers")


def test_argument_count_errors():
    x, y = T.dscalars("x", "y")
    f = function([x, In(y, value=1.0)], x + y, name="adder")
    with pytest.raises(TypeError, match="function 'adder' takes 2 inputs but 3"):
        f(1.0, 2.0, 3.0)
    with pytest.raises(TypeError, match="missing required input: input 0 \\('x'"):
        f()
    with pytest.raises(TypeError, match="missing required input"):
        f(y=2.0)


# ----------------------------------------------------------------------- compile-time
def test_missing_input_names_variable_and_line():
    x = T.dvector("x")
    line = _next_line()
    forgotten = T.dvector("forgotten")
    with pytest.raises(MissingInputError) as info:
        function([x], x + forgotten)
    message = str(info.value)
    assert "forgotten" in message and f"line {line}" in message and __file__ in message


def test_missing_input_as_a_direct_output():
    lonely = T.dvector("lonely")
    with pytest.raises(MissingInputError, match="lonely"):
        function([], lonely)


def test_unused_input_names_it():
    x, y = T.dvectors("x", "y")
    with pytest.raises(UnusedInputError, match="at index 1 .*: y"):
        function([x, y], x)


def test_update_type_errors_name_the_shared_variable():
    w = shared(np.zeros((2, 2)), "weights")
    with pytest.raises(TypeError, match="weights"):
        function([], [], updates=[(w, w.sum(axis=0))])


def test_givens_type_error_names_both():
    x = T.dmatrix("x")
    y = T.imatrix("y")
    with pytest.raises(TypeError, match="replace x .*float64.* with y .*int32"):
        function([y], x.sum(), givens={x: y})
