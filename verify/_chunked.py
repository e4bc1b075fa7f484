"""Bulk inputs in chunks: memory stays flat however many inputs a run verifies.

:func:`run_chunked` runs :func:`~qsim.verify.runner.run_levels` on one chunk of inputs at a
time and folds each chunk's result into one :class:`~qsim.verify.runner.VerifyResult`:

- a check (level, layer, kind) passes when it passed on every chunk;
- a mismatch keeps its stream position in the whole batch (``frame`` and ``word`` are
  offset by the samples of the chunks before it); its ``cycle`` stays the cycle within its
  chunk, which is what a rerun of that chunk alone reproduces;
- per-layer ``cycles`` and ``trip_count`` are summed over the chunks (each chunk starts from
  an idle pipeline); the layer outputs are dropped once compared.

A run of at most one chunk is exactly :func:`run_levels` on all its inputs.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from .levels import Context, LayerRun, LevelResult
from .runner import VerifyResult, run_levels

__all__ = ["CHUNK", "run_chunked"]

CHUNK = 2048  # inputs per chunk: the tfc example at 784 INT64 inputs is ~13 MB a chunk

_EMPTY = np.zeros((0,), dtype=np.int64)


def run_chunked(design: Any, chunks: Iterable[np.ndarray], levels: Sequence[str],
                ctx: Context, progress: Optional[Any] = None) -> VerifyResult:
    """Run ``levels`` on every chunk (N_k, *input_shape) and merge the results."""
    total: Optional[VerifyResult] = None
    offset = 0
    for x in chunks:
        res = run_levels(design, x, levels, ctx, progress=progress)
        _shift(res, design, offset)
        total = res if total is None else _merge(total, res)
        _drop_outputs(total)
        offset += int(x.shape[0])
    assert total is not None, "the caller gives at least one chunk"
    return total


def _drop_outputs(result: VerifyResult) -> None:
    for lr in result.levels.values():
        for name, run in lr.layers.items():
            lr.layers[name] = dataclasses.replace(run, output=_EMPTY)


def _shift(result: VerifyResult, design: Any, samples: int) -> None:
    """Place a chunk's mismatches in the whole batch's stream (``samples`` before it)."""
    if samples == 0:
        return
    layers = {la.name: la for la in design.layers}
    for k, m in enumerate(result.mismatches):
        layer = layers.get(m.layer)
        out_words = getattr(getattr(layer, "block", None), "out_words", None)
        if layer is None or out_words is None or m.frame is None or m.word is None:
            continue
        frames = int(np.prod(layer.out_shape)) // int(np.prod(layer.block.out_frame_shape))
        words = int(out_words) * frames  # output words per input sample
        result.mismatches[k] = dataclasses.replace(m, frame=m.frame + samples * frames,
                                                   word=m.word + samples * words)


def _merge(a: VerifyResult, b: VerifyResult) -> VerifyResult:
    for name, lr in b.levels.items():
        a.levels[name] = _merge_level(a.levels[name], lr) if name in a.levels else lr
    a.skipped.update({k: v for k, v in b.skipped.items() if k not in a.skipped})
    a.errors.update({k: v for k, v in b.errors.items() if k not in a.errors})
    a.mismatches += b.mismatches
    seen = {(c["level"], c["layer"], c["kind"]): c for c in a.checks}
    for c in b.checks:
        key = (c["level"], c["layer"], c["kind"])
        if key in seen:
            seen[key]["pass"] = bool(seen[key]["pass"] and c["pass"])
        else:
            seen[key] = dict(c)
            a.checks.append(seen[key])
    return a


def _merge_level(a: LevelResult, b: LevelResult) -> LevelResult:
    a.seconds += b.seconds
    a.notes += [n for n in b.notes if n not in a.notes]
    a.problems += b.problems
    for name, run in b.layers.items():
        a.layers[name] = _merge_run(a.layers[name], run) if name in a.layers else run
    return a


def _merge_run(a: LayerRun, b: LayerRun) -> LayerRun:
    def add(u: Optional[int], v: Optional[int]) -> Optional[int]:
        return None if u is None or v is None else int(u) + int(v)

    return dataclasses.replace(a, cycles=add(a.cycles, b.cycles),
                               trip_count=add(a.trip_count, b.trip_count),
                               transfer=None, waveform=a.waveform or b.waveform)
