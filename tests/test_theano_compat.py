"""Theano 1.0 behaviours that real programs rely on (the compatibility issue's gaps)."""

import numpy as np
import pytest

import arignote
import arignote.tensor as T


def test_variables_are_true_so_if_not_w_tests_for_none():
    W = arignote.shared(np.zeros(3))
    assert bool(W) and bool(T.dmatrix()) and bool(T.constant(0.0))
    assert not (not W)


@pytest.mark.parametrize("compare", [lambda a, b: a < b, lambda a, b: a <= b,
                                     lambda a, b: a > b, lambda a, b: a >= b])
def test_comparisons_have_no_truth_value(compare):
    a, b = T.dscalars("a", "b")
    with pytest.raises(TypeError, match="no truth value"):
        bool(compare(a, b))
    with pytest.raises(TypeError):
        a < b < 3  # noqa: B015


def test_prefixed_constructors_are_tensor_types():
    x = T.dscalar("x")
    assert x.type == T.dscalar
    assert T.TensorType("float64", (False,)) == T.dvector
    assert isinstance(T.fmatrix, T.TensorType) and T.fmatrix("m").dtype == "float32"
    assert T.imatrix(name="q").name == "q"


def test_plurals_split_a_string_into_letters():
    assert [v.name for v in T.scalars("xys")] == ["x", "y", "s"]
    assert [v.name for v in T.matrices("abcd")] == ["a", "b", "c", "d"]
    assert [v.name for v in T.dvectors("a", "b")] == ["a", "b"]
    single = T.dscalars("x")
    assert single.name == "x" and single.type == T.dscalar
    assert len(T.ivectors(3)) == 3


def test_disconnected_gradient_keeps_its_input():
    x, y = T.dscalars("x", "y")
    cost = x ** 2
    g_y = T.grad(cost, y, disconnected_inputs="ignore")
    f = arignote.function([x, y], [cost, g_y])
    assert [float(v) for v in f(3.0, 2.0)] == [9.0, 0.0]
    assert float(arignote.function([y], g_y)(5.0)) == 0.0


def test_fill_of_a_scalar_model_broadcasts_the_value():
    x = T.dscalar("x")
    np.testing.assert_array_equal(T.fill(x, np.ones(3)).eval({x: 1.0}), np.ones(3))
    assert int(arignote.function([x], T.fill(x, 5))(3.0)) == 5


def test_iterating_a_symbolic_shape():
    x = T.tensor3()
    a, b, c = x.shape
    f = arignote.function([x], [a, b, c])
    assert [int(v) for v in f(np.zeros((2, 3, 4)))] == [2, 3, 4]
    assert len(tuple(x.shape[1:])) == 2
    assert T.get_vector_length(T.stack([a, b])) == 2
    with pytest.raises(ValueError, match="run time"):
        T.get_vector_length(T.dvector())
    with pytest.raises(TypeError, match="unknown length"):
        tuple(T.dvector())
    with pytest.raises(TypeError):
        iter(T.dscalar())


def test_missing_names_of_theano_are_there():
    import arignote.theano as hook
    hook.install()
    try:
        import theano
        import theano.gof
        import theano.scalar
        import theano.tensor as TT
        from theano.gof import graph
        from theano.scalar.basic import Add
        from theano.tensor.elemwise import DimShuffle, Elemwise
        from theano.tensor.utils import hash_from_ndarray
        x = TT.dvector("x")
        assert theano.dot is TT.dot and isinstance(x, theano.Variable)
        assert isinstance(x, theano.gof.Variable) and graph.inputs([x * 2])[0] is x
        assert theano.scalar.upcast("int8", "float32") == "float32"
        y = Elemwise(Add())(x, x)
        assert isinstance(y.owner.op, TT.Elemwise)
        assert DimShuffle((False,), ("x", 0))(x).broadcastable == (True, False)
        assert TT.sharedvar.SharedVariable is theano.compile.SharedVariable
        assert len(hash_from_ndarray(np.ones(2))) == 64
    finally:
        hook.uninstall()


def test_mgrid_and_ogrid_match_numpy():
    a, b = T.mgrid[0:3, 1:7:2]
    ref_a, ref_b = np.mgrid[0:3, 1:7:2]
    np.testing.assert_array_equal(a.eval(), ref_a)
    np.testing.assert_array_equal(b.eval(), ref_b)
    n = T.lscalar("n")
    rows, cols = T.ogrid[0:n, 0:2]
    f = arignote.function([n], [rows, cols])
    got = f(4)
    for value, ref in zip(got, np.ogrid[0:4, 0:2]):
        np.testing.assert_array_equal(value, ref)
    np.testing.assert_allclose(T.mgrid[-1:1:5j][0].eval(), np.mgrid[-1:1:5j])
    with pytest.raises(TypeError, match="slices"):
        T.mgrid[3]


