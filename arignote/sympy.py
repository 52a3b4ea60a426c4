"""sympy expressions to arignote graphs and back.

``to_graph(expr, {symbol: variable})`` builds the element-wise graph of a sympy expression
(symbols without a variable become new ones, of ``dtypes``/``broadcastables`` given per
symbol, floatX scalars by default); ``to_sympy(variable)`` turns an element-wise graph back
into a sympy expression, so it can be simplified, differentiated symbolically or printed as
LaTeX; ``function(inputs, outputs)`` compiles sympy expressions, as sympy's own
``theano_function`` did.

>>> import numpy as np, sympy, arignote.tensor as T
>>> from arignote.sympy import function, to_graph, to_sympy
>>> a, b = sympy.symbols('a b')
>>> x = T.dvector('x')
>>> y = T.dscalar('y')
>>> g = to_graph(sympy.sin(a) ** 2 + sympy.cos(a) ** 2 + b, {a: x, b: y})
>>> g.eval({x: np.zeros(2), y: 1.0})
array([2., 2.])
>>> f = function([a, b], sympy.exp(a) * b, dims={a: 1})
>>> f(np.array([0.0, 1.0]), 2.0)
array([2.        , 5.43656366])
>>> sympy.simplify(to_sympy(T.sin(y) ** 2 + T.cos(y) ** 2))
1
>>> sympy.latex(to_sympy(T.exp(y) / 2))
'\\\\frac{e^{y}}{2}'
"""

import functools

import numpy as np
import sympy

from .compiler.graph import Constant, Variable
from .compiler.ops import elemwise as _elemwise
from .compiler.ops import scalar as S
from .configparser import config

__all__ = ["function", "to_graph", "to_sympy"]


def _tensor():
    from . import tensor
    return tensor


def _fold(op):
    """An n-ary version of a binary op (sympy's Add, Mul, Max and Min take any number)."""
    def fold(*args):
        return functools.reduce(op, args)
    return fold


def _log(value, base=None):
    T = _tensor()
    return T.log(value) if base is None else T.log(value) / T.log(base)


def _piecewise(*pairs):
    """``Piecewise((e1, c1), (e2, c2), ...)`` as nested switches, the first true condition
    winning; a Piecewise without an always-true branch is NaN where no condition holds."""
    T = _tensor()
    result = None
    for value, condition in reversed(pairs):
        if result is None:
            result = value if condition is True else T.switch(condition, value, np.nan)
        else:
            result = value if condition is True else T.switch(condition, value, result)
    return result


def _to_graph_table():
    """sympy function class -> builder of the arignote graph from the converted arguments."""
    T = _tensor()
    return {
        sympy.Add: _fold(T.add), sympy.Mul: _fold(T.mul), sympy.Pow: T.pow,
        sympy.exp: T.exp, sympy.log: _log, sympy.Abs: T.abs, sympy.sign: T.sgn,
        sympy.floor: T.floor, sympy.ceiling: T.ceil,
        sympy.sin: T.sin, sympy.cos: T.cos, sympy.tan: T.tan, sympy.asin: T.arcsin,
        sympy.acos: T.arccos, sympy.atan: T.arctan, sympy.atan2: T.arctan2,
        sympy.sinh: T.sinh, sympy.cosh: T.cosh, sympy.tanh: T.tanh, sympy.asinh: T.arcsinh,
        sympy.acosh: T.arccosh, sympy.atanh: T.arctanh,
        sympy.erf: T.erf, sympy.erfc: T.erfc, sympy.erfinv: T.erfinv,
        sympy.erfcinv: T.erfcinv, sympy.gamma: T.gamma, sympy.loggamma: T.gammaln,
        sympy.digamma: T.psi, sympy.polygamma: lambda n, x: T.polygamma(n, x),
        sympy.Max: _fold(T.maximum), sympy.Min: _fold(T.minimum),
        sympy.Piecewise: _piecewise,
        sympy.Eq: T.eq, sympy.Ne: T.neq, sympy.StrictLessThan: T.lt,
        sympy.StrictGreaterThan: T.gt, sympy.LessThan: T.le, sympy.GreaterThan: T.ge,
        sympy.And: _fold(T.and_), sympy.Or: _fold(T.or_), sympy.Xor: _fold(T.xor),
        sympy.Not: T.invert,
    }


