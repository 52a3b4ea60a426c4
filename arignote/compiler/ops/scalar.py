"""Scalar ops: what each element-wise operation does to one element.

Each class gives the numpy reference (``impl``), the output dtype rule, the gradient (a graph
built from the node's inputs, outputs and output gradients), and a one-line C expression.
The lower-case functions at the bottom apply them element-wise to tensors.

Dtype rules are Theano 1.0's: arithmetic upcasts (``int8 + int16`` is ``int16``, ``int32 +
float32`` is ``float64``); float functions of integers use ``upgrade_to_float`` (``exp`` of
an ``int8`` vector is ``float32``, of an ``int32`` vector ``float64``); ``/`` of integers is
``floatX``; comparisons, ``isnan`` and ``isinf`` give ``bool``.  Integer arithmetic wraps
around as in numpy (the C renderer compiles with ``-fwrapv``).  ``//`` and ``%`` follow
Python's floor semantics, as numpy does; integer ``x // 0`` and ``x % 0`` are 0.

C expressions name the element type by its numpy dtype name (``float32``, ``int64``: typedefs
the renderer provides).  A few functions have no libm equivalent and call helpers that the C
kernels define: ``arignote_floordiv``, ``arignote_ipow``, ``arignote_psi``,
``arignote_polygamma``, ``arignote_erfinv``, ``arignote_erfcinv`` (float32 variants end in
``f``, like libm's).
"""

import math
import operator
from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from ..variable import as_tensor_variable, constant
from .elemwise import Elemwise, ScalarOp

__all__ = [
    "abs", "abs_", "add", "allclose", "and_", "arccos", "arccosh", "arcsin", "arcsinh",
    "arctan", "arctan2", "arctanh", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor",
    "cast", "ceil", "ceil_intdiv", "clip", "cos", "cosh", "deg2rad", "digamma", "elu", "eq",
    "erf", "erfc", "erfcinv", "erfinv", "exp", "exp2", "expm1", "floor", "floor_div", "gamma",
    "gammaln", "ge", "gt", "hard_sigmoid", "int_div", "inv", "invert", "iround", "isclose",
    "isinf", "isnan", "le", "log", "log1p", "log2", "log10", "logaddexp", "lt", "maximum",
    "minimum", "mod", "mul", "neg", "neq", "or_", "polygamma", "pow", "psi", "rad2deg",
    "reciprocal", "relu", "round", "round_half_away_from_zero", "round_half_to_even", "sgn",
    "sigmoid", "sign", "sin", "sinh", "softplus", "sqr", "sqrt", "square", "sub", "switch",
    "tan", "tanh", "tensor_copy", "tri_gamma", "true_div", "trunc", "ultra_fast_sigmoid",
    "where", "xor",
]


# ----------------------------------------------------------------------- helpers
def _float_out(self, *dtypes):
    """Theano's ``upgrade_to_float`` output rule."""
    return [dt.upgrade_to_float(*dtypes)]


def _bool_out(self, *dtypes):
    """Comparisons and tests give bool."""
    return ["bool"]


def _is_int(variable):
    """Whether ``variable`` has a bool or integer dtype (no gradient flows through it)."""
    return dt.is_discrete(variable.dtype)


def _fn(name, dtype):
    """The C math function for ``dtype``: expf for float32, exp for float64."""
    return name + "f" if dtype in ("float32", "float16") else name


def _lit(value, dtype):
    """A C floating literal of ``value`` in ``dtype``."""
    return f"{float(value)!r}f" if dtype in ("float32", "float16") else f"{float(value)!r}"


def _casted(args, in_dtypes, dtype):
    """``args`` converted to the C type ``dtype`` where their dtype differs."""
    return [a if d == dtype else f"(({dtype})({a}))" for a, d in zip(args, in_dtypes)]


def _narrow(expr, dtype):
    """``expr`` cast back to ``dtype`` where C's integer promotion would widen it."""
    return f"(({dtype}){expr})" if dtype in ("int8", "int16", "uint8", "uint16") else expr


def _to_out_dtype(op, *arrays):
    """``arrays`` converted to the op's output dtype, so numpy computes in that precision."""
    out = op.output_dtypes(*[a.dtype.name for a in arrays])[0]
    return [a if a.dtype == out else a.astype(out) for a in arrays]


def _const(value, like):
    """A scalar constant of ``value`` in the dtype of the float variable ``like``."""
    dtype = like.dtype if dt.is_float(like.dtype) else dt.config.floatX
    return constant(float(value), dtype=dtype)


def _special(name):
    """A scipy.special function, imported on first use (scipy is slow to import)."""
    def call(*args):
        from scipy import special
        return getattr(special, name)(*args)
    call.__name__ = name
    return call


def _no_bool(dtype, what):
    """``dtype``, or a TypeError where numpy refuses ``what`` on bools."""
    if dtype == "bool":
        raise TypeError(f"{what} is not defined on bool tensors (numpy refuses it too); "
                        f"use xor/invert for logic, or cast to an integer dtype first")
    return dtype


def _upcast_int8_for_bool(self, *dtypes):
    """Upcast, but integer results for bool inputs (numpy's floor_divide, remainder, power)."""
    out = dt.upcast(*dtypes)
    return ["int8" if out == "bool" else out]


def _zero_if_int(inputs, outputs, grads):
    """``grads`` with ``None`` for integer inputs, or all ``None`` when the output is integer."""
    if all(_is_int(z) for z in outputs):
        return [None] * len(inputs)
    return [None if g is None or _is_int(x) else g for x, g in zip(inputs, grads)]


# ----------------------------------------------------------------------- arithmetic
@dataclass(frozen=True)
class Add(ScalarOp):
    nin = 2
    identity = 0
    commutative = associative = True

    def impl(self, x, y):
        return np.add(x, y)

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        return _zero_if_int(inputs, outputs, [gz, gz])

    def c_expr(self, args, in_dtypes, out_dtype):
        if out_dtype == "bool":
            return f"({args[0]} || {args[1]})"
        x, y = _casted(args, in_dtypes, out_dtype)
        return _narrow(f"({x} + {y})", out_dtype)


