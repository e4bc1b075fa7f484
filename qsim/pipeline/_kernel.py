"""The compiled worklist of :func:`qsim.pipeline.engine.simulate_pipeline`.

Flat int64 arrays, one row of ``shape`` per stage (``steps, n_in, n_out, capacity,
total_steps``); per-stage tables are concatenated with offsets (``k_off`` for per-step tables,
``p_off`` for producing steps, ``f_off`` for free steps). Link ``l`` carries words into stage
``l`` (link 0 is the pipeline input, the last link its output); ``link_n``/``step_n`` count
the times computed so far and are left where evaluation stopped (a deadlock if short).
Cursors carry the frame/position arithmetic from one word to the next (no division per word):
``scur[j] = (frame, step in frame)`` of stage j's next step; ``lcur[l] = (frame, rank)`` of the
upstream step producing link l's next word, and ``(frame, position)`` of the downstream input
word whose freeing makes room for it (position < 0: the buffer still has room).

Compiled with numba on first use and cached on disk (``cache=False``); the Python source is the
specification and runs unchanged with ``NUMBA_DISABLE_JIT=1``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["run_worklist"]


@njit(cache=True, nogil=True, inline="always")
def _next(pos, frame, period):
    """Cursor after ``(pos, frame)``: one position on, wrapping to the next frame (scalars
    only, so inlining costs no reference counting)."""
    pos += 1
    if pos == period:
        return 0, frame + 1
    return pos, frame


@njit(cache=True, nogil=True)
def run_worklist(shape, need, rank, k_off, prod, p_off, free, f_off, offers, nr, links,
                 link_off, link_n, steps, step_off, step_n):
    """Advance links and stages until nothing moves (done or deadlocked).

    Node ``2l`` is link ``l``, node ``2j + 1`` stage ``j``: a node's times depend only on its
    two neighbours (a link on the stage before it, which produces its words, and the stage
    after it, whose input buffer must have room; a stage on its input link and, for output
    register room, its output link). A node that cannot advance is blocked on exactly one
    neighbour (the first operand it lacks), and only that neighbour's progress can unblock it.
    So when a node advances, the neighbours blocked on it go on a stack (once); evaluation
    ends when the stack is empty, with every node blocked or finished. A visit computes
    times or finds its operand still missing (85% of the 2.2 M visits on 10 CNV frames
    compute at least one time): the work is linear in the number of events.

    One function body on purpose: numba reference-counts arrays passed to helper functions
    (an atomic increment and decrement per array per call), which cost 3x the evaluation;
    helpers take scalars only.
    """
    n_st = shape.shape[0]
    n_nodes = 2 * n_st + 1
    n_nr = nr.shape[0]
    scur = np.zeros((n_st, 2), dtype=np.int64)
    lcur = np.zeros((n_st + 1, 4), dtype=np.int64)
    for li in range(n_st):
        lcur[li, 3] = -shape[li, 3]  # the first `capacity` words need no freed slot
    stack = np.empty(n_nodes, dtype=np.int64)
    queued = np.ones(n_nodes, dtype=np.bool_)
    wait = np.full(n_nodes, -1, dtype=np.int64)  # the neighbour a blocked node waits for
    for i in range(n_nodes):
        stack[i] = n_nodes - 1 - i  # node 0 (the pipeline input) on top
    top = n_nodes
    while top > 0:
        top -= 1
        node = stack[top]
        queued[node] = False
        if node % 2 == 0:
            # link li: word m moves once upstream produced it, one cycle after word m - 1,
            # and once the downstream input buffer has room (or the output is ready)
            li = node // 2
            up, down = li - 1, li
            base, total = link_off[li], link_off[li + 1] - link_off[li]
            m = link_n[li]
            start = m
            uf, ur, df, dp = lcur[li, 0], lcur[li, 1], lcur[li, 2], lcur[li, 3]
            u_k = shape[up, 0] if up >= 0 else 0
            u_out = shape[up, 2] if up >= 0 else 1
            u_pb = p_off[up] if up >= 0 else 0
            u_sb = step_off[up] if up >= 0 else 0
            u_n = step_n[up] if up >= 0 else 0
            last = down >= n_st
            d_k = shape[down, 0] if not last else 0
            d_in = shape[down, 1] if not last else 1
            d_fb = f_off[down] if not last else 0
            d_sb = step_off[down] if not last else 0
            d_n = step_n[down] if not last else 0
            prev = links[base + m - 1] + 1 if m > 0 else 0
            waits = 0
            while m < total:
                if up < 0:
                    t = offers[m]
                else:
                    k = uf * u_k + prod[u_pb + ur]
                    if k >= u_n:
                        waits = -1
                        break
                    t = steps[u_sb + k] + 1
                if prev > t:
                    t = prev
                if last:
                    if t < n_nr:
                        t = nr[t]
                elif dp >= 0:
                    k = df * d_k + free[d_fb + dp]
                    if k >= d_n:
                        waits = 1
                        break
                    if steps[d_sb + k] + 1 > t:
                        t = steps[d_sb + k] + 1
                links[base + m] = t
                prev = t + 1
                m += 1
                ur, uf = _next(ur, uf, u_out)
                dp, df = _next(dp, df, d_in)
            link_n[li] = m
            lcur[li, 0], lcur[li, 1], lcur[li, 2], lcur[li, 3] = uf, ur, df, dp
            moved = m > start
        else:
            # stage j: step k fires one cycle after step k - 1, after the input word it needs
            # arrived, and (if it produces) once its output register is free
            j = node // 2
            K, n_in, n_out, total = shape[j, 0], shape[j, 1], shape[j, 2], shape[j, 4]
            sb, ib, ob, kb = step_off[j], link_off[j], link_off[j + 1], k_off[j]
            in_n, out_n = link_n[j], link_n[j + 1]
            k = step_n[j]
            start = k
            f, kl = scur[j, 0], scur[j, 1]
            t_prev = steps[sb + k - 1] if k > 0 else -1
            waits = 0
            while k < total:
                t = t_prev + 1
                nd = need[kb + kl]
                if nd >= 0:
                    gi = f * n_in + nd
                    if gi >= in_n:
                        waits = -1
                        break
                    if links[ib + gi] + 1 > t:
                        t = links[ib + gi] + 1
                r = rank[kb + kl]
                if r > 0 or (r == 0 and f > 0):
                    m = f * n_out + r
                    if m - 1 >= out_n:
                        waits = 1
                        break
                    if links[ob + m - 1] > t:
                        t = links[ob + m - 1]
                steps[sb + k] = t
                t_prev = t
                k += 1
                kl, f = _next(kl, f, K)
            step_n[j] = k
            scur[j, 0], scur[j, 1] = f, kl
            moved = k > start
        wait[node] = node + waits if waits else -1
        if moved:
            # wake the neighbours blocked on this node; downstream on top, so words are chased
            # forward first (~20% fewer visits on CNV than upstream first)
            for nb in (node - 1, node + 1):
                if 0 <= nb < n_nodes and wait[nb] == node and not queued[nb]:
                    queued[nb] = True
                    stack[top] = nb
                    top += 1
