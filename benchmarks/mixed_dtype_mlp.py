"""Training step of a 784-500-10 MLP (batch 20) with a float32 input and float64 weights.

``T.dot`` of float32 and float64 operands is computed by upcasting to float64 (as numpy
does).  The ``upcast_dot_operands`` rewrite makes that a cast plus BLAS's float64 gemm in the
generated C; ``--without-upcast`` compiles without that pass, to compare.

    python benchmarks/mixed_dtype_mlp.py [--without-upcast] [--calls 300]
"""

import argparse
import time

import numpy as np

import arignote
import arignote.tensor as T
from arignote.compiler.rewrite import pipeline


def build(rng):
    x = T.fmatrix("x")
    y = T.ivector("y")
    w1 = arignote.shared(rng.normal(0, 0.05, (784, 500)), name="w1")
    b1 = arignote.shared(np.zeros(500), name="b1")
    w2 = arignote.shared(rng.normal(0, 0.05, (500, 10)), name="w2")
    b2 = arignote.shared(np.zeros(10), name="b2")
    hidden = T.tanh(T.dot(x, w1) + b1)
    p_y = T.nnet.softmax(T.dot(hidden, w2) + b2)
    cost = -T.mean(T.log(p_y)[T.arange(y.shape[0]), y])
    params = [w1, b1, w2, b2]
    grads = T.grad(cost, params)
    updates = [(p, p - 0.01 * g) for p, g in zip(params, grads)]
    return arignote.function([x, y], cost, updates=updates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--without-upcast", action="store_true",
                        help="compile without the upcast_dot_operands pass")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    if args.without_upcast:
        pipeline.PASSES[:] = [p for p in pipeline.PASSES if p[0] != "upcast_dot_operands"]
    rng = np.random.default_rng(0)
    train = build(rng)
    plan = train.maker.native.plan if getattr(train.maker, "native", None) else None
    fallbacks = [str(n.op) for n in plan.fallback_nodes] if plan is not None else None
    x = rng.random((20, 784)).astype("float32")
    y = rng.integers(0, 10, 20).astype("int32")
    for _ in range(5):
        train(x, y)
    # The median of ten batches: a busy machine slows some batches, not the typical call.
    batch = max(1, args.calls // 10)
    times = []
    for _ in range(10):
        start = time.perf_counter()
        for _ in range(batch):
            train(x, y)
        times.append((time.perf_counter() - start) / batch)
    print(f"fallback nodes: {fallbacks}")
    print(f"{np.median(times) * 1e3:.3f} ms per training step (median of 10 batches of "
          f"{batch} calls; best batch {min(times) * 1e3:.3f} ms)")


if __name__ == "__main__":
    main()
