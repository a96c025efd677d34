"""nanmedian(dim) of a row that is all NaN: the value is NaN and the index is the one PyTorch
2.13's CPU kernel returns (where libstdc++'s nth_element leaves the row's indices when every
comparison is false: 0, 0, 0, 2, 2, 3, 5, ... for rows of 1, 2, 3, ... NaNs), not always 0;
rows with a number are unchanged (the lower median of their numbers, ties by position)."""

import numpy as np
import pytest

import tinytensor as tt

NAN = float("nan")
# PyTorch 2.13 (CPU) for rows of n = 1, 2, ... NaNs, recorded from torch.nanmedian
TORCH_ALL_NAN = [0, 0, 0, 2, 2, 3, 5, 6, 7, 8, 8, 9, 8, 9, 9, 10, 10, 11, 11, 12]


@pytest.mark.parametrize("n", range(1, len(TORCH_ALL_NAN) + 1))
def test_an_all_nan_row_gives_pytorchs_index(n):
    v, i = tt.nanmedian(tt.full((n,), NAN), 0)
    assert np.isnan(float(v)) and i.dtype == tt.int64 and int(i) == TORCH_ALL_NAN[n - 1]


def test_long_rows_and_other_dims():
    # n = 1000, 4097: recorded from PyTorch as above
    assert int(tt.nanmedian(tt.full((1000,), NAN), 0).indices) == 666
    assert int(tt.nanmedian(tt.full((4097,), NAN, dtype=tt.float64), 0).indices) == 2730
    x = tt.tensor([[NAN] * 4, [1.0, NAN, 0.5, 3.0], [NAN, 2.0, NAN, NAN]])
    v, i = tt.nanmedian(x, 1, keepdim=True)
    assert i.tolist() == [[2], [0], [1]] and v.shape == (3, 1)
    assert tt.nanmedian(x.t(), 0).indices.tolist() == [2, 0, 1]
    assert int(tt.nanmedian(tt.tensor(NAN), 0).indices) == 0  # a 0-d input: index 0


def test_gradient_goes_to_the_returned_nan():
    x = tt.full((2, 5), NAN, requires_grad=True)
    v, i = tt.nanmedian(x, 1)
    v.sum().backward()
    want = np.zeros((2, 5), np.float32)
    want[:, 2] = 1.0  # 5 NaNs: index 2
    assert i.tolist() == [2, 2]
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_rows_with_numbers_are_unchanged():
    x = tt.tensor([[NAN, 4.0, NAN, 1.0, 1.0], [3.0, 3.0, 3.0, NAN, NAN]])
    v, i = tt.nanmedian(x, 1)
    assert v.tolist() == [1.0, 3.0] and i.tolist() == [4, 1]  # the 2nd of 1, 1, 4


@pytest.mark.torch
def test_matches_torch():
    torch = pytest.importorskip("torch")
    for n in list(range(1, 70)) + [257, 1000, 4099]:
        assert int(tt.nanmedian(tt.full((n,), NAN), 0).indices) == int(
            torch.nanmedian(torch.full((n,), NAN), 0).indices
        ), n
    rng = np.random.default_rng(7)
    for shape in [(5, 7), (3, 4, 9), (6, 1), (2, 33)]:
        x = rng.standard_normal(shape)
        x[rng.random(shape) < 0.5] = np.nan
        x[0] = np.nan
        x[-1, ..., 0] = 1.0  # ties with the other 1.0s
        x[-1, ..., -1] = 1.0
        for d in range(len(shape)):
            ours, theirs = tt.nanmedian(tt.tensor(x), d), torch.nanmedian(torch.tensor(x), d)
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
            np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
