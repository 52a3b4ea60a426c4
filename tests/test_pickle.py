"""Pickling compiled functions and shared variables, deep graphs included."""

import copy
import pickle
import sys

import numpy as np

import arignote.tensor as T
from arignote import In, function, shared


def _roundtrip(obj):
    return pickle.loads(pickle.dumps(obj))


def test_function_pickles_and_gives_the_same_results():
    x = T.dmatrix("x")
    w = shared(np.arange(3.0), "w")
    f = function([x], T.exp(x * w).sum(axis=1))
    g = _roundtrip(f)
    data = np.ones((2, 3)) * 0.1
    np.testing.assert_allclose(g(data), f(data))


def test_shared_variables_stay_shared_within_one_pickle():
    x = T.dvector("x")
    s = shared(np.zeros(2), "s")
    inc = function([x], [], updates=[(s, s + x)])
    read = function([], s * 1)
    inc2, read2, s2 = _roundtrip((inc, read, s))
    inc2(np.ones(2))
    inc2(np.ones(2))
    np.testing.assert_array_equal(read2(), [2.0, 2.0])
    np.testing.assert_array_equal(s2.get_value(), [2.0, 2.0])
    s2.set_value(np.full(2, 5.0))
    np.testing.assert_array_equal(read2(), [5.0, 5.0])
    # the originals are untouched
    np.testing.assert_array_equal(s.get_value(), [0.0, 0.0])


def test_function_state_defaults_names_and_modes_survive():
    x, a, s = T.dscalar("x"), T.dscalar("a"), T.dscalar("s")
    f = function([x, In(a, value=2.0), In(s, value=0.0, update=s + a * x)],
                 {"acc": s + a * x}, mode="NanGuardMode", name="acc")
    f(1.0)
    g = _roundtrip(f)
    assert g.name == "acc" and type(g.maker.mode).__name__ == "NanGuardMode"
    assert float(g(1.0)["acc"]) == 4.0
    assert float(g(x=1.0, a=1.0)["acc"]) == 5.0
    assert float(f(1.0)["acc"]) == 4.0  # f kept its own state


def test_givens_and_default_updates_survive():
    index = T.lscalar("index")
    batch = T.dvector("batch")
    data = shared(np.arange(6.0), "data")
    counter = shared(0, "counter")
    counter.default_update = counter + 1
    f = function([index], batch.sum() + counter * 0, givens={batch: data[index:index + 2]})
    g, counter2 = _roundtrip((f, counter))
    assert float(g(1)) == 3.0
    assert int(counter2.get_value()) == 1


def test_shared_variable_alone():
    s = shared(np.arange(3.0), "s")
    s2 = _roundtrip(s)
    assert s2.name == "s" and s2.type == s.type
    np.testing.assert_array_equal(s2.get_value(), s.get_value())
    y = _roundtrip(s * 2)
    np.testing.assert_array_equal(function([], y)(), [0.0, 2.0, 4.0])


def test_deepcopy_of_a_function():
    s = shared(0.0, "s")
    f = function([], s + 1, updates=[(s, s + 1)])
    g = copy.deepcopy(f)
    g()
    assert float(s.get_value()) == 0.0


def test_fifty_thousand_node_graph_pickles_at_the_default_recursion_limit():
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default
    try:
        x = T.dscalar("x")
        y = x
        for _ in range(50000):
            y = y + 1
        # The reference backend keeps all 50,000 nodes (FAST_RUN would fold the chain).
        f = function([x], y, mode="FAST_COMPILE")
        g = pickle.loads(pickle.dumps(f))
        assert len(g.maker.fgraph.apply_nodes) == 50000
        assert float(g(0.5)) == 50000.5
    finally:
        sys.setrecursionlimit(limit)
