"""arignote.scan against loops unrolled in Python: values and gradients (BPTT).

The reference for a scan is the same step function applied step by step in Python to slices
of the inputs, its results stacked with ``T.stack`` (an unrolled graph, compiled on the
reference backend), or a plain numpy loop.  Gradients of scan (``T.grad``) are compared with
the unrolled graph's, and some are checked against finite differences with ``verify_grad``.
Hypothesis draws the configurations: sequence taps, output kinds (None / tap -1 / several
taps), non-sequences, captured shared variables, go_backwards, n_steps (int or symbolic),
until, nested scans and truncate_gradient.
"""

import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arignote
import arignote.tensor as T
from arignote import gradient as G

D = 3  # the length of every per-step vector in the generated scans
REF = "FAST_COMPILE"  # the unrolled references run on the numpy reference backend
# Generated scans run on the C backend (None: the default mode) or the reference one: every
# new loop structure costs a C compile of seconds with a cold cache, so one in three only.
BACKENDS = [None, REF, REF]

SETTINGS = {"deadline": None, "derandomize": True, "database": None,
                "suppress_health_check": list(HealthCheck)}


def close(actual, expected, rtol=1e-7, atol=1e-9):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


def as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def seq_window(taps):
    """(offset, span) of a sequence read at ``taps``: Theano pretends tap 0 is always used."""
    low, high = min(min(taps), 0), max(max(taps), 0)
    return -low, high - low


# ---------------------------------------------------------------------------------------------
# Generated scans: the configuration, the step function, scan and the unrolled reference


@dataclass
class Config:
    seq_taps: list      # per sequence: its taps, in the order given
    seq_extra: list     # per sequence: rows beyond what n_steps needs
    out_kinds: list     # per output: ('none',) | ('var', form) | ('taps', taps)
    non_seq: bool       # a (D, D) matrix non-sequence
    shared: bool        # a captured shared vector
    go_backwards: bool
    n_steps_mode: str   # 'none' | 'int' | 'sym'
    n: int              # the number of steps
    seed: int
    mode: object = None  # the mode of the scan function (None: C)
    read: str = "all"    # 'all' rows of the outputs, or only the 'last' one or 'last_two'
    shape: tuple = (D,)  # the shape of every per-step value


@st.composite
def configs(draw):
    seq_taps = []
    for _ in range(draw(st.integers(0, 2))):
        low, high = draw(st.integers(-2, 0)), draw(st.integers(0, 2))
        middle = draw(st.sets(st.integers(low, high), max_size=2))
        seq_taps.append(sorted({low, high} | middle))
    out_kinds = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["none", "var", "taps"]))
        if kind == "none":
            out_kinds.append(("none", draw(st.sampled_from(["None", "dict"]))))
        elif kind == "var":
            out_kinds.append(("var", draw(st.sampled_from(["plain", "dict", "dict_taps"]))))
        else:
            taps = sorted(draw(st.sets(st.integers(-3, -1), min_size=1, max_size=3)))
            if taps == [-1]:
                taps = [-2, -1]
            out_kinds.append(("taps", taps))
    n_steps_mode = draw(st.sampled_from(["none", "int", "sym"] if seq_taps else ["int", "sym"]))
    go_backwards = draw(st.booleans())
    # backwards with spare rows: test_go_backwards_with_fewer_steps_reads_the_end
    seq_extra = [draw(st.integers(0, 2)) if n_steps_mode != "none" and not go_backwards else 0
                 for _ in seq_taps]
    return Config(seq_taps, seq_extra, out_kinds, draw(st.booleans()), draw(st.booleans()),
                  go_backwards, n_steps_mode, draw(st.integers(1, 4)),
                  draw(st.integers(0, 2 ** 16)), draw(st.sampled_from(BACKENDS)),
                  draw(st.sampled_from(["all", "all", "last", "last_two"])),
                  draw(st.sampled_from([(D,), (D,), (), (2, D)])))


