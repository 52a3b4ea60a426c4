"""A training loop for compiled minibatch functions: ``fit`` and the ``History`` it returns.

``fit`` calls ``train_fn(index)`` for every minibatch of every epoch (the function slices its
minibatch from shared data through ``givens``, see ``arignote.datasets.batch_givens``), shows a
``tqdm`` progress bar, evaluates after each epoch, and records per-epoch metrics in a
``History``, which saves them as JSON and draws the learning curves as a PNG (matplotlib).

>>> import numpy as np, arignote, arignote.tensor as T
>>> from arignote.datasets import batch_givens
>>> data = arignote.shared(np.arange(8.0))
>>> x, index = T.dvector("x"), T.lscalar("index")
>>> w = arignote.shared(0.0, name="w")
>>> loss = T.mean((x - w) ** 2)
>>> train = arignote.function([index], loss, updates=[(w, w - 0.1 * T.grad(loss, w))],
...                           givens=batch_givens(index, 4, {x: data}))
>>> history = fit(train, n_batches=2, epochs=3, progress=False)
>>> len(history), history.keys()
(3, ['train_loss'])
>>> bool(history["train_loss"][-1] < history["train_loss"][0])
True
"""

import json
import math
import sys
import time

import numpy as np
from tqdm.auto import tqdm

__all__ = ["History", "fit"]

# Keys that describe an epoch rather than measure the model: not drawn as curves.
_BOOKKEEPING = ("epoch", "epoch_time", "wall_time")


class History:
    """Per-epoch metrics of a training run: a list of dicts, one per epoch.

    Each record holds ``epoch`` (from 1), ``epoch_time`` and ``wall_time`` (seconds, the latter
    since training began) and the metrics (``train_loss``, ``test_accuracy``, ...).

    Examples
    --------
    >>> h = History()
    >>> h.append(epoch=1, train_loss=2.0, test_accuracy=0.5)
    >>> h.append(epoch=2, train_loss=1.0, test_accuracy=0.75)
    >>> h["train_loss"], h.best("test_accuracy")
    ([2.0, 1.0], (0.75, 2))
    """

    def __init__(self, records=None):
        self.records = [dict(r) for r in (records or [])]

    def append(self, **metrics):
        """Add one epoch's record."""
        self.records.append(metrics)

    def __len__(self):
        return len(self.records)

    def __getitem__(self, key):
        """The values of metric ``key``, one per epoch that recorded it."""
        values = [r[key] for r in self.records if key in r]
        if not values:
            raise KeyError(f"no metric {key!r} in this history; it has {self.keys()}")
        return values

    def keys(self):
        """The names of the recorded metrics (bookkeeping fields left out), in first-seen
        order."""
        names = []
        for record in self.records:
            names.extend(k for k in record if k not in names and k not in _BOOKKEEPING)
        return names

    def best(self, key, mode="max"):
        """``(value, epoch)`` of the best value of ``key`` (``mode`` 'max' or 'min')."""
        if mode not in ("max", "min"):
            raise ValueError(f"History.best: mode must be 'max' or 'min', got {mode!r}")
        pairs = [(r[key], r.get("epoch", i + 1)) for i, r in enumerate(self.records)
                 if key in r]
        if not pairs:
            raise KeyError(f"no metric {key!r} in this history; it has {self.keys()}")
        choose = max if mode == "max" else min
        return choose(pairs, key=lambda pair: pair[0])

    def as_dict(self):
        """``{"history": [one record per epoch]}``, ready for ``json.dump``."""
        return {"history": [dict(r) for r in self.records]}

    def to_json(self, path, **extra):
        """Write ``as_dict()`` (plus the ``extra`` fields, e.g. a summary) to ``path``."""
        payload = dict(extra)
        payload.update(self.as_dict())
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2)
        return path

    def plot(self, path, title=None, keys=None):
        """Draw the learning curves to a PNG at ``path``; returns ``path``.

        Losses go in the left panel, the other metrics (accuracies) in the right one, all
        against the epoch.  Uses matplotlib's Agg canvas directly, so no display and no
        change to pyplot's global backend.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        if not self.records:
            raise ValueError("History.plot: nothing recorded yet")
        keys = list(keys or self.keys())
        losses = [k for k in keys if "loss" in k]
        others = [k for k in keys if k not in losses]
        panels = [group for group in (losses, others) if group]
        figure = Figure(figsize=(5.5 * len(panels), 4), dpi=100)
        FigureCanvasAgg(figure)
        for position, group in enumerate(panels):
            axes = figure.add_subplot(1, len(panels), position + 1)
            for key in group:
                epochs = [r.get("epoch", i + 1) for i, r in enumerate(self.records) if key in r]
                axes.plot(epochs, self[key], marker="o" if len(epochs) < 30 else None,
                          label=key)
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.set_xlabel("epoch")
            # The metric's name without its data set ('test_accuracy' -> 'accuracy').
            suffixes = {key.split("_", 1)[-1] for key in group}
            axes.set_ylabel(suffixes.pop() if len(suffixes) == 1 else
                            "loss" if group is losses else "metric")
            axes.grid(True, alpha=0.3)
            axes.legend()
        if title:
            figure.suptitle(title)
        figure.tight_layout()
        figure.savefig(path)
        return path

    def __repr__(self):
        last = self.records[-1] if self.records else {}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items()
                          if k not in _BOOKKEEPING and isinstance(v, (int, float)))
        return f"History({len(self)} epochs{': ' + shown if shown else ''})"


def _values(output, count, what):
    """The outputs of one call of a compiled function as ``count`` floats."""
    outputs = list(output) if isinstance(output, (list, tuple)) else \
        [] if output is None else [output]
    values = []
    for position, item in enumerate(outputs[:count]):
        array = np.asarray(item)
        if array.size != 1:
            raise ValueError(f"{what} output {position} has shape {array.shape}; metrics must "
                             "be scalars (take a mean in the graph)")
        values.append(float(array.reshape(())))
    if len(values) < count:
        raise ValueError(f"{what} returned {len(outputs)} output(s), but {count} metric "
                         f"name(s) were given for it")
    return values


def _evaluate(name, fn, count, names, limit):
    """The mean of each of ``fn``'s outputs over minibatches ``0 .. count - 1``."""
    count = count if limit is None else max(1, min(count, int(limit)))
    totals = np.zeros(len(names))
    for index in range(count):
        totals += _values(fn(index), len(names), f"the evaluation function of {name!r}")
    return {f"{name}_{metric}": float(total / count) for metric, total in zip(names, totals)}


