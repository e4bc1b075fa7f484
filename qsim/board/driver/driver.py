"""Run the accelerator: FINN's driver command line.

  python driver.py --exec_mode execute --batchsize N --inputfile in.npy --outputfile out.npy
  python driver.py --exec_mode throughput_test --batchsize 1000
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from driver_base import QsimAccel

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv: list[str]) -> int:
    io = json.load(open(os.path.join(HERE, "io_shape.json")))
    p = argparse.ArgumentParser(description="Run the qsim accelerator on the board")
    p.add_argument("--exec_mode", choices=["execute", "throughput_test"], default="execute")
    p.add_argument("--batchsize", type=int, default=1)
    p.add_argument("--bitfile", default=os.path.join(HERE, "..", "bitfile", io["bitfile"]))
    p.add_argument("--inputfile", default="input.npy")
    p.add_argument("--outputfile", default="output.npy")
    args = p.parse_args(argv)
    accel = QsimAccel(args.bitfile, io, args.batchsize)
    if args.exec_mode == "execute":
        y = accel.execute(np.load(args.inputfile))
        np.save(args.outputfile, y)
        print(f"wrote {y.shape[0]} outputs to {args.outputfile}")
        return 0
    res = accel.throughput_test()
    with open("nw_metrics.txt", "w") as f:
        f.write(str(res))
    for key, val in res.items():
        print(f"{key} : {val}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
