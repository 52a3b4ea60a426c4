"""Time arignote's conv2d (forward, input gradient, filter gradient) on the W7 shapes.

The paper's CIFAR-10 CNN (benchmark workload W7) convolves a batch of 50: 3 -> 20 channels
on 32 x 32 images and 20 -> 40 channels on 14 x 14, both with 5 x 5 filters, float32.  Each
direction is timed as its own compiled function (best of several repeats, milliseconds per
call) against a numpy im2col + matmul reference and, when it can be imported, PyTorch.

    python benchmarks/conv_bench.py
    python benchmarks/conv_bench.py --torch-python /root/bench-venv/bin/python
    python benchmarks/conv_bench.py --batch 1      # inference-sized calls

``--torch-python`` times PyTorch in another interpreter (one where torch is installed) when
this one has none.
"""

import argparse
import json
import subprocess
import sys
import time

import numpy as np



def layers(batch):
    """{name: (image shape, filter shape)} of the two W7 convolutions."""
    return {"conv1 3->20 32x32": ((batch, 3, 32, 32), (20, 3, 5, 5)),
            "conv2 20->40 14x14": ((batch, 20, 14, 14), (40, 20, 5, 5))}

DIRECTIONS = ("forward", "grad inputs", "grad weights")


def best_ms(fn, repeats=7, min_time=0.2):
    """Best of ``repeats`` timings (each loop at least ``min_time`` seconds), in ms."""
    fn()
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        if time.perf_counter() - start >= min_time / 4 or loops >= 1 << 12:
            break
        loops *= 2
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        times.append((time.perf_counter() - start) / loops)
    return 1e3 * min(times)


def data(image_shape, filter_shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(image_shape).astype("float32")
    w = rng.standard_normal(filter_shape).astype("float32")
    out = (image_shape[0], filter_shape[0], image_shape[2] - filter_shape[2] + 1,
           image_shape[3] - filter_shape[3] + 1)
    return x, w, rng.standard_normal(out).astype("float32")


def arignote_functions(image_shape, filter_shape):
    import arignote
    import arignote.tensor as T
    from arignote.tensor.nnet import abstract_conv
    x, w, gy = T.ftensor4("x"), T.ftensor4("w"), T.ftensor4("gy")
    y = T.nnet.conv2d(x, w, filter_flip=False)
    dx = abstract_conv.conv2d_grad_wrt_inputs(gy, w, image_shape, filter_flip=False)
    dw = abstract_conv.conv2d_grad_wrt_weights(x, gy, filter_shape, filter_flip=False)
    return {"forward": (arignote.function([x, w], y), "xw"),
            "grad inputs": (arignote.function([w, gy], dx), "wg"),
            "grad weights": (arignote.function([x, gy], dw), "xg")}


def numpy_functions(image_shape, filter_shape):
    """im2col with sliding_window_view + one matmul per direction (col2im by slices)."""
    from numpy.lib.stride_tricks import sliding_window_view
    n, c, h, w = image_shape
    o, _, kh, kw = filter_shape
    oh, ow = h - kh + 1, w - kw + 1

    def cols(x):
        windows = sliding_window_view(x, (kh, kw), axis=(2, 3))
        return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)

    def forward(x, wt):
        out = cols(x) @ wt.reshape(o, -1).T
        return out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)

    def grad_inputs(wt, gy):
        dcol = (gy.transpose(0, 2, 3, 1).reshape(-1, o) @ wt.reshape(o, -1)).reshape(
            n, oh, ow, c, kh, kw)
        dx = np.zeros(image_shape, dtype=gy.dtype)
        for i in range(kh):
            for j in range(kw):
                dx[:, :, i:i + oh, j:j + ow] += dcol[..., i, j].transpose(0, 3, 1, 2)
        return dx

    def grad_weights(x, gy):
        return (gy.transpose(1, 0, 2, 3).reshape(o, -1) @ cols(x)).reshape(filter_shape)

    return {"forward": (forward, "xw"), "grad inputs": (grad_inputs, "wg"),
            "grad weights": (grad_weights, "xg")}


def torch_functions(image_shape, filter_shape):
    import torch
    import torch.nn.grad as tgrad

    def forward(x, wt):
        with torch.no_grad():
            return torch.nn.functional.conv2d(x, wt)

    def grad_inputs(wt, gy):
        return tgrad.conv2d_input(image_shape, wt, gy)

    def grad_weights(x, gy):
        return tgrad.conv2d_weight(x, filter_shape, gy)

    return {"forward": (forward, "xw"), "grad inputs": (grad_inputs, "wg"),
            "grad weights": (grad_weights, "xg")}


def measure(library, batch):
    """{layer: {direction: ms}} for ``library`` ('arignote', 'numpy' or 'torch')."""
    makers = {"arignote": arignote_functions, "numpy": numpy_functions,
              "torch": torch_functions}
    results = {}
    for layer, (image_shape, filter_shape) in layers(batch).items():
        x, w, gy = data(image_shape, filter_shape)
        if library == "torch":
            import torch
            x, w, gy = (torch.from_numpy(a) for a in (x, w, gy))
        arrays = {"x": x, "w": w, "g": gy}
        functions = makers[library](image_shape, filter_shape)
        results[layer] = {}
        for direction in DIRECTIONS:
            fn, args = functions[direction]
            operands = [arrays[a] for a in args]
            results[layer][direction] = best_ms(lambda: fn(*operands))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch-python", help="interpreter with torch, to time PyTorch in")
    parser.add_argument("--batch", type=int, default=50, help="images per call (50)")
    parser.add_argument("--only", choices=["arignote", "numpy", "torch"],
                        help="time one library and print JSON (used with --torch-python)")
    args = parser.parse_args(argv)
    if args.only:
        print(json.dumps(measure(args.only, args.batch)))
        return
    table = {"arignote": measure("arignote", args.batch),
             "numpy": measure("numpy", args.batch)}
    try:
        import torch  # noqa: F401
        table["torch"] = measure("torch", args.batch)
    except ImportError:
        if args.torch_python:
            output = subprocess.run([args.torch_python, __file__, "--only", "torch",
                                     "--batch", str(args.batch)],
                                    capture_output=True, text=True, check=True).stdout
            table["torch"] = json.loads(output.splitlines()[-1])
    libraries = list(table)
    print(f"{'layer':20s} {'direction':14s} " + " ".join(f"{lib:>10s}" for lib in libraries)
          + f"   (ms per call, batch {args.batch}, float32)")
    totals = dict.fromkeys(libraries, 0.0)
    for layer in layers(args.batch):
        for direction in DIRECTIONS:
            row = [table[lib][layer][direction] for lib in libraries]
            for lib, value in zip(libraries, row):
                totals[lib] += value
            print(f"{layer:20s} {direction:14s} " + " ".join(f"{v:10.3f}" for v in row))
    print(f"{'total':35s} " + " ".join(f"{totals[lib]:10.3f}" for lib in libraries))


if __name__ == "__main__":
    sys.exit(main())