class Problem:
    """Symbolic inputs, their values, the step function, and scan / unrolled outputs."""

    def __init__(self, cfg):
        self.cfg = cfg
        rng = np.random.default_rng(cfg.seed)
        shape = cfg.shape

        def tensor(name, ndim):
            return T.TensorType("float64", (False,) * ndim)(name)

        self.seq_vars, self.seq_vals = [], []
        for i, taps in enumerate(cfg.seq_taps):
            length = cfg.n + seq_window(taps)[1] + cfg.seq_extra[i]
            self.seq_vars.append(tensor(f"seq{i}", 1 + len(shape)))
            self.seq_vals.append(rng.normal(size=(length, *shape)))
        self.init_vars, self.init_vals, self.out_taps = [], [], []
        for j, (kind, detail) in enumerate(cfg.out_kinds):
            if kind == "none":
                self.out_taps.append([])
            elif kind == "var":
                self.out_taps.append([-1])
                self.init_vars.append(tensor(f"h{j}", len(shape)))
                self.init_vals.append(rng.normal(size=shape))
            else:
                self.out_taps.append(list(detail))
                self.init_vars.append(tensor(f"h{j}", 1 + len(shape)))
                self.init_vals.append(rng.normal(size=(-min(detail), *shape)))
        self.n_args = sum(map(len, cfg.seq_taps)) + sum(map(len, self.out_taps))
        self.coef = rng.uniform(-1, 1, size=(len(cfg.out_kinds), self.n_args))
        self.bias = rng.normal(size=(len(cfg.out_kinds), *shape)) * 0.3
        # W multiplies the per-step value: a matrix on its first axis, or a scalar
        w_shape = (shape[0], shape[0]) if shape else ()
        self.w_var = tensor("W", len(w_shape)) if cfg.non_seq else None
        self.w_val = rng.normal(size=w_shape) * 0.6
        self.shared = (arignote.shared(rng.normal(size=shape), name="S") if cfg.shared
                       else None)
        self.proj = [rng.normal(size=(cfg.n, *shape)) for _ in cfg.out_kinds]

    def step(self, *args):
        """One step: every output mixes every argument, then W, S and a nonlinearity."""
        assert len(args) == self.n_args + (1 if self.cfg.non_seq else 0)
        outs = []
        for j, (kind, _) in enumerate(self.cfg.out_kinds):
            z = T.constant(self.bias[j])
            for i in range(self.n_args):
                z = z + self.coef[j, i] * args[i]
            if self.cfg.non_seq:
                # the second term does not change between steps (it can leave the loop)
                w = args[-1]
                if self.cfg.shape == (D,):
                    z = T.dot(w, z) + 0.1 * T.tanh(w).sum(axis=0)
                elif self.cfg.shape:
                    z = T.dot(w, z) + 0.1 * T.tanh(w).sum()
                else:
                    z = w * z + 0.1 * T.tanh(w)
            if self.shared is not None:
                z = z + (0.5 + 0.25 * j) * self.shared
            out = T.tanh(z)
            if self.n_args and kind == "none":
                out = out * (1 + 0.2 * args[0])
            outs.append(out)
        return outs

    def outputs_info(self):
        info, k = [], 0
        for kind, detail in self.cfg.out_kinds:
            if kind == "none":
                info.append(None if detail == "None" else {"initial": None})
                continue
            init = self.init_vars[k]
            k += 1
            if kind == "taps":
                info.append({"initial": init, "taps": list(detail)})
            elif detail == "plain":
                info.append(init)
            elif detail == "dict":
                info.append({"initial": init})
            else:
                info.append({"initial": init, "taps": [-1]})
        return info

    def sequences(self):
        return [v if taps == [0] else {"input": v, "taps": list(taps)}
                for v, taps in zip(self.seq_vars, self.cfg.seq_taps)]

    def scan(self, n_var=None, **kwargs):
        n_steps = {"none": None, "int": self.cfg.n, "sym": n_var}[self.cfg.n_steps_mode]
        outs, updates = arignote.scan(
            self.step, sequences=self.sequences(), outputs_info=self.outputs_info(),
            non_sequences=[self.w_var] if self.cfg.non_seq else [], n_steps=n_steps,
            go_backwards=self.cfg.go_backwards, **kwargs)
        assert not updates
        return as_list(outs)

    def unrolled(self):
        """The same steps applied in Python to slices, each output's results stacked."""
        cfg = self.cfg
        history, k = [], 0
        for taps in self.out_taps:
            if not taps:
                history.append(None)
                continue
            init = self.init_vars[k]
            k += 1
            history.append([init] if taps == [-1] else [init[r] for r in range(-min(taps))])
        results = [[] for _ in cfg.out_kinds]
        for s in range(cfg.n):
            args = []
            for var, val, taps in zip(self.seq_vars, self.seq_vals, cfg.seq_taps):
                offset, span = seq_window(taps)
                t = len(val) - span - 1 - s if cfg.go_backwards else s
                args += [var[t + tap + offset] for tap in taps]
            for hist, taps in zip(history, self.out_taps):
                args += [hist[len(hist) + tap] for tap in taps]
            if cfg.non_seq:
                args.append(self.w_var)
            for j, out in enumerate(self.step(*args)):
                results[j].append(out)
                if history[j] is not None:
                    history[j].append(out)
        return [T.stack(r) for r in results]

    def wrt(self):
        """Differentiable inputs: (variables, values)."""
        pairs = list(zip(self.seq_vars, self.seq_vals)) + list(zip(self.init_vars,
                                                                   self.init_vals))
        if self.cfg.non_seq:
            pairs.append((self.w_var, self.w_val))
        if self.shared is not None:
            pairs.append((self.shared, None))
        return [p[0] for p in pairs], [p[1] for p in pairs if p[1] is not None]

    def inputs(self):
        wrt, values = self.wrt()
        return [v for v in wrt if v is not self.shared], values

    def read(self, outs):
        """What the function reads of the stacked outputs: all rows, or out[-1] (out[-2]).

        Reading only the last rows lets the compiler keep a window of the states.
        """
        if self.cfg.read == "all":
            return outs
        depth = 2 if self.cfg.read == "last_two" and self.cfg.n >= 2 else 1
        return [o[-k] for o in outs for k in range(1, depth + 1)]

    def cost(self, outs):
        proj = self.proj if self.cfg.read == "all" else [p[0] for p in self.proj] * 2
        return sum((o * p).sum() for o, p in zip(outs, proj))


