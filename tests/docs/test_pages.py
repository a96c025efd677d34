"""Every course page runs anywhere: as a script in an empty folder, and pasted into the REPL.

Each page under docs/ with ```python blocks runs twice, each time in a fresh subprocess in a
fresh, empty temporary folder (``tests/docs/course_runner.py`` does the running):

- as one script, the blocks in order (a traceback's line numbers are the Markdown file's own);
  a page whose code leaves more than its pictures behind (page 6's training runs) runs a second
  time in the same folder, as a reader re-running it would;
- pasted line by line into ``code.InteractiveConsole``, as into the standard Python REPL.

The page makes the folders it writes to; every image it shows (``![...](images/x.png)``) must
be drawn by its own code. Set ``TINYTENSOR_DOCS_WRITE_IMAGES=1`` to copy the pictures the pages
draw into their ``images/`` folders under docs/ (that is how the committed PNGs are made).
Both ways are marked slow (about a minute each for the whole course); CI runs them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .markdown_blocks import image_links, python_blocks

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if python_blocks(p))
MAX_IMAGE_BYTES = 150_000
TIMEOUT_S = 900
# A page that uses one of these optional packages is skipped, with the reason, where it is absent
# (a ModuleNotFoundError, or tinytensor's ImportError that names the package).
OPTIONAL_PACKAGES = {"tensorboard", "onnx", "onnxruntime", "hypothesis", "sklearn", "graphviz"}
_OPTIONAL = re.compile(r"(?:No module named '|needs the )(?P<name>[\w]+)")


def run_page(page: Path, mode: str, folder: Path) -> None:
    """Run ``page`` in ``folder`` the ``mode`` way ('script' or 'repl'); fail with its output."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "tests.docs.course_runner", mode, str(page)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
    )
    last_lines = "\n".join((done.stderr or "").strip().splitlines()[-3:])  # the error itself
    missing = _OPTIONAL.search(last_lines)
    if done.returncode != 0 and missing and missing["name"] in OPTIONAL_PACKAGES:
        pytest.skip(f"{page.relative_to(ROOT)} needs the optional {missing['name']} package")
    if done.returncode != 0:
        pytest.fail(
            f"{page.relative_to(ROOT)} failed as a {mode} (exit {done.returncode}) in an empty "
            f"folder:\n{done.stderr[-6000:]}",
            pytrace=False,
        )


@pytest.fixture
def empty_folder(tmp_path):
    folder = tmp_path / "reader"
    folder.mkdir()
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_runs_as_a_script_in_an_empty_folder(page, empty_folder):
    pytest.importorskip("matplotlib")
    run_page(page, "script", empty_folder)

    missing = [link for link in image_links(page) if not (empty_folder / link).is_file()]
    assert not missing, f"{page.name} shows pictures its code does not draw: {missing}"
    for link in image_links(page):
        size = (empty_folder / link).stat().st_size
        assert size <= MAX_IMAGE_BYTES, f"{page.name}: {link} is {size:,} bytes (keep it small)"
        if os.environ.get("TINYTENSOR_DOCS_WRITE_IMAGES") == "1":
            target = page.parent / link
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(empty_folder / link, target)
        else:
            assert (page.parent / link).is_file(), (
                f"{page.name}: {link} is not committed under docs/; "
                "run with TINYTENSOR_DOCS_WRITE_IMAGES=1"
            )

    if {p.name for p in empty_folder.iterdir()} - {"images"}:
        run_page(page, "script", empty_folder)  # what it left behind must not stop a rerun


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_pastes_into_the_repl(page, empty_folder):
    pytest.importorskip("matplotlib")
    run_page(page, "repl", empty_folder)


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
