"""arignote.nn: each layer's shapes and values against numpy, the paper's Figure-8 network
forward against a numpy implementation, a few SGD steps lowering the loss, dropout and batch
norm in training and deterministic graphs, initialisation, and errors."""

import importlib.util
import json

import numpy as np
import pytest
from scipy.signal import correlate

import arignote
import arignote.tensor as T
from arignote import nn, optimizers
from arignote.datasets import batch_givens, shared_dataset, synthetic_cifar10, synthetic_mnist

HAS_CONV = hasattr(T.nnet, "conv2d")
HAS_POOL = importlib.util.find_spec("arignote.tensor.signal.pool") is not None
HAS_BN = importlib.util.find_spec("arignote.tensor.nnet.bn") is not None
needs_conv = pytest.mark.skipif(not HAS_CONV, reason="T.nnet.conv2d is not in this tree yet")
needs_pool = pytest.mark.skipif(not HAS_POOL, reason="signal.pool is not in this tree yet")
needs_bn = pytest.mark.skipif(not HAS_BN, reason="T.nnet.bn is not in this tree yet")


def relu(x):
    return np.maximum(x, 0)


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_conv(x, w, flip=True, pad=(0, 0), stride=(1, 1)):
    """NCHW convolution (flip=True) or cross-correlation through scipy, per example/filter."""
    if flip:
        w = w[:, :, ::-1, ::-1]
    x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    out = np.stack([np.stack([correlate(example, kernel, mode="valid")[0] for kernel in w])
                    for example in x])
    return out[:, :, ::stride[0], ::stride[1]]