def test_test_values_find_shape_errors_where_the_graph_is_built(monkeypatch):
    monkeypatch.setattr(arignote.config, "compute_test_value", "raise")
    x = T.dmatrix("x")
    x.tag.test_value = np.ones((3, 4))
    W = arignote.shared(np.ones((4, 2)), name="W")
    h = T.tanh(T.dot(x, W))
    assert h.tag.test_value.shape == (3, 2)
    out, _ = arignote.scan(lambda row: row * 2, sequences=h)
    assert out.tag.test_value.shape == (3, 2)
    with pytest.raises(ValueError, match="test value"):
        T.dot(h, np.ones((3, 3)))
    y = T.dvector("y")
    with pytest.raises(ValueError, match="has no test value"):
        y + 1
    monkeypatch.setattr(arignote.config, "compute_test_value", "warn")
    with pytest.warns(UserWarning, match="has no test value"):
        y * 2


def test_print_test_value(monkeypatch):
    monkeypatch.setattr(arignote.config, "print_test_value", True)
    x = T.dvector("x")
    x.tag.test_value = np.arange(2.0)
    assert repr(x) == "x\narray([0., 1.])"


def test_theano_config_sections():
    config = arignote.config
    config.warn.round = True
    assert config.warn.round is True
    del config.warn.round
    assert config.warn.round is False
    from arignote.configparser import Config
    parsed = Config({"THEANO_FLAGS": "warn.sum_div_dimshuffle_bug=False,NanGuardMode.inf_is_error=0"
                                     ",gcc.cxxflags=-O2,lib.cnmem=0.5"})
    assert parsed.NanGuardMode.inf_is_error is False and parsed.lib.cnmem == 0.5
    with pytest.raises(AttributeError, match="section"):
        config.warn = None
    with pytest.raises(AttributeError, match="no option"):
        config.warn.no_such_warning = True


def test_nanguardmode_takes_its_defaults_from_config(monkeypatch):
    monkeypatch.setattr(arignote.config.NanGuardMode, "big_is_error", False)
    mode = arignote.compile.NanGuardMode()
    assert mode.big_is_error is False and mode.nan_is_error is True


def test_legacy_input_forms():
    x, w = T.dscalars("x", "w")
    accumulate = arignote.function([x, ((w, w + x), 0.0)], w * 2)
    assert [float(accumulate(v)) for v in (1.0, 2.0, 3.0)] == [0.0, 2.0, 6.0]
    with_default = arignote.function([x, (w, 5.0)], x + w)
    assert float(with_default(1.0)) == 6.0 and float(with_default(1.0, 2.0)) == 3.0
    named = arignote.function([x, ("ww", w, 7.0)], x + w)
    assert float(named(1.0)) == 8.0 and float(named(1.0, ww=1.0)) == 2.0
    with pytest.raises(TypeError, match="input forms"):
        arignote.function([x, (w, 1.0, 2.0)], x + w)
    with pytest.raises(TypeError, match="must be a value"):
        arignote.function([x, (w, x)], x + w)


@pytest.mark.parametrize("x_dtype, y_dtype, x_ndim, y_ndim", [
    ("float32", "float64", 2, 2), ("float64", "float32", 2, 1), ("int64", "float32", 1, 2),
    ("float32", "int32", 2, 2), ("int8", "float64", 1, 1), ("float32", "float64", 1, 1)])
def test_dot_of_mixed_dtypes_runs_in_c_and_matches_numpy(x_dtype, y_dtype, x_ndim, y_ndim):
    from arignote.compiler.ops.blas import Dot
    x = T.TensorType(x_dtype, (False,) * x_ndim)("x")
    y = T.TensorType(y_dtype, (False,) * y_ndim)("y")
    f = arignote.function([x, y], T.dot(x, y))
    if f.maker.native is None:
        pytest.skip("no C compiler: the function runs on the reference backend")
    plan = f.maker.native.plan
    assert not plan.fallback_nodes, f"{plan.fallback_nodes} run through perform"
    assert any(type(n.op).__name__ in ("Dot", "Gemm") and n.inputs[0].dtype == n.inputs[1].dtype
               for n in f.maker.fgraph.apply_nodes)
    assert not any(isinstance(n.op, Dot) and n.inputs[0].dtype != n.inputs[1].dtype
                   for n in f.maker.fgraph.apply_nodes)
    rng = np.random.default_rng(3)
    a = (rng.random((4, 5)[2 - x_ndim:]) * 10).astype(x_dtype)
    b = (rng.random((5, 3)[:y_ndim]) * 10).astype(y_dtype)
    result, expected = f(a, b), np.dot(a, b)
    assert result.dtype == expected.dtype
    np.testing.assert_allclose(result, expected, rtol=1e-5 if result.dtype == "float32" else 1e-12)


