"""Verification levels: one small interface, registered by name (STYLE.md point 9).

A level runs a Design on a batch of integer inputs and returns every layer boundary it can
observe. Block levels (model, cppsim, rtlsim) run *node by node*: each layer is fed the
model's input for that layer, so a mismatch is pinned to the layer that made it and does not
cascade. The reference level runs the source ONNX model and exposes its final output (and
the layer boundaries the source graph names).

Adding a level touches one file: subclass :class:`Level`, set ``name``, implement ``run``
(and ``unavailable`` if it needs a tool) and decorate it with :func:`register`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Optional

import numpy as np

from qsim.errors import ConfigError

__all__ = ["Context", "LayerRun", "Level", "LevelResult", "available_levels", "get_level",
           "register"]

_REGISTRY: dict[str, type["Level"]] = {}

Progress = Optional[Callable[[str], None]]


@dataclass
class Context:
    """What a level may need beyond the design: the source model, seed, output directory."""

    source: Optional[str] = None  # path of the source ONNX model
    seed: int = 0
    out_dir: Optional[str] = None  # where a level may write waveforms and logs
    ready: Optional[np.ndarray] = None  # downstream ready pattern for levels with cycles
    sweep: bool = False  # rtlsim: run the full valid/ready sweep, not only "none"


@dataclass
class LayerRun:
    """One layer on one level: its output and, for levels with cycles, its timing."""

    output: np.ndarray
    cycles: Optional[int] = None  # cycles for the whole batch through this layer
    transfer: Optional[np.ndarray] = None  # transfer cycle of every output word
    trip_count: Optional[int] = None  # HLS pipelined-loop iterations (cppsim)
    waveform: Optional[str] = None


@dataclass
class LevelResult:
    """What a level produced: outputs by layer name (stream order), timing and notes."""

    level: str
    layers: dict[str, LayerRun] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    # (layer, problem) pairs a level found itself (cycles, protocol), reported as mismatches
    problems: list[tuple[str, str]] = field(default_factory=list)
    waveform: Optional[str] = None


class Level(ABC):
    """A verification level. Subclasses register with :func:`register`."""

    name: ClassVar[str]
    description: ClassVar[str]
    has_cycles: ClassVar[bool] = False
    node_by_node: ClassVar[bool] = True

    def unavailable(self) -> Optional[str]:
        """None when the level can run here, else why not (a missing tool, ...)."""
        return None

    def run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray],
            ctx: "Context", progress: Progress = None) -> LevelResult:
        """Run ``design`` on ``x``; ``expected`` holds the model's layer outputs (pivot)."""
        t0 = time.perf_counter()
        res = self._run(design, x, expected, ctx, progress)
        res.seconds = time.perf_counter() - t0
        return res

    @abstractmethod
    def _run(self, design: Any, x: np.ndarray, expected: dict[str, np.ndarray],
             ctx: "Context", progress: Progress) -> LevelResult: ...


def register(cls: type[Level]) -> type[Level]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def available_levels() -> list[str]:
    """Registered level names, in the canonical order ref, model, cppsim, rtlsim, others."""
    order = ["ref", "model", "cppsim", "rtlsim"]
    return sorted(_REGISTRY, key=lambda n: (order.index(n) if n in order else len(order), n))


def get_level(name: str) -> Level:
    """An instance of the level registered as ``name``; ConfigError for an unknown name."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown level {name!r}; known levels: {available_levels()!r}")
    return _REGISTRY[name]()


def layer_inputs(design: Any, x: np.ndarray, expected: dict[str, np.ndarray]
                 ) -> list[tuple[Any, list[np.ndarray]]]:
    """(layer, the model's input to each of its ports, each (N, *in_shape)) for every layer,
    in the Design's topological order; a port reads its producer's model output (or ``x``)."""
    n = np.asarray(x).shape[0]
    outs = {**expected, "input": np.asarray(x)}
    return [(layer, [outs[src].reshape((n,) + tuple(layer.in_shape)) for src in layer.inputs])
            for layer in design.layers]
