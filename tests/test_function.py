"""function(): inputs, defaults, keyword calls, outputs, updates, givens, modes, profiling."""

import inspect
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote import In, Mode, Out, function, shared
from arignote.compile import DebugMode, NanGuardMode, UnusedInputError
from arignote.compile.debugmode import BadViewMap, InvalidValueError
from arignote.compile.nanguardmode import NanGuardError
from arignote.compiler.graph import Apply
from arignote.compiler.op import Op
from arignote.compiler.types import TensorType
from arignote.runtime.mode import get_mode


# ----------------------------------------------------------------------- outputs
def test_single_output_is_a_value_and_list_output_a_list():
    x, y = T.dvectors("x", "y")
    f = function([x, y], x + y)
    g = function([x, y], [x + y, x * y])
    np.testing.assert_array_equal(f([1.0, 2.0], [3.0, 4.0]), [4.0, 6.0])
    out = g([1.0, 2.0], [3.0, 4.0])
    assert isinstance(out, list) and len(out) == 2
    np.testing.assert_array_equal(out[1], [3.0, 8.0])


def test_scalar_outputs_are_zero_d_arrays():
    x = T.dvector("x")
    f = function([x], x.sum())
    value = f([1.0, 2.0])
    assert isinstance(value, np.ndarray) and value.shape == () and value.dtype == np.float64
    assert float(value) == 3.0


def test_dict_outputs_and_none_outputs():
    x = T.dvector("x")
    f = function([x], {"double": x * 2, "total": x.sum()})
    out = f([1.0, 2.0])
    assert set(out) == {"double", "total"}
    assert float(out["total"]) == 3.0
    s = shared(0.0)
    g = function([], None, updates=[(s, s + 1)])
    assert g() is None and float(s.get_value()) == 1.0
    h = function([], [], updates=[(s, s + 1)])
    assert h() == [] and float(s.get_value()) == 2.0


def test_outputs_never_alias_inputs_shared_values_or_each_other():
    x = T.dvector("x")
    s = shared(np.arange(3.0), name="s")
    f = function([x], [x, s, x.T, x * 2, x * 2])
    a = np.ones(3)
    out = f(a)
    assert out[0] is not a and not np.shares_memory(out[0], a)
    assert not np.shares_memory(out[1], s.get_value(borrow=True))
    assert not np.shares_memory(out[2], a)
    assert out[3] is not out[4] and not np.shares_memory(out[3], out[4])
    out[1][:] = 99
    np.testing.assert_array_equal(s.get_value(), np.arange(3.0))


def test_out_borrow_returns_storage_without_copy():
    x = T.dvector("x")
    # borrow=True allows (does not require) returning internal storage: the reference
    # linker hands back the input itself, the C backend a fresh array.
    f = function([x], Out(x, borrow=True), mode="FAST_COMPILE")
    a = np.ones(3)
    assert f(a) is a
    np.testing.assert_array_equal(function([x], Out(x, borrow=True))(a), a)
    assert Out(x).borrow is False


def test_outputs_are_checked():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="Out instances"):
        function([x], [x, 3])
    with pytest.raises(TypeError, match="list"):
        function(x, x)


# ----------------------------------------------------------------------- inputs
def test_default_values_and_keyword_calls():
    x, y = T.dscalars("x", "y")
    f = function([x, In(y, value=10.0)], x - y)
    assert float(f(1.0)) == -9.0
    assert float(f(1.0, 2.0)) == -1.0
    assert float(f(y=1.0, x=5.0)) == 4.0
    assert float(f(1.0)) == -9.0  # the default is back


def test_in_name_is_a_keyword():
    x = T.dscalar()
    f = function([In(x, name="alpha", value=2.0)], x * 3)
    assert float(f(alpha=1.0)) == 3.0
    assert float(f()) == 6.0


def test_keyword_errors():
    x, y = T.dscalars("x", "y")
    f = function([x, y], x + y)
    with pytest.raises(TypeError, match="missing required input.*'y'"):
        f(1.0)
    with pytest.raises(TypeError, match="given twice"):
        f(1.0, 2.0, x=3.0)
    with pytest.raises(TypeError, match="unknown input or state: 'z'"):
        f(1.0, z=2.0)
    with pytest.raises(TypeError, match="takes 2 inputs but 3"):
        f(1.0, 2.0, 3.0)


