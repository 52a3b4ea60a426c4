"""Rewrites of loops: optimize each ``Scan``'s inner graph, and keep only the states used.

- ``optimize_scan_bodies`` runs the whole pipeline (this one included, so nested loops are
  optimized too) on a copy of each loop's inner graph: the inner graph is fused and
  specialised like any function.
- ``scan_save_memory``: when a state's trajectory is only read at its last rows
  (``out[-1]``, ``out[-k]``, e.g. ``reduce``), or not at all, the loop keeps a ring of those
  rows instead of every step's state (memory O(taps), not O(steps)).
"""

from ..ops.scan import Scan
from ..ops.subtensor import Subtensor


def optimize_scan_bodies(fgraph):
    """Optimize the inner graph of every loop not optimized yet; returns the count."""
    from .pipeline import optimize
    changes = 0
    for node in fgraph.toposort():
        if not isinstance(node.op, Scan) or node.op.optimized:
            continue
        body, _ = node.op.body.clone()
        optimize(body)
        op = node.op.replace(body=body, optimized=True)
        _swap(fgraph, node, op, "optimize_scan_bodies")
        changes += 1
    return changes


def _last_rows(client):
    """``k`` when ``client`` reads row ``-k`` of its input (first axis), else None."""
    if client == "output" or not isinstance(client.op, Subtensor):
        return None
    first = client.op.idx_list[0] if client.op.idx_list else None
    if isinstance(first, bool) or not isinstance(first, int) or first >= 0:
        return None
    return -first


def scan_save_memory(fgraph):
    """Window the states whose trajectories are only read at their last rows."""
    changes = 0
    for node in fgraph.toposort():
        if not isinstance(node.op, Scan):
            continue
        op = node.op
        windows, needs, readers = list(op.windows), list(op.needs), {}
        for j in range(op.n_states):
            if windows[j]:
                continue
            clients = fgraph.clients.get(node.outputs[j], [])
            depths = [_last_rows(client) for client, _ in clients]
            if any(k is None for k in depths):
                continue
            windows[j] = max(depths + [1])
            needs[j] = max(depths + [0])
            readers[j] = [client for client, _ in clients]
        if not readers:
            continue
        new = op.replace(windows=tuple(windows), needs=tuple(needs)).make_node(*node.inputs)
        new.trace = node.trace
        pairs = []
        for j, (old, replacement) in enumerate(zip(node.outputs, new.outputs)):
            if j not in readers:
                if fgraph.clients.get(old):
                    pairs.append((old, replacement))
                continue
            for client in readers[j]:
                k = -client.op.idx_list[0]
                index = Subtensor((windows[j] - k,) + tuple(client.op.idx_list[1:]))
                pairs.append((client.outputs[0],
                              index.make_node(replacement, *client.inputs[1:]).outputs[0]))
        fgraph.replace_all(pairs, reason="scan_save_memory")
        changes += 1
    return changes


def _swap(fgraph, node, op, reason):
    new = op.make_node(*node.inputs)
    new.trace = node.trace
    fgraph.replace_all([(old, value) for old, value in zip(node.outputs, new.outputs)
                        if fgraph.clients.get(old)], reason=reason)
