"""cppsim on corner stimuli and edge configs: every accumulator driven to both ends of its
range (thresholds at the reached ends and +-1), tile counts 255/256/257/129/513 and widths at
type boundaries. The kernels' 64-bit shadow sums (QSIM_ASSERT_ACC) trap any accumulator that
wraps; the outputs must equal the model bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from qsim.errors import SimulationError
from qsim.models import MVTU
from qsim.verify.corners import corner_inputs, corner_thresholds
from qsim.verify.edge_configs import corner_set

from ._harness import check_ports, compile_configs

pytestmark = pytest.mark.cppsim


def _as_ports(x: object) -> list[np.ndarray]:
    return [np.asarray(v) for v in x] if isinstance(x, list) else [np.asarray(x)]


def test_corner_set_matches_model() -> None:
    cfgs = corner_set()
    pairs = compile_configs(cfgs, chunks=2)
    for (lib, sym), cfg in zip(pairs, cfgs):
        check_ports(lib, sym, cfg, _as_ports(corner_inputs(cfg)))


def test_acc_check_traps_a_wrapped_accumulator(monkeypatch: pytest.MonkeyPatch) -> None:
    """An accumulator declared one bit short (INT4 for the range [0, 15], the escaped bug's
    shape: signed at the width of an unsigned range) traps at the first wrapped sum."""
    import qsim.cppsim._runtime as runtime
    import qsim.cppsim.codegen as codegen

    cfg = corner_thresholds(MVTU(mw=15, mh=2, pe=2, simd=5, idt="BINARY", wdt="BINARY",
                                 weights=np.ones((15, 2), np.int64), name="narrow"))
    real = codegen.ap_type
    narrow = lambda dt: "ap_int<4>" if dt.get_canonical_name() == "UINT4" else real(dt)  # noqa: E731
    monkeypatch.setattr(codegen, "ap_type", narrow)  # constant-weight kernels
    monkeypatch.setattr(runtime, "ap_type", narrow)  # run-time-weight kernels (what runs)
    (lib, sym), = compile_configs([cfg])
    with pytest.raises(SimulationError, match=r"narrow.*cppsim failed: mvtu: accumulator -6 != "
                                              r"exact sum 10 at output word 0 lane 0: the "
                                              r"accumulator type \(4 bits, signed\)"):
        lib.run(sym, cfg, corner_inputs(cfg))
