"""``scan_checkpoints``: a scan that stores its states only every ``save_every_N`` steps.

The loop is split into chunks of ``save_every_N`` steps: an outer scan over chunks runs an
inner scan per chunk and keeps only each chunk's last state.  The gradient recomputes each
chunk's states from its checkpoint (memory O(steps / N + N) instead of O(steps)).
"""

from ..compiler import ops as O
from ..compiler.variable import as_tensor_variable, constant
from .basic import _as_list, scan

__all__ = ["scan_checkpoints"]


def scan_checkpoints(fn, sequences=None, outputs_info=None, non_sequences=None,
                     name="checkpointscan_fn", n_steps=None, save_every_N=10, padding=True):
    """Theano's ``scan_checkpoints``: like ``scan`` for outputs with plain initial states
    (tap -1), but the outputs hold only the states at every ``save_every_N``-th step (and
    the last one); the others are recomputed by the gradient.

    >>> import numpy as np, arignote, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> sums, _ = arignote.scan_checkpoints(lambda v, acc: acc + v, sequences=[x],
    ...                                     outputs_info=[T.constant(0.0)], save_every_N=4)
    >>> arignote.function([x], sums)(np.ones(10)).tolist()
    [4.0, 8.0, 10.0]
    """
    sequences = [as_tensor_variable(s) for s in _as_list(sequences)]
    outputs_info = _as_list(outputs_info)
    non_sequences = _as_list(non_sequences)
    if not isinstance(save_every_N, int) or save_every_N < 1:
        raise ValueError(f"scan_checkpoints: save_every_N must be a positive int, "
                         f"got {save_every_N!r}")
    for k, info in enumerate(outputs_info):
        if info is None or isinstance(info, dict):
            raise ValueError(f"scan_checkpoints: outputs_info[{k}] must be an initial state "
                             f"(tap -1): outputs without one, or with taps, are not supported")
    if n_steps is None:
        if not sequences:
            raise ValueError("scan_checkpoints: no sequences and no n_steps")
        n_steps = O.shape(sequences[0])[0]
    n_steps = O.cast(as_tensor_variable(n_steps), "int64")
    every = save_every_N
    chunks = (n_steps + every - 1) // every
    inner_steps = O.set_subtensor(
        O.alloc(constant(every, dtype="int64"), chunks)[-1], n_steps - (chunks - 1) * every)
    outer_sequences = []
    for s in sequences:
        s = s[:n_steps]
        if padding:
            missing = chunks * every - n_steps
            pad = O.zeros([missing] + [s.shape[i] for i in range(1, s.ndim)], dtype=s.dtype)
            s = O.concatenate([s, pad])
        shape = [chunks, every] + [s.shape[i] for i in range(1, s.ndim)]
        outer_sequences.append(s.reshape(shape, ndim=s.ndim + 1))
    n_seqs, n_outs = len(outer_sequences), len(outputs_info)

    def chunk(*args):
        chunk_seqs = list(args[:n_seqs])
        steps = args[n_seqs]
        states = list(args[n_seqs + 1:n_seqs + 1 + n_outs])
        invariants = list(args[n_seqs + 1 + n_outs:])
        results, updates = scan(fn, sequences=chunk_seqs, outputs_info=states,
                                non_sequences=invariants, n_steps=steps,
                                name=name + "_inner", return_list=True)
        return [r[-1] for r in results], updates

    outputs, updates = scan(chunk, sequences=outer_sequences + [inner_steps],
                            outputs_info=outputs_info, non_sequences=non_sequences,
                            n_steps=chunks, name=name + "_outer")
    return outputs, updates
