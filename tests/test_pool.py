"""Pooling: pool_2d and max_pool_2d, their gradient ops, the C kernels and the errors.

The expected values come from tests/op_cases/pool_cases.py (Theano's definition written out
with explicit padding and element loops).  Many geometries go into one compiled function, so
that the C backend is checked over the whole grid with few compiles.
"""

import itertools
import warnings

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.ops.pool import (AveragePoolGrad, DownsampleFactorMaxGradGrad,
                                        MaxPoolGrad, Pool)
from arignote.gradient import verify_grad

from .op_cases.pool_cases import out_length, pool_grad_reference, pool_reference

MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]
# (ws, stride, pad, ignore_border): full and partial windows, overlapping and sparse
# windows, padding, odd sizes.
GEOMETRIES = [
    ((2, 2), None, (0, 0), True),
    ((2, 2), None, (0, 0), False),
    ((3, 2), (2, 1), (1, 1), True),
    ((3, 3), (1, 2), (0, 0), False),
    ((2, 3), (3, 3), (0, 0), False),
    ((3, 3), (2, 2), (2, 1), True),
    ((1, 1), (2, 3), (0, 0), True),
]


def _pool(x, ws, stride, pad, ignore_border, mode):
    return T.signal.pool.pool_2d(x, ws=ws, stride=stride, pad=pad,
                                 ignore_border=ignore_border, mode=mode)


def _grid(x, combos):
    """Every combo's pooled value and the gradient of ``sum(pooled * weight)``; the weights
    are inputs after ``x``."""
    weights, outputs = [], []
    for ws, stride, pad, ignore_border, mode in combos:
        y = _pool(x, ws, stride, pad, ignore_border, mode)
        w = T.TensorType(x.dtype, (False,) * x.ndim)(f"w_{mode}_{ws}")
        weights.append(w)
        outputs += [y, T.grad((y * w).sum(), x)]
    return weights, outputs


@pytest.mark.parametrize("shape,dtype", [((2, 3, 7, 6), "float64"), ((3, 5, 5), "float32")])
def test_c_matches_reference_over_the_grid(shape, dtype):
    """Every mode x geometry, forward and gradient, on a 4-d float64 and a 3-d float32
    input: the C module against the numpy definition (one compile for the grid)."""
    combos = [g + (m,) for g, m in itertools.product(GEOMETRIES, MODES)]
    x = T.TensorType(dtype, (False,) * len(shape))("x")
    weights, outputs = _grid(x, combos)
    f = arignote.function([x] + weights, outputs)
    rng = np.random.default_rng(1)
    value = rng.standard_normal(shape).astype(dtype)
    weight_values = []
    for ws, stride, pad, ignore_border, _ in combos:
        pooled = tuple(out_length(shape[-2 + a], ws[a], (stride or ws)[a], pad[a],
                                  ignore_border) for a in range(2))
        weight_values.append(rng.standard_normal(shape[:-2] + pooled).astype(dtype))
    results = f(value, *weight_values)
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    for k, (ws, stride, pad, ignore_border, mode) in enumerate(combos):
        label = f"{mode} ws={ws} stride={stride} pad={pad} ignore_border={ignore_border}"
        np.testing.assert_allclose(
            results[2 * k], pool_reference(value, ws, stride, pad, ignore_border, mode),
            rtol=tolerance, atol=tolerance, err_msg=label)
        np.testing.assert_allclose(
            results[2 * k + 1], pool_grad_reference(value, weight_values[k], ws, stride, pad,
                                                    ignore_border, mode),
            rtol=tolerance, atol=tolerance, err_msg=label)
        assert results[2 * k].dtype == dtype


def test_c_module_calls_the_kernels_without_python():
    x = T.ftensor4("x")
    y = T.signal.pool.pool_2d(x, ws=(2, 2), ignore_border=True)
    f = arignote.function([x], [y, T.grad((y ** 2).sum(), x)])
    assert "ag_pool_fwd_float(" in f.source and "ag_pool_max_grad_float(" in f.source
    assert "st->thunks, 0" not in f.source  # no node runs its numpy reference


def test_strided_view_inputs_are_packed():
    x = T.dtensor4("x")
    y = T.signal.pool.pool_2d(x, ws=(3, 2), stride=(1, 2), ignore_border=True, mode="sum")
    f = arignote.function([x], [y, T.grad((y ** 2).sum(), x)])
    value = np.random.default_rng(2).standard_normal((2, 3, 6, 7)).transpose(0, 1, 3, 2)
    got = f(value)
    np.testing.assert_allclose(got[0], pool_reference(value, (3, 2), (1, 2), mode="sum"))
    np.testing.assert_allclose(got[1], pool_grad_reference(value, 2 * got[0], (3, 2), (1, 2),
                                                           mode="sum"))


