"""``map``, ``reduce``, ``foldl`` and ``foldr``: Theano's shorthands for common loops."""

from .basic import scan

__all__ = ["foldl", "foldr", "map", "reduce"]


def map(fn, sequences, non_sequences=None, truncate_gradient=-1, go_backwards=False,
        mode=None, name=None):
    """``fn`` applied to each step of ``sequences``, stacked; returns ``(outputs, updates)``.

    >>> import numpy as np, arignote, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> squares, _ = arignote.map(lambda v: v ** 2, x)
    >>> arignote.function([x], squares)(np.arange(4.0)).tolist()
    [0.0, 1.0, 4.0, 9.0]
    """
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode,
                name=name or "map_fn")


def reduce(fn, sequences, outputs_info, non_sequences=None, go_backwards=False, mode=None,
           name=None):
    """The last state of a loop over ``sequences``; returns ``(outputs, updates)``.

    Only a window of states is kept while the loop runs (memory O(taps), not O(steps)).

    >>> import numpy as np, arignote, arignote.tensor as T
    >>> x = T.dvector('x')
    >>> total, _ = arignote.reduce(lambda v, acc: acc + v, x, T.constant(0.0))
    >>> float(arignote.function([x], total)(np.arange(5.0)))
    10.0
    """
    outputs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info,
                            non_sequences=non_sequences, go_backwards=go_backwards,
                            mode=mode, name=name or "reduce_fn")
    if isinstance(outputs, (list, tuple)):
        return [o[-1] for o in outputs], updates
    return outputs[-1], updates


def foldl(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """``reduce`` from the first step to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode,
                  name=name or "foldl_fn")


def foldr(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """``reduce`` from the last step to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode,
                  name=name or "foldr_fn")
