"""conv2d and its gradients (arignote/compiler/ops/conv.py, kernels/conv.h).

The generated C is checked against each op's numpy ``perform``; ``perform`` itself against
an independent computation with ``scipy.signal`` (so ``filter_flip`` means what Theano
means); gradients against finite differences, twice (grad of grad); every bad shape or
parameter raises a clear exception naming the user's line.
"""

import inspect

import numpy as np
import pytest
import scipy.signal

import arignote
import arignote.tensor as T
from arignote.compiler.ops.conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights
from arignote.gradient import Rop, verify_grad
from arignote.tensor.nnet import abstract_conv, conv

RNG = np.random.default_rng(1234)

# (image shape, filter shape, parameters): odd sizes, every border mode, strides, dilations
# and groups, kept small so that the whole file runs in seconds.
CONFIGS = [
    ((2, 3, 7, 6), (4, 3, 3, 2), dict()),
    ((2, 3, 7, 6), (4, 3, 3, 2), dict(border_mode="full")),
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(border_mode="half")),
    ((1, 2, 8, 9), (3, 2, 3, 2), dict(border_mode=(2, 1), subsample=(2, 3))),
    ((2, 2, 9, 8), (2, 2, 2, 3), dict(border_mode=1, filter_dilation=(2, 3))),
    ((2, 4, 6, 7), (6, 2, 3, 3), dict(num_groups=2, filter_flip=False)),
    ((3, 6, 5, 5), (6, 2, 2, 2), dict(num_groups=3, subsample=(2, 2), border_mode="full")),
    ((2, 4, 5, 6), (3, 4, 1, 1), dict()),
    ((1, 1, 5, 5), (1, 1, 5, 5), dict(filter_flip=False)),
    # One image: the groups are what the threads split.
    ((1, 4, 6, 5), (6, 2, 3, 3), dict(num_groups=2, border_mode="half")),
]
IDS = [f"{i}:{p}" for i, (_, _, p) in enumerate(CONFIGS)]


def _data(image_shape, filter_shape, dtype="float64"):
    return (RNG.standard_normal(image_shape).astype(dtype),
            RNG.standard_normal(filter_shape).astype(dtype))


def _line():
    """The caller's next line number."""
    return inspect.currentframe().f_back.f_lineno + 1