@settings(max_examples=20, **SETTINGS)
@given(configs())
def test_scan_matches_unrolled_values_and_grads(cfg):
    prob = Problem(cfg)
    n_var = T.lscalar("n")
    outs = prob.read(prob.scan(n_var))
    ref_outs = prob.read(prob.unrolled())
    wrt, _ = prob.wrt()
    inputs, values = prob.inputs()
    grads = T.grad(prob.cost(outs), wrt, disconnected_inputs="ignore") if wrt else []
    ref_grads = T.grad(prob.cost(ref_outs), wrt, disconnected_inputs="ignore") if wrt else []
    extra = [n_var] if cfg.n_steps_mode == "sym" else []
    f = arignote.function(inputs + extra, outs + grads, on_unused_input="ignore",
                          mode=cfg.mode)
    ref = arignote.function(inputs, ref_outs + ref_grads, on_unused_input="ignore", mode=REF)
    got = list(f(*values, *([cfg.n] if extra else [])))
    want = list(ref(*values))
    assert len(got) == len(want)
    if cfg.read != "all":
        # without the gradient, nothing else reads the trajectories: the loop may keep
        # only the last rows of the states
        values_only = arignote.function(inputs + extra, outs, on_unused_input="ignore",
                                        mode=cfg.mode)
        got += values_only(*values, *([cfg.n] if extra else []))
        want += want[:len(outs)]
    for k, (a, b) in enumerate(zip(got, want)):
        assert np.shape(a) == np.shape(b), (k, np.shape(a), np.shape(b))
        close(a, b)


# ---------------------------------------------------------------------------------------------
# Sequence taps: Theano's rules where tap 0 is not in the range of the taps


@pytest.mark.parametrize("taps", [[-2, -1], [-3], [1, 2], [2], [1, -1], [0, -2, 1]])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_sequence_taps_theano_rules(taps, go_backwards):
    """Steps = len - (max(max tap, 0) - min(min tap, 0)); the args follow the taps' order."""
    x = T.dvector("x")
    xv = np.arange(1.0, 9.0) ** 1.5
    weights = [10.0 ** i for i in range(len(taps))]

    def step(*args):
        return sum(w * a for w, a in zip(weights, args))

    out, _ = arignote.scan(step, sequences={"input": x, "taps": taps}, go_backwards=go_backwards)
    got = arignote.function([x], out)(xv)
    offset, span = seq_window(taps)
    n = len(xv) - span
    order = range(n - 1, -1, -1) if go_backwards else range(n)
    want = [sum(w * xv[t + tap + offset] for w, tap in zip(weights, taps)) for t in order]
    close(got, want)


@pytest.mark.parametrize("symbolic", [False, True])
def test_go_backwards_with_fewer_steps_reads_the_end(symbolic):
    """Theano reverses the sequence, then takes n_steps rows: the last elements, backwards."""
    x, n = T.dvector("x"), T.lscalar("n")
    out, _ = arignote.scan(lambda a: a, sequences=x, n_steps=n if symbolic else 2,
                           go_backwards=True)
    f = arignote.function([x, n], out, on_unused_input="ignore")
    close(f(np.arange(5.0), 2), [4.0, 3.0])
    taps, _ = arignote.scan(lambda a, b: a * 10 + b, sequences={"input": x, "taps": [-1, 0]},
                            n_steps=n if symbolic else 2, go_backwards=True)
    g = arignote.function([x, n], taps, on_unused_input="ignore")
    close(g(np.arange(5.0), 2), [34.0, 23.0])


def test_output_taps_in_given_order():
    """fn gets an output's taps in the order listed; initial[0] is the oldest row."""
    h0 = T.dvector("h0")

    def step(a, b):
        return a + 10 * b

    out, _ = arignote.scan(step, outputs_info={"initial": h0, "taps": [-1, -3]}, n_steps=5)
    got = arignote.function([h0], out)(np.array([1.0, 2.0, 3.0]))
    hist = [1.0, 2.0, 3.0]
    for _ in range(5):
        hist.append(hist[-1] + 10 * hist[-3])
    close(got, hist[3:])


# ---------------------------------------------------------------------------------------------
# until


@st.composite
def until_cases(draw):
    return (draw(st.integers(1, 6)), draw(st.integers(0, 6)), draw(st.booleans()),
            draw(st.booleans()), draw(st.integers(0, 2 ** 16)), draw(st.sampled_from(BACKENDS)))


@settings(max_examples=15, **SETTINGS)
@given(until_cases())
def test_until_matches_unrolled(case):
    """Stop after the first step whose x_t[0] > 0; outputs keep only the steps that ran."""
    length, stop, go_backwards, extra_out, seed, mode = case
    rng = np.random.default_rng(seed)
    xv = rng.uniform(-1.0, -0.2, size=(length, D))
    order = list(range(length - 1, -1, -1)) if go_backwards else list(range(length))
    ran = length
    if stop < length:
        xv[order[stop], 0] = 1.0
        ran = stop + 1
    h0v, wv = rng.normal(size=D), rng.normal(size=(D, D)) * 0.5
    x, h0, w = T.dmatrix("x"), T.dvector("h0"), T.dmatrix("w")

    def step(x_t, h, w):
        h_new = T.tanh(T.dot(w, h) + x_t)
        outs = [h_new, (h_new * x_t).sum()] if extra_out else h_new
        return outs, arignote.scan_module.until(x_t[0] > 0)

    info = [h0, None] if extra_out else h0
    outs, _ = arignote.scan(step, sequences=x, outputs_info=info, non_sequences=w,
                            go_backwards=go_backwards)
    outs = as_list(outs)
    hist, ref_outs = [h0], [[], []]
    for t in order[:ran]:
        h = T.tanh(T.dot(w, hist[-1]) + x[t])
        hist.append(h)
        ref_outs[0].append(h)
        ref_outs[1].append((h * x[t]).sum())
    ref_outs = [T.stack(r) for r in ref_outs[:len(outs)]]
    cost = sum((o ** 2).sum() * (k + 1) for k, o in enumerate(outs))
    ref_cost = sum((o ** 2).sum() * (k + 1) for k, o in enumerate(ref_outs))
    wrt = [x, h0, w]
    f = arignote.function(wrt, outs + T.grad(cost, wrt), mode=mode)
    ref = arignote.function(wrt, ref_outs + T.grad(ref_cost, wrt), mode=REF)
    got, want = f(xv, h0v, wv), ref(xv, h0v, wv)
    assert got[0].shape == (ran, D)
    for a, b in zip(got, want):
        close(a, b)