def fit(train_fn, n_batches, epochs=1, evaluate=None, names=("loss",),
        eval_names=("accuracy",), limit_batches=None, limit_eval_batches=None, shuffle=False,
        seed=0, progress=True, file=None, desc="training", stop_on_nan=True, on_epoch=None):
    """Train for ``epochs`` epochs of ``n_batches`` minibatches; returns a ``History``.

    Parameters
    ----------
    train_fn : callable
        ``train_fn(index)`` runs one training step on minibatch ``index`` (a compiled function
        with an integer input and the updates) and returns the metrics in ``names`` (scalars).
    n_batches : int
        Minibatches per epoch.
    epochs : int
    evaluate : dict or (callable, int), optional
        ``{"test": (test_fn, n_test_batches), ...}``: after each epoch every ``test_fn(i)`` is
        called for all its minibatches and the means of its outputs recorded as
        ``test_<eval_name>``.  A single pair is named ``"eval"``.
    names : tuple of str
        Names of ``train_fn``'s outputs (recorded as ``train_<name>``, mean over the epoch).
    eval_names : tuple of str
        Names of the evaluation functions' outputs.
    limit_batches, limit_eval_batches : int, optional
        Run at most this many training (evaluation) minibatches per epoch: short runs.
    shuffle : bool
        Visit the minibatches in a new random order each epoch (numpy ``seed``).
    progress : bool
        Show a tqdm progress bar (on ``file``, default stderr).
    desc : str
        The progress bar's label.
    stop_on_nan : bool
        Raise ``FloatingPointError`` when a training output is NaN or infinite.
    on_epoch : callable, optional
        ``on_epoch(record)`` after each epoch (logging, checkpoints, learning-rate changes).

    Returns
    -------
    History

    Examples
    --------
    >>> calls = []
    >>> history = fit(lambda i: calls.append(i) or 1.0, n_batches=3, epochs=2, progress=False)
    >>> calls, history["train_loss"]
    ([0, 1, 2, 0, 1, 2], [1.0, 1.0])
    """
    n_batches, epochs = int(n_batches), int(epochs)
    if n_batches < 1:
        raise ValueError(f"fit: n_batches={n_batches}; the training set holds no whole "
                         "minibatch (is the batch size larger than the data?)")
    if epochs < 1:
        raise ValueError(f"fit: epochs={epochs} must be at least 1")
    if not callable(train_fn):
        raise TypeError(f"fit: train_fn must be callable, got {type(train_fn).__name__}")
    if evaluate is None:
        evaluate = {}
    elif isinstance(evaluate, tuple):
        evaluate = {"eval": evaluate}
    for name, pair in evaluate.items():
        if not (isinstance(pair, tuple) and len(pair) == 2 and callable(pair[0])):
            raise TypeError(f"fit: evaluate[{name!r}] must be a (function, n_batches) pair")
        if int(pair[1]) < 1:
            raise ValueError(f"fit: evaluation set {name!r} holds no whole minibatch "
                             f"(n_batches={pair[1]}; is the batch size larger than the data?)")
    steps = n_batches if limit_batches is None else max(1, min(n_batches, int(limit_batches)))
    names, eval_names = tuple(names), tuple(eval_names)
    rng = np.random.RandomState(seed)
    history = History()
    bar = tqdm(total=epochs * steps, desc=desc, unit="batch", file=file or sys.stderr,
               disable=not progress, dynamic_ncols=True, mininterval=0.5)
    started = time.perf_counter()
    try:
        for epoch in range(1, epochs + 1):
            epoch_start = time.perf_counter()
            order = rng.permutation(n_batches)[:steps] if shuffle else range(steps)
            totals = np.zeros(len(names))
            for done, index in enumerate(order, 1):
                values = _values(train_fn(int(index)), len(names), "train_fn")
                if stop_on_nan and not all(math.isfinite(v) for v in values):
                    raise FloatingPointError(
                        f"fit: training output {dict(zip(names, values))} at epoch {epoch}, "
                        f"minibatch {int(index)} is not finite (learning rate too high?)")
                totals += values
                bar.update(1)
                if progress and names and done % 100 == 0:
                    bar.set_postfix(epoch=epoch, **{names[0]: f"{totals[0] / done:.4f}"},
                                    refresh=False)
            record = {"epoch": epoch}
            record.update({f"train_{n}": float(t / steps) for n, t in zip(names, totals)})
            for name, (fn, count) in evaluate.items():
                record.update(_evaluate(name, fn, int(count), eval_names, limit_eval_batches))
            now = time.perf_counter()
            record["epoch_time"] = now - epoch_start
            record["wall_time"] = now - started
            history.append(**record)
            if progress:
                bar.set_postfix({k: f"{v:.4f}" for k, v in record.items()
                                 if k not in _BOOKKEEPING}, refresh=True)
            if on_epoch is not None:
                on_epoch(dict(record))
    finally:
        bar.close()
    return history

