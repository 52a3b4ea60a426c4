"""Random streams: MRG_RandomStreams (theano.sandbox.rng_mrg) and RandomStreams
(theano.tensor.shared_randomstreams) — statistics, seeding, updates, C against the
reference backend, gradients through the affine transforms, and dropout compiled to C.
Theano 1.0's exact numbers are checked in tests/test_theano_random_numbers.py."""

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.ops.random import (
    M1,
    M2,
    mrg_integers,
    next_stream,
    seed_state,
    substream_states,
)
from arignote.sandbox.rng_mrg import MRG_RandomStreams, guess_n_streams
from arignote.tensor.shared_randomstreams import RandomStreams

from .op_cases.random_cases import mrg31k3p

STREAMS = [MRG_RandomStreams, RandomStreams]
N = 100_000


def _run(variable, mode=None, **kwargs):
    return arignote.function([], variable, mode=mode, **kwargs)()


# ----------------------------------------------------------------------- the generator
def test_jump_matrices_are_theanos():
    """Substreams are 2**72 steps apart and streams 2**134 (Theano's constants)."""
    from arignote.compiler.ops.random import _jump
    assert _jump(0, 72)[0] == (1516919229, 758510237, 499121365)
    assert _jump(1, 72)[0] == (1228857673, 1496414766, 954677935)
    assert _jump(0, 134)[0] == (1702500920, 1849582496, 1656874625)


def test_substreams_are_jumps_of_the_sequence():
    base = seed_state(5)
    rows = substream_states(base, 5)
    assert rows.dtype == np.int32 and rows.shape == (5, 6)
    assert (rows[0] == 5).all() and len({tuple(r) for r in rows}) == 5
    # Jumping by 2**72 twice equals the row two further on.
    twice = substream_states(substream_states(base, 2)[1], 2)[1]
    np.testing.assert_array_equal(twice, rows[2])
    assert (next_stream(base) != base).any()


def test_shift_and_mask_form_equals_the_definition():
    state = substream_states(seed_state(99), 3)
    new_state, integers = mrg_integers(state, 1000)
    expected_state, expected = mrg31k3p(state, 1000)
    np.testing.assert_array_equal(integers, expected)
    np.testing.assert_array_equal(new_state, expected_state)
    assert integers.min() >= 1 and integers.max() <= M1


@pytest.mark.parametrize("seed", [0, -3, M2, 2 ** 40])
def test_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        MRG_RandomStreams(seed)


def test_six_word_seed():
    srng = MRG_RandomStreams([1, 2, 3, 4, 5, 6])
    assert srng.rstate.tolist() == [1, 2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="6 ints"):
        MRG_RandomStreams([0, 0, 0, 1, 1, 1])


def test_guess_n_streams():
    assert guess_n_streams((2, 2)) == 4
    assert guess_n_streams((600,)) == 100
    assert guess_n_streams((10 ** 6,)) == 60 * 256
    assert guess_n_streams(None) == 60 * 256
    assert guess_n_streams((0,)) == 1
    # Theano counted Python ints only: a numpy integer or a graph means "unknown".
    assert guess_n_streams((np.int64(12),)) == 60 * 256
    assert guess_n_streams((T.lscalar(),)) == 60 * 256
    with pytest.warns(UserWarning, match="guessing 60"):
        guess_n_streams(None, warn=True)