def test_until_while_loop_with_n_steps_bound():
    """No sequences: n_steps is the bound and until ends the loop (a do-while)."""
    s0 = T.dscalar("s0")
    out, _ = arignote.scan(lambda s: (s * 2, arignote.scan_module.until(s * 2 > 100)),
                           outputs_info=s0, n_steps=1000)
    f = arignote.function([s0], out)
    close(f(3.0), [6, 12, 24, 48, 96, 192])
    close(f(200.0), [400])
    bounded, _ = arignote.scan(lambda s: (s * 2, arignote.scan_module.until(s > 1e9)),
                               outputs_info=s0, n_steps=4)
    close(arignote.function([s0], bounded)(1.0), [2, 4, 8, 16])


# ---------------------------------------------------------------------------------------------
# truncate_gradient


@settings(max_examples=15, **SETTINGS)
@given(st.integers(2, 6), st.integers(1, 7), st.booleans(), st.integers(0, 2 ** 16),
       st.sampled_from(BACKENDS))
def test_truncate_gradient_matches_truncated_unrolled(n, k, go_backwards, seed, mode):
    """BPTT through the last k steps only: earlier steps contribute no gradient."""
    rng = np.random.default_rng(seed)
    xv, h0v, wv = rng.normal(size=(n, D)), rng.normal(size=D), rng.normal(size=(D, D)) * 0.6
    proj = rng.normal(size=(n, D))
    x, h0, w = T.dmatrix("x"), T.dvector("h0"), T.dmatrix("w")

    def step(x_t, h, w):
        return T.tanh(x_t + T.dot(w, h))

    out, _ = arignote.scan(step, sequences=x, outputs_info=h0, non_sequences=w,
                           truncate_gradient=k, go_backwards=go_backwards)
    order = list(range(n - 1, -1, -1)) if go_backwards else list(range(n))
    h, ref = h0, []
    for s, t in enumerate(order):
        if s < n - k:
            h = step(G.disconnected_grad(x[t]), G.disconnected_grad(h), G.disconnected_grad(w))
        else:
            h = step(x[t], h, w)
        ref.append(h)
    ref = T.stack(ref)
    wrt = [x, w] + ([h0] if k >= n else [])
    f = arignote.function([x, h0, w], [out] + T.grad((out * proj).sum(), wrt), mode=mode)
    r = arignote.function([x, h0, w], [ref] + T.grad((ref * proj).sum(), wrt,
                                                     disconnected_inputs="ignore"), mode=REF)
    for a, b in zip(f(xv, h0v, wv), r(xv, h0v, wv)):
        close(a, b)


# ---------------------------------------------------------------------------------------------
# nested scans


@settings(max_examples=10, **SETTINGS)
@given(st.integers(1, 4), st.integers(1, 3), st.booleans(), st.integers(0, 2 ** 16),
       st.sampled_from(BACKENDS))
def test_nested_scan_matches_unrolled(n_rows, n_cols, inner_backwards, seed, mode):
    """An outer scan over the rows of X whose step runs an inner scan over the row."""
    rng = np.random.default_rng(seed)
    xv, h0v, wv = rng.normal(size=(n_rows, n_cols)), rng.normal(size=D), rng.normal(size=D)
    x, h0, w = T.dmatrix("x"), T.dvector("h0"), T.dvector("w")

    def inner_step(x_j, c, h, w):
        return T.tanh(c * x_j + 0.5 * h + w)

    def outer_step(row, h, w):
        cs, _ = arignote.scan(inner_step, sequences=row, outputs_info=h, non_sequences=[h, w],
                              go_backwards=inner_backwards)
        return cs[-1] * 0.9 + 0.1 * h

    out, _ = arignote.scan(outer_step, sequences=x, outputs_info=h0, non_sequences=w)
    h, ref = h0, []
    for i in range(n_rows):
        cols = range(n_cols - 1, -1, -1) if inner_backwards else range(n_cols)
        c = h
        for j in cols:
            c = inner_step(x[i, j], c, h, w)
        h = c * 0.9 + 0.1 * h
        ref.append(h)
    ref = T.stack(ref)
    proj = rng.normal(size=(n_rows, D))
    wrt = [x, h0, w]
    f = arignote.function(wrt, [out] + T.grad((out * proj).sum(), wrt), mode=mode)
    r = arignote.function(wrt, [ref] + T.grad((ref * proj).sum(), wrt), mode=REF)
    for a, b in zip(f(xv, h0v, wv), r(xv, h0v, wv)):
        close(a, b)


# ---------------------------------------------------------------------------------------------
# finite differences


def test_verify_grad_multi_tap_backwards_shared_like():
    """Finite differences through sequence taps, a two-tap output and a non-sequence."""
    rng = np.random.default_rng(0)

    def fun(x, h0, w):
        def step(x_prev, x_next, h2, h1, w):
            return T.tanh(T.dot(w, h1) + 0.5 * h2 * x_prev + x_next)

        out, _ = arignote.scan(step, sequences={"input": x, "taps": [-1, 1]},
                               outputs_info={"initial": h0, "taps": [-2, -1]},
                               non_sequences=w, go_backwards=True)
        return out

    G.verify_grad(fun, [rng.normal(size=(6, 2)), rng.normal(size=(2, 2)),
                        rng.normal(size=(2, 2)) * 0.5], rng=np.random.default_rng(1))


