"""The convolution's batch-major kernels (issue #24): forward, input and weight gradients
against a direct NumPy loop over every output element (no im2col), including the clipped
window sums at the padded borders, strides, dilation and groups, and an empty batch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinytensor as tt

F = tt.nn.functional


def direct_conv2d(x, w, b, s, p, d, g):
    """(out, dx, dw) for the upstream gradient gy = 1 + index, by looping over every output."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (kh - 1) - 1) // s[0] + 1
    ow = (wd + 2 * p[1] - d[1] * (kw - 1) - 1) // s[1] + 1
    out = np.zeros((n, o, oh, ow))
    gy = 1.0 + np.arange(out.size, dtype=np.float64).reshape(out.shape) / out.size
    dxp, dw = np.zeros_like(xp), np.zeros(w.shape)
    og = o // g
    for i, j in itertools.product(range(oh), range(ow)):
        rows = slice(i * s[0], i * s[0] + d[0] * (kh - 1) + 1, d[0])
        cols = slice(j * s[1], j * s[1] + d[1] * (kw - 1) + 1, d[1])
        for gi in range(g):
            patch = xp[:, gi * cg : (gi + 1) * cg, rows, cols]  # (n, cg, kh, kw)
            wg = w[gi * og : (gi + 1) * og]  # (og, cg, kh, kw)
            out[:, gi * og : (gi + 1) * og, i, j] = np.einsum("nckl,ockl->no", patch, wg)
            gg = gy[:, gi * og : (gi + 1) * og, i, j]  # (n, og)
            dxp[:, gi * cg : (gi + 1) * cg, rows, cols] += np.einsum("no,ockl->nckl", gg, wg)
            dw[gi * og : (gi + 1) * og] += np.einsum("no,nckl->ockl", gg, patch)
    out += b.reshape(1, o, 1, 1)
    return out, gy, dxp[:, :, p[0] : p[0] + h, p[1] : p[1] + wd], dw


CASES = [  # (input shape, out channels, kernel, stride, padding, dilation, groups)
    ((5, 3, 9, 8), 4, (3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((3, 2, 10, 9), 3, (3, 2), (2, 3), (2, 1), (2, 1), 1),  # clipped at both borders
    ((4, 4, 7, 7), 6, (3, 3), (1, 2), (1, 0), (1, 2), 2),
    ((2, 1, 6, 6), 2, (5, 5), (1, 1), (2, 2), (1, 1), 1),  # windows reaching past both sides
]


@pytest.mark.parametrize("shape,o,k,s,p,d,g", CASES)
def test_conv2d_forward_and_gradients_match_a_direct_loop(shape, o, k, s, p, d, g):
    rng = np.random.default_rng(24)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((o, shape[1] // g, *k))
    b = rng.standard_normal(o)
    out, gy, dx, dw = direct_conv2d(x, w, b, s, p, d, g)
    xt, wt, bt = (tt.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, s, p, d, g)
    np.testing.assert_allclose(y.detach().numpy(), out, rtol=1e-10, atol=1e-10)
    y.backward(tt.tensor(gy))
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(wt.grad.numpy(), dw, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(bt.grad.numpy(), gy.sum((0, 2, 3)), rtol=1e-10)


def test_conv2d_and_transpose_of_an_empty_batch():
    x = tt.zeros(0, 3, 8, 8, requires_grad=True)
    w = tt.ones(4, 3, 3, 3, requires_grad=True)
    b = tt.ones(4, requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert tuple(y.shape) == (0, 4, 8, 8)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 3, 8, 8)
    assert not w.grad.numpy().any() and not b.grad.numpy().any()
    assert tuple(F.conv_transpose2d(tt.zeros(0, 4, 5, 5), w, stride=2).shape) == (0, 3, 11, 11)


@pytest.mark.torch
def test_empty_batch_shapes_match_torch():
    torch = pytest.importorskip("torch")
    w = np.ones((4, 3, 3, 3), np.float32)
    ours = F.conv2d(tt.zeros(0, 3, 8, 8), tt.tensor(w), padding=1, stride=2)
    theirs = torch.nn.functional.conv2d(torch.zeros(0, 3, 8, 8), torch.tensor(w), padding=1,
                                        stride=2)  # fmt: skip
    assert tuple(ours.shape) == tuple(theirs.shape)
    ours_t = F.conv_transpose2d(tt.zeros(0, 4, 5, 5), tt.tensor(w), stride=2)
    theirs_t = torch.nn.functional.conv_transpose2d(torch.zeros(0, 4, 5, 5), torch.tensor(w),
                                                    stride=2)  # fmt: skip
    assert tuple(ours_t.shape) == tuple(theirs_t.shape)
