"""arignote.scan: bad input gives clear errors that name the argument at fault.

Build-time mistakes (types, statically known shapes, what fn returns) raise when ``scan`` is
called; run-time ones (lengths, shapes, n_steps values) when the function runs.  A failing
call leaves shared variables as they were.
"""

from collections import OrderedDict

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.scan_module import until


def message(excinfo):
    return str(excinfo.value)


def test_sequences_of_different_lengths_run_the_shortest():
    """As in Theano (its polynomial tutorial relies on it): as many steps as the shortest."""
    x, y = T.dvector("xs"), T.dvector("ys")
    out, _ = arignote.scan(lambda a, b: a + b, sequences=[x, y])
    for mode in (None, "FAST_COMPILE"):
        f = arignote.function([x, y], out, mode=mode)
        np.testing.assert_allclose(f(np.arange(5.0), np.ones(4)), np.arange(4.0) + 1)
        np.testing.assert_allclose(f(np.arange(2.0), np.ones(4)), np.arange(2.0) + 1)


def test_sequences_of_different_lengths_with_taps():
    """With taps the steps a sequence gives are len - span: 6 - 2 = 4 against 5."""
    x, y = T.dvector("xs"), T.dvector("ys")
    out, _ = arignote.scan(lambda a, b, c: a + b + c,
                           sequences=[{"input": x, "taps": [-2, 0]}, y])
    f = arignote.function([x, y], out)
    assert f(np.arange(6.0), np.zeros(4)).shape == (4,)
    np.testing.assert_allclose(f(np.arange(6.0), np.zeros(5)), [2.0, 4.0, 6.0, 8.0])


def test_output_taps_beyond_initial_rows_at_run_time():
    h0 = T.dmatrix("h0")
    out, _ = arignote.scan(lambda a, b: a + b, outputs_info={"initial": h0, "taps": [-3, -1]},
                           n_steps=4)
    f = arignote.function([h0], out)
    assert f(np.ones((3, 2))).shape == (4, 2)
    with pytest.raises(ValueError) as excinfo:
        f(np.ones((2, 2)))
    text = message(excinfo).lower()
    assert "output" in text or "h0" in text or "initial" in text
    assert "3" in text and "2" in text


def test_output_taps_beyond_initial_rows_at_build_time():
    """The initial state is a constant: its 2 rows cannot feed tap -3, known at scan()."""
    with pytest.raises(ValueError) as excinfo:
        arignote.scan(lambda a, b: a + b,
                      outputs_info={"initial": np.ones((2, 2)), "taps": [-3, -1]}, n_steps=4)
    text = message(excinfo).lower()
    assert "output" in text or "initial" in text
    assert "3" in text


def test_initial_state_shape_differs_from_fn_result():
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    out, _ = arignote.scan(lambda x_t, h: x_t + h.sum(), sequences=x, outputs_info=h0)
    f = arignote.function([x, h0], out)
    assert f(np.ones((2, 3)), np.ones(3)).shape == (2, 3)
    with pytest.raises(ValueError) as excinfo:
        f(np.ones((2, 3)), np.ones(4))
    text = message(excinfo).lower()
    assert "output" in text or "h0" in text or "initial" in text
    assert "shape" in text or ("3" in text and "4" in text)


def test_dtype_mismatch_initial_vs_fn_result():
    """fn returns float32 for a float64 initial state: TypeError naming the output."""
    h0 = T.dvector("h0")
    with pytest.raises(TypeError) as excinfo:
        arignote.scan(lambda h: T.cast(h * 2, "float32"), outputs_info=h0, n_steps=3)
    text = message(excinfo)
    assert "float32" in text and "float64" in text
    assert "output" in text.lower() or "h0" in text or "initial" in text.lower()


def test_float32_initial_state_is_upcast_to_fn_result():
    """strict=False: a float32 initial state with a float64 fn result is upcast, no error."""
    h0 = T.fvector("h0")
    out, _ = arignote.scan(lambda h: T.cast(h, "float64") * 2, outputs_info=h0, n_steps=2)
    assert out.dtype == "float64"
    got = arignote.function([h0], out)(np.array([1.5, 2.0], dtype="float32"))
    np.testing.assert_allclose(got, [[3.0, 4.0], [6.0, 8.0]])