def test_internal_state_input():
    a = T.dscalar()
    x, s = T.dscalars("x", "s")
    f = function([x, In(a, value=1.0, name="a"),
                  In(s, value=0.0, update=s + a * x, mutable=True)], s + a * x)
    assert f[a] == 1.0 and f[s] == 0.0
    assert float(f(3.0)) == 3.0
    assert float(f(3.0, a=2.0)) == 9.0
    assert f[a] == 1.0 and f[s] == 9.0
    f[a] = 5.0
    assert f["a"] == 5.0
    assert float(f(3.0)) == 24.0 and f["s"] == 24.0
    assert f.value[s] == 24.0 and f.container[s].value == 24.0


def test_trust_input_skips_conversion():
    x = T.dvector("x")
    f = function([x], x * 2)
    f.trust_input = True
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])


def test_allow_input_downcast():
    x = T.fvector("x")
    with pytest.raises(TypeError, match="allow_input_downcast"):
        function([x], x * 2)(np.ones(2))
    f = function([x], x * 2, allow_input_downcast=True)
    assert f(np.ones(2)).dtype == np.float32
    g = function([In(x, allow_downcast=True)], x * 2)
    assert g(np.ones(2)).dtype == np.float32
    h = function([x], x * 2)
    assert h([1, 2]).dtype == np.float32  # lossless Python data is accepted


def test_strict_input():
    x = T.dvector("x")
    f = function([In(x, strict=True)], x * 2)
    with pytest.raises(TypeError, match="strict"):
        f([1.0, 2.0])
    np.testing.assert_array_equal(f(np.ones(2)), [2.0, 2.0])


def test_shared_variable_cannot_be_an_explicit_input():
    s = shared(np.ones(2))
    with pytest.raises(TypeError, match="givens"):
        function([s], s * 2)


def test_duplicate_inputs_raise():
    x = T.dvector("x")
    with pytest.raises(UnusedInputError, match="twice"):
        function([x, x], x * 2)


def test_intermediate_variable_as_input_cuts_the_graph():
    x = T.dvector("x")
    h = T.exp(x)
    f = function([h], h * 2)
    np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 4.0])


def test_on_unused_input():
    x, y = T.dvectors("x", "y")
    with pytest.raises(UnusedInputError, match="index 1 .*: y"):
        function([x, y], x * 2)
    with pytest.warns(UserWarning, match="not part of the computational graph"):
        function([x, y], x * 2, on_unused_input="warn")
    f = function([x, y], x * 2, on_unused_input="ignore")
    np.testing.assert_array_equal(f([1.0], [5.0]), [2.0])
    old = arignote.config.on_unused_input
    arignote.config.on_unused_input = "ignore"
    try:
        function([x, y], x * 2)
    finally:
        arignote.config.on_unused_input = old


def test_input_used_only_by_update_is_used():
    x = T.dscalar("x")
    s = shared(0.0)
    f = function([x], [], updates=[(s, s + x)])
    f(2.0)
    assert float(s.get_value()) == 2.0


# ----------------------------------------------------------------------- updates
def test_updates_as_pairs_dict_and_ordered_dict():
    a, b = shared(1.0, "a"), shared(2.0, "b")
    for updates in ([(a, a + 1), (b, b * 2)], {a: a + 1, b: b * 2},
                    OrderedDict([(a, a + 1), (b, b * 2)])):
        function([], [], updates=updates)()
    assert float(a.get_value()) == 4.0 and float(b.get_value()) == 16.0


def test_outputs_use_values_before_updates():
    s = shared(np.array([1.0, 2.0]), "s")
    t = shared(np.array([0.0, 0.0]), "t")
    f = function([], [s * 10, t], updates=[(s, s + 1), (t, s)])
    out = f()
    np.testing.assert_array_equal(out[0], [10.0, 20.0])
    np.testing.assert_array_equal(out[1], [0.0, 0.0])
    np.testing.assert_array_equal(s.get_value(), [2.0, 3.0])
    np.testing.assert_array_equal(t.get_value(), [1.0, 2.0])  # the old value of s
    assert not np.shares_memory(s.get_value(borrow=True), t.get_value(borrow=True))


