#!/usr/bin/env python3
"""The issue's table: every shape and M, the kernel the schedule picks, side by side with cuBLAS.

usage: schedule_compare.py SMALL_M_COMPARE_JSON WGMMA_COMPARE_JSON SCHEDULES_TSV OUT_DIR [--label=TEXT] [--small-results=RESULTS_JSONL]
SMALL_M_COMPARE_JSON is torch_compare.py's compare.json (FusedGemmCheck, M <= 64: the patching and ballot kernels
at their best split, the BF16 kernel), WGMMA_COMPARE_JSON wgmma_compare.py's wgmma-compare.json (WgmmaCheck, M >= 64:
the wgmma kernel per tile in both modes, and the mma.sync kernel of FusedLinear.mmaSchedule up to M = 256).
SCHEDULES_TSV is the schedule table (tensorcore/src/main/resources/tensorcore/schedules-h200.tsv: n k m splits
kernel). Each comparison JSON carries cuBLAS timed in its own device call. For every (shape, M) of the table this
takes the scheduled kernel's time on coded W (the palette layout, in the coding the benches ran: -Dtensorcore.coding) and the same kernel's on BF16 W from those runs, with the
cuBLAS time of the same run, and writes schedule-table.md, schedule-compare.json and schedule-speedup.png (speedup
over cuBLAS against M, one line per shape; the targets 1.3x at M = 1, 1.2x at M = 16, 0.952x from M = 256 marked: "no more
than 5% slower" read as a time at most 1.05 x cuBLAS's).
The small-M comparison keeps each kernel's best split only; with --small-results (FusedGemmCheck's results.jsonl, every split it
timed) a scheduled split that was not the run's best is read from there. A scheduled kernel that the runs did not time (say a
schedule from an older run) is reported as such, not guessed.
Reads JSON only: runs anywhere (the plot needs matplotlib)."""
import json, os, sys

COPY_TBPS, MATRIX_TFLOPS = 4.3, 790.0   # the H200's measured device copy (read + write) and BF16 matmul rates
TARGETS = {1: 1.3, 16: 1.2}             # the targets at M = 1 and 16
LARGE_M = 1 / 1.05                      # from M = 256 on: "no more than 5% slower", a time at most 1.05 x cuBLAS's (0.952x)


def target(m):
    return TARGETS.get(m, LARGE_M if m >= 256 else None)


def scheduled(tsv):
    table = {}
    for line in open(tsv):
        if line.startswith("#") or not line.strip():
            continue
        n, k, m, splits, kernel = line.split()[:5]
        table[(int(n), int(k), int(m))] = (kernel, int(splits))
    return table


# FusedGemmCheck's fields per mma.sync kernel of the schedule table: its time on coded W, and on BF16 W (its twin)
SMALL_FIELDS = {"patch": ("patch_ms", "bf16_ms"), "ballot": ("palette_ms", "bf16_ms"), "band": ("band_ms", "band_bf16_ms"), "narrow": ("narrow_ms", "narrow_bf16_ms"),
                "cluster": ("cluster_ms", "cluster_bf16_ms")}


def from_results(rows, entry_small, kernel, splits):
    """The scheduled mma.sync kernel at the scheduled split from FusedGemmCheck's results lines of this shape and M, with the cuBLAS
    time of the same run (entry_small's); None when no line timed it."""
    coded, bf16 = SMALL_FIELDS[kernel]
    line = next((r for r in rows if r["splits"] == splits and isinstance(r.get(coded), dict)), None)
    if not line or not entry_small:
        return None
    return {"palette_ms": line[coded], "bf16_ms": line[bf16]["median"] if isinstance(line.get(bf16), dict) else None,
            "palette_bytes": line["patch_weight_bytes"] + line["io_bytes"], "bf16_bytes": line["bf16_weight_bytes"] + line["io_bytes"],
            "flops": line["flops"], "where": f"{kernel}, {splits} split(s)", "cublas_ms": entry_small["cublas_ms"]}


