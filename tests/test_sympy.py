"""arignote.sympy: sympy expressions to graphs and back, and compiled sympy functions."""

import numpy as np
import pytest
import sympy

import arignote
import arignote.tensor as T
from arignote.sympy import function, to_graph, to_sympy

a, b, c = sympy.symbols("a b c")

EXPRESSIONS = [
    sympy.sin(a) * sympy.exp(-b ** 2) + sympy.tanh(a * b),
    sympy.log(1 + a ** 2) / (2 + sympy.cos(b)),
    sympy.Max(a, b, 0.5) - sympy.Min(a, -b),
    sympy.sqrt(a ** 2 + b ** 2) + sympy.Abs(a - b) + sympy.atan2(a, b),
    sympy.erf(a) + sympy.loggamma(2 + b ** 2) + sympy.floor(3 * a),
    sympy.Piecewise((a, a > b), (b * 2, a < 0), (a + b, True)),
    sympy.log(a ** 2 + 1, 2) + sympy.Rational(1, 3) * sympy.pi,
]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=range(len(EXPRESSIONS)))
def test_to_graph_matches_sympy_lambdify(expr):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, 7), rng.uniform(-2, 2, 7)
    reference = sympy.lambdify([a, b], expr, ["scipy", "numpy"])(x, y)
    f = function([a, b], expr, dims={a: 1, b: 1})
    np.testing.assert_allclose(f(x, y), reference, rtol=1e-12, atol=1e-12)


def test_broadcasting_and_dtypes():
    x = T.fmatrix("x")
    g = to_graph(a * b + 1, {a: x}, broadcastables={b: (True, False)}, dtypes={b: "float32"})
    assert g.dtype == "float32" and g.broadcastable == (False, False)
    (other,) = [v for v in arignote.gof.graph.inputs([g]) if v.name == "b"]
    value = arignote.function([x, other], g)(np.ones((2, 3), "float32"),
                                             np.arange(3, dtype="float32")[None])
    np.testing.assert_array_equal(value, [[1, 2, 3], [1, 2, 3]])


def test_to_sympy_round_trip_and_symbolic_work():
    x, y = T.dscalars("x", "y")
    graph = T.exp(x) * T.sin(y) + T.log1p(x ** 2) - T.nnet.sigmoid(y)
    expr = to_sympy(graph)
    X, Y = sympy.symbols("x y")
    expected = (sympy.exp(X) * sympy.sin(Y) + sympy.log(1 + X ** 2)
                - 1 / (1 + sympy.exp(-Y)))
    assert sympy.simplify(expr - expected) == 0
    derivative = sympy.diff(expr, X)
    f = function([X, Y], derivative)
    numeric = arignote.function([x, y], T.grad(graph, x))
    assert float(f(0.3, 0.7)) == pytest.approx(float(numeric(0.3, 0.7)))
    assert sympy.simplify(to_sympy(T.sin(x) ** 2 + T.cos(x) ** 2)) == 1
    assert "frac" in sympy.latex(to_sympy(x / (y + 1)))


def test_errors_name_what_has_no_counterpart():
    with pytest.raises(TypeError, match="zeta"):
        to_graph(sympy.zeta(a))
    with pytest.raises(TypeError, match="element-wise"):
        to_sympy(T.dot(T.dvector(), T.dvector()))
    with pytest.raises(TypeError, match="elements"):
        to_sympy(T.dvector("v") + np.arange(3.0))


def test_scalar_results():
    f = function([a], [a * 2, a + 1], scalar=True)
    assert f(1.5) == [3.0, 2.5]
