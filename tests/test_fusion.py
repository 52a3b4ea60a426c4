"""Element-wise fusion: which nodes become one ``Elemwise(Composite)`` loop, what stays out,
and that the fused graph computes the same values with the same types."""

import math
import time

import numpy as np

import arignote.tensor as T
from arignote.compiler.graph import FunctionGraph
from arignote.compiler.ops import scalar as S
from arignote.compiler.ops.composite import Composite
from arignote.compiler.ops.elemwise import Elemwise
from arignote.compiler.rewrite import fusion

from .test_rewrite import assert_same_values, evaluate, rewritten

RNG = np.random.default_rng(2)
x, y = T.dvectors("x", "y")
m = T.dmatrix("m")
r = T.drow("r")
c = T.dcol("c")
xv, yv = RNG.normal(size=5), RNG.normal(size=5)
mv, rv, cv = RNG.normal(size=(3, 4)), RNG.normal(size=(1, 4)), RNG.normal(size=(3, 1))


def fused(inputs, outputs):
    """``(before, after)`` with only fusion applied."""
    return rewritten(inputs, outputs, [("fusion", fusion.fuse)])


def composites(fgraph):
    return [n for n in fgraph.toposort() if isinstance(n.op, Elemwise) and isinstance(
        n.op.scalar_op, Composite)]


def test_chain_becomes_one_node():
    before, after = fused([x, y], [T.tanh(T.exp(x) * y + x) - y])
    (node,) = after.toposort()
    assert isinstance(node.op.scalar_op, Composite)
    assert [type(step[0]) for step in node.op.scalar_op.program] == [S.Exp, S.Mul, S.Add,
                                                                     S.Tanh, S.Sub]
    assert node.inputs == after.inputs  # each input once, in first-use order
    assert_same_values(before, after, [xv, yv])


def test_scalar_constants_become_literals():
    before, after = fused([x], [x * 2 + 1.5])
    (node,) = after.toposort()
    assert node.inputs == [after.inputs[0]]
    literals = [arg for step in node.op.scalar_op.program for arg in step[1] if arg[0] == "lit"]
    assert sorted(lit[1] for lit in literals) == [1.5, 2]
    assert {lit[2] for lit in literals} == {"int8", "float32"}  # Theano's autocast dtypes
    assert_same_values(before, after, [xv])


def test_array_constants_stay_inputs():
    before, after = fused([x], [T.exp(x) * np.arange(5.0)])
    (node,) = after.toposort()
    assert len(node.inputs) == 2
    assert_same_values(before, after, [xv])


def test_producer_with_outside_clients_becomes_an_extra_output():
    """Multi-output fusion: exp(x) is computed once, in the loop that also computes
    exp(x) * 2 + 1, and handed to its other clients as a second output."""
    shared = T.exp(x)
    before, after = fused([x], [shared * 2 + 1, T.sum(shared), shared])
    groups = composites(after)
    programs = [step[0] for g in groups for step in g.op.scalar_op.program]
    assert sum(isinstance(op, S.Exp) for op in programs) == 1
    assert not [n for n in after.toposort() if isinstance(n.op, Elemwise) and
                isinstance(n.op.scalar_op, S.Exp)]
    assert any(len(g.outputs) == 2 for g in groups)
    assert_same_values(before, after, [xv])


def test_single_node_without_literals_is_left_alone():
    _, after = fused([x, y], [x + y])
    (node,) = after.toposort()
    assert isinstance(node.op.scalar_op, S.Add)


def test_broadcast_patterns_preserved():
    """The row's exp runs once per row element, not once per matrix element."""
    out = m * T.exp(r) + c
    before, after = fused([m, r, c], [out])
    assert after.outputs[0].type == before.outputs[0].type
    exp_nodes = [n for n in after.toposort() if isinstance(n.op, Elemwise) and
                 isinstance(n.op.scalar_op, S.Exp)]
    assert len(exp_nodes) == 1 and exp_nodes[0].outputs[0].broadcastable == (True, False)
    (group,) = composites(after)
    assert group.outputs[0].broadcastable == (False, False)
    assert_same_values(before, after, [mv, rv, cv])


