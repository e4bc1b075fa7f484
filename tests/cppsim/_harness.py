"""Shared cppsim test helpers: build several configs into one library and check them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from qsim.cppsim import CppsimLibrary, build_libraries, generate_source
from qsim.models import MaxPool, SlidingWindow, Thresholding


def compile_configs(cfgs: Sequence[Any], chunks: int = 1, cache_dir: Path | None = None,
                    runtime: bool = True) -> list[tuple[CppsimLibrary, str]]:
    """Compile ``cfgs`` into ``chunks`` translation units (in parallel); (library, symbol) per
    config, in order. ``runtime``: weights and thresholds passed at run time (as cppsim runs
    them) rather than compiled in as constants."""
    chunks = max(1, min(chunks, len(cfgs)))
    groups: list[dict[str, Any]] = [{} for _ in range(chunks)]
    where: list[tuple[int, str]] = []
    for i, cfg in enumerate(cfgs):
        g, sym = i % chunks, f"b{i}"
        groups[g][sym] = cfg
        where.append((g, sym))
    results = build_libraries([generate_source(g, runtime=runtime) for g in groups],
                              cache_dir=cache_dir)
    libs = [CppsimLibrary(r.path) for r in results]
    return [(libs[g], sym) for g, sym in where]


def expected_trip(cfg: Any, frames: int) -> int:
    """The model's figure for the kernel's pipelined-loop iterations over ``frames`` frames.

    MVTU, Thresholding, MaxPool: ``schedule.steps`` per frame (NF*SF per vector, C/PE per
    pixel, H*W*C/PE per image). SlidingWindow: its loop runs the model's stall-free cycle
    schedule (read and emit in one iteration), so the count is the cycle of the last read or
    emit, plus one, of ``cfg.cycles(frames)``.
    """
    if isinstance(cfg, SlidingWindow):
        trace = cfg.cycles(frames)
        return int(max(trace.accept[-1], trace.step[-1])) + 1
    return frames * cfg.schedule.steps


def check_block(lib: CppsimLibrary, sym: str, cfg: Any, x: np.ndarray) -> None:
    """cppsim output equals the model bit for bit; the trip count equals the model's figure."""
    y, trip = lib.run(sym, cfg, x)
    want = cfg(x)
    assert y.shape == want.shape, (cfg.owner, y.shape, want.shape)
    if not np.array_equal(y, want):
        idx = tuple(int(i) for i in np.argwhere(y != want)[0])
        raise AssertionError(f"{cfg.owner}: cppsim {int(y[idx])} != model {int(want[idx])} at "
                             f"{idx} (config {cfg.to_dict()!r})")
    frames = cfg.frames_of(x)
    assert trip == expected_trip(cfg, frames), (cfg.owner, trip, expected_trip(cfg, frames))
    if isinstance(cfg, _READS_AT_ACCEPT):
        check_read_iterations(lib, cfg, frames)


#: Blocks whose kernel loop reads each input word in the model's accept cycle (iteration t is
#: cycle t). Not the MVTU: its model accepts the next vector during the current one's later
#: folds, its kernel reads at fold 0 only (the trip counts agree).
_READS_AT_ACCEPT = (SlidingWindow, Thresholding, MaxPool)


def check_read_iterations(lib: CppsimLibrary, cfg: Any, frames: int) -> None:
    """The kernel read every input word of the last call in the model's accept cycle."""
    reads, accept = lib.read_iterations(), np.asarray(cfg.cycles(frames).accept)
    assert reads.shape == accept.shape, (cfg.owner, reads.shape, accept.shape)
    bad = np.flatnonzero(reads != accept)
    assert bad.size == 0, (f"{cfg.owner}: input word {bad[0]} read in iteration "
                           f"{reads[bad[0]]}, the model accepts it in cycle {accept[bad[0]]}")


def check_ports(lib: CppsimLibrary, sym: str, cfg: Any, xs: Sequence[np.ndarray]) -> None:
    """As :func:`check_block` for a block of any port count: one input per input port; EVERY
    output port equals the model output bit for bit."""
    ys, trip = lib.run_ports(sym, cfg, *xs)
    want = cfg(*xs)
    assert len(ys) == cfg.out_ports, (cfg.owner, len(ys))
    for q, y in enumerate(ys):
        assert y.shape == want.shape, (cfg.owner, q, y.shape, want.shape)
        if not np.array_equal(y, want):
            idx = tuple(int(i) for i in np.argwhere(y != want)[0])
            raise AssertionError(f"{cfg.owner}: cppsim port {q} {int(y[idx])} != model "
                                 f"{int(want[idx])} at {idx} (config {cfg.to_dict()!r})")
    frames = cfg.frames_of(xs[0])
    assert trip == expected_trip(cfg, frames), (cfg.owner, trip, expected_trip(cfg, frames))


def check_all(pairs: Sequence[tuple[CppsimLibrary, str]], cfgs: Sequence[Any],
              inputs: Mapping[int, np.ndarray]) -> None:
    for i, ((lib, sym), cfg) in enumerate(zip(pairs, cfgs)):
        check_block(lib, sym, cfg, inputs[i])
