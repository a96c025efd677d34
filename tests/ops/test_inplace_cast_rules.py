"""In-place results and written numbers as PyTorch 2.13 (tinytensor/ops/inplace.py, index.py):
an in-place op may cast its result to the tensor's dtype unless that turns floating into
integer or bool, or non-bool into bool (PyTorch's canCast), so uint8 += int64 tensor is fine
(NumPy's same_kind rule refused int64 -> uint8); ``t[i] = number`` converts the number with
PyTorch's overflow check (RuntimeError, was NumPy's OverflowError). NumPy oracles first,
PyTorch behind the marker."""

import numpy as np
import pytest

import tinytensor as tt


def test_inplace_result_cast_rule_numpy():
    u = tt.tensor([250, 2, 3], dtype=tt.uint8)
    u.add_(tt.tensor([10, 1, 1]))  # int64 result cast to uint8, wrapping
    assert u.dtype is tt.uint8 and u.tolist() == [4, 3, 4]
    i = tt.tensor([1, 2], dtype=tt.int32)
    i.mul_(tt.tensor([3, 3], dtype=tt.int64))
    assert i.dtype is tt.int32 and i.tolist() == [3, 6]
    f = tt.tensor([1.0, 2.0], dtype=tt.float16)
    f.add_(tt.tensor([1.0, 1.0], dtype=tt.float64))
    assert f.dtype is tt.float16 and f.tolist() == [2.0, 3.0]
    with pytest.raises(RuntimeError, match="can't be cast"):
        tt.tensor([1, 2]).add_(tt.tensor([0.5, 0.5]))  # floating into integer
    with pytest.raises(RuntimeError, match="can't be cast"):
        tt.tensor([True]).add_(tt.tensor([1]))  # integer into bool
    b = tt.tensor([True, False])
    b.logical_or_(tt.tensor([False, True]))
    assert b.tolist() == [True, True]


def test_setitem_number_overflow_numpy():
    u = tt.tensor([1, 2], dtype=tt.uint8)
    with pytest.raises(RuntimeError, match="without overflow"):
        u[0] = 300
    assert u.tolist() == [1, 2]
    u[0] = -1  # wraps, as PyTorch
    assert u.tolist() == [255, 2]
    h = tt.tensor([1.0], dtype=tt.float16)
    with pytest.raises(RuntimeError, match="without overflow"):
        h[0] = 1e300
    i = tt.tensor([1, 2])
    i[1] = 2.7
    assert i.tolist() == [1, 2]
    np.testing.assert_array_equal(tt.tensor([1.0, 2.0]).numpy(), [1.0, 2.0])


@pytest.mark.torch
def test_matches_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, tt):
        u = lib.tensor([250, 2, 3], dtype=lib.uint8)
        u.add_(lib.tensor([10, 1, 1]))
        assert u.tolist() == [4, 3, 4]
        with pytest.raises(RuntimeError):
            lib.tensor([1, 2]).add_(lib.tensor([0.5, 0.5]))
        v = lib.tensor([1, 2], dtype=lib.uint8)
        with pytest.raises(RuntimeError):
            v[0] = 300
        v[0] = -1
        assert v.tolist() == [255, 2]
