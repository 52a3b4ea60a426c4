"""Op-contract cases of the element-wise scalar ops (arignote/compiler/ops/scalar.py).

Every scalar op class has a case; every differentiable one a float64 case with ``grad=True``
whose inputs stay inside the domain and away from kinks and jumps.  Expected values are
numpy (or scipy.special) computations written independently of the ops.
"""

import numpy as np
from scipy import special

import arignote.tensor as T

from . import OpCase

_rng = np.random.default_rng(20240611)


def _uniform(low, high, shape=(2, 3)):
    return _rng.uniform(low, high, shape)


A = _uniform(-2, 2)
B = _uniform(-2, 2)
POS = _uniform(0.5, 2.0)
POS2 = _uniform(0.5, 2.0)
UNIT = _uniform(-0.9, 0.9)
ABOVE1 = _uniform(1.2, 3.0)
ROW = _uniform(-2, 2, (1, 3))
# Away from integer and half-integer values, so rounding is locally constant.
OFF_GRID = np.array([[0.2, -1.3, 2.7], [-0.6, 1.1, -2.2]])
TIES = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, -0.0, 3.7, -3.2])
I32 = np.array([[-7, -1, 0], [3, 8, -128]], dtype="int32")
I32_DIV = np.array([[2, -3, 5], [-2, 0, -1]], dtype="int32")
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5])


def _unary(name, build, expected, x, grad=True, **kw):
    return OpCase(name, build, [x], expected, grad=grad, **kw)


def _round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _python_int_pow(x, y):
    def one(a, b):
        if b >= 0:
            return a ** b
        return 0 if a not in (1, -1) else a ** b
    return np.array([[one(int(a), int(b)) for a, b in zip(ra, rb)] for ra, rb in zip(x, y)])


