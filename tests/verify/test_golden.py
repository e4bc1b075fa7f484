"""Golden regression: every available level against the vectors written by ``make golden``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qsim.verify.golden import CASES, Case, check_case, load_case, write_case

DEFAULT = [c for c in CASES if not c.slow]
# cppsim compiles every layer: block cases and TFC by default, the conv nets under `slow`;
# cases restricted to other levels (graph blocks whose HLS kernels have not landed) are left out
CPPSIM_CASES = [c for c in DEFAULT if c.levels is None or "cppsim" in c.levels]
CPPSIM = [pytest.param(c, marks=[pytest.mark.slow] if c.name.startswith(("zoo_cnv",
                                                                         "zoo_qenet")) else [])
          for c in CPPSIM_CASES]


@pytest.mark.parametrize("case", DEFAULT, ids=[c.name for c in DEFAULT])
def test_model_matches_golden(case: Case) -> None:
    assert check_case(case, ["model"]) == []


@pytest.mark.cppsim
@pytest.mark.parametrize("case", CPPSIM, ids=[c.name for c in CPPSIM_CASES])
def test_cppsim_matches_golden(case: Case) -> None:
    assert check_case(case, ["model", "cppsim"]) == []


def test_round_trip_and_drift_detection(tmp_path: Path) -> None:
    case = CASES[0]
    write_case(case, tmp_path)
    assert check_case(case, ["model"], tmp_path) == []
    stored = load_case(case, tmp_path)
    assert stored is not None
    # a change that moves the model (here: one stored output bit) is caught
    out = dict(stored)
    key = next(k for k in out if k.startswith("out/"))
    out[key] = out[key].copy()
    out[key].reshape(-1)[0] ^= 1
    np.savez_compressed(tmp_path / f"{case.name}.npz",
                        **{k.replace("/", "__"): v for k, v in out.items()})
    problems = check_case(case, ["model"], tmp_path)
    assert problems == [f"{case.name}: model {key} differs from golden"]


def test_missing_golden_says_how_to_fix(tmp_path: Path) -> None:
    assert check_case(CASES[0], ["model"], tmp_path) == [
        f"golden case {CASES[0].name!r} was never written: run `make golden`"]


def test_level_not_available_for_a_case_is_reported() -> None:
    case = next(c for c in CASES if c.levels is not None and "rtlsim" not in c.levels)
    assert check_case(case, ["model", "rtlsim"]) == [
        f"{case.name}: level rtlsim not available for this case yet"]
