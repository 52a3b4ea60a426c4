"""Element-wise fusion: connected element-wise nodes over one iteration space become one
``Elemwise(Composite)`` node, rendered as a single loop.

A producer joins its consumer's group when it is element-wise and has the group's broadcast
pattern (so nothing is recomputed per broadcast element); a value it computes that is needed
outside the group becomes one more output of the loop (multi-output fusion), when that
cannot create a cycle.  Single-element constants become literals in the fused program.
"""

from ..ops.composite import Composite
from ..ops.elemwise import Elemwise
from .engine import constant_value


def _fusable(node):
    return isinstance(node.op, Elemwise) and not node.op.inplace_pattern and all(
        o.dtype != "float16" for o in node.outputs)


def _literal(variable):
    data = constant_value(variable)
    if data is None or data.size != 1 or data.dtype.kind not in "biuf":
        return None
    return ("lit", data.reshape(()).item(), data.dtype.name)


# A loop body larger than this compiles slowly and gains nothing: longer chains are cut
# into several loops.
MAX_FUSED_NODES = 128


def _grow(fgraph, root, position):
    """The nodes fused into ``root``'s loop, in topological order (``position`` maps nodes
    to their place in a topological order of the graph)."""
    group = {root}
    pattern = root.outputs[0].broadcastable
    stack = [root]
    while stack:
        node = stack.pop()
        for variable in node.inputs:
            producer = variable.owner
            if producer is None or producer in group or not _fusable(producer):
                continue
            if len(producer.outputs) != 1 or producer.outputs[0].broadcastable != pattern:
                continue
            clients = fgraph.clients.get(variable, [])
            if not clients:
                continue
            outside = [c for c, _ in clients if c == "output" or c not in group]
            # A value needed outside becomes an extra output of the loop, unless a node that
            # needs it could lead back into the group (it would then run before and after).
            if any(c != "output" and position.get(c, AFTER) <= position[root]
                   for c in outside):
                continue
            if len(group) >= MAX_FUSED_NODES:
                break
            group.add(producer)
            stack.append(producer)
    return sorted(group, key=position.__getitem__)


AFTER = float("inf")  # position of nodes created by fusion: after every root still to do


def _exported(fgraph, nodes, root):
    """Outputs of fused nodes (other than the root's) that are needed outside the group."""
    group = set(nodes)
    exported = []
    for node in nodes:
        if node is root:
            continue
        for output in node.outputs:
            if any(c == "output" or c not in group for c, _ in fgraph.clients.get(output, [])):
                exported.append(output)
    return exported


def _remap(ref, args, local):
    """A ref inside an inlined composite, as a ref of the program being built."""
    if ref[0] == "in":
        return args[ref[1]]
    if ref[0] == "tmp":
        return local[ref[1]]
    return ref


def _program(nodes):
    """Compose the scalar ops of ``nodes``: returns (inputs, steps, refs of every output)."""
    inputs, refs, steps = [], {}, []

    def ref_of(variable):
        if variable in refs:
            return refs[variable]
        literal = _literal(variable)
        if literal is not None:
            return literal
        inputs.append(variable)
        refs[variable] = ("in", len(inputs) - 1)
        return refs[variable]

    for node in nodes:
        args = [ref_of(v) for v in node.inputs]
        scalar_op = node.op.scalar_op
        if isinstance(scalar_op, Composite):
            local = []
            for inner_op, inner_args, dtype in scalar_op.program:
                steps.append((inner_op, tuple(_remap(a, args, local) for a in inner_args),
                               dtype))
                local.append(("tmp", len(steps) - 1))
            outs = [_remap(r, args, local) for r in scalar_op.outs]
        else:
            steps.append((scalar_op, tuple(args), node.outputs[0].dtype))
            outs = [("tmp", len(steps) - 1)]
        for output, ref in zip(node.outputs, outs):
            refs[output] = ref
    return inputs, steps, refs


def fuse(fgraph):
    """Fuse element-wise groups; returns the number of nodes replaced."""
    fused = 0
    order = fgraph.toposort()
    # Replacing a group only removes nodes and adds one node after all of its inputs, so
    # these positions stay a topological order of the nodes left.
    position = {node: k for k, node in enumerate(order)}
    for root in reversed(order):
        if root not in fgraph.apply_nodes or not _fusable(root) or len(root.outputs) != 1:
            continue
        nodes = _grow(fgraph, root, position)
        inputs, steps, refs = _program(nodes)
        literals = any(_literal(v) is not None for n in nodes for v in n.inputs)
        if not inputs or (len(nodes) == 1 and not literals):
            continue
        results = [root.outputs[0]] + _exported(fgraph, nodes, root)
        finals = [refs[v] for v in results]
        if any(ref[0] != "tmp" for ref in finals):
            continue
        composite = Composite(len(inputs), tuple(steps), tuple(finals),
                              tuple(v.dtype for v in results))
        node = Elemwise(composite).make_node(*inputs)
        if any(new.type != old.type for new, old in zip(node.outputs, results)):
            continue
        node.trace = root.trace
        # Errors inside the fused loop name every line that built one of its operations.
        node.tag.fused_traces = [n.trace for n in nodes if n.trace is not None]
        for old, new in zip(results, node.outputs):
            new.trace = root.trace
            fgraph.replace(old, new, reason="fusion")
        fused += 1
    return fused
