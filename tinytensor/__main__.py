"""``python -m tinytensor train ...``: the same command line as the ``tinytensor`` script."""

import sys

from tinytensor.cli import main as cli_main


def main(argv=None) -> int:
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