def np_maxpool(x, k):
    n, c, h, w = x.shape
    x = x[:, :, :h // k * k, :w // k * k]
    return x.reshape(n, c, h // k, k, w // k, k).max(axis=(3, 5))


def value(layer_or_graph, x, data, deterministic=True):
    graph = layer_or_graph(x, deterministic=deterministic) if callable(layer_or_graph) \
        else layer_or_graph
    return arignote.function([x], graph)(data)


@pytest.mark.parametrize("activation,reference", [
    (None, lambda z: z), ("relu", relu), ("tanh", np.tanh),
    ("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("softmax", softmax)])
def test_dense_matches_numpy(activation, reference):
    rng = np.random.RandomState(0)
    layer = nn.Dense(4, activation=activation, input_dim=6, seed=3)
    layer.b.set_value(rng.randn(4))
    data = rng.randn(5, 6)
    x = T.matrix("x")
    out = value(layer, x, data)
    expected = reference(data @ layer.W.get_value() + layer.b.get_value())
    assert out.shape == (5, 4)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


def test_dense_flattens_its_input_and_chains():
    model = nn.Sequential(nn.Dense(5, activation="relu"), nn.Dense(3), input_shape=(2, 3, 4),
                          seed=1)
    assert model.output_shape == (3,)
    assert [p.get_value().shape for p in model.params] == [(24, 5), (5,), (5, 3), (3,)]
    data = np.random.RandomState(1).randn(7, 2, 3, 4)
    x = T.tensor4("x")
    w1, b1, w2, b2 = (p.get_value() for p in model.params)
    expected = relu(data.reshape(7, 24) @ w1 + b1) @ w2 + b2
    np.testing.assert_allclose(value(model, x, data), expected, rtol=1e-10)


def test_initialisation_is_seeded_and_scaled(monkeypatch):
    monkeypatch.setattr(arignote.config, "floatX", "float32")
    a = nn.Sequential(nn.Dense(300), nn.Dense(200, init="he"), input_shape=(400,), seed=7)
    b = nn.Sequential(nn.Dense(300), nn.Dense(200, init="he"), input_shape=(400,), seed=7)
    c = nn.Sequential(nn.Dense(300), nn.Dense(200, init="he"), input_shape=(400,), seed=8)
    w_a = [p.get_value() for p in a.params]
    assert all(w.dtype == np.float32 for w in w_a)
    assert all(np.array_equal(x, y) for x, y in zip(w_a, (p.get_value() for p in b.params)))
    assert not np.array_equal(w_a[0], c.params[0].get_value())
    glorot, he = w_a[0], w_a[2]
    limit = np.sqrt(6 / (400 + 300))
    assert abs(glorot).max() <= limit and abs(glorot).max() > 0.95 * limit
    assert abs(glorot.std() - limit / np.sqrt(3)) < 0.02 * limit
    assert abs(he.std() - np.sqrt(2 / 300)) < 0.03 * np.sqrt(2 / 300)
    assert not w_a[1].any() and not w_a[3].any()          # biases start at zero
    assert [p.name for p in a.weights] == ["dense0.W", "dense1.W"]
    from_state = nn.Sequential(nn.Dense(300), nn.Dense(200, init="he"), input_shape=(400,),
                               seed=np.random.RandomState(7))
    assert np.array_equal(from_state.params[2].get_value(), he)


def test_dropout_training_and_deterministic_graphs():
    x = T.matrix("x")
    layer = nn.Dropout(0.3, seed=5)
    data = np.ones((200, 500))
    assert layer(x, deterministic=True) is x
    f = arignote.function([x], layer(x))
    first, second = f(data), f(data)
    assert set(np.unique(first)) <= {0.0, 1 / 0.7}
    assert abs((first == 0).mean() - 0.3) < 0.01
    assert abs(first.mean() - 1.0) < 0.02                 # inverted dropout keeps the mean
    assert not np.array_equal(first, second)             # a new mask each call
    again = arignote.function([x], nn.Dropout(0.3, seed=5)(x))(data)
    np.testing.assert_array_equal(again, first)          # the seed fixes the masks
    unscaled = arignote.function([x], nn.Dropout(0.5, rescale=False, seed=1)(x))(data)
    assert set(np.unique(unscaled)) <= {0.0, 1.0}


def test_deterministic_model_disables_dropout():
    model = nn.Sequential(nn.Dropout(0.5), nn.Dense(3), input_shape=(10,), seed=0)
    x = T.matrix("x")
    data = np.random.RandomState(0).randn(4, 10)
    w, b = (p.get_value() for p in model.params)
    test = arignote.function([x], model(x, deterministic=True))
    np.testing.assert_allclose(test(data), test(data))
    np.testing.assert_allclose(test(data), data @ w + b, rtol=1e-10)
    train = arignote.function([x], model(x))
    assert not np.allclose(train(data), data @ w + b)


def test_flatten_and_shapes():
    layer = nn.Flatten()
    assert layer.build((40, 5, 5)) == (1000,)
    x = T.tensor4("x")
    data = np.arange(2 * 40 * 25, dtype=float).reshape(2, 40, 5, 5)
    np.testing.assert_array_equal(value(layer, x, data), data.reshape(2, 1000))
    assert nn.Flatten(3).build((4, 5, 6)) == (4, 30)


@needs_conv
@pytest.mark.parametrize("pad,stride,flip", [("valid", 1, True), ("same", 1, True),
                                             ("full", 1, False), (1, 2, True)])
def test_conv2d_layer_matches_numpy(pad, stride, flip):
    rng = np.random.RandomState(2)
    layer = nn.Conv2D(4, 3, stride=stride, pad=pad, activation="relu", flip_filters=flip,
                      input_shape=(2, 7, 6), seed=0)
    layer.b.set_value(rng.randn(4))
    data = rng.randn(3, 2, 7, 6)
    x = T.tensor4("x")
    out = value(layer, x, data)
    padding = {"valid": (0, 0), "same": (1, 1), "full": (2, 2), 1: (1, 1)}[pad]
    expected = relu(np_conv(data, layer.W.get_value(), flip, padding, (stride, stride))
                    + layer.b.get_value()[None, :, None, None])
    assert out.shape == (3,) + layer.output_shape
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-10)


@needs_pool
@pytest.mark.parametrize("shape,size", [((3, 8, 8), 2), ((2, 7, 5), 2), ((1, 9, 9), 3)])
def test_maxpool_layer_matches_numpy(shape, size):
    layer = nn.MaxPool2D(size)
    assert layer.build(shape) == (shape[0], shape[1] // size, shape[2] // size)
    data = np.random.RandomState(3).randn(2, *shape)
    x = T.tensor4("x")
    out = value(layer, x, data)
    np.testing.assert_array_equal(out, np_maxpool(data, size))


@needs_pool
def test_average_pool_layer_matches_numpy():
    data = np.random.RandomState(4).randn(2, 3, 6, 6)
    x = T.tensor4("x")
    out = value(nn.Pool2D(2, mode="average_exc_pad"), x, data)
    expected = data.reshape(2, 3, 3, 2, 3, 2).mean(axis=(3, 5))
    np.testing.assert_allclose(out, expected, rtol=1e-12)


@needs_bn
def test_batchnorm_training_and_test_graphs():
    rng = np.random.RandomState(5)
    layer = nn.BatchNorm(epsilon=1e-4, alpha=0.1)
    layer.build((3, 4, 4))
    gamma, beta = rng.rand(3) + 0.5, rng.randn(3)
    layer.gamma.set_value(gamma)
    layer.beta.set_value(beta)
    data = rng.randn(6, 3, 4, 4) * 2 + 1
    x = T.tensor4("x")
    out = layer(x)
    assert list(layer.updates) == [layer.running_mean, layer.running_var]
    train = arignote.function([x], out, updates=layer.updates)
    mean = data.mean(axis=(0, 2, 3))
    var = data.var(axis=(0, 2, 3))
    shape = (1, 3, 1, 1)
    expected = ((data - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-4)
                * gamma.reshape(shape) + beta.reshape(shape))
    np.testing.assert_allclose(train(data), expected, rtol=1e-8, atol=1e-10)
    count = data.size / 3
    np.testing.assert_allclose(layer.running_mean.get_value(), 0.1 * mean, rtol=1e-10)
    np.testing.assert_allclose(layer.running_var.get_value(),
                               0.9 + 0.1 * var * count / (count - 1), rtol=1e-10)
    test = arignote.function([x], layer(x, deterministic=True))
    running_mean = layer.running_mean.get_value().reshape(shape)
    running_var = layer.running_var.get_value().reshape(shape)
    expected = ((data - running_mean) / np.sqrt(running_var + 1e-4) * gamma.reshape(shape)
                + beta.reshape(shape))
    np.testing.assert_allclose(test(data), expected, rtol=1e-8, atol=1e-10)


@needs_bn
def test_batchnorm_after_dense_is_per_unit():
    model = nn.Sequential(nn.Dense(5), nn.BatchNorm(), input_shape=(4,), seed=0)
    x = T.matrix("x")
    out = arignote.function([x], model(x), updates=model.updates)(
        np.random.RandomState(0).randn(8, 4))
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-7)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-3)
    assert len(model.updates) == 2 and len(model.params) == 4


def figure8(seed=0):
    """The paper's CNN (Figure 8), dropout on the inputs of the two 1000-unit layers."""
    return nn.Sequential(
        nn.Conv2D(20, 5, activation="relu"), nn.MaxPool2D(2),
        nn.Conv2D(40, 5, activation="relu"), nn.MaxPool2D(2), nn.Flatten(),
        nn.Dropout(0.5), nn.Dense(1000, activation="relu"),
        nn.Dropout(0.5), nn.Dense(1000, activation="relu"),
        nn.Dense(10, activation="softmax"), input_shape=(3, 32, 32), seed=seed)


def test_figure8_shapes_and_parameters():
    model = figure8()
    shapes = [layer.output_shape for layer in model]
    assert shapes == [(20, 28, 28), (20, 14, 14), (40, 10, 10), (40, 5, 5), (1000,), (1000,),
                      (1000,), (1000,), (1000,), (10,)]
    assert [p.get_value().shape for p in model.params] == [
        (20, 3, 5, 5), (20,), (40, 20, 5, 5), (40,), (1000, 1000), (1000,), (1000, 1000),
        (1000,), (1000, 10), (10,)]


@needs_conv
@needs_pool
def test_figure8_forward_matches_numpy():
    model = figure8(seed=3)
    for bias in model.params[1::2]:            # non-zero biases, so they are checked too
        bias.set_value(np.random.RandomState(0).randn(*bias.get_value().shape) * 0.1)
    data = np.random.RandomState(1).rand(2, 3, 32, 32)
    x = T.tensor4("x")
    out = value(model, x, data)
    w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = (p.get_value() for p in model.params)
    h = np_maxpool(relu(np_conv(data, w1) + b1[None, :, None, None]), 2)
    h = np_maxpool(relu(np_conv(h, w2) + b2[None, :, None, None]), 2)
    h = relu(relu(h.reshape(2, -1) @ w3 + b3) @ w4 + b4)
    expected = softmax(h @ w5 + b5)
    assert out.shape == (2, 10)
    np.testing.assert_allclose(out, expected, rtol=1e-8, atol=1e-12)


def train_steps(model, data, x_var, steps, batch, lr):
    """Losses of ``steps`` SGD steps on the first minibatches, through givens."""
    y = T.ivector("y")
    index = T.lscalar("index")
    loss = T.nnet.categorical_crossentropy(model(x_var), y).mean()
    train = arignote.function([index], loss, updates=optimizers.sgd(loss, model.params, lr),
                              givens=batch_givens(index, batch, {x_var: data.train_x,
                                                                 y: data.train_y}))
    deterministic = T.nnet.categorical_crossentropy(model(x_var, deterministic=True), y).mean()
    evaluate = arignote.function([], deterministic, givens={x_var: data.train_x[:batch * 4],
                                                            y: data.train_y[:batch * 4]})
    before = float(evaluate())
    losses = [float(train(i % 4)) for i in range(steps)]
    return before, float(evaluate()), losses


def test_mlp_sgd_steps_lower_the_loss(monkeypatch):
    monkeypatch.setattr(arignote.config, "floatX", "float32")
    data = shared_dataset(synthetic_mnist(200, n_test=10, seed=0))
    model = nn.Sequential(nn.Flatten(), nn.Dense(64, activation="relu"), nn.Dropout(0.2),
                          nn.Dense(10, activation="softmax"), input_shape=(1, 28, 28), seed=0)
    before, after, losses = train_steps(model, data, T.tensor4("x"), 20, 50, 0.1)
    assert all(p.get_value().dtype == np.float32 for p in model.params)
    assert after < 0.5 * before, (before, after)
    assert np.mean(losses[-4:]) < np.mean(losses[:4])


@needs_conv
@needs_pool
def test_figure8_sgd_steps_lower_the_loss(monkeypatch):
    monkeypatch.setattr(arignote.config, "floatX", "float32")
    data = shared_dataset(synthetic_cifar10(40, n_test=4, seed=1))
    model = figure8(seed=2)
    before, after, losses = train_steps(model, data, T.tensor4("x"), 12, 10, 0.05)
    assert all(np.isfinite(losses))
    assert after < before, (before, after)


def test_errors_name_the_problem():
    x = T.matrix("x")
    with pytest.raises(ValueError, match="does not know its input shape"):
        nn.Dense(3)(x)
    with pytest.raises(ValueError, match="unknown activation 'rleu'"):
        nn.Dense(3, activation="rleu")
    with pytest.raises(ValueError, match="units must be a positive int"):
        nn.Dense(0)
    with pytest.raises(ValueError, match=r"5x5 filter is larger than the padded 4x4 input"):
        nn.Sequential(nn.Conv2D(2, 5), input_shape=(1, 4, 4))
    with pytest.raises(ValueError, match="window is larger than"):
        nn.MaxPool2D(4).build((1, 3, 3))
    with pytest.raises(ValueError, match=r"expects inputs of 4 dimensions"):
        nn.Conv2D(2, 3, input_shape=(1, 5, 5))(x)
    with pytest.raises(ValueError, match=r"per-example inputs \(channels, rows, columns\)"):
        nn.Conv2D(2, 3).build((5, 5))
    with pytest.raises(ValueError, match=r"p=1.0 must be in \[0, 1\)"):
        nn.Dropout(1.0)
    with pytest.raises(TypeError, match="item 1 is 3, not a layer"):
        nn.Sequential(nn.Flatten(), 3)
    with pytest.raises(ValueError, match="built for inputs of shape"):
        layer = nn.Dense(2, input_dim=3)
        layer.build((4,))
    with pytest.raises(ValueError, match="initial weights of shape"):
        nn.Dense(2, input_dim=3, init=np.ones((2, 3)))


def test_repr_lists_layers_and_shapes():
    text = repr(nn.Sequential(nn.MaxPool2D(2), nn.Flatten(), nn.Dense(4),
                              input_shape=(2, 4, 4)))
    assert text.splitlines()[0] == "Sequential(input_shape=(2, 4, 4))"
    assert "-> (2, 2, 2)" in text and "-> (8,)" in text and "-> (4,)" in text


# The training loop (arignote.training) with plain Python callables standing in for
# compiled functions, so each behaviour is checked exactly.

def test_fit_records_means_and_evaluations(tmp_path):
    from arignote.training import fit

    calls = []

    def train(index):
        calls.append(index)
        return [float(index), 2.0 * index]

    history = fit(train, n_batches=4, epochs=2, names=("loss", "double"),
                  evaluate={"test": (lambda i: 0.5 + 0.1 * i, 3)}, progress=False)
    assert calls == [0, 1, 2, 3] * 2
    assert history["train_loss"] == [1.5, 1.5] and history["train_double"] == [3.0, 3.0]
    np.testing.assert_allclose(history["test_accuracy"], [0.6, 0.6])
    assert history.keys() == ["train_loss", "train_double", "test_accuracy"]
    assert [r["epoch"] for r in history.records] == [1, 2]
    assert history.records[1]["wall_time"] >= history.records[0]["wall_time"] > 0
    png = history.plot(str(tmp_path / "curve.png"), title="t")
    with open(png, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    with open(history.to_json(str(tmp_path / "h.json"), run="x")) as handle:
        saved = json.load(handle)
    assert saved["run"] == "x" and saved["history"][0]["train_loss"] == 1.5


def test_fit_limits_shuffles_and_stops_on_nan():
    from arignote.training import History, fit

    calls = []
    fit(lambda i: calls.append(i) or 0.0, n_batches=10, epochs=2, limit_batches=3,
        shuffle=True, seed=0, progress=False)
    assert len(calls) == 6 and calls[:3] != [0, 1, 2] and len(set(calls[:3])) == 3
    evaluated = []
    fit(lambda i: 0.0, n_batches=2, evaluate=(lambda i: evaluated.append(i) or 1.0, 50),
        limit_eval_batches=4, progress=False)
    assert evaluated == [0, 1, 2, 3]
    with pytest.raises(FloatingPointError, match="epoch 1, minibatch 2 is not finite"):
        fit(lambda i: float("nan") if i == 2 else 1.0, n_batches=4, progress=False)
    with pytest.raises(ValueError, match="holds no whole minibatch"):
        fit(lambda i: 0.0, n_batches=0)
    with pytest.raises(ValueError, match=r"output 0 has shape \(3,\); metrics must be scalars"):
        fit(lambda i: np.zeros(3), n_batches=1, progress=False)
    with pytest.raises(ValueError, match=r"returned 1 output\(s\), but 2 metric name\(s\)"):
        fit(lambda i: 1.0, n_batches=1, names=("loss", "accuracy"), progress=False)
    with pytest.raises(ValueError, match="evaluation set 'test' holds no whole minibatch"):
        fit(lambda i: 0.0, n_batches=1, evaluate={"test": (lambda i: 0.0, 0)})
    with pytest.raises(KeyError, match="no metric 'test_accuracy'"):
        History([{"epoch": 1, "train_loss": 1.0}]).best("test_accuracy")
    with pytest.raises(ValueError, match="nothing recorded yet"):
        History().plot("unused.png")
