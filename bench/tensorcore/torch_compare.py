#!/usr/bin/env python3
"""Side by side with cuBLAS, in the same run as FusedGemmCheck (tensorcore).

usage: torch_compare.py CHECK_DIR OUT_DIR
CHECK_DIR holds FusedGemmCheck's results.jsonl and its W / X / Y files. For each shape and batch size this
times torch.matmul(X, W.T) (cuBLAS, BF16) with CUDA events per launch, the launches queued behind a
sleep kernel (warm-up, then the median of several runs, rotating over enough copies of W that the 60 MB L2 cannot hold them, as FusedGemmCheck does), checks the
palette kernel's Y against cuBLAS's Y and against a float64 product (relative Frobenius error), and
writes table.md, compare.json and speedup.png (speedup over cuBLAS against M of the patching kernel, variant 5,
solid, and of the ballot kernel, variant 4, dashed). The Y files are the patching kernel's (FusedGemmCheck has
already checked that both palette kernels equal the BF16 kernel bit for bit)."""
import json, math, os, sys

ROTATION_BYTES = 192 << 20

def load_bf16(path, rows, cols):
    import numpy as np, torch
    a = np.fromfile(path, dtype=np.uint16).reshape(rows, cols)
    return torch.from_numpy(a.view(np.int16)).cuda().view(torch.bfloat16)