@dataclass(frozen=True)
class Sub(ScalarOp):
    nin = 2

    def output_dtypes(self, *dtypes):
        return [_no_bool(dt.upcast(*dtypes), "subtraction")]

    def impl(self, x, y):
        return np.subtract(x, y)

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        return _zero_if_int(inputs, outputs, [gz, neg(gz)])

    def c_expr(self, args, in_dtypes, out_dtype):
        x, y = _casted(args, in_dtypes, out_dtype)
        return _narrow(f"({x} - {y})", out_dtype)


@dataclass(frozen=True)
class Mul(ScalarOp):
    nin = 2
    identity = 1
    commutative = associative = True

    def impl(self, x, y):
        return np.multiply(x, y)

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        x, y = inputs
        return _zero_if_int(inputs, outputs, [mul(gz, y), mul(gz, x)])

    def c_expr(self, args, in_dtypes, out_dtype):
        if out_dtype == "bool":
            return f"({args[0]} && {args[1]})"
        x, y = _casted(args, in_dtypes, out_dtype)
        return _narrow(f"({x} * {y})", out_dtype)


@dataclass(frozen=True)
class TrueDiv(ScalarOp):
    nin = 2

    def output_dtypes(self, *dtypes):
        return [dt.true_div_dtype(*dtypes)]

    def impl(self, x, y):
        return np.true_divide(*_to_out_dtype(self, x, y))

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        x, y = inputs
        (z,) = outputs
        return [None if _is_int(x) else true_div(gz, y),
                None if _is_int(y) else neg(true_div(mul(gz, z), y))]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"(({out_dtype})({args[0]}) / ({out_dtype})({args[1]}))"


@dataclass(frozen=True)
class IntDiv(ScalarOp):
    """Floor division ``x // y`` (Python's rule: rounds towards minus infinity)."""

    nin = 2
    output_dtypes = _upcast_int8_for_bool

    def impl(self, x, y):
        return np.floor_divide(*_to_out_dtype(self, x, y))

    def grad(self, inputs, outputs, out_grads):
        return [None, None]

    def c_expr(self, args, in_dtypes, out_dtype):
        x, y = _casted(args, in_dtypes, out_dtype)
        if dt.is_float(out_dtype):
            return f"{_fn('arignote_floordiv', out_dtype)}({x}, {y})"
        if out_dtype.startswith("uint"):
            return _narrow(f"({y} == 0 ? 0 : {x} / {y})", out_dtype)
        # y == -1 apart: INT_MIN / -1 traps; the quotient is -x, wrapping around.
        return _narrow(f"({y} == 0 ? 0 : {y} == -1 ? -{x} : "
                       f"{x} / {y} - (({x} % {y} != 0) && (({x} < 0) != ({y} < 0))))", out_dtype)


@dataclass(frozen=True)
class Mod(ScalarOp):
    """``x % y`` with the sign of ``y`` (Python's rule)."""

    nin = 2
    output_dtypes = _upcast_int8_for_bool

    def impl(self, x, y):
        return np.remainder(*_to_out_dtype(self, x, y))

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        x, y = inputs
        return _zero_if_int(inputs, outputs, [gz, neg(mul(int_div(x, y), gz))])

    def c_expr(self, args, in_dtypes, out_dtype):
        x, y = _casted(args, in_dtypes, out_dtype)
        if dt.is_float(out_dtype):
            r = f"{_fn('fmod', out_dtype)}({x}, {y})"
            return (f"({r} != 0 ? ((({y}) < 0) != ({r} < 0) ? {r} + {y} : {r}) : "
                    f"{_fn('copysign', out_dtype)}(0, {y}))")
        if out_dtype.startswith("uint"):
            return _narrow(f"({y} == 0 ? 0 : {x} % {y})", out_dtype)
        r = f"({x} % {y})"
        return _narrow(f"(({y} == 0 || {y} == -1) ? 0 : ({r} != 0 && (({r} < 0) != ({y} < 0))) "
                       f"? {r} + {y} : {r})", out_dtype)


@dataclass(frozen=True)
class Pow(ScalarOp):
    """``x ** y``.  Integer powers wrap around; an integer to a negative integer power is
    the C integer result ``1 / x**-y`` (0 unless ``x`` is 1 or -1; 0 for ``x == 0``)."""

    nin = 2
    output_dtypes = _upcast_int8_for_bool

    def impl(self, x, y):
        x, y = _to_out_dtype(self, x, y)
        if x.dtype.kind == "f":
            return np.power(x, y)
        negative = y < 0
        result = np.power(x, np.where(negative, 0, y))
        if np.any(negative):
            odd = (y % 2) != 0
            inverse = np.where(x == 1, 1, np.where(x == -1, np.where(odd, -1, 1), 0))
            result = np.where(negative, inverse.astype(result.dtype), result)
        return result

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        x, y = inputs
        (z,) = outputs
        if _is_int(z):
            return [None, None]
        gx = None if _is_int(x) else mul(gz, y, pow(x, sub(y, 1)))
        gy = None if _is_int(y) else switch(eq(x, 0), 0, mul(gz, log(x), z))
        return [gx, gy]

    def c_expr(self, args, in_dtypes, out_dtype):
        x, y = _casted(args, in_dtypes, out_dtype)
        if dt.is_float(out_dtype):
            return f"{_fn('pow', out_dtype)}({x}, {y})"
        return f"(({out_dtype})arignote_ipow((int64)({args[0]}), (int64)({args[1]})))"


@dataclass(frozen=True)
class Neg(ScalarOp):
    def output_dtypes(self, dtype):
        return [_no_bool(dtype, "negation")]

    def impl(self, x):
        return np.negative(x)

    def grad(self, inputs, outputs, out_grads):
        return _zero_if_int(inputs, outputs, [neg(out_grads[0])])

    def c_expr(self, args, in_dtypes, out_dtype):
        return _narrow(f"(-{args[0]})", out_dtype)


@dataclass(frozen=True)
class Abs(ScalarOp):
    def impl(self, x):
        return np.abs(x)

    def grad(self, inputs, outputs, out_grads):
        return _zero_if_int(inputs, outputs, [mul(out_grads[0], sgn(inputs[0]))])

    def c_expr(self, args, in_dtypes, out_dtype):
        (x,) = args
        if dt.is_float(out_dtype):
            return f"{_fn('fabs', out_dtype)}({x})"
        if out_dtype == "bool" or out_dtype.startswith("uint"):
            return f"({x})"
        return _narrow(f"({x} < 0 ? -{x} : {x})", out_dtype)


