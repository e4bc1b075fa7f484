"""Register-level reference of a graph of stages (forks and joins), independent of the
pipeline engine: every cycle computes each handshake from registers and ports, then updates
every register at the clock edge (the same skeleton as ``_ref.ChainSim``, with ports)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qsim.models import Schedule


@dataclass
class GStage:
    schedule: Schedule
    frames: int
    in_ports: int = 1
    out_ports: int = 1


class Deadlocked(Exception):
    """No register changed for ``idle`` cycles after the patterns ended."""


def graph_sim(stages: list[GStage], links: list[tuple[int, int, int, int]], offer: list[int],
              ready: list[bool], idle: int = 64, max_cycles: int = 100_000) -> list[list[int]]:
    """Transfer cycle of every word on every link ``(src, src_port, dst, dst_port)`` (-1:
    design input / output). Raises Deadlocked when nothing moves any more."""
    n = len(stages)
    acc = [[0] * s.in_ports for s in stages]     # register: words accepted per input port
    freed = [0] * n                              # register: words freed (all ports alike)
    step = [0] * n
    ob = [[False] * s.out_ports for s in stages]  # register: output register per port
    total_in = next(stages[d].frames * stages[d].schedule.n_in for s, _, d, _ in links if s < 0)
    words: list[list[int]] = [[] for _ in links]
    sent_in = 0
    quiet = 0
    for t in range(max_cycles):
        if all(step[j] == s.frames * s.schedule.steps for j, s in enumerate(stages)) and \
                not any(any(o) for o in ob):
            return words
        fire = []
        for (s, sp, d, dp) in links:
            valid = (sent_in < total_in and offer[sent_in] <= t) if s < 0 else ob[s][sp]
            if d < 0:
                rdy = ready[t] if t < len(ready) else True
            else:
                rdy = acc[d][dp] - freed[d] < stages[d].schedule.capacity
            fire.append(valid and rdy)
        out_fire = {(s, sp): f for (s, sp, _d, _dp), f in zip(links, fire) if s >= 0}
        steps_fire = []
        for j, st in enumerate(stages):
            sc = st.schedule
            if step[j] >= st.frames * sc.steps:
                steps_fire.append(False)
                continue
            f, kl = divmod(step[j], sc.steps)
            nd = int(sc.need[kl])
            have = nd < 0 or all(f * sc.n_in + nd < a for a in acc[j])
            room = (not sc.produces[kl]) or all(
                (not ob[j][p]) or out_fire[(j, p)] for p in range(st.out_ports))
            steps_fire.append(have and room)
        moved = any(fire) or any(steps_fire)
        for i, ((s, sp, d, dp), f) in enumerate(zip(links, fire)):  # clock edge
            if f:
                words[i].append(t)
                if s < 0:
                    sent_in += 1
                else:
                    ob[s][sp] = False
                if d >= 0:
                    acc[d][dp] += 1
        for j, st in enumerate(stages):
            if steps_fire[j]:
                kl = step[j] % st.schedule.steps
                freed[j] += int(st.schedule.frees[kl])
                if st.schedule.produces[kl]:
                    ob[j] = [True] * st.out_ports
                step[j] += 1
        quiet = 0 if moved else quiet + 1
        if quiet > idle and t > len(ready) and t > (max(offer) if offer else 0):
            raise Deadlocked(f"stuck at cycle {t}")
    raise RuntimeError("reference graph simulation did not finish")


def passthrough(capacity: int = 2) -> Schedule:
    """One word per frame, forwarded (FIFO of ``capacity``, DuplicateStreams, AddStreams)."""
    return Schedule(n_in=1, n_out=1, need=np.array([0]), produces=np.array([True]),
                    frees=np.array([1]), capacity=capacity)


def frame_buffer(words: int, capacity: int) -> Schedule:
    """Reads a whole ``words``-word frame, then writes it (a long-latency branch)."""
    need = np.concatenate([np.arange(words), np.full(words, -1)])
    produces = np.concatenate([np.zeros(words, bool), np.ones(words, bool)])
    frees = np.zeros(2 * words, dtype=np.int64)
    frees[-1] = words
    return Schedule(n_in=words, n_out=words, need=need, produces=produces, frees=frees,
                    capacity=capacity)