def test_verify_grad_none_output_and_until():
    rng = np.random.default_rng(2)

    def fun(x, h0):
        def step(x_t, h):
            h_new = h * T.cos(x_t) + x_t ** 2
            return [h_new.sum() * x_t[0], h_new], arignote.scan_module.until(x_t[0] > 5)

        outs, _ = arignote.scan(step, sequences=x, outputs_info=[None, h0])
        return outs[0].dimshuffle(0, "x") + outs[1]

    xv = rng.uniform(-1, 1, size=(5, 2))
    xv[3, 0] = 10.0
    G.verify_grad(fun, [xv, rng.normal(size=2)], rng=np.random.default_rng(3))


def test_verify_grad_nested_and_symbolic_n_steps_via_shape():
    rng = np.random.default_rng(4)

    def fun(x, a):
        def inner(c, a_row):
            return T.sin(c) * a_row + c

        def outer(x_t, a):
            cs, _ = arignote.scan(inner, outputs_info=x_t, non_sequences=a,
                                  n_steps=a.shape[0] - 1)
            return cs.sum(axis=0)

        out, _ = arignote.scan(outer, sequences=x, non_sequences=a)
        return out

    G.verify_grad(fun, [rng.normal(size=(3, 3)), rng.normal(size=3)],
                  rng=np.random.default_rng(5))


def test_verify_grad_captured_shared_variable():
    """A shared variable used in fn without being a non-sequence still gets its gradient."""
    rng = np.random.default_rng(6)
    wv = rng.normal(size=(2, 2))
    w = arignote.shared(wv.copy(), name="w")
    x = T.dmatrix("x")
    out, _ = arignote.scan(lambda x_t, h: T.tanh(T.dot(w, h) + x_t), sequences=x,
                           outputs_info=T.zeros((2,), dtype="float64"))
    cost = (out ** 2).sum()
    f = arignote.function([x], T.grad(cost, w))
    xv = rng.normal(size=(4, 2))

    def numpy_cost(wm):
        h, total = np.zeros(2), 0.0
        for t in range(4):
            h = np.tanh(wm @ h + xv[t])
            total += (h ** 2).sum()
        return total

    eps, numeric = 1e-6, np.zeros_like(wv)
    for idx in np.ndindex(*wv.shape):
        plus, minus = wv.copy(), wv.copy()
        plus[idx] += eps
        minus[idx] -= eps
        numeric[idx] = (numpy_cost(plus) - numpy_cost(minus)) / (2 * eps)
    close(f(xv), numeric, rtol=1e-5, atol=1e-7)


def test_two_scans_over_the_same_sequence():
    """Two loops over x in one function (and the gradient of both), against unrolled ones."""
    rng = np.random.default_rng(8)
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    xv, h0v = rng.normal(size=(5, D)), rng.normal(size=D)

    def step_a(x_t, h):
        return T.tanh(h + x_t)

    def step_b(x_t, h):
        return T.sin(h) * x_t

    a, _ = arignote.scan(step_a, sequences=x, outputs_info=h0)
    b, _ = arignote.scan(step_b, sequences=x, outputs_info=h0)
    ha, hb, ra, rb = h0, h0, [], []
    for t in range(5):
        ha, hb = step_a(x[t], ha), step_b(x[t], hb)
        ra.append(ha)
        rb.append(hb)
    ra, rb = T.stack(ra), T.stack(rb)
    f = arignote.function([x, h0], [a, b, a[-1] * b[-2]] + T.grad((a * b).sum(), [x, h0]))
    r = arignote.function([x, h0], [ra, rb, ra[-1] * rb[-2]] + T.grad((ra * rb).sum(), [x, h0]),
                          mode=REF)
    for got, want in zip(f(xv, h0v), r(xv, h0v)):
        close(got, want)


# ---------------------------------------------------------------------------------------------
# edge cases of what fn returns and of the inputs' layouts


def _check_against_unrolled(outs, ref_outs, inputs, values, wrt):
    """Values and gradients of a scan and of its unrolled graph agree (C against reference)."""
    rng = np.random.default_rng(9)
    f_values = arignote.function(inputs, ref_outs, mode=REF)(*values)
    proj = [rng.normal(size=np.shape(v)) for v in f_values]
    cost = sum((o * p).sum() for o, p in zip(outs, proj))
    ref_cost = sum((o * p).sum() for o, p in zip(ref_outs, proj))
    got = arignote.function(inputs, outs + T.grad(cost, wrt, disconnected_inputs="ignore"))(
        *values)
    want = arignote.function(
        inputs, ref_outs + T.grad(ref_cost, wrt, disconnected_inputs="ignore"), mode=REF)(*values)
    for k, (a, b) in enumerate(zip(got, want)):
        assert np.shape(a) == np.shape(b), k
        close(a, b)


def test_fn_returns_its_inputs_unchanged():
    """Outputs that are a sequence element, a previous state or a non-sequence as given."""
    x, h0, w = T.dmatrix("x"), T.dvector("h0"), T.dvector("w")
    (a, b, c, d), _ = arignote.scan(lambda x_t, h, g, w: [x_t, h, g * x_t, w],
                                    sequences=x, outputs_info=[None, h0, h0, None],
                                    non_sequences=w)
    rows = [x[t] for t in range(4)]
    gs, g = [], h0
    for t in range(4):
        g = g * x[t]
        gs.append(g)
    ref = [T.stack(rows), T.stack([h0] * 4), T.stack(gs), T.stack([w] * 4)]
    rng = np.random.default_rng(10)
    values = [rng.normal(size=(4, D)), rng.normal(size=D), rng.normal(size=D)]
    _check_against_unrolled([a, b, c, d], ref, [x, h0, w], values, [x, h0, w])