@dataclass(frozen=True)
class Sgn(ScalarOp):
    """The sign: -1, 0 or 1 (NaN for NaN), in the input's dtype."""

    def impl(self, x):
        if x.dtype == np.bool_:
            return x.copy()
        return np.sign(x)

    def grad(self, inputs, outputs, out_grads):
        return [None]

    def c_expr(self, args, in_dtypes, out_dtype):
        (x,) = args
        if dt.is_float(out_dtype):
            return f"({x} > 0 ? 1 : ({x} < 0 ? -1 : ({x} == 0 ? 0 : {x})))"
        if out_dtype == "bool":
            return f"({x})"
        return f"(({x} > 0) - ({x} < 0))"


@dataclass(frozen=True)
class Sqr(ScalarOp):
    def impl(self, x):
        return np.multiply(x, x)

    def grad(self, inputs, outputs, out_grads):
        (x,) = inputs
        return _zero_if_int(inputs, outputs, [mul(out_grads[0], x, _const(2, x))])

    def c_expr(self, args, in_dtypes, out_dtype):
        if out_dtype == "bool":
            return f"({args[0]})"
        return _narrow(f"({args[0]} * {args[0]})", out_dtype)


@dataclass(frozen=True)
class Reciprocal(ScalarOp):
    output_dtypes = _float_out

    def impl(self, x):
        (x,) = _to_out_dtype(self, x)
        return np.reciprocal(x)

    def grad(self, inputs, outputs, out_grads):
        return _zero_if_int(inputs, outputs, [neg(mul(out_grads[0], sqr(outputs[0])))])

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"(1 / ({out_dtype})({args[0]}))"


@dataclass(frozen=True)
class Maximum(ScalarOp):
    """The larger of two values (NaN if either is NaN); ties send the gradient to ``x``."""

    nin = 2
    commutative = associative = True

    def impl(self, x, y):
        return np.maximum(x, y)

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        x, y = inputs
        first = ge(x, y)
        return _zero_if_int(inputs, outputs, [switch(first, gz, 0), switch(first, 0, gz)])

    def c_expr(self, args, in_dtypes, out_dtype):
        x, y = _casted(args, in_dtypes, out_dtype)
        if dt.is_float(out_dtype):
            return f"({y} > {x} ? {y} : ({x} >= {y} ? {x} : NAN))"
        return f"({x} >= {y} ? {x} : {y})"


@dataclass(frozen=True)
class Minimum(ScalarOp):
    """The smaller of two values (NaN if either is NaN); ties send the gradient to ``x``."""

    nin = 2
    commutative = associative = True

    def impl(self, x, y):
        return np.minimum(x, y)

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        x, y = inputs
        first = le(x, y)
        return _zero_if_int(inputs, outputs, [switch(first, gz, 0), switch(first, 0, gz)])

    def c_expr(self, args, in_dtypes, out_dtype):
        x, y = _casted(args, in_dtypes, out_dtype)
        if dt.is_float(out_dtype):
            return f"({y} < {x} ? {y} : ({x} <= {y} ? {x} : NAN))"
        return f"({x} <= {y} ? {x} : {y})"


@dataclass(frozen=True)
class Clip(ScalarOp):
    """``lo if x < lo else hi if x > hi else x``; at a bound the gradient goes to ``x``."""

    nin = 3

    def impl(self, x, lo, hi):
        return np.where(x < lo, lo, np.where(x > hi, hi, x))

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        x, lo, hi = inputs
        above_lo = ge(x, lo)
        return _zero_if_int(inputs, outputs, [
            switch(and_(above_lo, le(x, hi)), gz, 0),
            switch(lt(x, lo), gz, 0),
            switch(and_(above_lo, gt(x, hi)), gz, 0)])

    def c_expr(self, args, in_dtypes, out_dtype):
        x, lo, hi = _casted(args, in_dtypes, out_dtype)
        return f"({x} < {lo} ? {lo} : ({x} > {hi} ? {hi} : {x}))"


@dataclass(frozen=True)
class Switch(ScalarOp):
    """``a`` where ``cond`` is nonzero, else ``b``."""

    nin = 3

    def output_dtypes(self, cond, a, b):
        return [dt.upcast(a, b)]

    def impl(self, cond, a, b):
        return np.where(cond, a, b)

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        cond = inputs[0]
        return _zero_if_int(inputs, outputs, [None, switch(cond, gz, 0), switch(cond, 0, gz)])

    def c_expr(self, args, in_dtypes, out_dtype):
        c, a, b = args
        a, b = _casted([a, b], in_dtypes[1:], out_dtype)
        return f"({c} ? {a} : {b})"


@dataclass(frozen=True)
class Second(ScalarOp):
    """The second input broadcast against the first (Theano's ``second``). ``fill(x, 0)`` of
    an ``x`` with no dimension to take a length from builds it so that ``x`` stays an input of
    the graph, as in Theano; a rewrite drops ``x`` once the function is compiled."""

    nin = 2

    def output_dtypes(self, x, y):
        return [y]

    def impl(self, x, y):
        return np.array(np.broadcast_to(y, np.broadcast(x, y).shape))

    def grad(self, inputs, outputs, out_grads):
        return [None, out_grads[0]]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"((void)({args[0]}), {args[1]})"


@dataclass(frozen=True)
class Identity(ScalarOp):
    """A copy of the input (``tensor_copy``)."""

    def impl(self, x):
        return np.array(x, copy=True)

    def grad(self, inputs, outputs, out_grads):
        return _zero_if_int(inputs, outputs, [out_grads[0]])

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"({args[0]})"


@dataclass(frozen=True)
class Cast(ScalarOp):
    dtype: str

    def output_dtypes(self, *dtypes):
        return [self.dtype]

    def impl(self, x):
        return np.asarray(x).astype(self.dtype)

    def grad(self, inputs, outputs, out_grads):
        (x,) = inputs
        if _is_int(x) or dt.is_discrete(self.dtype):
            return [None]
        return [cast(out_grads[0], x.dtype)]

    def c_expr(self, args, in_dtypes, out_dtype):
        if out_dtype == "bool":
            return f"({args[0]} != 0)"
        return f"(({out_dtype}){args[0]})"

    def __str__(self):
        return f"Cast{{{self.dtype}}}"