# --------------------------------------------------------------- independent reference
def _scipy_conv(x, w, border_mode="valid", subsample=(1, 1), filter_flip=True,
                filter_dilation=(1, 1), num_groups=1):
    """Theano's conv2d with scipy.signal: the dilated filter is spelled out with zeros, the
    padding with numpy.pad, the stride by slicing the stride-1 result."""
    o, cg, kh, kw = w.shape
    dh, dw = filter_dilation
    dilated = np.zeros((o, cg, (kh - 1) * dh + 1, (kw - 1) * dw + 1))
    dilated[:, :, ::dh, ::dw] = w
    span_h, span_w = dilated.shape[2:]
    if border_mode == "valid":
        pad = (0, 0)
    elif border_mode == "full":
        pad = (span_h - 1, span_w - 1)
    elif border_mode == "half":
        pad = (span_h // 2, span_w // 2)
    else:
        pad = (border_mode, border_mode) if np.isscalar(border_mode) else border_mode
    x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    # scipy's convolve flips the kernel: Theano's filter_flip=True is exactly that.
    operation = scipy.signal.convolve if filter_flip else scipy.signal.correlate
    og = o // num_groups
    out = None
    for n in range(x.shape[0]):
        for f in range(o):
            group = f // og
            total = sum(operation(x[n, group * cg + c], dilated[f, c], mode="valid")
                        for c in range(cg))
            total = total[::subsample[0], ::subsample[1]]
            if out is None:
                out = np.zeros((x.shape[0], o) + total.shape)
            out[n, f] = total
    return out


@pytest.mark.parametrize("image_shape, filter_shape, params", CONFIGS, ids=IDS)
@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_forward_matches_scipy(image_shape, filter_shape, params, mode):
    x_value, w_value = _data(image_shape, filter_shape)
    x, w = T.dtensor4("x"), T.dtensor4("w")
    f = arignote.function([x, w], T.nnet.conv2d(x, w, **params), mode=mode)
    np.testing.assert_allclose(f(x_value, w_value), _scipy_conv(x_value, w_value, **params),
                               rtol=1e-10, atol=1e-10)


def test_filter_flip_is_a_true_convolution():
    x_value = np.arange(16.0).reshape(1, 1, 4, 4)
    w_value = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    x, w = T.dtensor4("x"), T.dtensor4("w")
    flipped = T.nnet.conv2d(x, w).eval({x: x_value, w: w_value})
    plain = T.nnet.conv2d(x, w, filter_flip=False).eval({x: x_value, w: w_value})
    np.testing.assert_allclose(flipped[0, 0], scipy.signal.convolve2d(x_value[0, 0],
                                                                      w_value[0, 0], "valid"))
    np.testing.assert_allclose(plain[0, 0], scipy.signal.correlate2d(x_value[0, 0],
                                                                     w_value[0, 0], "valid"))
    assert not np.allclose(flipped, plain)


# --------------------------------------------------------------- C against perform
def _all_directions(x, w, params):
    """The forward value and both gradients (through the gradient ops) of a projection."""
    y = T.nnet.conv2d(x, w, **params)
    projection = T.cos(T.arange(y.size).reshape(y.shape).astype(x.dtype))
    gx, gw = T.grad((y * projection).sum(), [x, w])
    return [y, gx, gw]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("image_shape, filter_shape, params", CONFIGS, ids=IDS)
def test_c_matches_perform(image_shape, filter_shape, params, dtype):
    x_value, w_value = _data(image_shape, filter_shape, dtype)
    x, w = T.tensor4("x", dtype=dtype), T.tensor4("w", dtype=dtype)
    outputs = _all_directions(x, w, params)
    compiled = arignote.function([x, w], outputs, mode="FAST_RUN")
    reference = arignote.function([x, w], outputs, mode="FAST_COMPILE")
    kernels = ("ag_conv_forward_", "ag_conv_grad_inputs_", "ag_conv_grad_weights_")
    assert all(k in compiled.source for k in kernels), "the conv ops did not render as C"
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    for got, want in zip(compiled(x_value, w_value), reference(x_value, w_value)):
        assert got.dtype == want.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance * 10)