# ----------------------------------------------------------------------- statistics
@pytest.mark.parametrize("streams", STREAMS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_statistics(streams, dtype):
    values = _run(streams(11).uniform((N,), low=-1.0, high=3.0, dtype=dtype))
    assert values.dtype == dtype and values.shape == (N,)
    assert values.min() >= -1.0 and values.max() < 3.0
    u = (values.astype(np.float64) + 1.0) / 4.0
    assert abs(u.mean() - 0.5) < 0.005
    assert abs(u.var() - 1.0 / 12) < 0.002
    counts = np.histogram(u, bins=10, range=(0, 1))[0]
    assert np.abs(counts - N / 10).max() < 5 * np.sqrt(N / 10)


def test_unit_uniform_is_open_interval():
    values = _run(MRG_RandomStreams(3).uniform((N,), dtype="float32"))
    assert values.min() > 0 and values.max() < 1


@pytest.mark.parametrize("streams", STREAMS)
@pytest.mark.parametrize("size", [(N,), (N + 1,), (3, 7)])
def test_normal_statistics(streams, size):
    values = _run(streams(12).normal(size, avg=2.0, std=3.0))
    assert values.shape == size and values.dtype == arignote.config.floatX
    if values.size < 1000:
        return
    z = (values - 2.0) / 3.0
    assert abs(z.mean()) < 0.02 and abs(z.var() - 1.0) < 0.03
    assert abs(np.mean(z ** 3)) < 0.05 and abs(np.mean(z ** 4) - 3.0) < 0.15
    assert abs(np.mean(np.abs(z) < 1.0) - 0.6827) < 0.01


@pytest.mark.parametrize("streams", STREAMS)
def test_binomial_frequencies(streams):
    srng = streams(13)
    ones = _run(srng.binomial((N,), p=0.3))
    assert ones.dtype == np.int64 and set(np.unique(ones)) <= {0, 1}
    assert abs(ones.mean() - 0.3) < 0.0075
    counts = _run(srng.binomial((N,), n=10, p=0.3, dtype="int32"))
    assert counts.dtype == np.int32 and counts.min() >= 0 and counts.max() <= 10
    assert abs(counts.mean() - 3.0) < 0.03 and abs(counts.var() - 2.1) < 0.06
    frequencies = np.bincount(counts, minlength=11) / N
    from math import comb
    expected = np.array([comb(10, k) * 0.3 ** k * 0.7 ** (10 - k) for k in range(11)])
    assert np.abs(frequencies - expected).max() < 0.006


def test_binomial_per_element_probabilities():
    p = np.linspace(0.0, 1.0, 5)
    draws = _run(MRG_RandomStreams(4).binomial((20000, 5), p=p))
    np.testing.assert_allclose(draws.mean(axis=0), p, atol=0.015)
    assert (draws[:, 0] == 0).all() and (draws[:, -1] == 1).all()


@pytest.mark.parametrize("streams", STREAMS)
def test_multinomial_frequencies(streams):
    pvals = np.array([0.2, 0.3, 0.5])
    srng = streams(14)
    one_hot = _run(srng.multinomial(pvals=np.tile(pvals, (N, 1))))
    assert one_hot.shape == (N, 3) and (one_hot.sum(axis=1) == 1).all()
    np.testing.assert_allclose(one_hot.mean(axis=0), pvals, atol=0.008)
    counts = _run(srng.multinomial(size=(1000,), n=20, pvals=pvals, dtype="float64"))
    assert counts.shape == (1000, 3) and counts.dtype == np.float64
    assert (counts.sum(axis=1) == 20).all()
    np.testing.assert_allclose(counts.mean(axis=0), 20 * pvals, atol=0.2)


def test_random_integers_cover_the_closed_range():
    values = _run(RandomStreams(15).random_integers((N,), low=-2, high=4))
    assert values.dtype == np.int64 and values.min() == -2 and values.max() == 4
    frequencies = np.bincount(values + 2) / N
    np.testing.assert_allclose(frequencies, 1 / 7, atol=0.006)


def test_choice_forms():
    srng = RandomStreams(16)
    idx = _run(srng.choice((N,), a=4, p=[0.1, 0.2, 0.3, 0.4]))
    np.testing.assert_allclose(np.bincount(idx, minlength=4) / N, [0.1, 0.2, 0.3, 0.4],
                               atol=0.008)
    uniform_idx = _run(srng.choice((N,), a=5))
    np.testing.assert_allclose(np.bincount(uniform_idx, minlength=5) / N, 0.2, atol=0.008)
    values = _run(srng.choice((2, 3), a=np.array([10.0, 20.0, 30.0])))
    assert values.shape == (2, 3) and set(values.ravel()) <= {10.0, 20.0, 30.0}
    distinct = _run(srng.choice((6,), a=6, replace=False))
    assert sorted(distinct) == list(range(6))


def test_mrg_choice_without_replacement_per_row():
    p = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.0, 0.5]])
    picks = _run(MRG_RandomStreams(17).choice(size=2, p=p, replace=False))
    assert picks.shape == (2, 2)
    assert len(set(picks[0])) == 2 and sorted(picks[1]) == [1, 3]


def test_mrg_choice_without_replacement_frequencies():
    # First draw ~ p; the second is drawn from what is left, renormalised.
    p = np.array([[0.5, 0.3, 0.2]])
    f = arignote.function([], MRG_RandomStreams(18).choice(size=2, p=p, replace=False))
    draws = np.array([f()[0] for _ in range(3000)])
    first = np.bincount(draws[:, 0], minlength=3) / len(draws)
    np.testing.assert_allclose(first, p[0], atol=0.04)
    second_after_0 = draws[draws[:, 0] == 0, 1]
    assert abs(np.mean(second_after_0 == 1) - 0.6) < 0.06


