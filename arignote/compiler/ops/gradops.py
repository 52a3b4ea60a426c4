"""Identity ops that only change gradients: zero_grad, disconnected_grad, grad_clip, ...

Each returns its input unchanged (a view: ``view_map``) and says what its gradient is.  The
rewrite pipeline may drop them once gradients have been taken.
"""

from dataclasses import dataclass

from ..graph import Apply, Variable
from ..op import Op
from ..variable import as_tensor_variable

__all__ = ["zero_grad", "disconnected_grad", "consider_constant", "grad_clip", "grad_scale",
           "undefined_grad"]


class _GradientIdentity(Op):
    """Identity forward; subclasses define ``grad``."""

    abstract = True
    view_map = {0: [0]}

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node, inputs):
        return [inputs[0]]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


@dataclass(frozen=True)
class ZeroGrad(_GradientIdentity):
    """Identity whose gradient is zero (the input stays connected to the cost)."""

    def grad(self, inputs, out_grads):
        return [None]


@dataclass(frozen=True)
class ConsiderConstant(_GradientIdentity):
    """Theano's ``consider_constant`` op: identity with zero gradient."""

    def grad(self, inputs, out_grads):
        return [None]


@dataclass(frozen=True)
class DisconnectedGrad(_GradientIdentity):
    """Identity through which the input is disconnected from the cost."""

    def grad(self, inputs, out_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


@dataclass(frozen=True)
class UndefinedGrad(_GradientIdentity):
    """Identity whose gradient is undefined: ``grad`` through it raises."""

    def grad(self, inputs, out_grads):
        from ..grad import NullType
        return [NullType("the gradient through undefined_grad() is undefined")()]


@dataclass(frozen=True)
class GradClip(_GradientIdentity):
    """Identity whose gradient is clipped to [lower_bound, upper_bound]."""

    lower_bound: float
    upper_bound: float

    def __post_init__(self):
        if not self.upper_bound >= self.lower_bound:
            raise ValueError(f"grad_clip: upper_bound ({self.upper_bound}) must be >= "
                             f"lower_bound ({self.lower_bound})")

    def grad(self, inputs, out_grads):
        from .scalar import clip
        return [clip(out_grads[0], self.lower_bound, self.upper_bound)]


@dataclass(frozen=True)
class GradScale(_GradientIdentity):
    """Identity whose gradient is multiplied by ``multiplier`` (a number or a variable)."""

    multiplier: object

    def grad(self, inputs, out_grads):
        from .scalar import mul
        return [mul(out_grads[0], self.multiplier)]


def zero_grad(x):
    """``x``, with a zero gradient: ``grad`` treats it as a constant.

    >>> import arignote.tensor as T, arignote
    >>> x = T.dscalar('x')
    >>> float(arignote.grad(x * zero_grad(x), x).eval({x: 3.0}))
    3.0
    """
    return ZeroGrad()(x)


def consider_constant(x):
    """``x``, treated as a constant by ``grad`` (same as ``zero_grad``; Theano's spelling)."""
    return ConsiderConstant()(x)


def disconnected_grad(x):
    """``x``, disconnected from the cost for ``grad``.

    Unlike ``zero_grad``, asking for a gradient that flows only through it raises
    ``DisconnectedInputError`` (unless ``disconnected_inputs`` says otherwise).
    """
    return DisconnectedGrad()(x)


def undefined_grad(x):
    """``x``, whose gradient is undefined: ``grad`` through it raises ``NullTypeGradError``."""
    return UndefinedGrad()(x)


def grad_clip(x, lower_bound, upper_bound):
    """``x``, whose gradient is clipped element-wise to ``[lower_bound, upper_bound]``.

    >>> import arignote.tensor as T, arignote
    >>> x = T.dscalar('x')
    >>> float(arignote.grad(grad_clip(x, -1, 1) * x, x).eval({x: 2.0}))  # 2 + clip(2)
    3.0
    """
    return GradClip(float(lower_bound), float(upper_bound))(x)


def grad_scale(x, multiplier):
    """``x``, whose gradient is multiplied by ``multiplier``.

    >>> import arignote.tensor as T, arignote
    >>> x = T.dscalar('x')
    >>> float(arignote.grad(grad_scale(x, 0.5) ** 2, x).eval({x: 3.0}))
    3.0
    """
    if not isinstance(multiplier, Variable):
        multiplier = float(multiplier)
    return GradScale(multiplier)(x)
