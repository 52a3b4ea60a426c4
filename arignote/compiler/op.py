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

import functools
import warnings

from ..configparser import config
from .graph import Apply, Constant, Variable

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
        if config.compute_test_value != "off":
            compute_test_values(node)
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


_MISSING = object()


def _test_value(variable):
    """The test value of ``variable``: a constant's data, a shared variable's value, or
    ``tag.test_value``; ``_MISSING`` when it has none."""
    if isinstance(variable, Constant):
        return variable.data
    if hasattr(variable, "get_value"):
        return variable.get_value(borrow=True)
    return getattr(variable.tag, "test_value", _MISSING)


def compute_test_values(node):
    """Theano's test values: run ``node``'s numpy reference on its inputs' test values and
    store the results as its outputs' ``tag.test_value``, so a bad shape raises where the
    graph is built. Inputs without one raise, warn or are skipped per
    ``config.compute_test_value``."""
    values = [_test_value(v) for v in node.inputs]
    missing = [v for v, value in zip(node.inputs, values) if value is _MISSING]
    if missing:
        message = (f"{node.op}: input {missing[0]} has no test value (config."
                   f"compute_test_value={config.compute_test_value!r}); set "
                   f"{missing[0]}.tag.test_value to an array")
        if config.compute_test_value == "raise":
            raise ValueError(message)
        if config.compute_test_value == "warn":
            warnings.warn(message, stacklevel=3)
        return
    try:
        results = node.op.perform(node, values)
    except Exception as error:
        where = f", built at {node.trace}" if node.trace else ""
        message = f"{error}\n(computing the test value of {node.op}{where})"
        try:
            new_error = type(error)(message)
        except Exception:
            new_error = ValueError(message)
        raise new_error from error
    for variable, value in zip(node.outputs, results):
        variable.tag.test_value = value


def with_test_values(build):
    """Decorate a graph builder that works on placeholders (scan's step function, its
    rewrites): no test values inside; afterwards the nodes of what it returns get theirs."""
    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        mode = config.compute_test_value
        if mode == "off":
            return build(*args, **kwargs)
        config.compute_test_value = "off"
        try:
            result = build(*args, **kwargs)
        finally:
            config.compute_test_value = mode
        _fill_test_values(result)
        return result
    return wrapper


def _fill_test_values(result):
    """Compute the test values of the nodes behind the variables found in ``result``."""
    from .graph import graph_inputs, io_toposort
    found = []
    stack = [result]
    while stack:
        item = stack.pop()
        if isinstance(item, Variable):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    for node in io_toposort(graph_inputs(found), found):
        if not all(hasattr(v.tag, "test_value") for v in node.outputs):
            compute_test_values(node)


def apply(op, inputs, output_types):
    """Build the Apply node of ``op`` on ``inputs`` with fresh outputs of ``output_types``."""
    outputs = [t.make_variable() for t in output_types]
    return Apply(op, inputs, outputs)


def is_variable(value):
    return isinstance(value, Variable)
