"""Image datasets for the examples: MNIST and CIFAR-10 from files, small synthetic stand-ins.

Loaders return a ``Dataset`` of numpy arrays: images as float32 NCHW scaled to [0, 1]
(``pixel / 255``), labels as int32.  ``shared_dataset`` (and ``load_cifar10_shared``) moves one
into shared variables, and ``batch_givens`` slices minibatches out of them inside the compiled
function, so a training step takes one integer, as the paper's Figure 9 does::

    data = load_cifar10_shared("../shared/data")
    index = T.lscalar("index")
    train = function([index], loss, updates=updates,
                     givens=batch_givens(index, 50, {x: data.train_x, y: data.train_y}))

``path`` may name the folder holding the files themselves or any folder above it in the usual
layout (``mnist/``, ``cifar10/cifar-10-batches-py/``), so the root of a data folder works.

>>> data = synthetic_mnist(20, n_test=10, seed=0)
>>> data.train_x.shape, data.train_x.dtype, data.train_y.dtype, data.test_x.shape
((20, 1, 28, 28), dtype('float32'), dtype('int32'), (10, 1, 28, 28))
"""

import gzip
import lzma
import os
import pickle
from typing import NamedTuple, Optional

import numpy as np

from .configparser import config
from .runtime.shared import shared

__all__ = ["Dataset", "load_mnist", "load_cifar10", "synthetic_mnist", "synthetic_cifar10",
           "shared_dataset", "load_cifar10_shared", "load_mnist_shared", "batch_givens",
           "n_batches", "default_data_path", "MNIST_FILES", "CIFAR10_TRAIN_BATCHES",
           "CIFAR10_TEST_BATCH"]

MNIST_FILES = {"train_x": "train-images-idx3-ubyte.gz", "train_y": "train-labels-idx1-ubyte.gz",
               "test_x": "t10k-images-idx3-ubyte.gz", "test_y": "t10k-labels-idx1-ubyte.gz"}
CIFAR10_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_BATCH = "test_batch"
CIFAR10_LABELS = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                  "ship", "truck")


class Dataset(NamedTuple):
    """Training, optional validation and test images with their labels.

    ``valid_x``/``valid_y`` are ``None`` when no validation split was asked for.  Fields hold
    numpy arrays, or shared variables after ``shared_dataset``.
    """

    train_x: object
    train_y: object
    test_x: object
    test_y: object
    valid_x: Optional[object] = None
    valid_y: Optional[object] = None


def _find_folder(path, subfolders, marker, what):
    """The folder at or below ``path`` (through ``subfolders``) that holds ``marker``."""
    if path is None:
        raise ValueError(f"{what}: no data path given")
    path = os.path.abspath(os.fspath(path))
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{what}: the data path {path} does not exist or is not a "
                                "folder")
    candidates = [path] + [os.path.join(path, *sub) for sub in subfolders]
    for folder in candidates:
        if os.path.exists(os.path.join(folder, marker)) or \
                os.path.exists(os.path.join(folder, marker + ".xz")):
            return folder
    looked = ", ".join(candidates)
    raise FileNotFoundError(f"{what}: no {marker} found; looked in {looked}")


