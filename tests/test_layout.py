"""The package's layout rules (issue #20): modules small enough to read, named by what they hold."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tinytensor"
MAX_LINES = 500
BATCH_NAMES = re.compile(r"(_ext\d*|_more|^misc|\d)")  # annexes named by when they came


def test_no_module_over_500_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these by what they hold (lines): {long}"


def test_ops_and_methods_are_named_by_family_not_by_batch():
    bad = [
        str(p.relative_to(PACKAGE))
        for folder in ("ops", "tensor_methods")
        for p in (PACKAGE / folder).rglob("*.py")
        if BATCH_NAMES.search(p.stem)
    ]
    assert not bad, f"name these by the family they hold: {bad}"
