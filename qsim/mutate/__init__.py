"""Mutation campaigns over qsim's own SystemVerilog cores (``qsim mutate``).

:func:`mutants_of` makes every mutant of a source (the operators are listed in
:mod:`qsim.mutate._operators`), :func:`plan_mutants` draws a reproducible sample per core,
:class:`Campaign` runs each on a copy of the RTL with its core's tests and records the verdict
(resumable), :func:`summarize` / :func:`write_summary` give the kill rates and survivors.
"""

from qsim.mutate._campaign import Campaign, load_results, run_selection
from qsim.mutate._operators import OPERATORS, Mutant, apply_mutant, mutable_lines, mutants_of
from qsim.mutate._plan import CORE_TESTS, core_file, plan_mutants
from qsim.mutate._report import summarize, write_summary

__all__ = ["CORE_TESTS", "Campaign", "Mutant", "OPERATORS", "apply_mutant", "core_file",
           "load_results", "mutable_lines", "mutants_of", "plan_mutants", "run_selection",
           "summarize", "write_summary"]
