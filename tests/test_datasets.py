"""arignote.datasets: idx and CIFAR-10 batch parsing on small files written here, the real
MNIST and CIFAR-10 files when ../shared/data exists, synthetic stand-ins, shared data and
minibatches through givens, and errors that name the missing file."""

import gzip
import lzma
import os
import pickle

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote import datasets

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
DATA = os.path.join(ROOT, os.pardir, "shared", "data")
needs_mnist = pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "mnist")),
                                 reason="../shared/data/mnist is not here")
needs_cifar = pytest.mark.skipif(not os.path.isdir(os.path.join(DATA, "cifar10")),
                                 reason="../shared/data/cifar10 is not here")


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def fake_mnist(folder, n_train=12, n_test=5):
    rng = np.random.RandomState(0)
    arrays = {"train_x": rng.randint(0, 256, (n_train, 28, 28)),
              "train_y": rng.randint(0, 10, n_train),
              "test_x": rng.randint(0, 256, (n_test, 28, 28)),
              "test_y": rng.randint(0, 10, n_test)}
    os.makedirs(folder, exist_ok=True)
    for key, name in datasets.MNIST_FILES.items():
        write_idx(os.path.join(folder, name), arrays[key])
    return arrays


def fake_cifar(folder, compress, n=4):
    rng = np.random.RandomState(1)
    os.makedirs(folder, exist_ok=True)
    batches = {}
    for name in datasets.CIFAR10_TRAIN_BATCHES + (datasets.CIFAR10_TEST_BATCH,):
        batch = {"data": rng.randint(0, 256, (n, 3072)).astype(np.uint8),
                 "labels": list(rng.randint(0, 10, n)), "batch_label": name}
        raw = pickle.dumps(batch, protocol=2)
        if compress:
            with lzma.open(os.path.join(folder, name + ".xz"), "wb") as handle:
                handle.write(raw)
        else:
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(raw)
        batches[name] = batch
    return batches


