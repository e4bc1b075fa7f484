"""A stand-in for the fuzz campaign's ``time`` module: real time plus a jump a test double
makes (to put the campaign past its deadline at a chosen moment)."""

from __future__ import annotations

import time


class JumpClock:
    """``monotonic()`` is real time plus ``jump`` seconds."""

    def __init__(self) -> None:
        self.jump = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.jump
