"""Typed errors raised by qsim.

Every message names the offending value (``!r``), the block instance or field, and where it
applies the cycle or index, so that a failure can be acted on without reading the source.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "MismatchError",
    "ModelImportError",
    "QsimError",
    "SimulationError",
    "StreamError",
    "ToolchainError",
    "UsageError",
]


class QsimError(Exception):
    """Base class of every error qsim raises on purpose."""


class ConfigError(QsimError, ValueError):
    """A block config, folding or parameter set breaks a rule (named in the message)."""


class StreamError(QsimError, ValueError):
    """Data does not fit its stream: a value outside its datatype, a word of the wrong width,
    or a word count that does not match the folded shape."""


class ModelImportError(QsimError):
    """An ONNX model contains a node or pattern qsim cannot map to its blocks."""


class MismatchError(QsimError):
    """Two verification levels disagree (bit or cycle)."""


class SimulationError(QsimError):
    """A simulation failed to run or made no progress (deadlock, watchdog, build failure)."""


class ToolchainError(QsimError):
    """A required external tool (Verilator, g++, ...) is missing or unusable."""


class UsageError(QsimError, ValueError):
    """A command-line argument, input file or output path is unusable (named in the message);
    found before any verification level runs."""