CASES = [
    # ---------------------------------------------------------------- arithmetic
    OpCase("add", lambda x, y: T.add(x, y), [A, B], lambda x, y: x + y),
    OpCase("add3_row_broadcast", lambda x, y, z: T.add(x, y, z), [A, ROW, B],
           lambda x, y, z: x + y + z, broadcastable=[None, (True, False), None]),
    OpCase("add_bool_or", lambda x, y: T.add(x, y),
           [np.array([True, False, False]), np.array([True, True, False])],
           lambda x, y: np.logical_or(x, y), grad=False),
    OpCase("sub", lambda x, y: T.sub(x, y), [A, B], lambda x, y: x - y),
    OpCase("mul", lambda x, y: T.mul(x, y), [A, B], lambda x, y: x * y),
    OpCase("mul_int_float", lambda x, y: T.mul(x, y), [I32, A], lambda x, y: x * y,
           grad_wrt=[1]),
    OpCase("true_div", lambda x, y: T.true_div(x, y), [A, POS], lambda x, y: x / y),
    OpCase("true_div_int", lambda x, y: T.true_div(x, y),
           [I32, np.array([[2, -3, 5], [-2, 4, -1]], dtype="int32")],
           lambda x, y: x / y, grad=False),
    OpCase("int_div_int", lambda x, y: T.int_div(x, y), [I32, I32_DIV],
           lambda x, y: np.array([[-4, 0, 0], [-2, 0, 128]]), grad=False),
    OpCase("int_div_float", lambda x, y: T.int_div(x, y),
           [np.array([1.0, -1.0, 7.5, -7.5]), np.array([0.1, 0.3, -2.0, -2.0])],
           lambda x, y: np.array([9.0, -4.0, -4.0, 3.0]), grad=False),
    OpCase("mod_int", lambda x, y: T.mod(x, y), [I32, I32_DIV],
           lambda x, y: np.array([[1, -1, 0], [-1, 0, 0]]), grad=False),
    OpCase("mod_float", lambda x, y: T.mod(x, y),
           [np.array([[0.3, 1.7, -0.4], [2.5, -1.3, 0.45]]),
            np.array([[0.7, 0.9, 1.1], [1.3, 0.8, -1.9]])],
           lambda x, y: x - np.floor(x / y) * y),
    OpCase("pow", lambda x, y: T.pow(x, y), [POS, A], lambda x, y: x ** y),
    OpCase("pow_int_negative_exponent", lambda x, y: T.pow(x, y),
           [np.array([[2, -1, 1], [3, -1, 0]], dtype="int64"),
            np.array([[-1, -3, -5], [3, -2, 2]], dtype="int64")],
           _python_int_pow, grad=False),
    OpCase("neg", lambda x: T.neg(x), [A], lambda x: -x),
    OpCase("abs", lambda x: T.abs(x), [A], np.abs),
    OpCase("abs_int_wraps", lambda x: T.abs(x), [np.array([-128, -3, 5], dtype="int8")],
           lambda x: np.array([-128, 3, 5]), grad=False),
    OpCase("sgn", lambda x: T.sgn(x), [A], np.sign),
    OpCase("sgn_special", lambda x: T.sgn(x), [SPECIAL],
           lambda x: np.array([np.nan, 1, -1, 0, 0, 1.0]), grad=False),
    OpCase("sqr", lambda x: T.sqr(x), [A], lambda x: x * x),
    OpCase("sqrt", lambda x: T.sqrt(x), [POS], np.sqrt),
    OpCase("reciprocal", lambda x: T.reciprocal(x), [POS], lambda x: 1 / x),
    OpCase("maximum", lambda x, y: T.maximum(x, y), [A, B], np.fmax),
    OpCase("minimum", lambda x, y: T.minimum(x, y), [A, B], np.fmin),
    OpCase("maximum_nan", lambda x, y: T.maximum(x, y),
           [np.array([np.nan, 1.0, 2.0]), np.array([0.0, np.nan, 1.0])],
           lambda x, y: np.array([np.nan, np.nan, 2.0]), grad=False),
    OpCase("clip", lambda x, lo, hi: T.clip(x, lo, hi),
           [np.array([[-1.7, -0.2, 0.3], [1.4, 0.8, -0.9]]),
            np.array([[-0.5, -0.5, -0.5], [-0.5, -0.6, -0.5]]),
            np.array([[0.5, 0.6, 0.5], [0.5, 0.5, 0.7]])],
           lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi)),
    OpCase("switch", lambda c, a, b: T.switch(c, a, b),
           [np.array([[True, False, True], [False, False, True]]), A, B],
           lambda c, a, b: np.where(c, a, b), grad_wrt=[1, 2]),
    OpCase("switch_col_broadcast", lambda c, a, b: T.switch(c, a, b),
           [np.array([[True], [False]]), A, ROW],
           lambda c, a, b: np.where(c, a, b), grad_wrt=[1, 2],
           broadcastable=[(False, True), None, (True, False)]),
    OpCase("tensor_copy", lambda x: T.tensor_copy(x), [A], np.copy),
    OpCase("cast_float32", lambda x: T.cast(x, "float32"), [A], lambda x: x.astype("float32"),
           grad=False, rtol=1e-6),
    OpCase("cast_to_bool", lambda x: T.cast(x, "bool"), [I32], lambda x: x != 0, grad=False),
    # ---------------------------------------------------------------- exp and log
    OpCase("exp", lambda x: T.exp(x), [A], np.exp),
    OpCase("exp_int8_float32", lambda x: T.exp(x), [np.array([-3, 0, 5], dtype="int8")],
           lambda x: np.exp(x.astype("float32")), grad=False, rtol=1e-6),
    OpCase("exp2", lambda x: T.exp2(x), [A], lambda x: 2.0 ** x),
    OpCase("expm1", lambda x: T.expm1(x), [A], np.expm1),
    OpCase("log", lambda x: T.log(x), [POS], np.log),
    OpCase("log2", lambda x: T.log2(x), [POS], lambda x: np.log(x) / np.log(2)),
    OpCase("log10", lambda x: T.log10(x), [POS], lambda x: np.log(x) / np.log(10)),
    OpCase("log1p", lambda x: T.log1p(x), [UNIT], np.log1p),
    OpCase("logaddexp", lambda x, y: T.logaddexp(x, y), [A, B], np.logaddexp),
    # ---------------------------------------------------------------- trigonometry
    OpCase("sin", lambda x: T.sin(x), [A], np.sin),
    OpCase("cos", lambda x: T.cos(x), [A], np.cos),
    OpCase("tan", lambda x: T.tan(x), [UNIT], np.tan),
    OpCase("arcsin", lambda x: T.arcsin(x), [UNIT], np.arcsin),
    OpCase("arccos", lambda x: T.arccos(x), [UNIT], np.arccos),
    OpCase("arctan", lambda x: T.arctan(x), [A], np.arctan),
    OpCase("arctan2", lambda y, x: T.arctan2(y, x), [A, POS], np.arctan2),
    OpCase("sinh", lambda x: T.sinh(x), [A], np.sinh),
    OpCase("cosh", lambda x: T.cosh(x), [A], np.cosh),
    OpCase("tanh", lambda x: T.tanh(x), [A], np.tanh),
    OpCase("arcsinh", lambda x: T.arcsinh(x), [A], np.arcsinh),
    OpCase("arccosh", lambda x: T.arccosh(x), [ABOVE1], np.arccosh),
    OpCase("arctanh", lambda x: T.arctanh(x), [UNIT], np.arctanh),
    OpCase("deg2rad", lambda x: T.deg2rad(x), [A * 90], lambda x: x * np.pi / 180),
    OpCase("rad2deg", lambda x: T.rad2deg(x), [A], lambda x: x * 180 / np.pi),
    # ---------------------------------------------------------------- special functions
    OpCase("erf", lambda x: T.erf(x), [A], special.erf),
    OpCase("erfc", lambda x: T.erfc(x), [A], special.erfc),
    OpCase("erfinv", lambda x: T.erfinv(x), [UNIT], special.erfinv),
    OpCase("erfcinv", lambda x: T.erfcinv(x), [UNIT + 1], special.erfcinv),
    OpCase("gamma", lambda x: T.gamma(x), [POS + 0.5], special.gamma),
    OpCase("gammaln", lambda x: T.gammaln(x), [POS], special.gammaln),
    OpCase("psi", lambda x: T.psi(x), [POS], special.digamma),
    OpCase("polygamma1", lambda x: T.polygamma(1, x), [POS], lambda x: special.polygamma(1, x)),
    OpCase("polygamma2", lambda x: T.polygamma(2, x), [POS], lambda x: special.polygamma(2, x),
           rtol=1e-5),
    OpCase("sigmoid", lambda x: T.sigmoid(x), [A * 3], lambda x: 1 / (1 + np.exp(-x))),
    OpCase("sigmoid_extreme", lambda x: T.sigmoid(x), [np.array([-800.0, -40.0, 40.0, 800.0])],
           lambda x: np.array([0.0, np.exp(-40.0), 1.0, 1.0]), grad=False, atol=1e-30),
    OpCase("softplus", lambda x: T.softplus(x), [A * 3], lambda x: np.log1p(np.exp(x))),
    OpCase("softplus_extreme", lambda x: T.softplus(x),
           [np.array([-800.0, -40.0, 40.0, 800.0])],
           lambda x: np.logaddexp(0.0, x), grad=False, atol=1e-30),
    OpCase("relu", lambda x: T.relu(x), [A], lambda x: np.where(x > 0, x, 0.0)),
    OpCase("relu_leaky", lambda x: T.relu(x, 0.1), [A], lambda x: np.where(x > 0, x, 0.1 * x)),
    OpCase("elu", lambda x: T.elu(x), [A], lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    OpCase("hard_sigmoid", lambda x: T.hard_sigmoid(x),
           [np.array([-3.0, -1.0, 0.5, 2.0, 4.0])],
           lambda x: np.minimum(np.maximum(0.2 * x + 0.5, 0.0), 1.0)),
    # ---------------------------------------------------------------- rounding
    OpCase("floor", lambda x: T.floor(x), [OFF_GRID], np.floor),
    OpCase("ceil", lambda x: T.ceil(x), [OFF_GRID], np.ceil),
    OpCase("trunc", lambda x: T.trunc(x), [OFF_GRID], np.trunc),
    OpCase("floor_int_to_float", lambda x: T.floor(x), [I32], lambda x: x.astype("float64"),
           grad=False),
    OpCase("round_half_to_even", lambda x: T.round(x), [OFF_GRID], np.round),
    OpCase("round_half_to_even_ties", lambda x: T.round_half_to_even(x), [TIES],
           lambda x: np.array([0, 2, 2, -0.0, -2, -2, 0, -0.0, 4, -3]), grad=False),
    OpCase("round_half_away_from_zero", lambda x: T.round(x, "half_away_from_zero"),
           [OFF_GRID], _round_half_away),
    OpCase("round_half_away_from_zero_ties", lambda x: T.round_half_away_from_zero(x), [TIES],
           lambda x: np.array([1, 2, 3, -1, -2, -3, 0, -0.0, 4, -3]), grad=False),
    OpCase("iround", lambda x: T.iround(x), [TIES],
           lambda x: np.array([0, 2, 2, 0, -2, -2, 0, 0, 4, -3]), grad=False),
    # ---------------------------------------------------------------- comparisons
    OpCase("lt", lambda x, y: T.lt(x, y), [A, B], np.less, grad=False),
    OpCase("le", lambda x, y: T.le(x, y), [I32, I32_DIV], np.less_equal, grad=False),
    OpCase("gt", lambda x, y: T.gt(x, y), [A, B], np.greater, grad=False),
    OpCase("ge", lambda x, y: T.ge(x, y), [I32, I32_DIV], np.greater_equal, grad=False),
    OpCase("eq", lambda x, y: T.eq(x, y), [I32, np.where(I32_DIV > 0, I32, I32_DIV)],
           np.equal, grad=False),
    OpCase("neq", lambda x, y: T.neq(x, y), [SPECIAL, SPECIAL[::-1].copy()], np.not_equal,
           grad=False),
    OpCase("isnan", lambda x: T.isnan(x), [SPECIAL], np.isnan, grad=False),
    OpCase("isinf", lambda x: T.isinf(x), [SPECIAL], np.isinf, grad=False),
    OpCase("isclose", lambda x, y: T.isclose(x, y),
           [np.array([1.0, 1.0, np.inf, np.inf, np.nan, 0.0]),
            np.array([1.0 + 1e-9, 1.1, np.inf, -np.inf, np.nan, 1e-9])],
           lambda x, y: np.isclose(x, y), grad=False),
    # ---------------------------------------------------------------- bitwise and logic
    OpCase("and_int", lambda x, y: T.and_(x, y), [I32, I32_DIV], np.bitwise_and, grad=False),
    OpCase("or_bool", lambda x, y: T.or_(x, y),
           [np.array([True, False, False]), np.array([True, True, False])], np.logical_or,
           grad=False),
    OpCase("xor_int", lambda x, y: T.xor(x, y), [I32, I32_DIV], np.bitwise_xor, grad=False),
    OpCase("invert_int", lambda x: T.invert(x), [I32], lambda x: -x - 1, grad=False),
    OpCase("invert_bool", lambda x: T.invert(x), [np.array([True, False])], np.logical_not,
           grad=False),
    OpCase("second_fill_of_a_scalar", lambda x, y: T.fill(x, y), [np.array(3.0), A],
           lambda x, y: y.copy(), grad_wrt=[1]),
]
