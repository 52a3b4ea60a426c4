"""debugprint, pp, pydotprint and the Print op."""

import io
import sys
from dataclasses import dataclass

import numpy as np
import pytest

import arignote as theano
import arignote.tensor as T
from arignote.compiler.graph import Apply, FunctionGraph
from arignote.compiler.op import Op
from arignote.printing import Print, char_from_number, debugprint, pp, pydotprint


@dataclass(frozen=True)
class _TwoOutputs(Op):
    """A test-only op with two outputs (the leading underscore keeps it off the registry)."""

    def make_node(self, x):
        return Apply(self, [x], [x.type.make_variable(), x.type.make_variable()])

    def perform(self, node, inputs):
        return [inputs[0], -inputs[0]]


def lines(text):
    return text.splitlines()


# ----------------------------------------------------------------------- debugprint
def test_debugprint_small_graph_exact():
    x, y = T.dvectors("x", "y")
    assert debugprint(x + T.exp(y), file="str") == (
        "Elemwise{add,no_inplace} [id A] ''\n"
        " |x [id B]\n"
        " |Elemwise{exp,no_inplace} [id C] ''\n"
        "   |y [id D]\n")


def test_debugprint_names_types_and_repeated_subgraph():
    x = T.dvector("x")
    e = T.exp(x)
    e.name = "e"
    out = e * e
    assert debugprint(out, file="str") == (
        "Elemwise{mul,no_inplace} [id A] ''\n"
        " |Elemwise{exp,no_inplace} [id B] 'e'\n"
        " | |x [id C]\n"
        " |Elemwise{exp,no_inplace} [id B] 'e'\n")
    assert debugprint(out, file="str", print_type=True) == (
        "Elemwise{mul,no_inplace} [id A] <TensorType(float64, vector)> ''\n"
        " |Elemwise{exp,no_inplace} [id B] <TensorType(float64, vector)> 'e'\n"
        " | |x [id C] <TensorType(float64, vector)>\n"
        " |Elemwise{exp,no_inplace} [id B] <TensorType(float64, vector)> 'e'\n")
    assert debugprint(out, file="str", stop_on_name=True) == (
        "Elemwise{mul,no_inplace} [id A] ''\n"
        " |Elemwise{exp,no_inplace} [id B] 'e'\n"
        " |Elemwise{exp,no_inplace} [id B] 'e'\n")


def test_debugprint_ids_modes_and_depth():
    x, y = T.dvectors("x", "y")
    out = x + T.exp(y)
    assert debugprint(out, file="str", ids="") == (
        "Elemwise{add,no_inplace}  ''\n |x\n |Elemwise{exp,no_inplace}  ''\n   |y\n")
    assert lines(debugprint(out, file="str", ids="int"))[3] == "   |y [id 3]"
    assert f"[id {id(out.owner)}]" in debugprint(out, file="str", ids="id")
    assert debugprint(out, file="str", depth=1) == "Elemwise{add,no_inplace} [id A] ''\n"
    assert debugprint(out, file="str", depth=2) == (
        "Elemwise{add,no_inplace} [id A] ''\n |x [id B]\n |Elemwise{exp,no_inplace} [id C] ''\n")
    with pytest.raises(ValueError):
        debugprint(out, file="str", ids="letters")


def test_debugprint_lists_apply_shared_done_and_multiple_outputs():
    x, y = T.dvectors("x", "y")
    a, b = x + y, T.exp(x)
    text = debugprint([a, b], file="str")
    assert lines(text) == ["Elemwise{add,no_inplace} [id A] ''", " |x [id B]", " |y [id C]",
                           "Elemwise{exp,no_inplace} [id D] ''", " |x [id B]"]
    assert debugprint(a.owner, file="str") == debugprint(a, file="str")
    done = {}
    debugprint(a, file="str", done=done)
    assert debugprint(b, file="str", done=done) == "Elemwise{exp,no_inplace} [id D] ''\n |x [id B]\n"
    first, second = _TwoOutputs()(x)
    assert debugprint([first, second], file="str") == (
        "_TwoOutputs.0 [id A] ''\n |x [id B]\n_TwoOutputs.1 [id A] ''\n")


def test_debugprint_constants_and_argument_checks():
    x = T.dscalar("x")
    assert lines(debugprint(x * 2.5, file="str"))[2] == " |TensorConstant{2.5} [id C]"
    with pytest.raises(TypeError):
        debugprint(object(), file="str")
    with pytest.raises(TypeError):
        debugprint(x, depth="all", file="str")


def test_debugprint_file_and_stdout(capsys):
    x = T.dvector("x")
    handle = io.StringIO()
    assert debugprint(x, file=handle) is handle
    assert handle.getvalue() == "x [id A]\n"
    assert debugprint(x) is None
    assert capsys.readouterr().out == "x [id A]\n"


