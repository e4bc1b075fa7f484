"""Greedy shrinking of a failing config found by ``qsim fuzz --batch``.

A batch isolates a failing config (and the inputs it failed on) but that config is as large as
the generator made it. :func:`shrink` walks toward smaller configs, one change at a time, and
keeps a candidate only when the failing level still fails on it (each candidate re-checked by
the caller's ``check``, e.g. a one-config cppsim or rtlsim bench), restarting from every kept
candidate until none fails or the budget is spent. Candidates, smallest first:

1. fewer frames (each input frame on its own),
2. folding: ``pe`` / ``simd`` down to 1,
3. shapes: MVTU ``mh`` and ``mw`` (weight columns/rows, threshold rows and input elements
   cut to match), ``channels`` (thresholds and input channels cut), ``ifm_dim`` (input image
   cropped); FIFO ``depth``/``width``, width-converter widths (ratio kept, then smaller),
4. datatypes: ``idt`` (``wdt``) down to the narrowest INTn/UINTn holding the inputs (weights).

Candidates the config checks reject (a folding that no longer divides, ...) are skipped
without a check.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

import numpy as np

from qsim.errors import QsimError
from qsim.models._block import Block, smallest_int_type
from qsim.models._dtypes import name

__all__ = ["Shrunk", "shrink"]

#: check(config, inputs) -> the problem when the config still fails, else None.
Check = Callable[[Any, np.ndarray], Optional[str]]
Candidate = tuple[str, Any, np.ndarray]


@dataclass
class Shrunk:
    """The smallest failing config found, its inputs and problem, and what it took."""

    cfg: Any
    x: np.ndarray
    why: str
    steps: list[str] = field(default_factory=list)
    checks: int = 0
    seconds: float = 0.0


def shrink(cfg: Any, x: np.ndarray, why: str, check: Check, max_checks: int = 24,
           max_seconds: float = 300.0) -> Shrunk:
    """Shrink the failing ``cfg`` (inputs ``x``, problem ``why``) while ``check`` still
    reports a problem, within ``max_checks`` checks and ``max_seconds``."""
    best = Shrunk(cfg, x, why)
    t0 = time.monotonic()
    improved = True
    while improved:
        improved = False
        for label, cand, xc in _candidates(best.cfg, best.x):
            if best.checks >= max_checks or time.monotonic() - t0 >= max_seconds:
                break
            best.checks += 1
            problem = check(cand, xc)
            if problem is not None:
                best.cfg, best.x, best.why = cand, xc, problem
                best.steps.append(label)
                improved = True
                break
    best.seconds = round(time.monotonic() - t0, 1)
    return best


def _candidates(cfg: Any, x: np.ndarray) -> Iterator[Candidate]:
    if not isinstance(cfg, Block):
        yield from _glue(cfg, x)
        return
    if x.shape[0] > 1:
        for i in range(x.shape[0]):
            yield f"frame {i} only", cfg, x[i:i + 1]
    for fname in ("pe", "simd"):
        for v in range(1, int(getattr(cfg, fname, 1))):
            yield from _valid(f"{fname}={v}", cfg, {fname: v}, x)
    if cfg.in_ports == 1:
        yield from _shapes(cfg, x)
    yield from _types(cfg, x)


def _valid(label: str, cfg: Block, changes: dict[str, Any], x: np.ndarray) -> Iterator[
        Candidate]:
    """The candidate ``cfg`` with ``changes`` and inputs ``x``, if the config and the inputs
    pass its checks."""
    d = {**cfg.to_dict(), **changes}
    if getattr(cfg, "thresholds", "") is None and "odt" in d:
        d["odt"] = None  # an accumulator output: its type follows the new range
    try:
        cand = type(cfg).from_dict(d)
        cand._check_input(x)
    except (QsimError, ValueError, TypeError):
        return
    yield label, cand, x


def _shapes(cfg: Block, x: np.ndarray) -> Iterator[Candidate]:
    d = cfg.to_dict()
    t = None if d.get("thresholds") is None else np.asarray(d["thresholds"])
    if "mh" in d:  # MVTU: weights (mw, mh), thresholds (mh, S), input (..., mw)
        w = np.asarray(d["weights"])
        for v in range(1, d["mh"]):
            ch = {"mh": v, "weights": w[:, :v], **({} if t is None else {"thresholds": t[:v]})}
            yield from _valid(f"mh={v}", cfg, ch, x)
        for v in range(1, d["mw"]):
            yield from _valid(f"mw={v}", cfg, {"mw": v, "weights": w[:v]}, x[..., :v])
    if "channels" in d:  # channels last: thresholds (C, S), input (..., C)
        for v in range(1, d["channels"]):
            ch = {"channels": v, **({} if t is None else {"thresholds": t[:v]})}
            yield from _valid(f"channels={v}", cfg, ch, x[..., :v])
    if "ifm_dim" in d and x.ndim == 4:  # (N, H, W, C): crop the image
        h, w_ = (d["ifm_dim"], d["ifm_dim"]) if isinstance(d["ifm_dim"], int) else d["ifm_dim"]
        for hv, wv in [(v, w_) for v in range(1, h)] + [(h, v) for v in range(1, w_)]:
            yield from _valid(f"ifm_dim=({hv}, {wv})", cfg, {"ifm_dim": [hv, wv]},
                              x[:, :hv, :wv, :])


def _types(cfg: Block, x: np.ndarray) -> Iterator[Candidate]:
    """``idt`` (and an MVTU's ``wdt``) down to the narrowest type holding their values."""
    if getattr(cfg, "binary_xnor", False):
        return
    values = {"idt": x}
    if getattr(cfg, "weights", None) is not None:
        values["wdt"] = np.asarray(cfg.weights)
    for fname, v in values.items():
        now = getattr(cfg, fname, None)
        if now is None or v.size == 0 or name(now) in ("BIPOLAR", "BINARY"):
            continue
        narrow = smallest_int_type(int(v.min()), int(v.max()))
        if narrow.bitwidth() < now.bitwidth():
            yield from _valid(f"{fname}={name(narrow)}", cfg, {fname: name(narrow)}, x)


def _glue(cfg: Any, x: np.ndarray) -> Iterator[Candidate]:
    """A FIFO's depth and width, a width converter's narrow side (ratio kept), then ratio."""
    fields = {f.name for f in dataclasses.fields(cfg)}
    if {"depth", "width"} <= fields:
        for fname in ("depth", "width"):
            for v in range(1, getattr(cfg, fname)):
                yield f"{fname}={v}", dataclasses.replace(cfg, **{fname: v}), x
    elif {"in_width", "out_width"} <= fields:
        lo, hi = sorted((cfg.in_width, cfg.out_width))
        up = cfg.in_width < cfg.out_width
        shapes = [(n, hi // lo) for n in range(1, lo)] + [(lo, r) for r in range(1, hi // lo)]
        for n, r in shapes:
            iw, ow = (n, n * r) if up else (n * r, n)
            try:
                yield f"in_width={iw}, out_width={ow}", dataclasses.replace(
                    cfg, in_width=iw, out_width=ow), x
            except (QsimError, ValueError):
                continue
