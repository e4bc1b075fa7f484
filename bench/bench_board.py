"""Predicted board throughput against the measured anchors (docs/board.md).

  PYTHONPATH=. .venv/bin/python bench/bench_board.py [--batch 10000] [--cnv-batch 1000]

TFC-w1a1 with the lab's folding (qsim.zoo MVAU_FOLDS, FINN's TFC folding) at 100 MHz against
958,413 images/s measured on a Pynq-Z2 (batch 10,000); CNV-w1a1 with FINN's folding against
about 3,000 images/s on the Pynq-Z1. FIFOs sized on the pipeline model first (qsim fifo-size,
criterion period), as the package's RTL would carry them.
"""

from __future__ import annotations

import argparse
import time

from bench._zoo_designs import zoo_design
from qsim.board.dma import predict
from qsim.pipeline import size_fifos, stitch

ANCHORS = {"tfc": 958_413.0, "cnv": 3_000.0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=10_000, help="TFC batch")
    ap.add_argument("--cnv-batch", type=int, default=1_000)
    ap.add_argument("--fclk", type=float, default=100.0)
    args = ap.parse_args()
    for net, batch in (("tfc", args.batch), ("cnv", args.cnv_batch)):
        design = zoo_design(net)
        sizing = size_fifos(design, samples=4, criterion="period")
        st = stitch(design, list(sizing.depths))
        t0 = time.perf_counter()
        p = predict(st, batch, args.fclk)
        rate = p.fields["throughput[images/s]"]
        print(f"{net}-w1a1 batch {batch}: {p.cycles} cycles ({p.cycles / batch:.2f} per "
              f"image), predicted {rate:,.0f} images/s, anchor {ANCHORS[net]:,.0f} "
              f"({100 * (rate / ANCHORS[net] - 1):+.1f}%), "
              f"DRAM_in {p.fields['DRAM_in_bandwidth[MB/s]']:.0f} MB/s; model "
              f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
