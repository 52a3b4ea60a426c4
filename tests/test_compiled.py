"""The C backend end to end: one native call per function call, bad input raising clear
Python exceptions (never a crash), shared variables unchanged by a failed call, in-place
buffer reuse staying invisible, and the generated source being visible."""

import numpy as np
import pytest

import arignote as theano
import arignote.tensor as T
from arignote.runtime import build

pytestmark = pytest.mark.skipif(build.find_compiler() is None, reason="no C compiler")


def test_functions_compile_to_one_module():
    x = T.dmatrix("x")
    f = theano.function([x], T.exp(x) * 2 + 1)
    assert f.maker.native is not None
    assert f.maker.native.plan.fallback_nodes == []
    assert "ag_state" in f.source
    np.testing.assert_allclose(f(np.ones((2, 3))), np.exp(1) * 2 + 1)


def test_broadcast_mismatch_raises_with_the_user_line():
    x, y = T.dmatrices("x", "y")
    z = x + y  # the line the error must name
    f = theano.function([x, y], z)
    with pytest.raises(ValueError) as info:
        f(np.ones((2, 3)), np.ones((1, 3)))
    message = str(info.value)
    assert "do not match" in message and "test_compiled.py" in message
    assert "z = x + y" in message
    assert len(message.splitlines()) <= 10


def test_dot_shape_mismatch_raises():
    x, y = T.dmatrices("x", "y")
    f = theano.function([x, y], T.dot(x, y))
    with pytest.raises(ValueError, match="not aligned"):
        f(np.ones((2, 3)), np.ones((4, 2)))


def test_index_out_of_range_raises_index_error():
    x = T.dvector("x")
    i = T.lscalar("i")
    rows = T.lvector("rows")
    f = theano.function([x, i], x[i] * 2)
    g = theano.function([x, rows], x[rows] + 1)
    assert float(f(np.arange(3.0), 2)) == 4.0
    with pytest.raises(IndexError, match="out of bounds"):
        f(np.arange(3.0), 3)
    with pytest.raises(IndexError, match="out of bounds"):
        g(np.arange(3.0), np.array([0, 5]))
    np.testing.assert_allclose(g(np.arange(3.0), np.array([-1, 0])), [3.0, 1.0])


def test_failed_call_leaves_shared_variables_unchanged():
    w = theano.shared(np.ones(3), name="w")
    b = theano.shared(np.float64(0.5), name="b")
    x = T.dvector("x")
    y = T.dmatrix("y")
    cost = (T.dot(y, w) * x).sum() + b
    train = theano.function([x, y], cost, updates=[(w, w * 2), (b, b + 1)])
    train(np.ones(2), np.ones((2, 3)))
    np.testing.assert_allclose(w.get_value(), 2.0)
    with pytest.raises(ValueError):
        train(np.ones(4), np.ones((2, 3)))
    np.testing.assert_allclose(w.get_value(), 2.0)
    assert float(b.get_value()) == 1.5


def test_updates_do_not_alias_values_the_user_holds():
    w = theano.shared(np.zeros(4), name="w")
    step = theano.function([], [], updates=[(w, w + 1)])
    held = w.get_value(borrow=True)
    for _ in range(3):
        step()
    np.testing.assert_allclose(held, 0.0)
    np.testing.assert_allclose(w.get_value(), 3.0)
    copy = w.get_value()
    step()
    np.testing.assert_allclose(copy, 3.0)


def test_outputs_are_fresh_arrays():
    x = T.dvector("x")
    w = theano.shared(np.arange(3.0), name="w")
    f = theano.function([x], [x, w, x.T, T.exp(x)])
    value = np.ones(3)
    out = f(value)
    out[0][0] = 99.0
    out[1][0] = 99.0
    assert value[0] == 1.0 and w.get_value()[0] == 0.0
    again = f(value)
    assert again[3] is not out[3]


def test_wrong_input_types_are_converted_or_rejected():
    x = T.fvector("x")
    f = theano.function([x], x * 2)
    np.testing.assert_allclose(f([1, 2]), [2.0, 4.0])
    with pytest.raises(TypeError, match="allow_input_downcast"):
        f(np.ones(2))
    with pytest.raises(TypeError):
        f(np.ones((2, 2), dtype="float32"))
    with pytest.raises(TypeError):
        f("text")
    g = theano.function([x], x * 2, allow_input_downcast=True)
    np.testing.assert_allclose(g(np.ones(2)), [2.0, 2.0])


