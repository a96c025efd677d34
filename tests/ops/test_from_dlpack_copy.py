"""``from_dlpack(ext_tensor, *, device=None, copy=None)``: shares memory unless ``copy=True``
(a NumPy array and a tinytensor tensor alike), as PyTorch's; NumPy only, and against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt


@pytest.mark.parametrize("copy", [None, False, True])
def test_a_numpy_array_is_shared_unless_copy_is_true(copy):
    a = np.arange(4.0)
    t = tt.from_dlpack(a, copy=copy)
    np.testing.assert_array_equal(t.numpy(), a)
    assert np.shares_memory(t.numpy(), a) is (copy is not True)
    a[0] = 9.0
    assert t[0].item() == (0.0 if copy else 9.0)


@pytest.mark.parametrize("copy", [None, False, True])
def test_a_tensor_is_shared_unless_copy_is_true(copy):
    x = tt.arange(4.0, requires_grad=True)
    t = tt.from_dlpack(x, copy=copy)
    assert not t.requires_grad
    assert np.shares_memory(t.numpy(), x.detach().numpy()) is (copy is not True)


@pytest.mark.torch
def test_sharing_against_pytorch():
    torch = pytest.importorskip("torch")
    for copy in (None, True):
        a = np.arange(4.0)
        ours, theirs = tt.from_dlpack(a, copy=copy), torch.from_dlpack(a, copy=copy)
        a[1] = 7.0
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
