"""64 processes compiling the same new graph on a cold cache (issue target: no error, wall
time <= 1.5x one compile).

    python benchmarks/compile_concurrency.py [--processes 64]

Each process imports arignote, builds the W3 training function (the paper's logistic
regression) and calls it once.  The graph carries a random constant so it is new to the
cache; the single-process baseline uses another fresh constant and another empty cache.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

PROGRAM = textwrap.dedent("""
    import sys, time, numpy as np
    import arignote as theano, arignote.tensor as T
    tag = float(sys.argv[1])
    x, y = T.dmatrix('x'), T.dvector('y')
    w = theano.shared(np.zeros(2), name='w'); b = theano.shared(0.0, name='b')
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + tag * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    start = time.perf_counter()
    train = theano.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    print(time.perf_counter() - start)
    train(np.ones((25, 2)), np.ones(25))
""")


def run(processes, tag):
    directory = tempfile.mkdtemp(prefix="arignote-cache-")
    env = dict(os.environ, ARIGNOTE_FLAGS=f"compiledir={directory}")
    start = time.perf_counter()
    children = [subprocess.Popen([sys.executable, "-c", PROGRAM, str(tag)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(processes)]
    outputs = [c.communicate() for c in children]
    failures = [err for c, (_, err) in zip(children, outputs) if c.returncode != 0]
    elapsed = time.perf_counter() - start
    compiles = [float(out.split()[0]) for c, (out, _) in zip(children, outputs)
                if c.returncode == 0]
    shutil.rmtree(directory, ignore_errors=True)
    return elapsed, max(compiles, default=0.0), failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=64)
    options = parser.parse_args()
    single_wall, single, failures = run(1, 0.0101)
    assert not failures, failures[0]
    many_wall, many, failures = run(options.processes, 0.0102)
    print(f"one process, cold cache: function() {single:6.2f} s (process {single_wall:.2f} s)")
    print(f"{options.processes} processes, same new graph, cold cache: slowest function() "
          f"{many:6.2f} s = {many / single:.2f}x one compile; all processes done in "
          f"{many_wall:.2f} s; {len(failures)} failed")
    if failures:
        print(failures[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
