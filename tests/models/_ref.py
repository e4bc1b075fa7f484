"""Plain, loop-based reference implementations, written independently of qsim.models.

Nothing here imports qsim.models: these loops restate DESIGN.md sections 3-5 as literally as
possible, so that a test comparing them with the vectorized models is a real cross-check.
They are slow; tests use small shapes.
"""

from __future__ import annotations

from typing import Optional, Sequence


def ref_pack(values: Sequence[int], bits: int, bipolar: bool = False) -> int:
    """One word from its lane values: lane i in bits [(i+1)*bits-1 : i*bits]."""
    word = 0
    for i, v in enumerate(values):
        code = (1 if v == 1 else 0) if bipolar else v % (1 << bits)  # two's complement
        word |= code << (i * bits)
    return word


def ref_mvtu(x: list[int], w: list[list[int]], thresholds: Optional[list[list[int]]],
             act_val: int, bipolar_out: bool, xnor: bool, one_bit_bipolar: bool) -> list[int]:
    """One vector through the MVTU. w is indexed w[i][j] (MW x MH)."""
    mw, mh = len(w), len(w[0])
    out = []
    for j in range(mh):
        acc = 0
        for i in range(mw):
            if xnor:
                xb = (x[i] + 1) // 2 if one_bit_bipolar else x[i]
                wb = (w[i][j] + 1) // 2 if one_bit_bipolar else w[i][j]
                acc += 1 if xb == wb else 0
            else:
                acc += x[i] * w[i][j]
        out.append(acc if thresholds is None else ref_threshold(acc, thresholds[j], act_val,
                                                                 bipolar_out))
    return out


def ref_threshold(v: int, row: list[int], act_val: int, bipolar_out: bool) -> int:
    count = 0
    for t in row:
        if v >= t:
            count += 1
    return 2 * count - 1 if bipolar_out else act_val + count


def ref_im2col(img: list, kernel: tuple[int, int], stride: tuple[int, int],
               dilation: tuple[int, int]) -> list:
    """img[y][x][c] -> out[oy][ox] = flat list in (kh, kw, c) order."""
    h, w, c = len(img), len(img[0]), len(img[0][0])
    out = []
    oy = 0
    while oy * stride[0] + (kernel[0] - 1) * dilation[0] < h:
        row = []
        ox = 0
        while ox * stride[1] + (kernel[1] - 1) * dilation[1] < w:
            win = []
            for a in range(kernel[0]):
                for b in range(kernel[1]):
                    for ch in range(c):
                        win.append(img[oy * stride[0] + a * dilation[0]]
                                   [ox * stride[1] + b * dilation[1]][ch])
            row.append(win)
            ox += 1
        out.append(row)
        oy += 1
    return out


