"""Zoo Designs for the benchmarks: Brevitas export (cached under .qsim_cache/zoo) + load with
the default FINN folding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CACHE = Path(".qsim_cache") / "zoo"


def zoo_design(net: str, variant: str = "w1a1") -> Any:
    """The Design of zoo ``net``/``variant`` with its default folding (the residual nets have
    one folding per variant)."""
    import torch

    from qsim.frontend import load
    from qsim.frontend.reference import export
    from qsim.zoo import INPUT_SHAPES, build, default_folding

    path = CACHE / f"{net}_{variant}.onnx"
    if not path.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        export(build(net, variant), torch.zeros(1, *INPUT_SHAPES[net]), path, fmt="qonnx")
    return load(path, folding=default_folding(net, variant))
