"""The multi-level cross-check: run a Design through the chosen levels and compare them.

The Python model is the pivot: every block level is compared with it layer by layer
(integers exactly; cycles exactly where both sides have them) and the reference level is
compared with it at the final output and at every layer boundary the reference exposes.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from qsim.errors import ConfigError, MismatchError

from . import _builtin_levels  # noqa: F401  (registers the built-in levels)
from .compare import Mismatch, first_mismatch
from .levels import Context, LevelResult, available_levels, get_level

__all__ = ["VerifyResult", "run_levels"]

_TRACE_LIMIT = 2_000_000  # engine steps the model-level cycle self-check traces at most


@dataclass
class VerifyResult:
    """Everything a report needs: per-level results, skips, mismatches and the verdict."""

    design: Any
    levels: dict[str, LevelResult] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)  # every comparison made
    errors: dict[str, str] = field(default_factory=dict)  # level -> why it crashed

    @property
    def passed(self) -> bool:
        """True when every requested level ran and no comparison failed."""
        return not self.mismatches and not self.skipped and not self.errors and bool(
            self.checks)


def run_levels(design: Any, x: np.ndarray, levels: Sequence[str], ctx: Context,
               progress: Optional[Any] = None) -> VerifyResult:
    """Run ``levels`` on ``design`` with inputs ``x`` (N, *input_shape) and compare.

    ``progress`` is an optional callable(level, layer) for a progress display.
    """
    unknown = [lv for lv in levels if lv not in available_levels()]
    if unknown:
        raise ConfigError(f"unknown level(s) {unknown!r}; known levels: {available_levels()!r}")
    result = VerifyResult(design)
    # the model is the pivot: it runs even when not requested, but is reported only if asked
    expected_run = _run_level(result, "model", design, x, {}, ctx, progress)
    if expected_run is None:  # nothing can be compared without the pivot
        result.levels.setdefault("model", LevelResult("model"))
        return result
    expected = {name: lr.output for name, lr in expected_run.layers.items()}
    if "model" not in levels:
        del result.levels["model"]
    for name in levels:
        if name == "model":
            continue
        why = get_level(name).unavailable()
        if why is not None:
            result.skipped[name] = why
            continue
        res = _run_level(result, name, design, x, expected, ctx, progress)
        if res is None:
            continue
        level = get_level(name)
        _compare(result, design, expected_run, res)
        if level.has_cycles:  # the level compared its cycles and protocol with the model
            bad = {layer for layer, _ in res.problems}
            for layer in res.layers:
                result.checks.append({"level": name, "layer": layer,
                                      "kind": "cycles+protocol", "pass": layer not in bad})
        for layer, problem in res.problems:
            result.checks.append({"level": name, "layer": layer, "kind": "self-check",
                                  "pass": False})
            result.mismatches.append(Mismatch(layer, name, "model cycle model", problem,
                                              waveform=res.waveform))
    if "model" in levels:
        _check_model_cycles(result, design, expected_run)
    return result


def _run_level(result: VerifyResult, name: str, design: Any, x: np.ndarray,
               expected: dict[str, np.ndarray], ctx: Context, progress: Optional[Any]
               ) -> Optional[LevelResult]:
    """Run one level; a level that raises is recorded as crashed (status "error", never a
    pass or a mismatch) and None is returned."""
    try:
        res = get_level(name).run(design, x, expected, ctx, _tick(progress, name))
    except MismatchError as exc:  # e.g. a reference output that is not on the int grid
        result.mismatches.append(Mismatch("(all)", name, "model", str(exc)))
        result.levels[name] = LevelResult(name, notes=[str(exc)])
        return None
    except Exception as exc:  # a level that crashes has verified nothing: an error
        msg = f"level {name!r} crashed: {type(exc).__name__}: {exc}"
        result.errors[name] = msg
        # also a mismatch, so that callers judging by ``mismatches`` never see it as a pass
        result.mismatches.append(Mismatch("(all)", name, "model", msg))
        result.levels[name] = LevelResult(name, notes=[msg, traceback.format_exc()])
        return None
    result.levels[name] = res
    return res


def _tick(progress: Optional[Any], level: str) -> Optional[Any]:
    if progress is None:
        return None
    return lambda layer: progress(level, layer)


def _compare(result: VerifyResult, design: Any, model: LevelResult, other: LevelResult) -> None:
    blocks = {layer.name: layer.block for layer in design.layers}
    for name, run in other.layers.items():
        exp = model.layers[name]
        mm = first_mismatch(name, blocks.get(name), exp.output, run.output, other.level,
                            "model", transfer_cycles=run.transfer, waveform=run.waveform)
        check = {"level": other.level, "layer": name, "kind": "values", "pass": mm is None}
        result.checks.append(check)
        if mm is not None:
            result.mismatches.append(mm)
        if run.transfer is not None and exp.transfer is not None:
            _compare_cycles(result, name, other.level, exp.transfer, run.transfer, run.waveform)
        if run.trip_count is not None:
            _compare_trips(result, name, other.level, blocks[name], run)


def _compare_cycles(result: VerifyResult, layer: str, level: str, expected: np.ndarray,
                    got: np.ndarray, waveform: Optional[str]) -> None:
    ok = expected.shape == got.shape and np.array_equal(expected, got)
    result.checks.append({"level": level, "layer": layer, "kind": "cycles", "pass": ok})
    if ok:
        return
    if expected.shape != got.shape:
        result.mismatches.append(Mismatch(layer, level, "model cycle model",
                                          f"{got.size} output transfers, expected "
                                          f"{expected.size}", waveform=waveform))
        return
    word = int(np.argmax(expected != got))
    result.mismatches.append(Mismatch(layer, level, "model cycle model", "cycle", word=word,
                                      expected=int(expected[word]), got=int(got[word]),
                                      cycle=int(got[word]), waveform=waveform))


def _compare_trips(result: VerifyResult, layer: str, level: str, block: Any, run: Any) -> None:
    """cppsim's pipelined-loop trip count must equal the model's stall-free step count."""
    expected = _expected_trips(block, run)
    ok = run.trip_count == expected
    result.checks.append({"level": level, "layer": layer, "kind": "trip count", "pass": ok})
    if not ok:
        result.mismatches.append(Mismatch(layer, level, "model schedule",
                                          f"trip count {run.trip_count} != model steps "
                                          f"{expected}"))


def _expected_trips(block: Any, run: Any) -> int:
    """The HLS kernels' pipelined-loop iterations (hls/qsim/*.hpp headers): one per engine
    step for MVTU, Thresholding and MaxPool; the SlidingWindow loop also reads input in its
    iterations, so it runs until the last input word is read and the last output word
    written: the stall-free cycle model's ``max(accept[-1], step[-1]) + 1``."""
    from qsim.models import SlidingWindow

    frames = int(np.prod(run.output.shape)) // int(np.prod(block.out_frame_shape))
    if isinstance(block, SlidingWindow):
        trace = block.cycles(frames)
        return max(int(trace.accept[-1]), int(trace.step[-1])) + 1
    return frames * int(block.schedule.steps)


def _check_model_cycles(result: VerifyResult, design: Any, model: LevelResult) -> None:
    """The cycle model's run must equal its closed form (a self-consistency check)."""
    for layer in design.layers:
        run = model.layers[layer.name]
        if run.cycles is None or not hasattr(layer.block, "cycles"):
            continue
        frames = int(np.prod(run.output.shape)) // int(np.prod(layer.block.out_frame_shape))
        if frames * layer.block.schedule.steps > _TRACE_LIMIT:
            continue  # too long to trace here: no check is recorded rather than a vacuous one
        traced = layer.block.cycles(frames).cycles
        ok = traced == run.cycles
        result.checks.append({"level": "model", "layer": layer.name, "kind": "cycle model",
                              "pass": ok})
        if not ok:
            result.mismatches.append(Mismatch(layer.name, "model", "closed form",
                                              f"cycle model {traced} != closed form "
                                              f"{run.cycles}"))
