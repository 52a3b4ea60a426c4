"""Theano's ``theano.tensor.utils``: hashing arrays and the shapes of a graph's variables.

>>> import numpy as np, arignote.tensor as T
>>> from arignote.compiler.graph import FunctionGraph
>>> from arignote.tensor.utils import hash_from_ndarray, shape_of_variables
>>> hash_from_ndarray(np.zeros(3)) == hash_from_ndarray(np.zeros(3))
True
>>> x = T.dmatrix('x')
>>> fgraph = FunctionGraph([x], [x.T.dot(x)], clone=False)
>>> shapes = shape_of_variables(fgraph, {x: (5, 2)})
>>> shapes[x], shapes[fgraph.outputs[0]]
((5, 2), (2, 2))
"""

import hashlib

import numpy as np


def hash_from_ndarray(data):
    """A hex digest of an array's values, shape and dtype (equal arrays hash equal)."""
    data = np.ascontiguousarray(data)
    digest = hashlib.sha256(data.tobytes())
    digest.update(f"{data.shape}{data.dtype.str}".encode())
    return digest.hexdigest()


def shape_of_variables(fgraph, input_shapes):
    """``{variable: shape}`` for every variable of ``fgraph``, given the inputs' shapes.

    The shapes are computed by a compiled function of the shapes alone (its rewrites take
    every length from the inputs' lengths), run on zero-filled inputs of those shapes.
    """
    from ..runtime.function import function
    from . import shape as symbolic_shape
    missing = [v for v in fgraph.inputs if v not in input_shapes]
    if missing:
        raise ValueError(f"shape_of_variables: no shape given for the inputs {missing}")
    variables = [v for v in _variables(fgraph) if hasattr(v, "ndim")]
    compute = function(list(fgraph.inputs), [symbolic_shape(v) for v in variables],
                       on_unused_input="ignore")
    values = compute(*[np.zeros(input_shapes[v], dtype=v.dtype) for v in fgraph.inputs])
    return {v: tuple(int(n) for n in value) for v, value in zip(variables, values)}


def _variables(fgraph):
    seen = list(fgraph.inputs)
    for node in fgraph.toposort():
        seen.extend(node.outputs)
    return seen