def test_permutation():
    perms = _run(RandomStreams(19).permutation((500,), n=5))
    assert perms.shape == (500, 5)
    assert (np.sort(perms, axis=1) == np.arange(5)).all()
    assert len({tuple(p) for p in perms}) > 60  # of the 120 permutations
    single = _run(MRG_RandomStreams(19).permutation(n=7))
    assert sorted(single) == list(range(7))


# ----------------------------------------------------------------------- seeds and updates
@pytest.mark.parametrize("streams", STREAMS)
def test_same_seed_same_numbers_and_calls_differ(streams):
    first = [_run(streams(20).uniform((5,))) for _ in range(2)]
    np.testing.assert_array_equal(first[0], first[1])
    srng = streams(20)
    a, b = srng.uniform((5,)), srng.uniform((5,))
    f = arignote.function([], [a, b])
    x1, y1 = f()
    x2, _ = f()
    assert not np.array_equal(x1, y1)  # different calls: different streams
    assert not np.array_equal(x1, x2)  # each call of f draws new numbers
    np.testing.assert_array_equal(x1, first[0])
    assert not np.array_equal(_run(streams(21).uniform((5,))), first[0])


@pytest.mark.parametrize("streams", STREAMS)
def test_no_default_updates(streams):
    srng = streams(22)
    f = arignote.function([], srng.normal((4,)), no_default_updates=True)
    np.testing.assert_array_equal(f(), f())
    g = arignote.function([], srng.normal((4,)))
    assert not np.array_equal(g(), g())


@pytest.mark.parametrize("streams", STREAMS)
def test_seed_rewinds_every_state(streams):
    srng = streams(23)
    u, z = srng.uniform((3,)), srng.normal((3,))
    f = arignote.function([], [u, z])
    first = f()
    f()
    srng.seed(23)
    np.testing.assert_array_equal(f()[0], first[0])
    srng.seed(24)
    assert not np.array_equal(f()[0], first[0])


def test_rng_attribute_rewinds_and_updates_list():
    srng = RandomStreams(seed=234)
    rv = srng.uniform((2, 2))
    assert type(rv.rng.get_value()) is np.random.RandomState
    f = arignote.function([], rv)
    saved = rv.rng.get_value()
    first = f()
    assert not np.array_equal(f(), first)
    rv.rng.set_value(saved)
    np.testing.assert_array_equal(f(), first)
    srng[rv.rng] = saved
    np.testing.assert_array_equal(f(), first)
    assert type(srng[rv.rng]) is np.random.RandomState
    with pytest.raises(TypeError, match="RandomState"):
        srng[rv.rng] = np.zeros(3)
    with pytest.raises(TypeError, match="RandomState"):
        rv.rng.set_value(np.zeros(627, dtype=np.int64))
    (pair,) = srng.updates()
    assert pair[0] is rv.rng and pair == rv.update
    assert srng.state_updates == [pair]


def test_explicit_updates_from_srng_updates():
    srng = MRG_RandomStreams(25)
    u = srng.uniform((3,))
    f = arignote.function([], u, updates=srng.updates(), no_default_updates=True)
    assert not np.array_equal(f(), f())
    assert len(srng.state_updates[0]) == 4  # Theano's (state, new_state, size, nstreams)


# ----------------------------------------------------------------------- symbolic sizes
@pytest.mark.parametrize("streams", STREAMS)
def test_symbolic_size(streams):
    x = T.matrix()
    srng = streams(26)
    f = arignote.function([x], [srng.uniform(x.shape), srng.normal(x.shape),
                                srng.binomial(size=(x.shape[0], 2), p=0.5)])
    u, z, b = f(np.zeros((3, 4), dtype=x.dtype))
    assert u.shape == z.shape == (3, 4) and b.shape == (3, 2)
    u2, z2, _ = f(np.zeros((7, 5), dtype=x.dtype))
    assert u2.shape == z2.shape == (7, 5)
    assert u.size and (u > 0).all()


def test_size_vector_of_unknown_length_needs_ndim():
    v = T.lvector()
    srng = MRG_RandomStreams(27)
    with pytest.raises(TypeError, match="ndim"):
        srng.uniform(v)
    f = arignote.function([v], srng.uniform(v, ndim=2))
    assert f(np.array([2, 3])).shape == (2, 3)
    with pytest.raises(ValueError, match="ndim"):
        srng.uniform((2, 3), ndim=3)


@pytest.mark.parametrize("streams", STREAMS)
def test_size_none_takes_the_parameters_shape(streams):
    srng = streams(28)
    assert _run(srng.uniform(None, low=np.zeros(3), high=np.ones(3))).shape == (3,)
    assert _run(srng.normal(None)).shape == ()
    assert _run(srng.binomial(p=np.full((2, 2), 0.5))).shape == (2, 2)


