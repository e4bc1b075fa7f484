"""Top-1 over an .npz dataset (``x`` integer inputs, ``labels``; ``expected`` outputs too when
present, checked bit-exactly), FINN's validate.py output: "batch i / n : total OK x NOK y".

  python validate.py --batchsize 10 --dataset ../vectors.npz
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
from driver_base import QsimAccel, top1

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv: list[str]) -> int:
    io = json.load(open(os.path.join(HERE, "io_shape.json")))
    p = argparse.ArgumentParser(description="Validate the accelerator on a dataset")
    p.add_argument("--batchsize", type=int, default=10)
    p.add_argument("--bitfile", default=os.path.join(HERE, "..", "bitfile", io["bitfile"]))
    p.add_argument("--dataset", default=os.path.join(HERE, "..", "vectors.npz"))
    args = p.parse_args(argv)
    data = np.load(args.dataset)
    x, labels = data["x"], np.asarray(data["labels"]).reshape(-1)
    expected = data["expected"] if "expected" in data.files else None
    accel = QsimAccel(args.bitfile, io, args.batchsize)
    n = x.shape[0]
    batches = (n + args.batchsize - 1) // args.batchsize
    ok = nok = differ = 0
    for i in range(batches):
        lo, hi = i * args.batchsize, min(n, (i + 1) * args.batchsize)
        y = accel.execute(x[lo:hi])
        pred = top1(y, io["label"])
        ok += int((pred == labels[lo:hi]).sum())
        nok += int((pred != labels[lo:hi]).sum())
        if expected is not None:
            differ += int((y.reshape(hi - lo, -1) != expected[lo:hi].reshape(hi - lo, -1))
                          .any(axis=1).sum())
        print(f"batch {i + 1} / {batches} : total OK {ok} NOK {nok}")
    print(f"Final accuracy: {100.0 * ok / max(1, n):.2f}%")
    if expected is not None:
        print(f"bit-exact outputs: {n - differ} of {n}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