def test_fn_returns_constants_and_the_same_variable_twice():
    x = T.dvector("x")

    def step(x_t):
        y = T.exp(x_t) * 2
        return [y, y, T.constant(1.5, dtype="float64")]

    (a, b, c), _ = arignote.scan(step, sequences=x)
    f = arignote.function([x], [a, b, c, T.grad((a * b).sum() + c.sum(), x)])
    xv = np.array([0.1, -0.3, 0.7])
    got = f(xv)
    close(got[0], 2 * np.exp(xv))
    close(got[1], 2 * np.exp(xv))
    close(got[2], [1.5, 1.5, 1.5])
    close(got[3], 8 * np.exp(2 * xv))


def test_strided_and_reversed_sequences():
    """Sequences that are views: a transpose, a reversed slice, every other row."""
    m = T.dmatrix("m")
    h0 = T.dvector("h0")
    seqs = [m.T, m[::-1], m[::2, 1:]]
    out, _ = arignote.scan(lambda a, b, c, h: T.tanh(h * a[:2] + b[:2] * c[:2]),
                           sequences=seqs, outputs_info=h0, n_steps=2)
    h, ref = h0, []
    for t in range(2):
        h = T.tanh(h * seqs[0][t][:2] + seqs[1][t][:2] * seqs[2][t][:2])
        ref.append(h)
    rng = np.random.default_rng(11)
    values = [rng.normal(size=(4, 4)), rng.normal(size=2)]
    _check_against_unrolled([out], [T.stack(ref)], [m, h0], values, [m, h0])


def test_integer_states_and_sequences():
    """An int64 counter state, an int32 sequence used as indices, a float result."""
    idx, table = T.ivector("idx"), T.dvector("table")
    zero = T.constant(0, dtype="int64")
    (count, picked), _ = arignote.scan(lambda i, c, table: [c + i, table[i] * c],
                                       sequences=idx, outputs_info=[zero, None],
                                       non_sequences=table)
    assert count.dtype == "int64" and picked.dtype == "float64"
    f = arignote.function([idx, table], [count, picked, T.grad(picked.sum(), table)])
    iv, tv = np.array([2, 0, 3, 1], dtype="int32"), np.array([10.0, 20.0, 30.0, 40.0])
    got = f(iv, tv)
    counts = np.cumsum(iv)
    np.testing.assert_array_equal(got[0], counts)
    close(got[1], tv[iv] * (counts - iv))
    grad = np.zeros(4)
    np.add.at(grad, iv, counts - iv)
    close(got[2], grad)


def test_broadcastable_initial_state():
    """A (1, 3) initial state whose type says row (broadcastable), fn's result a matrix."""
    x, w = T.dmatrix("x"), T.dmatrix("w")
    h0 = T.zeros((1, 3), dtype="float64")
    out, _ = arignote.scan(lambda x_t, h, w: T.tanh(T.dot(h, w) + x_t), sequences=x,
                           outputs_info=h0, non_sequences=w)
    h, ref = h0, []
    for t in range(3):
        h = T.tanh(T.dot(h, w) + x[t])
        ref.append(h)
    rng = np.random.default_rng(12)
    values = [rng.normal(size=(3, 3)), rng.normal(size=(3, 3))]
    _check_against_unrolled([out], [T.stack(ref)], [x, w], values, [x, w])


@pytest.mark.parametrize("mode", [None, REF])
def test_repeated_calls_with_changing_lengths(mode):
    """Buffers kept between calls adapt to the length; returned arrays are not overwritten."""
    x, h0 = T.dmatrix("x"), T.dmatrix("h0")
    out, _ = arignote.scan(lambda x_t, h2, h1: T.tanh(h1 - 0.5 * h2 + x_t), sequences=x,
                           outputs_info={"initial": h0, "taps": [-2, -1]})
    f = arignote.function([x, h0], [out, out[-1], T.grad(out[-1].sum(), x)], mode=mode)
    last = arignote.function([x, h0], out[-1], mode=mode)

    def numpy_loop(xv, h0v):
        hist = list(h0v)
        for row in xv:
            hist.append(np.tanh(hist[-1] - 0.5 * hist[-2] + row))
        return np.array(hist[2:])

    rng = np.random.default_rng(13)
    h0v = rng.normal(size=(2, D))
    kept = []
    for n in [5, 2, 9, 1, 5]:
        xv = rng.normal(size=(n, D))
        got = f(xv, h0v)
        want = numpy_loop(xv, h0v)
        close(got[0], want)
        close(got[1], want[-1])
        assert got[2].shape == (n, D)
        close(last(xv, h0v), want[-1])
        kept.append((got[0], got[0].copy()))
    for array, copy in kept:
        np.testing.assert_array_equal(array, copy)


# ---------------------------------------------------------------------------------------------
# map / reduce / foldl / foldr, return_list