# ----------------------------------------------------------------------- float functions
@dataclass(frozen=True)
class _FloatFunction(ScalarOp):
    """A function of floats (integers are first converted, as ``upgrade_to_float`` says).

    Subclasses give ``ufunc`` (numpy on arrays), ``c_name`` (the libm name for doubles) and
    ``derivative(x, z)``, the graph of dz/dx given the input and the output.
    """

    abstract = True
    output_dtypes = _float_out
    ufunc = None
    c_name = None

    def impl(self, *inputs):
        return self.ufunc(*_to_out_dtype(self, *inputs))

    def grad(self, inputs, outputs, out_grads):
        (x,) = inputs
        if _is_int(x):
            return [None]
        return [mul(out_grads[0], self.derivative(x, outputs[0]))]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"{_fn(self.c_name, out_dtype)}({', '.join(args)})"


@dataclass(frozen=True)
class Exp(_FloatFunction):
    ufunc = staticmethod(np.exp)
    c_name = "exp"

    def derivative(self, x, z):
        return z


@dataclass(frozen=True)
class Exp2(_FloatFunction):
    ufunc = staticmethod(np.exp2)
    c_name = "exp2"

    def derivative(self, x, z):
        return mul(z, _const(math.log(2.0), x))


@dataclass(frozen=True)
class Expm1(_FloatFunction):
    ufunc = staticmethod(np.expm1)
    c_name = "expm1"

    def derivative(self, x, z):
        return exp(x)


@dataclass(frozen=True)
class Log(_FloatFunction):
    ufunc = staticmethod(np.log)
    c_name = "log"

    def derivative(self, x, z):
        return reciprocal(x)


@dataclass(frozen=True)
class Log2(_FloatFunction):
    ufunc = staticmethod(np.log2)
    c_name = "log2"

    def derivative(self, x, z):
        return reciprocal(mul(x, _const(math.log(2.0), x)))


@dataclass(frozen=True)
class Log10(_FloatFunction):
    ufunc = staticmethod(np.log10)
    c_name = "log10"

    def derivative(self, x, z):
        return reciprocal(mul(x, _const(math.log(10.0), x)))


@dataclass(frozen=True)
class Log1p(_FloatFunction):
    ufunc = staticmethod(np.log1p)
    c_name = "log1p"

    def derivative(self, x, z):
        return reciprocal(add(x, 1))


@dataclass(frozen=True)
class Sqrt(_FloatFunction):
    ufunc = staticmethod(np.sqrt)
    c_name = "sqrt"

    def derivative(self, x, z):
        return true_div(_const(0.5, x), z)


@dataclass(frozen=True)
class Sin(_FloatFunction):
    ufunc = staticmethod(np.sin)
    c_name = "sin"

    def derivative(self, x, z):
        return cos(x)


@dataclass(frozen=True)
class Cos(_FloatFunction):
    ufunc = staticmethod(np.cos)
    c_name = "cos"

    def derivative(self, x, z):
        return neg(sin(x))


@dataclass(frozen=True)
class Tan(_FloatFunction):
    ufunc = staticmethod(np.tan)
    c_name = "tan"

    def derivative(self, x, z):
        return add(1, sqr(z))


@dataclass(frozen=True)
class ArcSin(_FloatFunction):
    ufunc = staticmethod(np.arcsin)
    c_name = "asin"

    def derivative(self, x, z):
        return reciprocal(sqrt(sub(1, sqr(x))))


@dataclass(frozen=True)
class ArcCos(_FloatFunction):
    ufunc = staticmethod(np.arccos)
    c_name = "acos"

    def derivative(self, x, z):
        return neg(reciprocal(sqrt(sub(1, sqr(x)))))


@dataclass(frozen=True)
class ArcTan(_FloatFunction):
    ufunc = staticmethod(np.arctan)
    c_name = "atan"

    def derivative(self, x, z):
        return reciprocal(add(1, sqr(x)))


@dataclass(frozen=True)
class Sinh(_FloatFunction):
    ufunc = staticmethod(np.sinh)
    c_name = "sinh"

    def derivative(self, x, z):
        return cosh(x)


@dataclass(frozen=True)
class Cosh(_FloatFunction):
    ufunc = staticmethod(np.cosh)
    c_name = "cosh"

    def derivative(self, x, z):
        return sinh(x)


@dataclass(frozen=True)
class Tanh(_FloatFunction):
    ufunc = staticmethod(np.tanh)
    c_name = "tanh"

    def derivative(self, x, z):
        return sub(1, sqr(z))


@dataclass(frozen=True)
class ArcSinh(_FloatFunction):
    ufunc = staticmethod(np.arcsinh)
    c_name = "asinh"

    def derivative(self, x, z):
        return reciprocal(sqrt(add(sqr(x), 1)))


@dataclass(frozen=True)
class ArcCosh(_FloatFunction):
    ufunc = staticmethod(np.arccosh)
    c_name = "acosh"

    def derivative(self, x, z):
        return reciprocal(sqrt(sub(sqr(x), 1)))


@dataclass(frozen=True)
class ArcTanh(_FloatFunction):
    ufunc = staticmethod(np.arctanh)
    c_name = "atanh"

    def derivative(self, x, z):
        return reciprocal(sub(1, sqr(x)))


@dataclass(frozen=True)
class Deg2Rad(_FloatFunction):
    ufunc = staticmethod(np.deg2rad)

    def derivative(self, x, z):
        return _const(math.pi / 180.0, x)

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"(({out_dtype})({args[0]}) * {_lit(math.pi / 180.0, out_dtype)})"


@dataclass(frozen=True)
class Rad2Deg(_FloatFunction):
    ufunc = staticmethod(np.rad2deg)

    def derivative(self, x, z):
        return _const(180.0 / math.pi, x)

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"(({out_dtype})({args[0]}) * {_lit(180.0 / math.pi, out_dtype)})"


