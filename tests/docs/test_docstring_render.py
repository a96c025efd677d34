"""Formulas in docstrings render as written: Markdown must not eat a ``*``.

The API reference renders every docstring as Markdown, so ``a*b + c*d`` would lose its stars and
print "ab + cd" with an italic middle. Formulas belong in code spans (```a*b```).

For each docstring the reference can show (objects whose own name has no leading underscore,
plus ``__init__``, which is merged into its class), the test renders the text the way the site
does: the doctest fences of ``docs/griffe_doctest.py`` first, then the ``markdown`` package with
the extensions listed in ``mkdocs.yml``. Then:

- every ``*`` of the source is either shown in the rendered text or accounted for as markup: two
  per ``<em>``, four per ``<strong>``, one per ``* `` list bullet;
- no ``<em>``/``<strong>`` holds formula characters (``= ^ / + < > | ~`` or a call ``f(``):
  emphasis is for words, never a formula swallowed between two multiplications.

The check works from the source files (``ast``), so it needs no import of tinytensor.
"""

from __future__ import annotations

import ast
import html
import importlib.util
import re
from pathlib import Path

import pytest

markdown = pytest.importorskip("markdown", reason="the docs extra: pip install -e '.[docs]'")
yaml = pytest.importorskip("yaml", reason="the docs extra: pip install -e '.[docs]'")

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tinytensor"

_TAG = re.compile(r"<[^>]+>")
_EMPH = re.compile(r"<(em|strong)>(.*?)</\1>", re.S)
_FORMULA = re.compile(r"[=^/+<>|~]|\w\(")
_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(r"^\s*\* ")


def _fence_doctests():
    source = ROOT / "docs" / "griffe_doctest.py"
    spec = importlib.util.spec_from_file_location("griffe_doctest", source)
    module = importlib.util.module_from_spec(spec)
    pytest.importorskip("griffe", reason="the docs extra: pip install -e '.[docs]'")
    spec.loader.exec_module(module)
    return module.fence_doctests


class _AnyTagLoader(yaml.SafeLoader):
    """Read mkdocs.yml even where it names Python objects (``!!python/name:...``)."""


_AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def _extensions():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_AnyTagLoader)
    names, configs = [], {}
    for entry in config.get("markdown_extensions", []):
        if isinstance(entry, dict):
            (name, options), = entry.items()
            names.append(name)
            configs[name] = options or {}
        else:
            names.append(entry)
    return names, configs


def _public_docstrings():
    """(where, docstring) for every docstring the reference can render."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        rel = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Module):
                name = path.stem
            elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                name = node.name
                if name.startswith("_") and name != "__init__":
                    continue
            else:
                continue
            doc = ast.get_docstring(node, clean=True)
            if doc:
                found.append((f"{rel}:{getattr(node, 'lineno', 1)} {name}", doc))
    return found


def _star_bullets(text: str) -> int:
    count, in_fence = 0, False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and _BULLET.match(line):
            count += 1
    return count


def lost_stars(text: str, md) -> list[str]:
    """The problems of one docstring's rendering (empty when it renders as written)."""
    md.reset()
    rendered = md.convert(text)
    problems = []
    marks = 0
    for tag, inner in _EMPH.findall(rendered):
        marks += 2 if tag == "em" else 4
        inner_text = html.unescape(_TAG.sub("", inner))
        if _FORMULA.search(inner_text):
            problems.append(f"<{tag}> swallowed a formula: {inner_text!r}")
    shown = html.unescape(_TAG.sub("", rendered)).count("*")
    expected = text.count("*") - marks - _star_bullets(text)
    if shown < expected:
        problems.append(f"{expected - shown} '*' lost in rendering")
    return problems


@pytest.fixture(scope="module")
def md():
    names, configs = _extensions()
    return markdown.Markdown(extensions=names, extension_configs=configs)


def test_every_public_docstring_renders_its_formulas(md):
    fence = _fence_doctests()
    docs = _public_docstrings()
    assert len(docs) > 500, "the docstring walk found too little"
    bad = []
    for where, doc in docs:
        problems = lost_stars(fence(doc), md)
        if problems:
            bad.append(f"{where}: {'; '.join(problems)}\n    {doc.splitlines()[0][:90]}")
    assert not bad, (
        f"{len(bad)} docstrings lose a '*' in the API reference; put formulas in code spans "
        "(`a*b`):\n" + "\n".join(bad)
    )


@pytest.mark.parametrize(
    "text, ok",
    [
        ("f(a, b) = a*b;  da = g*b,  db = g*a", False),  # the bug: "ab;  da = gb"
        ("`f(a, b) = a*b;  da = g*b,  db = g*a`", True),
        ("p -= lr/(1 - b1^t) * m / (sqrt(v) + eps)", True),  # lone '*' between spaces stays
        ("m = b1*m + (1 - b1)*g", False),
        ("A tensor made by the user is a *leaf*.", True),
        ("* **Bold lead.** A bullet whose text is prose.", True),
        ("scale *x + y* with an emphasised formula", False),
        ("```python\nx = a*b*c\n```", True),
    ],
)
def test_the_check_catches_a_lost_star(md, text, ok):
    assert (lost_stars(text, md) == []) == ok, lost_stars(text, md)
