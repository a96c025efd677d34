"""Random programs, run in tinytensor and in PyTorch, must agree on every value and gradient.

The fuzzer lives in ``progfuzz.py`` (engine) and ``progfuzz_table.py`` (the op table, with
generators in ``progfuzz_ops.py``, ``progfuzz_shapes.py`` and ``progfuzz_nn.py`` (pooling and
convolution)); ``progfuzz_compiled.py`` replays a program through ``tt.compile``. More examples:
``TT_FUZZ_EXAMPLES=10000 HYPOTHESIS_PROFILE=dev python -m pytest
tests/reliability/test_fuzz_programs.py``.
"""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from progfuzz import generate  # noqa: E402
from progfuzz_compiled import compiled_mismatch, same_numbers  # noqa: E402

_N = os.environ.get("TT_FUZZ_EXAMPLES")
_SETTINGS = settings(max_examples=int(_N)) if _N else settings()


@pytest.mark.torch
@_SETTINGS
@given(st.data())
def test_random_programs_match_pytorch(data):
    generate(data)


@pytest.mark.torch
@_SETTINGS
@given(st.data())
def test_random_programs_compiled_equal_eager(data):
    """The same random programs through tt.compile: traced, then replayed twice (the second
    time on reused buffers), every value the same numbers as eager's, every gradient within
    rounding (``progfuzz_compiled``) (a program with a graph break runs eagerly)."""
    r = generate(data)
    mismatch = compiled_mismatch(r.steps)
    assert mismatch is None, f"compiled differs from eager: {mismatch}\n{r}"


def test_compiled_values_compare_as_numbers():
    """The relu/max-pool reorder may turn a -0.0 into +0.0: equal numbers, other bytes."""
    neg, pos = np.array([-0.0, np.nan, 1.5]), np.array([0.0, np.nan, 1.5])
    assert neg.tobytes() != pos.tobytes()
    assert same_numbers(neg, pos)
    assert not same_numbers(neg, np.array([0.0, np.nan, 1.5 + 1e-15]))
    assert not same_numbers(neg, np.array([0.0, 0.0, 1.5]))  # a NaN equals only a NaN
    assert not same_numbers(neg, neg.reshape(1, 3))
    assert not same_numbers(neg, neg.astype(np.float32))
