"""The rewrite pipeline: one ordered list of named passes.

Each pass runs to a fixed point (bounded); ``ARIGNOTE_FLAGS=trace_rewrites=1`` prints every
rule as it fires.  ``optimize(fgraph)`` runs the FAST_RUN pipeline in place.
"""

import sys
import time

from ...configparser import config
from . import fusion, merge, rules, scan_rules, specialize
from .engine import apply_rules


def _rules(ruleset):
    def run(fgraph):
        return apply_rules(fgraph, ruleset)
    run.__name__ = ruleset.name
    return run


PASSES = [
    ("merge", merge.merge),
    ("constant_fold", merge.constant_fold),
    ("canonicalize", _rules(rules.CANONICALIZE)),
    ("stabilize", _rules(rules.STABILIZE)),
    ("merge_stabilized", merge.merge),
    ("canonicalize_again", _rules(rules.CANONICALIZE)),
    ("merge_again", merge.merge),
    ("constant_fold_again", merge.constant_fold),
    ("scan_save_memory", scan_rules.scan_save_memory),
    ("share_softmax", specialize.share_softmax),
    ("upcast_dot_operands", specialize.upcast_dot_operands),
    ("gemm", specialize.specialize_gemm),
    ("fusion", fusion.fuse),
    ("reduce_fusion", specialize.fuse_reductions),
    ("merge_final", merge.merge),
    ("scan_bodies", scan_rules.optimize_scan_bodies),
]


def optimize(fgraph, passes=None):
    """Run the pipeline on ``fgraph`` in place; returns ``[(pass, changes, seconds)]``."""
    report = []
    for name, run in passes or PASSES:
        start = time.perf_counter()
        changes = run(fgraph)
        elapsed = time.perf_counter() - start
        report.append((name, changes, elapsed))
        if config.trace_rewrites and changes:
            print(f"pass {name}: {changes} changes in {elapsed * 1e3:.1f} ms", file=sys.stderr)
    return report
