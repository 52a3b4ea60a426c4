"""T.sort / T.argsort / topk: compiled in C, stable, NaNs last, clear errors."""

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.ops.sort import ArgSort, Sort, TakeAlong


def _fallbacks(f):
    return [n for n in f.maker.native.plan.fallback_nodes
            if isinstance(n.op, (Sort, ArgSort, TakeAlong))]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "uint32", "int64", "bool"])
def test_compiled_sorts_match_numpy(dtype):
    rng = np.random.default_rng(1)
    data = (rng.standard_normal((5, 40)) * 4).astype(dtype)
    if dtype.startswith("float"):
        data[1, ::7] = np.nan
    x = T.tensor(dtype, (False, False))
    f = arignote.function([x], [T.sort(x), T.argsort(x, axis=0), T.sort(x, axis=None)])
    assert not _fallbacks(f)
    values, order, flat = f(data)
    np.testing.assert_array_equal(values, np.sort(data, kind="stable"))
    np.testing.assert_array_equal(order, np.argsort(data, axis=0, kind="stable"))
    np.testing.assert_array_equal(flat, np.sort(data, axis=None))


def test_long_rows_and_strided_input():
    data = np.random.default_rng(2).integers(0, 50, (3, 1000)).astype("float64")
    x = T.dmatrix("x")
    f = arignote.function([x], [T.argsort(x.T, axis=0), T.sort(x[:, ::3])])
    order, values = f(data)
    np.testing.assert_array_equal(order, np.argsort(data.T, axis=0, kind="stable"))
    np.testing.assert_array_equal(values, np.sort(data[:, ::3]))


def test_gradient_of_sort_and_topk():
    rng = np.random.default_rng(3)
    arignote.gradient.verify_grad(lambda x: T.sort(x, axis=0) * np.arange(4.0)[:, None],
                                  [rng.permutation(12).reshape(4, 3) * 1.0], rng=rng)
    arignote.gradient.verify_grad(lambda x: T.topk(x, 2), [rng.standard_normal((3, 5))],
                                  rng=rng)


def test_bad_arguments_raise_clearly():
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.sort(x, axis=2)
    with pytest.raises(ValueError, match="kind"):
        T.argsort(x, kind="bogo")
    with pytest.raises(ValueError, match="0-d"):
        T.sort(T.dscalar())
    with pytest.raises(ValueError, match="kth"):
        T.topk(x, 0)
    o = T.lmatrix("o")
    f = arignote.function([x, o], TakeAlong(1)(x, o))
    with pytest.raises(IndexError, match="out of range"):
        f(np.zeros((2, 3)), np.array([[0, 1, 3], [0, 1, 2]]))
    with pytest.raises(ValueError, match="differ"):
        f(np.zeros((2, 3)), np.zeros((2, 2), dtype="int64"))