def test_map():
    x, y = T.dvector("x"), T.dvector("y")
    out, updates = arignote.map(lambda a, b, k: a * b + k, sequences=[x, y],
                                non_sequences=T.constant(2.0))
    assert not updates
    xv, yv = np.arange(5.0), np.arange(5.0) - 2
    close(arignote.function([x, y], out)(xv, yv), xv * yv + 2)
    back, _ = arignote.map(lambda a: a * 10, sequences=x, go_backwards=True)
    close(arignote.function([x], back)(xv), xv[::-1] * 10)


def test_reduce_foldl_foldr():
    x = T.dvector("x")
    xv = np.array([1.0, 2.0, 3.0, 4.0])
    z = T.constant(0.0)
    total, _ = arignote.reduce(lambda a, acc: acc + a, sequences=x, outputs_info=z)
    assert total.ndim == 0
    close(arignote.function([x], total)(xv), 10.0)
    # order matters for acc * 10 + a: foldl reads 1, 2, 3, 4; foldr reads 4, 3, 2, 1
    left, _ = arignote.foldl(lambda a, acc: acc * 10 + a, sequences=x, outputs_info=z)
    right, _ = arignote.foldr(lambda a, acc: acc * 10 + a, sequences=x, outputs_info=z)
    f = arignote.function([x], [left, right])
    close(f(xv), [1234.0, 4321.0])
    # reduce of a vector state: only the last state, no time axis
    h = T.dvector("h")
    last, _ = arignote.reduce(lambda a, acc: acc * a, sequences=x, outputs_info=h)
    assert last.ndim == 1
    close(arignote.function([x, h], last)(xv, np.array([1.0, -1.0])), [24.0, -24.0])


def test_return_list():
    x = T.dvector("x")
    single, _ = arignote.scan(lambda a: a * 2, sequences=x)
    listed, _ = arignote.scan(lambda a: a * 2, sequences=x, return_list=True)
    assert not isinstance(single, (list, tuple))
    assert isinstance(listed, list) and len(listed) == 1
    close(arignote.function([x], listed[0])(np.arange(3.0)), [0.0, 2.0, 4.0])
    two, _ = arignote.scan(lambda a: [a * 2, a + 1], sequences=x)
    assert isinstance(two, list) and len(two) == 2


# ---------------------------------------------------------------------------------------------
# updates from fn, n_steps = 0


def test_updates_from_fn_apply_final_value():
    """A shared counter incremented in fn: after the call it has advanced once per step."""
    counter = arignote.shared(np.int64(0), name="counter")
    acc = arignote.shared(np.float64(1.5), name="acc")
    x = T.dvector("x")

    def step(x_t):
        return acc * 1.0, OrderedDict([(counter, counter + 1), (acc, acc + x_t)])

    out, updates = arignote.scan(step, sequences=x)
    assert isinstance(updates, OrderedDict)
    assert set(updates) == {counter, acc}
    f = arignote.function([x], out, updates=updates)
    xv = np.array([1.0, 2.0, 4.0])
    # fn reads the value at the start of each step
    close(f(xv), [1.5, 2.5, 4.5])
    assert int(counter.get_value()) == 3
    close(acc.get_value(), 8.5)
    f(xv[:2])
    assert int(counter.get_value()) == 5
    close(acc.get_value(), 11.5)


def test_updates_as_list_of_pairs_with_until():
    counter = arignote.shared(np.int64(0), name="counter")
    x = T.dvector("x")
    out, updates = arignote.scan(
        lambda x_t: (x_t * 2, [(counter, counter + 1)], arignote.scan_module.until(x_t > 2)),
        sequences=x)
    f = arignote.function([x], out, updates=updates)
    close(f(np.array([1.0, 2.0, 3.0, 4.0])), [2.0, 4.0, 6.0])
    assert int(counter.get_value()) == 3


def test_n_steps_zero_with_recurrent_output():
    h0 = T.dvector("h0")
    n = T.lscalar("n")
    out, _ = arignote.scan(lambda h: h * 2 + 1, outputs_info=h0, n_steps=n)
    cost = out.sum() + (h0 ** 2).sum()
    f = arignote.function([h0, n], [out, T.grad(cost, h0)])
    value, grad = f(np.array([1.0, 2.0]), 0)
    assert value.shape == (0, 2)
    close(grad, [2.0, 4.0])
    value, grad = f(np.array([1.0, 2.0]), 2)
    close(value, [[3.0, 5.0], [7.0, 11.0]])
    close(grad, [2 + 2 + 4, 4 + 2 + 4])
    const, _ = arignote.scan(lambda h: h * 2 + 1, outputs_info=h0, n_steps=0)
    assert arignote.function([h0], const)(np.array([1.0, 2.0])).shape == (0, 2)


# ---------------------------------------------------------------------------------------------
# jacobian / hessian, modes, generated source, checkpoints


def _power_chain(x, h0):
    """h_t = tanh(h_{t-1} * x + 1) for 3 steps."""
    out, _ = arignote.scan(lambda h, x: T.tanh(h * x + 1), outputs_info=h0, non_sequences=x,
                           n_steps=3)
    return out


def _power_chain_unrolled(x, h0):
    h, res = h0, []
    for _ in range(3):
        h = T.tanh(h * x + 1)
        res.append(h)
    return T.stack(res)


def test_jacobian_and_hessian_through_scan():
    x, h0 = T.dvector("x"), T.dvector("h0")
    xv, h0v = np.array([0.3, -0.7, 1.1]), np.array([0.5, 0.1, -0.4])
    results = []
    for build, mode in [(_power_chain, None), (_power_chain_unrolled, REF)]:
        out = build(x, h0)
        cost = (out[-1] * out[1]).sum() + (out ** 3).sum()
        jac = G.jacobian(out[-1], x)
        hess = G.hessian(cost, x)
        results.append(arignote.function([x, h0], [jac, hess], mode=mode)(xv, h0v))
    (jac, hess), (ref_jac, ref_hess) = results
    assert jac.shape == (3, 3) and hess.shape == (3, 3)
    close(jac, ref_jac)
    close(hess, ref_hess)
    close(hess, hess.T, rtol=1e-9)


