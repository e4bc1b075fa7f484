"""``qsim mutate``: a mutation campaign over the SV cores and the HLS kernel headers (see
:mod:`qsim.mutate`)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Sequence

from qsim.errors import UsageError

from .cli_args import nonneg_int, output_dir, positive_int

__all__ = ["add_parser", "run"]

#: The checkout the campaign copies its RTL and runs its tests from.
REPO = Path(__file__).resolve().parent.parent


def add_parser(sub: Any) -> None:
    p = sub.add_parser("mutate", help="mutation campaign over the SV cores: kill rate per core",
                       description="Seed one bug at a time (flipped comparisons, +-1 constants "
                                   "and parameters, swapped lanes, dropped handshake terms, "
                                   "truncated widths, inverted conditions, ...) into a copy "
                                   "of the RTL, run the core's tests on each and report the "
                                   "mutants they kill and the ones that survive. Resumable: "
                                   "a rerun into the same OUT skips finished mutants.")
    p.add_argument("--cores", default="all",
                   help="comma-separated core names (qsim_mvtu,...; HLS headers as "
                        "hls:mvtu,...), 'all' (every SV core, the default) or 'hls' (every "
                        "HLS kernel header)")
    p.add_argument("--per-core", type=positive_int, default=30,
                   help="mutants per core (default 30; all of them when a core has fewer)")
    p.add_argument("--jobs", type=positive_int, default=2, help="mutants run at once (2)")
    p.add_argument("--tests", default=None,
                   help="comma-separated pytest paths/node ids (relative to the checkout) to "
                        "run for every mutant instead of each core's default selection")
    p.add_argument("--timeout", type=positive_int, default=None,
                   help="seconds per mutant (default: 4x the unmutated run, at least 120)")
    p.add_argument("--out", default="results/mutate", help="output dir (default %(default)s)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="sampling seed (default 0)")
    p.add_argument("--rerun-survivors", action="store_true",
                   help="run recorded survivors again (after adding tests that may kill them)")
    p.add_argument("--rerun-timeouts", action="store_true",
                   help="run recorded timeouts again (on a loaded machine a selection can run "
                        "out of time without a bug; give a longer --timeout)")
    p.add_argument("--prove", action="store_true",
                   help="after the campaign, try to prove each survivor equivalent (yosys "
                        "miter + ABC PDR from reset; logs in OUT/proofs)")
    p.add_argument("--prove-only", action="store_true",
                   help="prove the survivors already recorded in OUT; run no tests")
    p.add_argument("--list", action="store_true", help="print the planned mutants and exit")
    p.set_defaults(func=run)


def _cores(text: str) -> list[str]:
    from qsim.mutate import CORE_TESTS, HLS_CORE_TESTS

    if text == "all":
        return sorted(CORE_TESTS)
    if text == "hls":
        return sorted(HLS_CORE_TESTS)
    cores = [c.strip() for c in text.split(",") if c.strip()]
    bad = [c for c in cores if c not in CORE_TESTS and c not in HLS_CORE_TESTS]
    if bad or not cores:
        raise UsageError(f"--cores {text!r}: unknown core(s) {bad!r} (known: "
                         f"{','.join(sorted(CORE_TESTS) + sorted(HLS_CORE_TESTS))})")
    return cores


def _plan(cores: list[str], per_core: int, seed: int) -> dict[str, Any]:
    """The SV cores' mutants from ``qsim/rtl``, the HLS cores' from ``hls/qsim``, in order."""
    from qsim.mutate import is_hls_core, plan_hls_mutants, plan_mutants

    sv = plan_mutants(REPO / "qsim" / "rtl", [c for c in cores if not is_hls_core(c)],
                      per_core, seed)
    hls = plan_hls_mutants(REPO / "hls" / "qsim", [c for c in cores if is_hls_core(c)],
                           per_core, seed)
    return {c: (hls[c] if is_hls_core(c) else sv[c]) for c in cores}


def _tests(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    tests = tuple(t.strip() for t in text.split(",") if t.strip())
    missing = [t for t in tests if not (REPO / t.split("::")[0]).exists()]
    if missing or not tests:
        raise UsageError(f"--tests {text!r}: no such test file(s) {missing!r} under "
                         f"{str(REPO)!r}")
    return tests


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from qsim.mutate import (
        CORE_TESTS,
        HLS_CORE_TESTS,
        Campaign,
        load_results,
        prove_survivors,
        summarize,
        write_summary,
    )

    console = Console(stderr=True, soft_wrap=True)
    cores, override = _cores(args.cores), _tests(args.tests)
    plan = _plan(cores, args.per_core, args.seed)
    if args.list:
        for core, ms in plan.items():
            for m in ms:
                print(f"{core}\t{m.id}\t{m.after.strip()}")
        return 0
    out = output_dir(args.out, "--out")

    def tests_of(core: str) -> Sequence[str]:
        return override if override is not None else {**CORE_TESTS, **HLS_CORE_TESTS}[core]

    t0 = time.monotonic()
    campaign = Campaign(REPO, out, plan, tests_of, jobs=args.jobs,
                        timeout=float(args.timeout) if args.timeout else None,
                        rerun_survivors=args.rerun_survivors,
                        rerun_timeouts=args.rerun_timeouts,
                        progress=lambda msg: console.print(msg, markup=False))
    records = load_results(out) if args.prove_only else campaign.run()
    if args.prove or args.prove_only:  # the survivors of the chosen cores only
        chosen = {k: r for k, r in records.items() if r.get("core") in plan}
        records.update(prove_survivors(out, chosen,
                                       lambda msg: console.print(msg, markup=False)))
    meta = {"seed": args.seed, "per_core": args.per_core, "jobs": args.jobs,
            "tests": {c: list(tests_of(c)) for c in cores},
            "seconds": round(time.monotonic() - t0, 1)}
    summary = summarize(records, plan, meta)
    write_summary(out, summary)
    for core, c in summary["cores"].items():
        rate = "-" if c["kill_rate"] is None else f"{100 * c['kill_rate']:.1f}%"
        console.print(f"{core}: {c['killed'] + c['timeout']} killed, {c['survived']} survived, "
                      f"{c['equivalent']} equivalent (proved), {c['invalid']} invalid: kill "
                      f"rate {rate}", markup=False)
    console.print(f"report: {out / 'report.html'}", markup=False)
    return 0 if summary["total"]["survived"] == 0 else 1
