"""Argument checks every command runs before any level: argparse types, input files, output
paths and level lists. Each failure is a :class:`~qsim.errors.UsageError` naming the argument
and its value, which the CLI boundary (:mod:`qsim.cli`) turns into exit status 2."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Optional

from qsim.errors import UsageError

__all__ = ["input_dir", "input_file", "levels_arg", "nonneg_int", "output_dir", "output_file",
           "positive_int"]


def _int(text: str, least: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"{value!r} must be {what}")
    return value


def nonneg_int(text: str) -> int:
    """argparse type: an integer >= 0 (seeds)."""
    return _int(text, 0, ">= 0")


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (counts of inputs, vectors, samples)."""
    return _int(text, 1, ">= 1")


def input_file(path: Optional[str], flag: str) -> None:
    """``path`` (given as ``flag``) must be a readable file; None is accepted (not given)."""
    if path is None:
        return
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{flag} {path!r} does not exist")
    if not p.is_file():
        raise UsageError(f"{flag} {path!r} is not a file")
    if not os.access(p, os.R_OK):
        raise UsageError(f"{flag} {path!r} is not readable")


def input_dir(path: str, flag: str) -> Path:
    """``path`` (given as ``flag``) must be an existing directory."""
    p = Path(path)
    if not path or not p.exists():
        raise UsageError(f"{flag} {path!r} does not exist")
    if not p.is_dir():
        raise UsageError(f"{flag} {path!r} is not a directory")
    return p


def _probe(d: Path, flag: str, path: str) -> None:
    """Create and remove a file in ``d``: the one test of writability that does not lie."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".qsim-probe-", dir=d)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise UsageError(f"{flag} {path!r}: cannot write in {str(d)!r} "
                         f"({exc.strerror or exc})") from None


def output_dir(path: str, flag: str) -> Path:
    """``path`` (given as ``flag``) as a directory that exists (created) and is writable."""
    if not path:
        raise UsageError(f"{flag} {path!r} is empty; give a directory")
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{flag} {path!r} exists and is not a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {path!r} cannot be created ({exc.strerror or exc})") from None
    _probe(p, flag, path)
    return p


def output_file(path: str, flag: str) -> Path:
    """``path`` (given as ``flag``) as a file that can be written (its folder is created)."""
    p = Path(path)
    if not path or p.is_dir() or path.endswith(os.sep):
        raise UsageError(f"{flag} {path!r} is a directory; give a file name")
    output_dir(str(p.parent), f"{flag} folder of")
    if p.exists() and not os.access(p, os.W_OK):
        raise UsageError(f"{flag} {path!r} is not writable")
    return p


def levels_arg(text: str, known: list[str], flag: str = "--levels") -> list[str]:
    """Comma-separated level names, each registered; UsageError naming the unknown ones."""
    levels = [lv.strip() for lv in text.split(",") if lv.strip()]
    if not levels:
        raise UsageError(f"{flag} {text!r} names no level; known: {known!r}")
    unknown = [lv for lv in levels if lv not in known]
    if unknown:
        raise UsageError(f"unknown level(s) {unknown!r} in {flag} {text!r}; known: {known!r}")
    if len(set(levels)) != len(levels):
        raise UsageError(f"{flag} {text!r} names a level twice")
    return levels
