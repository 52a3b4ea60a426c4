"""Max-pooling forward and backward on the W7 shapes: arignote against numpy and PyTorch.

The paper's CNN pools 2x2 windows with stride 2 after each convolution: batch 50 of 20x28x28
and of 40x10x10 feature maps, float32.  For each shape this times the forward pass alone and
forward + backward (the gradient w.r.t. the input of ``sum(pool(x) * g)``), compiled as one
arignote function each; numpy is a reshape-and-max reference; PyTorch (when importable) is
``max_pool2d`` with autograd, on the same number of threads.

    python benchmarks/pool_bench.py [--repeat 200] [--threads 2]
"""

import argparse
import os
import time

import numpy as np

SHAPES = [(50, 20, 28, 28), (50, 40, 10, 10)]


def best_time(fn, repeat):
    """The median of ``repeat`` timed calls (after warm-up calls), in milliseconds."""
    for _ in range(5):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def numpy_pool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def numpy_pool_grad(x, g):
    out = numpy_pool(x)
    up = np.repeat(np.repeat(out, 2, axis=2), 2, axis=3)
    return (x == up) * np.repeat(np.repeat(g, 2, axis=2), 2, axis=3)


def arignote_functions(shape):
    import arignote
    import arignote.tensor as T
    x = T.tensor4("x", dtype="float32")
    g = T.tensor4("g", dtype="float32")
    y = T.signal.pool.pool_2d(x, ws=(2, 2), ignore_border=True)
    forward = arignote.function([x], y)
    backward = arignote.function([x, g], [y, T.grad((y * g).sum(), x)])
    return forward, backward


def torch_functions():
    try:
        import torch
    except ImportError:
        return None
    import torch.nn.functional as F

    def forward(x):
        with torch.no_grad():
            return F.max_pool2d(x, 2, 2)

    def backward(x, g):
        x.grad = None
        y = F.max_pool2d(x, 2, 2)
        y.backward(g)
        return y, x.grad

    return torch, forward, backward


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="timed calls per figure")
    parser.add_argument("--threads", type=int, default=2, help="threads for torch")
    args = parser.parse_args(argv)
    peers = torch_functions()
    if peers is not None:
        peers[0].set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; median ms per call")
    print(f"{'shape':>18} {'pass':>9} {'arignote':>9} {'numpy':>9} {'torch':>9}")
    for shape in SHAPES:
        x = rng.standard_normal(shape).astype("float32")
        pooled = (shape[0], shape[1], shape[2] // 2, shape[3] // 2)
        g = rng.standard_normal(pooled).astype("float32")
        forward, backward = arignote_functions(shape)
        np.testing.assert_allclose(forward(x), numpy_pool(x))
        np.testing.assert_allclose(backward(x, g)[1], numpy_pool_grad(x, g))
        rows = {"forward": [best_time(lambda: forward(x), args.repeat),
                            best_time(lambda: numpy_pool(x), args.repeat)],
                "fwd+bwd": [best_time(lambda: backward(x, g), args.repeat),
                            best_time(lambda: numpy_pool_grad(x, g), args.repeat)]}
        if peers is not None:
            torch, t_forward, t_backward = peers
            tx = torch.from_numpy(x).requires_grad_(True)
            tg = torch.from_numpy(g)
            rows["forward"].append(best_time(lambda: t_forward(tx), args.repeat))
            rows["fwd+bwd"].append(best_time(lambda: t_backward(tx, tg), args.repeat))
        for name, figures in rows.items():
            cells = " ".join(f"{f:9.3f}" for f in figures) + ("" if peers else " " * 6 + "n/a")
            print(f"{str(shape):>18} {name:>9} {cells}")


if __name__ == "__main__":
    main()