@dataclass(frozen=True)
class ArcTan2(_FloatFunction):
    """``arctan2(y, x)``: the angle of the point (x, y)."""

    nin = 2
    ufunc = staticmethod(np.arctan2)
    c_name = "atan2"

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        y, x = inputs
        scale = true_div(gz, add(sqr(x), sqr(y)))
        return [None if _is_int(y) else mul(scale, x), None if _is_int(x) else neg(mul(scale, y))]


# ----------------------------------------------------------------------- special functions
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


@dataclass(frozen=True)
class Erf(_FloatFunction):
    ufunc = staticmethod(_special("erf"))
    c_name = "erf"

    def derivative(self, x, z):
        return mul(_const(_TWO_OVER_SQRT_PI, x), exp(neg(sqr(x))))


@dataclass(frozen=True)
class Erfc(_FloatFunction):
    ufunc = staticmethod(_special("erfc"))
    c_name = "erfc"

    def derivative(self, x, z):
        return mul(_const(-_TWO_OVER_SQRT_PI, x), exp(neg(sqr(x))))


@dataclass(frozen=True)
class ErfInv(_FloatFunction):
    ufunc = staticmethod(_special("erfinv"))
    c_name = "arignote_erfinv"

    def derivative(self, x, z):
        return mul(_const(_SQRT_PI_OVER_TWO, x), exp(sqr(z)))


@dataclass(frozen=True)
class ErfcInv(_FloatFunction):
    ufunc = staticmethod(_special("erfcinv"))
    c_name = "arignote_erfcinv"

    def derivative(self, x, z):
        return mul(_const(-_SQRT_PI_OVER_TWO, x), exp(sqr(z)))


@dataclass(frozen=True)
class Gamma(_FloatFunction):
    ufunc = staticmethod(_special("gamma"))
    c_name = "tgamma"

    def derivative(self, x, z):
        return mul(z, psi(x))


@dataclass(frozen=True)
class GammaLn(_FloatFunction):
    """log |Gamma(x)|."""

    ufunc = staticmethod(_special("gammaln"))
    c_name = "lgamma"

    def derivative(self, x, z):
        return psi(x)


@dataclass(frozen=True)
class Psi(_FloatFunction):
    """The digamma function, d/dx log Gamma(x)."""

    ufunc = staticmethod(_special("psi"))
    c_name = "arignote_psi"

    def derivative(self, x, z):
        return polygamma(1, x)


@dataclass(frozen=True)
class PolyGamma(_FloatFunction):
    """The ``n``-th derivative of the digamma function (``n >= 1``; 1 is the trigamma)."""

    n: int = 1

    def impl(self, x):
        (x,) = _to_out_dtype(self, x)
        from scipy import special
        return special.polygamma(self.n, x)

    def derivative(self, x, z):
        return polygamma(self.n + 1, x)

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"{_fn('arignote_polygamma', out_dtype)}({self.n}, {args[0]})"

    def __str__(self):
        return f"PolyGamma{{{self.n}}}"


@dataclass(frozen=True)
class Sigmoid(_FloatFunction):
    """The logistic function 1 / (1 + exp(-x))."""

    ufunc = staticmethod(_special("expit"))

    def derivative(self, x, z):
        return mul(z, sub(1, z))

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"(1 / (1 + {_fn('exp', out_dtype)}(-({out_dtype})({args[0]}))))"


@dataclass(frozen=True)
class Softplus(_FloatFunction):
    """log(1 + exp(x)), computed as log1p(exp(-|x|)) + max(x, 0) so it never overflows."""

    def impl(self, x):
        (x,) = _to_out_dtype(self, x)
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    def derivative(self, x, z):
        return sigmoid(x)

    def c_expr(self, args, in_dtypes, out_dtype):
        x = f"(({out_dtype})({args[0]}))"
        return (f"({_fn('log1p', out_dtype)}({_fn('exp', out_dtype)}(-{_fn('fabs', out_dtype)}"
                f"({x}))) + {_fn('fmax', out_dtype)}({x}, 0))")


# ----------------------------------------------------------------------- rounding
@dataclass(frozen=True)
class _Rounding(ScalarOp):
    """Rounding to an integral value: floats stay floats (gradient zero almost everywhere)."""

    abstract = True
    ufunc = None
    c_name = None

    def impl(self, x):
        (x,) = _to_out_dtype(self, x)
        return self.ufunc(x)

    def grad(self, inputs, outputs, out_grads):
        return [None]

    def c_expr(self, args, in_dtypes, out_dtype):
        if not dt.is_float(out_dtype):
            return f"({args[0]})"
        return f"{_fn(self.c_name, out_dtype)}({args[0]})"


@dataclass(frozen=True)
class Floor(_Rounding):
    """Floor; integers give floats (Theano 1.0's ``upgrade_to_float``)."""

    output_dtypes = _float_out
    ufunc = staticmethod(np.floor)
    c_name = "floor"


@dataclass(frozen=True)
class Ceil(_Rounding):
    output_dtypes = _float_out
    ufunc = staticmethod(np.ceil)
    c_name = "ceil"


@dataclass(frozen=True)
class Trunc(_Rounding):
    output_dtypes = _float_out
    ufunc = staticmethod(np.trunc)
    c_name = "trunc"


def _round_half_away(x):
    """Round half away from zero (C's ``round``), exactly: ``x - trunc(x)`` is exact."""
    whole = np.trunc(x)
    return np.where(np.abs(x - whole) >= 0.5, whole + np.copysign(1, x).astype(x.dtype), whole)


@dataclass(frozen=True)
class RoundHalfToEven(_Rounding):
    """Round to the nearest integer, ties to even (numpy's ``round``); integers unchanged."""

    ufunc = staticmethod(lambda x: np.array(np.round(x), copy=True))
    c_name = "rint"


@dataclass(frozen=True)
class RoundHalfAwayFromZero(_Rounding):
    """Round to the nearest integer, ties away from zero (C's ``round``); integers unchanged."""

    ufunc = staticmethod(lambda x: _round_half_away(x) if x.dtype.kind == "f" else x.copy())
    c_name = "round"


# ----------------------------------------------------------------------- comparisons
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            "==": operator.eq, "!=": operator.ne}


