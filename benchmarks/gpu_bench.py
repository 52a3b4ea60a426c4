"""GPU benchmarks of issue 12, side by side in one run: arignote against PyTorch and CuPy.

Cases (10^8-element arrays are float32):

- call overhead of ``x + 1`` on a device vector, device in and out (the graph ends in
  ``transfer('cuda')``), against PyTorch eager and CuPy;
- W2 fused element-wise: ``x*y + x`` against the device-to-device copy bandwidth, and
  ``exp(-x*x)*sin(y) + tanh(x*y)``, against PyTorch eager and ``torch.compile``;
- W3 logistic-regression training step (the paper's Figure 4, GPU shared variables) and
  W5 MLP step (784-500-10, batch 20), against PyTorch eager and the step in a CUDA graph;
- GEMM 8192^3 float32 (TF32 off) against PyTorch's cuBLAS;
- compile time of the W3 training function, cold (new process, empty cache) and warm.

Times are medians of repeated runs of (synchronize, N calls, synchronize) with
``time.perf_counter``.  Every case is guarded: one that fails prints its traceback and the
others still run.  The markdown table is rewritten after each case, so a run cut short
keeps what it measured.

Run: ``python3 benchmarks/gpu_bench.py [--out gpu_bench.md] [--budget SECONDS]``.
Without a usable GPU it says so, writes that to the table file, and exits 0.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import arignote  # noqa: E402
import arignote.tensor as T  # noqa: E402
from arignote.runtime import cuda  # noqa: E402

N_W2 = 10**8
START = time.perf_counter()
ROWS = []  # (case, unit, arignote, {peer: value}, ratio text, target, check)


def log(message):
    print(f"[{time.perf_counter() - START:6.1f}s] {message}", flush=True)


def median_time(call, number, repeat=5, warmup=2):
    """Median seconds per call of ``call`` (synchronised around each batch of ``number``)."""
    for _ in range(warmup):
        call()
    cuda.synchronize()
    samples = []
    for _ in range(repeat):
        cuda.synchronize()
        start = time.perf_counter()
        for _ in range(number):
            call()
        cuda.synchronize()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def optional(name):
    try:
        module = __import__(name)
    except Exception as error:  # not installed, or broken: the column says so
        log(f"{name} unavailable: {type(error).__name__}: {error}")
        return None
    return module


def fmt(value, unit):
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if unit == "µs":
        return f"{value * 1e6:.1f}"
    if unit == "ms":
        return f"{value * 1e3:.3f}"
    if unit == "s":
        return f"{value:.3f}"
    return f"{value:.1f}"


def record(case, unit, ours, peers, ratio="", target="", check=""):
    ROWS.append((case, unit, ours, peers, ratio, target, check))
    log(f"{case}: arignote {fmt(ours, unit)} {unit}; " +
        ", ".join(f"{name} {fmt(value, unit)}" for name, value in peers.items()) +
        (f"; {ratio} (target {target})" if ratio else "") + (f"; {check}" if check else ""))


def write_table(path, header_lines):
    peers = []
    for row in ROWS:
        for name in row[3]:
            if name not in peers:
                peers.append(name)
    lines = list(header_lines)
    lines.append("")
    lines.append("| " + " | ".join(["case", "unit", "arignote", *peers, "ratio", "target",
                                     "check"]) + " |")
    lines.append("|---" * (6 + len(peers)) + "|")
    for case, unit, ours, row_peers, ratio, target, check in ROWS:
        cells = [case, unit, fmt(ours, unit)] + [fmt(row_peers.get(name), unit)
                                                 for name in peers]
        cells += [ratio or "—", target or "—", check or "—"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"total bench time: {time.perf_counter() - START:.1f} s")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    return lines


def guarded(function):
    """Run one case; a failure prints its traceback and records the error."""
    def run(*args):
        log(f"--- {function.__name__}")
        try:
            function(*args)
        except Exception as error:
            traceback.print_exc()
            sys.stdout.flush()
            ROWS.append((function.__name__, "", f"FAILED: {type(error).__name__}: "
                         f"{str(error).splitlines()[0][:120] if str(error) else ''}", {},
                         "", "", "error"))
    run.__name__ = function.__name__
    return run


def close(ours, reference, rtol=1e-3, atol=1e-4):
    ours, reference = np.asarray(ours, dtype=np.float64), np.asarray(reference, np.float64)
    if ours.shape != reference.shape:
        return f"shape {ours.shape} != {reference.shape}"
    if np.allclose(ours, reference, rtol=rtol, atol=atol):
        return "matches"
    return f"MISMATCH (max abs diff {np.max(np.abs(ours - reference)):.3g})"


def to_host(value):
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return cuda.host_value(value)


# ---------------------------------------------------------------------------------------------
# Cases


@guarded
def call_overhead(torch, cupy):
    x = T.fvector("x")
    f = arignote.function([x], (x + 1).transfer("cuda"))
    host = np.arange(1000, dtype="float32")
    device = cuda.to_device(host)
    out = f(device)
    check = close(to_host(out), host + 1)
    ours = median_time(lambda: f(device), number=2000)
    peers = {}
    if torch is not None:
        tensor = torch.as_tensor(host, device="cuda")
        peers["torch eager"] = median_time(lambda: tensor + 1, number=2000)
    if cupy is not None:
        array = cupy.asarray(host)
        peers["cupy"] = median_time(lambda: array + 1, number=2000)
    ratio = (f"{ours / peers['torch eager']:.2f}× torch eager" if "torch eager" in peers
             else "")
    record("x + 1 call, device in/out (1000 f32)", "µs", ours, peers, ratio, "≤ 1.0×", check)


def _w2_inputs(torch):
    rng = np.random.default_rng(0)
    x_host = rng.standard_normal(N_W2, dtype=np.float32)
    y_host = rng.standard_normal(N_W2, dtype=np.float32)
    x, y = cuda.to_device(x_host), cuda.to_device(y_host)
    tx = torch.from_dlpack(x) if torch is not None else None  # the same memory, no copy
    ty = torch.from_dlpack(y) if torch is not None else None
    return x_host, y_host, x, y, tx, ty


@guarded
def w2_elementwise(torch, cupy, state):
    x_host, y_host, x, y, tx, ty = _w2_inputs(torch)
    nbytes = x.nbytes
    # A copy into a fresh array on both sides (the pools make the allocation cheap).
    copy = median_time(x.copy, number=20)
    copy_peers = {}
    if torch is not None:
        copy_peers["torch eager"] = median_time(tx.clone, number=20)
    record("device-to-device copy 10^8 f32", "ms", copy, copy_peers,
           f"{2 * nbytes / copy / 1e9:.0f} GB/s")
    sample = slice(0, 1_000_000)
    for label, build, reference, traffic in (
            ("W2 x*y + x", lambda a, b: a * b + a, lambda a, b: a * b + a, 3),
            ("W2 exp(-x*x)*sin(y) + tanh(x*y)",
             lambda a, b: T.exp(-a * a) * T.sin(b) + T.tanh(a * b),
             lambda a, b: np.exp(-a * a) * np.sin(b) + np.tanh(a * b), 3)):
        xs, ys = T.fvector("x"), T.fvector("y")
        f = arignote.function([xs, ys], build(xs, ys).transfer("cuda"))
        out = f(x, y)
        check = close(to_host(out)[sample], reference(x_host[sample], y_host[sample]))
        del out
        ours = median_time(lambda: f(x, y), number=10)
        peers = {}
        torch_fn = None
        if torch is not None:
            if "exp" in label:
                def torch_fn(a, b):
                    return torch.exp(-a * a) * torch.sin(b) + torch.tanh(a * b)
            else:
                def torch_fn(a, b):
                    return a * b + a
            peers["torch eager"] = median_time(lambda: torch_fn(tx, ty), number=10)
            # torch.compile takes tens of seconds: measured last (w2_torch_compile), so that
            # a run cut short keeps everything else.
            peers["torch.compile"] = "not run"
            state.setdefault("w2", []).append((len(ROWS), torch_fn, tx, ty, ours))
        if cupy is not None:
            cx, cy = cupy.asarray(x), cupy.asarray(y)
            if "exp" in label:
                peers["cupy"] = median_time(
                    lambda: cupy.exp(-cx * cx) * cupy.sin(cy) + cupy.tanh(cx * cy), number=10)
            else:
                peers["cupy"] = median_time(lambda: cx * cy + cx, number=10)
        bandwidth = traffic * nbytes / ours
        if "exp" in label:
            ratio = ""  # set by w2_torch_compile
            target = "≤ 1.0× torch.compile"
        else:
            ratio = f"{bandwidth / (2 * nbytes / copy):.0%} of copy bandwidth"
            target = "≥ 85 %"
        record(f"{label} (10^8 f32)", "ms", ours, peers, ratio, target, check)


@guarded
def w2_torch_compile(torch, cupy, state):
    """Add torch.compile's times to the W2 rows, while the time budget lasts."""
    for index, torch_fn, tx, ty, ours in state.get("w2", []):
        case, unit, _, peers, ratio, target, check = ROWS[index]
        if time.perf_counter() - START > state["budget"]:
            peers["torch.compile"] = "skipped (time)"
            continue
        try:
            compiled = torch.compile(torch_fn)
            started = time.perf_counter()
            compiled(tx, ty)
            log(f"torch.compile of {case}: {time.perf_counter() - started:.1f} s")
            peers["torch.compile"] = median_time(lambda: compiled(tx, ty), number=10)
        except Exception as error:
            log(f"torch.compile failed for {case}: {type(error).__name__}: {error}")
            peers["torch.compile"] = "failed"
            continue
        if "exp" in case:
            ratio = f"{ours / peers['torch.compile']:.2f}× torch.compile"
        ROWS[index] = (case, unit, ours, peers, ratio, target, check)
    state.pop("w2", None)  # frees the 10^8-element arrays


