"""Logistic regression trained by gradient descent: the Theano program of the paper's Figure 4.

The program is Theano's classic logistic-regression example (the deeplearning.net tutorial
style that the paper "A comparison of Theano, TensorFlow and CNTK" shows), unchanged but for
the two import lines.  The data come from ``generate_random_data_sample``: two classes of
Gaussian points with class-dependent means.

Run it with ``python examples/logistic_regression.py [steps] [--device cuda]``; on a GPU the
training function is compiled for it (the data here are float64, so by Theano's rule the
shared variables stay on the host and are copied in at each call).
"""

import argparse

import numpy

import arignote as theano
import arignote.tensor as T

rng = numpy.random


def generate_random_data_sample(sample_size, feature_size, num_classes, separation=3.0):
    """``sample_size`` points with ``feature_size`` features in ``num_classes`` classes.

    Labels are drawn uniformly; each class's points are standard normal around a mean that
    moves by ``separation`` along every feature from one class to the next, so two classes
    are nearly linearly separable.  Returns ``(X, labels)``, both float64.
    """
    labels = rng.randint(size=sample_size, low=0, high=num_classes)
    centre = (num_classes - 1) / 2.0
    shift = separation * (labels[:, None] - centre)
    X = rng.randn(sample_size, feature_size) + shift
    return X, labels.astype("float64")


def main(steps=5000, verbose=True, sample_size=400, feature_size=2, seed=1234,
         log_every=500):
    """Train on one sample and test on another; returns (per-step losses, test accuracy)."""
    rng.seed(seed)
    N = sample_size
    feats = feature_size
    D = generate_random_data_sample(N, feats, 2)
    training_steps = steps

    # Declare Theano symbolic variables
    x = T.dmatrix("x")
    y = T.dvector("y")

    # initialize the weight vector w randomly
    #
    # this and the following bias variable b
    # are shared so they keep their values
    # between training iterations (updates)
    w = theano.shared(rng.randn(feats), name="w")

    # initialize the bias term
    b = theano.shared(0., name="b")

    if verbose:
        print("Initial model:")
        print(w.get_value())
        print(b.get_value())

    # Construct Theano expression graph
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))         # Probability that target = 1
    prediction = p_1 > 0.5                          # The prediction thresholded
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)  # Cross-entropy loss function
    cost = xent.mean() + 0.01 * (w ** 2).sum()      # The cost to minimize
    gw, gb = T.grad(cost, [w, b])                   # Compute the gradient of the cost
                                                    # w.r.t weight vector w and
                                                    # bias term b
                                                    # (we shall return to this in a
                                                    # following section of this tutorial)

    # Compile
    train = theano.function(
        inputs=[x, y],
        outputs=[prediction, xent],
        updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    predict = theano.function(inputs=[x], outputs=prediction)

    # Train
    losses = []
    for i in range(training_steps):
        pred, err = train(D[0], D[1])
        losses.append(float(err.mean()))
        if verbose and (i == 0 or (i + 1) % log_every == 0):
            print(f"step {i + 1:5d}  loss {losses[-1]:.4f}")

    test_x, test_y = generate_random_data_sample(N, feats, 2)
    accuracy = float(numpy.mean(predict(test_x) == test_y))
    if verbose:
        print("Final model:")
        print(w.get_value())
        print(b.get_value())
        print(f"training accuracy {numpy.mean(pred == D[1]):.3f}")
        print(f"test accuracy {accuracy:.3f}")
    return losses, accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Theano's logistic-regression example.")
    parser.add_argument("steps", nargs="?", type=int, default=5000)
    parser.add_argument("--device", help="'cpu', 'cuda' or 'cudaN' (default: config.device)")
    arguments = parser.parse_args()
    if arguments.device:
        theano.config.device = arguments.device  # before anything is built
    main(steps=arguments.steps)