@dataclass(frozen=True)
class _Comparison(ScalarOp):
    """A comparison: ``bool`` out, no gradient; C compares in the common dtype."""

    abstract = True
    nin = 2
    output_dtypes = _bool_out
    ufunc = None
    c_op = None

    def impl(self, x, y):
        return self.ufunc(x, y)

    def grad(self, inputs, outputs, out_grads):
        return [None, None]

    def c_expr(self, args, in_dtypes, out_dtype):
        x, y = args
        a, b = in_dtypes
        # A signed integer against a uint64 would go through float64 and lose precision.
        if a in dt.INT_DTYPES and b == "uint64":
            when_negative = int(_COMPARE[self.c_op](-1, 0))
            return f"({x} < 0 ? {when_negative} : (uint64)({x}) {self.c_op} {y})"
        if a == "uint64" and b in dt.INT_DTYPES:
            when_negative = int(_COMPARE[self.c_op](0, -1))
            return f"({y} < 0 ? {when_negative} : {x} {self.c_op} (uint64)({y}))"
        x, y = _casted(args, in_dtypes, dt.upcast(*in_dtypes))
        return f"({x} {self.c_op} {y})"


@dataclass(frozen=True)
class LT(_Comparison):
    ufunc = staticmethod(np.less)
    c_op = "<"


@dataclass(frozen=True)
class LE(_Comparison):
    ufunc = staticmethod(np.less_equal)
    c_op = "<="


@dataclass(frozen=True)
class GT(_Comparison):
    ufunc = staticmethod(np.greater)
    c_op = ">"


@dataclass(frozen=True)
class GE(_Comparison):
    ufunc = staticmethod(np.greater_equal)
    c_op = ">="


@dataclass(frozen=True)
class EQ(_Comparison):
    commutative = True
    ufunc = staticmethod(np.equal)
    c_op = "=="


@dataclass(frozen=True)
class NEQ(_Comparison):
    commutative = True
    ufunc = staticmethod(np.not_equal)
    c_op = "!="


@dataclass(frozen=True)
class IsNan(ScalarOp):
    output_dtypes = _bool_out

    def impl(self, x):
        return np.isnan(x)

    def grad(self, inputs, outputs, out_grads):
        return [None]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"(isnan({args[0]}) != 0)" if dt.is_float(in_dtypes[0]) else "0"


@dataclass(frozen=True)
class IsInf(ScalarOp):
    output_dtypes = _bool_out

    def impl(self, x):
        return np.isinf(x)

    def grad(self, inputs, outputs, out_grads):
        return [None]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"(isinf({args[0]}) != 0)" if dt.is_float(in_dtypes[0]) else "0"


# ----------------------------------------------------------------------- bitwise / logical
def _bit_out(self, *dtypes):
    """The upcast of integer or bool inputs; TypeError for floats."""
    for dtype in dtypes:
        if not dt.is_discrete(dtype):
            raise TypeError(f"{type(self).__name__} needs integer or bool inputs (bitwise on "
                            f"integers, logical on bool), got {dtype}")
    out = dt.upcast(*dtypes)
    if not dt.is_discrete(out):
        raise TypeError(f"{type(self).__name__} of {' and '.join(dtypes)}: their common type "
                        f"is {out}, not an integer (cast one of them first)")
    return [out]


@dataclass(frozen=True)
class _Bitwise(ScalarOp):
    """A bitwise operation on integers, logical on bools."""

    abstract = True
    nin = 2
    commutative = associative = True
    output_dtypes = _bit_out
    ufunc = None
    c_op = None

    def impl(self, x, y):
        return self.ufunc(x, y)

    def grad(self, inputs, outputs, out_grads):
        return [None, None]

    def c_expr(self, args, in_dtypes, out_dtype):
        x, y = _casted(args, in_dtypes, out_dtype)
        return f"({x} {self.c_op} {y})"


@dataclass(frozen=True)
class And(_Bitwise):
    identity = True
    ufunc = staticmethod(np.bitwise_and)
    c_op = "&"


@dataclass(frozen=True)
class Or(_Bitwise):
    identity = False
    ufunc = staticmethod(np.bitwise_or)
    c_op = "|"


@dataclass(frozen=True)
class Xor(_Bitwise):
    identity = False
    ufunc = staticmethod(np.bitwise_xor)
    c_op = "^"


@dataclass(frozen=True)
class Invert(ScalarOp):
    """Bitwise not on integers, logical not on bools."""

    output_dtypes = _bit_out

    def impl(self, x):
        return np.invert(x)

    def grad(self, inputs, outputs, out_grads):
        return [None]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"(!{args[0]})" if out_dtype == "bool" else _narrow(f"(~{args[0]})", out_dtype)


# ----------------------------------------------------------------------- functions
def _apply(scalar_op, *inputs):
    """``scalar_op`` applied element-wise to ``inputs``."""
    return Elemwise(scalar_op)(*inputs)


def _binary_chain(scalar_op, values, what):
    """``values`` combined left to right by the binary ``scalar_op``."""
    if not values:
        raise TypeError(f"{what}() needs at least one argument")
    result = as_tensor_variable(values[0])
    for value in values[1:]:
        result = Elemwise(scalar_op)(result, value)
    return result


def add(*terms):
    """Element-wise sum of any number of tensors, with broadcasting.

    >>> import arignote.tensor as T
    >>> x = T.fvector('x')
    >>> add(x, 1, 2.5).dtype
    'float32'
    """
    return _binary_chain(Add(), terms, "add")


def mul(*factors):
    """Element-wise product of any number of tensors, with broadcasting."""
    return _binary_chain(Mul(), factors, "mul")


def sub(x, y):
    """Element-wise ``x - y``."""
    return _apply(Sub(), x, y)


def true_div(x, y):
    """Element-wise ``x / y``; the quotient of two integer tensors has dtype floatX.

    >>> import arignote, arignote.tensor as T
    >>> true_div(T.ivector(), T.ivector()).dtype == arignote.config.floatX
    True
    """
    return _apply(TrueDiv(), x, y)


def int_div(x, y):
    """Element-wise floor division ``x // y`` (rounds towards minus infinity, like Python).

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.ivector('x')
    >>> int_div(x, 2).eval({x: np.array([-3, 3], dtype='int32')})
    array([-2,  1], dtype=int32)
    """
    return _apply(IntDiv(), x, y)


