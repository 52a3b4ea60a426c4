"""TensorType: construction, printing and the input conversion rules (filter)."""

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.types import TensorType


def test_type_identity_and_printing():
    assert TensorType("float32", (False, False)) == TensorType("float32", [0, 0])
    assert hash(TensorType("float32", (True,))) == hash(TensorType("float32", (True,)))
    assert str(TensorType("float64", (False,))) == "TensorType(float64, vector)"
    assert str(TensorType("int8", (True, False))) == "TensorType(int8, row)"
    assert TensorType("float32", shape=(None, 1)).broadcastable == (False, True)


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "int64", "uint8",
                                   "uint16", "uint32", "uint64", "float16", "float32",
                                   "float64"])
def test_all_dtypes(dtype):
    t = TensorType(dtype, (False,))
    assert t.filter(np.zeros(3, dtype=dtype)).dtype == dtype


def test_unknown_dtype_is_rejected():
    with pytest.raises(TypeError, match="unsupported dtype"):
        TensorType("str", ())


def test_filter_rules():
    fvec = TensorType("float32", (False,))
    with pytest.raises(TypeError, match="allow_input_downcast"):
        fvec.filter(np.zeros(3, dtype="float64"))
    assert fvec.filter(np.zeros(3, dtype="float64"), allow_downcast=True).dtype == "float32"
    assert fvec.filter(np.zeros(3, dtype="int8")).dtype == "float32"
    dvec = TensorType("float64", (False,))
    assert dvec.filter([1, 2, 3]).dtype == "float64"
    with pytest.raises(TypeError, match="dimensions"):
        dvec.filter(np.zeros((2, 2)))
    row = TensorType("float64", (True, False))
    with pytest.raises(TypeError, match="broadcastable"):
        row.filter(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="strict"):
        dvec.filter([1.0], strict=True)
    ivec = TensorType("int32", (False,))
    assert ivec.filter([1, 2]).dtype == "int32"
    with pytest.raises(TypeError):
        ivec.filter([1.5])


def test_python_float_goes_to_floatx():
    old = arignote.config.floatX
    arignote.config.floatX = "float32"
    try:
        assert TensorType("float32", ()).filter(0.1).dtype == "float32"
        assert T.scalar().dtype == "float32"
        assert T.constant(0.1).dtype == "float32"
    finally:
        arignote.config.floatX = old


def test_constructors_and_plurals():
    assert T.fmatrix().type == TensorType("float32", (False, False))
    assert T.lvector().dtype == "int64"
    assert T.btensor3().ndim == 3
    assert T.wscalar().dtype == "int16"
    assert T.dtensor5().ndim == 5
    assert T.col().broadcastable == (False, True)
    a, b, c = T.dmatrices("a", "b", "c")
    assert [v.name for v in (a, b, c)] == ["a", "b", "c"]
    assert len(T.fscalars(2)) == 2
    assert T.matrix(dtype="int32").dtype == "int32"
    assert T.tensor("float32", (False, True)).broadcastable == (False, True)
    assert T.tensor(dtype="int8", shape=(None, 1, None)).broadcastable == (False, True, False)


def test_autocast_of_python_scalars():
    assert T.constant(2).dtype == "int8"
    assert T.constant(1000).dtype == "int16"
    assert T.constant(2 ** 40).dtype == "int64"
    assert T.constant(True).dtype == "bool"
    if arignote.config.floatX == "float64":
        assert T.constant(1.5).dtype == "float32"
        assert T.constant(0.1).dtype == "float64"