def test_raw_random_size_forms():
    """Theano's ``_infer_ndim_bcast``: -1 borrows a parameter's length, size 1 marks a
    broadcastable dimension, a symbolic vector needs its length known or ``ndim``."""
    srng = RandomStreams(40)
    avg = T.dvector()
    z = srng.normal((2, -1), avg=avg)
    assert z.broadcastable == (False, False)
    assert arignote.function([avg], z)(np.zeros(5)).shape == (2, 5)
    assert srng.uniform((1, 3)).broadcastable == (True, False)
    v = T.lvector()
    with pytest.raises(TypeError, match="ndim"):
        srng.uniform(v)
    assert arignote.function([v], srng.uniform(v, ndim=2))(np.array([2, 3])).shape == (2, 3)
    with pytest.raises(ValueError, match="ndim"):
        srng.uniform((2, 3), ndim=3)
    with pytest.raises(TypeError, match="without either shape or args"):
        srng.poisson(None, lam=1.0)


# ----------------------------------------------------------------------- C == reference
DRAWS = {
    "uniform64": lambda s: s.uniform((1001,), -2.0, 5.0, dtype="float64"),
    "uniform32": lambda s: s.uniform((1001,), -2.0, 5.0, dtype="float32"),
    "binomial": lambda s: s.binomial((30, 40), n=3, p=0.4),
    "multinomial": lambda s: s.multinomial(n=4, pvals=np.full((50, 4), 0.25)),
    "choice": lambda s: s.choice(size=3, p=np.full((20, 6), 1 / 6), replace=False),
    "choice_with_replacement": lambda s: s.choice(size=5, p=np.full((20, 6), 1 / 6)),
    "numpy_choice": lambda s: s.choice((3,), a=5, p=[0.1, 0.2, 0.3, 0.2, 0.2], replace=False),
    "truncated_normal_indices": lambda s: s.truncated_normal((1001,), dtype="float64") > 0,
    "integers": lambda s: s.random_integers((100,), 0, 9),
    "permutation": lambda s: s.permutation((10,), n=8),
}


def _both_backends(build, seed=29, calls=2):
    results = []
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        f = arignote.function([], build(MRG_RandomStreams(seed)), mode=mode)
        results.append([f() for _ in range(calls)])
    return results


@pytest.mark.parametrize("name", list(DRAWS))
def test_c_equals_reference_bit_for_bit(name):
    reference, compiled = _both_backends(DRAWS[name])
    for want, got in zip(reference, compiled):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_c_equals_reference_normal(dtype):
    """The uniform numbers are the same bits; the Box-Muller transform goes through log,
    cos and sin, whose C library and numpy implementations may differ by a few ulp."""
    reference, compiled = _both_backends(lambda s: s.normal((10001,), dtype=dtype))
    for want, got in zip(reference, compiled):
        scale = np.spacing(np.maximum(np.abs(want), 1).astype(dtype))
        assert (np.abs(got - want) <= 8 * scale).all()


def test_generator_state_is_the_same_after_c_and_reference():
    states = []
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        srng = MRG_RandomStreams(30)
        u = srng.uniform((37,))
        arignote.function([], u, mode=mode)()
        states.append(u.rng.get_value())
    np.testing.assert_array_equal(states[0], states[1])


def _fallbacks(f):
    """How many nodes of ``f`` call their ``perform`` from the generated C."""
    return f.source.count("PyObject_CallOneArg(PyTuple_GET_ITEM(st->thunks")


def test_every_distribution_renders_as_c():
    srng = MRG_RandomStreams(31)
    x = T.dmatrix()
    outputs = [build(srng) for build in DRAWS.values()] + [
        srng.normal(x.shape), srng.uniform(x.shape), srng.binomial(x.shape, p=0.5)]
    f = arignote.function([x], outputs)
    assert f.source is not None and not _fallbacks(f)


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_runtime_errors(mode):
    srng = MRG_RandomStreams(32)
    p = T.dvector()
    f = arignote.function([p], srng.choice((2,), a=3, p=p), mode=mode)
    with pytest.raises(ValueError, match="negative or NaN"):
        f(np.array([0.5, -0.5, 1.0]))
    g = arignote.function([p], srng.choice((4,), a=3, p=p, replace=False), mode=mode)
    with pytest.raises(ValueError, match="no outcome of positive probability"):
        g(np.array([0.5, 0.0, 0.5]))
    state = arignote.shared(np.zeros((2, 5), dtype=np.int32))
    from arignote.compiler.ops.random import mrg_uniform
    h = arignote.function([], mrg_uniform(state, (3,))[1], mode=mode)
    with pytest.raises(ValueError, match="n_streams, 6"):
        h()
    m = T.dmatrix()
    too_many = arignote.function([m], srng.choice(size=4, p=m, replace=False), mode=mode)
    with pytest.raises(ValueError, match="cannot draw 4 outcomes without replacement from 3"):
        too_many(np.full((2, 3), 1 / 3))
    numpy_error = arignote.function([p], RandomStreams(1).choice((2,), a=3, p=p), mode=mode)
    with pytest.raises(ValueError, match="RandomFunction.choice.*non-negative"):
        numpy_error(np.array([0.5, -0.5, 1.0]))