def time_matmul(ws, x, reps):
    import torch
    """Per-launch CUDA events, all launches queued behind torch.cuda._sleep so the host cannot starve them
    (FusedGemmCheck queues its launches behind a spin kernel the same way); the first pass warms up."""
    for attempt in range(2):
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
        torch.cuda._sleep(10_000_000)
        for r in range(reps):
            starts[r].record(); torch.matmul(x, ws[r % len(ws)].T); ends[r].record()
        torch.cuda.synchronize()
    times = sorted(s.elapsed_time(e) for s, e in zip(starts, ends))
    return {"median": times[len(times) // 2], "min": times[0], "max": times[-1], "runs": reps}

def rel(a, b):
    import torch
    a, b = a.double(), b.double()
    return (torch.linalg.norm(a - b) / torch.linalg.norm(b)).item()

def shapes_of(rows):
    """The (n, k) shapes of rows (results.jsonl lines or report entries), in the order they first appear."""
    shapes = []
    for r in rows:
        if (r["n"], r["k"]) not in shapes: shapes.append((r["n"], r["k"]))
    return shapes

def cublas_entries(check, rows, reps):
    """The cuBLAS side of a check's rows, shared with wgmma_compare.py: for each shape, W from CHECK_DIR rotated
    over copies that L2 cannot hold; for each M, X from CHECK_DIR (random when the check did not write it), cuBLAS
    timed (time_matmul), and where X was written the check's Y against cuBLAS's and a float64 product. Yields
    (entry, the rows of that shape and M) for the caller to complete; X, then W are freed after the caller's turn."""
    import torch
    for n, k in shapes_of(rows):
        w = load_bf16(os.path.join(check, f"w_{n}x{k}.bf16"), n, k)
        ws = [w] + [w.clone() for _ in range(max(1, math.ceil(ROTATION_BYTES / (2 * n * k))) - 1)]
        for m in sorted({r["m"] for r in rows if (r["n"], r["k"]) == (n, k)}):
            mine = [r for r in rows if (r["n"], r["k"], r["m"]) == (n, k, m)]
            xf = os.path.join(check, f"x_{n}x{k}_m{m}.bf16")
            x = load_bf16(xf, m, k) if os.path.exists(xf) else torch.randn(m, k, device="cuda").bfloat16()
            entry = {"n": n, "k": k, "m": m, "cublas_ms": time_matmul(ws, x, reps)}
            if os.path.exists(xf):
                y = load_bf16(os.path.join(check, f"y_{n}x{k}_m{m}.bf16"), m, n)
                ref = torch.matmul(x, w.T)
                exact = torch.matmul(x.double(), w.double().T)
                entry["err_vs_cublas"] = rel(y, ref)
                entry["err_vs_fp64"] = rel(y, exact)
                entry["cublas_err_vs_fp64"] = rel(ref, exact)
                entry["nan"] = int(torch.isnan(y.float()).sum().item())
                del y, ref, exact
            yield entry, mine
            del x
        del ws, w
        torch.cuda.empty_cache()

def main():
    if sys.argv[1] == "--table-only":   # redo table.md and the plot from a compare.json
        report = json.load(open(sys.argv[2]))
        write_outputs(report, sys.argv[3])
        return
    check, out = sys.argv[1], sys.argv[2]
    rows = [json.loads(l) for l in open(os.path.join(check, "results.jsonl"))]
    reps = int(os.environ.get("REPS", "30"))
    report = []
    for entry, mine in cublas_entries(check, rows, reps):
        # The ballot kernel ("palette_ms") reads only the palette coding: null in a window-coded run.
        ballot = [r for r in mine if r.get("palette_ms")]
        best_p = min(ballot, key=lambda r: r["palette_ms"]["median"]) if ballot else None
        best_q = min(mine, key=lambda r: r["patch_ms"]["median"])
        best_b = min(mine, key=lambda r: r["bf16_ms"]["median"])
        dflt = next(r for r in mine if r["default"])
        entry.update({"coding": dflt.get("coding", "PALETTE"), "patch_ms": best_q["patch_ms"], "patch_splits": best_q["splits"],
                      "bf16_ms": best_b["bf16_ms"], "bf16_splits": best_b["splits"], "patch_default_ms": dflt["patch_ms"]["median"],
                      "bit_exact": all(r["bit_exact"] for r in mine), "unwritten": sum(r["unwritten"] for r in mine),
                      "patch_bytes": best_q["patch_weight_bytes"] + best_q["io_bytes"],
                      "bf16_bytes": best_q["bf16_weight_bytes"] + best_q["io_bytes"], "flops": best_q["flops"]})
        if best_p:
            entry.update({"palette_ms": best_p["palette_ms"], "palette_splits": best_p["splits"], "palette_default_ms": dflt["palette_ms"]["median"],
                          "palette_bytes": best_p["palette_weight_bytes"] + best_p["io_bytes"]})
        for other in ("band", "narrow", "cluster"):   # the band kernel (16 rows of X), the narrow one (8 rows) and the cluster one (8 and 16 rows), window coding, each with its twin
            timed = [r for r in mine if other + "_ms" in r]
            if timed:
                best_o = min(timed, key=lambda r: r[other + "_ms"]["median"])
                entry.update({other + "_ms": best_o[other + "_ms"], other + "_splits": best_o["splits"], other + "_bf16_ms": best_o[other + "_bf16_ms"]["median"],
                              other + "_bytes": best_o["patch_weight_bytes"] + best_o["io_bytes"]})
                entry["bit_exact"] = entry["bit_exact"] and all(r[other + "_bit_exact"] for r in timed)
        entry["extras"] = {key: dflt[key] for key in dflt if isinstance(dflt[key], dict)
                           and key not in ("palette_ms", "patch_ms", "bf16_ms", "band_ms", "band_bf16_ms", "narrow_ms", "narrow_bf16_ms", "cluster_ms", "cluster_bf16_ms")}
        report.append(entry)
    json.dump(report, open(os.path.join(out, "compare.json"), "w"), indent=1)
    write_outputs(report, out)

def write_outputs(report, out):
    shapes = shapes_of(report)
    lines = ["| N x K | M | cuBLAS ms | BF16 kernel ms | patch ms (splits) | speedup vs cuBLAS | ballot (v4) ms | v4 speedup | faster kernel: speedup | patch GB/s | patch TFLOP/s | cuBLAS GB/s | err vs cuBLAS | err vs fp64 (cuBLAS's) | bit-exact, all written |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for e in report:
        c, b, q = e["cublas_ms"]["median"], e["bf16_ms"]["median"], e["patch_ms"]["median"]
        p = e["palette_ms"]["median"] if "palette_ms" in e else None
        ballot = f"{p:.4f} | {c / p:.3f} | {'patch' if q <= p else 'ballot'}: **{c / min(p, q):.3f}**" if p else f"- | - | patch ({e['coding']} coding): **{c / q:.3f}**"
        err = f"{e['err_vs_cublas']:.2e}" if "err_vs_cublas" in e else "not checked (Y over 256 MB)"
        err64 = f"{e['err_vs_fp64']:.2e} ({e['cublas_err_vs_fp64']:.2e})" if "err_vs_fp64" in e else "-"
        lines.append(f"| {e['n']} x {e['k']} | {e['m']} | {c:.4f} [{e['cublas_ms']['min']:.4f}..{e['cublas_ms']['max']:.4f}] | {b:.4f} | {q:.4f} [{e['patch_ms']['min']:.4f}..{e['patch_ms']['max']:.4f}] ({e['patch_splits']}) | {c / q:.3f} | {ballot} | {e['patch_bytes'] / q / 1e6:.0f} | {e['flops'] / q / 1e9:.1f} | {e['bf16_bytes'] / c / 1e6:.0f} | {err} | {err64} | {e['bit_exact'] and e['unwritten'] == 0} |")
    extras = [(e, k, v) for e in report for k, v in e.get("extras", {}).items()]
    if extras:
        lines += ["", "Other builds of palette_gemm.cu, patching kernel (NAME) and ballot kernel (NAME_ballot), default schedule, same run:", "", "| N x K | M | build | ms [min..max] | speedup vs cuBLAS |", "|---|---|---|---|---|"]
        lines += [f"| {e['n']} x {e['k']} | {e['m']} | {k} | {v['median']:.4f} [{v['min']:.4f}..{v['max']:.4f}] | {e['cublas_ms']['median'] / v['median']:.3f} |" for e, k, v in extras]
    open(os.path.join(out, "table.md"), "w").write("\n".join(lines) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 5))
        for n, k in shapes:
            es = [e for e in report if (e["n"], e["k"]) == (n, k)]
            line, = ax.plot([e["m"] for e in es], [e["cublas_ms"]["median"] / e["patch_ms"]["median"] for e in es], marker="o", label=f"{n} x {k}")
            if all("palette_ms" in e for e in es):
                ax.plot([e["m"] for e in es], [e["cublas_ms"]["median"] / e["palette_ms"]["median"] for e in es], ls="--", lw=0.8, color=line.get_color())
        ax.axhline(1.0, color="gray", lw=0.8)
        ax.set_xscale("log", base=2); ax.set_xlabel("M (rows of X)"); ax.set_ylabel("speedup over cuBLAS (torch.matmul, BF16)")
        ax.set_title(f"{report[0].get('coding', 'PALETTE').capitalize()}-coded W, fused decode + mma.sync, H200 (solid: patching kernel, dashed: ballot v4 where timed)"); ax.legend(); ax.grid(alpha=0.3)
        fig.savefig(os.path.join(out, "speedup.png"), dpi=110, bbox_inches="tight")
    except ImportError as e:
        print("no matplotlib: no plot:", e)
    print("\n".join(lines))

if __name__ == "__main__":
    main()
