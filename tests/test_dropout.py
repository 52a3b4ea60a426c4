"""Dropout as Theano users write it (a binomial mask from a random stream) and as
``T.nnet.dropout``: statistics, C against the reference, the generated code, errors."""

import copy

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.ops.elemwise import Elemwise
from arignote.compiler.ops.random import MRGUniform
from arignote.sandbox.rng_mrg import MRG_RandomStreams
from arignote.tensor.shared_randomstreams import RandomStreams

STREAMS = {"MRG_RandomStreams": MRG_RandomStreams, "RandomStreams": RandomStreams}


def _theano_dropout(x, p, srng):
    """The dropout of Theano tutorials and the paper's network3.py."""
    mask = srng.binomial(size=x.shape, n=1, p=1 - p, dtype=x.dtype)
    return x * mask, mask


@pytest.mark.parametrize("streams", list(STREAMS))
@pytest.mark.parametrize("p", [0.5, 0.2])
def test_mask_keeps_each_element_with_probability_one_minus_p(streams, p):
    x = T.fmatrix("x")
    y, _ = _theano_dropout(x, p, STREAMS[streams](seed=12))
    f = arignote.function([x], y)
    ones = np.ones((200, 500), dtype="float32")
    first, second = f(ones), f(ones)
    assert set(np.unique(first)) <= {0.0, 1.0}
    # 10^5 Bernoulli draws: the standard error of the mean is below 0.0016.
    assert abs(first.mean() - (1 - p)) < 0.01 and abs(second.mean() - (1 - p)) < 0.01
    assert (first != second).any()  # the state advances between calls


@pytest.mark.parametrize("streams", list(STREAMS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_c_mask_equals_the_reference_mask_for_the_same_state(streams, dtype):
    x = T.TensorType(dtype, (False, False))("x")
    y, mask = _theano_dropout(x, 0.5, STREAMS[streams](seed=3))
    compiled = arignote.function([x], [y, mask])
    reference = arignote.function([x], [y, mask], mode="FAST_COMPILE")
    # MRG states are int32 arrays; RandomStreams keeps a numpy RandomState, as Theano did.
    state = copy.deepcopy(mask.rng.get_value())
    value = np.random.default_rng(0).standard_normal((37, 29)).astype(dtype)
    c_out, c_mask = compiled(value)
    advanced = _state_words(mask.rng.get_value())
    mask.rng.set_value(copy.deepcopy(state))
    ref_out, ref_mask = reference(value)
    np.testing.assert_array_equal(c_mask, ref_mask)
    np.testing.assert_array_equal(c_out, ref_out)
    np.testing.assert_array_equal(_state_words(mask.rng.get_value()), advanced)
    assert not np.array_equal(advanced, _state_words(state))
    assert c_mask.dtype == dtype and 0.3 < c_mask.mean() < 0.7


def _state_words(state):
    """A generator state as an array: an MRG state, or a RandomState's key words."""
    return state.get_state()[1] if isinstance(state, np.random.RandomState) else state


def _run_body(f):
    source = f.source
    return source[source.index("static PyObject *run("):source.index("static PyObject *timings")]


def test_training_step_draws_the_mask_in_c_and_fuses_compare_cast_multiply():
    """An MLP layer with dropout on its input, trained by SGD: the uniform numbers come from
    the generator kernel of the module (no node falls back to Python), and the comparison
    with 1 - p, the cast to float32 and the multiplication by the input are one loop."""
    rng = np.random.default_rng(1)
    x, labels = T.fmatrix("x"), T.ivector("labels")
    w = arignote.shared(rng.standard_normal((20, 5)).astype("float32") * 0.1, name="w")
    srng = MRG_RandomStreams(seed=7)
    mask = srng.binomial(size=x.shape, n=1, p=0.5, dtype="float32")
    hidden = T.dot(x * mask, w)
    cost = T.nnet.categorical_crossentropy(T.nnet.softmax(hidden), labels).mean()
    step = arignote.function([x, labels], cost,
                             updates=[(w, w - np.float32(0.1) * T.grad(cost, w))])
    body = _run_body(step)
    assert "ag_mrg_uniform_float" in body
    assert "st->thunks" not in body  # no perform callback anywhere in the step
    nodes = step.maker.fgraph.toposort()
    draws = [n for n in nodes if isinstance(n.op, MRGUniform)]
    assert len(draws) == 1
    sample = draws[0].outputs[1]
    consumers = [n for n in nodes if any(i is sample for i in n.inputs)]
    assert len(consumers) == 1 and isinstance(consumers[0].op, Elemwise)
    fused = str(consumers[0].op)
    assert all(name in fused for name in ("lt", "cast{float32}", "mul")), fused
    # the multiplication by x is in the same loop (the compiled graph holds a copy of x)
    assert [i.name for i in consumers[0].inputs if i.owner is None] == ["x"]
    before = w.get_value()
    step(rng.standard_normal((8, 20)).astype("float32"), rng.integers(0, 5, 8).astype("int32"))
    assert not np.array_equal(before, w.get_value())


@pytest.mark.parametrize("p", [0.5, 0.25])
def test_dropout_function_rescales_the_kept_elements(p):
    x = T.dmatrix("x")
    f = arignote.function([x], T.nnet.dropout(x, p=p, srng=MRG_RandomStreams(5)))
    y = f(np.ones((300, 300)))
    assert set(np.unique(y)) == {0.0, 1 / (1 - p)}
    assert abs((y == 0).mean() - p) < 0.01
    assert abs(y.mean() - 1) < 0.02  # inverted dropout keeps the expectation


def test_dropout_function_fuses_into_one_loop_with_the_rescaling():
    x = T.fmatrix("x")
    f = arignote.function([x], T.nnet.dropout(x, p=0.3, srng=MRG_RandomStreams(5)))
    elementwise = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise)]
    assert len(elementwise) == 1, [str(n.op) for n in elementwise]
    assert "truediv" in str(elementwise[0].op) and "lt" in str(elementwise[0].op)


