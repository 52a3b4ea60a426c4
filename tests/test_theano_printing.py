"""Graphs print as Theano 1.0 prints them: the examples of Theano's documentation (the
"Printing/Drawing Theano graphs" tutorial and the printing library page) give the same text
for the same graph, op by op names match Theano's, and pydotprint draws through Graphviz."""

import shutil

import numpy as np
import pytest

import arignote as theano
import arignote.tensor as T
from arignote import printing
from arignote.printing import constant_text, debugprint, op_name, pp, pydotprint


def _logistic_regression_prediction():
    """The graph of Theano's printing tutorial (its logistic regression example)."""
    x = T.matrix("x")
    w = theano.shared(np.zeros(784, dtype=theano.config.floatX), name="w")
    b = theano.shared(np.asarray(0.0, dtype=theano.config.floatX), name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    return x, p_1 > 0.5


def test_tutorial_debugprint_of_the_graph_as_built():
    _, prediction = _logistic_regression_prediction()
    assert debugprint(prediction, file="str") == (
        "Elemwise{gt,no_inplace} [id A] ''\n"
        " |Elemwise{true_div,no_inplace} [id B] ''\n"
        " | |InplaceDimShuffle{x} [id C] ''\n"
        " | | |TensorConstant{1} [id D]\n"
        " | |Elemwise{add,no_inplace} [id E] ''\n"
        " |   |InplaceDimShuffle{x} [id F] ''\n"
        " |   | |TensorConstant{1} [id D]\n"
        " |   |Elemwise{exp,no_inplace} [id G] ''\n"
        " |     |Elemwise{sub,no_inplace} [id H] ''\n"
        " |       |Elemwise{neg,no_inplace} [id I] ''\n"
        " |       | |dot [id J] ''\n"
        " |       |   |x [id K]\n"
        " |       |   |w [id L]\n"
        " |       |InplaceDimShuffle{x} [id M] ''\n"
        " |         |b [id N]\n"
        " |InplaceDimShuffle{x} [id O] ''\n"
        "   |TensorConstant{0.5} [id P]\n")


def test_tutorial_pprint_of_the_graph_as_built():
    _, prediction = _logistic_regression_prediction()
    assert theano.printing.pprint(prediction) == (
        "gt((TensorConstant{1} / (TensorConstant{1} + exp(((-(x \\dot w)) - b)))), "
        "TensorConstant{0.5})")


def test_tutorial_compiled_graph_keeps_the_names():
    x, prediction = _logistic_regression_prediction()
    predict = theano.function([x], prediction, name="predict")
    text = debugprint(predict, file="str")
    assert text.startswith("Elemwise{Composite{GT(scalar_sigmoid(")
    assert " |dot [id B] ''   0\n | |x [id C]\n | |w [id D]\n" in text
    assert " |InplaceDimShuffle{x} [id E] ''   1\n   |b [id F]\n" in text


def test_library_page_gradient_after_compilation():
    x = T.dscalar("x")
    gy = T.grad(x ** 2, x)
    f = theano.function([x], gy)
    assert pp(f.maker.fgraph.outputs[0]) == "(TensorConstant{2.0} * x)"
    assert debugprint(f.maker.fgraph.outputs[0], file="str") == (
        "Elemwise{mul,no_inplace} [id A] ''\n"
        " |TensorConstant{2.0} [id B]\n"
        " |x [id C]\n")
    assert debugprint(gy, file="str", depth=2) == (
        "Elemwise{mul,no_inplace} [id A] ''\n"
        " |Elemwise{mul,no_inplace} [id B] ''\n"
        " |Elemwise{pow,no_inplace} [id C] ''\n")


def test_addition_of_matrices():
    x, y = T.matrix("x"), T.matrix("y")
    z = x + y
    assert pp(z) == "(x + y)"
    assert debugprint(z, file="str") == (
        "Elemwise{add,no_inplace} [id A] ''\n |x [id B]\n |y [id C]\n")


def test_debug_faq_debugprint_with_types():
    x, y = T.vector(), T.vector()
    z = x + x
    z = z + y
    vector = "<TensorType(float64, vector)>"
    assert debugprint(z, print_type=True, file="str") == (
        f"Elemwise{{add,no_inplace}} [id A] {vector} ''\n"
        f" |Elemwise{{add,no_inplace}} [id B] {vector} ''\n"
        f" | |{vector} [id C] {vector}\n"
        f" | |{vector} [id C] {vector}\n"
        f" |{vector} [id D] {vector}\n")


def _name(variable):
    node = variable.owner
    return op_name(node.op, node)


x_, y_ = T.dmatrix("x"), T.dmatrix("y")
v_, f_ = T.dvector("v"), T.fmatrix("f")
i_ = T.iscalar("i")


@pytest.mark.parametrize("variable, expected", [
    (x_ * y_, "Elemwise{mul,no_inplace}"), (x_ / y_, "Elemwise{true_div,no_inplace}"),
    (T.imatrix() // 2, "Elemwise{int_div,no_inplace}"), (-x_, "Elemwise{neg,no_inplace}"),
    (x_ - y_, "Elemwise{sub,no_inplace}"), (x_ ** y_, "Elemwise{pow,no_inplace}"),
    (T.sqr(x_), "Elemwise{sqr,no_inplace}"), (T.sqrt(x_), "Elemwise{sqrt,no_inplace}"),
    (T.log(x_), "Elemwise{log,no_inplace}"), (T.tanh(x_), "Elemwise{tanh,no_inplace}"),
    (x_ > y_, "Elemwise{gt,no_inplace}"), (x_ < y_, "Elemwise{lt,no_inplace}"),
    (T.eq(x_, y_), "Elemwise{eq,no_inplace}"), (abs(x_), "Elemwise{abs_,no_inplace}"),
    (T.maximum(x_, y_), "Elemwise{maximum,no_inplace}"),
    (T.switch(x_ > 0, x_, y_), "Elemwise{switch,no_inplace}"),
    (T.cast(x_, "float32"), "Elemwise{Cast{float32}}"), (T.nnet.sigmoid(x_), "sigmoid"),
    (T.nnet.softplus(x_), "softplus"), (x_.T, "InplaceDimShuffle{1,0}"),
    (v_.dimshuffle("x", 0), "InplaceDimShuffle{x,0}"), (x_.shape, "Shape"),
    (x_[0], "Subtensor{int64}"), (x_[1:], "Subtensor{int64::}"),
    (x_[:-1], "Subtensor{:int64:}"), (x_[::2, i_], "Subtensor{::int64, int32}"),
    (T.sum(x_), "Sum{acc_dtype=float64}"), (T.sum(x_, axis=0), "Sum{axis=[0], acc_dtype=float64}"),
    (T.sum(f_), "Sum{acc_dtype=float64}"), (T.prod(x_, axis=1), "Prod{axis=[1], acc_dtype=float64}"),
    (T.dot(x_, y_), "dot"), (T.alloc(0.0, i_, 3), "Alloc"), (v_.reshape((2, 3)), "Reshape{2}"),
    (T.nnet.softmax(x_), "Softmax"), (T.set_subtensor(x_[0], v_), "IncSubtensor{Set;int64}"),
    (T.inc_subtensor(x_[1:], 1.0), "IncSubtensor{Inc;int64::}"),
    (x_[T.ivector()], "AdvancedSubtensor1"), (T.join(0, x_, y_), "Join"),
    (T.stack([i_, i_]), "MakeVector{dtype='int32'}"), (T.arange(T.lscalar()), "ARange{dtype='int64'}"),
    (T.flatten(x_), "Reshape{1}"), (T.cumsum(x_, axis=0), "CumOp{0, add}"),
])
def test_op_names_are_theanos(variable, expected):
    assert _name(variable) == expected


def test_shape_i_and_scan_names():
    from arignote.compiler.ops.shape import shape_i
    assert _name(shape_i(x_, 0)) == "Shape_i{0}"
    result, _ = theano.scan(lambda prior, a: prior * a, outputs_info=T.ones_like(v_),
                            non_sequences=v_, n_steps=3)
    text = debugprint(result, file="str")
    assert "for{cpu,scan_fn}" in text and ">Elemwise{mul,no_inplace}" in text


def test_subtensor_constant_indices_are_children_as_in_theano():
    assert debugprint(x_[1:, 0], file="str") == (
        "Subtensor{int64::, int64} [id A] ''\n"
        " |x [id B]\n"
        " |Constant{1} [id C]\n"
        " |Constant{0} [id D]\n")
    assert debugprint(T.join(1, x_, y_), file="str") == (
        "Join [id A] ''\n |TensorConstant{1} [id B]\n |x [id C]\n |y [id D]\n")


def test_fused_and_inplace_elemwise_names():
    from arignote.compiler.ops.elemwise import Elemwise
    from arignote.compiler.ops.scalar import Add
    f = theano.function([x_, y_], T.exp(x_) * y_ + 1)
    (node,) = [n for n in f.maker.fgraph.apply_nodes if type(n.op).__name__ == "Elemwise"]
    assert op_name(node.op, node) == "Elemwise{Composite{((exp(i0) * i1) + 1)}}"
    inplace = Elemwise(Add(), inplace_pattern=((0, 0),))
    assert op_name(inplace) == "Elemwise{add}[(0, 0)]"


def test_constants_print_as_theano_tensor_constants():
    assert constant_text(T.constant(2.0)) == "TensorConstant{2.0}"
    assert constant_text(T.constant(np.full((2, 2), 3, dtype="int8"))) == \
        "TensorConstant{(2, 2) of 3}"
    assert constant_text(T.constant(np.array([1.0, 2.0]))) == "TensorConstant{[1. 2.]}"
    assert constant_text(T.constant(np.arange(30.0))) == \
        "TensorConstant{[ 0.  1.  ... 28. 29.]}"


def test_pydotprint_renders_png_and_svg_through_graphviz(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    f = theano.function([x_, y_], T.exp(x_) * y_)
    target = tmp_path / "graph.png"
    pydotprint(f, outfile=str(target), print_output_file=False)
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg = pydotprint(T.exp(x_) * y_, format="svg", return_image=True).decode()
    assert "<svg" in svg and "Elemwise{mul,no_inplace}" in svg


def test_pydotprint_names_what_to_install_without_graphviz(monkeypatch, tmp_path):
    monkeypatch.setattr(printing.shutil, "which", lambda name: None)
    with pytest.raises(printing.GraphvizNotFound, match="apt-get install graphviz") as info:
        pydotprint(T.exp(x_), outfile=str(tmp_path / "g.png"))
    assert "'dot'" in str(info.value) and "format='dot'" in str(info.value)
    assert not (tmp_path / "g.png").exists()
    text = pydotprint(T.exp(x_), format="dot", return_image=True).decode()
    assert text.startswith("digraph G {") and "Elemwise{exp,no_inplace}" in text


def test_every_op_contract_graph_prints_before_and_after_rewriting():
    """op_name, debugprint and pp handle every op of the registry, as built and after the
    FAST_RUN rewrites (fused loops, gemm, fused reductions)."""
    from arignote.compiler.graph import FunctionGraph
    from arignote.compiler.rewrite.pipeline import optimize

    from .op_cases import all_cases
    from .test_op_contract import _as_list, _symbolic_inputs
    for case in all_cases():
        inputs = _symbolic_inputs(case)
        outputs = _as_list(case.build(*inputs))
        fgraph = FunctionGraph(inputs, outputs)
        before = debugprint(outputs, file="str")
        optimize(fgraph)
        after = debugprint(fgraph, file="str")
        for node in fgraph.apply_nodes:
            assert op_name(node.op, node), case.id
        assert before and after and pp(outputs) and pp(fgraph), case.id


def test_pydotprint_lays_out_the_graph_as_theano():
    w = theano.shared(np.zeros(3), name="w")
    v = T.dvector("v")
    f = theano.function([v], (v * w).sum(), updates=[(w, w + v)])
    text = pydotprint(f, format="dot", return_image=True).decode()
    assert '[label="w UPDATE TensorType(float64, vector)", shape=box, style=filled, ' \
        'fillcolor="lightblue"]' in text
    assert 'label="UPDATE", color="lightblue"' in text
    assert 'label="name=w TensorType(float64, vector)", shape=box, style=filled, ' \
        'fillcolor="cyan"' in text
    assert 'label="name=v TensorType(float64, vector)", shape=box, style=filled, ' \
        'fillcolor="green"' in text
    outline = pydotprint(T.exp(v), format="dot", return_image=True, high_contrast=False,
                         colorCodes={"Elemwise": "orange", "Output": "blue"}).decode()
    assert 'shape=ellipse, color="orange"' in outline and 'color="blue"' in outline
    view = pydotprint(v.dimshuffle("x", 0), format="dot", return_image=True).decode()
    assert 'color="lightblue"' in view.split("->")[1]  # the viewed input's edge
    constant = pydotprint(v * 2.5, format="dot", return_image=True).decode()
    assert '"val=2.5 TensorType(float32, scalar)"' in constant
    with pytest.raises(ValueError, match="inner graphs"):
        pydotprint(v, format="dot", cond_highlight="if")


def test_pydotprint_writes_scan_inner_graphs(tmp_path, capsys):
    result, _ = theano.scan(lambda prior, a: prior * a, outputs_info=T.ones_like(v_),
                            non_sequences=v_, n_steps=3, name="power")
    f = theano.function([v_], result[-1])
    pydotprint(f, outfile=str(tmp_path / "graph"), format="dot", scan_graphs=True)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written[0] == "graph.dot" and written[1].startswith("graph_power_")
    inner = (tmp_path / written[1]).read_text()
    assert "Elemwise{mul,no_inplace}" in inner
    assert "graph.dot" in capsys.readouterr().out


def test_tutorial_pydotprint_call_writes_a_png(tmp_path, capsys):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    _, prediction = _logistic_regression_prediction()
    target = tmp_path / "pics" / "logreg_pydotprint_prediction.png"
    target.parent.mkdir()
    theano.printing.pydotprint(prediction, outfile=str(target), var_with_name_simple=True)
    assert capsys.readouterr().out == f"The output file is available at {target}\n"
    assert target.read_bytes().startswith(b"\x89PNG")