def test_ndim_mismatch_initial_vs_fn_result():
    h0 = T.dvector("h0")
    with pytest.raises(TypeError) as excinfo:
        arignote.scan(lambda h: T.outer(h, h), outputs_info=h0, n_steps=3)
    text = message(excinfo).lower()
    assert "output" in text or "h0" in text or "initial" in text
    assert "ndim" in text or "dimension" in text or "matrix" in text or "broadcast" in text


def test_n_steps_negative():
    n = T.lscalar("n")
    h0 = T.dscalar("h0")
    out, _ = arignote.scan(lambda h: h + 1, outputs_info=h0, n_steps=n)
    f = arignote.function([h0, n], out)
    with pytest.raises((ValueError, IndexError)) as excinfo:
        f(0.0, -2)
    text = message(excinfo).lower()
    assert "n_steps" in text or "negative" in text or "number of steps" in text


def test_n_steps_negative_constant():
    h0 = T.dscalar("h0")
    with pytest.raises(ValueError) as excinfo:
        out, _ = arignote.scan(lambda h: h + 1, outputs_info=h0, n_steps=-2)
        arignote.function([h0], out)(0.0)
    text = message(excinfo).lower()
    assert "n_steps" in text or "negative" in text


def test_n_steps_larger_than_sequence():
    x, n = T.dvector("x"), T.lscalar("n")
    out, _ = arignote.scan(lambda a: a * 2, sequences=x, n_steps=n)
    f = arignote.function([x, n], out)
    np.testing.assert_allclose(f(np.arange(5.0), 3), [0.0, 2.0, 4.0])
    with pytest.raises(ValueError) as excinfo:
        f(np.arange(5.0), 7)
    text = message(excinfo).lower()
    assert "n_steps" in text
    assert "sequence" in text or "x" in text


def test_n_steps_larger_than_sequence_constant():
    x = T.dvector("x")
    out, _ = arignote.scan(lambda a: a * 2, sequences=x, n_steps=7)
    f = arignote.function([x], out)
    with pytest.raises(ValueError) as excinfo:
        f(np.arange(5.0))
    assert "n_steps" in message(excinfo).lower()


@pytest.mark.parametrize("bad", [object(), "hello", [1.0, object()]])
def test_fn_returning_non_variable(bad):
    x = T.dvector("x")
    with pytest.raises(TypeError) as excinfo:
        arignote.scan(lambda a: bad, sequences=x)
    text = message(excinfo).lower()
    assert "fn" in text or "return" in text


@pytest.mark.parametrize("mode", [None, "FAST_COMPILE"])
def test_reading_rows_that_no_step_wrote(mode):
    """out[-1] after 0 steps, out[-2] after 1: IndexError, not the initial state."""
    h0, n = T.dvector("h0"), T.lscalar("n")
    out, _ = arignote.scan(lambda h: h + 1, outputs_info=h0, n_steps=n)
    last = arignote.function([h0, n], out[-1], mode=mode)
    second = arignote.function([h0, n], out[-2], mode=mode)
    np.testing.assert_allclose(last(np.zeros(2), 3), [3.0, 3.0])
    np.testing.assert_allclose(second(np.zeros(2), 3), [2.0, 2.0])
    with pytest.raises(IndexError):
        last(np.zeros(2), 0)
    with pytest.raises(IndexError):
        second(np.zeros(2), 1)


def test_until_condition_must_be_a_scalar():
    x = T.dvector("x")
    with pytest.raises(TypeError) as excinfo:
        arignote.scan(lambda a: (a, until(T.stack([a, a]) > 0)), sequences=x)
    assert "until" in message(excinfo) and "scalar" in message(excinfo)


def test_update_of_a_non_shared_variable():
    x = T.dvector("xs")
    with pytest.raises(TypeError) as excinfo:
        arignote.scan(lambda a: (a, {x: x + 1}), sequences=x)
    assert "xs" in message(excinfo) and "shared" in message(excinfo)


