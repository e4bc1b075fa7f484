"""Pipeline cycle model: blocks, FIFOs and width converters connected stream to stream.

Every stage follows the skeleton of :mod:`qsim.models._schedule` (per input port a buffer with
a registered ``in_ready``; an in-order engine; per output port a 1-word output register). A
link joins one output port to one input port, and word m of link l moves on the one cycle both
sides agree on, so one time per word and link describes the whole design::

    link[l][m] = max(s[src][prod(m)] + 1,     upstream output register valid
                     link[l][m-1] + 1,         one word per cycle
                     s[dst][free_step(m)] + 1) downstream input buffer has room (registered)
    s[j][k]    = max(s[j][k-1] + 1,
                     link[i][need(k)] + 1  for every input link i of j,
                     link[o][m-1]          for every output link o of j, if k produces m)

A fork (one stage, several output links) fires a producing step only when every output
register has room: a word leaves only when every consumer can take it. A join (several input
links) waits for the word on every port. The graph input link is driven by an offer pattern
instead of a source stage; the graph output link is drained by a ready pattern.

Evaluation is a worklist over links and stages that advances whatever has its operands
(compiled with numba, :mod:`qsim.pipeline._kernel`). If nothing can advance before every word
has moved, the design deadlocks: :class:`DeadlockError` follows the chain of "blocked on"
from a stuck stage to the cycle of nodes that wait on one another (in a fork/join: the fork
waiting for room in a full shortcut FIFO, the join waiting for the long branch) and names
them, with every full input buffer on the cycle. It never hangs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import numpy.typing as npt

from qsim.errors import SimulationError
from qsim.models._schedule import CycleTrace, Schedule

__all__ = ["DeadlockError", "GraphTrace", "Link", "Stage", "simulate_graph",
           "simulate_pipeline"]


class DeadlockError(SimulationError):
    """The design cannot finish: ``cycle`` holds the names of the nodes waiting on one
    another (stages and links, in wait order), ``full`` the stages whose input buffer is full
    on it."""

    def __init__(self, message: str, cycle: Sequence[str] = (), full: Sequence[str] = ()):
        super().__init__(message)
        self.cycle = list(cycle)
        self.full = list(full)


@dataclass(frozen=True)
class Stage:
    """A stage: a schedule run for ``frames`` frames, named for messages; every one of its
    ``in_ports`` input and ``out_ports`` output ports follows the schedule."""

    name: str
    schedule: Schedule
    frames: int
    in_ports: int = 1
    out_ports: int = 1

    @property
    def in_words(self) -> int:
        return self.frames * self.schedule.n_in

    @property
    def out_words(self) -> int:
        return self.frames * self.schedule.n_out


@dataclass(frozen=True)
class Link:
    """A stream from output port ``src_port`` of stage ``src`` (-1: the design input) to input
    port ``dst_port`` of stage ``dst`` (-1: the design output)."""

    src: int
    dst: int
    src_port: int = 0
    dst_port: int = 0
    name: str = ""


@dataclass(frozen=True)
class GraphTrace:
    """Cycle of every word on every link and of every step of every stage (int64, read-only
    views into one buffer each)."""

    stages: tuple[Stage, ...]
    links: tuple[Link, ...]
    words: tuple[npt.NDArray[np.int64], ...]  # per link: transfer cycle of each word
    steps: tuple[npt.NDArray[np.int64], ...]  # per stage: cycle each step fired

    def link_of(self, stage: int, port: int, out: bool) -> int:
        """Index of the link on input (``out=False``) or output port ``port`` of ``stage``."""
        for i, ln in enumerate(self.links):
            if (ln.src, ln.src_port) == (stage, port) if out else (ln.dst, ln.dst_port) == (
                    stage, port):
                return i
        raise KeyError((stage, port, out))

    def trace(self, stage: int, in_port: int = 0, out_port: int = 0) -> CycleTrace:
        """Accept/step/transfer cycles of one stage, seen at one input and one output port."""
        return CycleTrace(self.words[self.link_of(stage, in_port, False)], self.steps[stage],
                          self.words[self.link_of(stage, out_port, True)])

    @property
    def accept(self) -> npt.NDArray[np.int64]:
        """Accept cycle of every design input word."""
        return self.words[next(i for i, ln in enumerate(self.links) if ln.src < 0)]

    @property
    def transfer(self) -> npt.NDArray[np.int64]:
        """Transfer cycle of every design output word."""
        return self.words[next(i for i, ln in enumerate(self.links) if ln.dst < 0)]

    @property
    def cycles(self) -> int:
        """Cycles from cycle 0 up to and including the last output transfer."""
        t = self.transfer
        return int(t[-1]) + 1 if t.size else 0


def _tables(s: Schedule) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                  npt.NDArray[np.int64]]:
    """Frame-local lookup tables of one schedule (all int64).

    ``rank[k]``: output index within the frame of step k, -1 if it produces nothing;
    ``prod[r]``: the step producing output r; ``free[t - 1]``: the first step after which at
    least t input words of the frame were freed (t = 1..n_in).
    """
    produces = np.asarray(s.produces, dtype=bool)
    rank = np.where(produces, np.cumsum(produces) - 1, -1).astype(np.int64)
    prod = np.flatnonzero(produces).astype(np.int64)
    free = np.searchsorted(np.cumsum(s.frees), np.arange(1, s.n_in + 1), "left").astype(np.int64)
    return rank, prod, free


def _concat(parts: list[npt.NDArray[np.int64]]) -> tuple[npt.NDArray[np.int64],
                                                         npt.NDArray[np.int64]]:
    """Concatenation of ``parts`` and the offset of each part in it (len(parts) + 1)."""
    off = np.zeros(len(parts) + 1, dtype=np.int64)
    off[1:] = np.cumsum([p.shape[0] for p in parts])
    flat = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
    return flat, off


def _link_name(stages: Sequence[Stage], ln: Link) -> str:
    if ln.name:
        return ln.name
    a = "input" if ln.src < 0 else stages[ln.src].name
    b = "output" if ln.dst < 0 else stages[ln.dst].name
    return f"{a} -> {b}"


def _ports(stages: Sequence[Stage], links: Sequence[Link]
           ) -> tuple[list[list[int]], list[list[int]], list[int]]:
    """Per stage its input and output links in port order, and the word count of each link;
    SimulationError on a port left open or driven twice, or on word counts that differ."""
    ins: list[list[int]] = [[-1] * s.in_ports for s in stages]
    outs: list[list[int]] = [[-1] * s.out_ports for s in stages]
    totals = []
    ends = [0, 0]
    for i, ln in enumerate(links):
        counts = []
        for side, st_i, port, table, what in ((0, ln.src, ln.src_port, outs, "output"),
                                              (1, ln.dst, ln.dst_port, ins, "input")):
            if st_i < 0:
                ends[side] += 1
                continue
            if not (0 <= st_i < len(stages)) or not (0 <= port < len(table[st_i])):
                raise SimulationError(f"pipeline: link {_link_name(stages, ln)!r} names "
                                      f"{what} port {port} of stage {st_i}, which does not "
                                      f"exist")
            if table[st_i][port] >= 0:
                raise SimulationError(f"pipeline: {what} port {port} of stage "
                                      f"{stages[st_i].name!r} has two links")
            table[st_i][port] = i
            counts.append(stages[st_i].out_words if side == 0 else stages[st_i].in_words)
        if len(counts) == 2 and counts[0] != counts[1]:
            raise SimulationError(f"pipeline: stage {stages[ln.src].name!r} produces "
                                  f"{counts[0]} words but {stages[ln.dst].name!r} consumes "
                                  f"{counts[1]}")
        totals.append(counts[0] if counts else 0)
    if ends != [1, 1]:
        raise SimulationError(f"pipeline: needs exactly one input and one output link, got "
                              f"{ends[0]} and {ends[1]}")
    for j, s in enumerate(stages):
        for table, what in ((ins, "input"), (outs, "output")):
            if -1 in table[j]:
                raise SimulationError(f"pipeline: {what} port {table[j].index(-1)} of stage "
                                      f"{s.name!r} has no link")
    return ins, outs, totals


def simulate_graph(stages: Sequence[Stage], links: Sequence[Link],
                   offer: Optional[npt.ArrayLike] = None,
                   ready: Optional[npt.ArrayLike] = None) -> GraphTrace:
    """Cycle of every word on every link of a graph of stages.

    ``offer``: earliest cycle each design input word is presented (None: cycle 0);
    ``ready``: ready of the design output per cycle, cycles past the end ready (None: always).
    Raises :class:`DeadlockError` when the graph cannot finish.
    """
    from qsim.pipeline._kernel import run_worklist

    if not stages:
        raise SimulationError("pipeline: no stages")
    stages, links = tuple(stages), tuple(links)
    ins, outs, totals = _ports(stages, links)
    lin = next(i for i, ln in enumerate(links) if ln.src < 0)
    offers = _offers(offer, totals[lin])
    scheds = [s.schedule for s in stages]
    tables = [_tables(s) for s in scheds]
    need, k_off = _concat([np.asarray(s.need, dtype=np.int64) for s in scheds])
    rank, _ = _concat([t[0] for t in tables])
    prod, p_off = _concat([t[1] for t in tables])
    free, f_off = _concat([t[2] for t in tables])
    shape = np.array([[s.steps, s.n_in, s.n_out, s.capacity, st.frames * s.steps]
                      for s, st in zip(scheds, stages)], dtype=np.int64)
    in_links, in_off = _concat([np.asarray(p, dtype=np.int64) for p in ins])
    out_links, out_off = _concat([np.asarray(p, dtype=np.int64) for p in outs])
    src = np.array([ln.src for ln in links], dtype=np.int64)
    dst = np.array([ln.dst for ln in links], dtype=np.int64)
    link_off = np.zeros(len(links) + 1, dtype=np.int64)
    link_off[1:] = np.cumsum(totals)
    step_off = np.zeros(len(stages) + 1, dtype=np.int64)
    step_off[1:] = np.cumsum(shape[:, 4])
    words = np.empty(int(link_off[-1]), dtype=np.int64)
    steps = np.empty(int(step_off[-1]), dtype=np.int64)
    link_n = np.zeros(len(links), dtype=np.int64)
    step_n = np.zeros(len(stages), dtype=np.int64)
    wait = np.full(len(links) + len(stages), -1, dtype=np.int64)
    run_worklist(shape, need, rank, k_off, prod, p_off, free, f_off, src, dst, in_off,
                 in_links, out_off, out_links, offers, _next_ready(ready), words, link_off,
                 link_n, steps, step_off, step_n, wait)
    if not (np.array_equal(link_n, totals) and np.array_equal(step_n, shape[:, 4])):
        raise _deadlock(stages, links, shape, need, k_off, words, link_off, link_n, step_n,
                        wait, ins)
    words.flags.writeable = False  # the traces are views: a link is one array for both ends
    steps.flags.writeable = False
    return GraphTrace(stages, links,
                      tuple(words[link_off[i]:link_off[i + 1]] for i in range(len(links))),
                      tuple(steps[step_off[j]:step_off[j + 1]] for j in range(len(stages))))


def simulate_pipeline(stages: Sequence[Stage], offer: Optional[npt.ArrayLike] = None,
                      ready: Optional[npt.ArrayLike] = None) -> list[CycleTrace]:
    """A chain (stage j feeds stage j + 1): one CycleTrace per stage.

    ``offer``: earliest cycle each pipeline input word is presented (None: cycle 0);
    ``ready``: ready of the pipeline output per cycle, cycles past the end ready (None: always).
    """
    n = len(stages)
    links = [Link(j - 1, j if j < n else -1) for j in range(n + 1)]
    g = simulate_graph(stages, links, offer, ready)
    return [CycleTrace(g.words[j], g.steps[j], g.words[j + 1]) for j in range(n)]


def _offers(offer: Optional[npt.ArrayLike], total: int) -> npt.NDArray[np.int64]:
    if offer is None:
        return np.zeros(total, dtype=np.int64)
    offers = np.asarray(offer, dtype=np.int64).ravel()
    if offers.shape[0] != total:
        raise SimulationError(f"pipeline: offer has {offers.shape[0]} entries for {total} input "
                              f"words")
    return offers


def _next_ready(ready: Optional[npt.ArrayLike]) -> npt.NDArray[np.int64]:
    """``nr[t]``: the first ready cycle >= t (t below the pattern's length)."""
    if ready is None:
        return np.zeros(0, dtype=np.int64)
    r = np.asarray(ready, dtype=bool).ravel()
    idx = np.where(r, np.arange(r.shape[0]), r.shape[0])
    return np.minimum.accumulate(idx[::-1])[::-1].astype(np.int64)


def _deadlock(stages: Sequence[Stage], links: Sequence[Link], shape: npt.NDArray[np.int64],
              need: npt.NDArray[np.int64], k_off: npt.NDArray[np.int64],
              words: npt.NDArray[np.int64], link_off: npt.NDArray[np.int64],
              link_n: npt.NDArray[np.int64], step_n: npt.NDArray[np.int64],
              wait: npt.NDArray[np.int64], ins: list[list[int]]) -> DeadlockError:
    """The error naming the first stuck stage, what it waits for, and the wait cycle."""
    n_ln = len(links)
    last = max([int(words[link_off[i] + n - 1]) for i, n in enumerate(link_n) if n] + [0])
    stuck = next((j for j in range(len(stages)) if step_n[j] < shape[j, 4]), None)
    if stuck is None:  # every stage finished, a link did not: cannot happen with whole frames
        i = next(i for i in range(n_ln) if link_n[i] < link_off[i + 1] - link_off[i])
        return DeadlockError(f"pipeline deadlock: link {_link_name(stages, links[i])!r} moved "
                             f"{link_n[i]} of {link_off[i + 1] - link_off[i]} words")
    name = [_link_name(stages, ln) for ln in links] + [s.name for s in stages]
    seen: list[int] = []
    node = n_ln + stuck
    while node >= 0 and node not in seen:
        seen.append(node)
        node = int(wait[node])
    cycle = seen[seen.index(node):] if node >= 0 else []
    full = [stages[links[i].dst].name for i in cycle
            if i < n_ln and links[i].dst >= 0 and wait[i] == n_ln + links[i].dst]
    k = int(step_n[stuck])
    f, kl = divmod(k, int(shape[stuck, 0]))
    nd = int(need[k_off[stuck] + kl])
    on = int(wait[n_ln + stuck])
    waits = (f"input word {f * int(shape[stuck, 1]) + nd}" if on in ins[stuck] and nd >= 0
             else f"room in its output register towards {name[on]!r}" if on >= 0
             else "room in its output register")
    accepted = "/".join(str(int(link_n[i])) for i in ins[stuck])
    msg = (f"pipeline deadlock: stage {stages[stuck].name!r} stuck at step {k} of "
           f"{shape[stuck, 4]} waiting for {waits} ({accepted} of {stages[stuck].in_words} input "
           f"words accepted, last event at cycle {last})")
    if cycle:  # stages only: each waits on the next through the link between them
        msg += ("; wait cycle of stages: " + " -> ".join(repr(name[c]) for c in cycle
                                                         if c >= n_ln)
                + (f"; full input buffers on it: {full!r}" if full else ""))
    return DeadlockError(msg, [name[c] for c in cycle if c >= n_ln], full)