def test_c_reads_strided_operands():
    """Operands that are views (transposed, sliced) are packed before the kernel runs."""
    x_value, w_value = _data((6, 2, 9, 3), (3, 6, 2, 2))
    gy_value = RNG.standard_normal((2, 3, 4, 8))
    x, w, gy = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("gy")
    views = dict(x=x.dimshuffle(1, 0, 3, 2), w=w[:, :, ::-1, :], gy=gy[:, :, ::2, :])
    outputs = [T.nnet.conv2d(views["x"], views["w"]),
               abstract_conv.conv2d_grad_wrt_inputs(views["gy"], views["w"], (2, 6, 3, 9)),
               abstract_conv.conv2d_grad_wrt_weights(views["x"], views["gy"], (3, 6, 2, 2))]
    inputs = [x, w, gy]
    compiled = arignote.function(inputs, outputs, mode="FAST_RUN")
    reference = arignote.function(inputs, outputs, mode="FAST_COMPILE")
    for got, want in zip(compiled(x_value, w_value, gy_value),
                         reference(x_value, w_value, gy_value)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_gradient_of_a_sum_broadcasts_the_output_gradient():
    """T.grad of y.sum() feeds the gradient ops a broadcast (zero-stride) tensor of ones."""
    x_value, w_value = _data((2, 3, 6, 6), (4, 3, 3, 3))
    x, w = T.dtensor4("x"), T.dtensor4("w")
    grads = T.grad(T.nnet.conv2d(x, w, border_mode="half").sum(), [x, w])
    got = arignote.function([x, w], grads, mode="FAST_RUN")(x_value, w_value)
    ones = np.ones((2, 4, 6, 6))
    want_x = _scipy_conv(ones, w_value[:, :, ::-1, ::-1].transpose(1, 0, 2, 3),
                         border_mode="half")
    np.testing.assert_allclose(got[0], want_x, rtol=1e-10)
    # Each filter tap's gradient is the sum of the image under it (flipped: a convolution).
    padded = np.pad(x_value, ((0, 0), (0, 0), (1, 1), (1, 1)))
    taps = np.array([[[padded[:, c, i:i + 6, j:j + 6].sum() for j in range(3)]
                      for i in range(3)] for c in range(3)])
    np.testing.assert_allclose(got[1], np.broadcast_to(taps[:, ::-1, ::-1], (4, 3, 3, 3)),
                               rtol=1e-10)


def test_shapes_are_inferred_without_computing():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    y = T.nnet.conv2d(x, w, border_mode="half", subsample=(2, 3), filter_dilation=(2, 1))
    f = arignote.function([x, w], y.shape)
    assert not any(isinstance(node.op, Conv2d) for node in f.maker.fgraph.apply_nodes)
    assert tuple(f(np.zeros((2, 3, 9, 11)), np.zeros((5, 3, 3, 4)))) == (2, 5, 5, 4)


# --------------------------------------------------------------- gradients
@pytest.mark.parametrize("image_shape, filter_shape, params", CONFIGS[:7], ids=IDS[:7])
def test_gradients_match_finite_differences(image_shape, filter_shape, params):
    x_value, w_value = _data(image_shape, filter_shape)
    verify_grad(lambda x, w: T.nnet.conv2d(x, w, **params), [x_value, w_value], rng=RNG,
                mode="FAST_RUN")


@pytest.mark.parametrize("image_shape, filter_shape, params",
                         [CONFIGS[1], CONFIGS[3], CONFIGS[5]], ids=[IDS[1], IDS[3], IDS[5]])
def test_second_derivatives_match_finite_differences(image_shape, filter_shape, params):
    """The gradient ops' own gradients: finite differences of the first derivatives."""
    x_value, w_value = _data(image_shape, filter_shape)

    def first_derivative(index):
        def derivative(x, w):
            y = T.nnet.conv2d(x, w, **params)
            return T.grad((y ** 2).sum(), [x, w])[index]
        return derivative

    for index in (0, 1):
        verify_grad(first_derivative(index), [x_value, w_value], rng=RNG, mode="FAST_RUN")


def test_gradient_ops_have_gradients():
    params = dict(border_mode=(1, 0), subsample=(2, 1), num_groups=2)
    w_value = RNG.standard_normal((4, 1, 2, 3))
    gy_value = RNG.standard_normal((2, 4, 3, 4))
    x_value = RNG.standard_normal((2, 2, 5, 6))
    verify_grad(lambda w, gy: abstract_conv.conv2d_grad_wrt_inputs(gy, w, (5, 6), **params),
                [w_value, gy_value], rng=RNG, mode="FAST_RUN")
    verify_grad(lambda x, gy: abstract_conv.conv2d_grad_wrt_weights(x, gy, (2, 3), **params),
                [x_value, gy_value], rng=RNG, mode="FAST_RUN")


def test_rop_is_the_directional_derivative():
    x_value, w_value = _data((1, 2, 5, 5), (3, 2, 3, 3))
    v_value = RNG.standard_normal(x_value.shape)
    x, w, v = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("v")
    # conv2d is linear in x: the R-operator in direction v is conv2d(v, w).
    r = Rop(T.nnet.conv2d(x, w, border_mode="half"), x, v)
    got = r.eval({x: x_value, w: w_value, v: v_value})
    np.testing.assert_allclose(got, _scipy_conv(v_value, w_value, border_mode="half"),
                               rtol=1e-10, atol=1e-10)


def test_transpose_is_the_input_gradient():
    x_value, w_value = _data((2, 3, 7, 8), (4, 3, 3, 3))
    gy_value = RNG.standard_normal((2, 4, 3, 3))
    x, w, gy = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("gy")
    y = T.nnet.conv2d(x, w, subsample=(2, 2))
    through_grad = T.grad((y * gy).sum(), x)
    transposed = T.nnet.conv2d_transpose(gy, w, (2, 3, 7, 8), input_dilation=(2, 2))
    f = arignote.function([x, w, gy], [through_grad, transposed])
    a, b = f(x_value, w_value, gy_value)
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_float32_training_step_lowers_the_loss():
    x_value = RNG.uniform(0, 1, (4, 3, 8, 8)).astype("float32")
    target = RNG.standard_normal((4, 2, 4, 4)).astype("float32")
    weights = arignote.shared(RNG.standard_normal((2, 3, 5, 5)).astype("float32") * 0.1)
    x = T.ftensor4("x")
    loss = ((T.nnet.relu(T.nnet.conv2d(x, weights)) - target) ** 2).mean()
    rate = np.float32(0.1)
    step = arignote.function([x], loss, updates=[(weights, weights - rate * T.grad(loss,
                                                                                    weights))])
    losses = [float(step(x_value)) for _ in range(5)]
    assert losses[-1] < losses[0]
    assert weights.get_value().dtype == np.float32


# --------------------------------------------------------------- Theano's interfaces
def test_old_conv_module_is_the_flipped_convolution():
    x_value, w_value = _data((2, 1, 6, 6), (3, 1, 3, 3))
    x, w = T.dtensor4("x"), T.dtensor4("w")
    for border_mode in ("valid", "full"):
        y = conv.conv2d(x, w, filter_shape=(3, 1, 3, 3), image_shape=(2, 1, 6, 6),
                        border_mode=border_mode, unroll_batch=2)
        np.testing.assert_allclose(y.eval({x: x_value, w: w_value}),
                                   _scipy_conv(x_value, w_value, border_mode), rtol=1e-10)
    with pytest.raises(ValueError, match="'valid' or 'full'"):
        conv.conv2d(x, w, border_mode="half")
    with pytest.raises(TypeError, match="unexpected keyword"):
        conv.conv2d(x, w, filter_shap=(3, 1, 3, 3))


def test_theano_import_names():
    import arignote.theano
    arignote.theano.install()
    try:
        import theano.tensor as TT
        from theano.tensor.nnet import abstract_conv as ac
        from theano.tensor.nnet import conv as old
        assert TT.nnet.conv2d is abstract_conv.conv2d
        assert ac.conv2d_grad_wrt_inputs is abstract_conv.conv2d_grad_wrt_inputs
        assert old.conv2d is conv.conv2d
        assert TT.nnet.conv2d_transpose is abstract_conv.conv2d_transpose
    finally:
        arignote.theano.uninstall()


def test_image_shape_is_the_old_name_of_input_shape():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    with pytest.warns(DeprecationWarning):
        T.nnet.conv2d(x, w, image_shape=(1, 2, 5, 5), filter_shape=(1, 2, 3, 3))
    with pytest.raises(ValueError, match="at the same time"):
        T.nnet.conv2d(x, w, image_shape=(1, 2, 5, 5), input_shape=(1, 2, 5, 5))
    with pytest.raises(ValueError, match="channels"), pytest.warns(DeprecationWarning):
        T.nnet.conv2d(x, w, image_shape=(1, 2, 5, 5), filter_shape=(1, 3, 3, 3))
    with pytest.warns(DeprecationWarning, match="ignored"):
        T.nnet.conv2d(x, w, unroll_kern=4)


def test_get_conv_output_shape():
    shape = abstract_conv.get_conv_output_shape
    assert shape((50, 3, 32, 32), (20, 3, 5, 5), "valid", (1, 1)) == (50, 20, 28, 28)
    assert shape((1, 3, 7, 7), (2, 3, 3, 3), "half", (2, 2)) == (1, 2, 4, 4)
    assert shape((None, 3, 7, None), (2, 3, 3, 3), "full", (1, 1)) == (None, 2, 9, None)


# --------------------------------------------------------------- errors
@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_channel_mismatch_names_the_users_line(mode):
    x, w = T.dtensor4("x"), T.dtensor4("w")
    line = _line()
    y = T.nnet.conv2d(x, w, num_groups=2)
    f = arignote.function([x, w], y, mode=mode)
    with pytest.raises(ValueError) as info:
        f(np.zeros((1, 6, 5, 5)), np.zeros((4, 2, 3, 3)))
    message = str(info.value)
    assert "6 channels" in message and "2 input channels x 2 group(s) = 4" in message
    assert f'File "{__file__}", line {line}' in message


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_filter_larger_than_the_padded_image(mode):
    x, w = T.dtensor4("x"), T.dtensor4("w")
    line = _line()
    y = T.nnet.conv2d(x, w, border_mode=(1, 0))
    f = arignote.function([x, w], y, mode=mode)
    with pytest.raises(ValueError) as info:
        f(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 6, 2)))
    message = str(info.value)
    assert "larger than the padded image" in message and "3 + 2 x 1 padding = 5" in message
    assert f'File "{__file__}", line {line}' in message


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_gradient_op_shape_errors(mode):
    w, gy, x = T.dtensor4("w"), T.dtensor4("gy"), T.dtensor4("x")
    dx = abstract_conv.conv2d_grad_wrt_inputs(gy, w, (6, 6))
    dw = abstract_conv.conv2d_grad_wrt_weights(x, gy, (3, 3))
    f_dx = arignote.function([w, gy], dx, mode=mode)
    f_dw = arignote.function([x, gy], dw, mode=mode)
    with pytest.raises(ValueError, match="output gradient has spatial shape"):
        f_dx(np.zeros((2, 1, 3, 3)), np.zeros((1, 2, 3, 3)))
    with pytest.raises(ValueError, match="3 channels but there are 2 filters"):
        f_dx(np.zeros((2, 1, 3, 3)), np.zeros((1, 3, 4, 4)))
    with pytest.raises(ValueError, match="batch size"):
        f_dw(np.zeros((2, 1, 6, 6)), np.zeros((1, 2, 4, 4)))