def ref_maxpool(img: list, k: tuple[int, int]) -> list:
    h, w, c = len(img), len(img[0]), len(img[0][0])
    out = []
    for oy in range(h // k[0]):
        row = []
        for ox in range(w // k[1]):
            px = []
            for ch in range(c):
                best = None
                for a in range(k[0]):
                    for b in range(k[1]):
                        v = img[oy * k[0] + a][ox * k[1] + b][ch]
                        best = v if best is None or v > best else best
                px.append(best)
            row.append(px)
        out.append(row)
    return out


class CycleSim:
    """Cycle-by-cycle register-level simulation of the qsim block skeleton.

    State per cycle (what the RTL holds in flops): input-buffer occupancy (``ib_count``),
    words freed so far, the engine's step pointer, and the output register (valid + which
    word). Written as a clocked process: compute this cycle's handshakes from the register
    values and the ports, then update registers at the edge. Independent of the max-plus
    recurrences in qsim.models._schedule.
    """

    def __init__(self, need: list[int], produces: list[bool], frees: list[int], n_in: int,
                 capacity: int, frames: int, offer: list[int], ready: list[bool]):
        self.need, self.produces, self.frees = need, produces, frees
        self.n_in, self.capacity, self.frames = n_in, capacity, frames
        self.offer, self.ready = offer, ready

    def run(self, max_cycles: int = 1_000_000) -> tuple[list[int], list[int]]:
        k_per = len(self.need)
        total_in, total_steps = self.frames * self.n_in, self.frames * k_per
        total_out = self.frames * sum(self.produces)
        accepted: list[int] = []
        transferred: list[int] = []
        accepted_count = 0      # register: words accepted so far
        freed = 0               # register: words freed so far
        step = 0                # register: next engine step
        ob_valid = False        # register: output register holds a word
        for t in range(max_cycles):
            if len(transferred) == total_out and accepted_count == total_in:
                return accepted, transferred
            # -- combinational view of this cycle ---------------------------------------------
            in_ready = accepted_count - freed < self.capacity
            in_valid = accepted_count < total_in and self.offer[accepted_count] <= t
            in_fire = in_ready and in_valid
            out_ready = self.ready[t] if t < len(self.ready) else True
            out_fire = ob_valid and out_ready
            fire = False
            if step < total_steps:
                f, kl = divmod(step, k_per)
                nd = self.need[kl]
                have_input = nd < 0 or f * self.n_in + nd < accepted_count  # accepted earlier
                room = (not self.produces[kl]) or (not ob_valid) or out_ready
                fire = have_input and room
            # -- clock edge -----------------------------------------------------------------
            if in_fire:
                accepted.append(t)
                accepted_count += 1
            if out_fire:
                transferred.append(t)
                ob_valid = False
            if fire:
                kl = step % k_per
                freed += self.frees[kl]
                if self.produces[kl]:
                    ob_valid = True
                step += 1
        raise RuntimeError("reference cycle simulation did not finish")


class ChainSim:
    """Register-level simulation of stages chained stream to stream (same skeleton as
    CycleSim per stage). Each cycle: every stage's handshakes are computed from registers and
    ports (``in_ready`` is a register decode, so there is no combinational loop), then every
    register is updated at the edge."""

    def __init__(self, stages: list[tuple[list[int], list[bool], list[int], int, int, int]],
                 offer: list[int], ready: list[bool]):
        # per stage: (need, produces, frees, n_in, capacity, frames)
        self.stages, self.offer, self.ready = stages, offer, ready

    def run(self, max_cycles: int = 200_000) -> list[list[int]]:
        """Cycle of every word on every link (link 0 = input, last = output)."""
        n = len(self.stages)
        acc = [0] * n          # register: words accepted by stage j
        freed = [0] * n
        step = [0] * n
        ob = [False] * n       # register: output register of stage j holds a word
        totals = [st[5] * len(st[0]) for st in self.stages]
        n_out = [st[5] * sum(st[1]) for st in self.stages]
        total_in = self.stages[0][5] * self.stages[0][3]
        links: list[list[int]] = [[] for _ in range(n + 1)]
        for t in range(max_cycles):
            if len(links[n]) == n_out[-1] and all(step[j] == totals[j] for j in range(n)):
                return links
            in_ready = [acc[j] - freed[j] < self.stages[j][4] for j in range(n)]
            # valid into stage j: the pipeline input or stage j-1's output register
            valid = [acc[0] < total_in and self.offer[acc[0]] <= t] + [ob[j - 1]
                                                                       for j in range(1, n)]
            fire_in = [valid[j] and in_ready[j] for j in range(n)]
            out_ready = self.ready[t] if t < len(self.ready) else True
            fire_out = [ob[j] and (fire_in[j + 1] if j + 1 < n else out_ready) for j in range(n)]
            fire_step = []
            for j, (need, prod, frees, n_in, _cap, frames) in enumerate(self.stages):
                if step[j] >= totals[j]:
                    fire_step.append(False)
                    continue
                f, kl = divmod(step[j], len(need))
                have = need[kl] < 0 or f * n_in + need[kl] < acc[j]
                room = (not prod[kl]) or (not ob[j]) or fire_out[j]
                fire_step.append(have and room)
            for j, (need, prod, frees, *_rest) in enumerate(self.stages):  # clock edge
                if fire_in[j]:
                    links[j].append(t)
                    acc[j] += 1
                if fire_out[j]:
                    ob[j] = False
                    if j + 1 == n:
                        links[n].append(t)
                if fire_step[j]:
                    kl = step[j] % len(need)
                    freed[j] += frees[kl]
                    if prod[kl]:
                        ob[j] = True
                    step[j] += 1
        raise RuntimeError("reference chain simulation did not finish")


class PortsCycleSim:
    """Register-level simulation of the skeleton with several input and output ports.

    Per input port p: its own offer pattern, accepted count and buffer occupancy (registered
    in_ready); per output port q: its own ready pattern and 1-word output register. The engine
    step that needs frame-local word i needs it accepted (in an earlier cycle) on EVERY input
    port and frees ``frees`` slots on every port; a producing step fires only when EVERY
    output register is empty or being emptied this cycle, and then fills all of them.
    """

    def __init__(self, need: list[int], produces: list[bool], frees: list[int], n_in: int,
                 capacity: int, frames: int, offers: list[list[int]],
                 readies: list[list[bool]]):
        self.need, self.produces, self.frees = need, produces, frees
        self.n_in, self.capacity, self.frames = n_in, capacity, frames
        self.offers, self.readies = offers, readies

    def run(self, max_cycles: int = 1_000_000) -> tuple[list[list[int]], list[list[int]]]:
        """(accept cycles per input port, transfer cycles per output port)."""
        n_p, n_q, k_per = len(self.offers), len(self.readies), len(self.need)
        total_in, total_steps = self.frames * self.n_in, self.frames * k_per
        total_out = self.frames * sum(self.produces)
        accepted: list[list[int]] = [[] for _ in range(n_p)]
        transferred: list[list[int]] = [[] for _ in range(n_q)]
        freed, step = 0, 0          # registers shared by the ports (one engine)
        ob = [False] * n_q          # register per output port
        for t in range(max_cycles):
            if all(len(x) == total_out for x in transferred) and step == total_steps:
                return accepted, transferred
            cnt = [len(a) for a in accepted]
            in_fire = [cnt[p] - freed < self.capacity and cnt[p] < total_in
                       and self.offers[p][cnt[p]] <= t for p in range(n_p)]
            out_rdy = [self.readies[q][t] if t < len(self.readies[q]) else True
                       for q in range(n_q)]
            out_fire = [ob[q] and out_rdy[q] for q in range(n_q)]
            fire = False
            if step < total_steps:
                f, kl = divmod(step, k_per)
                nd = self.need[kl]
                have = nd < 0 or all(f * self.n_in + nd < cnt[p] for p in range(n_p))
                room = not self.produces[kl] or all(not ob[q] or out_rdy[q]
                                                    for q in range(n_q))
                fire = have and room
            for p in range(n_p):  # clock edge
                if in_fire[p]:
                    accepted[p].append(t)
            for q in range(n_q):
                if out_fire[q]:
                    transferred[q].append(t)
                    ob[q] = False
            if fire:
                kl = step % k_per
                freed += self.frees[kl]
                if self.produces[kl]:
                    ob = [True] * n_q
                step += 1
        raise RuntimeError("reference multi-port cycle simulation did not finish")