def _torch_graph(torch, step):
    """``step`` captured in a CUDA graph (PyTorch's recipe); returns the replay callable."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    return graph.replay


def _step_row(case, ours, torch, torch_step, check):
    peers = {}
    if torch is not None:
        peers["torch eager"] = median_time(torch_step, number=200)
        try:
            peers["torch CUDA graph"] = median_time(_torch_graph(torch, torch_step), number=200)
        except Exception as error:
            log(f"CUDA graph capture failed: {type(error).__name__}: {error}")
            peers["torch CUDA graph"] = "failed"
    graph = peers.get("torch CUDA graph")
    ratio = f"{ours / graph:.2f}× torch graph" if isinstance(graph, float) else ""
    record(case, "µs", ours, peers, ratio, "≤ 1.0×", check)


W3_SOURCE = """
import numpy as np
import arignote
import arignote.tensor as T


def build_w3(feats=784):
    rng = np.random.default_rng(1234)
    x, y = T.fmatrix("x"), T.fvector("y")
    w = arignote.shared(rng.standard_normal(feats).astype("float32"), name="w")
    b = arignote.shared(np.float32(0.0), name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = arignote.function([x, y], [prediction.transfer("cuda"), xent.transfer("cuda")],
                              updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    return train, w, b
"""
exec(W3_SOURCE)  # the same source is timed in fresh processes by compile_time


@guarded
def w3_logistic_regression(torch, cupy):
    n, feats = 400, 784
    rng = np.random.default_rng(0)
    data = rng.standard_normal((n, feats)).astype("float32")
    labels = rng.integers(0, 2, n).astype("float32")
    train, w, b = build_w3(feats)  # noqa: F821 (defined by exec above)
    w0 = w.get_value()
    x, y = cuda.to_device(data), cuda.to_device(labels)
    train(x, y)
    cuda.synchronize()
    check = "—"
    if torch is not None:
        tw = torch.tensor(w0, device="cuda", requires_grad=True)
        tb = torch.zeros((), device="cuda", requires_grad=True)
        tx, ty = torch.from_dlpack(x), torch.from_dlpack(y)

        def torch_step():
            p_1 = 1 / (1 + torch.exp(-(tx @ tw) - tb))
            xent = -ty * torch.log(p_1) - (1 - ty) * torch.log(1 - p_1)
            cost = xent.mean() + 0.01 * (tw ** 2).sum()
            gw, gb = torch.autograd.grad(cost, [tw, tb])
            with torch.no_grad():
                tw.sub_(0.1 * gw)
                tb.sub_(0.1 * gb)
            return p_1 > 0.5, xent

        torch_step()
        check = close(w.get_value(), tw.detach().cpu().numpy())
    ours = median_time(lambda: train(x, y), number=200)
    _step_row("W3 logistic regression step (400×784)", ours, torch,
              torch_step if torch is not None else None, check)


@guarded
def w5_mlp(torch, cupy):
    batch, n_in, n_hidden, n_out = 20, 784, 500, 10
    rng = np.random.default_rng(0)
    bound = np.sqrt(6.0 / (n_in + n_hidden))
    w1_0 = rng.uniform(-bound, bound, (n_in, n_hidden)).astype("float32")
    w2_0 = np.zeros((n_hidden, n_out), "float32")
    x, y = T.fmatrix("x"), T.ivector("y")
    w1 = arignote.shared(w1_0, name="W1")
    b1 = arignote.shared(np.zeros(n_hidden, "float32"), name="b1")
    w2 = arignote.shared(w2_0, name="W2")
    b2 = arignote.shared(np.zeros(n_out, "float32"), name="b2")
    hidden = T.tanh(T.dot(x, w1) + b1)
    p_y = T.nnet.softmax(T.dot(hidden, w2) + b2)
    cost = T.nnet.categorical_crossentropy(p_y, y).mean()
    params = [w1, b1, w2, b2]
    grads = T.grad(cost, params)
    train = arignote.function([x, y], cost.transfer("cuda"),
                              updates=[(p, p - 0.01 * g) for p, g in zip(params, grads)])
    data = rng.standard_normal((batch, n_in)).astype("float32")
    labels = rng.integers(0, n_out, batch).astype("int32")
    xd, yd = cuda.to_device(data), cuda.to_device(labels)
    first = float(to_host(train(xd, yd)))
    check = "—"
    if torch is not None:
        tw1 = torch.tensor(w1_0, device="cuda", requires_grad=True)
        tb1 = torch.zeros(n_hidden, device="cuda", requires_grad=True)
        tw2 = torch.tensor(w2_0, device="cuda", requires_grad=True)
        tb2 = torch.zeros(n_out, device="cuda", requires_grad=True)
        tparams = [tw1, tb1, tw2, tb2]
        tx = torch.from_dlpack(xd)
        ty = torch.from_dlpack(yd).long()

        def torch_step():
            h = torch.tanh(tx @ tw1 + tb1)
            logits = h @ tw2 + tb2
            cost = torch.nn.functional.cross_entropy(logits, ty)
            tgrads = torch.autograd.grad(cost, tparams)
            with torch.no_grad():
                for p, g in zip(tparams, tgrads):
                    p.sub_(0.01 * g)
            return cost

        torch_first = float(torch_step())
        check = close([first, *w2.get_value().ravel()[:100]],
                      [torch_first, *tw2.detach().cpu().numpy().ravel()[:100]])
    ours = median_time(lambda: train(xd, yd), number=200)
    _step_row("W5 MLP step (784-500-10, batch 20)", ours, torch,
              torch_step if torch is not None else None, check)


@guarded
def gemm(torch, cupy):
    n = 8192
    rng = np.random.default_rng(0)
    a_host = rng.standard_normal((n, n), dtype=np.float32)
    b_host = rng.standard_normal((n, n), dtype=np.float32)
    a, b = cuda.to_device(a_host), cuda.to_device(b_host)
    am, bm = T.fmatrix("a"), T.fmatrix("b")
    f = arignote.function([am, bm], T.dot(am, bm).transfer("cuda"))
    out = f(a, b)
    rows = slice(0, 64)
    check = close(to_host(out)[rows], a_host[rows].astype(np.float64) @ b_host, rtol=1e-3,
                  atol=5e-2)
    del out
    flops = 2.0 * n ** 3
    ours = flops / median_time(lambda: f(a, b), number=3, repeat=3, warmup=1) / 1e12
    peers = {}
    if torch is not None:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        ta, tb = torch.from_dlpack(a), torch.from_dlpack(b)
        peers["torch eager"] = flops / median_time(lambda: ta @ tb, number=3, repeat=3,
                                                   warmup=1) / 1e12
    ratio = (f"{ours / peers['torch eager']:.2f}× torch" if "torch eager" in peers else "")
    record("GEMM 8192³ f32, TF32 off", "TFLOP/s", ours, peers, ratio, "≥ 0.95×", check)


COMPILE_SCRIPT = W3_SOURCE + textwrap.dedent("""
    import time
    arignote.config.device = "cuda"
    arignote.config.floatX = "float32"
    start = time.perf_counter()
    build_w3()
    print("SECONDS", time.perf_counter() - start)
""")


@guarded
def compile_time(torch, cupy):
    cache_dir = tempfile.mkdtemp(prefix="arignote-cold-cache-")
    environment = dict(os.environ, ARIGNOTE_FLAGS=f"compiledir={cache_dir}",
                       PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    times = []
    for label in ("cold", "warm"):
        result = subprocess.run([sys.executable, "-c", COMPILE_SCRIPT], capture_output=True,
                                text=True, env=environment, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{label} compile failed:\n{result.stderr[-3000:]}")
        seconds = float(result.stdout.split("SECONDS")[-1])
        times.append(seconds)
    record("W3 training function compile, cold (new process, empty cache)", "s", times[0], {},
           "", "≤ 1.5 s")
    record("W3 training function compile, warm (new process, same cache)", "s", times[1], {},
           "", "≤ 0.1 s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the markdown table here")
    parser.add_argument("--budget", type=float, default=100.0,
                        help="seconds: torch.compile (measured last) is skipped past it")
    args = parser.parse_args(argv)
    header = ["# arignote GPU benchmarks", ""]
    try:
        cuda.require("cuda")
    except cuda.CudaUnavailableError as error:
        header.append(f"no GPU: {error}")
        print("\n".join(write_table(args.out, header)))
        return 0
    arignote.config.device = "cuda"
    arignote.config.floatX = "float32"
    torch = optional("torch")
    if torch is not None and not torch.cuda.is_available():
        log("torch has no CUDA here: its columns are empty")
        torch = None
    cupy = optional("cupy")
    major, minor = cuda.compute_capability()
    header.append(f"GPU: {cuda.device_name()} (sm_{major}{minor}), driver CUDA "
                  f"{'.'.join(map(str, cuda.driver_version()))}, NVRTC "
                  f"{'.'.join(map(str, cuda.nvrtc_version()))}; numpy {np.__version__}, "
                  f"torch {getattr(torch, '__version__', 'absent')}, "
                  f"cupy {getattr(cupy, '__version__', 'absent')}")
    header.append("Times are medians; ratios are arignote / peer (for TFLOP/s, a higher "
                  "arignote is better).")
    state = {"budget": args.budget}
    for case in (call_overhead, w2_elementwise, w3_logistic_regression, w5_mlp, gemm,
                 compile_time, w2_torch_compile):
        if case in (w2_elementwise, w2_torch_compile):
            case(torch, cupy, state)
        else:
            case(torch, cupy)
        write_table(args.out, header)
        if torch is not None:
            torch.cuda.empty_cache()
    print("\n".join(write_table(args.out, header)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
