"""max_unpool's limits: ``output_size`` strictly within a stride of the default size, and
every index inside the output (PyTorch's ValueError and RuntimeError). NumPy-side tests, and
the same limits against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F


def _pooled():
    # Decreasing values: each window's max is its first element (indices 0, 2, 4).
    x = tt.tensor(-np.arange(2 * 2 * 6, dtype=np.float32).reshape(2, 2, 6))
    return F.max_pool1d(x, 2, return_indices=True)  # default unpooled size: 6


def test_output_size_must_be_strictly_within_a_stride_of_the_default():
    y, i = _pooled()
    for size in (5, 6, 7):  # default 6, stride 2: 5..7 allowed
        out = F.max_unpool1d(y, i, 2, output_size=[size])
        assert out.shape == (2, 2, size)
    for size in (4, 8):  # default - stride and default + stride: refused
        with pytest.raises(ValueError, match="within a stride"):
            F.max_unpool1d(y, i, 2, output_size=[size])


def test_an_index_equal_to_the_output_size_is_refused():
    y, i = _pooled()
    bad = i.clone()
    bad[0, 0, 0] = 6  # one past the end of plane (0, 0): it must not land in plane (0, 1)
    with pytest.raises(RuntimeError, match="out of range"):
        F.max_unpool1d(y, bad, 2)
    bad[0, 0, 0] = 5  # the last position: fine
    out = F.max_unpool1d(y, bad, 2)
    assert out[0, 0, 5].item() == y[0, 0, 0].item()


@pytest.mark.torch
def test_the_limits_against_pytorch():
    torch = pytest.importorskip("torch")
    y, i = _pooled()
    ty, ti = torch.from_numpy(y.numpy()), torch.from_numpy(i.numpy())
    for size in (4, 5, 7, 8):
        ok = True
        try:
            torch.nn.functional.max_unpool1d(ty, ti, 2, output_size=[size])
        except ValueError:
            ok = False
        if ok:
            assert F.max_unpool1d(y, i, 2, output_size=[size]).shape[-1] == size
        else:
            with pytest.raises(ValueError):
                F.max_unpool1d(y, i, 2, output_size=[size])
    bad = ti.clone()
    bad[0, 0, 0] = 6
    with pytest.raises(RuntimeError):
        torch.nn.functional.max_unpool1d(ty, bad, 2)
    with pytest.raises(RuntimeError):
        F.max_unpool1d(y, tt.tensor(bad.numpy()), 2)


def test_output_size_may_name_the_batch_and_channel_sizes_too():
    # PyTorch reads the last spatial sizes of output_size: (N, C, L) and (L,) alike.
    y, i = _pooled()
    for size in ([7], (2, 2, 7), (2, 7)):
        out = F.max_unpool1d(y, i, 2, output_size=size)
        assert out.shape == (2, 2, 7)
        np.testing.assert_array_equal(out.numpy()[..., :6], F.max_unpool1d(y, i, 2).numpy())
