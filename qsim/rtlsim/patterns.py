"""Valid/ready patterns for streaming tests: idle upstream and stalling downstream.

A pattern turns into, per instance, the earliest offer cycle of each input word (the upstream
holds valid from then until the word is accepted) and a downstream ready bit per cycle (cycles
past the end are ready), exactly the inputs of the Python cycle models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_PATTERNS", "Pattern"]


@dataclass(frozen=True)
class Pattern:
    """Random idle/stall pattern.

    Parameters
    ----------
    name
        Label used in messages.
    p_idle
        Probability that the upstream idles one more cycle before offering each word.
    p_stall
        Probability that the downstream is not ready in a cycle.
    burst
        Length of long stall bursts (0: none): the upstream idles and the downstream stalls
        for ``burst`` cycles at random points, about once every ``4 * burst`` cycles.
    """

    name: str
    p_idle: float = 0.0
    p_stall: float = 0.0
    burst: int = 0

    def offers(self, n_in: int, rng: np.random.Generator) -> list[int]:
        """Earliest offer cycle of each of ``n_in`` input words (non-decreasing)."""
        gaps = rng.geometric(1.0 - self.p_idle, n_in) - 1 if self.p_idle else np.zeros(n_in, int)
        if self.burst:
            hit = rng.random(n_in) < 1.0 / (4 * self.burst)
            gaps = gaps + np.where(hit, self.burst, 0)
        return np.cumsum(gaps).astype(int).tolist()

    def ready(self, horizon: int, rng: np.random.Generator) -> list[bool]:
        """Downstream ready for cycles 0..horizon-1."""
        r = rng.random(horizon) >= self.p_stall
        if self.burst:
            for start in range(int(rng.integers(0, 2 * self.burst + 1)), horizon, 4 * self.burst):
                r[start:start + self.burst] = False
        return [bool(v) for v in r]


#: The sweep every streaming test runs: none, random idle/stall 0.3 and 0.5, long bursts.
DEFAULT_PATTERNS: tuple[Pattern, ...] = (
    Pattern("none"),
    Pattern("p0.3", p_idle=0.3, p_stall=0.3),
    Pattern("p0.5", p_idle=0.5, p_stall=0.5),
    Pattern("bursts", p_idle=0.1, p_stall=0.1, burst=40),
)
