#!/usr/bin/env python3
"""How issue 5's target cells moved over many issue runs. Reads the runs' schedule-compare.json (schedule_compare.py writes one per
device call) in the order given and prints, in markdown, per cell with a target (M = 1, 16 and from 256 on): our scheduled kernel's
median in the last run; the first run from which every median stayed within TOLERANCE of the latest level, the median of the last three
runs' medians ("flat since"); our range and cuBLAS's over those runs; the time the target asks for at cuBLAS's mean over them; how far
our mean is from it; and in how many of those runs the target was met. Session 30 wrote it to show which gaps have stood still, and since
when.

  python3 bench/tensorcore/history_over_runs.py [--tolerance 0.03] tensorcore/results/h200-s{7,8,9,10,...}-schedule-compare.json
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedule_compare import target  # noqa: E402  (the one definition of the targets)
from targets_over_runs import label, rows_of  # noqa: E402  (a run's name; its cells, checked)


def load(path):
    cells = {}
    for row in rows_of(path):
        try:
            if "palette_ms" not in row or "cublas_ms" not in row:
                continue   # a cell that run listed but did not time (s12b's first rows)
            cells[(row["n"], row["k"], row["m"])] = (row["palette_ms"]["median"], row["cublas_ms"]["median"], row["where"])
        except (KeyError, TypeError) as missing:
            sys.exit(f"{path}: a cell without {missing}")
    return cells


def flat_since(times, tolerance):
    """The index of the first run from which every time lies within tolerance of the latest level (the median of the last three
    runs' medians, so that one noisy run does not set it)."""
    level = sorted(times[-3:])[len(times[-3:]) // 2]
    first = len(times)
    while first > 0 and abs(times[first - 1] / level - 1) <= tolerance:
        first -= 1
    return min(first, len(times) - 1)


def main(args):
    tolerance = 0.03
    if args[:1] == ["--tolerance"]:
        if len(args) < 2:
            sys.exit(__doc__)
        tolerance, args = float(args[1]), args[2:]
    if not args:
        sys.exit(__doc__)
    runs = [(label(p), load(p)) for p in args]
    keys = sorted({key for _, cells in runs for key in cells if target(key[2]) is not None}, key=lambda c: (c[2], -c[0] * c[1], c[0]))
    print(f"Our scheduled kernel per target cell over {len(runs)} runs ({runs[0][0]} .. {runs[-1][0]}); flat: every median since within "
          f"{tolerance:.0%} of the median of the last three runs' medians.\n")
    print("| N x K | M | kernel (last run) | ours, last run ms | flat since (runs) | ours since, ms | cuBLAS since, ms | target | "
          "target asks for, ms | our mean over it | met since |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, k, m in keys:
        seen = [(name, cells[(n, k, m)]) for name, cells in runs if (n, k, m) in cells]
        ours = [c[0] for _, c in seen]
        start = flat_since(ours, tolerance)
        since = seen[start:]
        ours_since = [c[0] for _, c in since]
        cublas_since = [c[1] for _, c in since]
        goal = target(m)
        asks = sum(cublas_since) / len(cublas_since) / goal
        mean = sum(ours_since) / len(ours_since)
        met = sum(c[1] / c[0] >= goal for _, c in since)
        print(f"| {n} x {k} | {m} | {seen[-1][1][2]} | {ours[-1]:.4f} | {since[0][0]} ({len(since)}) | "
              f"{min(ours_since):.4f}-{max(ours_since):.4f} | {min(cublas_since):.4f}-{max(cublas_since):.4f} | {goal:.3f}x | "
              f"{asks:.4f} | {mean / asks - 1:+.1%} | {met} of {len(since)} |")


if __name__ == "__main__":
    main(sys.argv[1:])
