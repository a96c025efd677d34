"""Find the ```python blocks of a Markdown page, keeping their line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_IMAGE = re.compile(r"!\[[^\]]*\]\((?P<path>[^)\s]+)\)")


@dataclass
class Block:
    """One fenced code block: its info string, its source and the line it starts on (1-based)."""

    info: str
    source: str
    line: int


def code_blocks(text: str) -> list[Block]:
    """Every fenced code block of ``text``, in order."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent, info = m["fence"], len(m["indent"]), m["info"].strip()
        start = i + 1
        i += 1
        body = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            line = lines[i]
            body.append(line[indent:] if line[:indent].strip() == "" else line.lstrip())
            i += 1
        i += 1  # the closing fence
        blocks.append(Block(info=info, source="\n".join(body) + "\n", line=start + 1))
    return blocks


def python_blocks(path: Path) -> list[Block]:
    """The blocks of ``path`` that the tests execute: those fenced as ```python."""
    return [b for b in code_blocks(path.read_text()) if b.info.split(" ")[0] == "python"]


def image_links(path: Path) -> list[str]:
    """The relative image paths that ``path`` shows (``![alt](images/x.png)``)."""
    return [m["path"] for m in _IMAGE.finditer(path.read_text()) if "://" not in m["path"]]
