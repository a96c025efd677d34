"""The ``>>>`` examples in the docstrings run, and print what they say they print.

The reference site shows them (``docs/griffe_doctest.py`` fences them), so an example that rots
is a wrong page. Each module's examples run as doctests in the module's own namespace, with
``tt``/``tinytensor``, ``nn`` and ``F`` bound as the examples write them; whitespace is
normalised and ``...`` matches anything (tracebacks, long reprs).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tinytensor


def _modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(tinytensor.__path__, "tinytensor.")
        if info.name != "tinytensor.__main__"
    )


def _tests(modname: str) -> list[doctest.DocTest]:
    try:
        module = importlib.import_module(modname)
    except ImportError:  # an optional dependency (onnx, matplotlib) is missing
        return []
    import tinytensor.nn as nn
    import tinytensor.nn.functional as F

    globs = dict(vars(module), tt=tinytensor, tinytensor=tinytensor, nn=nn, F=F)
    found = doctest.DocTestFinder(recurse=True).find(module, modname, globs=globs)
    return [t for t in found if t.examples]


@pytest.mark.parametrize("modname", [m for m in _modules() if _tests(m)])
def test_docstring_examples_run(modname):
    tests = _tests(modname)
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    failures = []
    for test in tests:
        runner = doctest.DocTestRunner(optionflags=flags)
        report = []
        runner.run(test, out=report.append)
        if runner.failures:
            failures.append("".join(report))
    assert not failures, "docstring examples that fail:\n" + "\n".join(failures)
