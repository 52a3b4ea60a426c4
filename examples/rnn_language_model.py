"""A character-level RNN language model trained by BPTT: the Theano program of the paper's Figure 5.

The recurrent network of the paper "A comparison of Theano, TensorFlow and CNTK" (Figure 5,
after the WildML RNN tutorial) reads one character ``x_t`` per step and predicts the next::

    s_t = tanh(U[:, x_t] + W . s_{t-1})      (the hidden state; U's column x_t is the input)
    o_t = softmax(V . s_t)                   (the distribution of the next character)

``theano.scan`` runs the recurrence over a sequence, ``T.grad`` differentiates the mean
cross-entropy back through time (BPTT), and ``theano.function(..., updates=...)`` applies one
step of stochastic gradient descent to the shared weights per call.  The program is Theano
code but for the two import lines.  For speed the scan computes only the hidden states; the
output layer and the loss are then computed for the whole sequence at once (one matrix
product instead of one per character), which gives the same numbers as ``o_t`` inside the
loop.

The text is Tiny Shakespeare (``../shared/data/text/tinyshakespeare/input.txt`` beside the
repository) when it is present, or the file named by ``--data`` or ``$ARIGNOTE_DATA``, or
else a few paragraphs built into this file (``--data builtin`` forces them).  Consecutive
chunks of ``--seq-len`` characters are fed in order and the hidden state is carried from one
chunk to the next, as in Karpathy's min-char-rnn.

Run it with ``python examples/rnn_language_model.py [--steps N] [--hidden H] ...``; it prints
a progress bar, the smoothed loss (nats per character) and, every ``--sample-every`` steps, a
line of text sampled from the model.
"""

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy

import arignote as theano
import arignote.tensor as T

DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "text"
        / "tinyshakespeare" / "input.txt")

BUILTIN_TEXT = """\
First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

First Citizen:
You are all resolved rather to die than to famish?

All:
Resolved. resolved.

Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date:
Sometime too hot the eye of heaven shines,
And often is his gold complexion dimm'd;
And every fair from fair sometime declines,
By chance or nature's changing course untrimm'd;
But thy eternal summer shall not fade
Nor lose possession of that fair thou owest;
Nor shall Death brag thou wander'st in his shade,
When in eternal lines to time thou growest:
So long as men can breathe or eyes can see,
So long lives this and this gives life to thee.

All the world's a stage,
And all the men and women merely players;
They have their exits and their entrances,
And one man in his time plays many parts,
His acts being seven ages. At first the infant,
Mewling and puking in the nurse's arms;
Then the whining school-boy, with his satchel
And shining morning face, creeping like snail
Unwillingly to school. And then the lover,
Sighing like furnace, with a woeful ballad
Made to his mistress' eyebrow. Then a soldier,
Full of strange oaths, and bearded like the pard,
Jealous in honour, sudden and quick in quarrel,
Seeking the bubble reputation
Even in the cannon's mouth.

To be, or not to be, that is the question:
Whether 'tis nobler in the mind to suffer
The slings and arrows of outrageous fortune,
Or to take arms against a sea of troubles
And by opposing end them. To die: to sleep;
No more; and by a sleep to say we end
The heart-ache and the thousand natural shocks
That flesh is heir to, 'tis a consummation
Devoutly to be wish'd.
"""


def load_text(data=None):
    """The training text and where it came from.

    ``data`` is a path, ``"builtin"`` for the built-in paragraphs, or None: then
    ``$ARIGNOTE_DATA``, then Tiny Shakespeare beside the repository, then the built-in text.
    """
    if data is None:
        data = os.environ.get("ARIGNOTE_DATA") or (str(DATA) if DATA.is_file() else "builtin")
    if data == "builtin":
        return BUILTIN_TEXT, "built-in text"
    path = Path(data)
    if not path.is_file():
        raise FileNotFoundError(f"no text file at {path} (use --data PATH or --data builtin)")
    return path.read_text(encoding="utf-8"), str(path.resolve())


class RNNTheano:
    """The RNN of Figure 5 with its compiled training step and one-step sampler."""

    def __init__(self, vocab_size, hidden_dim=100, lr=0.1, clip=5.0, bptt_truncate=-1,
                 seed=1234):
        rng = numpy.random.RandomState(seed)
        floatX = "float32"
        self.vocab_size = vocab_size
        self.hidden_dim = hidden_dim

        # Weights initialised uniformly in [-1/sqrt(n), 1/sqrt(n)], n = incoming connections.
        def init(shape, fan_in):
            bound = numpy.sqrt(1.0 / fan_in)
            return rng.uniform(-bound, bound, shape).astype(floatX)

        U = theano.shared(init((hidden_dim, vocab_size), vocab_size), name="U")
        W = theano.shared(init((hidden_dim, hidden_dim), hidden_dim), name="W")
        V = theano.shared(init((vocab_size, hidden_dim), hidden_dim), name="V")
        self.params = [U, W, V]

        x = T.ivector("x")            # the characters of a sequence
        y = T.ivector("y")            # the characters that follow them
        s0 = T.fvector("s0")          # the hidden state before the first character

        def forward_prop_step(x_t, s_t_prev, U, W):
            return T.tanh(U[:, x_t] + W.dot(s_t_prev))

        s, _ = theano.scan(forward_prop_step, sequences=x, outputs_info=s0,
                           non_sequences=[U, W], truncate_gradient=bptt_truncate,
                           strict=True)
        o = T.nnet.softmax(T.dot(s, V.T))                 # row t is o_t = softmax(V . s_t)
        loss = T.mean(T.nnet.categorical_crossentropy(o, y))

        grads = T.grad(loss, self.params)
        # Clip the gradient's global norm: a tanh RNN's gradients explode now and then.
        norm = T.sqrt(sum(T.sum(g ** 2) for g in grads))
        scale = T.minimum(numpy.float32(1.0), numpy.float32(clip) / (norm + numpy.float32(1e-6)))
        updates = [(p, p - numpy.float32(lr) * scale * g) for p, g in zip(self.params, grads)]

        self.sgd_step = theano.function([x, y, s0], [loss, s[-1]], updates=updates)

        x_t = T.iscalar("x_t")
        s_prev = T.fvector("s_prev")
        s_t = forward_prop_step(x_t, s_prev, U, W)
        o_t = T.nnet.softmax(V.dot(s_t))
        self.predict_step = theano.function([x_t, s_prev], [o_t[0], s_t])

    def initial_state(self):
        """The all-zero hidden state."""
        return numpy.zeros(self.hidden_dim, dtype="float32")

    def sample(self, first, length, rng, state=None):
        """``length`` character indices drawn one by one from o_t, starting after ``first``."""
        state = self.initial_state() if state is None else state
        index = int(first)
        out = []
        for _ in range(length):
            probs, state = self.predict_step(index, state)
            probs = probs.astype("float64")
            index = int(rng.choice(self.vocab_size, p=probs / probs.sum()))
            out.append(index)
        return out


