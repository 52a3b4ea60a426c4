"""The CNN/MLP examples: --help, a short run of each (progress bar, PNG learning curve, JSON
summary), the CIFAR-10 CNN learning for a few hundred steps on the real data when
../shared/data exists, and its model + training in at most 20 lines of user code."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

import arignote
from arignote import datasets

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
EXAMPLES = os.path.join(ROOT, "examples")
NAMES = ["cifar10_cnn", "mnist_lenet", "mnist_mlp"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"{name}_example",
                                                  os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def keep_config(monkeypatch):
    """The examples set floatX and device; put them back after the test."""
    monkeypatch.setattr(arignote.config, "floatX", arignote.config.floatX)
    monkeypatch.setattr(arignote.config, "device", arignote.config.device)


@pytest.mark.parametrize("name", NAMES)
def test_help_lists_the_options(name):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, f"{name}.py"), "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for option in ("--epochs", "--data", "--device", "--plot", "--limit-batches",
                   "--summary"):
        assert option in result.stdout, option


@pytest.mark.parametrize("name,limit", [("cifar10_cnn", 4), ("mnist_lenet", 2),
                                        ("mnist_mlp", 20)])
def test_short_synthetic_run(name, limit, tmp_path, capsys, keep_config):
    example = load_example(name)
    plot, summary_path = tmp_path / "curve.png", tmp_path / "summary.json"
    summary = example.main(["--epochs", "1", "--limit-batches", str(limit), "--data",
                            "synthetic", "--synthetic-size", "1000", "--plot", str(plot),
                            "--summary", str(summary_path)])
    assert arignote.config.floatX == "float32"
    assert plot.read_bytes()[:8] == PNG_MAGIC
    saved = json.loads(summary_path.read_text())
    assert saved["example"] == name and saved["data"] == "synthetic"
    assert len(saved["history"]) == 1 and saved["history"][0]["epoch"] == 1
    assert saved["history"][0]["train_loss"] > 0
    history = summary["history"]
    assert len(history) == 1 and history.keys()[0] == "train_loss"
    captured = capsys.readouterr()
    assert f"{limit}/{limit}" in captured.err               # the tqdm bar reached the end
    assert "wall time" in captured.out


def test_cifar10_user_code_is_at_most_20_lines():
    with open(os.path.join(EXAMPLES, "cifar10_cnn.py"), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    begin = next(i for i, line in enumerate(lines) if "user code begins" in line)
    end = next(i for i, line in enumerate(lines) if "user code ends" in line)
    code = [line for line in lines[begin + 1:end]
            if line.strip() and not line.strip().startswith("#")]
    assert 15 <= len(code) <= 20, len(code)
    text = "\n".join(code)
    for name in ("nn.Conv2D(20, 5", "nn.Conv2D(40, 5", "nn.MaxPool2D(2)", "nn.Dropout(0.5)",
                 "nn.Dense(1000", "optimizers.sgd", "batch_givens", "training.fit"):
        assert name in text, name
    assert all(len(line) <= 100 for line in lines)


def test_data_option_defaults_to_shared_data():
    args = load_example("cifar10_cnn").parse_args([])
    assert args.data == (datasets.default_data_path() or "synthetic")
    assert (args.epochs, args.lr, args.batch_size, args.device) == (200, 0.01, 50, "cpu")
    args = load_example("mnist_lenet").parse_args([])
    assert (args.epochs, args.lr, args.batch_size) == (200, 0.1, 500)


def test_cifar10_learns_in_a_few_hundred_steps(tmp_path, keep_config):
    """Real CIFAR-10 (one training file) when ../shared/data has it, else synthetic data."""
    example = load_example("cifar10_cnn")
    real = datasets.default_data_path() is not None and os.path.isdir(
        os.path.join(datasets.default_data_path(), "cifar10"))
    source = ["--cifar-batches", "1"] if real else ["--data", "synthetic"]
    summary = example.main(["--epochs", "2", "--limit-batches", "150", "--limit-test-batches",
                            "40", "--no-progress", "--plot", str(tmp_path / "c.png")] + source)
    history = summary["history"]
    losses = history["train_loss"]
    assert losses[1] < losses[0], losses
    assert summary["best_test_accuracy"] > (0.12 if real else 0.2), summary
    assert summary["steps_per_epoch"] == 150 and summary["wall_time_s"] > 0
    assert summary["test_images"] == 2000