def test_update_to_an_input_does_not_alias_it():
    x = T.dvector("x")
    s = shared(np.zeros(2), "s")
    f = function([x], [], updates=[(s, x)])
    a = np.ones(2)
    f(a)
    a[:] = 7
    np.testing.assert_array_equal(s.get_value(), [1.0, 1.0])


def test_update_errors():
    x = T.dvector("x")
    s = shared(np.zeros(2), "s")
    with pytest.raises(TypeError, match="shared variable"):
        function([x], x, updates=[(x, x + 1)])
    with pytest.raises(ValueError, match="updated twice"):
        function([], [], updates=[(s, s + 1), (s, s * 2)])
    with pytest.raises(TypeError, match="shared variable s .*dimensions"):
        function([], [], updates=[(s, s.sum())])
    row = shared(np.zeros((1, 3)), "row", broadcastable=(True, False))
    with pytest.raises(TypeError, match="row.*broadcastable"):
        function([], [], updates=[(row, T.dmatrix("m"))])


def test_update_dtype_is_cast_with_a_warning():
    s = shared(np.ones(3, dtype="float32"), "s32")
    with pytest.warns(UserWarning, match="s32 has dtype float64"):
        f = function([], [], updates=[(s, s * np.float64(0.1))])
    f()
    assert s.get_value().dtype == np.float32
    np.testing.assert_allclose(s.get_value(), 0.1, rtol=1e-6)


def test_update_with_more_specific_broadcast_pattern_is_accepted():
    s = shared(np.zeros((1, 3)), "s")
    update = T.constant(np.full((1, 3), 2.0))
    assert update.broadcastable == (True, False)
    f = function([], [], updates=[(s, update)])
    f()
    np.testing.assert_array_equal(s.get_value(), np.full((1, 3), 2.0))


def test_failed_call_leaves_every_shared_variable_unchanged():
    x = T.dvector("x")
    a = shared(np.zeros(3), "a")
    b = shared(np.zeros(3), "b")
    # a's update is computable, b's update fails (shape mismatch) halfway through the graph.
    f = function([x], (a * 2).sum(), updates=[(a, a + 1), (b, T.exp(b + 1) + x)])
    with pytest.raises(ValueError):
        f(np.ones(4))
    np.testing.assert_array_equal(a.get_value(), np.zeros(3))
    np.testing.assert_array_equal(b.get_value(), np.zeros(3))
    f(np.ones(3))
    np.testing.assert_array_equal(a.get_value(), np.ones(3))


def test_default_updates_and_no_default_updates():
    x = T.dvector("x")
    r = shared(np.zeros(2), "r")
    r.default_update = r + 1
    q = shared(np.zeros(2), "q")
    q.default_update = q + 10
    f = function([x], x + r + q)
    f(np.zeros(2))
    np.testing.assert_array_equal(r.get_value(), [1.0, 1.0])
    g = function([x], x + r + q, no_default_updates=True)
    g(np.zeros(2))
    np.testing.assert_array_equal(r.get_value(), [1.0, 1.0])
    h = function([x], x + r + q, no_default_updates=[r])
    h(np.zeros(2))
    np.testing.assert_array_equal(r.get_value(), [1.0, 1.0])
    np.testing.assert_array_equal(q.get_value(), [20.0, 20.0])
    k = function([x], x + r, updates=[(r, r * 0)])  # an explicit update wins
    k(np.zeros(2))
    np.testing.assert_array_equal(r.get_value(), [0.0, 0.0])


# ----------------------------------------------------------------------- givens
def test_givens_replace_intermediate_and_free_variables():
    x = T.dvector("x")
    y = T.dvector("y")
    h = T.exp(x)
    f = function([y], h * 2, givens={h: y + 1})
    np.testing.assert_array_equal(f([1.0]), [4.0])
    g = function([x], x * y, givens=[(y, T.constant(np.array([3.0])))])
    np.testing.assert_array_equal(g([2.0]), [6.0])