def progress(step, steps, loss, rate, width=30):
    """One line of progress bar: bar, step count, smoothed loss, speed."""
    filled = int(width * step / steps)
    bar = "#" * filled + "-" * (width - filled)
    return (f"[{bar}] {100 * step // steps:3d}% {step}/{steps}  loss {loss:.3f}"
            f"  {rate:.0f} steps/s")


def main(steps=80000, hidden=100, seq_len=50, lr=0.1, seed=1234, sample_every=500,
         data=None, sample_length=80, verbose=True, out=None):
    """Train on ``data`` (see ``load_text``) for ``steps`` SGD steps; returns the per-step losses.

    Each step is one call of the compiled BPTT function on ``seq_len`` characters.  With
    ``verbose``, progress, the smoothed loss and sampled text go to ``out`` (stdout).
    """
    out = sys.stdout if out is None else out
    text, source = load_text(data)
    if len(text) < seq_len + 2:
        raise ValueError(f"the text ({len(text)} characters) is shorter than one sequence")
    chars = sorted(set(text))
    char_to_index = {c: i for i, c in enumerate(chars)}
    encoded = numpy.array([char_to_index[c] for c in text], dtype="int32")
    rng = numpy.random.RandomState(seed)

    def say(line=""):
        if verbose:
            out.write("\r" + line.ljust(78) + "\n")
            out.flush()

    say(f"text: {source}, {len(text)} characters, vocabulary of {len(chars)}")
    start = time.perf_counter()
    model = RNNTheano(len(chars), hidden_dim=hidden, lr=lr, seed=seed)
    say(f"compiled in {time.perf_counter() - start:.2f} s; hidden {hidden}, "
        f"sequences of {seq_len}, SGD lr {lr}")

    losses = []
    smooth = math.log(len(chars))          # the loss of a uniform guess
    position = 0
    state = model.initial_state()
    start = shown = time.perf_counter()
    for step in range(1, steps + 1):
        if position + seq_len + 1 > len(encoded):
            position = 0                                  # back to the start of the text
            state = model.initial_state()
        xs = encoded[position:position + seq_len]
        ys = encoded[position + 1:position + seq_len + 1]
        loss, state = model.sgd_step(xs, ys, state)
        position += seq_len
        loss = float(loss)
        losses.append(loss)
        smooth = 0.99 * smooth + 0.01 * loss
        if not verbose:
            continue
        if step % sample_every == 0 or step == steps:
            # Go on from where training stands: the next character, the current state.
            drawn = model.sample(encoded[position], sample_length, rng, state)
            line = "".join(chars[i] for i in drawn)
            say(f"step {step}  loss {smooth:.3f}")
            say("  | " + line.replace("\n", " / "))
        now = time.perf_counter()
        if now - shown > 0.1 or step == steps:             # ten updates a second at most
            shown = now
            out.write("\r" + progress(step, steps, smooth, step / max(now - start, 1e-9)))
            out.flush()
    if verbose:
        elapsed = time.perf_counter() - start
        say(f"{steps} steps in {elapsed:.1f} s; smoothed loss {smooth:.3f} "
            f"(uniform guess: {math.log(len(chars)):.3f})")
    return losses


def parse_args(argv=None):
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=80000,
                        help="SGD steps (default 80000, under a minute on 2 cores)")
    parser.add_argument("--hidden", type=int, default=100, help="hidden units (default 100)")
    parser.add_argument("--seq-len", type=int, default=50,
                        help="characters per BPTT sequence (default 50)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    parser.add_argument("--seed", type=int, default=1234, help="random seed (default 1234)")
    parser.add_argument("--sample-every", type=int, default=500,
                        help="print a sampled line every N steps (default 500)")
    parser.add_argument("--data", default=None,
                        help="text file to learn, or 'builtin' (default: $ARIGNOTE_DATA, "
                             "then Tiny Shakespeare if present, then the built-in text)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    main(steps=args.steps, hidden=args.hidden, seq_len=args.seq_len, lr=args.lr,
         seed=args.seed, sample_every=args.sample_every, data=args.data)
