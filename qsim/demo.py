"""``make demo``: verify the bundled example design through every level and write a report.

The example is ``examples/tfc_w2a2_digits.onnx``, a TFC (784-64-64-64-10) w2a2 network trained
on scikit-learn's digits, exported by Brevitas to QONNX, with FINN's TFC folding
(``examples/tfc_folding.json``). The demo runs ``qsim verify`` on it through the reference,
the Python model, cppsim, rtlsim (cores node by node under cocotb) and rtlsim-stitched (the
whole chain with FIFOs and width converters under the native Verilator harness, every cycle
checked against the pipeline model), then prints where the HTML/JSON reports are.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from qsim.verify.levels import available_levels

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "examples" / "tfc_w2a2_digits.onnx"
FOLDING = ROOT / "examples" / "tfc_folding.json"
REPORT = ROOT / "reports" / "demo"


def main(argv: Optional[list[str]] = None) -> int:
    """Run the demo; returns the process exit status (that of ``qsim verify``)."""
    from qsim.cli import main as qsim_main

    levels = [lv for lv in ("ref", "model", "cppsim", "rtlsim", "rtlsim-stitched")
              if lv in available_levels()]
    args = ["verify", str(MODEL), "--folding", str(FOLDING), "--levels", ",".join(levels),
            "--random", "16", "--seed", "1", "--report", str(REPORT)]
    print("$ qsim " + " ".join(args), flush=True)
    rc = qsim_main(args)
    print(f"open {REPORT / 'report.html'} to see the per-layer results and cycle chart")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
