"""Verify one block config through the levels (used by ``qsim fuzz`` and the golden suite)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from .levels import Context
from .runner import VerifyResult, run_levels

__all__ = ["block_design", "check_block"]


def block_design(cfg: Any, name: str = "block") -> Any:
    """A one-layer Design around a block config (input = its frame shape)."""
    from qsim.frontend.design import Design, Layer

    shape = tuple(cfg.in_frame_shape)
    return Design(layers=(Layer(name=name, block=cfg, in_shape=shape),), input_shape=shape,
                  idt=cfg.idt, name=name)


def check_block(cfg: Any, x: np.ndarray, levels: Sequence[str], seed: int = 0,
                ready: Optional[np.ndarray] = None, out_dir: Optional[str] = None
                ) -> VerifyResult:
    """Run ``cfg`` on ``x`` (N, *in_frame_shape) through ``levels`` and compare with the model."""
    design = block_design(cfg)
    ctx = Context(seed=seed, out_dir=out_dir, ready=ready)
    return run_levels(design, x, list(levels), ctx)
