"""MkDocs hook: run each course page's code at build time in a fresh, empty folder.

The course pages mark their ```python blocks for ``markdown-exec``, which runs them while the
page is converted and shows each block's output under it. This hook gives every page the
conditions the course promises a reader: an empty working folder of its own (the pictures and
runs a page writes land there, not in the checkout) and matplotlib's non-interactive backend.
"""

from __future__ import annotations

import os
import tempfile

_COURSE = "course/"
_state: dict[str, object] = {}


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri.startswith(_COURSE) and "exec=" in markdown:
        os.environ.setdefault("MPLBACKEND", "Agg")
        folder = tempfile.TemporaryDirectory(prefix="tinytensor-course-")
        _state["folder"] = folder
        _state["cwd"] = os.getcwd()
        os.chdir(folder.name)
    return markdown


def on_page_content(html: str, page, config, files) -> str:
    folder = _state.pop("folder", None)
    if folder is not None:
        os.chdir(_state.pop("cwd"))
        folder.cleanup()
    return html
