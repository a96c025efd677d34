"""The convolution's forward kernel copies the im2col columns and multiplies them a few samples
at a time (issue #24). Against the unblocked computation (the whole column matrix, then one
batched matmul) it must give the same bits, return the same columns (the weight gradient reads
them), and for every geometry that blocks split unevenly: 1-D/2-D/3-D, strides, padding,
dilation, groups, 1x1 and 5x5 kernels, batch 1 and 0, non-contiguous input, float16/32/64."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.nn.functional import conv as conv_mod
from tinytensor.nn.functional import conv_kernels
from tinytensor.testing import gradcheck, gradgradcheck

F = tt.nn.functional


def geometry(x_shape, w_shape, s, p, d, g):
    nd = len(w_shape) - 2
    k = tuple(w_shape[2:])
    o = tuple((x_shape[2 + i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd))
    return conv_mod._Geom(tuple(x_shape), tuple(w_shape), k, s, p, d, g, o)


def unblocked(x, w, b, geo):
    """The forward as it was before blocking: the whole im2col matrix, one batched matmul."""
    cols = geo.cols(x)
    out = np.matmul(geo.wmat(w), cols).reshape(geo.x[0], geo.w[0], *geo.o)
    if b is not None:
        out += b.reshape(1, -1, *(1,) * len(geo.k))
    return out, cols


CASES = [  # (input shape, out channels, kernel, stride, padding, dilation, groups)
    ((5, 16, 14, 14), 32, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # W4's second convolution
    ((7, 1, 28, 28), 16, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # W4's first
    ((5, 3, 9, 8), 4, (3, 2), (2, 3), (2, 1), (2, 1), 1),
    ((6, 4, 7, 7), 6, (3, 3), (1, 2), (0, 1), (1, 2), 2),
    ((3, 2, 6, 6), 3, (5, 5), (1, 1), (2, 2), (1, 1), 1),
    ((5, 4, 5, 6), 3, (1, 1), (1, 1), (0, 0), (1, 1), 1),
    ((1, 3, 7, 5), 2, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # batch 1
    ((0, 3, 7, 5), 2, (3, 3), (1, 1), (1, 1), (1, 1), 1),  # empty batch
    ((5, 3, 11), 4, (3,), (2,), (1,), (2,), 1),  # 1-D
    ((3, 2, 5, 4, 6), 3, (3, 2, 3), (1, 2, 1), (1, 0, 1), (1, 1, 2), 1),  # 3-D
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("per_block", [1, 2, 3, None])  # samples per block; None: one block
def test_blocked_forward_gives_the_unblocked_bits_and_columns(monkeypatch, case, dtype, per_block):
    shape, o, k, s, p, d, g = case
    rng = np.random.default_rng(2024)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((o, shape[1] // g, *k)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    geo = geometry(x.shape, w.shape, s, p, d, g)
    if per_block is not None:  # a cache budget that fits exactly per_block samples' columns
        budget = per_block * shape[1] * int(np.prod(k)) * int(np.prod(geo.o)) * x.itemsize
        monkeypatch.setattr(conv_kernels, "CACHE_BYTES", budget)
    for bias in (b, None):
        want, want_cols = unblocked(x, w, bias, geo)
        got, cols = conv_kernels.conv_kernel(x, w, bias, geo=geo)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert cols.shape == want_cols.shape and cols.flags.c_contiguous
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(cols, want_cols)


def test_blocked_forward_reads_a_noncontiguous_input_without_writing_it(monkeypatch):
    monkeypatch.setattr(conv_kernels, "CACHE_BYTES", 2 * 3 * 9 * 6 * 7 * 4)  # two samples a block
    rng = np.random.default_rng(5)
    base = rng.standard_normal((7, 8, 3, 9)).astype(np.float32)
    x = base.transpose(0, 2, 3, 1)[:, :, ::1, 1:8]  # (7, 3, 9, 7) strided view
    x = x[:, :, 1:7]  # (7, 3, 6, 7)
    before = base.copy()
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    geo = geometry(x.shape, w.shape, (1, 1), (1, 1), (1, 1), 1)
    got, cols = conv_kernels.conv_kernel(x, w, None, geo=geo)
    want, want_cols = unblocked(np.ascontiguousarray(x), w, None, geo)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(cols, want_cols)
    np.testing.assert_array_equal(base, before)


def direct(x, w, b, p):
    """float64 stride-1 one-group 2-D convolution by a loop over the kernel offsets."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = h + 2 * p - kh + 1, wd + 2 * p - kw + 1
    out = np.zeros((n, o, oh, ow)) + b.reshape(1, o, 1, 1)
    for i, j in itertools.product(range(kh), range(kw)):
        out += np.einsum("nchw,oc->nohw", xp[:, :, i : i + oh, j : j + ow], w[:, :, i, j])
    return out


