"""The compiled worklist of :func:`qsim.pipeline.engine.simulate_graph`.

Flat int64 arrays, one row of ``shape`` per stage (``steps, n_in, n_out, capacity,
total_steps``); per-stage tables are concatenated with offsets (``k_off`` for per-step tables,
``p_off`` for producing steps, ``f_off`` for free steps). Link ``l`` carries words from stage
``src[l]`` (-1: the graph input, offered by ``offers``) to stage ``dst[l]`` (-1: the graph
output, drained by the ready pattern ``nr``). Stage ``j`` reads the links
``in_links[in_off[j]:in_off[j + 1]]`` (one per input port) and writes the links
``out_links[out_off[j]:out_off[j + 1]]`` (one per output port); every port of a stage follows
the stage's one schedule. ``link_n``/``step_n`` count the times computed so far and are left
where evaluation stopped (a deadlock if short); ``wait`` is left holding, for every node that
did not finish, the neighbour node it is blocked on (nodes: link ``l`` is ``l``, stage ``j`` is
``n_links + j``).

Cursors carry the frame/position arithmetic from one word to the next (no division per word):
``scur[j] = (frame, step in frame)`` of stage j's next step; ``lcur[l] = (frame, rank)`` of the
upstream step producing link l's next word, and ``(frame, position)`` of the downstream input
word whose freeing makes room for it (position < 0: the buffer still has room).

Compiled with numba on first use and cached on disk (``cache=True``); the Python source is the
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
def run_worklist(shape, need, rank, k_off, prod, p_off, free, f_off, src, dst, in_off,
                 in_links, out_off, out_links, offers, nr, links, link_off, link_n, steps,
                 step_off, step_n, wait):
    """Advance links and stages until nothing moves (done or deadlocked).

    A link's times depend on its source stage (which produces its words) and its destination
    stage (whose input buffer must have room); a stage's on its input links (the word each
    step needs, on every port) and its output links (room in each output register). A node
    that cannot advance is blocked on exactly one neighbour (the first operand it lacks), and
    only that neighbour's progress can unblock it. So when a node advances, the neighbours
    blocked on it go on a stack (once); evaluation ends when the stack is empty, with every
    node blocked or finished. The work is linear in the number of events.

    One function body on purpose: numba reference-counts arrays passed to helper functions
    (an atomic increment and decrement per array per call), which cost 3x the evaluation;
    helpers take scalars only.
    """
    n_st = shape.shape[0]
    n_ln = src.shape[0]
    n_nodes = n_ln + n_st
    n_nr = nr.shape[0]
    scur = np.zeros((n_st, 2), dtype=np.int64)
    lcur = np.zeros((n_ln, 4), dtype=np.int64)
    for li in range(n_ln):
        if dst[li] >= 0:
            lcur[li, 3] = -shape[dst[li], 3]  # the first `capacity` words need no freed slot
    stack = np.empty(n_nodes, dtype=np.int64)
    queued = np.ones(n_nodes, dtype=np.bool_)
    for i in range(n_nodes):
        wait[i] = -1
        stack[i] = n_nodes - 1 - i  # link 0 on top
    top = n_nodes
    while top > 0:
        top -= 1
        node = stack[top]
        queued[node] = False
        blocked = -1
        if node < n_ln:
            # link li: word m moves once upstream produced it, one cycle after word m - 1,
            # and once the downstream input buffer has room (or the output is ready)
            li = node
            up, down = src[li], dst[li]
            base, total = link_off[li], link_off[li + 1] - link_off[li]
            m = link_n[li]
            start = m
            uf, ur, df, dp = lcur[li, 0], lcur[li, 1], lcur[li, 2], lcur[li, 3]
            u_k = shape[up, 0] if up >= 0 else 0
            u_out = shape[up, 2] if up >= 0 else 1
            u_pb = p_off[up] if up >= 0 else 0
            u_sb = step_off[up] if up >= 0 else 0
            u_n = step_n[up] if up >= 0 else 0
            last = down < 0
            d_k = shape[down, 0] if not last else 0
            d_in = shape[down, 1] if not last else 1
            d_fb = f_off[down] if not last else 0
            d_sb = step_off[down] if not last else 0
            d_n = step_n[down] if not last else 0
            prev = links[base + m - 1] + 1 if m > 0 else 0
            while m < total:
                if up < 0:
                    t = offers[m]
                else:
                    k = uf * u_k + prod[u_pb + ur]
                    if k >= u_n:
                        blocked = n_ln + up
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
                        blocked = n_ln + down
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
            # arrived on every input port, and (if it produces) once every output register
            # is free
            j = node - n_ln
            K, n_in, n_out, total = shape[j, 0], shape[j, 1], shape[j, 2], shape[j, 4]
            sb, kb = step_off[j], k_off[j]
            i0, i1, o0, o1 = in_off[j], in_off[j + 1], out_off[j], out_off[j + 1]
            k = step_n[j]
            start = k
            f, kl = scur[j, 0], scur[j, 1]
            t_prev = steps[sb + k - 1] if k > 0 else -1
            while k < total:
                t = t_prev + 1
                nd = need[kb + kl]
                if nd >= 0:
                    gi = f * n_in + nd
                    for q in range(i0, i1):
                        ln = in_links[q]
                        if gi >= link_n[ln]:
                            blocked = ln
                            break
                        if links[link_off[ln] + gi] + 1 > t:
                            t = links[link_off[ln] + gi] + 1
                    if blocked >= 0:
                        break
                r = rank[kb + kl]
                if r > 0 or (r == 0 and f > 0):
                    m = f * n_out + r
                    for q in range(o0, o1):
                        ln = out_links[q]
                        if m - 1 >= link_n[ln]:
                            blocked = ln
                            break
                        if links[link_off[ln] + m - 1] > t:
                            t = links[link_off[ln] + m - 1]
                    if blocked >= 0:
                        break
                steps[sb + k] = t
                t_prev = t
                k += 1
                kl, f = _next(kl, f, K)
            step_n[j] = k
            scur[j, 0], scur[j, 1] = f, kl
            moved = k > start
        wait[node] = blocked
        if moved:
            # wake the neighbours blocked on this node; downstream on top, so words are chased
            # forward first (~20% fewer visits on CNV than upstream first)
            if node < n_ln:
                for nb in (n_ln + src[node], n_ln + dst[node]):
                    if nb >= n_ln and wait[nb] == node and not queued[nb]:
                        queued[nb] = True
                        stack[top] = nb
                        top += 1
            else:
                j = node - n_ln
                for q in range(in_off[j], in_off[j + 1] + out_off[j + 1] - out_off[j]):
                    nb = in_links[q] if q < in_off[j + 1] else out_links[
                        out_off[j] + q - in_off[j + 1]]
                    if wait[nb] == node and not queued[nb]:
                        queued[nb] = True
                        stack[top] = nb
                        top += 1