def pick(entry_small, entry_wgmma, kernel, splits, rows=()):
    """What the runs measured for the scheduled kernel, with the cuBLAS time of the same run; None when not timed. rows: the small-M
    results lines of this shape and M (every split), for a scheduled split that was not the run's best."""
    if kernel.startswith(("wgmma", "solo", "tma")) and entry_wgmma:
        kind = kernel.rstrip("0123456789")
        rows = kernel[len(kind):]
        # wgmma_compare.py's key: "256" paired, "solo 256", "tma 256", "tma 64x4" (K in 4 slices)
        tile = ("" if kind == "wgmma" else kind + " ") + rows + (f"x{splits}" if splits > 1 else "")
        timed = entry_wgmma.get("by_rows", {}).get(tile)
        if not timed:
            return None
        stats = entry_wgmma["wgmma_ms"] if str(entry_wgmma["rows"]) == tile else {"median": timed[0]}
        return {"palette_ms": stats, "bf16_ms": timed[1], "palette_bytes": entry_wgmma["palette_bytes"], "bf16_bytes": entry_wgmma["bf16_bytes"],
                "flops": entry_wgmma["flops"], "where": f"wgmma{'' if kind == 'wgmma' else ' ' + kind}, {rows}-row tiles" + (f", {splits} splits" if splits > 1 else ""), "cublas_ms": entry_wgmma["cublas_ms"]}
    if kernel in ("band", "narrow", "cluster") and entry_small:
        if kernel + "_ms" not in entry_small or entry_small.get(kernel + "_splits") != splits:
            return from_results(rows, entry_small, kernel, splits)
        return {"palette_ms": entry_small[kernel + "_ms"], "bf16_ms": entry_small[kernel + "_bf16_ms"], "palette_bytes": entry_small[kernel + "_bytes"],
                "bf16_bytes": entry_small["bf16_bytes"], "flops": entry_small["flops"], "where": f"{kernel}, {splits} split(s)", "cublas_ms": entry_small["cublas_ms"]}
    if kernel in ("patch", "ballot") and entry_small:
        name = "patch" if kernel == "patch" else "palette"   # torch_compare.py calls the ballot kernel "palette"
        if entry_small.get(name + "_splits") != splits:
            return from_results(rows, entry_small, kernel, splits)   # the run's best split is another one
        return {"palette_ms": entry_small[name + "_ms"], "bf16_ms": entry_small["bf16_ms"]["median"], "palette_bytes": entry_small[name + "_bytes"],
                "bf16_bytes": entry_small["bf16_bytes"], "flops": entry_small["flops"], "where": f"{kernel}, {splits} split(s)", "cublas_ms": entry_small["cublas_ms"]}
    if kernel in ("patch", "ballot") and entry_wgmma and entry_wgmma.get("mma_ms"):
        # WgmmaCheck times FusedLinear.mmaSchedule's mma.sync kernel in palette mode only.
        return {"palette_ms": entry_wgmma["mma_ms"], "bf16_ms": None, "palette_bytes": None, "bf16_bytes": entry_wgmma["bf16_bytes"],
                "flops": entry_wgmma["flops"], "where": "mma.sync (WgmmaCheck's schedule of it)", "cublas_ms": entry_wgmma["cublas_ms"]}
    return None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    label = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--label=")), "")
    results = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--small-results=")), None)
    lines_by_key = {}
    if results:
        for line in open(results):
            if line.strip():
                r = json.loads(line)
                lines_by_key.setdefault((r["n"], r["k"], r["m"]), []).append(r)
    if len(args) != 4:
        sys.exit(__doc__)
    small = {(e["n"], e["k"], e["m"]): e for e in json.load(open(args[0]))}
    wgmma = {(e["n"], e["k"], e["m"]): e for e in json.load(open(args[1]))}
    table, out = scheduled(args[2]), args[3]
    os.makedirs(out, exist_ok=True)
    report = []
    for key in sorted(table, key=lambda t: (-t[0] * t[1], t[0], t[2])):
        kernel, splits = table[key]
        e = {"n": key[0], "k": key[1], "m": key[2], "kernel": kernel, "splits": splits}
        got = pick(small.get(key), wgmma.get(key), kernel, splits, lines_by_key.get(key, []))
        if got:
            e.update(got)
            e["speedup"] = got["cublas_ms"]["median"] / got["palette_ms"]["median"]
        report.append(e)
    json.dump(report, open(os.path.join(out, "schedule-compare.json"), "w"), indent=1)
    lines = [f"Scheduled kernel per shape and M against cuBLAS{(' (' + label + ')') if label else ''}: medians in ms; GB/s of the bytes the kernel reads "
             f"(W as stored, X, Y) against the {COPY_TBPS} TB/s copy rate, TFLOP/s against {MATRIX_TFLOPS:.0f}.", "",
             "| N x K | M | kernel | cuBLAS ms | kernel, BF16 W ms | kernel, coded W ms [min..max] | speedup | target | met? | coded W: GB/s (of copy) | TFLOP/s (of matmul) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in report:
        t = target(e["m"])
        shown = f"{t:.3g}" if t else "-"
        if "speedup" not in e:
            lines.append(f"| {e['n']} x {e['k']} | {e['m']} | {e['kernel']} ({e['splits']}) | - | - | not timed in these runs | - | {shown} | - | - | - |")
            continue
        p = e["palette_ms"]
        rng = f" [{p['min']:.4f}..{p['max']:.4f}]" if "min" in p else ""
        gbs = f"{e['palette_bytes'] / p['median'] / 1e6:.0f} ({e['palette_bytes'] / p['median'] / 1e9 / COPY_TBPS:.0%})" if e["palette_bytes"] else "-"
        tf = e["flops"] / p["median"] / 1e9
        bf16 = f"{e['bf16_ms']:.4f}" if e["bf16_ms"] is not None else "-"
        lines.append(f"| {e['n']} x {e['k']} | {e['m']} | {e['where']} | {e['cublas_ms']['median']:.4f} | {bf16} | {p['median']:.4f}{rng} | **{e['speedup']:.3f}** | "
                     f"{shown} | {('yes' if e['speedup'] >= t else 'no') if t else '-'} | {gbs} | {tf:.0f} ({tf / MATRIX_TFLOPS:.0%}) |")
    open(os.path.join(out, "schedule-table.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        print("schedule_compare: no matplotlib here, so no schedule-speedup.png:", err, file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(8, 5))
    for n, k in dict.fromkeys((e["n"], e["k"]) for e in report):
        es = [e for e in report if (e["n"], e["k"]) == (n, k) and "speedup" in e]
        ax.plot([e["m"] for e in es], [e["speedup"] for e in es], marker="o", label=f"{n} x {k}")
    marked = (1, 16, 256, 1024, 4096)
    ax.plot(marked, [target(m) for m in marked], ls="none", marker="_", ms=18, color="black", label="targets")
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xscale("log", base=2); ax.set_xlabel("M (rows of X)"); ax.set_ylabel("speedup over cuBLAS (torch.matmul, BF16)")
    ax.set_title("H200: the scheduled kernel on coded W (palette layout)" + (f"\n({label})" if label else ""), fontsize=10)
    ax.legend(); ax.grid(alpha=0.3)
    fig.savefig(os.path.join(out, "schedule-speedup.png"), dpi=110, bbox_inches="tight")


if __name__ == "__main__":
    main()
