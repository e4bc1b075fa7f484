"""Mutation campaigns over qsim's own SystemVerilog cores (``qsim mutate``).

:func:`mutants_of` makes every mutant of a source (the operators are listed in
:mod:`qsim.mutate._operators`), :func:`plan_mutants` draws a reproducible sample per core,
:class:`Campaign` runs each on a copy of the RTL with its core's tests and records the verdict
(resumable), :func:`prove_survivors` tries to prove each survivor equivalent (a yosys miter
and ABC PDR, :mod:`qsim.mutate._prove`), :func:`summarize` / :func:`write_summary` give the
kill rates, survivors and proved equivalents.
"""

from qsim.mutate._campaign import Campaign, load_results, run_selection
from qsim.mutate._operators import OPERATORS, Mutant, apply_mutant, mutable_lines, mutants_of
from qsim.mutate._plan import CORE_TESTS, core_file, plan_mutants
from qsim.mutate._prove import PROOF_CONFIGS, ProofResult, prove_mutant, prove_survivors
from qsim.mutate._report import summarize, write_summary

__all__ = ["CORE_TESTS", "Campaign", "Mutant", "OPERATORS", "apply_mutant", "core_file",
           "load_results", "mutable_lines", "mutants_of", "plan_mutants", "run_selection",
           "summarize", "write_summary", "PROOF_CONFIGS", "ProofResult", "prove_mutant",
           "prove_survivors"]
