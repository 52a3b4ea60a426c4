"""Scalar ops: what each element-wise operation does to one element.

Each class gives the numpy reference (``impl``), the output dtype rule, the gradient (a graph
built from the node's inputs, outputs and output gradients), and a one-line C expression.
The lower-case functions at the bottom apply them element-wise to tensors.
"""

from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from .elemwise import Elemwise, ScalarOp

__all__ = ["add", "sub", "mul", "true_div", "neg", "exp", "log", "cast"]


def _float_out(self, *dtypes):
    return [dt.upgrade_to_float(*dtypes)]


def _is_int(variable):
    return dt.is_discrete(variable.dtype)


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
        return [gz, gz]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"({args[0]} + {args[1]})"


@dataclass(frozen=True)
class Sub(ScalarOp):
    nin = 2

    def impl(self, x, y):
        return np.subtract(x, y)

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        return [gz, neg(gz)]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"({args[0]} - {args[1]})"


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
        return [mul(gz, y), mul(gz, x)]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"({args[0]} * {args[1]})"


@dataclass(frozen=True)
class TrueDiv(ScalarOp):
    nin = 2

    def output_dtypes(self, *dtypes):
        return [dt.true_div_dtype(*dtypes)]

    def impl(self, x, y):
        return np.true_divide(x, y)

    def grad(self, inputs, outputs, out_grads):
        (gz,) = out_grads
        x, y = inputs
        (z,) = outputs
        return [None if _is_int(x) else true_div(gz, y),
                None if _is_int(y) else neg(true_div(mul(gz, z), y))]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"(({out_dtype})({args[0]}) / ({out_dtype})({args[1]}))"


@dataclass(frozen=True)
class Neg(ScalarOp):
    def impl(self, x):
        return np.negative(x)

    def grad(self, inputs, outputs, out_grads):
        return [neg(out_grads[0])]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"(-{args[0]})"


@dataclass(frozen=True)
class Exp(ScalarOp):
    output_dtypes = _float_out

    def impl(self, x):
        return np.exp(x)

    def grad(self, inputs, outputs, out_grads):
        return [mul(out_grads[0], outputs[0])]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"{_fn('exp', out_dtype)}({args[0]})"


@dataclass(frozen=True)
class Log(ScalarOp):
    output_dtypes = _float_out

    def impl(self, x):
        return np.log(x)

    def grad(self, inputs, outputs, out_grads):
        return [true_div(out_grads[0], inputs[0])]

    def c_expr(self, args, in_dtypes, out_dtype):
        return f"{_fn('log', out_dtype)}({args[0]})"


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


def _fn(name, dtype):
    """The C math function for ``dtype``: expf for float32, exp for float64."""
    return name + "f" if dtype in ("float32", "float16") else name


# ----------------------------------------------------------------------- functions
def _binary_chain(scalar_op, values):
    result = values[0]
    for value in values[1:]:
        result = Elemwise(scalar_op)(result, value)
    return result


def add(*terms):
    """Element-wise sum of any number of tensors, with broadcasting."""
    return _binary_chain(Add(), terms)


def mul(*factors):
    """Element-wise product of any number of tensors, with broadcasting."""
    return _binary_chain(Mul(), factors)


def sub(x, y):
    return Elemwise(Sub())(x, y)


def true_div(x, y):
    return Elemwise(TrueDiv())(x, y)


def neg(x):
    return Elemwise(Neg())(x)


def exp(x):
    return Elemwise(Exp())(x)


def log(x):
    return Elemwise(Log())(x)


def cast(x, dtype):
    """``x`` converted element-wise to ``dtype`` (a no-op when it already has it)."""
    from ..variable import as_tensor_variable
    x = as_tensor_variable(x)
    dtype = dt.check_dtype(dtype)
    if x.dtype == dtype:
        return x
    return Elemwise(Cast(dtype))(x)
