"""The op contract, over the whole registry.

For every case in tests/op_cases: the compiled result equals an independent numpy
computation; the output type (dtype, ndim, broadcastable) describes the value; each node's
``infer_shape`` agrees with the real shapes; gradients match finite differences.  Then every
registered op and scalar op must be exercised by some case.
"""

import numpy as np
import pytest

import arignote
from arignote.compiler.graph import io_toposort
from arignote.compiler.op import OP_REGISTRY
from arignote.compiler.ops.elemwise import SCALAR_REGISTRY, Elemwise
from arignote.compiler.types import TensorType
from arignote.gradient import verify_grad

from .op_cases import all_cases

CASES = all_cases()


def _symbolic_inputs(case):
    patterns = case.broadcastable or [None] * len(case.inputs)
    return [TensorType(np.asarray(a).dtype.name,
                       pattern if pattern is not None else (False,) * np.ndim(a))(f"in{i}")
            for i, (a, pattern) in enumerate(zip(case.inputs, patterns))]


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _check_value(variable, actual, expected, case):
    actual = np.asarray(actual)
    assert actual.dtype.name == variable.dtype, (
        f"{case.id}: value dtype {actual.dtype} but type says {variable.dtype}")
    assert actual.ndim == variable.ndim, f"{case.id}: ndim {actual.ndim} vs type {variable.type}"
    for axis, flag in enumerate(variable.broadcastable):
        assert not flag or actual.shape[axis] == 1, f"{case.id}: broadcastable axis {axis}"
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{case.id}: shape {actual.shape} vs {expected.shape}"
    if actual.dtype.kind in "fc":
        np.testing.assert_allclose(actual, expected, rtol=case.rtol, atol=case.atol,
                                   err_msg=case.id)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=case.id)


BACKENDS = {"reference": "FAST_COMPILE", "c": "FAST_RUN"}


@pytest.mark.parametrize("backend", list(BACKENDS))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_perform_matches_numpy(case, backend):
    """Both backends against the independent numpy computation: the reference runs each
    op's ``perform``; the C backend runs the rewritten graph as one generated module."""
    inputs = _symbolic_inputs(case)
    outputs = _as_list(case.build(*inputs))
    f = arignote.function(inputs, outputs, on_unused_input="ignore", mode=BACKENDS[backend])
    values = [np.array(a, copy=True) for a in case.inputs]
    actual = f(*values)
    expected = _as_list(case.expected(*[np.array(a, copy=True) for a in case.inputs]))
    assert len(actual) == len(expected), case.id
    for variable, got, want in zip(outputs, actual, expected):
        _check_value(variable, got, want, case)
    for value, original in zip(values, case.inputs):
        np.testing.assert_array_equal(value, original, err_msg=f"{case.id}: input mutated")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_infer_shape(case):
    inputs = _symbolic_inputs(case)
    outputs = _as_list(case.build(*inputs))
    checked, shapes = [], []
    for node in io_toposort(inputs, outputs):
        if not hasattr(node.op, "infer_shape"):
            continue
        input_shapes = [[v.shape[k] for k in range(v.ndim)] if hasattr(v.type, "ndim")
                        else None for v in node.inputs]
        inferred = node.op.infer_shape(node, input_shapes)
        for output, shape in zip(node.outputs, inferred):
            if shape is None:
                continue
            checked.append(output)
            shapes.append(list(shape))
    if not checked:
        pytest.skip("no node of this case infers shapes")
    flat = [s for shape in shapes for s in shape]
    f = arignote.function(inputs, checked + flat, on_unused_input="ignore",
                          mode="FAST_COMPILE")
    results = f(*[np.array(a, copy=True) for a in case.inputs])
    values, sizes = results[:len(checked)], results[len(checked):]
    position = 0
    for variable, value, shape in zip(checked, values, shapes):
        got = tuple(int(s) for s in sizes[position:position + len(shape)])
        position += len(shape)
        assert got == np.shape(value), f"{case.id}: {variable.owner.op} inferred {got}, " \
                                       f"actual {np.shape(value)}"


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_gradient_matches_finite_differences(case):
    values = [np.asarray(a) for a in case.inputs]
    wrt = case.grad_wrt
    if wrt is None:
        wrt = [i for i, a in enumerate(values) if a.dtype.kind == "f"]
    assert wrt, f"{case.id}: grad=True but no float input"
    points = [values[i].astype("float64") for i in wrt]

    def fun(*variables):
        full = [arignote.tensor.constant(v) for v in values]
        patterns = case.broadcastable or [None] * len(values)
        for i, variable in zip(wrt, variables):
            if patterns[i] is not None and any(patterns[i]):
                variable = arignote.tensor.patternbroadcast(variable, patterns[i])
            full[i] = variable
        return _as_list(case.build(*full))[0]

    # Finite differences check the op's gradient graph, not a backend: run on the reference.
    verify_grad(fun, points, rng=np.random.default_rng(0), mode="FAST_COMPILE")


def _covered_classes():
    ops, scalars = set(), set()
    for case in CASES:
        inputs = _symbolic_inputs(case)
        outputs = _as_list(case.build(*inputs))
        for node in io_toposort(inputs, outputs):
            ops.add(type(node.op))
            if isinstance(node.op, Elemwise):
                scalars.add(type(node.op.scalar_op))
    return ops, scalars


def test_every_registered_op_has_a_case():
    ops, scalars = _covered_classes()
    missing = sorted(name for name, cls in {**OP_REGISTRY, **SCALAR_REGISTRY}.items()
                     if name.startswith("arignote.") and cls not in ops and cls not in scalars)
    assert not missing, f"ops without an op-contract case: {missing}"
