"""Trained zoo example: TFC w2a2 on scikit-learn's digits (8x8 -> 28x28), deterministic.

The 8x8 images (values 0..16) are upsampled 3x (nearest) to 24x24, zero-padded to 28x28 and
scaled to [-1, 1]. 80/20 split with a fixed seed. Training: Adam, a few epochs, about a minute
on 2 cores. ``python -m qsim.zoo.digits [OUT_DIR]`` writes ``tfc_w2a2_digits.pt`` (state dict),
``tfc_w2a2_digits.onnx`` (QONNX export) and ``tfc_folding.json`` and prints the accuracy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from qsim.zoo._foldings import default_folding
from qsim.zoo._nets import build

__all__ = ["accuracy", "digits_28", "load_trained", "train"]

NET, VARIANT, SEED = "tfc", "w2a2", 0


def digits_28(seed: int = SEED) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test); x float32 (N, 1, 28, 28) in [-1, 1]."""
    from sklearn.datasets import load_digits

    data = load_digits()
    img = data.images.astype(np.float32) / 16.0  # (N, 8, 8) in [0, 1]
    big = np.kron(img, np.ones((3, 3), np.float32))  # (N, 24, 24)
    x = np.pad(big, ((0, 0), (2, 2), (2, 2)))[:, None] * 2.0 - 1.0  # (N, 1, 28, 28)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_train = int(0.8 * len(y))
    tr, te = order[:n_train], order[n_train:]
    return x[tr], y[tr], x[te], y[te]


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = model(x)
    return out.value if hasattr(out, "value") else out


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Top-1 accuracy of the model (eval mode) on (x, y)."""
    model.eval()
    with torch.no_grad():
        pred = _logits(model, torch.as_tensor(x)).argmax(dim=1).numpy()
    return float((pred == y).mean())


def train(epochs: int = 12, seed: int = SEED) -> tuple[nn.Module, float]:
    """Train TFC w2a2 on digits; returns (model in eval mode, test accuracy)."""
    torch.set_num_threads(2)
    xtr, ytr, xte, yte = digits_28(seed)
    model = build(NET, VARIANT, seed=seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
        xt, yt = torch.as_tensor(xtr), torch.as_tensor(ytr)
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.momentum = 0.1
        for _ in range(epochs):
            model.train()
            perm = torch.randperm(len(yt))
            for i in range(0, len(yt), 64):
                idx = perm[i:i + 64]
                loss = nn.functional.cross_entropy(_logits(model, xt[idx]), yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            sched.step()
    model.eval()
    return model, accuracy(model, xte, yte)


def load_trained(path: Any) -> nn.Module:
    """The trained TFC w2a2 from a state-dict checkpoint written by :func:`main`."""
    model = build(NET, VARIANT, seed=SEED)
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.eval()
    return model


def main(out_dir: str = "examples") -> float:
    """Train, save checkpoint + QONNX export + folding into ``out_dir``; return accuracy."""
    from qsim.frontend.reference import export

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model, acc = train()
    torch.save(model.state_dict(), out / "tfc_w2a2_digits.pt")
    export(model, torch.zeros(1, 1, 28, 28), out / "tfc_w2a2_digits.onnx", fmt="qonnx")
    (out / "tfc_folding.json").write_text(json.dumps(default_folding(NET), indent=2) + "\n")
    print(f"TFC {VARIANT} on digits: test accuracy {acc:.4f}")
    return acc


if __name__ == "__main__":
    main(*sys.argv[1:])
