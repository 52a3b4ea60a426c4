"""How scan compiles: one C loop in the function's module, a window of states when only the
last ones are used, per-step outputs batched after the loop, accumulators updated in place."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.compiler.ops.scan import Scan
from arignote.scan_module import until


def _scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def test_loop_is_c_with_no_python_per_step():
    x = T.dvector("x")
    s, _ = arignote.scan(lambda v, acc: acc + v * 2, sequences=x,
                         outputs_info=T.constant(0.0))
    f = arignote.function([x], s)
    assert "Scan{scan_fn, for}" in f.source
    assert "for (npy_intp t" in f.source
    assert "PyObject_CallOneArg" not in f.source     # no node runs its Python perform
    np.testing.assert_allclose(f(np.arange(5.0)), np.cumsum(2 * np.arange(5.0)))


def test_inner_graph_is_optimized():
    x = T.dvector("x")
    s, _ = arignote.scan(lambda v, acc: T.exp(acc * 0 + v) * 1 + acc, sequences=x,
                         outputs_info=T.constant(0.0))
    f = arignote.function([x], s)
    (node,) = _scan_nodes(f)
    assert node.op.optimized
    kinds = {type(n.op).__name__ for n in node.op.body.toposort()}
    assert kinds == {"Elemwise"}                    # one fused loop body
    expected = np.cumsum(np.exp(np.arange(4.0)))
    np.testing.assert_allclose(f(np.arange(4.0)), expected)


def test_only_last_state_is_kept():
    x, n = T.dscalar("x"), T.lscalar("n")
    s, _ = arignote.scan(lambda acc, x: acc + x, outputs_info=T.constant(0.0),
                         non_sequences=x, n_steps=n)
    f = arignote.function([x, n], s[-1])
    (node,) = _scan_nodes(f)
    assert node.op.windows == (1,)
    assert f(1.5, 10) == 15.0
    with pytest.raises(IndexError, match="out of bounds"):
        f(1.5, 0)                                   # s[-1] of no steps, as numpy says


def test_window_of_two_taps():
    n = T.lscalar("n")
    fib, _ = arignote.scan(lambda a, b: a + b,
                           outputs_info=[{"initial": np.array([0, 1]), "taps": [-2, -1]}],
                           n_steps=n)
    f = arignote.function([n], [fib[-1], fib[-2]])
    (node,) = _scan_nodes(f)
    assert node.op.windows == (2,)
    assert [int(v) for v in f(10)] == [89, 55]


def test_million_steps_run_in_bounded_memory():
    code = textwrap.dedent("""
        import resource, numpy as np, arignote, arignote.tensor as T
        x, n = T.dscalar('x'), T.lscalar('n')
        s, _ = arignote.scan(lambda acc, x: acc * 0.5 + x, outputs_info=T.constant(0.0),
                             non_sequences=x, n_steps=n)
        f = arignote.function([x, n], s[-1])
        f(1.0, 10)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert abs(f(1.0, 10 ** 6) - 2.0) < 1e-12
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(after - before)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    grown_kb = int(result.stdout.split()[-1])
    assert grown_kb < 2000      # a full trajectory would be 8 MB


def test_per_step_output_is_batched_after_the_loop():
    U, V = T.dmatrix("U"), T.dmatrix("V")
    x = T.ivector("x")

    def step(x_t, s, U, V):
        s_t = T.tanh(U[:, x_t] + s)
        return T.nnet.softmax(T.dot(V, s_t))[0], s_t

    [o, _states], _ = arignote.scan(step, sequences=x, outputs_info=[None, T.zeros(3)],
                                    non_sequences=[U, V])
    f = arignote.function([x, U, V], o)
    (node,) = _scan_nodes(f)
    assert node.op.n_nitsot == 0                    # softmax(V s_t) left the loop
    rng = np.random.default_rng(0)
    u, v, xs = rng.normal(size=(3, 5)), rng.normal(size=(5, 3)), np.array([1, 4, 0], "int32")
    h, expected = np.zeros(3), []
    for t in xs:
        h = np.tanh(u[:, t] + h)
        e = np.exp(v @ h - (v @ h).max())
        expected.append(e / e.sum())
    np.testing.assert_allclose(f(xs, u, v), expected, rtol=1e-12)


def test_accumulated_index_gradient_updates_in_place():
    U = arignote.shared(np.zeros((4, 50)), name="U")
    x = T.ivector("x")
    s, _ = arignote.scan(lambda x_t, s: T.tanh(U[:, x_t] + s), sequences=x,
                         outputs_info=T.zeros(4))
    g = T.grad(s.sum(), U)
    f = arignote.function([x], g)
    back = [n for n in _scan_nodes(f) if n.op.name.startswith("grad_of")]
    (node,) = back
    increments = [n for n in node.op.body.toposort() if type(n.op).__name__ == "IncSubtensor"]
    assert increments and not any(type(n.op).__name__ == "Alloc"
                                  for n in node.op.body.toposort())
    xs = np.array([3, 7, 3], "int32")
    value = f(xs)
    expected = np.zeros((4, 50))
    h = [np.zeros(4)]
    for t in xs:
        h.append(np.tanh(h[-1]))
    carry = np.zeros(4)
    for step in reversed(range(3)):
        d = (1 + carry) * (1 - h[step + 1] ** 2)
        expected[:, xs[step]] += d
        carry = d
    np.testing.assert_allclose(value, expected, rtol=1e-12)


def test_while_loop_grows_its_buffers():
    x = T.dscalar("x")
    out, _ = arignote.scan(lambda v: [v + 1, v * 2, until(v + 1 >= 40)],
                           outputs_info=[x, None], n_steps=10 ** 6)
    f = arignote.function([x], out)
    a, b = f(0.0)
    np.testing.assert_array_equal(a, np.arange(1.0, 41.0))
    np.testing.assert_array_equal(b, 2 * np.arange(0.0, 40.0))


def test_profile_lists_inner_nodes():
    x = T.dvector("x")
    s, _ = arignote.scan(lambda v, acc: acc + T.exp(v), sequences=x,
                         outputs_info=T.constant(0.0))
    f = arignote.function([x], s, profile=True)
    f(np.arange(3.0))
    text = f.profile.summary_text()
    assert "Scan{scan_fn, for}" in text and "Elemwise" in text


