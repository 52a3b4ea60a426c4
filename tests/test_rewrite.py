"""The rewrite engine and the canonicalize rules: each identity is checked for its structure
after ``optimize`` and for the value of the graph before and after."""

import importlib

import numpy as np
import pytest

import arignote.tensor as T
from arignote.compiler.evaluate import GraphEvaluator
from arignote.compiler.graph import FunctionGraph
from arignote.compiler.ops import scalar as S
from arignote.compiler.ops.composite import Composite
from arignote.compiler.ops.elemwise import DimShuffle, Elemwise
from arignote.compiler.rewrite import engine, merge, rules
from arignote.compiler.rewrite.engine import ONE, Rule, RuleSet, apply_rules, fit_type
from arignote.compiler.rewrite.pipeline import PASSES, optimize
from arignote.configparser import config

SH = importlib.import_module("arignote.compiler.ops.shape")
RNG = np.random.default_rng(0)
NO_FUSION = [p for p in PASSES if not p[0].startswith("fusion")]


def rewritten(inputs, outputs, passes=None):
    """``(before, after)``: the FunctionGraph of ``outputs`` and an optimized copy."""
    before = FunctionGraph(inputs, outputs if isinstance(outputs, list) else [outputs])
    after, _ = before.clone()
    optimize(after, passes)
    return before, after


def evaluate(fgraph, values):
    return GraphEvaluator(fgraph)(values)


def assert_same_values(before, after, values, rtol=1e-7, atol=1e-12):
    """The outputs agree where the graph before gives a finite value (NaN-aware)."""
    for reference, result in zip(evaluate(before, values), evaluate(after, values)):
        reference, result = np.asarray(reference), np.asarray(result)
        assert result.shape == reference.shape
        assert result.dtype == reference.dtype
        if reference.dtype.kind != "f":
            np.testing.assert_array_equal(result, reference)
            continue
        finite = np.isfinite(reference)
        np.testing.assert_allclose(result[finite], reference[finite], rtol=rtol, atol=atol)


def scalar_ops(fgraph):
    """The scalar op classes computed by ``fgraph`` (inside fused composites too)."""
    found = []
    for node in fgraph.toposort():
        if isinstance(node.op, Elemwise):
            if isinstance(node.op.scalar_op, Composite):
                found.extend(type(step[0]) for step in node.op.scalar_op.program)
            else:
                found.append(type(node.op.scalar_op))
    return found


def op_types(fgraph):
    return [type(node.op) for node in fgraph.toposort()]


def check(inputs, output, values, passes=NO_FUSION):
    """Optimize, compare the values, and return the optimized graph."""
    before, after = rewritten(inputs, output, passes)
    assert_same_values(before, after, values)
    return after


x, y = T.dvectors("x", "y")
m = T.dmatrix("m")
xv = RNG.uniform(0.5, 2.0, 5)
yv = RNG.uniform(0.5, 2.0, 5)
mv = RNG.uniform(-1.0, 1.0, (3, 4))


# ----------------------------------------------------------------------- identities
@pytest.mark.parametrize("build", [
    lambda x: x * 1, lambda x: 1 * x, lambda x: x + 0, lambda x: 0 + x, lambda x: x - 0,
    lambda x: x / 1, lambda x: T.neg(-x), lambda x: x ** 1,
])
def test_identity_disappears(build):
    after = check([x], build(x), [xv])
    assert after.outputs[0] is after.inputs[0]


@pytest.mark.parametrize("build, value", [
    (lambda x: x - x, 0.0), (lambda x: x / x, 1.0), (lambda x: x ** 0, 1.0),
])
def test_self_cancelling_becomes_constant_fill(build, value):
    after = check([x], build(x), [xv])
    assert S.Sub not in scalar_ops(after) and S.TrueDiv not in scalar_ops(after)
    assert S.Pow not in scalar_ops(after)
    np.testing.assert_array_equal(evaluate(after, [xv])[0], np.full(5, value))