floor_div = int_div


def ceil_intdiv(x, y):
    """Element-wise ceiling of ``x / y`` for integers: ``x // y + (x % y != 0)``."""
    quotient = int_div(x, y)
    return add(quotient, cast(neq(mod(x, y), 0), quotient.dtype))


def mod(x, y):
    """Element-wise ``x % y``, with the sign of ``y`` (Python's rule)."""
    return _apply(Mod(), x, y)


def pow(x, y):
    """Element-wise ``x ** y``."""
    return _apply(Pow(), x, y)


def neg(x):
    """Element-wise ``-x``."""
    return _apply(Neg(), x)


def abs(x):
    """Element-wise absolute value (Theano's ``abs_``)."""
    return _apply(Abs(), x)


abs_ = abs


def sgn(x):
    """Element-wise sign: -1, 0 or 1 (NaN for NaN), in the input's dtype."""
    return _apply(Sgn(), x)


sign = sgn


def sqr(x):
    """Element-wise square ``x * x``, in the input's dtype."""
    return _apply(Sqr(), x)


square = sqr


def sqrt(x):
    """Element-wise square root."""
    return _apply(Sqrt(), x)


def reciprocal(x):
    """Element-wise ``1 / x`` (a float result; Theano's ``inv``)."""
    return _apply(Reciprocal(), x)


inv = reciprocal


def maximum(x, y):
    """Element-wise maximum (NaN if either is NaN); at ties the gradient goes to ``x``."""
    return _apply(Maximum(), x, y)


def minimum(x, y):
    """Element-wise minimum (NaN if either is NaN); at ties the gradient goes to ``x``."""
    return _apply(Minimum(), x, y)


def clip(x, min, max):
    """Clip ``x`` to ``[min, max]`` element-wise.

    Where ``x`` equals a bound the output is ``x``, so the gradient goes to ``x`` there.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> clip(x, 0, 1).eval({x: np.array([-1.0, 0.5, 2.0])})
    array([0. , 0.5, 1. ])
    """
    return _apply(Clip(), x, min, max)


def switch(cond, ift, iff):
    """``ift`` where ``cond`` is nonzero, else ``iff``, element-wise with broadcasting.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> switch(x > 0, x, 0).eval({x: np.array([-1.0, 2.0])})
    array([0., 2.])
    """
    return _apply(Switch(), cond, ift, iff)


where = switch


def tensor_copy(x):
    """A copy of ``x`` (same type, separate storage)."""
    return _apply(Identity(), x)


def cast(x, dtype):
    """``x`` converted element-wise to ``dtype`` (a no-op when it already has it)."""
    x = as_tensor_variable(x)
    dtype = dt.check_dtype(dtype)
    if x.dtype == dtype:
        return x
    return _apply(Cast(dtype), x)


def exp(x):
    """Element-wise exponential."""
    return _apply(Exp(), x)


def exp2(x):
    """Element-wise ``2 ** x``."""
    return _apply(Exp2(), x)


def expm1(x):
    """Element-wise ``exp(x) - 1``, accurate near 0."""
    return _apply(Expm1(), x)


def log(x):
    """Element-wise natural logarithm."""
    return _apply(Log(), x)


def log2(x):
    """Element-wise base-2 logarithm."""
    return _apply(Log2(), x)


def log10(x):
    """Element-wise base-10 logarithm."""
    return _apply(Log10(), x)


def log1p(x):
    """Element-wise ``log(1 + x)``, accurate near 0."""
    return _apply(Log1p(), x)


def logaddexp(x, y):
    """Element-wise ``log(exp(x) + exp(y))``, computed without overflow."""
    return add(maximum(x, y), softplus(neg(abs(sub(x, y)))))


def sin(x):
    """Element-wise sine."""
    return _apply(Sin(), x)


def cos(x):
    """Element-wise cosine."""
    return _apply(Cos(), x)


def tan(x):
    """Element-wise tangent."""
    return _apply(Tan(), x)


def arcsin(x):
    """Element-wise inverse sine."""
    return _apply(ArcSin(), x)


def arccos(x):
    """Element-wise inverse cosine."""
    return _apply(ArcCos(), x)


def arctan(x):
    """Element-wise inverse tangent."""
    return _apply(ArcTan(), x)


def arctan2(y, x):
    """Element-wise angle of the point ``(x, y)``, in ``[-pi, pi]``."""
    return _apply(ArcTan2(), y, x)


def sinh(x):
    """Element-wise hyperbolic sine."""
    return _apply(Sinh(), x)


def cosh(x):
    """Element-wise hyperbolic cosine."""
    return _apply(Cosh(), x)


def tanh(x):
    """Element-wise hyperbolic tangent."""
    return _apply(Tanh(), x)


def arcsinh(x):
    """Element-wise inverse hyperbolic sine."""
    return _apply(ArcSinh(), x)


def arccosh(x):
    """Element-wise inverse hyperbolic cosine."""
    return _apply(ArcCosh(), x)


def arctanh(x):
    """Element-wise inverse hyperbolic tangent."""
    return _apply(ArcTanh(), x)


def deg2rad(x):
    """Element-wise conversion from degrees to radians."""
    return _apply(Deg2Rad(), x)


def rad2deg(x):
    """Element-wise conversion from radians to degrees."""
    return _apply(Rad2Deg(), x)


def erf(x):
    """Element-wise error function."""
    return _apply(Erf(), x)


def erfc(x):
    """Element-wise complementary error function ``1 - erf(x)``."""
    return _apply(Erfc(), x)


def erfinv(x):
    """Element-wise inverse error function."""
    return _apply(ErfInv(), x)


def erfcinv(x):
    """Element-wise inverse complementary error function."""
    return _apply(ErfcInv(), x)


def gamma(x):
    """Element-wise gamma function."""
    return _apply(Gamma(), x)


def gammaln(x):
    """Element-wise ``log |gamma(x)|``."""
    return _apply(GammaLn(), x)


def psi(x):
    """Element-wise digamma function, the derivative of ``gammaln``."""
    return _apply(Psi(), x)


digamma = psi