@pytest.mark.parametrize("ws,stride", [((2, 2), None), ((3, 2), (1, 1))])
def test_nan_and_infinities_in_max_pooling_match_numpy(ws, stride):
    """A NaN wins its windows (numpy's max), on the 2x2 fast path and the general one."""
    x = T.dtensor4("x")
    y = T.signal.pool.pool_2d(x, ws=ws, stride=stride, ignore_border=True)
    value = np.random.default_rng(7).random((2, 2, 6, 6))
    value[0, 0, 0, 1] = value[1, 0, 5, 5] = np.nan
    value[0, 1, 3, 3], value[1, 1, 2, 0] = np.inf, -np.inf
    got = arignote.function([x], y)(value)
    np.testing.assert_array_equal(got, pool_reference(value, ws, stride))
    assert np.isnan(got[0, 0, 0, 0]) and np.isinf(got[0, 1]).any()


def test_integer_input_runs_the_reference():
    x = T.imatrix("x")
    y = T.signal.pool.pool_2d(x, ws=(2, 2), ignore_border=True)
    value = np.arange(16, dtype="int32").reshape(4, 4)
    np.testing.assert_array_equal(arignote.function([x], y)(value), [[5, 7], [13, 15]])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("geometry", [GEOMETRIES[2], GEOMETRIES[3], GEOMETRIES[5]])
def test_gradient_matches_finite_differences(mode, geometry):
    ws, stride, pad, ignore_border = geometry
    value = np.random.default_rng(3).standard_normal((2, 2, 6, 5))
    verify_grad(lambda x: _pool(x, ws, stride, pad, ignore_border, mode), [value],
                rng=np.random.default_rng(0), mode="FAST_COMPILE")


def test_second_derivative_of_max_pool():
    """The max-pool gradient's gradient (DownsampleFactorMaxGradGrad in the graph), by
    finite differences of the gradient, and compiled C against the reference."""
    value = np.random.default_rng(4).standard_normal((2, 5, 6))

    def gradient(x):
        y = T.signal.pool.pool_2d(x, ws=(2, 3), stride=(1, 2), ignore_border=False)
        return T.grad((y ** 2).sum(), x)

    verify_grad(gradient, [value], rng=np.random.default_rng(0), mode="FAST_COMPILE")
    x = T.dtensor3("x")
    hessian_vector = T.grad((gradient(x) * x).sum(), x)
    ops = [type(node.op) for node in arignote.compiler.graph.io_toposort([x], [hessian_vector])]
    assert DownsampleFactorMaxGradGrad in ops
    c_value = arignote.function([x], hessian_vector)(value)
    reference = arignote.function([x], hessian_vector, mode="FAST_COMPILE")(value)
    np.testing.assert_allclose(c_value, reference, rtol=1e-12)


