"""The paper's CIFAR-10 CNN (Figures 8-9), defined and trained with arignote.nn in 20 lines.

"A comparison of Theano, TensorFlow and CNTK" trains this network: two 5x5 convolutions (20
and 40 filters, stride 1, ReLU), each followed by 2x2 max-pooling with stride 2, dropout 0.5
on the inputs of two 1000-unit ReLU layers (as Nielsen's network3.py places it), and a 10-way
softmax, with SGD (learning rate 0.01, batch 50, pixels in [0, 1], float32) for 200 epochs.
Theano reached 74.15 % best test accuracy; its user wrote a 100-line Network class for it.
Here the model and its training are the 20 lines between the "user code" markers in main();
minibatches are sliced from shared data through ``givens``, one integer per step, as in the
paper's Figure 9.

    python examples/cifar10_cnn.py --epochs 200 --plot cifar10.png --summary cifar10.json
    python examples/cifar10_cnn.py --epochs 1 --limit-batches 20 --data synthetic

``--data`` defaults to ../shared/data beside the repository (the CIFAR-10 python batches,
plain or .xz); without it the example trains on a small synthetic stand-in.
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
                        help="folder holding CIFAR-10 (cifar-10-batches-py, or a folder above "
                             "it), or 'synthetic' (default: ../shared/data beside the "
                             "repository when it exists, else synthetic)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where compiled functions run (arignote.config.device)")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    parser.add_argument("--batch-size", type=int, default=50, help="minibatch (default 50)")
    parser.add_argument("--limit-batches", type=int, default=None,
                        help="train and test on at most N minibatches per epoch (short runs)")
    parser.add_argument("--limit-test-batches", type=int, default=None,
                        help="test on at most N minibatches per epoch (default: "
                             "--limit-batches)")
    parser.add_argument("--cifar-batches", type=int, default=5,
                        help="how many of the five training batch files to load (default 5)")
    parser.add_argument("--synthetic-size", type=int, default=2000,
                        help="training images of the synthetic stand-in (default 2000)")
    parser.add_argument("--seed", type=int, default=1234, help="initialisation/dropout seed")
    parser.add_argument("--plot", default="cifar10_cnn.png",
                        help="learning-curve PNG to write (default cifar10_cnn.png)")
    parser.add_argument("--summary", default=None, help="JSON file for per-epoch metrics")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def load(args):
    """The CIFAR-10 arrays (or the synthetic stand-in) and where they came from."""
    if args.data == "synthetic":
        return datasets.synthetic_cifar10(args.synthetic_size, seed=args.seed), "synthetic"
    return (datasets.load_cifar10(args.data, n_train_batches=args.cifar_batches),
            os.path.abspath(args.data))


def main(argv=None):
    """Train; prints and returns a summary (best test accuracy, wall time, per-epoch metrics)."""
    args = parse_args(argv)
    theano.config.device = args.device
    theano.config.floatX = "float32"
    arrays, source = load(args)
    started = time.perf_counter()
    B = args.batch_size
    test_limit = args.limit_test_batches or args.limit_batches
    # ---- user code begins: the paper's CNN, defined and trained (20 lines) ----
    data = shared_dataset(arrays)
    x, y, index = T.tensor4("x"), T.ivector("y"), T.lscalar("index")
    model = nn.Sequential(
        nn.Conv2D(20, 5, activation="relu"), nn.MaxPool2D(2),
        nn.Conv2D(40, 5, activation="relu"), nn.MaxPool2D(2), nn.Flatten(),
        nn.Dropout(0.5), nn.Dense(1000, activation="relu"),
        nn.Dropout(0.5), nn.Dense(1000, activation="relu"),
        nn.Dense(10, activation="softmax"), input_shape=(3, 32, 32), seed=args.seed)
    loss = T.nnet.categorical_crossentropy(model(x), y).mean()
    accuracy = T.mean(T.eq(T.argmax(model(x, deterministic=True), axis=1), y))
    train = theano.function([index], loss, updates=optimizers.sgd(loss, model.params, args.lr),
                            givens=batch_givens(index, B, {x: data.train_x, y: data.train_y}))
    test = theano.function([index], accuracy,
                           givens=batch_givens(index, B, {x: data.test_x, y: data.test_y}))
    history = training.fit(train, n_batches(data.train_x, B), args.epochs,
                           evaluate={"test": (test, n_batches(data.test_x, B))},
                           limit_batches=args.limit_batches, limit_eval_batches=test_limit,
                           progress=not args.no_progress)
    best_accuracy, best_epoch = history.best("test_accuracy")
    history.plot(args.plot, title=f"CIFAR-10 CNN ({source})")
    # ---- user code ends ----
    wall_time = time.perf_counter() - started
    steps = min(n_batches(data.train_x, B), args.limit_batches or n_batches(data.train_x, B))
    test_images = B * min(n_batches(data.test_x, B), test_limit or n_batches(data.test_x, B))
    summary = {"example": "cifar10_cnn", "data": source, "n_epochs": args.epochs,
               "batch_size": B, "learning_rate": args.lr, "steps_per_epoch": steps,
               "test_images": test_images,
               "best_test_accuracy": best_accuracy, "best_epoch": best_epoch,
               "wall_time_s": wall_time,
               "mean_epoch_time_s": sum(history["epoch_time"]) / len(history),
               "device": theano.config.device, "plot": os.path.abspath(args.plot)}
    print(f"best test accuracy {100 * best_accuracy:.2f} % (epoch {best_epoch}), "
          f"wall time {wall_time:.1f} s, learning curve in {args.plot}")
    if args.summary:
        history.to_json(args.summary, **summary)
    summary["history"] = history
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
