"""Element-wise application of scalar ops (``Elemwise``) and axis permutation (``DimShuffle``).

Scalar ops (in ``scalar.py``) say what happens to one element: the output dtype, a numpy
reference on whole arrays, the gradient as a graph, and a one-line C expression.  ``Elemwise``
owns broadcasting, casting and the loops; fusion later composes the scalar expressions.
"""

from dataclasses import dataclass

import numpy as np

from .. import dtypes as dt
from ..graph import Apply
from ..op import Op
from ..types import TensorType
from ..variable import as_tensor_variable


class ScalarOp:
    """What an element-wise op does to one element.

    Subclasses are frozen dataclasses and define ``nin``, ``impl`` (numpy on arrays), and
    where they apply ``output_dtypes``, ``grad`` and ``c_expr``.  Registered like ops, so the
    contract test sees every one of them.
    """

    abstract = True
    nin = 1
    nout = 1
    # For reductions: the neutral element, and whether the op is associative+commutative.
    identity = None
    commutative = False
    associative = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False) and not cls.__name__.startswith("_"):
            SCALAR_REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls

    def output_dtypes(self, *dtypes):
        """Output dtypes from input dtypes; default: the common upcast."""
        return [dt.upcast(*dtypes)] * self.nout

    def impl(self, *inputs):
        raise TypeError(f"{type(self).__name__} has no numpy reference")

    def grad(self, inputs, outputs, out_grads):
        """Gradients as element-wise graphs of the node's inputs; ``None`` for zero."""
        from ..grad import NullGradError
        raise NullGradError(f"{self} is not differentiable")

    def c_expr(self, args, in_dtypes, out_dtype):
        """A C expression of ``args`` (C expressions) computing one output element."""
        raise TypeError(f"{type(self).__name__} has no C expression")

    def cuda_expr(self, args, in_dtypes, out_dtype):
        """The CUDA expression; the C one unless a device intrinsic differs."""
        return self.c_expr(args, in_dtypes, out_dtype)

    @property
    def name(self):
        return type(self).__name__.lower()

    def __str__(self):
        return type(self).__name__

    __repr__ = __str__


SCALAR_REGISTRY = {}


class ShapeMismatchError(ValueError):
    """Input shapes that the op cannot combine."""


def broadcast_shapes(node, shapes):
    """The output shape of an element-wise node on inputs of ``shapes``, Theano's rules.

    Dimensions declared broadcastable have length 1; all others must agree exactly.
    """
    ndim = len(node.outputs[0].broadcastable)
    out = []
    for axis in range(ndim):
        size = None
        for position, (variable, shape) in enumerate(zip(node.inputs, shapes)):
            if variable.broadcastable[axis]:
                continue
            if size is None:
                size = shape[axis]
            elif shape[axis] != size:
                raise ShapeMismatchError(
                    f"input shapes {' and '.join(str(tuple(s)) for s in shapes)} do not match "
                    f"in dimension {axis} (input {position} has length {shape[axis]}, an "
                    f"earlier input {size}); broadcasting needs that dimension declared "
                    f"broadcastable (T.addbroadcast, T.row/T.col, dimshuffle('x', ...))")
        out.append(1 if size is None else size)
    return tuple(out)


@dataclass(frozen=True)
class Elemwise(Op):
    """Apply ``scalar_op`` to every element, broadcasting inputs of lower rank on the left."""

    scalar_op: ScalarOp
    # {output_index: input_index} overwritten in place (set by the inplace rewrite).
    inplace_pattern: tuple = ()

    @property
    def destroy_map(self):
        return {o: [i] for o, i in self.inplace_pattern}

    def make_node(self, *inputs):
        if len(inputs) != self.scalar_op.nin:
            raise TypeError(f"{self.scalar_op} takes {self.scalar_op.nin} inputs, "
                            f"got {len(inputs)}")
        inputs = [as_tensor_variable(v) for v in inputs]
        ndim = max((v.ndim for v in inputs), default=0)
        inputs = [v if v.ndim == ndim else dimshuffle(v, ["x"] * (ndim - v.ndim) +
                                                      list(range(v.ndim))) for v in inputs]
        broadcastable = tuple(all(v.broadcastable[axis] for v in inputs)
                              for axis in range(ndim))
        out_dtypes = self.scalar_op.output_dtypes(*[v.dtype for v in inputs])
        outputs = [TensorType(d, broadcastable).make_variable() for d in out_dtypes]
        return Apply(self, inputs, outputs)

    def perform(self, node, inputs):
        broadcast_shapes(node, [x.shape for x in inputs])
        with np.errstate(all="ignore"):
            results = self.scalar_op.impl(*inputs)
        if self.scalar_op.nout == 1:
            results = [results]
        return [np.asarray(r, dtype=o.dtype) for r, o in zip(results, node.outputs)]

    def infer_shape(self, node, input_shapes):
        shape = []
        for axis, flag in enumerate(node.outputs[0].broadcastable):
            sizes = [s[axis] for v, s in zip(node.inputs, input_shapes)
                     if not v.broadcastable[axis]]
            shape.append(_one() if flag or not sizes else sizes[0])
        return [shape] * len(node.outputs)

    def grad(self, inputs, out_grads):
        node_outputs = self(*inputs)
        if not isinstance(node_outputs, (list, tuple)):
            node_outputs = [node_outputs]
        return self.L_op(inputs, node_outputs, out_grads)

    def L_op(self, inputs, outputs, out_grads):
        """The gradient given the node's own outputs (the grad driver calls this)."""
        grads = self.scalar_op.grad(inputs, outputs, out_grads)
        return [None if g is None else reduce_to_broadcastable(g, x)
                for g, x in zip(grads, inputs)]

    def __str__(self):
        text = str(self.scalar_op)
        if self.inplace_pattern:
            text += "{inplace}"
        return f"Elemwise{{{text}}}"