def test_declared_shapes_are_checked_when_the_graph_is_built():
    x, w = T.dtensor4("x"), T.dtensor4("w")
    with pytest.raises(ValueError, match="3 channels but the filters expect 2"):
        T.nnet.conv2d(x, w, input_shape=(None, 3, 8, 8), filter_shape=(4, 2, 3, 3))
    with pytest.raises(ValueError, match="larger than the padded image"):
        T.nnet.conv2d(x, w, input_shape=(None, 2, 4, 4), filter_shape=(4, 2, 5, 3))
    with pytest.raises(ValueError, match="cannot be split into 2 groups"):
        T.nnet.conv2d(x, w, filter_shape=(3, 2, 3, 3), num_groups=2)
    with pytest.raises(ValueError, match="4 entries"):
        T.nnet.conv2d(x, w, input_shape=(3, 8, 8))


@pytest.mark.parametrize("params, match", [
    (dict(border_mode="same"), "border_mode"),
    (dict(border_mode=-1), "border_mode"),
    (dict(border_mode=(1, 2, 3)), "border_mode"),
    (dict(border_mode=((1, 2), (0, 1))), "asymmetric"),
    (dict(subsample=0), "subsample"),
    (dict(subsample=(1,)), "subsample"),
    (dict(subsample=(1.5, 1)), "subsample"),
    (dict(filter_dilation=(0, 1)), "filter_dilation"),
    (dict(num_groups=0), "num_groups"),
])
def test_bad_parameters(params, match):
    x, w = T.dtensor4("x"), T.dtensor4("w")
    with pytest.raises(ValueError, match=match):
        T.nnet.conv2d(x, w, **params)


