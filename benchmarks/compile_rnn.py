"""Compile time of the W6 training function (the paper's RNN: forward scan, BPTT, updates).

    python benchmarks/compile_rnn.py [--repeats 3]

Each measurement is a new process: *cold* with an empty cache directory
(``ARIGNOTE_FLAGS=compiledir=...``), *warm* with the cache that the cold run filled.  The
time is that of ``theano.function(...)`` alone (graph building and imports excluded).
Issue targets: cold <= 2 s, warm <= 0.1 s.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap

PROGRAM = textwrap.dedent("""
    import time, numpy as np
    import arignote as th, arignote.tensor as T
    VOCAB, HID = 8000, 100
    rng = np.random.default_rng(6)
    U = th.shared(rng.uniform(-0.01, 0.01, (HID, VOCAB)).astype(np.float32), name="U")
    V = th.shared(rng.uniform(-0.1, 0.1, (VOCAB, HID)).astype(np.float32), name="V")
    W = th.shared(rng.uniform(-0.1, 0.1, (HID, HID)).astype(np.float32), name="W")
    x, y = T.ivector("x"), T.ivector("y")

    def step(x_t, s_t_prev, U, V, W):
        s_t = T.tanh(U[:, x_t] + T.dot(W, s_t_prev))
        o_t = T.nnet.softmax(T.dot(V, s_t).dimshuffle("x", 0))[0]
        return [o_t, s_t]

    [o, s], _ = th.scan(step, sequences=x,
                        outputs_info=[None, dict(initial=T.zeros(HID, dtype="float32"))],
                        non_sequences=[U, V, W], strict=True)
    loss = T.sum(-T.log(o[T.arange(y.shape[0]), y]))
    gU, gV, gW = T.grad(loss, [U, V, W])
    lr = np.float32(0.005)
    start = time.perf_counter()
    train = th.function([x, y], loss,
                        updates=[(U, U - lr * gU), (V, V - lr * gV), (W, W - lr * gW)])
    print(time.perf_counter() - start)
""")


def run_once(cache):
    env = dict(os.environ, ARIGNOTE_FLAGS=f"compiledir={cache}")
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.repeats):
        cache = tempfile.mkdtemp(prefix="arignote-compile-")
        try:
            cold.append(run_once(cache))
            warm.append(run_once(cache))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    print(f"W6 training function, {args.repeats} runs: cold median "
          f"{statistics.median(cold):.3f} s (min {min(cold):.3f}), warm median "
          f"{statistics.median(warm):.3f} s (min {min(warm):.3f})")


if __name__ == "__main__":
    main()