def reduce_to_broadcastable(grad, like):
    """Sum ``grad`` over the dimensions where ``like`` is broadcastable; cast to its dtype."""
    grad = as_tensor_variable(grad)
    if grad.ndim > like.ndim:
        from .reduce import sum as sum_
        grad = sum_(grad, axis=tuple(range(grad.ndim - like.ndim)))
    axes = tuple(axis for axis in range(like.ndim)
                 if like.broadcastable[axis] and not grad.broadcastable[axis])
    if axes:
        from .reduce import sum as sum_
        grad = sum_(grad, axis=axes, keepdims=True)
    if grad.dtype != like.dtype and not dt.is_discrete(like.dtype):
        from .scalar import cast
        grad = cast(grad, like.dtype)
    return grad


@dataclass(frozen=True)
class DimShuffle(Op):
    """Permute, drop (broadcastable) and insert ('x') dimensions: Theano's ``dimshuffle``.

    >>> import arignote.tensor as T
    >>> T.matrix().dimshuffle(1, 'x', 0).broadcastable
    (False, True, False)
    """

    input_broadcastable: tuple
    new_order: tuple

    def __post_init__(self):
        kept = [a for a in self.new_order if a != "x"]
        if len(set(kept)) != len(kept):
            raise ValueError(f"dimshuffle pattern {self.new_order} repeats a dimension")
        for axis in kept:
            if not isinstance(axis, (int, np.integer)) or not 0 <= axis < len(
                    self.input_broadcastable):
                raise ValueError(f"dimshuffle pattern {self.new_order} names dimension {axis}, "
                                 f"but the input has {len(self.input_broadcastable)}")
        for axis, flag in enumerate(self.input_broadcastable):
            if axis not in kept and not flag:
                raise ValueError(
                    f"dimshuffle pattern {self.new_order} drops dimension {axis}, which is not "
                    f"broadcastable; only length-1 broadcastable dimensions can be dropped "
                    f"(use T.addbroadcast first if it always has length 1)")

    @property
    def view_map(self):
        return {0: [0]}

    @property
    def dropped(self):
        return tuple(a for a in range(len(self.input_broadcastable)) if a not in self.new_order)

    @property
    def permutation(self):
        return tuple(a for a in self.new_order if a != "x")

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.broadcastable != self.input_broadcastable:
            if x.ndim != len(self.input_broadcastable) or any(
                    not b and a for a, b in zip(self.input_broadcastable, x.broadcastable)):
                raise TypeError(f"DimShuffle for {self.input_broadcastable} applied to {x.type}")
        broadcastable = tuple(True if a == "x" else x.broadcastable[a] for a in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, broadcastable).make_variable()])

    def perform(self, node, inputs):
        (x,) = inputs
        if any(x.shape[a] != 1 for a in self.dropped):
            raise ShapeMismatchError(f"dimshuffle drops dimensions {self.dropped} of an array "
                                     f"of shape {x.shape}, which must have length 1")
        if self.dropped:
            x = x.reshape([s for a, s in enumerate(x.shape) if a not in self.dropped])
        kept = sorted(self.permutation)
        y = np.transpose(x, [kept.index(a) for a in self.permutation])
        return [y[tuple(None if a == "x" else slice(None) for a in self.new_order)]]

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [[_one() if a == "x" else shape[a] for a in self.new_order]]

    def grad(self, inputs, out_grads):
        (x,) = inputs
        (gz,) = out_grads
        order = ["x"] * x.ndim
        for position, axis in enumerate(self.new_order):
            if axis != "x":
                order[axis] = position
        gz = as_tensor_variable(gz)
        return [reduce_to_broadcastable(dimshuffle(gz, order), x)]

    def __str__(self):
        return f"DimShuffle{{{','.join(str(a) for a in self.new_order)}}}"


def _one():
    from ..variable import constant
    return constant(1, dtype="int64")


def dimshuffle(x, pattern):
    """``x.dimshuffle(*pattern)``: reorder axes, insert 'x' (length 1), drop broadcastable."""
    x = as_tensor_variable(x)
    pattern = tuple(a if a == "x" else int(a) for a in pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(x.broadcastable, pattern)(x)


def transpose(x, axes=None):
    """Reverse (or permute by ``axes``) the dimensions of ``x``."""
    x = as_tensor_variable(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    return dimshuffle(x, tuple(axes))