def test_mnist_idx_files_parse(tmp_path):
    arrays = fake_mnist(tmp_path / "mnist")
    data = datasets.load_mnist(tmp_path, n_valid=2)          # finds the mnist/ subfolder
    assert data.train_x.shape == (10, 1, 28, 28) and data.valid_x.shape == (2, 1, 28, 28)
    assert data.test_x.shape == (5, 1, 28, 28)
    assert data.train_x.dtype == np.float32 and data.train_y.dtype == np.int32
    np.testing.assert_array_equal(data.train_x[:, 0] * 255, arrays["train_x"][:10])
    np.testing.assert_array_equal(data.valid_y, arrays["train_y"][10:])
    np.testing.assert_array_equal(data.test_y, arrays["test_y"])
    whole = datasets.load_mnist(tmp_path / "mnist", n_valid=0)
    assert whole.valid_x is None and whole.train_x.shape[0] == 12


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "xz"])
def test_cifar_batches_parse_plain_and_xz(tmp_path, compress):
    folder = tmp_path / "cifar10" / "cifar-10-batches-py"
    batches = fake_cifar(folder, compress)
    data = datasets.load_cifar10(tmp_path, n_train_batches=2)
    assert data.train_x.shape == (8, 3, 32, 32) and data.test_x.shape == (4, 3, 32, 32)
    assert data.train_x.dtype == np.float32 and data.test_y.dtype == np.int32
    first = batches["data_batch_1"]["data"][0].reshape(3, 32, 32)
    np.testing.assert_allclose(data.train_x[0], first / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(data.train_y[4:], batches["data_batch_2"]["labels"])
    split = datasets.load_cifar10(folder, n_valid=5)
    assert split.train_x.shape[0] == 15 and split.valid_x.shape[0] == 5


def test_missing_paths_and_files_are_named(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="MNIST: the data path .*nowhere does not"):
        datasets.load_mnist(missing)
    with pytest.raises(FileNotFoundError, match="CIFAR-10: no test_batch found; looked in"):
        datasets.load_cifar10(tmp_path)
    with pytest.raises(FileNotFoundError, match="MNIST: no train-images-idx3-ubyte.gz found"):
        datasets.load_mnist(tmp_path)
    fake_mnist(tmp_path / "m")
    os.remove(tmp_path / "m" / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(FileNotFoundError, match="expected the idx file .*t10k-labels"):
        datasets.load_mnist(tmp_path / "m")
    fake_cifar(tmp_path / "c", compress=False)
    os.remove(tmp_path / "c" / "data_batch_3")
    with pytest.raises(FileNotFoundError, match=r"expected the batch file .*data_batch_3 "
                                                r"\(or data_batch_3.xz\)"):
        datasets.load_cifar10(tmp_path / "c")


def test_corrupt_files_are_refused(tmp_path):
    fake_mnist(tmp_path)
    with gzip.open(tmp_path / "train-images-idx3-ubyte.gz", "wb") as handle:
        handle.write(b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(ValueError, match="not an unsigned-byte idx file"):
        datasets.load_mnist(tmp_path)
    fake_cifar(tmp_path / "c", compress=False)
    with open(tmp_path / "c" / "test_batch", "wb") as handle:
        pickle.dump({"pixels": []}, handle)
    with pytest.raises(ValueError, match="is not a CIFAR-10 python batch"):
        datasets.load_cifar10(tmp_path / "c", n_train_batches=1)
    with pytest.raises(ValueError, match="n_train_batches=6 must be in 1..5"):
        datasets.load_cifar10(tmp_path / "c", n_train_batches=6)
    fake_mnist(tmp_path / "clean")
    with pytest.raises(ValueError, match=r"n_valid=12 must be in \[0, 12\)"):
        datasets.load_mnist(tmp_path / "clean", n_valid=12)


def test_synthetic_sets_are_seeded_and_learnable_shapes():
    a = datasets.synthetic_cifar10(30, n_test=6, seed=3, n_valid=4)
    b = datasets.synthetic_cifar10(30, n_test=6, seed=3, n_valid=4)
    assert a.train_x.shape == (30, 3, 32, 32) and a.valid_x.shape == (4, 3, 32, 32)
    assert a.test_x.shape == (6, 3, 32, 32)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert a.train_x.dtype == np.float32 and a.train_y.dtype == np.int32
    assert 0 <= a.train_x.min() and a.train_x.max() <= 1
    m = datasets.synthetic_mnist(100, seed=0)
    assert m.train_x.shape == (100, 1, 28, 28) and m.test_x.shape == (20, 1, 28, 28)
    assert set(np.unique(m.train_y)) == set(range(10))
    # Same-class images are closer to each other than to other classes: a learnable task.
    x = m.train_x.reshape(100, -1)
    same = [np.linalg.norm(x[i] - x[j]) for i in range(20) for j in range(20)
            if i != j and m.train_y[i] == m.train_y[j]]
    other = [np.linalg.norm(x[i] - x[j]) for i in range(20) for j in range(20)
             if m.train_y[i] != m.train_y[j]]
    assert max(same) < min(other)
    with pytest.raises(ValueError, match="must be positive"):
        datasets.synthetic_mnist(0)


def test_shared_data_and_minibatches_through_givens(monkeypatch):
    monkeypatch.setattr(arignote.config, "floatX", "float32")
    data = datasets.shared_dataset(datasets.synthetic_mnist(10, n_test=4, seed=0))
    assert data.train_x.dtype == "float32" and data.train_y.dtype == "int32"
    assert data.valid_x is None
    x, y, index = T.tensor4("x"), T.ivector("y"), T.lscalar("index")
    f = arignote.function([index], [x.sum(axis=(1, 2, 3)), y],
                          givens=datasets.batch_givens(index, 3, {x: data.train_x,
                                                                  y: data.train_y}))
    sums, labels = f(2)
    raw = data.train_x.get_value()
    np.testing.assert_allclose(sums, raw[6:9].sum(axis=(1, 2, 3)), rtol=1e-5)
    np.testing.assert_array_equal(labels, data.train_y.get_value()[6:9])
    assert datasets.n_batches(data.train_x, 3) == 3
    assert datasets.n_batches(raw, 20) == 0
    with pytest.raises(TypeError, match="index must be an integer scalar"):
        datasets.batch_givens(T.scalar("i"), 3, {x: data.train_x})
    with pytest.raises(ValueError, match="batch_size=0 must be positive"):
        datasets.batch_givens(index, 0, {x: data.train_x})
    with pytest.raises(TypeError, match="expected a Dataset"):
        datasets.shared_dataset((1, 2))


def test_default_data_path():
    path = datasets.default_data_path()
    if os.path.isdir(DATA):
        assert os.path.samefile(path, DATA)
    else:
        assert path is None


@needs_mnist
def test_real_mnist():
    data = datasets.load_mnist(DATA)
    assert data.train_x.shape == (50000, 1, 28, 28) and data.valid_x.shape == (10000, 1, 28, 28)
    assert data.test_x.shape == (10000, 1, 28, 28)
    assert data.train_x.dtype == np.float32 and data.test_y.dtype == np.int32
    assert data.train_x.min() == 0 and data.train_x.max() == 1
    labels = np.concatenate([data.train_y, data.valid_y])
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                            5851, 5949]
    assert np.bincount(data.test_y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                                 974, 1009]


@needs_cifar
def test_real_cifar10_one_batch():
    data = datasets.load_cifar10(DATA, n_train_batches=1)
    assert data.train_x.shape == (10000, 3, 32, 32) and data.test_x.shape == (10000, 3, 32, 32)
    assert data.train_x.dtype == np.float32 and data.train_y.dtype == np.int32
    assert data.train_x.min() == 0 and data.train_x.max() == 1
    assert np.bincount(data.test_y).tolist() == [1000] * 10
    assert sorted(set(data.train_y.tolist())) == list(range(10))
    # Channel-planar rows: the red plane of image 0 is the first 1024 values of its row.
    with lzma.open(os.path.join(DATA, "cifar10", "cifar-10-batches-py", "test_batch.xz")) as f:
        raw = pickle.load(f, encoding="latin1")
    np.testing.assert_allclose(data.test_x[0, 0].ravel(), raw["data"][0, :1024] / 255.0,
                               rtol=1e-6)
