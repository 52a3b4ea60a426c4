"""``T.mgrid`` and ``T.ogrid``: Theano's symbolic versions of numpy's index grids.

As in Theano, indexing gives a list of tensors, one per dimension (numpy stacks them into
one array). A complex step ``5j`` asks for 5 evenly spaced points, stop included, as numpy's.

>>> import arignote.tensor as T
>>> a, b = T.mgrid[0:2, 0:3]
>>> a.eval().tolist(), b.eval().tolist()
([[0, 0, 0], [1, 1, 1]], [[0, 1, 2], [0, 1, 2]])
>>> [g.eval().shape for g in T.ogrid[0:2, 0:3]]
[(2, 1), (1, 3)]
>>> T.mgrid[0:1:3j][0].eval().tolist()
[0.0, 0.5, 1.0]
"""

from ..compiler.ops import arange, cast, ones_like, reshape, true_div
from ..compiler.variable import as_tensor_variable


def _points(piece):
    """The 1-d range of one slice of a grid index."""
    if not isinstance(piece, slice):
        raise TypeError(f"mgrid/ogrid take slices (start:stop:step), got {piece!r}")
    start = 0 if piece.start is None else piece.start
    if isinstance(piece.step, complex):
        count = int(abs(piece.step))
        if count < 1:
            raise ValueError(f"mgrid/ogrid: a complex step asks for a number of points, "
                             f"got {piece.step!r}")
        stop = as_tensor_variable(piece.stop)
        start = as_tensor_variable(start)
        spacing = true_div(stop - start, max(count - 1, 1))
        return start + cast(arange(count), spacing.dtype) * spacing
    return arange(start, piece.stop, 1 if piece.step is None else piece.step)


class _Grid:
    """``mgrid`` (dense grids) or ``ogrid`` (open: each range along its own axis)."""

    def __init__(self, sparse):
        self.sparse = sparse

    def __getitem__(self, index):
        pieces = index if isinstance(index, tuple) else (index,)
        ndim = len(pieces)
        ranges = []
        for axis, piece in enumerate(pieces):
            points = _points(piece)
            shape = [1] * axis + [points.shape[0]] + [1] * (ndim - 1 - axis)
            ranges.append(reshape(points, shape, ndim=ndim))
        if self.sparse:
            return ranges
        ones = [ones_like(r) for r in ranges]
        grids = []
        for axis in range(ndim):
            grid = ranges[axis]
            for other in range(ndim):
                if other != axis:
                    grid = grid * ones[other]
            grids.append(grid)
        return grids


mgrid = _Grid(sparse=False)
ogrid = _Grid(sparse=True)
