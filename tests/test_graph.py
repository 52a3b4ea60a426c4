"""The graph IR: traversal, cloning, FunctionGraph edits, traces, deep graphs."""

import pickle
import sys

import numpy as np
import pytest

import arignote.tensor as T
from arignote.compiler.graph import (
    FunctionGraph, MissingInputError, ancestors, clone_replace, graph_inputs, io_toposort)


def test_toposort_orders_dependencies_first():
    x, y = T.dvectors("x", "y")
    a = x + y
    b = T.exp(a)
    c = b * a
    order = io_toposort([x, y], [c])
    assert [n.outputs[0] for n in order] == [a, b, c]


def test_graph_inputs_and_ancestors():
    x, y = T.dvectors("x", "y")
    z = T.exp(x) + 2
    assert x in graph_inputs([z]) and y not in graph_inputs([z])
    assert z in ancestors([z]) and x in ancestors([z])


def test_function_graph_clones_and_tracks_clients():
    x = T.dvector("x")
    z = T.exp(x) * T.exp(x)
    fgraph = FunctionGraph([x], [z])
    assert fgraph.inputs[0] is not x
    assert len(fgraph.apply_nodes) == 3
    exp_out = fgraph.outputs[0].owner.inputs[0]
    assert fgraph.clients[exp_out] == [(fgraph.outputs[0].owner, 0)]


def test_replace_rewires_clients_and_prunes():
    x = T.dvector("x")
    z = T.log(T.exp(x))
    fgraph = FunctionGraph([x], [z])
    inner = fgraph.outputs[0].owner.inputs[0]
    fgraph.replace(inner, fgraph.inputs[0] * 2)
    ops = sorted(str(n.op) for n in fgraph.apply_nodes)
    assert "Elemwise{Exp}" not in ops and "Elemwise{Log}" in ops
    assert len(fgraph.apply_nodes) == 3  # mul, the dimshuffled 2, log


def test_replace_output_and_type_check():
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.exp(x)])
    new = T.log(fgraph.inputs[0])
    fgraph.replace(fgraph.outputs[0], new)
    assert fgraph.outputs[0] is new
    with pytest.raises(TypeError):
        fgraph.replace(fgraph.outputs[0], T.dmatrix())


def test_missing_input_names_the_variable():
    x, y = T.dvectors("x", "y")
    with pytest.raises(MissingInputError, match="y"):
        FunctionGraph([x], [x + y])


def test_clone_replace_substitutes():
    x, y = T.dvectors("x", "y")
    z = T.exp(x) + x
    w = clone_replace(z, {x: y})
    assert x not in graph_inputs([w]) and y in graph_inputs([w])


def test_user_trace_points_at_this_file():
    x = T.dvector("x")
    z = x + 1
    assert z.owner.trace.filename == __file__
    assert "z = x + 1" in str(z.owner.trace)


def _chain(n):
    x = T.dscalar("x")
    z = x
    for _ in range(n):
        z = z + 1
    return x, z


def test_deep_graph_is_handled_iteratively():
    assert sys.getrecursionlimit() <= 10000
    x, z = _chain(50000)
    assert len(io_toposort([x], [z])) >= 50000
    fgraph = FunctionGraph([x], [z])
    assert len(fgraph.apply_nodes) >= 50000
    copy, _ = fgraph.clone()
    assert len(copy.apply_nodes) == len(fgraph.apply_nodes)


def test_deep_graph_pickles():
    x, z = _chain(50000)
    x2, z2 = pickle.loads(pickle.dumps((x, z)))
    assert x2 in graph_inputs([z2])
    fgraph = pickle.loads(pickle.dumps(FunctionGraph([x], [z])))
    assert len(fgraph.apply_nodes) == len(FunctionGraph([x], [z]).apply_nodes)


def test_constants_are_read_only_and_comparable():
    a = T.constant(np.arange(3.0))
    b = T.constant(np.arange(3.0))
    assert a.signature() == b.signature()
    with pytest.raises(ValueError):
        a.data[0] = 5
