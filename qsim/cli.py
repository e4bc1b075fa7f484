"""Command-line entry point ``qsim`` (subcommands are added here as they land).

Exit status: 0 on success, 1 on a verification failure, 2 on bad input or usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from qsim import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qsim",
        description="Cycle-accurate, bit-exact verification of FINN-style dataflow accelerators.",
    )
    parser.add_argument("--version", action="version", version=f"qsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from qsim.verify import cli_fifo, cli_fuzz, cli_signoff, cli_verify

    cli_verify.add_parser(sub)
    cli_fuzz.add_parser(sub)
    cli_signoff.add_parsers(sub)
    cli_fifo.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with *argv* (default ``sys.argv[1:]``); returns the exit status.

    Bad usage makes argparse print a message and raise ``SystemExit(2)``, never a traceback.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
