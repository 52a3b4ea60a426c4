"""Shared variables: dtypes, broadcast patterns, get/set_value copy rules, sharing."""

import numpy as np
import pytest

import arignote.tensor as T
from arignote import SharedVariable, function, shared
from arignote.compile.sharedvalue import TensorSharedVariable, generic, shared_constructor
from arignote.compiler.variable import TensorVariable


@pytest.mark.parametrize("value, dtype, ndim", [
    (0.5, "float64", 0),
    (3, "int64", 0),
    (True, "bool", 0),
    (np.float32(0.5), "float32", 0),
    (np.ones(3, dtype="float32"), "float32", 1),
    (np.ones((2, 3), dtype="int8"), "int8", 2),
    ([1, 2, 3], "int64", 1),
    ([[1.0, 2.0]], "float64", 2),
])
def test_dtype_and_rank_come_from_the_value(value, dtype, ndim):
    s = shared(value)
    assert isinstance(s, TensorSharedVariable) and isinstance(s, TensorVariable)
    assert s.dtype == dtype and s.ndim == ndim
    assert s.broadcastable == (False,) * ndim
    assert s.is_shared


def test_broadcastable_argument():
    s = shared(np.zeros((1, 3)), broadcastable=(True, False))
    assert s.broadcastable == (True, False)
    x = T.dmatrix("x")
    f = function([x], x + s)
    np.testing.assert_array_equal(f(np.ones((2, 3))), np.ones((2, 3)))


def test_name_and_str():
    s = shared(np.zeros(2), name="weights")
    assert s.name == "weights" and str(s) == "weights"


def test_value_is_copied_unless_borrowed():
    data = np.zeros(3)
    s = shared(data)
    data[0] = 5
    assert s.get_value()[0] == 0
    b = shared(data, borrow=True)
    data[1] = 7
    assert b.get_value()[1] == 7
    got = s.get_value()
    got[2] = 9
    assert s.get_value()[2] == 0
    inner = s.get_value(borrow=True)
    inner[2] = 9
    assert s.get_value()[2] == 9


def test_set_value_copies_unless_borrowed_and_checks_the_type():
    s = shared(np.zeros(3, dtype="float32"), "s")
    new = np.ones(3, dtype="float32")
    s.set_value(new)
    new[0] = 4
    assert s.get_value()[0] == 1
    s.set_value(new, borrow=True)
    new[1] = 4
    assert s.get_value()[1] == 4
    s.set_value([1, 2, 3, 4])  # lossless Python data; the shape may change
    assert s.get_value().dtype == np.float32 and s.get_value().shape == (4,)
    with pytest.raises(TypeError, match="float32"):
        s.set_value(np.ones(3))  # float64 into float32 loses precision
    with pytest.raises(TypeError, match="dimensions"):
        s.set_value(np.ones((2, 2), dtype="float32"))


def test_allow_downcast_and_strict():
    s = shared(np.zeros(2, dtype="float32"), allow_downcast=True)
    s.set_value(np.ones(2))
    assert s.get_value().dtype == np.float32
    t = shared(np.zeros(2), strict=True)
    with pytest.raises(TypeError, match="strict"):
        t.set_value([1.0, 2.0])


def test_broadcastable_dimensions_are_checked_on_set():
    s = shared(np.zeros((1, 3)), broadcastable=(True, False))
    with pytest.raises(TypeError, match="broadcastable"):
        s.set_value(np.zeros((2, 3)))


def test_shared_of_a_variable_raises():
    with pytest.raises(TypeError, match="symbolic"):
        shared(T.dvector())


def test_generic_shared_variable_holds_any_object():
    s = shared({"epoch": 1})
    assert type(s) is SharedVariable and s.type == generic
    value = s.get_value()
    value["epoch"] = 2
    assert s.get_value() == {"epoch": 1}
    s.set_value({"epoch": 3})
    assert s.get_value()["epoch"] == 3


def test_clone_shares_the_container():
    s = shared(np.zeros(2), "s")
    twin = s.clone()
    assert twin is not s and twin.container is s.container and twin.name == "s"
    s.set_value(np.ones(2))
    np.testing.assert_array_equal(twin.get_value(), np.ones(2))


def test_functions_share_the_value():
    s = shared(np.zeros(2), "s")
    inc = function([], [], updates=[(s, s + 1)])
    read = function([], s * 1)
    inc()
    inc()
    np.testing.assert_array_equal(read(), [2.0, 2.0])
    s.set_value(np.full(2, 10.0))
    np.testing.assert_array_equal(read(), [10.0, 10.0])


def test_tensor_methods_on_shared():
    s = shared(np.arange(6.0).reshape(2, 3))
    f = function([], [s.T, s.sum(), s + 1])
    t, total, plus = f()
    np.testing.assert_array_equal(t, np.arange(6.0).reshape(2, 3).T)
    assert float(total) == 15.0
    np.testing.assert_array_equal(plus, np.arange(1.0, 7.0).reshape(2, 3))


def test_zero():
    s = shared(np.ones(3))
    s.zero()
    np.testing.assert_array_equal(s.get_value(), np.zeros(3))


def test_shared_constructor_registration():
    class Box:
        def __init__(self, content):
            self.content = content

    def box_constructor(value, name=None, strict=False, allow_downcast=None):
        if not isinstance(value, Box):
            raise TypeError("not a box")
        return shared(np.asarray(value.content), name=name)

    shared_constructor(box_constructor)
    try:
        s = shared(Box([1.0, 2.0]), name="boxed")
        assert s.name == "boxed" and s.dtype == "float64"
        assert shared(np.zeros(1)).dtype == "float64"
    finally:
        shared.constructors.remove(box_constructor)


def test_unknown_keyword_raises():
    with pytest.raises(TypeError, match="no shared variable type"):
        shared(np.zeros(2), dtype="float32")
