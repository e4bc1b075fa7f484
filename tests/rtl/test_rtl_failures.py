"""The RTL checks catch what they claim to: a wrong output word and a wrong cycle each raise
MismatchError naming the block, word, lane, values, cycle and a VCD waveform that exists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

import numpy as np
import numpy.typing as npt
import pytest

from qsim.errors import MismatchError
from qsim.models import CycleTrace, Schedule, simulate
from qsim.pipeline import DataWidthConverter, Fifo
from qsim.rtlsim import Pattern, verify_rtl

pytestmark = pytest.mark.rtlsim

CFGS = [Fifo(depth=2, width=6, name="f0"), DataWidthConverter(in_width=8, out_width=4,
                                                              name="d0")]
PATTERNS = (Pattern("p0.3", p_idle=0.3, p_stall=0.3),)


def _waveform(msg: str) -> Path:
    found = re.search(r"waveform: '([^']+)'", msg)
    assert found, msg
    return Path(found.group(1))


def test_wrong_word_is_reported_with_lane_and_waveform(monkeypatch: pytest.MonkeyPatch) -> None:
    good = DataWidthConverter.transform

    def corrupt(self: DataWidthConverter, words: Any) -> list[int]:
        out = good(self, words)
        out[3] ^= 0b0100
        return out

    monkeypatch.setattr(DataWidthConverter, "transform", corrupt)
    with pytest.raises(MismatchError, match=r"DataWidthConverter 'd0' \(instance i1\), run "
                       r"'p0.3': output word 3 lane 0: expected 0x[0-9a-f]+ got 0x[0-9a-f]+ "
                       r"\(word expected .*\) at cycle \d+") as exc:
        verify_rtl(CFGS, frames=3, patterns=PATTERNS)
    assert _waveform(str(exc.value)).is_file()


def test_wrong_cycle_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def deeper(self: Fifo, frames: int, offer: Optional[npt.ArrayLike] = None,
               ready: Optional[npt.ArrayLike] = None) -> CycleTrace:
        s = self.schedule
        wrong = Schedule(n_in=1, n_out=1, need=s.need, produces=s.produces, frees=s.frees,
                         capacity=self.depth + 1)
        return simulate(wrong, frames, offer, ready)

    monkeypatch.setattr(Fifo, "cycles", deeper)
    stall = (Pattern("stall", p_stall=0.9),)
    with pytest.raises(MismatchError, match=r"Fifo 'f0' \(instance i0\), run 'stall': (accept|"
                       r"transfer) of word \d+ at cycle \d+, cycle model says \d+"):
        verify_rtl(CFGS, frames=12, patterns=stall)


def test_models_agree_without_faults() -> None:
    report = verify_rtl(CFGS, frames=12, patterns=PATTERNS + (Pattern("none"),))
    assert report.instances == 2 and report.cycles > 0
    assert np.isfinite(report.sim_seconds)


@pytest.mark.parametrize("watchdog", [50, None], ids=["quiet", "cycle-limit"])
def test_stalled_core_raises_with_its_port_state(monkeypatch: pytest.MonkeyPatch,
                                                 watchdog: Optional[int]) -> None:
    """The bench expects one output word more than the FIFO makes: the watchdog (or, with
    the default watchdog, the cycle limit) stops the run and names the core and its ports."""
    from qsim.errors import SimulationError
    from qsim.rtlsim import check
    from qsim.rtlsim.build import DEFAULT_CACHE

    if watchdog is not None:
        monkeypatch.setattr(check, "_watchdog", lambda insts: watchdog)
    rng = np.random.default_rng(3)
    cfg = CFGS[0]
    words, out = check.random_vectors(cfg, 4, rng)
    inst = check._Instance(cfg, 4, [words], [out + [0]])
    why = "no word moved for 50 cycles" if watchdog else "cycle limit"
    with pytest.raises(SimulationError, match=rf"(?s)liveness watchdog: run 'none': {why}.*"
                                              r"f0.*instance i0\) stalled at its output: "
                                              r"valid=0.*after 4 of 4 words.*after 4 of 5 "
                                              r"words.*waveform: '"):
        check._run_instances([inst], [Pattern("none")], rng, DEFAULT_CACHE)


def test_sv_assertion_is_reported_with_text_instance_run_and_cycle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The MVTU's accumulator range assertion armed one short of the real range [0, 15]:
    the error names the assertion text, block, instance, run and cycle (input word 0
    accepted at cycle 0, steps (0, 0), (0, 1), (0, 2) at cycles 1, 2, 3: the sum reaches 15
    at tile 2, cycle 3)."""
    from qsim.errors import SimulationError
    from qsim.rtlsim import svgen
    from qsim.rtlsim._corespec import SvParam
    from qsim.rtlsim.check import run_rtl
    from qsim.verify.corners import corner_inputs
    from qsim.verify.edge_configs import type_boundary_set

    monkeypatch.setattr(svgen, "_acc_check", lambda cfg: (
        SvParam("ACC_CHECK", 1, "bit", ""), SvParam("ACC_MIN", 0, "int", ""),
        SvParam("ACC_MAX", 14, "int", "")))
    cfg = type_boundary_set()[0]
    assert cfg.acc_range == (0, 15)
    with pytest.raises(SimulationError, match=r"SV assertion failed in MVTU 'acc_uint4_full' "
                       r"\(instance i0, qsim_bench\.u_i0\.u_core\.gen_check_acc\.gen_pe_acc\[0\]"
                       r"\), run 'none', cycle 3: qsim_mvtu accumulator: PE 0 value 15 outside "
                       r"\[0, 14\] at step nf=0 sf=2 tile=2 \[qsim_mvtu\.sv:\d+\]"):
        run_rtl([cfg], [corner_inputs(cfg)])


def test_sv_assertion_under_the_native_harness_is_reported_with_its_text_and_instance(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same armed assertion under the native per-layer harness: Verilator prints it on
    stdout, and the error carries its text, the block, the instance and the source line (it
    used to show only the empty stderr)."""
    from qsim.errors import SimulationError
    from qsim.rtlsim import svgen
    from qsim.rtlsim._corespec import SvParam
    from qsim.rtlsim.native_bench import run_rtl_native
    from qsim.verify.corners import corner_inputs
    from qsim.verify.edge_configs import type_boundary_set

    monkeypatch.setattr(svgen, "_acc_check", lambda cfg: (
        SvParam("ACC_CHECK", 1, "bit", ""), SvParam("ACC_MIN", 0, "int", ""),
        SvParam("ACC_MAX", 14, "int", "")))
    cfg = type_boundary_set()[0]
    with pytest.raises(SimulationError, match=r"(?s)native per-layer bench failed.*SV assertion "
                       r"failed in MVTU 'acc_uint4_full' \(instance i0, .*\).*qsim_mvtu "
                       r"accumulator: PE 0 value 15 outside \[0, 14\] .*\[qsim_mvtu\.sv:\d+\]"
                       r".*harness output: '"):
        run_rtl_native([cfg], [corner_inputs(cfg)])
