"""The Op contract and the registry of every op class.

An op is a frozen dataclass whose fields are its parameters (and so its identity and hash).
It says, in order:

- ``make_node(*inputs)``: checks and converts the inputs, infers the output types, returns an
  ``Apply``;
- ``perform(node, inputs)``: the numpy reference, returning a list of output arrays;
- ``grad(inputs, out_grads)``: graphs of the gradients w.r.t. each input (``None`` means the
  gradient is zero or the input is not differentiable);
- ``infer_shape(node, input_shapes)`` (optional): symbolic output shapes, so that
  ``x.shape`` can be computed without computing ``x``;
- ``connection_pattern(node)`` (optional): which outputs depend differentiably on which inputs.
"""

from .graph import Apply, Variable

OP_REGISTRY = {}


class Op:
    """Base class of all ops; subclasses are registered by name automatically."""

    abstract = True

    def __init_subclass__(cls, **kwargs):
        """Register every concrete op class (``abstract = True`` in a class body opts out)."""
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("abstract", False) and not cls.__name__.startswith("_"):
            OP_REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = cls

    default_output = None
    # Outputs that are views of inputs: {output_index: [input_index]}.
    view_map = {}
    # Outputs written into inputs: {output_index: [input_index]}.
    destroy_map = {}

    def make_node(self, *inputs):
        raise TypeError(f"{type(self).__name__} must define make_node")

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if len(node.outputs) == 1:
            return node.outputs[0]
        if self.default_output is not None:
            return node.outputs[self.default_output]
        return node.outputs

    def perform(self, node, inputs):
        raise TypeError(f"{type(self).__name__} has no numpy reference")

    def grad(self, inputs, out_grads):
        """Default: not differentiable; raise when a gradient is asked through a float path."""
        from .grad import NullGradError
        raise NullGradError(f"{self} has no gradient")

    def connection_pattern(self, node):
        return [[True] * len(node.outputs) for _ in node.inputs]

    def __str__(self):
        fields = getattr(self, "__dataclass_fields__", {})
        shown = [f"{getattr(self, f)}" for f in fields if fields[f].repr]
        name = type(self).__name__
        return f"{name}{{{', '.join(shown)}}}" if shown else name

    __repr__ = __str__


def apply(op, inputs, output_types):
    """Build the Apply node of ``op`` on ``inputs`` with fresh outputs of ``output_types``."""
    outputs = [t.make_variable() for t in output_types]
    return Apply(op, inputs, outputs)


def is_variable(value):
    return isinstance(value, Variable)
