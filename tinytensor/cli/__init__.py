"""The ``tinytensor`` command line: ``train``, ``eval`` and ``predict`` (see ``--help``)."""

from __future__ import annotations

import argparse
import os
import sys

import tinytensor
from tinytensor.cli import evaluate, export, train
from tinytensor.cli.arch import ArchError
from tinytensor.cli.rundir import UsageError
from tinytensor.data.datasets.mnist import DownloadError


def build_parser() -> argparse.ArgumentParser:
    """The ``argparse`` parser of the ``tinytensor`` command: ``--version`` and one
    subcommand each for ``train``, ``eval``, ``predict`` and ``export``, whose handler is set
    as ``args.func``. ``main`` parses with it; tests and tools can use it to read a command line
    without running it.

    >>> args = build_parser().parse_args([])
    >>> args.command is None
    True"""
    parser = argparse.ArgumentParser(
        prog="tinytensor",
        description="tinytensor: an eager, tape-based autograd library on NumPy.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    train.add_parser(sub)
    evaluate.add_parsers(sub)
    export.add_parser(sub)
    return parser


def _version() -> str:
    return f"tinytensor {tinytensor.__version__}"


def main(argv=None) -> int:
    """Entry point of the ``tinytensor`` console script and ``python -m tinytensor``.

    A mistake on the command line prints one line naming the flag and exits with status 2;
    other errors the user can fix (missing data, a download that failed) exit with 1; Ctrl-C
    exits with 130. Set ``TINYTENSOR_DEBUG=1`` to see the traceback instead.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # (train --nproc starts it again)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except (UsageError, ArchError) as e:
        if os.environ.get("TINYTENSOR_DEBUG"):
            raise
        print(f"tinytensor {args.command}: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError, ImportError, DownloadError, RuntimeError) as e:  # the user's
        if os.environ.get("TINYTENSOR_DEBUG"):
            raise
        print(f"tinytensor {args.command}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"tinytensor {args.command}: interrupted", file=sys.stderr)
        return 130
