"""The site works offline and shows the course's output.

- No script, stylesheet or font comes from another host: MathJax is served by the site itself
  (``docs/mathjax_hook.py`` adds it from the ``django-static-mathjax`` package) and the theme
  uses the system fonts instead of a font CDN.
- Every ```python block of the course is executed at build time by ``markdown-exec`` (each page
  in a session of its own), so the output under each block is the output of that code.

The build itself (``mkdocs build --strict``) is run by CI.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from .markdown_blocks import python_blocks

yaml = pytest.importorskip("yaml", reason="the docs extra: pip install -e '.[docs]'")

ROOT = Path(__file__).resolve().parents[2]
COURSE = sorted((ROOT / "docs" / "course").glob("0*.md"))


class _AnyTagLoader(yaml.SafeLoader):
    """Read mkdocs.yml even where it names Python objects (``!!python/name:...``)."""


_AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


@pytest.fixture(scope="module")
def config():
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_AnyTagLoader)


def _hook(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_asset_comes_from_another_host(config):
    for key in ("extra_javascript", "extra_css"):
        remote = [str(e) for e in config.get(key, []) if "://" in str(e) or str(e).startswith("//")]
        assert not remote, f"{key} loads from another host: {remote}"
    assert config["theme"].get("font") is False, "theme fonts come from a font CDN: set font: false"


def test_mathjax_is_served_by_the_site(config):
    assert "docs/mathjax_hook.py" in config.get("hooks", [])
    assert "javascripts/mathjax/tex-chtml.js" in config["extra_javascript"]
    pytest.importorskip("mkdocs", reason="the docs extra: pip install -e '.[docs]'")
    if importlib.util.find_spec("mathjax") is None:
        pytest.fail('MathJax is missing: pip install -e ".[docs]" (django-static-mathjax)')
    hook = _hook("mathjax_hook")
    root = hook.mathjax_root()
    assert (root / "tex-chtml.js").is_file()
    fonts = list((root / "output" / "chtml" / "fonts").rglob("*.woff"))
    assert fonts, "MathJax's CHTML fonts are missing"
    # The mathjax.js settings are for arithmatex's generic output, and start no other download.
    settings = (ROOT / "docs" / "javascripts" / "mathjax.js").read_text()
    assert "processHtmlClass" in settings and "://" not in settings


def test_every_course_block_is_executed_at_build_time(config):
    plugins = [p if isinstance(p, str) else next(iter(p)) for p in config["plugins"]]
    assert "markdown-exec" in plugins
    assert "docs/course_hook.py" in config.get("hooks", [])
    for page in COURSE:
        number = page.name[:2]
        for block in python_blocks(page):
            assert re.search(r'\bexec="(on|1|true|yes)"', block.info), (
                f"{page.name}:{block.line}: the block is not run at build time (exec=\"on\")")
            assert f'session="course-{number}"' in block.info, (
                f"{page.name}:{block.line}: use the page's session, session=\"course-{number}\"")
            assert 'source="above"' in block.info, f"{page.name}:{block.line}: show the code"
