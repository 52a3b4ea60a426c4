"""``Composite``: a DAG of scalar ops applied as one element-wise op (what fusion builds)."""

from dataclasses import dataclass

import numpy as np

from .elemwise import ScalarOp


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
