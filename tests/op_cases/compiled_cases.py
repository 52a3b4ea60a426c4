"""Op cases for the ops that rewrites build (fused element-wise programs, fused
reductions): the graphs are built directly, as the fusion passes would."""

import numpy as np

from arignote.compiler.ops import scalar as S
from arignote.compiler.ops.blas import Gemm
from arignote.compiler.ops.composite import Composite, FusedReduce
from arignote.compiler.ops.elemwise import Elemwise

from . import OpCase

RNG = np.random.default_rng(11)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))

# exp(a) * b + 2.5, and a - b, as one two-output program
PROGRAM = ((S.Exp(), (("in", 0),), "float64"),
           (S.Mul(), (("tmp", 0), ("in", 1)), "float64"),
           (S.Add(), (("tmp", 1), ("lit", 2.5, "float64")), "float64"),
           (S.Sub(), (("in", 0), ("in", 1)), "float64"))
TWO_OUT = Composite(2, PROGRAM, (("tmp", 2), ("tmp", 3)), ("float64", "float64"))
ONE_OUT = Composite(2, PROGRAM[:3], (("tmp", 2),), ("float64",))

Z = RNG.standard_normal((3, 2))
X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((4, 2))

CASES = [
    OpCase("gemm", lambda z, a, x, y, b: Gemm()(z, a, x, y, b),
           [Z, np.array(-0.5), X, Y, np.array(2.0)],
           lambda z, a, x, y, b: b * z + a * x @ y),
    OpCase("composite_two_outputs", lambda a, b: Elemwise(TWO_OUT)(a, b), [A, B],
           lambda a, b: [np.exp(a) * b + 2.5, a - b], grad=False),
    OpCase("composite_broadcast_row", lambda a, b: Elemwise(ONE_OUT)(a, b), [A, B[:1]],
           lambda a, b: np.exp(a) * b + 2.5, grad=False,
           broadcastable=[None, (True, False)]),
    OpCase("fused_sum_all", lambda a, b: FusedReduce("sum", (0, 1), ONE_OUT, "float64",
                                                     "float64")(a, b),
           [A, B], lambda a, b: (np.exp(a) * b + 2.5).sum(), grad=False),
    OpCase("fused_max_axis1", lambda a, b: FusedReduce("max", (1,), ONE_OUT, "float64",
                                                       "float64")(a, b),
           [A, B], lambda a, b: (np.exp(a) * b + 2.5).max(axis=1), grad=False),
    OpCase("fused_prod_axis0_float32",
           lambda a: FusedReduce("prod", (0,), Composite(1, ((S.Exp(), (("in", 0),),
                                                               "float32"),),
                                                         (("tmp", 0),), ("float32",)),
                                 "float32", "float64")(a),
           [A.astype("float32")], lambda a: np.exp(a.astype("float64")).prod(axis=0)
           .astype("float32"), grad=False, rtol=1e-5),
]