@pytest.mark.parametrize("mode", ["max", "average_inc_pad"])
def test_rop_matches_a_directional_derivative(mode):
    """T.Rop through pooling (built from the gradient ops): J v against central differences."""
    x, direction = T.dtensor4("x"), T.dtensor4("v")
    y = _pool(x, (2, 3), (1, 2), (1, 1), True, mode)
    jv = arignote.function([x, direction], T.Rop(y, x, direction))
    forward = arignote.function([x], y)
    rng = np.random.default_rng(8)
    point, step = rng.random((2, 2, 5, 6)), rng.random((2, 2, 5, 6))
    numeric = (forward(point + 1e-6 * step) - forward(point - 1e-6 * step)) / 2e-6
    np.testing.assert_allclose(jv(point, step), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("op,inputs", [
    (MaxPoolGrad(ws=(2, 2), stride=(1, 1), pad=(1, 0), ignore_border=True), 3),
    (DownsampleFactorMaxGradGrad(ws=(3, 2), stride=(2, 2), pad=(0, 0), ignore_border=False), 3),
    (AveragePoolGrad(ws=(2, 3), stride=(1, 1), pad=(1, 1), ignore_border=True,
                     mode="average_inc_pad"), 2),
])
def test_gradient_ops_are_linear_and_differentiable(op, inputs):
    """Each gradient op's gradient w.r.t. its gradient input (its transpose), by finite
    differences, with x (and maxout) held fixed."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 5, 6))
    forward = Pool(op.ws, op.stride, op.pad, op.ignore_border,
                   "max" if inputs == 3 else op.mode)
    maxout = forward.perform(None, [x])[0]
    is_gradgrad = isinstance(op, DownsampleFactorMaxGradGrad)
    point = rng.standard_normal(x.shape if is_gradgrad else maxout.shape)
    if inputs == 3:
        verify_grad(lambda g: op(T.constant(x), T.constant(maxout), g), [point],
                    rng=np.random.default_rng(0), mode="FAST_COMPILE")
    else:
        verify_grad(lambda g: op(T.constant(x), g), [point], rng=np.random.default_rng(0),
                    mode="FAST_COMPILE")


def test_old_spellings():
    x = T.dtensor4("x")
    value = np.random.default_rng(6).standard_normal((1, 2, 5, 5))
    old = T.signal.downsample.max_pool_2d(x, (2, 2), ignore_border=True, st=(1, 1))
    aliases = T.signal.pool.pool_2d(x, ds=(2, 2), st=(1, 1), ignore_border=True)
    expected = pool_reference(value, (2, 2), (1, 1))
    for y in (old, aliases):
        np.testing.assert_allclose(arignote.function([x], y)(value), expected)
    padded = T.signal.pool.pool_2d(x, ws=(3, 3), padding=(1, 1), ignore_border=True,
                                   mode="average_exc_pad")
    np.testing.assert_allclose(arignote.function([x], padded)(value),
                               pool_reference(value, (3, 3), None, (1, 1), True,
                                              "average_exc_pad"))


def test_theano_import_hook():
    import arignote.theano
    arignote.theano.install()
    try:
        from theano.tensor.signal import downsample, pool
        assert pool.pool_2d is T.signal.pool.pool_2d
        assert downsample.max_pool_2d is T.signal.downsample.max_pool_2d
    finally:
        arignote.theano.uninstall()


def test_ignore_border_default_warns_and_is_false():
    x = T.dmatrix("x")
    with pytest.warns(UserWarning, match="ignore_border"):
        y = T.signal.pool.pool_2d(x, ws=(2, 2))
    assert y.owner.op.ignore_border is False
    assert arignote.function([x], y)(np.ones((3, 3))).shape == (2, 2)


def test_infer_shape_without_computing():
    x = T.dtensor4("x")
    y = T.signal.pool.pool_2d(x, ws=(3, 2), stride=(1, 3), ignore_border=False)
    f = arignote.function([x], y.shape)
    assert tuple(f(np.zeros((2, 3, 7, 5)))) == (2, 3, 5, 2)
    assert tuple(f(np.zeros((2, 3, 0, 5)))) == (2, 3, 0, 2)


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("kwargs,error,match", [
    (dict(ws=(0, 2), ignore_border=True), ValueError, "ws .* must be positive"),
    (dict(ws=(2, 2), stride=(2, -1), ignore_border=True), ValueError, "stride must be positive"),
    (dict(ws=(2, 2), pad=(2, 0), ignore_border=True), ValueError, "smaller than the window"),
    (dict(ws=(2, 2), pad=(1, 0), ignore_border=False), ValueError, "needs ignore_border=True"),
    (dict(ws=(2, 2), ignore_border=True, mode="median"), ValueError, "mode must be one of"),
    (dict(ws=(2, 2, 2), ignore_border=True), ValueError, "must have 2 entries"),
    (dict(ws=(2, 2), ds=(2, 2), ignore_border=True), ValueError, "not both"),
    (dict(ws=(2.5, 2), ignore_border=True), TypeError, "ints"),
    (dict(ignore_border=True), TypeError, "ws is required"),
    (dict(ws=(T.lscalar("n"), 2), ignore_border=True), TypeError, "known when the graph"),
])
def test_bad_parameters_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        T.signal.pool.pool_2d(T.dtensor4("x"), **kwargs)


def test_rank_below_two_is_rejected():
    with pytest.raises(TypeError, match="at least 2 dimensions"):
        T.signal.pool.pool_2d(T.dvector("v"), ws=(2, 2), ignore_border=True)


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_window_larger_than_input_names_the_line_and_keeps_shared_values(mode):
    """A 3x3 window on a 2x5 input with ignore_border=True: ValueError naming this file,
    from C and from the reference alike; the shared variable keeps its value."""
    x = T.dmatrix("x")
    counter = arignote.shared(np.float64(0.0), name="counter")
    y = T.signal.pool.pool_2d(x, ws=(3, 3), ignore_border=True)
    f = arignote.function([x], y.sum(), updates=[(counter, counter + 1)], mode=mode)
    assert f(np.ones((3, 3))) == 1.0 and counter.get_value() == 1.0
    with pytest.raises(ValueError, match="window is larger than") as info:
        f(np.ones((2, 5)))
    assert "test_pool.py" in str(info.value)
    assert counter.get_value() == 1.0


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_gradient_of_the_wrong_shape_is_rejected(mode):
    x, g = T.dmatrix("x"), T.dmatrix("g")
    y = T.signal.pool.pool_2d(x, ws=(2, 2), ignore_border=True)
    f = arignote.function([x, g], MaxPoolGrad(ws=(2, 2), stride=(2, 2), pad=(0, 0),
                                               ignore_border=True)(x, y, g), mode=mode)
    with pytest.raises(ValueError, match="the output gradient has shape"):
        f(np.ones((4, 4)), np.ones((3, 2)))


def test_gradient_op_inputs_are_checked_when_built():
    x = T.dtensor4("x")
    with pytest.raises(TypeError, match="maxout must be a float64 tensor of rank 4"):
        MaxPoolGrad()(x, T.dmatrix("m"), x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="mode 'max' has MaxPoolGrad"):
            AveragePoolGrad(mode="max")(x, x)
