"""Command-line entry point ``qsim``: one error boundary around every subcommand.

Exit status (the same for every command):

====  ======================================================================================
0     success
1     a verification failure (levels disagree, a gate check failed)
2     bad input: a file, node, argument or output path is unusable (named in the message)
3     a verification level or external tool crashed (see report.json; ``--debug``)
130   interrupted (Ctrl-C); resumable state is left exactly as a ``kill -9`` would leave it
====  ======================================================================================

Adding a command: write ``add_parser(sub)`` in a ``verify/cli_<name>.py`` module that calls
``sub.add_parser(...)`` and ``p.set_defaults(func=run)`` with ``run(args) -> int``, and list
its ``add_parser`` in :data:`_COMMANDS`. ``run`` validates its arguments first (raising
:class:`~qsim.errors.UsageError` or another :class:`~qsim.errors.QsimError`) and returns 0 or
1; :func:`run_command` maps every exception it raises to the exit codes above, prints a
one-line message instead of a traceback (``--debug`` prints the traceback too) and gives the
command a ``--debug`` flag of its own.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from typing import Any, Callable

from qsim import __version__
from qsim.errors import MismatchError, QsimError, SimulationError, ToolchainError

__all__ = ["EXIT_BAD_INPUT", "EXIT_CRASH", "EXIT_FAIL", "EXIT_INTERRUPTED", "EXIT_OK", "main",
           "run_command"]

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_CRASH, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _commands() -> list[Callable[[Any], None]]:
    """Every module's ``add_parser``: register a new command here."""
    from qsim.verify import (
        cli_fifo,
        cli_fuzz,
        cli_mutate,
        cli_regress,
        cli_resources,
        cli_signoff,
        cli_verify,
    )

    return [cli_verify.add_parser, cli_fuzz.add_parser, cli_signoff.add_parsers,
            cli_fifo.add_parser, cli_mutate.add_parser, cli_regress.add_parser,
            cli_resources.add_parser]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qsim",
        description="Cycle-accurate, bit-exact verification of FINN-style dataflow accelerators.",
        epilog="exit status: 0 pass, 1 verification failure, 2 bad input, 3 a level or tool "
               "crashed, 130 interrupted")
    parser.add_argument("--version", action="version", version=f"qsim {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="print the Python traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _commands():
        add(sub)
    for p in sub.choices.values():  # every command, present and future, takes --debug too
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="print the Python traceback of an error")
    return parser


def _fail(command: str, code: int, message: str, debug: bool) -> int:
    if debug:
        sys.stderr.write(traceback.format_exc())
    hint = "" if debug or code == EXIT_BAD_INPUT else " (rerun with --debug for the traceback)"
    sys.stderr.write(f"qsim {command}: error: {message}{hint}\n")
    sys.stderr.flush()
    return code


def run_command(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one command's ``func(args)`` inside the error boundary; returns the exit status."""
    command, debug = str(getattr(args, "command", "") or ""), bool(getattr(args, "debug", False))
    try:
        return int(func(args))
    except KeyboardInterrupt:
        return _fail(command, EXIT_INTERRUPTED, "interrupted (Ctrl-C); finished work is kept, "
                     "rerun (fuzz: with --resume) to continue", debug)
    except MismatchError as exc:
        return _fail(command, EXIT_FAIL, str(exc), debug)
    except (SimulationError, ToolchainError) as exc:
        return _fail(command, EXIT_CRASH, f"{type(exc).__name__}: {exc}", debug)
    except QsimError as exc:
        return _fail(command, EXIT_BAD_INPUT, str(exc), debug)
    except OSError as exc:
        where = f" {exc.filename!r}" if exc.filename else ""
        return _fail(command, EXIT_BAD_INPUT, f"cannot access{where}: {exc.strerror or exc}",
                     debug)
    except Exception as exc:  # a crash inside qsim or a tool it drives: never a traceback
        return _fail(command, EXIT_CRASH, f"crashed: {type(exc).__name__}: {exc}", debug)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with *argv* (default ``sys.argv[1:]``); returns the exit status.

    Bad usage makes argparse print a message and return 2, never a traceback.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage error (2), --help/--version (0)
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    return run_command(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
