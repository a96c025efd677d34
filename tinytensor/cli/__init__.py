"""The ``tinytensor`` command line: ``tinytensor train ...`` (see ``tinytensor train --help``)."""

from __future__ import annotations

import argparse
import os
import sys


def build_parser() -> argparse.ArgumentParser:
    from tinytensor.cli import train

    parser = argparse.ArgumentParser(
        prog="tinytensor",
        description="tinytensor: an eager, tape-based autograd library on NumPy.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    train.add_parser(sub)
    return parser


def _version() -> str:
    import tinytensor

    return f"tinytensor {tinytensor.__version__}"


def main(argv=None) -> int:
    """Entry point of the ``tinytensor`` console script and ``python -m tinytensor``.

    Errors the user can fix (missing data, a bad architecture string) print one line and exit
    with status 1; set ``TINYTENSOR_DEBUG=1`` to see the traceback instead.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from tinytensor.data.datasets.mnist import DownloadError

    try:
        return args.func(args)
    except (OSError, ValueError, ImportError, DownloadError) as e:  # the user's to fix
        if os.environ.get("TINYTENSOR_DEBUG"):
            raise
        print(f"tinytensor {args.command}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
