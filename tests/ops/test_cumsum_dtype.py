"""``cumsum(input, dim, *, dtype=None)``: the input is cast to ``dtype`` before summing (so
int8 sums do not wrap), as PyTorch's; NumPy only, and against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt


def test_cumsum_sums_in_the_given_dtype():
    x = tt.tensor([100, 100, 100], dtype=tt.int8)
    out = tt.cumsum(x, 0, dtype=tt.int64)
    assert out.dtype == tt.int64
    np.testing.assert_array_equal(out.numpy(), [100, 200, 300])  # no int8 wrap-around
    f = tt.cumsum(tt.tensor([1, 2, 3]), dim=0, dtype=tt.float32)
    assert f.dtype == tt.float32
    np.testing.assert_array_equal(f.numpy(), np.array([1, 3, 6], np.float32))


def test_the_cumsum_method_takes_dtype_too():
    assert tt.tensor([1.0, 2.0]).cumsum(0, dtype=tt.float64).dtype == tt.float64
    x = tt.tensor([100, 100, 100], dtype=tt.int8)
    np.testing.assert_array_equal(x.cumsum(0, dtype=tt.int64).numpy(), [100, 200, 300])


@pytest.mark.torch
def test_cumsum_dtype_against_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([100, 100, 100], np.int8)
    want = torch.cumsum(torch.from_numpy(a), 0, dtype=torch.int64)
    got = tt.cumsum(tt.tensor(a), 0, dtype=tt.int64)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