def test_fast_compile_and_default_mode_agree():
    rng = np.random.default_rng(7)
    x, h0, w = T.dmatrix("x"), T.dmatrix("h0"), T.dmatrix("w")

    def step(x_t, x_next, h2, h1, w):
        return T.tanh(T.dot(w, h1) - h2 + x_t * x_next), (h1 ** 2).sum()

    (out, side), _ = arignote.scan(step, sequences={"input": x, "taps": [0, 1]},
                                   outputs_info=[{"initial": h0, "taps": [-2, -1]}, None],
                                   non_sequences=w)
    cost = (out ** 2).sum() + side.sum()
    outs = [out, side] + T.grad(cost, [x, h0, w])
    values = [rng.normal(size=(7, 4)), rng.normal(size=(2, 4)), rng.normal(size=(4, 4)) * 0.5]
    fast = arignote.function([x, h0, w], outs, mode="FAST_COMPILE")(*values)
    default = arignote.function([x, h0, w], outs)(*values)
    assert arignote.function([x, h0, w], outs, mode="FAST_COMPILE").source is None
    for a, b in zip(default, fast):
        close(a, b)


def test_source_contains_the_step_loop():
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    out, _ = arignote.scan(lambda x_t, h: T.tanh(h + x_t), sequences=x, outputs_info=h0)
    f = arignote.function([x, h0], out)
    src = f.source
    assert src is not None
    # the loop is C: a commented Scan kernel and a for over the steps, not a Python thunk
    assert re.search(r"/\* *\d+: Scan\{", src), src
    assert re.search(r"for \(npy_intp (\w+) = 0; \1 < steps\w*; \1\+\+\)", src), src
    h, want = np.zeros(2), []
    for _ in range(3):
        h = np.tanh(h + 1.0)
        want.append(h)
    close(f(np.ones((3, 2)), np.zeros(2)), want)


def test_scan_in_function_machinery():
    """Pickled functions, DebugMode, NanGuardMode, Rop and a hessian through two-tap loops."""
    import pickle

    rng = np.random.default_rng(14)
    x, h0, w, v = T.dmatrix("x"), T.dmatrix("h0"), T.dvector("w"), T.dvector("v")

    def step(x_prev, x_next, h2, h1, w):
        return T.tanh(h1 * w - 0.3 * h2 + x_prev * x_next)

    out, _ = arignote.scan(step, sequences={"input": x, "taps": [-1, 1]},
                           outputs_info={"initial": h0, "taps": [-2, -1]}, non_sequences=w)
    hist, ref = [h0[0], h0[1]], []
    for t in range(4):
        hist.append(step(x[t], x[t + 2], hist[-2], hist[-1], w))
        ref.append(hist[-1])
    ref = T.stack(ref)
    values = [rng.normal(size=(6, 2)), rng.normal(size=(2, 2)), rng.normal(size=2),
              np.array([0.5, -2.0])]
    inputs = [x, h0, w, v]

    def quantities(o):
        return [o, T.grad((o ** 2).sum(), w), G.hessian((o ** 2).sum(), w), G.Rop(o, w, v)]

    want = arignote.function(inputs, quantities(ref), mode=REF)(*values)
    f = arignote.function(inputs, quantities(out))
    for mode_f in [f, pickle.loads(pickle.dumps(f)),
                   arignote.function(inputs, quantities(out), mode="DebugMode"),
                   arignote.function(inputs, quantities(out), mode="NanGuardMode")]:
        for a, b in zip(mode_f(*values), want):
            close(a, b)
    guarded = arignote.function([x, h0, w], out, mode="NanGuardMode")
    with pytest.raises(Exception, match="NaN"):
        guarded(values[0], values[1], np.array([np.nan, 1.0]))


@pytest.mark.parametrize("n, every", [(23, 5), (20, 5), (3, 10), (1, 1), (7, 1)])
def test_scan_checkpoints_equal_scan(n, every):
    """The outputs are the states after every N-th step (and the last): scan's rows there."""
    rng = np.random.default_rng(n + every)
    x, h0, w = T.dmatrix("x"), T.dvector("h0"), T.dmatrix("w")
    xv, h0v, wv = rng.normal(size=(n, D)), rng.normal(size=D), rng.normal(size=(D, D)) * 0.6

    def step(x_t, h, w):
        return T.tanh(x_t + T.dot(w, h))

    plain, _ = arignote.scan(step, sequences=[x], outputs_info=[h0], non_sequences=[w])
    ckpt, updates = arignote.scan_checkpoints(step, sequences=[x], outputs_info=[h0],
                                              non_sequences=[w], save_every_N=every)
    assert not updates
    ckpt = as_list(ckpt)[0]
    rows = list(range(every - 1, n, every)) + ([n - 1] if n % every else [])
    proj = rng.normal(size=(len(rows), D))
    wrt = [x, h0, w]
    got = [arignote.function(wrt, [o] + T.grad((o * proj).sum(), wrt))(xv, h0v, wv)
           for o in (plain[rows], ckpt)]
    assert got[1][0].shape == (len(rows), D)
    for a, b in zip(got[1], got[0]):
        close(a, b)