def polygamma(n, x):
    """Element-wise ``n``-th derivative of the digamma function (``n`` a Python int)."""
    n = int(n)
    if n == 0:
        return psi(x)
    if n < 0:
        raise ValueError(f"polygamma order must be >= 0, got {n}")
    return _apply(PolyGamma(n), x)


def tri_gamma(x):
    """Element-wise trigamma function, the derivative of ``psi``."""
    return polygamma(1, x)


def sigmoid(x):
    """Element-wise logistic function ``1 / (1 + exp(-x))``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> sigmoid(x).eval({x: np.array([0.0])})
    array([0.5])
    """
    return _apply(Sigmoid(), x)


def ultra_fast_sigmoid(x):
    """Theano's fast approximation of the sigmoid; here the exact sigmoid."""
    return sigmoid(x)


def hard_sigmoid(x):
    """Theano's piecewise-linear sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``."""
    x = as_tensor_variable(x)
    dtype = dt.upgrade_to_float(x.dtype)
    slope = constant(np.asarray(0.2, dtype=dtype))
    shift = constant(np.asarray(0.5, dtype=dtype))
    return clip(add(mul(x, slope), shift), 0, 1)


def softplus(x):
    """Element-wise ``log(1 + exp(x))``, computed without overflow."""
    return _apply(Softplus(), x)


def relu(x, alpha=0):
    """Rectified linear unit: ``x`` where positive, else ``alpha * x``.

    With ``alpha == 0`` this is ``maximum(0, x)``, whose gradient at 0 is 0.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> relu(x).eval({x: np.array([-2.0, 3.0])})
    array([0., 3.])
    """
    if isinstance(alpha, (int, float)) and alpha == 0:
        return maximum(0, x)
    alpha = as_tensor_variable(alpha)
    return add(mul(mul(0.5, add(1, alpha)), x), mul(mul(0.5, sub(1, alpha)), abs(x)))


def elu(x, alpha=1):
    """Exponential linear unit: ``x`` where positive, else ``alpha * (exp(x) - 1)``."""
    return switch(gt(x, 0), x, mul(alpha, expm1(x)))


def floor(x):
    """Element-wise floor (integers give floats, as in Theano 1.0)."""
    return _apply(Floor(), x)


def ceil(x):
    """Element-wise ceiling (integers give floats, as in Theano 1.0)."""
    return _apply(Ceil(), x)


def trunc(x):
    """Element-wise rounding towards zero (integers give floats, as in Theano 1.0)."""
    return _apply(Trunc(), x)


def round_half_to_even(x):
    """Element-wise rounding to the nearest integer, ties to even (numpy's ``round``)."""
    return _apply(RoundHalfToEven(), x)


def round_half_away_from_zero(x):
    """Element-wise rounding to the nearest integer, ties away from zero (C's ``round``)."""
    return _apply(RoundHalfAwayFromZero(), x)


def round(x, mode=None):
    """Element-wise rounding to the nearest integer value, in the input's dtype.

    ``mode`` is ``'half_to_even'`` (the default, as numpy) or ``'half_away_from_zero'``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> round(x).eval({x: np.array([0.5, 1.5, -2.5])})
    array([ 0.,  2., -2.])
    >>> round(x, 'half_away_from_zero').eval({x: np.array([0.5, 1.5, -2.5])})
    array([ 1.,  2., -3.])
    """
    if mode is None or mode == "half_to_even":
        return round_half_to_even(x)
    if mode == "half_away_from_zero":
        return round_half_away_from_zero(x)
    raise ValueError(f"round mode must be 'half_to_even' or 'half_away_from_zero', got {mode!r}")


def iround(x, mode=None):
    """``round(x, mode)`` cast to int64."""
    return cast(round(x, mode), "int64")


def lt(x, y):
    """Element-wise ``x < y`` (bool)."""
    return _apply(LT(), x, y)


def le(x, y):
    """Element-wise ``x <= y`` (bool)."""
    return _apply(LE(), x, y)


def gt(x, y):
    """Element-wise ``x > y`` (bool)."""
    return _apply(GT(), x, y)


def ge(x, y):
    """Element-wise ``x >= y`` (bool)."""
    return _apply(GE(), x, y)


def eq(x, y):
    """Element-wise ``x == y`` (bool; Python's ``==`` on variables stays identity)."""
    return _apply(EQ(), x, y)


def neq(x, y):
    """Element-wise ``x != y`` (bool)."""
    return _apply(NEQ(), x, y)


def isnan(x):
    """Element-wise test for NaN (bool; always False for integers)."""
    return _apply(IsNan(), x)


def isinf(x):
    """Element-wise test for +-inf (bool; always False for integers)."""
    return _apply(IsInf(), x)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Element-wise ``|a - b| <= atol + rtol * |b|``, as ``numpy.isclose`` (bool).

    Infinities are close only to themselves; NaNs only to NaNs when ``equal_nan``.

    >>> import numpy as np, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> isclose(x, 1.0).eval({x: np.array([1.0, 1.0 + 1e-9, 1.1])})
    array([ True,  True, False])
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if dt.is_discrete(b.dtype):
        b = cast(b, dt.upgrade_to_float(b.dtype, a.dtype))
    finite = invert(or_(or_(isnan(a), isnan(b)), or_(isinf(a), isinf(b))))
    close = or_(and_(finite, le(abs(sub(a, b)), add(atol, mul(rtol, abs(b))))),
                and_(and_(isinf(a), isinf(b)), eq(a, b)))
    if equal_nan:
        close = or_(close, and_(isnan(a), isnan(b)))
    return close


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether ``isclose(a, b, ...)`` holds everywhere (a bool scalar)."""
    from .. import ops
    return ops.all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def and_(x, y):
    """Element-wise ``x & y``: bitwise on integers, logical on bools."""
    return _apply(And(), x, y)


def or_(x, y):
    """Element-wise ``x | y``: bitwise on integers, logical on bools."""
    return _apply(Or(), x, y)


def xor(x, y):
    """Element-wise ``x ^ y``: bitwise on integers, logical on bools."""
    return _apply(Xor(), x, y)


def invert(x):
    """Element-wise ``~x``: bitwise not on integers, logical not on bools."""
    return _apply(Invert(), x)


bitwise_and = and_
bitwise_or = or_
bitwise_xor = xor
bitwise_not = invert