def test_non_contiguous_and_broadcast_inputs():
    x = T.dmatrix("x")
    r = T.drow("r")
    f = theano.function([x, r], T.tanh(x) * r + x.sum(axis=0))
    base = np.random.default_rng(0).standard_normal((6, 8))
    value = base[::2, ::3]
    row = np.arange(3.0).reshape(1, 3)
    expected = np.tanh(value) * row + value.sum(axis=0)
    np.testing.assert_allclose(f(value, row), expected)
    np.testing.assert_allclose(f(value.T.copy().T, row), expected)


def test_large_arrays_use_the_parallel_path():
    x = T.fvector("x")
    y = T.fvector("y")
    f = theano.function([x, y], T.exp(-x * x) * T.sin(y) + T.tanh(x * y))
    rng = np.random.default_rng(1)
    a = rng.standard_normal(1 << 20).astype("float32")
    b = rng.standard_normal(1 << 20).astype("float32")
    np.testing.assert_allclose(f(a, b), np.exp(-a * a) * np.sin(b) + np.tanh(a * b),
                               rtol=2e-6, atol=1e-6)


def test_ops_without_c_code_run_their_reference_inside_the_module():
    x = T.dvector("x")
    f = theano.function([x], T.sort(x) if hasattr(T, "sort") else T.cumsum(x) * 2)
    value = np.array([3.0, 1.0, 2.0])
    expected = np.sort(value) if hasattr(T, "sort") else np.cumsum(value) * 2
    np.testing.assert_allclose(f(value), expected)


def test_trust_input_and_keyword_calls():
    x = T.dvector("x")
    y = T.dvector("y")
    f = theano.function([x, theano.In(y, value=np.ones(2))], x + y)
    np.testing.assert_allclose(f(np.zeros(2)), [1.0, 1.0])
    np.testing.assert_allclose(f(x=np.zeros(2), y=np.full(2, 3.0)), [3.0, 3.0])
    f.trust_input = True
    np.testing.assert_allclose(f(np.zeros(2), np.zeros(2)), [0.0, 0.0])


def test_print_source_flag(capsys):
    old = theano.config.print_source
    theano.config.print_source = True
    try:
        x = T.dvector("x")
        theano.function([x], T.exp(x) * 3.25)
    finally:
        theano.config.print_source = old
    assert "arignote generated module" in capsys.readouterr().err


def test_increments_reuse_a_dying_buffer_but_never_a_live_one():
    x = T.dmatrix("x")
    rows = T.lvector("rows")
    y = T.dmatrix("y")
    doubled = x * 2
    grown = T.inc_subtensor(doubled[rows], y)  # `doubled` dies here: updated in place
    shifted = T.set_subtensor((x + 1)[1:], (x + 1)[:-1])  # reads a view of its own target
    kept = x * 3
    both = [T.inc_subtensor(kept[0], 1.0), kept]  # `kept` is still needed: copied
    f = theano.function([x, rows, y], [grown, shifted] + both)
    value = np.arange(12.0).reshape(4, 3)
    index = np.array([0, 2, 0])
    out = f(value, index, np.ones((3, 3)))
    expected = value * 2
    np.add.at(expected, index, np.ones((3, 3)))
    np.testing.assert_allclose(out[0], expected)
    plus = value + 1
    shifted_expected = plus.copy()
    shifted_expected[1:] = plus[:-1]
    np.testing.assert_allclose(out[1], shifted_expected)
    bumped = value * 3
    bumped[0] += 1
    np.testing.assert_allclose(out[2], bumped)
    np.testing.assert_allclose(out[3], value * 3)


def test_rows_and_columns_broadcast_into_matrices():
    m = T.fmatrix("m")
    r = T.frow("r")
    c = T.fcol("c")
    t = T.ftensor3("t")
    plane = T.TensorType("float32", (True, False, False))("plane")
    f = theano.function([m, r, c, t, plane],
                        [T.tanh(m + r), m * c + r, T.exp(m - c), t * plane + 1])
    rng = np.random.default_rng(2)
    values = [rng.random((20, 50)).astype("float32"), rng.random((1, 50)).astype("float32"),
              rng.random((20, 1)).astype("float32"), rng.random((4, 5, 6)).astype("float32"),
              rng.random((1, 5, 6)).astype("float32")]
    M, R, C, A, B = values
    expected = [np.tanh(M + R), M * C + R, np.exp(M - C), A * B + 1]
    for got, want in zip(f(*values), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5)
    strided = [np.asfortranarray(M), R, C, A[:, :, ::-1].copy()[:, :, ::-1], B]
    for got, want in zip(f(*strided), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5)