@pytest.mark.parametrize("shape,o,k,p", [((9, 16, 14, 14), 32, 3, 1), ((5, 3, 9, 7), 4, 5, 2)])
def test_blocked_forward_float32_is_as_accurate_as_float64_allows(monkeypatch, shape, o, k, p):
    monkeypatch.setattr(conv_kernels, "CACHE_BYTES", 1)  # one sample a block
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((o, shape[1], k, k)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    want = direct(x, w, b, p)
    got = F.conv2d(tt.tensor(x), tt.tensor(w), tt.tensor(b), padding=p).numpy()
    # The textbook bound for a float32 dot of n terms: n * eps * sum of the terms' sizes.
    bound = (shape[1] * k * k + 1) * np.finfo(np.float32).eps * direct(abs(x), abs(w), abs(b), p)
    assert (np.abs(got - want) <= bound).all()
    assert np.abs(got - want).max() < 1e-4  # and small in fact (values are ~sqrt(n) ~ 12)


def test_gradients_through_blocked_columns_match_the_loop(monkeypatch):
    monkeypatch.setattr(conv_kernels, "CACHE_BYTES", 1)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, 6, 5))
    w = rng.standard_normal((4, 2, 3, 3))
    b = rng.standard_normal(4)
    xt, wt, bt = (tt.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, padding=1)
    gy = rng.standard_normal(y.shape)
    y.backward(tt.tensor(gy))
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    dw = np.stack(
        [
            np.stack(
                [np.einsum("nohw,nchw->oc", gy, xp[:, :, i : i + 6, j : j + 5]) for j in range(3)],
                -1,
            )
            for i in range(3)
        ],
        -2,
    )
    np.testing.assert_allclose(y.detach().numpy(), direct(x, w, b, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(wt.grad.numpy(), dw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bt.grad.numpy(), gy.sum((0, 2, 3)), rtol=1e-12, atol=1e-12)


def test_blocked_forward_gradcheck_first_and_second_order(monkeypatch):
    monkeypatch.setattr(conv_kernels, "CACHE_BYTES", 1)
    rng = np.random.default_rng(8)
    x = tt.tensor(rng.standard_normal((3, 2, 5, 4)), requires_grad=True)
    w = tt.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    b = tt.tensor(rng.standard_normal(3), requires_grad=True)

    def f(x, w, b):
        return F.conv2d(x, w, b, padding=1)

    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))


@pytest.mark.torch
@pytest.mark.parametrize("channels", [(1, 16), (16, 32), (8, 16)])
def test_blocked_forward_and_backward_match_torch(monkeypatch, channels):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(conv_kernels, "CACHE_BYTES", 3 * 9 * channels[0] * 196 * 4)
    c, o = channels
    rng = np.random.default_rng(16)
    x = rng.standard_normal((10, c, 14, 14)).astype(np.float32)
    w = (rng.standard_normal((o, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    gy = rng.standard_normal((10, o, 14, 14)).astype(np.float32)
    xt, wt, bt = (tt.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, padding=1)
    y.backward(tt.tensor(gy))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
    ty.backward(torch.tensor(gy))
    for got, want in ((y.detach(), ty.detach()), (xt.grad, tx.grad), (wt.grad, tw.grad)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)
