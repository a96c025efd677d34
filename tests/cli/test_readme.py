"""The README's examples run and print what it says they print."""

import doctest
import re
import shutil
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
TEXT = README.read_text()


def _python_blocks():
    """The ```python blocks that are not REPL sessions, in order."""
    blocks = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)
    return [b for b in blocks if not b.lstrip().startswith(">>>")]


def _block_with(word):
    (block,) = [b for b in _python_blocks() if word in b]
    return block


def test_first_two_commands():
    """Each makes (or reuses) a virtual environment first; tests/cli/test_readme_install.py
    runs them in a fresh clone."""
    first = re.search(r"```bash\n(.*?)```", TEXT, flags=re.S).group(1).splitlines()
    venv = "python3 -m venv .venv && . .venv/bin/activate && "
    assert first[0].startswith(venv + 'pip install -e ".[examples]" && tinytensor train ')
    assert first[1].startswith(
        venv + 'pip install -e ".[test]" && HYPOTHESIS_PROFILE=ci python -m pytest -q '
    )


@pytest.fixture(scope="module")
def tour():
    """Run every REPL example; returns the namespace they leave behind."""
    parser = doctest.DocTestParser()
    test = parser.get_doctest(TEXT, {}, "README.md", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, clear_globs=False)
    return runner, test.globs


def test_repl_tour(tour):
    runner, _ = tour
    assert runner.tries > 40
    assert runner.failures == 0, "a README example printed something else (see output above)"


def test_property_based_example():
    namespace = {}  # the block stands alone: nothing from the blocks before it
    exec(compile(_block_with("@given"), "README-property", "exec"), namespace)
    namespace["test_cube_gradient"]()
    namespace["test_softclip_gradient_broadcasts"]()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
def test_draw_graph_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty folder: the block runs anywhere
    exec(compile(_block_with("draw_graph"), "README-graph", "exec"), {})
    assert (tmp_path / "graph.png").read_bytes()[:4] == b"\x89PNG"


def test_pictures_and_links_exist():
    for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", TEXT):
        path = README.parent / target
        assert path.is_file(), target
        assert path.stat().st_size < 150_000, f"{target} should stay small"


def _repl_blocks():
    """The ```python blocks that are REPL sessions."""
    blocks = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)
    return [b for b in blocks if b.lstrip().startswith(">>>")]


def _paste(block, console, captured):
    """Feed ``block`` to ``console`` line by line, as typed into plain ``python``; returns
    ``[(source, want, got)]`` per statement and raises if a line would not paste."""
    results, source, want, more = [], None, [], False

    def finish():
        if source is not None:
            results.append((source, "\n".join(want) + ("\n" if want else ""), captured.getvalue()))
        captured.seek(0)
        captured.truncate()

    for line in block.splitlines():
        if line.startswith(">>> "):
            assert not more, f"the statement before {line!r} needs a '...' line to end it"
            finish()
            source, want = line[4:], []
            more = console.push(line[4:])
        elif line == "..." or line.startswith("... "):
            assert more, f"{line!r} continues nothing: a blank line ended the block before it"
            source += "\n" + line[4:]
            more = console.push(line[4:])
        elif line.strip():
            want.append(line)
    assert not more, "the last statement of the block is not ended by a '...' line"
    finish()
    return results


def test_every_repl_block_pastes_into_plain_python():
    """Each REPL block, typed line by line into code.InteractiveConsole, prints what it says."""
    import code
    import contextlib
    import io

    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL
    captured = io.StringIO()
    console = code.InteractiveConsole({})
    console.write = captured.write  # tracebacks
    blocks = _repl_blocks()
    assert len(blocks) >= 6
    checked = 0
    with contextlib.redirect_stdout(captured):
        for block in blocks:
            for source, want, got in _paste(block, console, captured):
                if want.startswith("Traceback"):
                    last = want.strip().splitlines()[-1]
                    assert last in got, f">>> {source}\nexpected {last!r}, got:\n{got}"
                else:
                    assert checker.check_output(want, got, flags), (
                        f">>> {source}\nexpected:\n{want}got:\n{got}"
                    )
                checked += 1
    assert checked > 40


def test_install_hints_never_name_the_public_package():
    """`pip install tinytensor[...]` would install another project from the public index: every
    hint in the code, docs and CI uses the repository's own extras (`pip install -e ".[onnx]"`)."""
    root = README.parent
    files = [root / "README.md", root / "pyproject.toml", root / "mkdocs.yml", root / ".ci/run"]
    for folder in ("tinytensor", "docs", "tests", "benchmarks"):
        files += [p for p in (root / folder).rglob("*") if p.suffix in (".py", ".md", ".txt")]
    bad = re.compile(r"pip install [\"']?tinytensor\[")
    hits = [
        f"{p.relative_to(root)}:{n}"
        for p in files
        if p.is_file() and p != Path(__file__).resolve()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if bad.search(line)
    ]
    assert not hits, hits
