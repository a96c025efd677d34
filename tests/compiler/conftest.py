"""The compiler tests run with every value pooled, however small (``buffers.MIN_BYTES`` = 0),
so their small programs exercise buffer reuse as a large model's replays do; the tests of the
threshold itself set it back (``test_compile_buffers.py``)."""

from __future__ import annotations

import pytest

from tinytensor.compiler import buffers


@pytest.fixture(autouse=True)
def _pool_small_values(monkeypatch):
    monkeypatch.setattr(buffers, "MIN_BYTES", 0)
