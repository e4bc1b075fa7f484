"""Peak memory of ``qsim verify --random N`` on the bundled example (issue 17: < 500 MB at
N = 200000, flat in N because inputs are generated and verified in chunks).

Runs the command in a child process and reads the child's peak resident set size from
``resource.getrusage(RUSAGE_CHILDREN)`` (``ru_maxrss``, KiB on Linux). Prints one line per N.

    python bench/bench_memory.py                  # N = 200000, levels model
    python bench/bench_memory.py 1000 20000 200000 --levels ref,model

The default levels are ``model``: the ONNX reference runs one sample at a time (about 20 ms
each here), so ``ref`` at N = 200000 takes over an hour; its memory is bounded by the same
chunking.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "tfc_w2a2_digits.onnx"
FOLDING = ROOT / "examples" / "tfc_folding.json"


def peak_rss_mb(n: int, levels: str) -> tuple[float, float, int]:
    """(peak RSS in MB, seconds, exit status) of one ``qsim verify --random n`` child."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "qsim.cli", "verify", str(MODEL), "--folding",
               str(FOLDING), "--levels", levels, "--random", str(n), "--report", tmp]
        t0 = time.perf_counter()
        # a fresh interpreter per N: RUSAGE_CHILDREN holds the largest peak of any child
        probe = [sys.executable, "-c",
                 "import resource, subprocess, sys; "
                 "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
                 "stderr=subprocess.DEVNULL).returncode; "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)", *cmd]
        out = subprocess.run(probe, capture_output=True, text=True, check=True).stdout.split()
        seconds = time.perf_counter() - t0
    return int(out[0]) / 1024.0, seconds, int(out[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", nargs="*", type=int, default=[200000])
    ap.add_argument("--levels", default="model")
    args = ap.parse_args()
    for n in args.n:
        mb, s, rc = peak_rss_mb(n, args.levels)
        print(f"qsim verify --random {n} --levels {args.levels}: peak RSS {mb:.0f} MB, "
              f"{s:.1f} s, exit {rc}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"(this driver: {own:.0f} MB)")


if __name__ == "__main__":
    main()