def test_givens_with_shared_minibatch():
    index = T.lscalar("index")
    batch = T.dmatrix("batch")
    data = shared(np.arange(20.0).reshape(10, 2), "data")
    cost = batch.sum()
    f = function([index], cost, givens={batch: data[index * 2:(index + 1) * 2]})
    assert float(f(0)) == 6.0
    assert float(f(4)) == 16 + 17 + 18 + 19


def test_givens_apply_to_updates():
    x = T.dscalar("x")
    y = T.dscalar("y")
    s = shared(0.0, "s")
    f = function([y], [], updates=[(s, s + x)], givens={x: y * 2})
    f(3.0)
    assert float(s.get_value()) == 6.0


def test_givens_errors():
    x = T.dvector("x")
    y = T.fvector("y")
    with pytest.raises(TypeError, match=r"replace x .*with y.*dtypes differ"):
        function([y], x * 2, givens={x: y})
    with pytest.raises(RuntimeError, match="input to your function"):
        function([x], x * 2, givens={x: T.dvector()})
    with pytest.raises(TypeError, match="dimensions"):
        function([], x * 2, givens={x: T.dmatrix()})


def test_givens_with_a_value():
    x = T.dvector("x")
    f = function([], x * 2, givens={x: np.array([1.0, 2.0])})
    np.testing.assert_array_equal(f(), [2.0, 4.0])


# ----------------------------------------------------------------------- attributes, copy
def test_function_attributes():
    x = T.dvector("x")
    s = shared(np.zeros(2), "s")
    f = function([x], x + s, updates=[(s, s + x)], name="accumulate")
    assert f.name == "accumulate"
    assert [spec.variable for spec in f.maker.inputs] == [x, s]
    assert f.maker.inputs[1].implicit and f.maker.inputs[1].update is not None
    assert len(f.maker.fgraph.outputs) == 2
    assert len(f.input_storage) == 2 and f.input_storage[1] is s.container
    assert f.get_shared() == [s]
    f.free()
    line = inspect.currentframe().f_lineno + 1
    g = function([x], x * 2)
    assert g.name == f"{__file__}:{line}"


def test_copy_has_its_own_state_and_shares_shared_variables():
    x = T.dscalar("x")
    s = T.dscalar("s")
    total = shared(0.0, "total")
    f = function([x, In(s, value=0.0, update=s + x)], s + x,
                 updates=[(total, total + x)])
    g = f.copy()
    f(1.0)
    f(1.0)
    assert float(g(5.0)) == 5.0
    assert f[s] == 2.0 and g[s] == 5.0
    assert float(total.get_value()) == 7.0


def test_copy_swap_and_delete_updates():
    x = T.dscalar("x")
    y = shared(1.0, "y")
    z = shared(2.0, "z")
    z_new = shared(4.0, "z_new")
    f = function([x], x + y + z, updates=[(z, z + 1)])
    g = f.copy(swap={z: z_new})
    assert float(g(0.0)) == 5.0
    assert float(z_new.get_value()) == 5.0 and float(z.get_value()) == 2.0
    h = f.copy(delete_updates=True)
    h(0.0)
    assert float(z.get_value()) == 2.0
    with pytest.raises(TypeError, match="same type"):
        f.copy(swap={z: shared(np.zeros(2))})


def test_eval():
    x = T.dvector("x")
    np.testing.assert_array_equal((x * 2).eval({x: np.array([1.0, 2.0])}), [2.0, 4.0])
    assert float((T.constant(2.0) * 3).eval()) == 6.0


# ----------------------------------------------------------------------- modes
@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "DebugMode", "NanGuardMode",
                                  Mode("py", None), None])
def test_modes_compute_the_same(mode):
    x = T.dvector("x")
    f = function([x], T.exp(x) * 2 + x, mode=mode)
    np.testing.assert_allclose(f([0.0, 1.0]), np.exp([0.0, 1.0]) * 2 + [0.0, 1.0])


