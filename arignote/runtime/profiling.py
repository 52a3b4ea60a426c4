"""Time per node of compiled functions (``function(..., profile=True)``), Theano's layout.

A ``ProfileStats`` collects calls and times of the functions given to it (one or several);
``summary()`` prints three tables: by op class, by op, and by Apply node.
"""

import sys
import time
from collections import defaultdict


class ProfileStats:
    """Calls and time of functions and of each of their nodes.

    Parameters
    ----------
    name : str, optional
        Shown in the summary (a function's name by default).
    """

    def __init__(self, name=None, atexit_print=False):
        self.message = name
        self.name = name
        self.fct_callcount = 0
        self.fct_call_time = 0.0
        self.vm_call_time = 0.0
        self.compile_time = 0.0
        self.linker_time = 0.0
        self.optimizer_time = 0.0
        self._linkers = []

    def add_linker(self, linker):
        """Watch the per-node times that ``linker`` records."""
        self._linkers.append(linker)

    def record_call(self, call_time, run_time):
        self.fct_callcount += 1
        self.fct_call_time += call_time
        self.vm_call_time += run_time

    @property
    def apply_time(self):
        """{node: seconds spent in its perform}."""
        result = {}
        for linker in self._linkers:
            for step, seconds in zip(linker.schedule, linker.times):
                result[step[1]] = result.get(step[1], 0.0) + seconds
        return result

    @property
    def apply_callcount(self):
        """{node: number of times it ran}."""
        result = {}
        for linker in self._linkers:
            for step, count in zip(linker.schedule, linker.calls):
                result[step[1]] = result.get(step[1], 0) + count
        return result

    def summary(self, file=None, n_ops_to_print=20, n_apply_to_print=20):
        """Print the profile (to stdout by default)."""
        file = sys.stdout if file is None else file
        print(self.summary_text(n_ops_to_print, n_apply_to_print), file=file)

    def summary_text(self, n_ops_to_print=20, n_apply_to_print=20):
        """The profile as text."""
        times, calls = self.apply_time, self.apply_callcount
        # Nodes of a loop's body are timed inside their loop's node: counted once.
        inner = set().union(*(getattr(linker, "inner", ()) for linker in self._linkers))
        total = sum(t for node, t in times.items() if node not in inner)
        lines = ["Function profiling", "==================",
                 f"  Message: {self.message or 'unnamed function'}",
                 (f"  Time in {self.fct_callcount} calls to Function.__call__: "
                  f"{self.fct_call_time:.6e}s")]
        if self.fct_call_time > 0:
            share = 100.0 * self.vm_call_time / self.fct_call_time
            lines.append(f"  Time in Function.fn.__call__: {self.vm_call_time:.6e}s "
                         f"({share:.3f}%)")
            lines.append(f"  Time in thunks: {total:.6e}s "
                         f"({100.0 * total / self.fct_call_time:.3f}%)")
        lines.append(f"  Total compile time: {self.compile_time:.6e}s")
        lines.append(f"    Rewriting time: {self.optimizer_time:.6e}s")
        lines.append(f"    Linker time (schedule): {self.linker_time:.6e}s")
        lines.append("")
        by_class = defaultdict(lambda: [0.0, 0, 0, "Py"])
        by_op = defaultdict(lambda: [0.0, 0, 0, "Py"])
        kinds = self._kinds()
        for node, seconds in times.items():
            tag = _IN_LOOP if node in inner else ""
            for table, key in ((by_class, _class_name(node.op) + tag),
                               (by_op, str(node.op) + tag)):
                entry = table[key]
                entry[0] += seconds
                entry[1] += calls.get(node, 0)
                entry[2] += 1
                entry[3] = kinds.get(node, "Py")
        lines += _table("Class", by_class, total, n_ops_to_print, "Class name")
        lines += _table("Ops", by_op, total, n_ops_to_print, "Op name")
        lines += self._apply_table(times, calls, total, n_apply_to_print, inner)
        return "\n".join(lines)

    def _kinds(self):
        """{node: 'C' or 'Py'}: whether the node ran as generated C or through Python."""
        kinds = {}
        for linker in self._linkers:
            for step in linker.schedule:
                kinds[step[1]] = getattr(linker, "kind_of", lambda node: "Py")(step[1])
        return kinds

    def _apply_table(self, times, calls, total, limit, inner=()):
        positions = {}
        for linker in self._linkers:
            for position, step in enumerate(linker.schedule):
                positions.setdefault(step[1], position)
        lines = ["Apply", "------",
                 "<% time> <sum %> <apply time> <time per call> <#call> <id> <Apply name>"]
        cumulative = 0.0
        ranked = sorted(times.items(), key=lambda item: -item[1])
        for node, seconds in ranked[:limit]:
            share = 100.0 * seconds / total if total else 0.0
            tag = _IN_LOOP if node in inner else ""
            cumulative += 0.0 if tag else share
            count = calls.get(node, 0)
            per_call = seconds / count if count else 0.0
            lines.append(f"  {share:6.1f}%  {cumulative:6.1f}%  {seconds:10.3e}s  "
                         f"{per_call:10.3e}s  {count:6d}  {positions[node]:4d}   {node}{tag}")
        if len(ranked) > limit:
            lines.append(f"   ... (remaining {len(ranked) - limit} Apply nodes not shown)")
        lines.append("")
        return lines


# Rows of nodes inside a loop's body: their time is part of their loop's, so the running
# "sum %" does not add it again.
_IN_LOOP = " (in loop)"


def _class_name(op):
    kind = type(op)
    return f"{kind.__module__}.{kind.__qualname__}"


def _table(title, table, total, limit, label):
    lines = [title, "-" * len(title),
             f"<% time> <sum %> <apply time> <time per call> <type> <#call> <#apply> <{label}>"]
    cumulative = 0.0
    ranked = sorted(table.items(), key=lambda item: -item[1][0])
    for key, (seconds, count, n_apply, kind) in ranked[:limit]:
        share = 100.0 * seconds / total if total else 0.0
        cumulative += 0.0 if key.endswith(_IN_LOOP) else share
        per_call = seconds / count if count else 0.0
        lines.append(f"  {share:6.1f}%  {cumulative:6.1f}%  {seconds:10.3e}s  {per_call:10.3e}s"
                     f"  {kind:<2}  {count:6d}  {n_apply:4d}   {key}")
    if len(ranked) > limit:
        lines.append(f"   ... (remaining {len(ranked) - limit} {title.lower()} not shown)")
    lines.append("")
    return lines


def clock():
    """The profiler's clock (seconds)."""
    return time.perf_counter()
