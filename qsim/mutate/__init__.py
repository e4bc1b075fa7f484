"""Mutation campaigns over qsim's own SystemVerilog cores and HLS kernel headers (``qsim mutate``).

:func:`mutants_of` makes every mutant of a source (the operators are listed in
:mod:`qsim.mutate._operators`), :func:`plan_mutants` draws a reproducible sample per core,
:class:`Campaign` runs each on a copy of the RTL with its core's tests and records the verdict
(resumable), :func:`prove_survivors` tries to prove each survivor equivalent (a yosys miter
and ABC PDR, :mod:`qsim.mutate._prove`), :func:`summarize` / :func:`write_summary` give the
kill rates, survivors and proved equivalents.
:func:`hls_mutants_of` and :func:`plan_hls_mutants` do the same for the C++ of ``hls/qsim``
(cores named ``hls:<header>``, see :mod:`qsim.mutate._hls_operators`).
"""

from qsim.mutate._campaign import Campaign, load_results, run_selection
from qsim.mutate._hls_operators import HLS_OPERATORS, hls_mutable_lines, hls_mutants_of
from qsim.mutate._hls_plan import HLS_CORE_TESTS, hls_core_file, is_hls_core, plan_hls_mutants
from qsim.mutate._operators import OPERATORS, Mutant, apply_mutant, mutable_lines, mutants_of
from qsim.mutate._plan import CORE_TESTS, core_file, plan_mutants
from qsim.mutate._prove import PROOF_CONFIGS, ProofResult, prove_mutant, prove_survivors
from qsim.mutate._report import summarize, write_summary

__all__ = ["CORE_TESTS", "Campaign", "HLS_CORE_TESTS", "HLS_OPERATORS", "Mutant", "OPERATORS",
           "PROOF_CONFIGS", "ProofResult", "apply_mutant", "core_file", "hls_core_file",
           "hls_mutable_lines", "hls_mutants_of", "is_hls_core", "load_results", "mutable_lines",
           "mutants_of", "plan_hls_mutants", "plan_mutants", "prove_mutant", "prove_survivors",
           "run_selection", "summarize", "write_summary"]
