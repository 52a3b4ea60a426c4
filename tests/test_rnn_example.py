"""Acceptance: the paper's RNN language model (Figure 5) learns, and samples its vocabulary."""

import importlib.util
import io
import os

import numpy as np

EXAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "examples",
                       "rnn_language_model.py")


def load_example():
    spec = importlib.util.spec_from_file_location("rnn_language_model_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_loss_falls_and_samples_are_text():
    example = load_example()
    out = io.StringIO()
    losses = example.main(steps=1000, hidden=32, seq_len=25, lr=0.1, seed=0,
                          sample_every=500, data="builtin", sample_length=40, out=out)
    assert len(losses) == 1000
    assert all(np.isfinite(losses))
    first, last = np.mean(losses[:50]), np.mean(losses[-50:])
    assert first > 3.5                         # about log(vocabulary size) at the start
    assert last < first - 0.9, (first, last)  # 3.95 -> 2.67 when written
    text = out.getvalue()
    assert text.count("\r  | ") == 2           # a sampled line at steps 500 and 1000
    assert "1000/1000" in text and "\r[" in text  # the progress bar reached the end
    vocabulary = set(example.BUILTIN_TEXT) | {"/"}    # a sampled newline prints as " / "
    for line in text.split("\r  | ")[1:]:
        sample = line.split("\n")[0].rstrip()
        assert sample and set(sample) <= vocabulary, sample


def test_sampling_draws_from_the_vocabulary():
    example = load_example()
    text, source = example.load_text("builtin")
    assert source == "built-in text"
    chars = sorted(set(text))
    model = example.RNNTheano(len(chars), hidden_dim=16, seed=3)
    drawn = model.sample(chars.index("T"), 200, np.random.RandomState(0))
    assert len(drawn) == 200
    assert all(0 <= i < len(chars) for i in drawn)
    assert len(set(drawn)) > 5                 # an untrained model draws all over
    probs, state = model.predict_step(0, model.initial_state())
    assert probs.shape == (len(chars),) and state.shape == (16,)
    assert probs.dtype == state.dtype == np.float32
    assert abs(float(probs.sum()) - 1) < 1e-5


def test_data_option_and_defaults(tmp_path, monkeypatch):
    example = load_example()
    path = tmp_path / "tiny.txt"
    path.write_text("abcabcabc\n" * 20)
    monkeypatch.setenv("ARIGNOTE_DATA", str(path))
    assert example.load_text(None) == (path.read_text(), str(path.resolve()))
    args = example.parse_args(["--steps", "7", "--seq-len", "30", "--data", "builtin"])
    assert (args.steps, args.seq_len, args.data, args.hidden) == (7, 30, "builtin", 100)
    losses = example.main(steps=5, hidden=8, seq_len=10, data=str(path), verbose=False)
    assert len(losses) == 5
