"""Golden snapshots of generated C for representative graphs.

The generated source must be deterministic (same graph, same text, same cache key) and is
reviewed like code: when codegen changes on purpose, regenerate the snapshots with
``ARIGNOTE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_source.py`` and read the diff.
"""

import os

import pytest

import arignote as theano
import arignote.tensor as T
from arignote.runtime import build

pytestmark = pytest.mark.skipif(build.find_compiler() is None, reason="no C compiler")

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")


def _logreg():
    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(__import__("numpy").zeros(2), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    return [x, y], cost, [(w, w - 0.1 * gw), (b, b - 0.1 * gb)]


def _softmax_nll():
    x, y = T.fmatrix("x"), T.ivector("y")
    w = theano.shared(__import__("numpy").zeros((4, 3), dtype="float32"), name="W")
    p = T.nnet.softmax(T.dot(x, w))
    return [x, y], -T.mean(T.log(p)[T.arange(y.shape[0]), y]), []


def _graph(name):
    x, y = T.fmatrix("x"), T.fmatrix("y")
    v = T.dvector("v")
    r = T.drow("r")
    i = T.lscalar("i")
    graphs = {
        "add_one": ([v], v + 1, []),
        "transcendental": ([x, y], T.exp(-x * x) * T.sin(y) + T.tanh(x * y), []),
        "broadcast_row": ([T.dmatrix("m"), r], None, []),  # output built below
        "sum_axis": ([x], x.sum(axis=1), []),
        "fused_sum": ([x, y], (x * y).sum(), []),
        "argmax": ([x], T.argmax(x, axis=1), []),
        "slice_index": ([v, i], v[1:i] * 2, []),
        "dot": ([x, y], T.dot(x, y), []),
        "logistic_regression": _logreg(),
        "softmax_nll": _softmax_nll(),
    }
    inputs, output, updates = graphs[name]
    if name == "broadcast_row":
        output = T.maximum(inputs[0], inputs[1]) - inputs[0].mean()
    return inputs, output, updates


NAMES = ["add_one", "transcendental", "broadcast_row", "sum_axis", "fused_sum", "argmax",
         "slice_index", "dot", "logistic_regression", "softmax_nll"]


@pytest.mark.parametrize("name", NAMES)
def test_generated_source_matches_snapshot(name):
    def compile_once():
        inputs, output, updates = _graph(name)
        return theano.function(inputs, output, updates=updates).source

    source = compile_once()
    again = compile_once()
    assert source == again, "generated source is not deterministic"
    path = os.path.join(GOLDEN, f"{name}.c")
    if os.environ.get("ARIGNOTE_UPDATE_GOLDEN") or not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source)
    with open(path, encoding="utf-8") as handle:
        assert source == handle.read(), f"generated C for {name} changed; see the docstring"
