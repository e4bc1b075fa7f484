"""Synthesis benchmarks: cold yosys time and counts of the bundled TFC-w2a2 example and of
CNV-w1a1 with FINN's folding, per layer and stitched, against FINN's published CNV-w1a1
synthesis figures (FINN PR #209, without the shell).

    PYTHONPATH=. .venv/bin/python bench/bench_synth.py tfc [--jobs 2]
    PYTHONPATH=. .venv/bin/python bench/bench_synth.py cnv [--jobs 2] [--ram-style block]

Each run uses a fresh cache folder (cold: every unit synthesized), prints the per-layer table,
the stitched counts, the wall time and, for CNV, the ratio of each yosys count to FINN's.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from qsim.synth import board, fit, measure

#: FINN's CNV-w1a1 after synthesis, without the shell (FINN PR #209).
FINN_CNV_W1A1 = {"LUT": 21_135, "FF": 31_517, "BRAM36": 98, "BRAM18": 9, "DSP": 0}
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _design(net: str, ram_style: str) -> Any:
    import dataclasses

    from qsim.frontend import load

    if net == "tfc":
        design = load(str(EXAMPLES / "tfc_w2a2_digits.onnx"),
                      folding=str(EXAMPLES / "tfc_folding.json"))
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _zoo_designs import zoo_design

        design = zoo_design("cnv", "w1a1")
    if ram_style == "auto":
        return design
    layers = tuple(dataclasses.replace(la, block=dataclasses.replace(la.block,
                                                                     ram_style=ram_style))
                   if hasattr(la.block, "ram_style") and type(la.block).__name__ == "MVTU"
                   else la for la in design.layers)
    return dataclasses.replace(design, layers=layers)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("net", choices=["tfc", "cnv"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--ram-style", default="auto", choices=["auto", "block", "distributed"],
                    help="weights of every MVTU (default: the folding's, i.e. auto)")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)
    design = _design(args.net, args.ram_style)
    cache = Path(tempfile.mkdtemp(prefix=f"bench_synth_{args.net}_"))
    t0 = time.monotonic()

    def progress(res: Any) -> None:
        print(f"  {time.monotonic() - t0:7.1f} s  {res.unit:<28} yosys {res.seconds:6.1f} s "
              f"wall, {res.cpu_seconds:6.1f} s CPU", flush=True)

    report = measure(design, per_layer=True, jobs=args.jobs, cache=cache, progress=progress)
    wall = time.monotonic() - t0
    for row in report.table():
        print("  ".join(f"{c:>14}" for c in row))
    used, source = report.used()
    verdict = fit(used, source, board("pynq-z2"), 0.1)
    cpu = sum(r.synth.cpu_seconds for r in report.layers if r.synth) + \
        (report.stitched.cpu_seconds if report.stitched else 0.0)
    print(f"{args.net}: per-layer + stitched, cold, jobs={args.jobs}: {wall:.0f} s wall, "
          f"{cpu:.0f} s yosys CPU in total")
    print(verdict.summary())
    out: dict[str, Any] = {"net": args.net, "ram_style": args.ram_style, "jobs": args.jobs,
                           "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
                           **report.to_json(), "fit": verdict.to_json()}
    if args.net == "cnv" and report.stitched is not None:
        ours = report.stitched.resources.by_name()
        ratios = {k: (ours[k] / v if v else None) for k, v in FINN_CNV_W1A1.items()}
        for k, v in FINN_CNV_W1A1.items():
            r = ratios[k]
            print(f"  {k:7} yosys {ours[k]:>8,}  FINN {v:>8,}  ratio "
                  f"{'-' if r is None else f'{r:.2f}'}")
        bram_ours = ours["BRAM36"] + ours["BRAM18"] / 2
        bram_finn = FINN_CNV_W1A1["BRAM36"] + FINN_CNV_W1A1["BRAM18"] / 2
        print(f"  BRAM36-equivalent yosys {bram_ours:.1f}  FINN {bram_finn:.1f}  ratio "
              f"{bram_ours / bram_finn:.2f}")
        out["finn"] = FINN_CNV_W1A1
        out["ratios"] = ratios
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
