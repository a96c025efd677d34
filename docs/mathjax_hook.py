"""MkDocs hook: serve MathJax from the site itself, so the maths renders offline.

MathJax 3 comes from the ``django-static-mathjax`` package of the package index (the ``docs``
extra installs it; its import name is ``mathjax``, and it needs no Django to be read). The hook
adds MathJax's ``es5`` build to the site under ``javascripts/mathjax/``: the ``tex-chtml.js``
component that ``mkdocs.yml`` loads, and the folders it loads on demand (fonts, TeX extensions,
the menu, accessibility and its speech rules). No page then reaches for a CDN.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

TARGET = "javascripts/mathjax"
COMPONENT = "tex-chtml.js"
ON_DEMAND = ("output", "input", "ui", "a11y", "adaptors", "sre")


def mathjax_root() -> Path:
    """The ``es5`` folder of the installed MathJax build."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise PluginError(
            "the docs need MathJax from the django-static-mathjax package: from your clone, "
            'pip install -e ".[docs]"'
        )
    root = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"
    if not (root / COMPONENT).is_file():
        raise PluginError(f"{root / COMPONENT} is missing: reinstall django-static-mathjax")
    return root


def on_files(files: Files, config) -> Files:
    root = mathjax_root()
    paths = [root / COMPONENT]
    for folder in ON_DEMAND:
        paths.extend(p for p in sorted((root / folder).rglob("*")) if p.is_file())
    for path in paths:
        uri = f"{TARGET}/{path.relative_to(root).as_posix()}"
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
