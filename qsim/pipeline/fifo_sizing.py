"""FIFO sizing on the pipeline cycle model: the smallest depths that keep the throughput.

The baseline is the stitched design with deep FIFOs (deep enough never to fill: the words one
sample puts on the link, plus 2). Its cycle count for ``samples`` back-to-back samples (inputs
offered from cycle 0, output always ready) is the target. :func:`size_fifos` then shrinks one
link at a time, in stream order, to the smallest depth whose chain takes no more cycles than
the baseline, with the other links at their current depths (every edge of a graph,
shortcuts of forks and joins included; a depth at which the design deadlocks misses the
target, so a shortcut ends where one word less deadlocks or costs cycles):

* first the baseline's peak occupancy of the FIFO (words in it at once) bounds the depth
  from above: a deeper FIFO never fills, so it changes nothing;
* depth 0 (no FIFO: the upstream core's output register feeds the next node directly) is
  tried first; it also removes the FIFO's 2 cycles of latency, so it is not ordered with the
  others (a chain without some FIFOs can finish a few cycles *earlier* than the baseline);
* otherwise a binary search over ``1..bound``: with the max-plus recurrences a larger input
  buffer never makes an event later, so "keeps the baseline cycles" is monotone in depth.

The result is minimal link by link (no single FIFO can be made smaller), not necessarily the
global minimum of the total depth. :func:`qsim.rtlsim.native_run.check_native` confirms a
sizing in native rtlsim (same cycles as the model, no deadlock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from qsim.errors import ConfigError
from qsim.pipeline.engine import DeadlockError
from qsim.pipeline.plan import Stitched, stitch

__all__ = ["FifoSizing", "chain_cycles", "size_fifos"]


@dataclass(frozen=True)
class FifoSizing:
    """Baseline and sized FIFO depths (one per edge between layers, ``design.links`` order)
    and their cycles."""

    samples: int
    baseline_depths: tuple[int, ...]
    baseline_cycles: int
    depths: tuple[int, ...]
    cycles: int
    simulations: int  # pipeline-model runs the search took
    criterion: str = "cycles"

    def folding(self, design: Any) -> dict[str, dict[str, list[int]]]:
        """The sized depths as FINN folding-config entries (``inFIFODepths`` of each edge's
        consumer, one per input port), to merge into a folding_config.json; :func:`qsim.load`
        reads them back."""
        out: dict[str, dict[str, list[int]]] = {}
        by_name = {la.name: la for la in design.layers}
        for e, d in zip(design.links, self.depths):
            ports = out.setdefault(e.dst, {"inFIFODepths": [0] * by_name[e.dst].in_ports})
            ports["inFIFODepths"][e.dst_port] = d
        return out

    def summary(self) -> str:
        return (f"{self.samples} samples, keep {self.criterion}: baseline depths "
                f"{list(self.baseline_depths)} -> "
                f"{self.baseline_cycles} cycles; sized depths {list(self.depths)} "
                f"(total {sum(self.depths)} vs {sum(self.baseline_depths)}) -> {self.cycles} "
                f"cycles; {self.simulations} model runs")


# what a deadlocked design "takes": more than any finishing one
DEADLOCK_CYCLES = 1 << 62


def chain_cycles(design: Any, depths: Optional[list[int]], samples: int,
                 criterion: str = "cycles") -> int:
    """Total cycles ("cycles") or the last sample's period ("period": cycles between the last
    output words of the last two samples) of the design with ``depths``;
    :data:`DEADLOCK_CYCLES` if it deadlocks."""
    st = stitch(design, depths)
    try:
        transfer = st.simulate(samples).transfer
    except DeadlockError:
        return DEADLOCK_CYCLES
    if criterion == "cycles":
        return int(transfer[-1]) + 1
    per = st.out_words_per_sample
    return int(transfer[-1] - transfer[-1 - per])


def _peak_occupancy(st: Stitched, samples: int) -> list[int]:
    """Per FIFO (in node order, which is ``design.links`` order): the most words it held at
    once in a model run."""
    g = st.simulate(samples)
    peaks = []
    for k, node in enumerate(st.nodes):
        if not node.name.startswith("fifo_"):
            continue
        tr = g.trace(k)
        t_in, t_out = tr.accept, tr.transfer  # a word is inside from accept to transfer
        events = np.concatenate([t_in, t_out])
        delta = np.concatenate([np.ones_like(t_in), -np.ones_like(t_out)])
        order = np.lexsort((delta, events))  # at equal cycles count the leaving word first
        peaks.append(int(np.cumsum(delta[order]).max(initial=0)))
    return peaks


def size_fifos(design: Any, samples: int = 2,
               progress: Optional[Callable[[str], None]] = None,
               criterion: str = "cycles") -> FifoSizing:
    """Smallest FIFO depths (link by link) taking no more cycles than deep FIFOs for
    ``samples`` samples.

    ``criterion="period"`` keeps only the last sample's period (the throughput; latency may
    grow), with ``samples >= 2``; monotonicity in depth is then not guaranteed, so the result
    is checked (AssertionError otherwise) but may not be minimal.
    """
    if criterion not in ("cycles", "period") or (criterion == "period" and samples < 2):
        raise ConfigError(f"size_fifos: criterion={criterion!r} with samples={samples!r}; "
                          f"use 'cycles', or 'period' with samples >= 2")
    n_links = len(design.links)
    cores = {n.layer: n for n in stitch(design, 0).nodes if n.layer}
    words = [cores[e.src].words_out for e in design.links]  # per sample, an upper bound
    base = [w * samples + 2 for w in words]  # deeper than a whole run: never fills
    target = chain_cycles(design, base, samples, criterion)
    peaks = _peak_occupancy(stitch(design, base), samples)
    depths = [max(1, p) for p in peaks]
    runs = 2
    for k in range(n_links):
        def ok(d: int) -> bool:
            nonlocal runs
            runs += 1
            trial = depths[:k] + [d] + depths[k + 1:]
            return chain_cycles(design, trial, samples, criterion) <= target

        if ok(0):
            depths[k] = 0
        else:
            lo, hi = 1, depths[k]  # hi keeps the target (bound above); find the smallest
            while lo < hi:
                mid = (lo + hi) // 2
                if ok(mid):
                    hi = mid
                else:
                    lo = mid + 1
            depths[k] = hi
        if progress:
            progress(f"link {k}: depth {depths[k]} (peak {peaks[k]})")
    final = chain_cycles(design, depths, samples, criterion)
    assert final <= target, (depths, final, target)
    if criterion == "period":  # report total cycles for both, as for "cycles"
        target, final = chain_cycles(design, base, samples), chain_cycles(design, depths, samples)
        runs += 2
    return FifoSizing(samples, tuple(base), target, tuple(depths), final, runs + 1, criterion)
