"""Run every ```python block of every page under docs/, page by page.

The blocks of one page run in order in one namespace, like cells of a notebook, in a fresh
temporary directory with an empty ``images/`` folder. A block that raises fails the page's test
with the page, the block's line and the traceback. Every image a page shows
(``![...](images/x.png)``) must be drawn by that page's own code.

Set ``TINYTENSOR_DOCS_WRITE_IMAGES=1`` to copy the pictures the pages draw into their
``images/`` folders under docs/ (that is how the committed PNGs are made).
"""

from __future__ import annotations

import os
import shutil
import traceback
from pathlib import Path

import pytest

from .markdown_blocks import image_links, python_blocks

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if python_blocks(p))
MAX_IMAGE_BYTES = 150_000


def run_page(page: Path, workdir: Path) -> dict:
    """Execute the page's python blocks in ``workdir``; return the namespace they filled."""
    namespace: dict = {"__name__": f"docs_page_{page.stem.replace('-', '_')}"}
    rel = page.relative_to(DOCS.parent)
    for number, block in enumerate(python_blocks(page), start=1):
        # Pad with newlines so a traceback's line numbers are the Markdown file's own.
        try:
            code = compile("\n" * (block.line - 1) + block.source, str(rel), "exec")
            exec(code, namespace)
        except Exception as exc:  # report where on the page, not where in this runner
            tb = "".join(traceback.format_exception(exc))
            pytest.fail(
                f"{rel}: python block {number} (line {block.line}) raised "
                f"{type(exc).__name__}: {exc}\n\n{tb}",
                pytrace=False,
            )
    return namespace


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_runs_and_draws_its_pictures(page, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (tmp_path / "images").mkdir()
    monkeypatch.chdir(tmp_path)
    try:
        run_page(page, tmp_path)
    finally:
        plt.close("all")

    missing = [link for link in image_links(page) if not (tmp_path / link).is_file()]
    assert not missing, f"{page.name} shows pictures its code does not draw: {missing}"
    for link in image_links(page):
        size = (tmp_path / link).stat().st_size
        assert size <= MAX_IMAGE_BYTES, f"{page.name}: {link} is {size:,} bytes (keep it small)"
        if os.environ.get("TINYTENSOR_DOCS_WRITE_IMAGES") == "1":
            target = page.parent / link
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(tmp_path / link, target)
        else:
            assert (page.parent / link).is_file(), (
                f"{page.name}: {link} is not committed under docs/; "
                "run with TINYTENSOR_DOCS_WRITE_IMAGES=1"
            )


def test_every_python_block_is_found():
    """The extractor sees the course's code: guard against a fence it silently skips."""
    course = DOCS / "course"
    for page in sorted(course.glob("0*.md")):
        fences = page.read_text().count("```python")
        assert fences == len(python_blocks(page)), page.name
        assert fences > 0, f"{page.name} has no code"


def test_the_engine_of_page_2_fits_in_60_lines():
    engine = python_blocks(DOCS / "course" / "02-engine.md")[0].source
    lines = [ln for ln in engine.splitlines() if ln.strip() and not ln.startswith("import")]
    assert "class Value" in engine and len(lines) <= 60, len(lines)
