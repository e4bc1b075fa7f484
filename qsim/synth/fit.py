"""Fit check: do a design's resources fit a board with headroom to spare?

Every resource used must stay within ``budget * (1 - headroom)``; block RAM counts as
BRAM36 + BRAM18 / 2 against the board's BRAM36. A design whose analytic estimate needs more
than :data:`ESTIMATE_REFUSAL` times a whole board is refused without synthesis (yosys would
take very long on it); otherwise the yosys counts decide (docs/synth.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from qsim.errors import ConfigError
from qsim.synth.boards import Board
from qsim.synth.counts import Resources
from qsim.synth.estimate import estimate

__all__ = ["ESTIMATE_REFUSAL", "Excess", "FitResult", "check_headroom", "design_estimate",
           "estimate_refusal", "excess", "fit"]

#: An estimate above this multiple of the whole board is refused without synthesis.
ESTIMATE_REFUSAL = 2.0


@dataclass(frozen=True)
class Excess:
    """One resource over its limit."""

    resource: str
    used: float
    limit: float
    budget: float

    def __str__(self) -> str:
        return (f"{self.resource}: {self.used:,.1f} used > {self.limit:,.1f} allowed "
                f"({self.budget:,.0f} on the board minus headroom), {self.used - self.limit:,.1f}"
                f" over")


@dataclass(frozen=True)
class FitResult:
    """The verdict, the counts it is based on and their source."""

    board: str
    headroom: float
    used: Resources
    source: str
    over: tuple[Excess, ...]

    @property
    def fits(self) -> bool:
        return not self.over

    def summary(self) -> str:
        if self.fits:
            return (f"fits {self.board} with {self.headroom:.0%} headroom ({self.source}: "
                    + ", ".join(f"{k} {v:,.1f}" for k, v in self.used.used().items()) + ")")
        return (f"does not fit {self.board} with {self.headroom:.0%} headroom ({self.source}): "
                + "; ".join(str(e) for e in self.over))

    def to_json(self) -> dict[str, Any]:
        return {"board": self.board, "headroom": self.headroom, "fits": self.fits,
                "source": self.source, "used": self.used.used(),
                "over": [{"resource": e.resource, "used": e.used, "limit": e.limit,
                          "budget": e.budget} for e in self.over]}


def check_headroom(headroom: float) -> float:
    """``headroom`` if 0 <= headroom < 1, else ConfigError."""
    if not 0.0 <= headroom < 1.0:
        raise ConfigError(f"headroom={headroom!r} must be in [0, 1)")
    return headroom


def excess(used: Resources | Mapping[str, float], board: Board,
           headroom: float) -> tuple[Excess, ...]:
    """The resources of ``used`` (counts, or :meth:`Resources.used` as recorded in a
    manifest) over ``board``'s budget times (1 - headroom)."""
    check_headroom(headroom)
    values = used.used() if isinstance(used, Resources) else used
    out = []
    for name, budget in board.budget().items():
        limit = budget * (1.0 - headroom)
        value = float(values.get(name, 0.0))
        if value > limit:
            out.append(Excess(name, value, limit, budget))
    return tuple(out)


def design_estimate(design: Any) -> Resources:
    """Sum of the layers' analytic estimates."""
    total = Resources()
    for la in design.layers:
        total = total + (estimate(la.block) or Resources())
    return total


def fit(used: Resources, source: str, board: Board, headroom: float) -> FitResult:
    """The fit verdict of counts ``used`` (from ``source``) on ``board``."""
    return FitResult(board.name, headroom, used, source, excess(used, board, headroom))


def estimate_refusal(design: Any, board: Board, headroom: float) -> FitResult | None:
    """A refusing FitResult when the estimate needs more than ESTIMATE_REFUSAL boards; None
    when synthesis must decide."""
    est = design_estimate(design)
    used = est.used()
    if not any(used[k] > ESTIMATE_REFUSAL * b for k, b in board.budget().items()):
        return None
    return fit(est, f"analytic estimate, over {ESTIMATE_REFUSAL:g}x the board", board, headroom)
