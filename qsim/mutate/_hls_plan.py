"""Which HLS mutants a campaign runs: the kernel headers and their default cppsim tests.

An HLS *core* is one header of ``hls/qsim``, named ``hls:<stem>`` (``hls:mvtu`` is
``hls/qsim/mvtu.hpp``); its default tests are pytest node ids under ``tests/cppsim`` that
compile that kernel, chosen for speed (each mutant recompiles every kernel it touches: the
mutated headers share no build with the checkout's). ``cppsim.hpp`` (the ctypes harness) and
``hls_stream.h`` (the stream model) are not mutated: they are the test bench, not a kernel.
"""

from __future__ import annotations

from pathlib import Path

from qsim.errors import UsageError

from ._hls_operators import hls_mutants_of
from ._operators import Mutant
from ._plan import plan_sources

__all__ = ["HLS_CORE_TESTS", "HLS_PREFIX", "hls_core_file", "is_hls_core", "plan_hls_mutants"]

#: Prefix of an HLS core's name (``hls:mvtu``), telling it from an SV core.
HLS_PREFIX = "hls:"

_BLOCKS = "tests/cppsim/test_blocks.py::test_block_matches_model"
_NEW = "tests/cppsim/test_new_blocks.py::"
_KILLS = "tests/cppsim/test_hls_mutation_kills.py::"  # written for earlier survivors
# the survivors' tests first: with ``pytest -x`` a mutant they kill stops there
_THR = (_KILLS + "test_thresholding_kernel_edges", _BLOCKS + "[thresholding]")
_MAXPOOL = (_KILLS + "test_maxpool_kernel_edges", _BLOCKS + "[maxpool]")

#: Default test selection (pytest arguments) per HLS core.
HLS_CORE_TESTS: dict[str, tuple[str, ...]] = {
    "hls:activation": (_KILLS + "test_threshold_count_width_is_minimal", *_THR,
                       _BLOCKS + "[mvtu]"),
    "hls:common": (*_THR, *_MAXPOOL, _NEW + "test_random_inputs_match_model"),
    "hls:thresholding": _THR,
    "hls:mvtu": (_KILLS + "test_mvtu_xnor_wider_than_64_lanes", _BLOCKS + "[mvtu]",
                 "tests/cppsim/test_corners.py::test_corner_set_matches_model"),
    "hls:maxpool": _MAXPOOL,
    "hls:sliding_window": (_KILLS + "test_sliding_window_kernel_edges",
                           _BLOCKS + "[sliding_window]"),
    "hls:fmpadding": (_NEW + "test_random_inputs_match_model",
                      _NEW + "test_fmpadding_equals_numpy_pad"),
    "hls:duplicate_streams": (_NEW + "test_random_inputs_match_model",
                              _NEW + "test_duplicate_streams_every_port_is_the_input"),
    "hls:add_streams": (_NEW + "test_random_inputs_match_model",
                        _NEW + "test_add_streams_range_ends"),
    "hls:global_acc_pool": (_NEW + "test_random_inputs_match_model",
                            _NEW + "test_global_acc_pool_range_ends"),
    "hls:label_select": (_NEW + "test_random_inputs_match_model",
                         _NEW + "test_label_select_ties",
                         _NEW + "test_label_select_k_equals_labels_at_type_minimum"),
}


def is_hls_core(core: str) -> bool:
    """Whether ``core`` names an HLS header (``hls:<stem>``) rather than an SV core."""
    return core.startswith(HLS_PREFIX)


def hls_core_file(hls_qsim_dir: Path, core: str) -> Path:
    """The header of ``core`` in ``hls_qsim_dir`` (a copy of ``hls/qsim``); refuses an
    unknown core."""
    if core not in HLS_CORE_TESTS:
        raise UsageError(f"unknown HLS core {core!r} (HLS cores: "
                         f"{', '.join(sorted(HLS_CORE_TESTS))})")
    return Path(hls_qsim_dir) / f"{core[len(HLS_PREFIX):]}.hpp"


def plan_hls_mutants(hls_qsim_dir: Path, cores: list[str], per_core: int, seed: int
                     ) -> dict[str, list[Mutant]]:
    """Per HLS core, ``per_core`` mutants drawn with ``seed`` (all of them when the header has
    fewer), the operators taken in turn; the same arguments always give the same mutants."""
    return plan_sources(cores, per_core, seed, lambda core: hls_core_file(hls_qsim_dir, core),
                        hls_mutants_of)
