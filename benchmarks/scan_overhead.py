"""Per-step cost of scan: a loop of 10^5 steps of the scalar recurrence ``s_t = s_{t-1} + x_t``.

    python benchmarks/scan_overhead.py [--steps 100000] [--repeats 20]

The arithmetic is one addition per step; what a step costs beyond it is the loop's own
overhead (issue target: <= 0.05 µs per step, no Python and no allocation per step).  The
same loop is timed, when installed, with PyTensor's scan (C and Numba linkers) and JAX's
``lax.scan`` under ``jit``, and numpy's ``cumsum`` (the arithmetic alone) for scale.  Run it
in an environment that has the peers (see benchmarks/README.md).
"""

import argparse
import time

import numpy as np


def best_time(call, repeats):
    call()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def arignote_loop(x):
    import arignote
    import arignote.tensor as T
    xs = T.dvector("xs")
    s, _ = arignote.scan(lambda x_t, s: s + x_t, sequences=xs, outputs_info=T.constant(0.0))
    f = arignote.function([xs], s)
    return lambda: f(x)


def pytensor_loop(x, mode):
    import pytensor
    import pytensor.tensor as pt
    xs = pt.dvector("xs")
    s, _ = pytensor.scan(lambda x_t, s: s + x_t, sequences=xs,
                         outputs_info=pt.constant(0.0, dtype="float64"))
    f = pytensor.function([xs], s, mode=mode)
    return lambda: f(x)


def jax_loop(x):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    data = jnp.asarray(x)

    @jax.jit
    def run(xs):
        return jax.lax.scan(lambda s, x_t: (s + x_t, s + x_t), 0.0, xs)[1]
    return lambda: run(data).block_until_ready()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    x = np.random.default_rng(0).normal(size=args.steps)
    expected = np.cumsum(x)
    loops = {"arignote": lambda: arignote_loop(x), "numpy cumsum": lambda: lambda: np.cumsum(x),
             "pytensor C": lambda: pytensor_loop(x, "FAST_RUN"),
             "pytensor numba": lambda: pytensor_loop(x, "NUMBA"),
             "jax lax.scan": lambda: jax_loop(x)}
    times = {}
    for name, make in loops.items():
        try:
            call = make()
            np.testing.assert_allclose(np.asarray(call()), expected, rtol=1e-9, atol=1e-9)
        except Exception as error:  # noqa: BLE001 (a peer that is not installed)
            print(f"{name:16s} skipped: {type(error).__name__}: {str(error)[:80]}")
            continue
        times[name] = best_time(call, args.repeats)
    floor = times.get("numpy cumsum", 0.0)
    print(f"\n{args.steps} steps of s + x_t, best of {args.repeats}")
    print(f"{'library':16s} {'µs/step':>9s} {'beyond arithmetic':>18s} {'x arignote':>11s}")
    for name, seconds in times.items():
        per_step = seconds / args.steps * 1e6
        beyond = max(seconds - floor, 0.0) / args.steps * 1e6
        ratio = seconds / times["arignote"] if "arignote" in times else float("nan")
        print(f"{name:16s} {per_step:9.4f} {beyond:18.4f} {ratio:11.2f}")


if __name__ == "__main__":
    main()