def test_x_minus_x_keeps_integer_dtype():
    i = T.ivector("i")
    after = check([i], i - i, [np.arange(4, dtype="int32")])
    assert after.outputs[0].dtype == "int32"


def test_integer_division_by_self_is_left_alone():
    i = T.ivector("i")
    after = check([i], i // i, [np.arange(1, 4, dtype="int32")])
    assert S.IntDiv in scalar_ops(after)


@pytest.mark.parametrize("exponent, scalar_class", [
    (2, S.Sqr), (0.5, S.Sqrt), (-1, S.Reciprocal),
])
def test_pow_by_constant_specialized(exponent, scalar_class):
    after = check([x], x ** exponent, [xv])
    assert scalar_ops(after) == [scalar_class]


def test_pow_two_squares_in_the_output_dtype():
    b = T.bvector("b")
    before, after = rewritten([b], b ** 2.0, NO_FUSION)
    values = [np.array([100, -100, 3], dtype="int8")]
    assert after.outputs[0].dtype == before.outputs[0].dtype
    np.testing.assert_array_equal(evaluate(after, values)[0], [10000.0, 10000.0, 9.0])


@pytest.mark.parametrize("build", [
    lambda x: -x * -y, lambda x: -x / -y, lambda x: x + -y, lambda x: x - -y,
    lambda x: -x - y, lambda x: 0 - x, lambda x: x * -1, lambda x: -(x * 3),
])
def test_negations_simplify(build):
    after = check([x, y], build(x), [xv, yv])
    assert scalar_ops(after).count(S.Neg) <= 1
    assert len(scalar_ops(after)) <= 2


def test_constant_scalings_merge():
    after = check([x], (x * 2) * 3, [xv])
    assert scalar_ops(after) == [S.Mul]
    (node,) = after.toposort()
    constant = next(v for v in node.inputs if v is not after.inputs[0])
    assert float(engine.constant_value(constant).reshape(())) == 6.0


def test_constant_scalings_merge_through_division_by_power_of_two():
    after = check([x], (x * 3) / 4, [xv])
    assert scalar_ops(after) == [S.Mul]


def test_inexact_constant_scalings_stay():
    """(x * 3) * 3 rounds twice; x * 9 once: they may differ in the last bit."""
    after = check([x], (x * 3) * 3, [xv])
    assert scalar_ops(after) == [S.Mul, S.Mul]
    after = check([x], (x + 1) + 2, [xv])
    assert scalar_ops(after) == [S.Add, S.Add]


def test_integer_constant_offsets_merge():
    i = T.bvector("i")
    values = [np.array([120, -128, 5], dtype="int8")]
    after = check([i], (i + 100) + 100, values)
    assert scalar_ops(after) == [S.Add]


def test_division_by_non_power_of_two_stays():
    after = check([x], x / 3, [xv])
    assert scalar_ops(after) == [S.TrueDiv]


# ----------------------------------------------------------------------- products
def test_product_cancels_division():
    after = check([x, y], (x / y) * y, [xv, yv])
    assert after.outputs[0] is after.inputs[0]


def test_product_cancels_reciprocal_inside_a_longer_product():
    z = T.dvector("z")
    after = check([x, y, z], x * T.reciprocal(y) * z * y, [xv, yv, xv + 1])
    assert S.Reciprocal not in scalar_ops(after) and S.TrueDiv not in scalar_ops(after)


def test_product_distributes_over_a_sum_when_that_cancels():
    z = T.dvector("z")
    after = check([x, y, z], (x / y + z) * y, [xv, yv, xv + 1])
    assert S.TrueDiv not in scalar_ops(after)


def test_product_keeps_the_shape_giving_factor():
    r = T.drow("r")
    before, after = rewritten([r, m], (r / m) * m, NO_FUSION)
    assert after.outputs[0].type == before.outputs[0].type
    assert_same_values(before, after, [mv[:1] + 2, mv + 2])


# ----------------------------------------------------------------------- shapes
def test_dimshuffles_merge():
    after = check([m], m.T.dimshuffle(1, "x", 0), [mv])
    assert op_types(after) == [DimShuffle]
    assert after.toposort()[0].op.new_order == (0, "x", 1)


def test_double_transpose_disappears():
    after = check([m], m.T.T, [mv])
    assert after.outputs[0] is after.inputs[0]


def test_reshapes_merge():
    after = check([m], m.reshape((12,)).reshape((2, 6)), [mv])
    assert op_types(after) == [SH.Reshape]


def test_shape_of_computed_value_does_not_compute_it():
    after = check([m], T.exp(m).shape, [mv])
    assert S.Exp not in scalar_ops(after)
    np.testing.assert_array_equal(evaluate(after, [mv])[0], [3, 4])


def test_shape_i_lifts_through_dot_and_reductions():
    n = T.dmatrix("n")
    out = T.sum(T.dot(T.exp(m), n), axis=0).shape[0]
    after = check([m, n], out, [mv, RNG.uniform(size=(4, 6))])
    assert op_types(after) == [SH.ShapeI]
    assert after.toposort()[0].inputs[0] is after.inputs[1]


def test_alloc_of_its_own_shape_disappears():
    after = check([m], T.alloc(m, m.shape[0], m.shape[1]), [mv])
    assert after.outputs[0] is after.inputs[0]


def test_alloc_feeding_elemwise_becomes_broadcast_scalar():
    """The gradient of mean(): Alloc(gz / n, n) multiplied into a vector."""
    s = T.dscalar("s")
    out = T.alloc(s, x.shape[0]) * T.exp(x)
    after = check([x, s], out, [xv, np.float64(1.5)])
    assert SH.Alloc not in op_types(after)


def test_alloc_with_unproven_length_stays():
    s = T.dscalar("s")
    out = T.alloc(s, y.shape[0]) * x
    _, after = rewritten([x, y, s], out, NO_FUSION)
    assert SH.Alloc in op_types(after)
    with pytest.raises(ValueError):
        evaluate(after, [xv, yv[:3], np.float64(1.0)])


def test_elementwise_of_alloc_moves_inside():
    s = T.dscalar("s")
    out = T.exp(T.alloc(s, x.shape[0]) * 2) * x
    after = check([x, s], out, [xv, np.float64(0.5)])
    assert SH.Alloc not in op_types(after)


def test_mean_gradient_has_no_alloc():
    cost = T.mean(T.tanh(T.dot(m, x))) + 0.01 * (x ** 2).sum()
    gx = T.grad(cost, x)
    after = check([m, x], gx, [mv, RNG.uniform(size=4)])
    assert SH.Alloc not in op_types(after)


# ----------------------------------------------------------------------- merge and folding
def test_merge_shares_equal_nodes():
    after = check([x], T.exp(x) + T.exp(x), [xv], passes=[("merge", merge.merge)])
    assert scalar_ops(after).count(S.Exp) == 1


def test_constant_fold():
    c = T.constant(np.arange(3.0))
    after = check([x], x[:3] + T.exp(c) * 2, [xv], passes=[("fold", merge.constant_fold)])
    assert S.Exp not in scalar_ops(after)


# ----------------------------------------------------------------------- the engine
def test_pattern_matching_backtracks_over_commutative_arguments():
    """(Mul, (Add, 'a', 'b'), 'a') must find a on either side of the addition."""
    fired = []
    ruleset = RuleSet("test", [Rule("probe", (S.Mul, (S.Add, "a", "b"), "a"),
                                    lambda a, b: fired.append((a, b)))])
    fgraph = FunctionGraph([x, y], [(y + x) * x], clone=False)
    apply_rules(fgraph, ruleset)
    assert fired == [(x, y)]


def test_builder_declining_tries_the_next_binding():
    ruleset = RuleSet("test", [Rule("second", (S.Mul, "a", "b"),
                                    lambda a, b: a if a is y else None)])
    fgraph = FunctionGraph([x, y], [x * y], clone=False)
    apply_rules(fgraph, ruleset)
    assert fgraph.outputs[0] is y


def test_candidates_follow_the_root_class():
    ruleset = RuleSet("test", [Rule("a", (S.Mul, "x", ONE), lambda x: x),
                               Rule("b", (S.Add, "x", ONE), lambda x: x)])
    node = (x * 2).owner
    assert [r.name for r in ruleset.candidates(node)] == ["a"]


def test_fit_type_casts_and_declines_wider_broadcasting():
    r = T.drow("r")
    assert fit_type(T.ivector(), x).type == x.type
    assert fit_type(r, m) is None
    assert fit_type(m, r).type == r.type


def test_rule_building_a_cycle_is_refused():
    ruleset = RuleSet("test", [Rule("cycle", (S.Exp, "a"), lambda a, node: node.outputs[0]
                                    + 0)])
    fgraph = FunctionGraph([x], [T.exp(x)], clone=False)
    assert apply_rules(fgraph, ruleset) == 0


def test_rules_keep_output_types():
    """Every rule's replacement has exactly the type of what it replaces."""
    f = T.fvector("f")
    graphs = [f * 1.0, f ** 2, T.log(1 + f), (f * 2) * 3, f - f, T.cast(f, "float64") * 1]
    for out in graphs:
        before, after = rewritten([f], out)
        assert after.outputs[0].type == before.outputs[0].type


def test_every_rule_has_a_unique_name():
    names = [r.name for r in list(rules.CANONICALIZE) + list(rules.STABILIZE)]
    assert len(names) == len(set(names))


def test_trace_rewrites_prints_each_firing(capsys, monkeypatch):
    monkeypatch.setattr(config, "trace_rewrites", True)
    out = T.log(T.nnet.sigmoid(x)) * 1
    rewritten([x], out)
    err = capsys.readouterr().err
    assert "rewrite canonicalize/mul_by_one: mul(log(sigmoid(x)), [1]) -> log(sigmoid(x))" in err
    assert "rewrite stabilize/log_sigmoid: log(sigmoid(x)) -> neg(softplus(neg(x)))" in err
    assert "test_rewrite.py:" in err
    assert "pass stabilize: 1 changes" in err


def test_trace_rewrites_off_prints_nothing(capsys):
    assert not config.trace_rewrites
    rewritten([x], T.log(T.nnet.sigmoid(x)) * 1)
    assert capsys.readouterr().err == ""


def test_index_of_shape_and_of_shape_vector():
    after = check([m], T.cast(m.shape[-1], "float64") * T.exp(m).shape[0], [mv])
    assert op_types(after).count(SH.ShapeI) == 2
    assert SH.Shape not in op_types(after) and S.Exp not in scalar_ops(after)


@pytest.mark.parametrize("source, middle, target, merged", [
    ("int32", "float64", "int64", True), ("int64", "float64", "int32", False),
    ("float32", "float64", "float32", True), ("float64", "float32", "float64", False),
    ("int16", "float32", "float64", True), ("int32", "float32", "float64", False),
    ("uint8", "int16", "float32", True), ("bool", "int8", "float64", True),
    ("float32", "int64", "float64", False), ("int8", "uint8", "int16", False),
])
def test_cast_of_cast(source, middle, target, merged):
    """Two casts merge only where the middle dtype holds every value exactly."""
    v = T.vector("v", dtype=source)
    values = np.array([0, 1, 100, 127] + ([2 ** 24 + 1] if source == "int32" else []))
    before, after = rewritten([v], T.cast(T.cast(v, middle), target), NO_FUSION)
    assert len(after.toposort()) == (int(source != target) if merged else 2)
    assert_same_values(before, after, [values.astype(source)])
    if source == "int64":
        big = np.array([2 ** 62 + 1], dtype="int64")
        assert_same_values(before, after, [big])


def _rule_coverage_graphs():
    i = T.ivector("i")
    s = T.dscalar("s")
    identity = DimShuffle(m.broadcastable, (0, 1))(m)
    return [
        ([x], x * 1), ([x], x + 0), ([x], x - 0), ([x], 0 - x), ([x], x - x),
        ([x], T.neg(-x)), ([x], x * -1), ([x, y], -x * -y), ([x, y], -x / -y),
        ([x, y], x + -y), ([x, y], x - -y), ([x], x / 1), ([x], x / x), ([x, y], -x - y),
        ([x], x ** 2), ([x], x ** 0.5), ([x], x ** -1), ([x], x ** 1), ([x], x ** 0),
        ([x], (x * 2) * 3), ([i], (i + 1) + 2), ([x], x / 4), ([x], -(x * 3)),
        ([s, x], T.fill(s, x) * 2),
        ([x, y], (x / y) * y), ([m], m.T.dimshuffle(1, "x", 0)), ([m], identity * 2),
        ([m], m.reshape((12,)).reshape((2, 6))), ([m], T.exp(m).shape),
        ([m], m.shape[0]), ([m], T.exp(m).shape[1]), ([m], SH.shape_i(T.exp(m), 0)),
        ([m], T.alloc(m, m.shape[0], m.shape[1])), ([x, s], T.alloc(s, x.shape[0]) * x),
        ([x, s], T.exp(T.alloc(s, x.shape[0]) * 2) * x),
        ([x], T.exp(T.cast(x.dimshuffle("x", 0).shape[0], "float64")) + x),
        ([x], T.log(1 + x)), ([x], T.log(1 - x)), ([x], T.exp(x) - 1),
        ([x], 1 / (1 + T.exp(-x))), ([x], 1 / (1 + T.exp(x))),
        ([x], T.reciprocal(1 + T.exp(-x))), ([x], T.exp(x) / (1 + T.exp(x))),
        ([x], 1 - T.nnet.sigmoid(x)), ([x], T.log(T.nnet.sigmoid(x))),
        ([x], T.log(1 - T.nnet.sigmoid(x))), ([x], T.log1p(-T.nnet.sigmoid(x))),
        ([x], T.log(1 + T.exp(x))), ([x], T.log1p(T.exp(x))), ([x], T.log(T.exp(x))),
        ([m], T.exp(m) / T.sum(T.exp(m), axis=1, keepdims=True)),
        ([m], T.log(T.nnet.softmax(m))), ([m], T.log(T.nnet.softmax(m)[0])),
        ([m], T.log(T.sum(T.exp(m), axis=1))), ([x], T.cast(T.cast(x, "float32") * 1, "int8")),
        ([i], T.cast(T.cast(i, "float64"), "int64")),
        ([m], T.dot(m.T, T.exp(m)).T * 2), ([m], m[m > 0] * 2),
        ([m], T.grad(T.nnet.softmax(m[0])[0].sum() + (T.exp(m)[1:2][0] ** 2).sum(), m)),
    ]


def test_every_rule_fires_and_keeps_values(capsys, monkeypatch):
    """Each rule, run alone in its rule set, fires on some graph, and values agree."""
    monkeypatch.setattr(config, "trace_rewrites", True)
    values = {x: xv, y: yv, m: mv}
    fired = set()
    for inputs, output in _rule_coverage_graphs():
        args = [values.get(v, np.arange(1, 6, dtype=v.dtype) if v.ndim else
                           np.asarray(0.5, dtype=v.dtype)) for v in inputs]
        for ruleset in (rules.CANONICALIZE, rules.STABILIZE):
            before = FunctionGraph(inputs, [output])
            after, _ = before.clone()
            apply_rules(after, ruleset)
            assert_same_values(before, after, args)
    for line in capsys.readouterr().err.splitlines():
        if line.startswith("rewrite "):
            fired.add(line.split()[1].rstrip(":"))
    expected = {f"{ruleset.name}/{rule.name}" for ruleset in (rules.CANONICALIZE,
                                                               rules.STABILIZE)
                for rule in ruleset}
    assert expected - fired == set()
