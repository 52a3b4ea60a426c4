"""Calling compiled functions from several threads: right results, no lost update."""

import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.graph import Apply
from arignote.compiler.op import Op
from arignote.compiler.variable import as_tensor_variable


@dataclass(frozen=True)
class _SlowDouble(Op):
    """2 * x computed in numpy, yielding the GIL midway (a fallback node in C modules)."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node, inputs):
        half = inputs[0] * 1.0
        time.sleep(0)  # let another thread run here
        return [half + inputs[0]]


N_THREADS, N_CALLS = 4, 150


def _hammer(f, x_value):
    results, errors = [], []

    def work():
        try:
            for _ in range(N_CALLS):
                results.append(f(x_value))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(N_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


@pytest.mark.parametrize("mode", [None, "FAST_COMPILE"])
def test_threads_see_every_update_once(mode):
    counter = arignote.shared(np.float64(0.0), name="counter")
    x = T.dscalar("x")
    f = arignote.function([x], _SlowDouble()(x) + counter, updates=[(counter, counter + 1)],
                          mode=mode)
    if mode is None:
        assert f.maker.native.plan.fallback_nodes  # the numpy callback runs inside the module
    results = _hammer(f, 5.0)
    seen = sorted(float(r) - 10.0 for r in results)
    assert seen == [float(k) for k in range(N_THREADS * N_CALLS)]
    assert float(counter.get_value()) == N_THREADS * N_CALLS


def test_compiled_functions_without_callbacks_take_no_lock():
    x = T.dvector("x")
    f = arignote.function([x], x + 1)
    assert f._lock is None
    results = _hammer(f, np.arange(3.0))
    assert len(results) == N_THREADS * N_CALLS
    for value in results:
        np.testing.assert_array_equal(value, [1.0, 2.0, 3.0])


def test_two_functions_sharing_a_variable_lose_no_update():
    total = arignote.shared(np.float64(0.0), name="total")
    x = T.dscalar("x")
    slow = arignote.function([x], [], updates=[(total, total + _SlowDouble()(x))])
    fast = arignote.function([x], [], updates=[(total, total + x)])
    threads = [threading.Thread(target=lambda f=f: [f(1.0) for _ in range(N_CALLS)])
               for f in (slow, fast, slow, fast)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert float(total.get_value()) == N_CALLS * (2 * 2.0 + 2 * 1.0)