def to_graph(expr, inputs=None, dtypes=None, broadcastables=None):
    """The arignote graph of the sympy expression ``expr``.

    Parameters
    ----------
    expr : sympy expression (element-wise: arithmetic, the elementary and special functions,
        ``Piecewise``, comparisons and logic).
    inputs : dict ``{symbol: variable}``; other symbols become new variables.
    dtypes, broadcastables : dicts ``{symbol: dtype}`` / ``{symbol: pattern}`` for those new
        variables (floatX scalars by default).
    """
    T = _tensor()
    table = _to_graph_table()
    known = dict(inputs or {})
    dtypes, broadcastables = dict(dtypes or {}), dict(broadcastables or {})

    def convert(node):
        if isinstance(node, sympy.Symbol):
            if node not in known:
                dtype = dtypes.get(node, config.floatX)
                known[node] = T.tensor(dtype, tuple(broadcastables.get(node, ())),
                                       name=node.name)
            return known[node]
        if node is sympy.true or node is sympy.false:
            return bool(node)
        if isinstance(node, sympy.Integer):
            return T.constant(int(node))
        if node.is_number and node.is_real:
            return T.constant(np.asarray(float(node), dtype=config.floatX))
        builder = table.get(type(node)) or table.get(node.func)
        if builder is None:
            raise TypeError(f"to_graph: sympy's {node.func.__name__} has no arignote op "
                            f"(in {node})")
        if isinstance(node, sympy.Piecewise):
            return builder(*[(convert(e), True if c is sympy.true else convert(c))
                             for e, c in node.args])
        return builder(*[convert(arg) for arg in node.args])

    return convert(sympy.sympify(expr))


# arignote scalar op class -> builder of the sympy expression from converted arguments
_TO_SYMPY = {
    S.Add: lambda x, y: x + y, S.Sub: lambda x, y: x - y, S.Mul: lambda x, y: x * y,
    S.TrueDiv: lambda x, y: x / y, S.IntDiv: lambda x, y: sympy.floor(x / y),
    S.Mod: sympy.Mod, S.Pow: sympy.Pow, S.Neg: lambda x: -x, S.Abs: sympy.Abs,
    S.Sgn: sympy.sign, S.Sqr: lambda x: x ** 2, S.Reciprocal: lambda x: 1 / x,
    S.Maximum: sympy.Max, S.Minimum: sympy.Min,
    S.Clip: lambda x, lo, hi: sympy.Min(sympy.Max(x, lo), hi),
    S.Switch: lambda c, a, b: sympy.Piecewise((a, c), (b, True)),
    S.Second: lambda x, y: y, S.Identity: lambda x: x, S.Cast: lambda x: x,
    S.Exp: sympy.exp, S.Exp2: lambda x: 2 ** x, S.Expm1: lambda x: sympy.exp(x) - 1,
    S.Log: sympy.log, S.Log2: lambda x: sympy.log(x, 2), S.Log10: lambda x: sympy.log(x, 10),
    S.Log1p: lambda x: sympy.log(1 + x), S.Sqrt: sympy.sqrt,
    S.Sin: sympy.sin, S.Cos: sympy.cos, S.Tan: sympy.tan, S.ArcSin: sympy.asin,
    S.ArcCos: sympy.acos, S.ArcTan: sympy.atan, S.ArcTan2: sympy.atan2,
    S.Sinh: sympy.sinh, S.Cosh: sympy.cosh, S.Tanh: sympy.tanh, S.ArcSinh: sympy.asinh,
    S.ArcCosh: sympy.acosh, S.ArcTanh: sympy.atanh,
    S.Deg2Rad: lambda x: x * sympy.pi / 180, S.Rad2Deg: lambda x: x * 180 / sympy.pi,
    S.Erf: sympy.erf, S.Erfc: sympy.erfc, S.ErfInv: sympy.erfinv, S.ErfcInv: sympy.erfcinv,
    S.Gamma: sympy.gamma, S.GammaLn: sympy.loggamma, S.Psi: sympy.digamma,
    S.Sigmoid: lambda x: 1 / (1 + sympy.exp(-x)),
    S.Softplus: lambda x: sympy.log(1 + sympy.exp(x)),
    S.Floor: sympy.floor, S.Ceil: sympy.ceiling,
    S.LT: sympy.StrictLessThan, S.LE: sympy.LessThan, S.GT: sympy.StrictGreaterThan,
    S.GE: sympy.GreaterThan, S.EQ: sympy.Eq, S.NEQ: sympy.Ne,
    S.And: sympy.And, S.Or: sympy.Or, S.Xor: sympy.Xor, S.Invert: sympy.Not,
}


