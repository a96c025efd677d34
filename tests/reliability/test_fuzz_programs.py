"""Random programs, run in tinytensor and in PyTorch, must agree on every value and gradient.

The fuzzer lives in ``progfuzz.py`` (engine) and ``progfuzz_table.py`` (the op table, with
generators in ``progfuzz_ops.py`` and ``progfuzz_shapes.py``). More examples:
``TT_FUZZ_EXAMPLES=10000 HYPOTHESIS_PROFILE=dev python -m pytest
tests/reliability/test_fuzz_programs.py``.
"""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from progfuzz import generate  # noqa: E402

_N = os.environ.get("TT_FUZZ_EXAMPLES")
_SETTINGS = settings(max_examples=int(_N)) if _N else settings()


@pytest.mark.torch
@_SETTINGS
@given(st.data())
def test_random_programs_match_pytorch(data):
    generate(data)
