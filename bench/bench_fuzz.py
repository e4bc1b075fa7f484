"""P4 of issue 16: distinct (block, shapes, folding, datatypes) configs through model, cppsim
and rtlsim per 10 minutes on this machine (goal >= 200), with ``qsim fuzz --batch``.

  .venv/bin/python bench/bench_fuzz.py [--batch 24] [--minutes 10] [--seed 0] [--results DIR]

Runs ``qsim fuzz --batch N --minutes M`` (levels model, cppsim and rtlsim; N configs per g++
and Verilator build) in a fresh results directory, then reads its ``campaign.jsonl``: every
``batch`` record lists the keys of the configs that passed all three levels
(:func:`qsim.verify.fuzz_batch.config_key`: the config without weights, thresholds and name,
so seeds and weight values never count twice). Prints the distinct keys, per block kind, the
wall time, the seconds spent in cppsim and rtlsim, and the rate scaled to 10 minutes. The
time budget is checked between batches, so the run overshoots ``--minutes`` by up to one
batch: the rate divides by the measured wall time. Figures taken on a loaded machine are
lower bounds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any


def _read(log: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(batch records, failure records) of a batched campaign log."""
    recs = [json.loads(ln) for ln in log.read_text().splitlines() if ln.strip()]
    return ([r for r in recs if r.get("event") == "batch"],
            [r for r in recs if r.get("event") == "failure"])


def summarize(log: Path, wall: float) -> dict[str, Any]:
    """The P4 figures of a finished campaign (``wall``: its seconds)."""
    batches, failures = _read(log)
    keys = {k for b in batches for k in b.get("passed_keys", [])}
    kinds = Counter(json.loads(k)[0] for k in keys)
    return {"wall_s": round(wall, 1), "batches": len(batches),
            "configs": sum(b["configs"] for b in batches), "distinct_passed": len(keys),
            "per_block": dict(sorted(kinds.items())), "failures": len(failures),
            "cppsim_s": round(sum(b["cppsim_s"] for b in batches), 1),
            "rtlsim_s": round(sum(b["rtlsim_s"] for b in batches), 1),
            "per_10_min": round(len(keys) * 600.0 / wall, 1) if wall > 0 else 0.0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=24, help="configs per build (default 24)")
    ap.add_argument("--minutes", type=float, default=10.0, help="budget (default 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--results", help="results dir (default: a fresh temporary one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_fuzz_") as tmp:
        out = Path(args.results) if args.results else Path(tmp) / "fuzz"
        if (out / "campaign.jsonl").exists():
            sys.exit(f"{out}/campaign.jsonl exists: give a fresh --results dir")
        cmd = [sys.executable, "-m", "qsim.cli", "fuzz", "--batch", str(args.batch),
               "--minutes", str(args.minutes), "--seed", str(args.seed), "--results", str(out)]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        if proc.returncode not in (0, 1) or not (out / "campaign.jsonl").exists():
            sys.exit(f"qsim fuzz failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        s = summarize(out / "campaign.jsonl", wall)
    print(f"qsim fuzz --batch {args.batch} --minutes {args.minutes:g} --seed {args.seed}: "
          f"{s['batches']} batches, {s['configs']} configs in {s['wall_s']} s (cppsim "
          f"{s['cppsim_s']} s, rtlsim {s['rtlsim_s']} s), {s['failures']} failure(s)")
    print(f"distinct (block, shapes, folding, datatypes) passed model+cppsim+rtlsim: "
          f"{s['distinct_passed']} -> {s['per_10_min']} per 10 minutes (goal >= 200)")
    print("per block: " + ", ".join(f"{k} {v}" for k, v in s["per_block"].items()))
    print(json.dumps(s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
