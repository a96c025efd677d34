"""pad's reflect mode at its limit (tinytensor/ops/pad.py): a pad may be at most the input size
minus one on each side (the reflection never repeats the edge), a pad equal to the size is
PyTorch's RuntimeError. Against NumPy's reflect, and PyTorch's error where installed."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt

F = tt.nn.functional

# (input shape, pad): each pad equals the size of the dim it pads on one side
TOO_WIDE = [((1, 1, 3), (3, 0)), ((1, 1, 3), (0, 3)), ((1, 4, 3), (0, 0, 4, 1)), ((2, 5), (1, 5))]


@pytest.mark.parametrize(("shape", "pad"), TOO_WIDE)
def test_reflect_pad_as_wide_as_the_input_is_refused(shape, pad):
    x = tt.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
    with pytest.raises(RuntimeError, match="reflect padding .* must be smaller than the input"):
        F.pad(x, pad, mode="reflect")


@pytest.mark.parametrize(("shape", "pad"), TOO_WIDE)
def test_reflect_pad_one_less_than_the_input_equals_numpy(shape, pad):
    pad = tuple(max(p - 1, 0) for p in pad)
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(len(pad) // 2))]
    want = np.pad(x, [(0, 0)] * (x.ndim - len(pairs)) + pairs, mode="reflect")
    np.testing.assert_array_equal(F.pad(tt.tensor(x), pad, mode="reflect").numpy(), want)


@pytest.mark.torch
@pytest.mark.parametrize(("shape", "pad"), TOO_WIDE)
def test_reflect_pad_limit_matches_torch(shape, pad):
    torch = pytest.importorskip("torch")
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        torch.nn.functional.pad(torch.tensor(x), pad, mode="reflect")
    with pytest.raises(RuntimeError):
        F.pad(tt.tensor(x), pad, mode="reflect")
