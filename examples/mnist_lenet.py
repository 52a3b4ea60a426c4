"""LeNet-5 on MNIST, as the classic Theano tutorial ("Convolutional Neural Networks (LeNet)").

The tutorial's network: a 5x5 convolution with 20 filters, 2x2 max-pooling, a 5x5 convolution
with 50 filters, 2x2 max-pooling, a 500-unit tanh layer and a softmax, trained by SGD with
learning rate 0.1 on minibatches of 500 for 200 epochs, with 50,000 training, 10,000
validation and 10,000 test images.  It reports the test error at the epoch of best
validation error (the tutorial: 0.92 %).  The tutorial's LeNetConvPoolLayer computes
tanh(maxpool(conv) + b); since tanh is increasing and the bias is per channel, that is
maxpool(tanh(conv + b)), which ``Conv2D(..., activation="tanh")`` then ``MaxPool2D`` compute.

    python examples/mnist_lenet.py --epochs 200 --plot lenet.png --summary lenet.json
    python examples/mnist_lenet.py --epochs 1 --limit-batches 5 --data synthetic

``--data`` defaults to ../shared/data beside the repository (the four MNIST idx .gz files);
without it the example trains on a small synthetic stand-in.
"""

import argparse
import os
import sys
import time

import arignote as theano
import arignote.tensor as T
from arignote import datasets, nn, optimizers, training
from arignote.datasets import batch_givens, n_batches, shared_dataset

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200, help="epochs (default 200)")
    parser.add_argument("--data", default=datasets.default_data_path(HERE) or "synthetic",
                        help="folder holding the MNIST idx .gz files (or a folder above their "
                             "mnist/ folder), or 'synthetic' (default: ../shared/data beside "
                             "the repository when it exists, else synthetic)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where compiled functions run (arignote.config.device)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    parser.add_argument("--batch-size", type=int, default=500, help="minibatch (default 500)")
    parser.add_argument("--limit-batches", type=int, default=None,
                        help="train and evaluate on at most N minibatches per epoch")
    parser.add_argument("--synthetic-size", type=int, default=2000,
                        help="training images of the synthetic stand-in (default 2000)")
    parser.add_argument("--seed", type=int, default=23455, help="initialisation seed "
                        "(default 23455, the tutorial's)")
    parser.add_argument("--plot", default="mnist_lenet.png",
                        help="learning-curve PNG to write (default mnist_lenet.png)")
    parser.add_argument("--summary", default=None, help="JSON file for per-epoch metrics")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def load(args):
    """MNIST with a validation split (or the synthetic stand-in) and where it came from."""
    if args.data == "synthetic":
        size, held_out = args.synthetic_size, max(args.synthetic_size // 5, args.batch_size)
        return (datasets.synthetic_mnist(size, n_test=held_out, n_valid=held_out,
                                         seed=args.seed), "synthetic")
    return datasets.load_mnist(args.data, n_valid=10000), os.path.abspath(args.data)


def main(argv=None):
    """Train; prints and returns a summary (test error at the best validation epoch, ...)."""
    args = parse_args(argv)
    theano.config.device = args.device
    theano.config.floatX = "float32"
    arrays, source = load(args)
    started = time.perf_counter()
    B = args.batch_size
    data = shared_dataset(arrays)
    x, y, index = T.tensor4("x"), T.ivector("y"), T.lscalar("index")
    model = nn.Sequential(
        nn.Conv2D(20, 5, activation="tanh"), nn.MaxPool2D(2),
        nn.Conv2D(50, 5, activation="tanh"), nn.MaxPool2D(2),
        nn.Dense(500, activation="tanh"), nn.Dense(10, activation="softmax"),
        input_shape=(1, 28, 28), seed=args.seed)
    loss = T.nnet.categorical_crossentropy(model(x), y).mean()
    error = T.mean(T.neq(T.argmax(model(x, deterministic=True), axis=1), y))
    train = theano.function([index], loss, updates=optimizers.sgd(loss, model.params, args.lr),
                            givens=batch_givens(index, B, {x: data.train_x, y: data.train_y}))

    def error_of(split_x, split_y):
        return theano.function([index], error,
                               givens=batch_givens(index, B, {x: split_x, y: split_y}))

    evaluate = {"valid": (error_of(data.valid_x, data.valid_y), n_batches(data.valid_x, B)),
                "test": (error_of(data.test_x, data.test_y), n_batches(data.test_x, B))}
    history = training.fit(train, n_batches(data.train_x, B), args.epochs, evaluate=evaluate,
                           eval_names=("error",), limit_batches=args.limit_batches,
                           limit_eval_batches=args.limit_batches, desc="LeNet-5",
                           progress=not args.no_progress)
    history.plot(args.plot, title=f"LeNet-5 on MNIST ({source})")
    wall_time = time.perf_counter() - started
    best_valid, best_epoch = history.best("valid_error", mode="min")
    test_error = history["test_error"][best_epoch - 1]
    summary = {"example": "mnist_lenet", "data": source, "n_epochs": args.epochs,
               "batch_size": B, "learning_rate": args.lr, "best_valid_error": best_valid,
               "best_epoch": best_epoch, "test_error": test_error, "wall_time_s": wall_time,
               "device": theano.config.device, "plot": os.path.abspath(args.plot)}
    print(f"best validation error {100 * best_valid:.2f} % at epoch {best_epoch}, test error "
          f"{100 * test_error:.2f} %, wall time {wall_time:.1f} s, learning curve in "
          f"{args.plot}")
    if args.summary:
        history.to_json(args.summary, **summary)
    summary["history"] = history
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