def test_mode_lookup():
    assert get_mode("FAST_RUN") is arignote.compile.FAST_RUN
    assert isinstance(get_mode("DebugMode"), DebugMode)
    with pytest.raises(ValueError, match="unknown mode"):
        get_mode("NO_SUCH_MODE")
    excluded = get_mode("FAST_RUN").excluding("fusion")
    assert excluded.excluded == ("fusion",) and get_mode("FAST_RUN").excluded == ()


def test_custom_optimizer_runs_on_the_function_graph():
    seen = []
    x = T.dvector("x")
    function([x], x * 2, mode=Mode("py", lambda fgraph, mode: seen.append(fgraph)))
    assert len(seen) == 1 and len(seen[0].apply_nodes) >= 1


def test_nan_guard_names_the_node():
    x = T.dvector("x")
    y = T.log(x)  # the line NanGuardMode must report
    f = function([x], y * 2, mode=NanGuardMode(nan_is_error=True, inf_is_error=True,
                                              big_is_error=False))
    f(np.array([1.0, 2.0]))
    with pytest.raises(NanGuardError, match=r"NaN in output 0 of Apply node Elemwise\{Log\}"
                       ) as info:
        f(np.array([-1.0, 2.0]))
    assert "y = T.log(x)" in str(info.value)
    big = function([x], x * 1e11, mode="NanGuardMode")
    with pytest.raises(AssertionError, match="larger than 1e10"):
        big(np.ones(1))


@dataclass(frozen=True)
class _WrongDtype(Op):
    def make_node(self, x):
        return Apply(self, [x], [TensorType("float32", x.broadcastable).make_variable()])

    def perform(self, node, inputs):
        return [inputs[0] * 2.0]


@dataclass(frozen=True)
class _UndeclaredView(Op):
    def make_node(self, x):
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node, inputs):
        return [inputs[0][:]]


def test_debug_mode_catches_broken_ops():
    x = T.dvector("x")
    f = function([x], _WrongDtype()(x), mode="DebugMode")
    with pytest.raises(InvalidValueError, match="dtype float64"):
        f(np.ones(2))
    g = function([x], _UndeclaredView()(x), mode="DebugMode")
    with pytest.raises(BadViewMap, match="view_map"):
        g(np.ones(2))
    h = function([x], _UndeclaredView()(x))
    out = h(np.ones(2))
    out[0] = 5  # the ordinary path copies the undeclared view
    assert out[1] == 1.0


@dataclass(frozen=True)
class _DoubleInPlace(Op):
    @property
    def destroy_map(self):
        return {0: [0]}

    def make_node(self, x):
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node, inputs):
        inputs[0] *= 2
        return [inputs[0]]


def test_accept_inplace():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="accept_inplace"):
        function([x], _DoubleInPlace()(x))
    f = function([In(x, mutable=True)], _DoubleInPlace()(x), accept_inplace=True)
    np.testing.assert_array_equal(f(np.ones(2)), [2.0, 2.0])


# ----------------------------------------------------------------------- profiling
def test_profile_summary():
    x = T.dvector("x")
    f = function([x], T.exp(x) * 2, profile=True, name="profiled")
    for _ in range(3):
        f(np.ones(4))
    text = f.profile.summary_text()
    assert "Message: profiled" in text and "3 calls" in text
    assert "exp" in text.lower() and "Class" in text and "Apply" in text
    assert sum(f.profile.apply_callcount.values()) == 3 * len(f.maker.fgraph.apply_nodes)
    assert all(t >= 0 for t in f.profile.apply_time.values())


def test_no_profile_by_default():
    x = T.dvector("x")
    f = function([x], x * 2)
    assert f.profile is None


def test_warning_free_plain_dict_updates():
    s, t = shared(0.0), shared(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        function([], [], updates={s: s + 1, t: t + 1})()


def test_updates_that_swap_two_shared_variables():
    a = shared(np.array([1.0]), "a")
    b = shared(np.array([2.0]), "b")
    f = function([], [], updates=[(a, b), (b, a)])
    f()
    assert a.get_value()[0] == 2.0 and b.get_value()[0] == 1.0
    assert not np.shares_memory(a.get_value(borrow=True), b.get_value(borrow=True))
    targets = {f.maker.inputs[i].variable for i in f.maker.fgraph.update_mapping.values()}
    assert targets == {a, b}