def test_broadcast_row_output_type_kept():
    before, after = fused([r], [T.exp(r) * 2 - r])
    assert after.outputs[0].type == before.outputs[0].type == r.type
    assert_same_values(before, after, [rv])


def test_mixed_dtypes_and_comparisons():
    i = T.ivector("i")
    out = T.switch(T.gt(x, 0), T.cast(i, "float64") * x, -x)
    before, after = fused([x, i], [out])
    assert len(after.toposort()) == 1
    assert_same_values(before, after, [xv, np.arange(5, dtype="int32")])


def test_boolean_and_integer_results_fuse():
    i = T.ivector("i")
    out = T.and_(T.gt(i * 3, 4), T.lt(i, 4))
    before, after = fused([i], [out])
    assert len(after.toposort()) == 1
    assert after.outputs[0].dtype == "bool"
    assert_same_values(before, after, [np.arange(-2, 6, dtype="int32")])


def test_shared_producer_is_computed_once():
    a = T.exp(x) + 1
    before, after = fused([x], [a * 2, a * 3])
    programs = [step[0] for g in composites(after) for step in g.op.scalar_op.program]
    assert sum(isinstance(op, S.Exp) for op in programs) == 1
    assert_same_values(before, after, [xv])


def test_fusion_is_idempotent():
    _, after = fused([x, y], [T.exp(x) * y + 1])
    nodes = after.toposort()
    assert fusion.fuse(after) == 0
    assert after.toposort() == nodes


def test_fused_composite_feeds_later_fusion():
    """A composite from an earlier fusion is inlined into a larger one."""
    before = FunctionGraph([x, y], [T.exp(x) * 2])
    after, _ = before.clone()
    fusion.fuse(after)
    assert len(after.toposort()) == 1
    outer = FunctionGraph(after.inputs, [after.outputs[0] + after.inputs[1]], clone=False)
    fusion.fuse(outer)
    (node,) = outer.toposort()
    assert [type(step[0]) for step in node.op.scalar_op.program] == [S.Exp, S.Mul, S.Add]
    np.testing.assert_allclose(evaluate(outer, [xv, yv])[0], np.exp(xv) * 2 + yv)


def test_long_chain_fuses_quickly():
    """A chain longer than MAX_FUSED_NODES becomes several loops, in linear time."""
    out = x
    for k in range(300):
        out = T.tanh(out) * 1.01 + (k % 3)
    before = FunctionGraph([x], [out])
    after, _ = before.clone()
    start = time.perf_counter()
    fusion.fuse(after)
    assert time.perf_counter() - start < 2.0
    # 900 nodes, cut into loops of at most MAX_FUSED_NODES
    assert len(after.toposort()) == math.ceil(900 / fusion.MAX_FUSED_NODES)
    assert_same_values(before, after, [xv])


def test_full_pipeline_fuses_a_training_step():
    w, b = T.dvector("w"), T.dscalar("b")
    p_1 = 1 / (1 + T.exp(-T.dot(m, w) - b))
    target = T.dvector("target")
    xent = -target * T.log(p_1) - (1 - target) * T.log(1 - p_1)
    gw, gb = T.grad(xent.mean() + 0.01 * (w ** 2).sum(), [w, b])
    before, after = rewritten([m, target, w, b], [xent, w - 0.1 * gw, b - 0.1 * gb])
    values = [mv, np.array([0.0, 1.0, 1.0]), RNG.normal(size=4), np.float64(0.2)]
    assert_same_values(before, after, values, rtol=1e-10)
    elementwise = [n for n in after.toposort() if isinstance(n.op, Elemwise)]
    assert len(elementwise) < 10
    assert len(after.toposort()) < len(before.toposort()) / 2