def test_mixed_dtype_mlp_step_has_no_python_node():
    x = T.fmatrix("x")
    w = arignote.shared(np.full((6, 4), 0.1), name="w")
    cost = T.sum(T.tanh(T.dot(x, w)) ** 2)
    step = arignote.function([x], cost, updates=[(w, w - 0.1 * T.grad(cost, w))])
    if step.maker.native is None:
        pytest.skip("no C compiler: the function runs on the reference backend")
    assert step.maker.native.plan.fallback_nodes == []
    data = np.arange(12, dtype="float32").reshape(2, 6) / 12
    w0 = w.get_value()
    expected = np.sum(np.tanh(data.astype("float64") @ w0) ** 2)
    np.testing.assert_allclose(step(data), expected, rtol=1e-12)
    grad = data.T.astype("float64") @ (2 * np.tanh(data @ w0) * (1 - np.tanh(data @ w0) ** 2))
    np.testing.assert_allclose(w.get_value(), w0 - 0.1 * grad, rtol=1e-10)


def test_monitormode_calls_pre_and_post_func_around_each_node():
    from arignote.compile import MonitorMode
    x = T.dvector("x")
    calls = []

    def pre(i, node, fn):
        calls.append(("pre", i, [cell[0].tolist() for cell in fn.inputs],
                      [cell[0] for cell in fn.outputs]))

    def post(i, node, fn):
        calls.append(("post", i, node, [cell[0].tolist() for cell in fn.outputs]))

    f = arignote.function([x], T.exp(x) * 2,
                          mode=arignote.compile.MonitorMode(pre_func=pre, post_func=post))
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), [2.0, 2 * np.e])
    nodes = f.maker.fgraph.toposort()
    assert len(calls) == 2 * len(nodes) >= 4
    assert [c[:2] for c in calls] == [(k, i) for i in range(len(nodes)) for k in ("pre", "post")]
    assert [c[2] for c in calls if c[0] == "post"] == nodes
    assert calls[0] == ("pre", 0, [[0.0, 1.0]], [None])
    assert calls[1][3] == [[1.0, float(np.e)]]
    assert calls[-1][3] == [[2.0, 2 * float(np.e)]]
    with pytest.raises(ValueError, match="own linker"):
        MonitorMode(linker="c")


def test_monitormode_detect_nan_names_the_node(capsys):
    from arignote.compile.monitormode import MonitorMode, detect_nan
    x = T.dvector("x")
    f = arignote.function([x], T.sqrt(x), mode=MonitorMode(post_func=detect_nan))
    with np.errstate(invalid="ignore"):
        f(np.array([4.0]))
        assert capsys.readouterr().out == ""
        f(np.array([-1.0, 4.0]))
    out = capsys.readouterr().out
    assert out.startswith("*** NaN detected ***\nElemwise{sqrt,no_inplace} [id A] ''\n")
    assert "Outputs: [array([nan,  2.])]" in out


def test_nnet_nnet_submodule_under_the_import_hook():
    import arignote.theano as hook
    hook.install()
    try:
        import theano.tensor.nnet.nnet as theano_nnet
        from theano.tensor.nnet.nnet import softmax, softsign
    finally:
        hook.uninstall()
    assert softsign is T.nnet.softsign and softmax is T.nnet.softmax
    assert theano_nnet.sigmoid is T.nnet.sigmoid and T.nnet.nnet is theano_nnet
    x = T.dmatrix("x")
    np.testing.assert_allclose(theano_nnet.prepend_1_to_each_row(x).eval({x: np.zeros((2, 1))}),
                               [[1.0, 0.0], [1.0, 0.0]])


def test_reshape_to_stacked_scalars_marks_constant_ones_broadcastable():
    x = T.dvector("x")
    n = T.iscalar("n")
    for shape in ([1, n], [T.constant(1), x.shape[0]], [1, x.shape[0]]):
        y = T.reshape(x, T.stack(shape))
        assert y.broadcastable == (True, False) == T.reshape(x, tuple(shape)).broadcastable
    assert T.reshape(x, T.stack([x.shape[0], 1])).broadcastable == (False, True)
    assert x.reshape(T.stack([1, 1, -1]), ndim=3).broadcastable == (True, True, False)
    y = T.reshape(x, T.stack([1, n])) + T.dmatrix("m")  # broadcasts along the first axis
    value = y.eval({x: np.arange(3.0), n: 3, y.owner.inputs[1]: np.ones((2, 3))})
    np.testing.assert_allclose(value, [[1.0, 2.0, 3.0]] * 2)


def test_compiled_function_outputs_are_theanos():
    x = T.dscalar("x")
    f = arignote.function([x], [x * 2, arignote.Out(x + 1, borrow=True)])
    assert f.outputs is f.maker.outputs and len(f.outputs) == 2
    assert f.outputs[0].variable is f.maker.outputs[0].variable
    assert [o.borrow for o in f.outputs] == [False, True]
    assert f.copy().outputs[1].borrow
