#!/usr/bin/env python3
"""Issue 5's targets over several issue runs: reads the schedule-compare.json that schedule_compare.py writes for each run (one device
call each) and prints, in markdown, every cell's speedup over cuBLAS per run, then per target the cells that meet it in every run, in
some, and in none, with their ranges. The targets are schedule_compare.py's (1.3x at M = 1, 1.2x at M = 16, 0.952x from M = 256:
"no more than 5% slower" read as a time at most 1.05 x cuBLAS's; the cells per run are also counted at 0.95x, the reading these
scripts used up to session 29, so that earlier notes compare).

  python3 bench/tensorcore/targets_over_runs.py tensorcore/results/h200-{s26b,s26c,s28,s29}-schedule-compare.json
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedule_compare import target  # noqa: E402  (the one definition of the targets)

LENIENT = 0.95   # the large-M target as read up to session 29 (speedup >= 0.95, a time up to 1.0526 x cuBLAS's)


def label(path):
    match = re.search(r"h200-([^-]+)-schedule-compare", os.path.basename(path))
    return match.group(1) if match else os.path.basename(path)


def rows_of(path):
    """A run's schedule-compare.json: its list of cells, or an exit naming the file if it is not one."""
    with open(path) as f:
        rows = json.load(f)
    if not isinstance(rows, list) or not rows:
        sys.exit(f"{path}: not a schedule-compare.json (a non-empty list of cells)")
    return rows


def load(path):
    cells = {}
    for row in rows_of(path):
        try:
            cells[(row["n"], row["k"], row["m"])] = row["speedup"]
        except KeyError as missing:
            sys.exit(f"{path}: a cell without {missing}")
    return cells


def span(values):
    low, high = min(values), max(values)
    return f"{low:.3f}" if abs(high - low) < 5e-4 else f"{low:.3f}-{high:.3f}"


def main(paths):
    if not paths:
        sys.exit(__doc__)
    runs = [(label(p), load(p)) for p in paths]
    keys = sorted(set().union(*(cells.keys() for _, cells in runs)), key=lambda c: (-c[0] * c[1], c[0], c[2]))
    names = [name for name, _ in runs]
    print("| N x K | M | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for n, k, m in keys:
        print(f"| {n} x {k} | {m} | " + " | ".join(f"{cells[(n, k, m)]:.3f}" if (n, k, m) in cells else "-" for _, cells in runs) + " |")
    for m_range, what in (((1,), "1.3x at M = 1"), ((16,), "1.2x at M = 16"), ((256, 1024, 4096), "0.952x at M >= 256 (a time at most 1.05 x cuBLAS's)")):
        every, some, none = [], [], []
        for n, k, m in keys:
            if m not in m_range:
                continue
            values = [cells[(n, k, m)] for _, cells in runs if (n, k, m) in cells]
            met = sum(v >= target(m) for v in values)
            entry = f"{n} x {k} at M = {m} ({span(values)}, {met} of {len(values)})"
            (every if met == len(values) else some if met else none).append(entry)
        print(f"\n{what}, over {', '.join(names)}:")
        print("- in every run: " + ("; ".join(every) or "none"))
        print("- in some: " + ("; ".join(some) or "none"))
        print("- in none: " + ("; ".join(none) or "none"))
        if m_range[0] >= 256:
            per_run = [sum(1 for (n, k, m), v in cells.items() if m >= 256 and v >= target(m)) for _, cells in runs]
            lenient = [sum(1 for (n, k, m), v in cells.items() if m >= 256 and v >= LENIENT) for _, cells in runs]
            print(f"- cells met per run: {', '.join(map(str, per_run))} (at {LENIENT}x, as read up to session 29: {', '.join(map(str, lenient))})")


if __name__ == "__main__":
    main(sys.argv[1:])
