"""Shared pytest set-up: Hypothesis profiles and the tool markers ``rtlsim`` / ``cppsim``.

Hypothesis profiles: ``ci`` (default; derandomized, so every run tries the same examples) and
``fuzz`` (many random examples), chosen with ``QSIM_HYPOTHESIS_PROFILE=fuzz``.

A test marked ``rtlsim`` runs with Verilator's environment applied (``qsim._toolchain``) and is
skipped when Verilator or a C++ compiler is missing; ``cppsim`` needs a C++ compiler. Under CI
(``CI=true``) a missing tool fails the test instead, so a broken install cannot pass unnoticed.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from qsim._toolchain import apply_verilator_env, find_cxx
from qsim.errors import ToolchainError

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60, print_blob=True)
settings.register_profile("fuzz", deadline=None, max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("QSIM_HYPOTHESIS_PROFILE", "ci"))

_IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing_tool(marker: str) -> str | None:
    """Return why the tools behind *marker* are unusable, or None when they are ready."""
    try:
        find_cxx()
        if marker == "rtlsim":
            apply_verilator_env()
    except ToolchainError as exc:
        return f"{marker}: {exc}"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or under CI fail) a tool-marked test whose tool cannot be found."""
    for marker in ("rtlsim", "cppsim"):
        if item.get_closest_marker(marker) is None:
            continue
        reason = _missing_tool(marker)
        if reason is None:
            continue
        if _IN_CI:
            pytest.fail(f"{reason} (CI=true: tools are part of the install)", pytrace=False)
        pytest.skip(reason)
