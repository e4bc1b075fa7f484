"""Which mutants a campaign runs: the cores, their sources, their default test selections.

A *core* here is one hand-written SV file of ``qsim/rtl`` (shared pieces such as
``qsim_ibuf`` count as cores of their own); its default tests are the pytest node ids under
``tests/rtl`` and ``tests/stitch`` that simulate it. ``qsim_stream_check`` is not mutated: it
is the protocol checker itself, not design logic.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Callable

from qsim.errors import UsageError

from ._operators import Mutant, mutants_of

__all__ = ["CORE_TESTS", "core_file", "plan_mutants"]

_BLOCKS = "tests/rtl/test_rtl_blocks.py::"
_GRAPH = "tests/rtl/test_rtl_new_blocks.py"
_KILLS = "tests/rtl/test_rtl_mutation_kills.py::"  # tests written for earlier survivors
# tiny_conv through its width converters and depth-1/2/3 FIFOs under stalls, assertions on
_STITCH = ("tests/stitch/test_stitched.py::test_native_matches_design_and_cycle_model"
           "[tiny_conv-depths2-4-True-stall0.4]")


def _random_init(block: str) -> str:
    """The graph blocks of type ``block`` started from random register values (native
    harness): kills a state register that lost its reset."""
    return _KILLS + f"test_graph_blocks_from_random_register_values[{block}]"


def _random_regs(block: str) -> str:
    """The block tests' configs of type ``block`` from random register values."""
    return _KILLS + f"test_blocks_from_random_register_values[{block}]"


#: Default test selection (pytest arguments) per core.
CORE_TESTS: dict[str, tuple[str, ...]] = {
    "qsim_mvtu": (_BLOCKS + "test_mvtu_matches_model", _random_regs("MVTU")),
    "qsim_threshold": (_BLOCKS + "test_thresholding_matches_model",
                       _BLOCKS + "test_mvtu_matches_model", _random_regs("Thresholding"),
                       _random_regs("MVTU")),
    "qsim_thresholding": (_BLOCKS + "test_thresholding_matches_model",
                          _KILLS + "test_thresholding_with_bipolar_input",
                          _KILLS + "test_thresholding_negative_values_in_the_top_lane",
                          _random_regs("Thresholding")),
    "qsim_swg": (_BLOCKS + "test_swg_matches_model", _random_regs("SlidingWindow")),
    "qsim_maxpool": (_BLOCKS + "test_maxpool_matches_model",
                     _KILLS + "test_maxpool_with_three_channel_folds",
                     _KILLS + "test_maxpool_with_four_row_and_four_column_windows",
                     _random_regs("MaxPool")),
    "qsim_fifo": (_BLOCKS + "test_fifo_and_dwc_match_models", _STITCH),
    "qsim_dwc": (_BLOCKS + "test_fifo_and_dwc_match_models", _STITCH),
    "qsim_ibuf": (_BLOCKS + "test_thresholding_matches_model",
                  _BLOCKS + "test_fifo_and_dwc_match_models", _random_regs("Thresholding")),
    "qsim_oreg": (_BLOCKS + "test_thresholding_matches_model",
                  _BLOCKS + "test_fifo_and_dwc_match_models", _random_regs("Thresholding")),
    "qsim_axis_wrap": (_BLOCKS + "test_thresholding_matches_model",
                       _KILLS + "test_axis_wrap_with_byte_aligned_words"),
    "qsim_fmpadding": (_GRAPH,
                       _KILLS + "test_fmpadding_three_channel_folds_in_a_one_pixel_wide_image",
                       _random_init("FMPadding")),
    "qsim_duplicate_streams": (_GRAPH, _random_init("DuplicateStreams")),
    "qsim_add_streams": (_GRAPH, _KILLS + "test_add_streams_with_a_bipolar_first_input",
                         _random_init("AddStreams")),
    "qsim_global_acc_pool": (_GRAPH,
                             _KILLS + "test_global_acc_pool_with_three_and_five_channel_folds",
                             _random_init("GlobalAccPool")),
    "qsim_label_select": (_GRAPH, _KILLS + "test_label_select_output_index_with_an_odd_fold",
                          _random_init("LabelSelect")),
}


def core_file(rtl_dir: Path, core: str) -> Path:
    """The SV file of ``core`` in ``rtl_dir``; refuses an unknown core."""
    if core not in CORE_TESTS:
        raise UsageError(f"unknown core {core!r} (cores: {', '.join(sorted(CORE_TESTS))})")
    return Path(rtl_dir) / f"{core}.sv"


def _stratified(mutants: list[Mutant], n: int, rng: random.Random) -> list[Mutant]:
    """Up to ``n`` mutants, taking the operators in turn (each operator's own order shuffled),
    so a small sample still holds every operator the file offers."""
    by_op: dict[str, list[Mutant]] = defaultdict(list)
    for m in mutants:
        by_op[m.op].append(m)
    for ms in by_op.values():
        rng.shuffle(ms)
    ops = sorted(by_op)
    out: list[Mutant] = []
    while len(out) < n and any(by_op.values()):
        for op in ops:
            if by_op[op] and len(out) < n:
                out.append(by_op[op].pop())
    return sorted(out, key=lambda m: (m.line, m.op, m.after))


def plan_mutants(rtl_dir: Path, cores: list[str], per_core: int, seed: int
                 ) -> dict[str, list[Mutant]]:
    """Per core, ``per_core`` mutants drawn with ``seed`` (all of them when the file has fewer);
    the same arguments always give the same mutants."""
    return plan_sources(cores, per_core, seed, lambda core: core_file(rtl_dir, core), mutants_of)


def plan_sources(cores: list[str], per_core: int, seed: int, path_of: Callable[[str], Path],
                 mutants: Callable[[str, str], list[Mutant]]) -> dict[str, list[Mutant]]:
    """Per core, a stratified sample of ``mutants(file name, text)`` of its file
    ``path_of(core)``, drawn with a generator seeded by ``seed`` and the core's name."""
    plan = {}
    for core in cores:
        path = path_of(core)
        rng = random.Random(f"{seed}:{core}")
        plan[core] = _stratified(mutants(path.name, path.read_text()), per_core, rng)
    return plan
