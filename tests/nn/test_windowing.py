"""The size arguments of windowed ops (tinytensor/nn/functional/windowing.py): ``padding='same'``
with an odd total padding puts the extra row/column at the end, and a one-element list stands
for every spatial dim. Against NumPy oracles, and against PyTorch where installed."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt

F = tt.nn.functional


def correlate2d(x, w, lo, hi, dilation):
    """NumPy oracle: x (N, C, H, W) zero-padded by ``lo``/``hi`` (per spatial dim), then
    cross-correlated with w (O, C, kh, kw) at stride 1 and ``dilation``."""
    xp = np.pad(x, ((0, 0), (0, 0), (lo[0], hi[0]), (lo[1], hi[1])))
    kh, kw = w.shape[2:]
    dh, dw = dilation
    oh, ow = xp.shape[2] - dh * (kh - 1), xp.shape[3] - dw * (kw - 1)
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dh : i * dh + oh, j * dw : j * dw + ow]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return out


# kernel, dilation -> the total padding per dim: 3 (odd: 1 before, 2 after), 2, 4 and 1
SAME = [((4, 3), (1, 1)), ((3, 2), (1, 2)), ((2, 3), (1, 2))]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize(("k", "d"), SAME)
def test_same_padding_puts_the_odd_extra_at_the_end(k, d):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 7))
    w = rng.standard_normal((4, 3, *k))
    total = [dd * (kk - 1) for kk, dd in zip(k, d)]
    lo, hi = [t // 2 for t in total], [t - t // 2 for t in total]
    want = correlate2d(x, w, lo, hi, d)
    assert want.shape[2:] == x.shape[2:]
    got = F.conv2d(tt.tensor(x), tt.tensor(w), padding="same", dilation=d)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    layer = tt.nn.Conv2d(3, 4, k, padding="same", dilation=d, bias=False).double()
    with tt.no_grad():
        layer.weight.copy_(tt.tensor(w))
    np.testing.assert_allclose(layer(tt.tensor(x)).detach().numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize(("k", "d"), SAME)
def test_same_padding_matches_torch(k, d):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 5, 6))
    w = rng.standard_normal((3, 2, *k))
    got = F.conv2d(tt.tensor(x), tt.tensor(w), padding="same", dilation=d).numpy()
    want = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding="same", dilation=d)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)


def one_element_lists():
    rng = np.random.default_rng(2)
    x = tt.tensor(rng.standard_normal((1, 2, 7, 6)))
    w = tt.tensor(rng.standard_normal((3, 2, 3, 3)))
    return {
        "conv2d": (
            lambda: F.conv2d(x, w, stride=[2], padding=[1], dilation=[1]),
            lambda: F.conv2d(x, w, stride=2, padding=1, dilation=1),
        ),
        "max_pool2d": (lambda: F.max_pool2d(x, [3], [2], [1]), lambda: F.max_pool2d(x, 3, 2, 1)),
        "avg_pool2d": (lambda: F.avg_pool2d(x, [2]), lambda: F.avg_pool2d(x, 2)),
        "MaxPool2d": (
            lambda: tt.nn.MaxPool2d([3], stride=[1])(x),
            lambda: tt.nn.MaxPool2d(3, stride=1)(x),
        ),
    }


@pytest.mark.parametrize("name", sorted(one_element_lists()))
def test_a_one_element_list_stands_for_every_spatial_dim(name):
    listed, plain = one_element_lists()[name]
    got, want = listed(), plain()
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_a_list_of_another_length_is_pytorchs_runtime_error():
    x = tt.randn(1, 1, 6, 6)
    with pytest.raises(RuntimeError, match="single integer value or a list of 2 values"):
        F.max_pool2d(x, [2, 2, 2])
