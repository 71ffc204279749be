#!/usr/bin/env python3
"""Side by side with cuBLAS, in the same run as WgmmaCheck (tensorcore, large M).

usage: wgmma_compare.py CHECK_DIR OUT_DIR [OLD_COMPARE_JSON]
       wgmma_compare.py --table-only OUT_DIR [OLD_COMPARE_JSON]   (the table and plot again from OUT_DIR's wgmma-compare.json)
CHECK_DIR holds WgmmaCheck's results.jsonl and its W / X / Y files (Y of the fastest tile). For each shape and
batch size this times torch.matmul(X, W.T) (cuBLAS, BF16) as torch_compare.py does (per-launch CUDA events
behind a sleep kernel, warm-up, median, W rotated over copies that L2 cannot hold), checks the wgmma kernel's
Y against cuBLAS's and a float64 product (relative Frobenius error), and writes wgmma-table.md,
wgmma-compare.json and wgmma-speedup.png: speedup over cuBLAS against M per shape of the wgmma kernel on
palette-coded W (solid) and on BF16 W (dotted), and, from OLD_COMPARE_JSON (torch_compare.py's compare.json
of an earlier run, if given), the best mma.sync kernel of that run (thin dashed)."""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_compare import cublas_entries, shapes_of   # one timing method (and L2 rotation, error measure) for both benches
from schedule_compare import LARGE_M                  # the one definition of the large-M target (a time at most 1.05 x cuBLAS's)

def tile(r):
    """A results line's kernel and tile: "256" for the paired entries (clusters sharing W), "solo 256" for one CTA per
    tile, "tma 256" for the TMA-fed kernel (wgmma_tma.cu), "tma 64x4" for it with K in 4 slices."""
    kernel = r.get("kernel", "wgmma")
    splits = r.get("splits", 1)
    return ("" if kernel == "wgmma" else kernel + " ") + str(r["rows"]) + (f"x{splits}" if splits > 1 else "")

def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    check, out = sys.argv[1], sys.argv[2]
    old = json.load(open(sys.argv[3])) if len(sys.argv) > 3 and os.path.exists(sys.argv[3]) else []
    if check == "--table-only":
        write_outputs(json.load(open(os.path.join(out, "wgmma-compare.json"))), out, old)
        return
    rows = [json.loads(l) for l in open(os.path.join(check, "results.jsonl")) if l.strip()]
    reps = int(os.environ.get("REPS", "10"))
    report = []
    for entry, mine in cublas_entries(check, rows, reps):
        best = min(mine, key=lambda r: r["wgmma_ms"]["median"])
        best_b = min(mine, key=lambda r: r["wgmma_bf16_ms"]["median"])
        rule = next((r for r in mine if r["rule"]), best)
        entry.update({"wgmma_ms": best["wgmma_ms"], "rows": tile(best), "wgmma_bf16_ms": best_b["wgmma_bf16_ms"], "bf16_rows": tile(best_b),
                      "rule_rows": tile(rule), "rule_ms": rule["wgmma_ms"]["median"], "mma_ms": best.get("mma_ms"),
                      "by_rows": {tile(r): [r["wgmma_ms"]["median"], r["wgmma_bf16_ms"]["median"]] for r in mine},
                      "bit_exact": all(r["bit_exact"] for r in mine), "unwritten": sum(r["unwritten"] for r in mine), "nan_kernel": sum(r["nan"] for r in mine),
                      "palette_bytes": best["palette_weight_bytes"] + best["io_bytes"], "bf16_bytes": best["bf16_weight_bytes"] + best["io_bytes"], "flops": best["flops"]})
        report.append(entry)
        print(json.dumps({k2: entry[k2] for k2 in ("n", "k", "m", "rows")} | {"cublas": entry["cublas_ms"]["median"], "wgmma": entry["wgmma_ms"]["median"]}), flush=True)
    json.dump(report, open(os.path.join(out, "wgmma-compare.json"), "w"), indent=1)
    write_outputs(report, out, old)

def write_outputs(report, out, old):
    shapes = shapes_of(report)
    lines = ["| N x K | M | cuBLAS ms [min..max] | wgmma BF16 W ms (rows) | wgmma coded W ms [min..max] (rows) | speedup vs cuBLAS | within 5%? | coded W TFLOP/s | cuBLAS TFLOP/s | mma.sync kernel ms | err vs cuBLAS | err vs fp64 (cuBLAS's) | bit-exact, all written, no NaN |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in report:
        c, p, b = e["cublas_ms"]["median"], e["wgmma_ms"]["median"], e["wgmma_bf16_ms"]["median"]
        err = f"{e['err_vs_cublas']:.2e}" if "err_vs_cublas" in e else "not checked (Y over 1.1 GB)"
        err64 = f"{e['err_vs_fp64']:.2e} ({e['cublas_err_vs_fp64']:.2e})" if "err_vs_fp64" in e else "-"
        mma = f"{e['mma_ms']['median']:.4f}" if e.get("mma_ms") else "-"
        ok = e["bit_exact"] and e["unwritten"] == 0 and e["nan_kernel"] == 0 and e.get("nan", 0) == 0
        lines.append(f"| {e['n']} x {e['k']} | {e['m']} | {c:.4f} [{e['cublas_ms']['min']:.4f}..{e['cublas_ms']['max']:.4f}] | {b:.4f} ({e['bf16_rows']}) | {p:.4f} [{e['wgmma_ms']['min']:.4f}..{e['wgmma_ms']['max']:.4f}] ({e['rows']}) | **{c / p:.3f}** | {'yes' if c / p >= LARGE_M else 'no'} | {e['flops'] / p / 1e9:.0f} | {e['flops'] / c / 1e9:.0f} | {mma} | {err} | {err64} | {ok} |")
    open(os.path.join(out, "wgmma-table.md"), "w").write("\n".join(lines) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 5))
        for n, k in shapes:
            es = [e for e in report if (e["n"], e["k"]) == (n, k)]
            line, = ax.plot([e["m"] for e in es], [e["cublas_ms"]["median"] / e["wgmma_ms"]["median"] for e in es], marker="o", label=f"{n} x {k}")
            ax.plot([e["m"] for e in es], [e["cublas_ms"]["median"] / e["wgmma_bf16_ms"]["median"] for e in es], ls=":", color=line.get_color())
            olds = [o for o in old if (o["n"], o["k"]) == (n, k)]
            if olds:
                ax.plot([o["m"] for o in olds], [o["cublas_ms"]["median"] / min(o["patch_ms"]["median"], o["palette_ms"]["median"]) for o in olds], ls="--", lw=0.7, color=line.get_color())
        ax.axhline(1.0, color="gray", lw=0.8)
        ax.axhline(LARGE_M, color="gray", lw=0.6, ls=":")
        ax.set_xscale("log", base=2); ax.set_xlabel("M (rows of X)"); ax.set_ylabel("speedup over cuBLAS (torch.matmul, BF16)")
        ax.set_title("H200: wgmma kernel, coded W (solid) / BF16 W (dotted);\nmma.sync kernels of the earlier run (dashed)", fontsize=10)
        ax.legend(); ax.grid(alpha=0.3)
        fig.savefig(os.path.join(out, "wgmma-speedup.png"), dpi=110, bbox_inches="tight")
    except ImportError as e:
        print("no matplotlib: no plot:", e)
    print("\n".join(lines))

if __name__ == "__main__":
    main()
