"""Run a course page the two ways a reader does: as a script, and pasted into the Python REPL.

``python -m tests.docs.course_runner script PAGE`` writes the page's ```python blocks into one
script (each block on the page's own line numbers, so a traceback points at the Markdown) and
runs it in the current folder. ``... repl PAGE`` feeds the same blocks line by line to
``code.InteractiveConsole``, exactly as a paste into the standard REPL would: an empty line ends
a compound statement, so a blank line inside an indented block, or a statement straight after
one, fails here as it fails there. After each block one empty line is pushed (the reader's
Enter). Any traceback or syntax error exits with status 1.
"""

from __future__ import annotations

import code
import sys
import types
from pathlib import Path

from tests.docs.markdown_blocks import python_blocks


def page_script(page: Path) -> str:
    """The page's python blocks as one script whose line numbers are the page's."""
    lines: list[str] = []
    for block in python_blocks(page):
        lines.extend([""] * (block.line - 1 - len(lines)))
        lines.extend(block.source.rstrip("\n").splitlines())
    return "\n".join(lines) + "\n"


class _Console(code.InteractiveConsole):
    """A console that stops at the first error instead of printing it and reading on."""

    where = ""

    def showsyntaxerror(self, filename=None, **kwargs):
        super().showsyntaxerror(filename)
        self._fail("a syntax error")

    def showtraceback(self):
        super().showtraceback()
        self._fail("an exception")

    def _fail(self, what):
        sys.stderr.write(f"\nthe REPL paste stopped with {what} at {self.where}\n")
        sys.stderr.flush()
        raise SystemExit(1)


def fresh_main() -> dict:
    """A new, empty ``__main__`` module, as a script or the REPL has (so pickle finds classes)."""
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    return main.__dict__


def paste(page: Path) -> None:
    console = _Console(locals=fresh_main(), filename="<stdin>")
    for number, block in enumerate(python_blocks(page), start=1):
        more = False
        for offset, line in enumerate(block.source.rstrip("\n").splitlines()):
            console.where = f"{page.name} block {number}, line {block.line + offset}: {line!r}"
            more = console.push(line)
        console.where = f"{page.name} block {number}, the Enter after it"
        if more:
            console.push("")


def main(argv: list[str]) -> int:
    mode, page = argv[0], Path(argv[1])
    if mode == "script":
        exec(compile(page_script(page), str(page), "exec"), fresh_main())
    elif mode == "repl":
        paste(page)
    else:
        raise SystemExit(f"unknown mode {mode!r}: use 'script' or 'repl'")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