def test_scalar_sequence():
    s = T.dscalar("s")
    with pytest.raises(TypeError) as excinfo:
        arignote.scan(lambda a: a, sequences=s)
    assert "sequences[0]" in message(excinfo) and "scalar" in message(excinfo)


@pytest.mark.parametrize("taps", [[1], [0], [-1, 2]])
def test_output_taps_must_be_negative(taps):
    h0 = T.dmatrix("h0")
    with pytest.raises(ValueError) as excinfo:
        arignote.scan(lambda *a: a[0], outputs_info={"initial": h0, "taps": taps}, n_steps=3)
    assert "outputs_info[0]" in message(excinfo) and "negative" in message(excinfo)


def test_n_steps_must_be_an_integer():
    h0 = T.dscalar("h0")
    with pytest.raises(TypeError) as excinfo:
        arignote.scan(lambda h: h, outputs_info=h0, n_steps=T.dscalar("n"))
    assert "n_steps" in message(excinfo)


@pytest.mark.parametrize("recurrent", [True, False])
def test_strict_rejects_a_captured_shared_variable(recurrent):
    """strict=True: a shared variable used by fn must be among the non_sequences, also when
    the output it feeds does not depend on the previous steps."""
    x, h0 = T.dvector("x"), T.dscalar("h0")
    w = arignote.shared(np.float64(2.0), name="w")
    fn, info = (lambda a, h: a * w + h, h0) if recurrent else (lambda a: a * w, None)
    with pytest.raises(ValueError) as excinfo:
        arignote.scan(fn, sequences=x, outputs_info=info, strict=True)
    assert "w" in message(excinfo) and "non_sequences" in message(excinfo)
    given = (lambda a, h, w: a * w + h) if recurrent else (lambda a, w: a * w)
    out, _ = arignote.scan(given, sequences=x, outputs_info=info, non_sequences=[w],
                           strict=True)
    got = arignote.function([x, h0], out, on_unused_input="ignore")(np.array([1.0, 2.0]), 0.5)
    np.testing.assert_allclose(got, [2.5, 6.5] if recurrent else [2.0, 4.0])


def test_no_sequences_and_no_n_steps():
    h0 = T.dscalar("h0")
    with pytest.raises(ValueError) as excinfo:
        arignote.scan(lambda h: h + 1, outputs_info=h0)
    assert "n_steps" in message(excinfo)


# ---------------------------------------------------------------------------------------------
# a failing call leaves shared variables unchanged


def _counting_scan(mode):
    counter = arignote.shared(np.int64(0), name="counter")
    total = arignote.shared(np.float64(0.0), name="total")
    table = T.dvector("table")
    idx = T.lvector("idx")
    other = T.dvector("other")

    def step(i, o):
        value = table[i] + o
        return value, OrderedDict([(counter, counter + 1), (total, total + value)])

    out, updates = arignote.scan(step, sequences=[idx, other])
    f = arignote.function([table, idx, other], out, updates=updates, mode=mode)
    return f, counter, total


@pytest.mark.parametrize("mode", [None, "FAST_COMPILE"])
def test_failing_call_leaves_shared_unchanged(mode):
    f, counter, total = _counting_scan(mode)
    table = np.arange(4.0)
    np.testing.assert_allclose(f(table, np.array([0, 3]), np.zeros(2)), [0.0, 3.0])
    assert int(counter.get_value()) == 2 and float(total.get_value()) == 3.0
    # a table of the wrong rank: fails before the first step
    with pytest.raises((TypeError, ValueError)):
        f(np.ones((4, 1)), np.array([0, 1]), np.zeros(2))
    assert int(counter.get_value()) == 2 and float(total.get_value()) == 3.0
    # the index at step 3 is out of range: fails inside the loop, after two steps ran
    with pytest.raises(IndexError):
        f(table, np.array([1, 1, 9]), np.zeros(3))
    assert int(counter.get_value()) == 2 and float(total.get_value()) == 3.0
    np.testing.assert_allclose(f(table, np.array([1]), np.ones(1)), [2.0])
    assert int(counter.get_value()) == 3 and float(total.get_value()) == 5.0
