"""Shared checks of the graph blocks' cycle models against the register-level reference."""

from __future__ import annotations

from typing import Any

from ._ref import PortsCycleSim


def reference_ports(cfg: Any, frames: int, offers: list[list[int]],
                    readies: list[list[bool]]) -> tuple[list[list[int]], list[list[int]]]:
    """(accept cycles per input port, transfer cycles per output port) of PortsCycleSim."""
    s = cfg.schedule
    sim = PortsCycleSim(s.need.tolist(), s.produces.tolist(), s.frees.tolist(), s.n_in,
                        s.capacity, frames, offers, readies)
    return sim.run()


def check_cycles(cfg: Any, frames: int, offer: Any = None, ready: Any = None) -> None:
    """cfg.cycles equals the reference with the same offer/ready pattern on every port."""
    offer_l = [0] * (frames * cfg.in_words) if offer is None else list(offer)
    ready_l = [] if ready is None else list(ready)
    acc, xfr = reference_ports(cfg, frames, [offer_l] * cfg.in_ports, [ready_l] * cfg.out_ports)
    tr = cfg.cycles(frames, offer=offer, ready=ready)
    for p in range(cfg.in_ports):
        assert tr.accept.tolist() == acc[p], f"input port {p}"
    for q in range(cfg.out_ports):
        assert tr.transfer.tolist() == xfr[q], f"output port {q}"


def check_stall_free(cfg: Any, frames: int) -> None:
    """stall_free() equals the reference's cycles (always offered, always ready)."""
    _acc, xfr = reference_ports(cfg, frames, [[0] * (frames * cfg.in_words)] * cfg.in_ports,
                                [[]] * cfg.out_ports)
    sf = cfg.stall_free()
    assert xfr[0][0] == sf.latency
    assert xfr[0][-1] + 1 == sf.cycles(frames) == cfg.cycles(frames).cycles