def to_sympy(variable, symbols=None):
    """The sympy expression of an element-wise graph.

    Inputs become ``sympy.Symbol`` s named after the variables (or as ``symbols`` maps them:
    ``{variable: symbol}``); scalar constants become sympy numbers. Non-element-wise ops
    (dot, reductions, indexing) raise ``TypeError`` naming the op.
    """
    symbols = dict(symbols or {})
    memo = {}

    def convert(v):
        if v in memo:
            return memo[v]
        if isinstance(v, Constant):
            data = np.asarray(v.data)
            if data.size != 1:
                raise TypeError(f"to_sympy: the constant {v} has {data.size} elements; only "
                                f"scalar constants have a sympy form")
            value = data.reshape(()).item()
            result = sympy.Integer(value) if isinstance(value, (int, bool, np.integer)) \
                else sympy.Float(value)
        elif v.owner is None:
            if v not in symbols:
                symbols[v] = sympy.Symbol(v.name or f"x{len(symbols)}")
            result = symbols[v]
        else:
            op = v.owner.op
            if isinstance(op, _elemwise.DimShuffle):
                result = convert(v.owner.inputs[0])
            elif isinstance(op, _elemwise.Elemwise) and type(op.scalar_op) in _TO_SYMPY:
                build = _TO_SYMPY[type(op.scalar_op)]
                result = build(*[convert(i) for i in v.owner.inputs])
            else:
                raise TypeError(f"to_sympy: {op} is not an element-wise op with a sympy form "
                                f"(in the graph of {variable})")
        memo[v] = result
        return result

    if not isinstance(variable, Variable):
        raise TypeError(f"to_sympy takes a graph variable, got {type(variable).__name__}")
    return convert(variable)


def function(inputs, outputs, scalar=False, dim=None, dims=None, broadcastables=None,
             dtypes=None, **kwargs):
    """Compile sympy expressions: sympy's ``theano_function``, on arignote.

    ``inputs`` are sympy symbols, ``outputs`` sympy expressions. ``dims`` (``{symbol: ndim}``)
    or ``dim`` (one ndim for all) or ``broadcastables`` give the inputs' shapes; ``dtypes``
    their dtypes. With ``scalar=True`` 0-d results come back as Python numbers. Other keyword
    arguments go to ``arignote.function``.
    """
    from .runtime.function import function as compile_function
    broadcastables = dict(broadcastables or {})
    if dims is not None or dim is not None:
        for symbol in inputs:
            ndim = (dims or {}).get(symbol, dim or 0)
            broadcastables.setdefault(symbol, (False,) * ndim)
    T = _tensor()
    variables = {s: T.tensor((dtypes or {}).get(s, config.floatX),
                             tuple(broadcastables.get(s, ())), name=s.name) for s in inputs}
    single = not isinstance(outputs, (list, tuple))
    graphs = [to_graph(e, variables) for e in ([outputs] if single else outputs)]
    graphs = [g if isinstance(g, Variable) else T.constant(g) for g in graphs]
    kwargs.setdefault("on_unused_input", "ignore")
    compiled = compile_function([variables[s] for s in inputs],
                                graphs[0] if single else graphs, **kwargs)
    if not scalar:
        return compiled

    def call(*args):
        results = compiled(*args)
        if single:
            return results.item() if np.ndim(results) == 0 else results
        return [r.item() if np.ndim(r) == 0 else r for r in results]
    return call
