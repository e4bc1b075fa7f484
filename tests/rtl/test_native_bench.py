"""The per-layer bench under the native harness: the same results and checks as under cocotb,
multi-port cores included, and failures reported the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import qsim.rtlsim.native_bench as nb
import qsim.rtlsim.native_layers as nl
from qsim.errors import SimulationError
from qsim.models import MVTU, AddStreams, DuplicateStreams, FMPadding, MaxPool
from qsim.rtlsim.check import run_rtl
from qsim.rtlsim.patterns import DEFAULT_PATTERNS

pytestmark = pytest.mark.rtlsim

_RNG = np.random.default_rng(0)
CFGS = [
    MVTU(mw=8, mh=4, pe=2, simd=4, idt="INT4", wdt="INT4", weights=_RNG.integers(-8, 8, (8, 4)),
         name="fc"),
    AddStreams(channels=4, pe=2, idt="INT4", name="add"),                      # two inputs
    DuplicateStreams(channels=4, pe=2, idt="INT4", n_outputs=3, name="dup"),   # three outputs
    FMPadding(ifm_dim=(3, 2), channels=4, padding=(1, 0, 2, 1), simd=2, idt="INT3",
              name="pad"),                                                     # eager: hold
    MaxPool(ifm_dim=4, channels=4, kernel=2, pe=2, idt="INT4", name="mp"),
]


def _inputs() -> list[Any]:
    rng = np.random.default_rng(1)
    return [rng.integers(-8, 8, (5, 8)),
            [rng.integers(-8, 8, (6, 4)), rng.integers(-8, 8, (6, 4))],
            rng.integers(-8, 8, (6, 4)), rng.integers(-4, 4, (3, 3, 2, 4)),
            rng.integers(-8, 8, (2, 4, 4, 4))]


def test_native_equals_cocotb_and_the_models() -> None:
    """Every pattern: no problem (words, accept and transfer cycles of every port equal the
    models), and the very same words and cycles as the cocotb driver on the same bench."""
    native = nb.run_rtl_native(CFGS, _inputs(), patterns=DEFAULT_PATTERNS, seed=3)
    cocotb = run_rtl(CFGS, _inputs(), patterns=DEFAULT_PATTERNS, seed=3)
    assert native.problems == [] and cocotb.problems == []
    assert native.words == cocotb.words and native.transfer == cocotb.transfer
    assert native.accept == cocotb.accept and native.report.cycles == cocotb.report.cycles
    want = CFGS[0].pack_output(CFGS[0](_inputs()[0]))
    assert native.words[0] == want  # independent of both drivers' comparison


def test_every_duplicate_port_is_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong word on output port 2 of DuplicateStreams and a late transfer on the MVTU are
    reported with the instance, port, word and cycle."""
    real = nb._read_run

    def corrupt(d: Path, insts: Any, name: str) -> dict[str, Any]:
        res = real(d, insts, name)
        res["instances"][2]["out_ports"][2]["words"][1] ^= 0b100_0000  # bit 6: lane 1
        res["instances"][0]["out_ports"][0]["transfer"][0] += 1
        return res

    monkeypatch.setattr(nb, "_read_run", corrupt)
    monkeypatch.setattr(nb, "_waveform", lambda *a: (None, "(no waveform in this test)"))
    run = nb.run_rtl_native(CFGS, _inputs())
    assert any(p.startswith("DuplicateStreams 'dup' (instance i2), run 'none': output 2 "
                            "word 1 lane 1") for p in run.problems), run.problems
    assert any("MVTU 'fc' (instance i0), run 'none': transfer of word 0 at cycle" in p
               for p in run.problems), run.problems


def test_a_stuck_run_names_the_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    real = nb._plan

    def short(*a: Any, **k: Any) -> dict[str, Any]:
        plan = real(*a, **k)
        plan["runs"][0]["timeout"] = 5  # far below what the layers need
        return plan

    monkeypatch.setattr(nb, "_plan", short)
    monkeypatch.setattr(nb, "_waveform", lambda *a: (None, "(no waveform in this test)"))
    with pytest.raises(SimulationError, match=r"(?s)cycle limit 5 reached.*MVTU 'fc' \(instance "
                                              r"i0\) stalled.*after \d+ of 10 words"):
        nb.run_rtl_native(CFGS, _inputs())


def test_ports_header_names_every_port() -> None:
    text = nb.render_ports_header(CFGS)
    assert "static const int QSIM_NIN = 6;" in text  # AddStreams: 2
    assert "static const int QSIM_NOUT = 7;" in text  # DuplicateStreams: 3
    assert "t->i1_s1_axis_tdata" in text and "t->i2_m2_axis_tvalid" in text


@pytest.mark.parametrize(("dtype", "lanes"), [("BIPOLAR", 32), ("BINARY", 3), ("INT4", 3),
                                              ("UINT8", 8), ("INT3", 25), ("INT8", 9)])
def test_stream_limbs_match_the_block_packing(dtype: str, lanes: int) -> None:
    """The bulk packer equals StreamFormat.pack word for word (75 and 72 bits: > 64)."""
    from qsim.models._dtypes import resolve
    from qsim.models._stream import StreamFormat

    fmt = StreamFormat(resolve(dtype, "dt", "test"), lanes, "test")
    rng = np.random.default_rng(lanes)
    lo, hi = int(fmt.dtype.min()), int(fmt.dtype.max())
    vals = rng.integers(lo, hi + 1, (7, lanes))
    if dtype == "BIPOLAR":
        vals = rng.integers(0, 2, (7, lanes)) * 2 - 1
    limbs = nl.stream_limbs(fmt, vals)
    words = [int.from_bytes(r.astype("<u4").tobytes(), "little") for r in limbs]
    assert words == fmt.pack(vals)
    assert np.array_equal(nl.stream_values(fmt, limbs), vals)


def test_bulk_layers_match_models_on_every_port() -> None:
    run = nl.run_layers_native(CFGS, [[x] if not isinstance(x, list) else x
                                      for x in _inputs()])
    assert run.problems == []
    cocotb = nb.run_rtl_native(CFGS, _inputs())  # the generic path on the same bench
    for k, cfg in enumerate(CFGS):
        for q in range(cfg.out_ports):
            assert cfg.pack_output(run.outputs[k][q]) == cocotb.words[k]
        assert run.transfer[k][0].tolist() == cocotb.transfer[k]
        assert run.accept[k][0].tolist() == cocotb.accept[k]


def test_bulk_layers_report_a_wrong_word() -> None:
    xs = [[x] if not isinstance(x, list) else x for x in _inputs()]
    outs = [cfg(*x) for cfg, x in zip(CFGS, xs)]
    outs[4] = outs[4].copy()
    outs[4][1, 0, 1, 3] += 1  # MaxPool: frame 1, pixel (0, 1), channel 3 = word 11, lane 1
    run = nl.run_layers_native(CFGS, xs, outs)
    assert len(run.problems) == 1, run.problems
    assert run.problems[0].startswith("MaxPool 'mp' (instance i4), run 'none': output word "
                                      "11 lane 1: expected")