# ----------------------------------------------------------------------- gradients
def test_gradients_flow_through_low_and_high():
    """An arignote extension of MRG_RandomStreams (Theano's gradients were undefined)."""
    low, high = T.dscalar(), T.dscalar()
    srng = MRG_RandomStreams(33)
    r = srng.uniform((50,), low=low, high=high, dtype="float64")
    g_low, g_high = T.grad(r.sum(), [low, high])
    f = arignote.function([low, high], [r, g_low, g_high], no_default_updates=True)
    values, d_low, d_high = f(1.0, 4.0)
    u = (values - 1.0) / 3.0
    np.testing.assert_allclose(d_high, u.sum(), rtol=1e-12)
    np.testing.assert_allclose(d_low, (1 - u).sum(), rtol=1e-12)


def test_gradients_flow_through_avg_and_std():
    avg, std = T.dvector(), T.dscalar()
    srng = MRG_RandomStreams(34)
    z = srng.normal((6,), avg=avg, std=std, dtype="float64")
    cost = (z ** 2).sum()
    g_avg, g_std = T.grad(cost, [avg, std])
    f = arignote.function([avg, std], [z, g_avg, g_std], no_default_updates=True)
    a = np.arange(6.0)
    values, d_avg, d_std = f(a, 2.0)
    unit = (values - a) / 2.0
    np.testing.assert_allclose(d_avg, 2 * values, rtol=1e-12)
    np.testing.assert_allclose(d_std, (2 * values * unit).sum(), rtol=1e-12)


def test_no_gradient_through_the_state_or_a_comparison():
    p = T.dscalar()
    srng = MRG_RandomStreams(35)
    mask = srng.binomial((4,), p=p, dtype="float64")
    assert T.grad(mask.sum(), p, disconnected_inputs="ignore") is not None
    gradient = T.grad(mask.sum(), p, disconnected_inputs="ignore")
    value = arignote.function([p], gradient, on_unused_input="ignore")(0.5)
    assert value == 0.0


# ----------------------------------------------------------------------- dropout
@pytest.mark.parametrize("streams", STREAMS)
def test_dropout_training_function_compiles_to_c(streams):
    floatX = arignote.config.floatX
    rng = np.random.default_rng(0)
    x = T.matrix("x")
    y = T.ivector("y")
    w = arignote.shared(rng.normal(size=(8, 16)).astype(floatX) * 0.1, name="w")
    v = arignote.shared(rng.normal(size=(16, 3)).astype(floatX) * 0.1, name="v")
    srng = streams(36)
    h = T.tanh(T.dot(x, w))
    mask = srng.binomial(size=h.shape, p=0.5, dtype=h.dtype)
    out = T.nnet.softmax(T.dot(h * mask, v))
    cost = -T.mean(T.log(out)[T.arange(y.shape[0]), y])
    gw, gv = T.grad(cost, [w, v])
    train = arignote.function([x, y], cost, updates=[(w, w - 0.1 * gw), (v, v - 0.1 * gv)])
    # RandomStreams draws with numpy (Theano's RandomFunction): only that node calls Python.
    assert _fallbacks(train) == (1 if streams is RandomStreams else 0)
    xv = rng.normal(size=(32, 8)).astype(floatX)
    yv = rng.integers(0, 3, size=32).astype(np.int32)
    masks = []
    for _ in range(3):
        before = w.get_value()
        assert np.isfinite(train(xv, yv))
        masks.append(w.get_value() - before)
    assert not np.array_equal(masks[0], masks[1])
    sample = arignote.function([x], mask)(np.zeros((200, 8), dtype=floatX))
    assert sample.shape == (200, 16) and set(np.unique(sample)) == {0, 1}
    assert abs(sample.mean() - 0.5) < 0.03


def test_theano_import_paths():
    from arignote.sandbox import rng_mrg
    assert rng_mrg.MRG_RandomStreams is MRG_RandomStreams
    assert T.shared_randomstreams.RandomStreams is RandomStreams