def test_dropout_gradient_is_the_mask():
    x = T.dmatrix("x")
    y = T.nnet.dropout(x, p=0.5, srng=RandomStreams(2))
    f = arignote.function([x], [y, T.grad(y.sum(), x)])
    value = np.random.default_rng(3).uniform(1, 2, (20, 30))
    out, gradient = f(value)
    np.testing.assert_allclose(gradient, out / value)


def test_dropout_without_rescale_and_deterministic():
    x = T.dmatrix("x")
    assert T.nnet.dropout(x, p=0.5, deterministic=True) is x
    assert T.nnet.dropout(x, p=0.0) is x
    y = arignote.function([x], T.nnet.dropout(x, 0.5, RandomStreams(1), rescale=False))(
        np.ones((10, 10)))
    assert set(np.unique(y)) == {0.0, 1.0}
    default = arignote.function([x], T.nnet.dropout(x, 0.5))(np.ones((10, 10)))
    assert set(np.unique(default)) == {0.0, 2.0}


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5])
def test_bad_probability_is_rejected(p):
    with pytest.raises(ValueError, match=r"must be in \[0, 1\)"):
        T.nnet.dropout(T.dmatrix("x"), p=p)


def test_integer_input_is_rejected():
    with pytest.raises(TypeError, match="float32 or float64"):
        T.nnet.dropout(T.imatrix("x"), p=0.5)


def test_failed_call_leaves_the_generator_state_unchanged():
    """A shape error after the draw: the state update (a shared variable) is not applied."""
    x, z = T.dmatrix("x"), T.dmatrix("z")
    y, mask = _theano_dropout(x, 0.5, MRG_RandomStreams(9))
    f = arignote.function([x, z], y + z)
    state = mask.rng.get_value()
    with pytest.raises(ValueError):
        f(np.ones((3, 4)), np.ones((5, 6)))
    np.testing.assert_array_equal(mask.rng.get_value(), state)
    f(np.ones((3, 4)), np.ones((3, 4)))
    assert not np.array_equal(mask.rng.get_value(), state)