def test_operands_must_be_4d_floats():
    with pytest.raises(TypeError, match="4-d"):
        T.nnet.conv2d(T.dmatrix("x"), T.dtensor4("w"))
    with pytest.raises(TypeError, match="float"):
        T.nnet.conv2d(T.itensor4("x"), T.dtensor4("w"))
    # Mixed float dtypes compute in the wider one, as Theano does.
    y = T.nnet.conv2d(T.ftensor4("x"), T.dtensor4("w"))
    assert y.dtype == "float64"


def test_failed_call_leaves_shared_variables_unchanged():
    start = RNG.standard_normal((2, 3, 3, 3))
    weights = arignote.shared(start.copy())
    x = T.dtensor4("x")
    loss = T.nnet.conv2d(x, weights).sum()
    step = arignote.function([x], loss, updates=[(weights, weights - 0.1 * T.grad(loss,
                                                                                   weights))])
    step(np.ones((1, 3, 5, 5)))
    after_one = weights.get_value()
    assert not np.allclose(after_one, start)
    with pytest.raises(ValueError, match="channels"):
        step(np.ones((1, 4, 5, 5)))
    with pytest.raises(ValueError, match="larger than the padded image"):
        step(np.ones((1, 3, 2, 5)))
    np.testing.assert_array_equal(weights.get_value(), after_one)


def test_ops_compare_by_parameters():
    assert Conv2d(border_mode="valid") == Conv2d(border_mode=0) == Conv2d()
    assert hash(Conv2dGradInputs(subsample=2)) == hash(Conv2dGradInputs(subsample=(2, 2)))
    assert Conv2dGradWeights(filter_flip=False) != Conv2dGradWeights()