def test_debugprint_function_graph_has_execution_order():
    x, y = T.dvectors("x", "y")
    fgraph = FunctionGraph([x, y], [x + T.exp(y)])
    assert debugprint(fgraph, file="str") == (
        "Elemwise{add,no_inplace} [id A] ''   1\n"
        " |x [id B]\n"
        " |Elemwise{exp,no_inplace} [id C] ''   0\n"
        "   |y [id D]\n")


def test_debugprint_compiled_function():
    x, y = T.dvectors("x", "y")
    f = theano.function([x, y], x + T.exp(y))
    text = debugprint(f, file="str")
    assert text == debugprint(f.maker.fgraph, file="str")
    assert "|x [id" in text and "|y [id" in text


def test_debugprint_print_storage_shows_input_values():
    x = T.dvector("x")
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    f = theano.function([theano.In(x, value=np.array([3.0, 4.0]))], x * w)
    text = debugprint(f, file="str", print_storage=True)
    assert "|x [id B] [3. 4.]" in text and "|w [id C] [1. 2.]" in text
    assert "[3. 4.]" not in debugprint(f, file="str")


def test_debugprint_inner_graphs_of_ifelse():
    from arignote.ifelse import ifelse
    a, b = T.dscalars("a", "b")
    c = T.lscalar("c")
    assert debugprint(ifelse(c, a * b, T.exp(a)), file="str") == (
        "if{} [id A] ''\n"
        " |c [id B]\n"
        " |a [id C]\n"
        " |b [id D]\n"
        "\n"
        "Inner graphs:\n"
        "\n"
        "if{} [id A] ''\n"
        " >Elemwise{mul,no_inplace} [id E] ''\n"
        " > |a [id F] -> [id C]\n"
        " > |b [id G] -> [id D]\n"
        " >Elemwise{exp,no_inplace} [id H] ''\n"
        " > |a [id I] -> [id C]\n")


def test_debugprint_inner_graph_arrows_point_to_outer_nodes():
    a = T.dscalar("a")
    x = T.dvector("x")
    text = debugprint(T.jacobian(T.exp(x) * a, x), file="str")
    outer, inner = text.split("Inner graphs:")
    exp_line = next(line for line in lines(outer) if "Elemwise{exp,no_inplace}" in line)
    exp_id = exp_line[exp_line.index("[id "):exp_line.index("]") + 1]
    assert f"-> {exp_id}" in inner
    assert inner.count(" >") >= 1


def test_debugprint_deep_chain_is_iterative():
    depth = 3 * sys.getrecursionlimit()
    x = T.dscalar("x")
    out = x
    for _ in range(depth):
        out = T.exp(out)
    text_lines = lines(debugprint(out, file="str"))
    assert len(text_lines) == depth + 1
    assert text_lines[-1] == " " * (2 * depth - 1) + "|x [id " + char_from_number(depth) + "]"


def test_char_from_number():
    assert [char_from_number(n) for n in (0, 1, 25, 26, 27, 26 * 26)] == [
        "A", "B", "Z", "BA", "BB", "BAA"]


