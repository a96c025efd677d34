"""A griffe extension for the API reference: fence the docstrings' ``>>>`` examples.

tinytensor's docstrings are plain prose with doctest examples, written for ``help()``. Markdown
would read a ``>>>`` line as a nested block quote, so each run of doctest lines (the prompt
lines, their ``...`` continuations and the expected output up to a blank line) is wrapped in a
```` ```pycon ```` fence before mkdocstrings renders it. The docstrings themselves are untouched.
"""

from __future__ import annotations

import griffe


def fence_doctests(text: str) -> str:
    """Return ``text`` with every doctest run wrapped in a ``pycon`` code fence."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if in_fence or not line.lstrip().startswith(">>>"):
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        if out and out[-1].strip():
            out.append("")
        out.append(f"{indent}```pycon")
        while i < len(lines) and lines[i].strip():
            out.append(lines[i])
            i += 1
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence doctest examples in every docstring griffe loads."""

    def on_object(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
