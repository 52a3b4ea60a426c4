"""Acceptance: the paper's logistic-regression example trains and classifies."""

import importlib.util
import os

import numpy as np

EXAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "examples",
                       "logistic_regression.py")


def load_example():
    spec = importlib.util.spec_from_file_location("logistic_regression_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_logistic_regression_5000_steps(capsys):
    example = load_example()
    losses, accuracy = example.main(steps=5000, verbose=True)
    assert len(losses) == 5000
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0]
    assert np.mean(losses[-100:]) < np.mean(losses[:100])
    assert accuracy > 0.9
    out = capsys.readouterr().out
    assert out.count("loss") == 11 and "test accuracy" in out


def test_data_helper_shapes_and_classes():
    example = load_example()
    example.rng.seed(0)
    X, labels = example.generate_random_data_sample(100, 3, 2)
    assert X.shape == (100, 3) and labels.shape == (100,)
    assert X.dtype == labels.dtype == np.float64
    assert set(np.unique(labels)) == {0.0, 1.0}
    assert X[labels == 1].mean() > X[labels == 0].mean() + 2
