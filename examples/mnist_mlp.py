"""A 784-500-10 multilayer perceptron on MNIST, as the classic Theano tutorial ("Multilayer
Perceptron").

The tutorial's network: one hidden layer of 500 tanh units and a softmax, trained by SGD with
learning rate 0.01 on minibatches of 20, with an L2 penalty of 0.0001 on the weights (added to
the loss here as an ordinary graph: the layers' weights are plain shared variables), 50,000
training, 10,000 validation and 10,000 test images, for up to 1000 epochs.  It reports the test
error at the epoch of best validation error (the tutorial: 1.65 %).

    python examples/mnist_mlp.py --epochs 50 --plot mlp.png --summary mlp.json
    python examples/mnist_mlp.py --epochs 1 --limit-batches 50 --data synthetic

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
    parser.add_argument("--epochs", type=int, default=1000, help="epochs (default 1000)")
    parser.add_argument("--data", default=datasets.default_data_path(HERE) or "synthetic",
                        help="folder holding the MNIST idx .gz files (or a folder above their "
                             "mnist/ folder), or 'synthetic' (default: ../shared/data beside "
                             "the repository when it exists, else synthetic)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where compiled functions run (arignote.config.device)")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    parser.add_argument("--l2", type=float, default=0.0001, help="L2 penalty (default 1e-4)")
    parser.add_argument("--hidden", type=int, default=500, help="hidden units (default 500)")
    parser.add_argument("--batch-size", type=int, default=20, help="minibatch (default 20)")
    parser.add_argument("--limit-batches", type=int, default=None,
                        help="train and evaluate on at most N minibatches per epoch")
    parser.add_argument("--synthetic-size", type=int, default=2000,
                        help="training images of the synthetic stand-in (default 2000)")
    parser.add_argument("--seed", type=int, default=1234, help="initialisation seed")
    parser.add_argument("--plot", default="mnist_mlp.png",
                        help="learning-curve PNG to write (default mnist_mlp.png)")
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
    model = nn.Sequential(nn.Flatten(), nn.Dense(args.hidden, activation="tanh"),
                          nn.Dense(10, activation="softmax"), input_shape=(1, 28, 28),
                          seed=args.seed)
    penalty = sum(T.sum(w ** 2) for w in model.weights)
    loss = T.nnet.categorical_crossentropy(model(x), y).mean() + args.l2 * penalty
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
                           limit_eval_batches=args.limit_batches, desc="MLP",
                           progress=not args.no_progress)
    history.plot(args.plot, title=f"784-{args.hidden}-10 MLP on MNIST ({source})")
    wall_time = time.perf_counter() - started
    best_valid, best_epoch = history.best("valid_error", mode="min")
    test_error = history["test_error"][best_epoch - 1]
    summary = {"example": "mnist_mlp", "data": source, "n_epochs": args.epochs,
               "batch_size": B, "learning_rate": args.lr, "l2": args.l2,
               "best_valid_error": best_valid, "best_epoch": best_epoch,
               "test_error": test_error, "wall_time_s": wall_time,
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
