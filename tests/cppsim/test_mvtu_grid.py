"""cppsim MVTU vs the Python model on FINN's MVAU test grid (108 configs, MW = MH = 16).

activation {none, BIPOLAR, INT4} x wdt {BIPOLAR, INT4} x idt {BIPOLAR, INT4} x NF {1, 2, MH}
x SF {1, 2, MW}; BIPOLAR x BIPOLAR runs in XNOR mode with thresholds on the popcount scale;
"none" outputs the accumulator. The 108 kernels are compiled as 4 translation units (two g++
at a time), not 108: about 26 s cold on 2 cores, instant from the build cache.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from qsim.cppsim import CppsimLibrary

from ._configs import GRID, grid_config, rand_input
from ._harness import check_block, compile_configs

pytestmark = pytest.mark.cppsim

_CONFIGS = [grid_config(*g) for g in GRID]


@pytest.fixture(scope="module")
def grid_libs() -> list[tuple[CppsimLibrary, str]]:
    return compile_configs(_CONFIGS, chunks=4)


@pytest.mark.parametrize("index", range(len(GRID)),
                         ids=["-".join(str(v) for v in g) for g in GRID])
def test_mvtu_grid(grid_libs: Any, index: int) -> None:
    cfg = _CONFIGS[index]
    lib, sym = grid_libs[index]
    rng = np.random.default_rng(index)
    check_block(lib, sym, cfg, rand_input(cfg, rng, 8))  # 8 vectors, trip = 8 * NF * SF
