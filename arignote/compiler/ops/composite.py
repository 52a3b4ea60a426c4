"""``Composite``: a DAG of scalar ops applied as one element-wise op (what fusion builds)."""

from dataclasses import dataclass

import numpy as np

from ..graph import Apply
from ..op import Op
from ..types import TensorType
from .elemwise import Elemwise, ScalarOp


@dataclass(frozen=True)
class Composite(ScalarOp):
    """Scalar ops composed into one: ``program`` is a tuple of steps ``(scalar_op, args,
    dtype)``; an argument is ``('in', k)`` (input k), ``('tmp', j)`` (step j's result) or
    ``('lit', value, dtype)`` (a literal).  ``outs`` lists the refs that are the outputs.
    """

    n_inputs: int
    program: tuple
    outs: tuple
    out_dtypes: tuple

    @property
    def nin(self):
        return self.n_inputs

    @property
    def nout(self):
        return len(self.outs)

    def output_dtypes(self, *dtypes):
        return list(self.out_dtypes)

    def _value(self, ref, inputs, temps):
        kind = ref[0]
        if kind == "in":
            return inputs[ref[1]]
        if kind == "tmp":
            return temps[ref[1]]
        return np.asarray(ref[1], dtype=ref[2])

    def impl(self, *inputs):
        temps = []
        with np.errstate(all="ignore"):
            for scalar_op, args, dtype in self.program:
                values = [self._value(a, inputs, temps) for a in args]
                temps.append(np.asarray(scalar_op.impl(*values), dtype=dtype))
        results = [self._value(r, inputs, temps) for r in self.outs]
        return results[0] if len(results) == 1 else results

    def __str__(self):
        names = []
        for scalar_op, args, _ in self.program:
            names.append(str(scalar_op).lower())
        return "Composite{" + ",".join(names) + "}"


_REDUCERS = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum}


@dataclass(frozen=True)
class FusedReduce(Op):
    """``reduce(scalar_op(*inputs), axis)`` in one loop: an element-wise expression reduced
    without materialising it (built by the ``reduce_fusion`` rewrite, never by users).

    ``kind`` is 'sum', 'prod', 'max' or 'min'; the element-wise result is computed in (and
    accumulated as) ``acc_dtype``, then cast to ``dtype``; inputs broadcast as for
    ``Elemwise``.
    """

    kind: str
    axis: tuple
    scalar_op: ScalarOp
    dtype: str
    acc_dtype: str

    def make_node(self, *inputs):
        element = Elemwise(self.scalar_op).make_node(*inputs)
        pattern = element.outputs[0].broadcastable
        out = TensorType(self.dtype, tuple(b for a, b in enumerate(pattern)
                                           if a not in self.axis)).make_variable()
        return Apply(self, element.inputs, [out])

    def perform(self, node, inputs):
        element = Elemwise(self.scalar_op)
        values = element.perform(element.make_node(*node.inputs), inputs)[0]
        if any(values.shape[a] == 0 for a in self.axis) and self.kind in ("max", "min"):
            raise ValueError(f"{self}: cannot reduce an empty axis of shape {values.shape}")
        reducer = _REDUCERS[self.kind]
        result = reducer.reduce(values.astype(self.acc_dtype, copy=False), axis=self.axis)
        return [np.asarray(result, dtype=self.dtype)]

    def infer_shape(self, node, input_shapes):
        element = Elemwise(self.scalar_op)
        (shape,) = element.infer_shape(element.make_node(*node.inputs), input_shapes)[:1]
        return [[s for a, s in enumerate(shape) if a not in self.axis]]

    def __str__(self):
        return f"FusedReduce{{{self.kind}, {self.axis}, {self.scalar_op}}}"