def _read_idx(path):
    """The array stored in a gzip-compressed big-endian idx file (uint8 payload)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"MNIST: expected the idx file {path}")
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"MNIST: {path} is not an unsigned-byte idx file (bad magic number)")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    payload = len(raw) - 4 - 4 * ndim
    if payload != int(np.prod(dims)):
        raise ValueError(f"MNIST: {path} holds {payload} bytes of data, but its header says "
                         f"{dims}")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _split_valid(train_x, train_y, test_x, test_y, n_valid, what):
    """A Dataset whose validation set is the last ``n_valid`` training examples."""
    n_valid = int(n_valid)
    if not 0 <= n_valid < len(train_x):
        raise ValueError(f"{what}: n_valid={n_valid} must be in [0, {len(train_x)})")
    if n_valid == 0:
        return Dataset(train_x, train_y, test_x, test_y)
    cut = len(train_x) - n_valid
    return Dataset(train_x[:cut], train_y[:cut], test_x, test_y, train_x[cut:], train_y[cut:])


def _images(pixels):
    """uint8 pixels as float32 in [0, 1]."""
    return (pixels.astype(np.float32) / np.float32(255)).astype(np.float32)


def load_mnist(path, n_valid=10000):
    """MNIST from its four idx ``.gz`` files.

    Parameters
    ----------
    path : str or os.PathLike
        The folder holding ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``, or a folder with them
        in its ``mnist/`` subfolder.
    n_valid : int
        How many of the 60,000 training images (the last ones) form the validation set; the
        classic Theano tutorial's split is 50,000 / 10,000 (the default); 0 keeps all 60,000
        for training.

    Returns
    -------
    Dataset
        Images float32 ``(N, 1, 28, 28)`` in [0, 1], labels int32.

    Raises
    ------
    FileNotFoundError
        When the folder or one of the four files is missing (the message names it).

    Examples
    --------
    >>> load_mnist("/nonexistent/data")
    Traceback (most recent call last):
    FileNotFoundError: MNIST: the data path /nonexistent/data does not exist or is not a folder
    """
    folder = _find_folder(path, [("mnist",)], MNIST_FILES["train_x"], "MNIST")
    arrays = {}
    for key, name in MNIST_FILES.items():
        array = _read_idx(os.path.join(folder, name))
        arrays[key] = (_images(array)[:, None] if key.endswith("_x")
                       else array.astype(np.int32))
    for split in ("train", "test"):
        if len(arrays[f"{split}_x"]) != len(arrays[f"{split}_y"]):
            raise ValueError(f"MNIST: {split} has {len(arrays[f'{split}_x'])} images but "
                             f"{len(arrays[f'{split}_y'])} labels")
    return _split_valid(arrays["train_x"], arrays["train_y"], arrays["test_x"],
                        arrays["test_y"], n_valid, "MNIST")


def _read_cifar_batch(folder, name):
    """(images uint8 NCHW, labels int32) of one CIFAR-10 python batch, plain or ``.xz``."""
    plain = os.path.join(folder, name)
    if os.path.exists(plain):
        opener, path = open, plain
    elif os.path.exists(plain + ".xz"):
        opener, path = lzma.open, plain + ".xz"
    else:
        raise FileNotFoundError(f"CIFAR-10: expected the batch file {plain} (or {name}.xz)")
    with opener(path, "rb") as handle:
        batch = pickle.load(handle, encoding="latin1")
    if not isinstance(batch, dict) or "data" not in batch or "labels" not in batch:
        raise ValueError(f"CIFAR-10: {path} is not a CIFAR-10 python batch (a dict with "
                         "'data' and 'labels')")
    data = np.asarray(batch["data"], dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"CIFAR-10: {path} holds data of shape {data.shape}, not (N, 3072)")
    return data.reshape(-1, 3, 32, 32), np.asarray(batch["labels"], dtype=np.int32)


def load_cifar10(path, n_valid=0, n_train_batches=5):
    """CIFAR-10 from its python batches (``data_batch_1`` ... ``test_batch``, plain or ``.xz``).

    Parameters
    ----------
    path : str or os.PathLike
        The ``cifar-10-batches-py`` folder, or a folder above it (``cifar10/`` and
        ``cifar10/cifar-10-batches-py/`` below ``path`` are searched).
    n_valid : int
        How many training images (the last ones) form a validation set; the paper trains on
        all 50,000 and reports test accuracy (0, the default).
    n_train_batches : int
        How many of the five training batches to read (fewer load faster).

    Returns
    -------
    Dataset
        Images float32 ``(N, 3, 32, 32)`` in [0, 1], labels int32.

    Raises
    ------
    FileNotFoundError
        When the folder or a batch file is missing (the message names it).

    Examples
    --------
    >>> load_cifar10("/nonexistent/data")
    Traceback (most recent call last):
    FileNotFoundError: CIFAR-10: the data path /nonexistent/data does not exist or is not a folder
    """
    if not 1 <= int(n_train_batches) <= 5:
        raise ValueError(f"CIFAR-10: n_train_batches={n_train_batches} must be in 1..5")
    folder = _find_folder(path, [("cifar-10-batches-py",), ("cifar10", "cifar-10-batches-py"),
                                 ("cifar10",)], CIFAR10_TEST_BATCH, "CIFAR-10")
    parts = [_read_cifar_batch(folder, name)
             for name in CIFAR10_TRAIN_BATCHES[:int(n_train_batches)]]
    train_x = _images(np.concatenate([p[0] for p in parts]))
    train_y = np.concatenate([p[1] for p in parts])
    test_pixels, test_y = _read_cifar_batch(folder, CIFAR10_TEST_BATCH)
    return _split_valid(train_x, train_y, _images(test_pixels), test_y, n_valid, "CIFAR-10")


def _synthetic(n, n_test, n_valid, shape, classes, seed, noise):
    """Images of ``classes`` random templates plus noise, clipped to [0, 1]: learnable."""
    if int(n) < 1 or int(n_test) < 1 or int(n_valid) < 0:
        raise ValueError(f"synthetic data: n={n} and n_test={n_test} must be positive, "
                         f"n_valid={n_valid} not negative")
    rng = np.random.RandomState(seed)
    templates = rng.rand(classes, *shape).astype(np.float32)

    def draw(count):
        labels = rng.randint(0, classes, size=count).astype(np.int32)
        images = templates[labels] + noise * rng.randn(count, *shape).astype(np.float32)
        return np.clip(images, 0, 1).astype(np.float32), labels

    train_x, train_y = draw(int(n) + int(n_valid))
    test_x, test_y = draw(int(n_test))
    return _split_valid(train_x, train_y, test_x, test_y, n_valid, "synthetic data")


def synthetic_mnist(n=1000, n_test=None, seed=0, noise=0.3, n_valid=0):
    """A small MNIST-shaped stand-in: ten random 28×28 templates plus Gaussian noise.

    Parameters
    ----------
    n, n_test : int
        Training and test images (``n_test`` defaults to ``n // 5``, at least 1).
    seed : int
        Seed of the numpy generator (same seed, same data).
    noise : float
        Standard deviation of the noise added to the templates.
    n_valid : int
        Validation images drawn besides the ``n`` training ones (0: no validation set).

    Returns
    -------
    Dataset
        Images float32 ``(N, 1, 28, 28)`` in [0, 1], labels int32 in 0..9.

    Examples
    --------
    >>> synthetic_mnist(5, seed=1).train_y
    array([5, 0, 2, 1, 6], dtype=int32)
    """
    n_test = max(1, int(n) // 5) if n_test is None else n_test
    return _synthetic(n, n_test, n_valid, (1, 28, 28), 10, seed, noise)


def synthetic_cifar10(n=1000, n_test=None, seed=0, noise=0.3, n_valid=0):
    """A small CIFAR-10-shaped stand-in: ten random 3×32×32 templates plus Gaussian noise.

    Parameters
    ----------
    n, n_test : int
        Training and test images (``n_test`` defaults to ``n // 5``, at least 1).
    seed : int
        Seed of the numpy generator.
    noise : float
        Standard deviation of the noise added to the templates.
    n_valid : int
        Validation images drawn besides the ``n`` training ones (0: no validation set).

    Returns
    -------
    Dataset
        Images float32 ``(N, 3, 32, 32)`` in [0, 1], labels int32 in 0..9.

    Examples
    --------
    >>> synthetic_cifar10(4, n_test=2).test_x.shape
    (2, 3, 32, 32)
    """
    n_test = max(1, int(n) // 5) if n_test is None else n_test
    return _synthetic(n, n_test, n_valid, (3, 32, 32), 10, seed, noise)


def shared_dataset(data, dtype=None):
    """The arrays of ``data`` as shared variables: images of ``dtype``, labels int32.

    Parameters
    ----------
    data : Dataset
        Numpy arrays, from a loader or the synthetic helpers.
    dtype : str, optional
        The images' dtype (default ``config.floatX``).

    Returns
    -------
    Dataset
        The same fields, each a shared variable (``None`` stays ``None``).

    Examples
    --------
    >>> data = shared_dataset(synthetic_mnist(10, n_test=2), dtype="float32")
    >>> data.train_x.get_value().shape, data.train_y.dtype
    ((10, 1, 28, 28), 'int32')
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"shared_dataset: expected a Dataset, got {type(data).__name__}")
    dtype = dtype or config.floatX
    fields = {}
    for name, value in data._asdict().items():
        if value is None:
            fields[name] = None
        elif name.endswith("_x"):
            fields[name] = shared(np.asarray(value, dtype=dtype), name=name)
        else:
            fields[name] = shared(np.asarray(value, dtype=np.int32), name=name)
    return Dataset(**fields)


def load_cifar10_shared(path, n_valid=0, n_train_batches=5, dtype=None):
    """``load_cifar10(path, ...)`` moved into shared variables (see ``shared_dataset``).

    Examples
    --------
    >>> load_cifar10_shared("/nonexistent/data")
    Traceback (most recent call last):
    FileNotFoundError: CIFAR-10: the data path /nonexistent/data does not exist or is not a folder
    """
    return shared_dataset(load_cifar10(path, n_valid, n_train_batches), dtype)


def load_mnist_shared(path, n_valid=10000, dtype=None):
    """``load_mnist(path, n_valid)`` moved into shared variables (see ``shared_dataset``).

    Examples
    --------
    >>> load_mnist_shared("/nonexistent/data")
    Traceback (most recent call last):
    FileNotFoundError: MNIST: the data path /nonexistent/data does not exist or is not a folder
    """
    return shared_dataset(load_mnist(path, n_valid), dtype)


def batch_givens(index, batch_size, pairs):
    """``givens`` that replace each symbolic input by minibatch ``index`` of its shared data.

    Parameters
    ----------
    index : integer scalar graph
        The minibatch number (usually a ``T.lscalar`` input of the function).
    batch_size : int
        Examples per minibatch.
    pairs : dict
        Symbolic inputs mapped to the shared variables holding the whole data set.

    Returns
    -------
    dict
        ``{x: data[index * batch_size:(index + 1) * batch_size], ...}``.

    Examples
    --------
    >>> import numpy as np, arignote, arignote.tensor as T
    >>> data = arignote.shared(np.arange(6.0))
    >>> x, index = T.dvector("x"), T.lscalar("index")
    >>> f = arignote.function([index], x * 10, givens=batch_givens(index, 2, {x: data}))
    >>> f(1)
    array([20., 30.])
    """
    if int(batch_size) < 1:
        raise ValueError(f"batch_givens: batch_size={batch_size} must be positive")
    if not str(getattr(index, "dtype", "")).startswith(("int", "uint")):
        raise TypeError(f"batch_givens: index must be an integer scalar graph (T.lscalar), "
                        f"got {index!r}")
    start, stop = index * int(batch_size), (index + 1) * int(batch_size)
    return {variable: data[start:stop] for variable, data in pairs.items()}


def n_batches(data, batch_size):
    """How many whole minibatches of ``batch_size`` fit in ``data`` (array or shared).

    Examples
    --------
    >>> n_batches(np.zeros((105, 3)), 50)
    2
    """
    value = data.get_value(borrow=True) if hasattr(data, "get_value") else np.asarray(data)
    return int(value.shape[0]) // int(batch_size)


def default_data_path(anchor=None):
    """The ``shared/data`` folder beside the repository, or ``None`` when it does not exist.

    Parameters
    ----------
    anchor : str, optional
        A folder at the top of the repository (the examples pass their own folder); default:
        this package's folder, which is there in a source checkout.

    The examples read their data there by default (a checkout at ``work/main`` finds
    ``work/shared/data``), and fall back to synthetic data when it does not exist.

    Examples
    --------
    >>> path = default_data_path()
    >>> path is None or os.path.isdir(path)
    True
    """
    here = os.path.abspath(anchor or os.path.dirname(os.path.abspath(__file__)))
    path = os.path.normpath(os.path.join(here, os.pardir, os.pardir, "shared", "data"))
    return path if os.path.isdir(path) else None
