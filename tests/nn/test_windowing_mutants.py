"""The size helpers of windowed ops (tinytensor/nn/functional/windowing.py) rule by rule, with
exact hand-derived values and NumPy oracles: ``ntuple``'s accepted and rejected forms (and the
error class and message of each), ``out_size`` against a count of window positions,
``same_padding``'s (low, high) split per axis, and ``string_padding``'s 'valid'/'same'/bad
strings through conv1d/conv2d/conv3d and the module's reflect padding. NumPy only."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.nn.functional.windowing import ntuple, out_size, same_padding, string_padding

F = tt.nn.functional


# ---- ntuple -----------------------------------------------------------------------------------


def test_ntuple_accepted_forms():
    assert ntuple(3, 2, "k", "op") == (3, 3)
    assert ntuple(np.int64(4), 3, "k", "op") == (4, 4, 4)
    assert type(ntuple(np.int64(4), 1, "k", "op")[0]) is int
    assert ntuple(0, 1, "k", "op") == (0,)
    assert ntuple([5], 3, "k", "op") == (5, 5, 5)
    assert ntuple((5,), 1, "k", "op") == (5,)
    assert ntuple([2, 3], 2, "k", "op") == (2, 3)
    assert ntuple((np.int32(2), 7, 1), 3, "k", "op") == (2, 7, 1)
    assert all(type(v) is int for v in ntuple((np.int32(2), 7), 2, "k", "op"))


def test_ntuple_wrong_length_is_a_runtime_error_naming_everything():
    msg = (
        r"^conv2d: expected stride to be a single integer value or a list of 2 values to match "
        r"the 2-D operation, but got stride=\[1, 2, 3\]$"
    )
    with pytest.raises(RuntimeError, match=msg):
        ntuple((1, 2, 3), 2, "stride", "conv2d")
    with pytest.raises(RuntimeError, match=r"list of 3 values .* 3-D .* padding=\[1, 2\]"):
        ntuple([1, 2], 3, "padding", "conv3d")
    with pytest.raises(RuntimeError, match=r"list of 2 values .* kernel_size=\[\]"):
        ntuple([], 2, "kernel_size", "max_pool2d")


@pytest.mark.parametrize("bad", [True, False, 2.0, "3", None, (2, 2.0), (True, 1), [1.5], (None,)])
def test_ntuple_non_ints_are_a_type_error(bad):
    with pytest.raises(
        TypeError, match=r"^conv2d: dilation must be an int or a tuple of 2 ints, got"
    ):
        ntuple(bad, 2, "dilation", "conv2d")


def test_ntuple_one_element_list_of_a_bad_value_is_still_rejected():
    with pytest.raises(TypeError, match=r"conv1d: k must be an int or a tuple of 1 ints"):
        ntuple([True], 1, "k", "conv1d")
    with pytest.raises(TypeError, match=r"got 2.5"):
        ntuple([2.5], 3, "k", "conv3d")


# ---- out_size ---------------------------------------------------------------------------------


def _count_windows(size, k, s, p, d):
    """Window starts i = 0, s, 2s, ... in the padded input whose last tap fits."""
    padded = size + 2 * p
    span = d * (k - 1) + 1
    return len(range(0, padded - span + 1, s))


def test_out_size_is_the_number_of_window_positions():
    for size, k, s, p, d in itertools.product(range(1, 9), (1, 2, 3), (1, 2, 3), (0, 1, 2), (1, 2)):
        if d * (k - 1) + 1 > size + 2 * p:
            continue
        assert out_size(size, k, s, p, d) == _count_windows(size, k, s, p, d), (size, k, s, p, d)


def test_out_size_by_hand():
    assert out_size(7, 3, 2, 1, 1) == 4
    assert out_size(10, 3, 3, 0, 2) == 2  # span 5: starts 0, 3
    assert out_size(5, 5, 1, 0, 1) == 1
    assert out_size(4, 3, 1, 0, 2) == 0  # span 5 > 4: (4 - 4 - 1) // 1 + 1


def test_conv_and_pool_output_sizes_follow_it():
    rng = np.random.default_rng(3)
    x = tt.tensor(rng.standard_normal((1, 1, 11, 9)))
    w = tt.tensor(rng.standard_normal((1, 1, 3, 2)))
    y = F.conv2d(x, w, stride=(2, 3), padding=(1, 2), dilation=(2, 1))
    assert y.shape[2:] == (out_size(11, 3, 2, 1, 2), out_size(9, 2, 3, 2, 1)) == (5, 4)
    assert F.max_pool2d(x, 3, 2, 1).shape[2:] == (6, 5)


# ---- same_padding -----------------------------------------------------------------------------


def test_same_padding_splits_the_total_low_then_high():
    assert same_padding((3,), (1,)) == [(1, 1)]
    assert same_padding((4,), (1,)) == [(1, 2)]
    assert same_padding((2, 5), (3, 1)) == [(1, 2), (2, 2)]
    assert same_padding((1, 4, 2), (5, 2, 1)) == [(0, 0), (3, 3), (0, 1)]
    assert same_padding((6, 3), (1, 2)) == [(2, 3), (2, 2)]


# ---- string_padding ---------------------------------------------------------------------------


def test_string_padding_direct():
    x = tt.tensor(np.arange(20.0).reshape(1, 1, 4, 5))
    y, p = string_padding(x, "valid", 1, 1, (3, 3), "conv2d")
    assert y is x and p == 0
    y, p = string_padding(x, "same", 1, 1, (3, 5), "conv2d")
    assert y is x and p == (1, 2)
    y, p = string_padding(x, "same", (1, 1), (2, 1), (3, 3), "conv2d")
    assert y is x and p == (2, 1)
    y, p = string_padding(x, "same", [1], [1], (2, 3), "conv2d")  # total 1 (odd) then 2
    assert p == 0 and y.shape == (1, 1, 5, 7)
    want = np.pad(x.numpy(), ((0, 0), (0, 0), (0, 1), (1, 1)))
    np.testing.assert_array_equal(y.numpy(), want)
    y, p = string_padding(x, "same", 1, (1, 3), (2, 2), "conv2d")  # totals 1 and 3
    assert p == 0
    np.testing.assert_array_equal(y.numpy(), np.pad(x.numpy(), ((0, 0), (0, 0), (0, 1), (1, 2))))


def test_string_padding_errors():
    x = tt.zeros(1, 1, 4, 4)
    with pytest.raises(RuntimeError) as info:
        string_padding(x, "full", 1, 1, (3, 3), "conv2d")
    assert str(info.value) == (
        "conv2d: invalid padding string 'full'; padding must be an int, a tuple, 'valid' or 'same'"
    )
    with pytest.raises(RuntimeError, match=r"conv2d: padding='same' is not supported for strided"):
        string_padding(x, "same", (1, 2), 1, (3, 3), "conv2d")
    with pytest.raises(RuntimeError, match=r"conv2d: padding='same' is not supported for strided"):
        string_padding(x, "same", 2, 1, (3, 3), "conv2d")
    with pytest.raises(RuntimeError, match=r"conv1d: invalid padding string 'SAME'"):
        F.conv1d(tt.zeros(1, 1, 5), tt.zeros(1, 1, 3), padding="SAME")
    with pytest.raises(RuntimeError, match=r"conv1d: padding='same' is not supported for strided"):
        F.conv1d(tt.zeros(1, 1, 5), tt.zeros(1, 1, 3), padding="same", stride=2)
    y, p = string_padding(x, "valid", 2, 1, (3, 3), "conv2d")  # 'valid' with stride: fine
    assert y is x and p == 0


def _correlate(xp, w, dil):
    """NumPy oracle: (N, C, *S) already padded, w (O, C, *k), stride 1, dilation dil."""
    nd = w.ndim - 2
    out_sp = tuple(xp.shape[2 + i] - dil[i] * (w.shape[2 + i] - 1) for i in range(nd))
    out = np.zeros((xp.shape[0], w.shape[0], *out_sp))
    for taps in itertools.product(*(range(k) for k in w.shape[2:])):
        sl = tuple(slice(t * dd, t * dd + o) for t, dd, o in zip(taps, dil, out_sp))
        patch = xp[(slice(None), slice(None), *sl)]
        out += np.einsum("nc...,oc->no...", patch, w[(slice(None), slice(None), *taps)])
    return out


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize(
    ("fn", "k", "d"),
    [
        (F.conv1d, (4,), (1,)),
        (F.conv1d, (3,), (2,)),
        (F.conv3d, (2, 3, 4), (1, 1, 1)),
        (F.conv3d, (2, 2, 3), (3, 2, 1)),
        (F.conv2d, (1, 4), (1, 1)),
    ],
)
def test_same_and_valid_conv_vs_oracle(fn, k, d):
    rng = np.random.default_rng(sum(k) + sum(d))
    nd = len(k)
    spatial = (5, 6, 4)[:nd]
    x = rng.standard_normal((2, 2, *spatial))
    w = rng.standard_normal((3, 2, *k))
    lohi = [(dd * (kk - 1) // 2, dd * (kk - 1) - dd * (kk - 1) // 2) for kk, dd in zip(k, d)]
    xp = np.pad(x, ((0, 0), (0, 0), *lohi))
    got = fn(tt.tensor(x), tt.tensor(w), padding="same", dilation=d)
    assert got.shape[2:] == spatial
    np.testing.assert_allclose(got.numpy(), _correlate(xp, w, d), rtol=1e-12, atol=1e-12)
    got = fn(tt.tensor(x), tt.tensor(w), padding="valid", dilation=d)
    np.testing.assert_allclose(got.numpy(), _correlate(x, w, d), rtol=1e-12, atol=1e-12)
    xt = tt.tensor(x, requires_grad=True)
    g = rng.standard_normal(spatial)
    (fn(xt, tt.tensor(w), padding="same", dilation=d) * tt.tensor(g)).sum().backward()
    assert xt.grad.shape == x.shape  # the pad's gradient is cropped back to the input


def test_same_padding_module_with_reflect_mode_matches_the_functional_pad():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 2, 6, 7))
    layer = tt.nn.Conv2d(2, 3, (4, 3), padding="same", padding_mode="reflect").double()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 1)), mode="reflect")
    w = layer.weight.detach().numpy()
    b = layer.bias.detach().numpy()
    want = _correlate(xp, w, (1, 1)) + b[:, None, None]
    np.testing.assert_allclose(layer(tt.tensor(x)).detach().numpy(), want, rtol=1e-12)


def test_string_padding_checks_stride_and_dilation_lengths_naming_them():
    x = tt.zeros(1, 1, 4, 4)
    with pytest.raises(RuntimeError, match=r"^conv2d: expected stride to be .* stride=\[1, 1, 1\]"):
        string_padding(x, "same", (1, 1, 1), 1, (3, 3), "conv2d")
    with pytest.raises(
        RuntimeError, match=r"^conv2d: expected dilation to be .* dilation=\[1, 2, 1\]"
    ):
        string_padding(x, "same", 1, (1, 2, 1), (3, 3), "conv2d")
    with pytest.raises(TypeError, match=r"^conv2d: dilation must be an int or a tuple of 2 ints"):
        string_padding(x, "same", 1, 1.5, (3, 3), "conv2d")
    with pytest.raises(TypeError, match=r"^conv2d: stride must be an int or a tuple of 2 ints"):
        string_padding(x, "same", "1", 1, (3, 3), "conv2d")