# ----------------------------------------------------------------------- pp
def test_pp_parenthesises_every_operation_as_theano():
    x, y, z = T.dscalars("x", "y", "z")
    assert pp(x + T.exp(y)) == "(x + exp(y))"
    assert pp(x + y * z) == "(x + (y * z))"
    assert pp((x + y) * z) == "((x + y) * z)"
    assert pp(x - (y - z)) == "(x - (y - z))"
    assert pp((x - y) - z) == "((x - y) - z)"
    assert pp(x / (y * z)) == "(x / (y * z))"
    assert pp(x // y) == "(x // y)"
    assert pp(-x) == "(-x)"
    assert pp(-(x + y)) == "(-(x + y))"
    assert pp(T.exp(x + y)) == "exp((x + y))"
    assert pp(x) == "x"


def test_pp_pow_constants_transpose_and_broadcast():
    x, y = T.dscalars("x", "y")
    assert pp(x ** 2) == "(x ** TensorConstant{2})"
    assert pp((-x) ** y) == "((-x) ** y)"
    assert pp(x ** (y ** 2)) == "(x ** (y ** TensorConstant{2}))"
    m = T.dmatrix("m")
    v = T.dvector("v")
    assert pp(m.T) == "m.T"
    assert pp((m + 1.5).T) == "(m + TensorConstant{1.5}).T"
    assert pp(m + v) == "(m + v)"
    assert pp(m.dimshuffle(0, "x", 1)) == "DimShuffle{0, x, 1}(m)"
    assert pp(m * 2.5) == "(m * TensorConstant{2.5})"
    assert pp(T.constant(np.zeros(3))) == "TensorConstant{(3,) of 0.0}"


def test_pp_named_intermediates_print_as_their_names():
    x = T.dvector("x")
    e = T.exp(x)
    e.name = "e"
    assert pp(e * 2) == "(e * TensorConstant{2})"
    assert pp(e) == "exp(x)"


def test_pp_function_form_of_other_ops():
    x, y = T.dvectors("x", "y")
    m = T.dmatrix("m")
    assert pp(x > y) == "gt(x, y)"
    assert pp(x % y) == "mod(x, y)"
    assert pp(T.cast(x, "float32")) == "float32(x)"
    assert pp(T.nnet.sigmoid(x)) == "sigmoid(x)"
    assert pp(T.sum(x)) == "Sum{acc_dtype=float64}(x)"
    assert pp(T.dot(m, x)) == "(m \\dot x)"
    assert pp(m.shape[0]) == "Shape(m)[0]"
    _, second = _TwoOutputs()(x)
    assert pp(second) == "_TwoOutputs(x)[1]"
    assert pp([x + y, T.exp(x)]) == "(x + y)\nexp(x)"
    with pytest.raises(TypeError):
        pp(3)


def test_pp_indexing():
    x = T.dmatrix("x")
    i = T.lvector("i")
    n = T.lscalar("n")
    assert pp(x[1:2]) == "x[1:2]"
    assert pp(x[n, ::2]) == "x[n, ::2]"
    assert pp(x[:, 0]) == "x[:, 0]"
    assert pp(x[i]) == "x[i]"
    assert pp(x[i, 1:]) == "x[i, 1:]"
    assert pp(x[x > 0]) == "x[gt(x, TensorConstant{0})]"
    assert pp((x + 1)[n - 1:, None, ...]) == \
        "(x + TensorConstant{1})[(n - TensorConstant{1}):, None, ...]"
    assert pp(T.exp(x)[0]) == "exp(x)[0]"


def test_pp_deep_chain_is_iterative():
    depth = 20_000
    x = T.dscalar("x")
    out = x
    for _ in range(depth):
        out = T.exp(out)
    text = pp(out)
    assert text == "exp(" * depth + "x" + ")" * depth


def test_pp_is_exported_at_top_level():
    assert theano.pp is pp and theano.pprint is pp


def test_pp_function_graph():
    x, y = T.dvectors("x", "y")
    assert pp(FunctionGraph([x, y], [x * y])) == "(x * y)"


# ----------------------------------------------------------------------- pydotprint
def test_pydotprint_dot_source(tmp_path, capsys):
    x, y = T.dvectors("x", "y")
    out = x * T.exp(y)
    target = tmp_path / "graph.dot"
    pydotprint(out, outfile=str(target), format="dot")
    text = target.read_text()
    assert text.startswith("digraph G {") and text.rstrip().endswith("}")
    assert '"Elemwise{mul,no_inplace}"' in text and '"Elemwise{exp,no_inplace}"' in text
    assert '"name=x TensorType(float64, vector)"' in text
    assert '"name=y TensorType(float64, vector)"' in text
    assert "graph.dot" in capsys.readouterr().out
    simple = pydotprint(out, format="dot", return_image=True, var_with_name_simple=True)
    assert b'"x"' in simple and b'"y"' in simple
    source = pydotprint(FunctionGraph([x, y], [out]), format="dot", return_image=True,
                        with_ids=True, compact=False)
    assert b"id=" in source
    with pytest.raises(TypeError):
        pydotprint(3, format="dot")


def test_pydotprint_other_formats_need_graphviz():
    import shutil

    from arignote.printing import GraphvizNotFound
    x = T.dvector("x")
    if shutil.which("dot") is not None:
        assert pydotprint(T.exp(x), format="svg", return_image=True)
    else:
        with pytest.raises(GraphvizNotFound, match="Graphviz"):
            pydotprint(T.exp(x), format="png", return_image=True)


# ----------------------------------------------------------------------- Print op
def test_print_op_prints_and_passes_value(capsys):
    x = T.dvector("x")
    printed = Print("value", attrs=["shape", "sum"])(x)
    f = theano.function([x], printed * 2)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0])), [2.0, 4.0, 6.0])
    out = capsys.readouterr().out
    assert "value shape = (3,)" in out and "value sum = 6.0" in out
    assert str(printed.owner.op) == "Print{value}"


def test_print_op_gradient_passes_through():
    x = T.dvector("x")
    g = T.grad((Print("x")(x) * 3.0).sum(), x)
    f = theano.function([x], g)
    np.testing.assert_allclose(f(np.array([1.0, 2.0])), [3.0, 3.0])


def test_print_op_custom_function():
    seen = []
    x = T.dscalar("x")
    f = theano.function([x], Print("m", global_fn=lambda op, v: seen.append(float(v)))(x))
    f(4.0)
    assert seen == [4.0]
