"""``python -m tinytensor train ...``: the same command line as the ``tinytensor`` script."""

import sys


def main(argv=None) -> int:
    from tinytensor.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
