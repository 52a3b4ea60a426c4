"""``transfer(x, target)``: where a value lives, Theano's ``var.transfer('cuda' | 'cpu')``.

On the host (the reference and the C backends) it is the identity.  On the CUDA backend it
marks placement: a function output that is ``transfer(x, 'cuda')`` stays on the device (the
function returns a device array, Theano's rule), ``transfer(x, 'cpu')`` brings ``x`` to the
host.  The gradient passes through.
"""

from dataclasses import dataclass

from ..graph import Apply
from ..op import Op
from ..variable import as_tensor_variable

__all__ = ["transfer"]


def _target(target):
    """'cuda' for 'cuda', 'cudaN' and 'gpu'; 'cpu' for 'cpu'."""
    text = str(target).lower()
    if text == "gpu" or text == "cuda" or (text.startswith("cuda") and text[4:].isdigit()):
        return "cuda"
    if text == "cpu":
        return "cpu"
    raise ValueError(f"transfer: unknown target {target!r} (use 'cuda', 'cudaN', 'gpu' or "
                     f"'cpu')")


@dataclass(frozen=True)
class Transfer(Op):
    """The identity, placing its output on ``target`` ('cuda' or 'cpu')."""

    target: str
    view_map = {0: [0]}

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node, inputs):
        return [inputs[0]]

    def grad(self, inputs, out_grads):
        return [out_grads[0]]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]

    def c_code(self, node, ctx):
        """A view: the output is the input (the host is the only place in C)."""
        return f"{ctx.name(node.outputs[0])} = {ctx.name(node.inputs[0])};"

    def __str__(self):
        return f"Transfer{{{self.target}}}"


def transfer(x, target):
    """``x`` placed on ``target``: 'cuda' (also 'cudaN', 'gpu') or 'cpu'.

    A function output ``transfer(y, 'cuda')`` is returned as a device array when the function
    runs on the GPU; everywhere else this is the identity.

    >>> import arignote.tensor as T
    >>> x = T.vector("x")
    >>> print(transfer(x, "gpu").owner.op)
    Transfer{cuda}
    """
    return Transfer(_target(target))(x)
