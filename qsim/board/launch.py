"""Run a package's driver script on the emulated board.

``python -m qsim.board.launch PKG/driver/validate.py --batchsize 10`` puts
:mod:`qsim.board.emulator` in ``sys.modules['pynq']`` and runs the script as ``__main__``
with its own directory first on ``sys.path``, exactly as ``python3 validate.py ...`` runs on
the board. The script is not modified.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["main", "run_script"]


def run_script(script: str, args: Sequence[str]) -> int:
    """Run ``script`` with ``args`` against the emulator; returns its exit status."""
    from qsim.board import emulator

    path = Path(script).resolve()
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    saved = {k: sys.modules.get(k) for k in ("pynq", "packing", "driver_base")}
    sys.modules["pynq"] = emulator
    for k in ("packing", "driver_base"):  # the package's own copies, never a stale one
        sys.modules.pop(k, None)
    sys.argv = [str(path), *args]
    sys.path.insert(0, str(path.parent))
    try:
        runpy.run_path(str(path), run_name="__main__")
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        sys.stderr.write("usage: python -m qsim.board.launch DRIVER_SCRIPT [ARGS...]\n")
        return 2
    return run_script(args[0], args[1:])


if __name__ == "__main__":
    sys.exit(main())
