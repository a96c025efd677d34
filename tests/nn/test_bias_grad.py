"""The bias gradients of linear and the convolutions (one ``BiasGrad`` primitive: BLAS products
with ones over the leading dims, in blocks) equal NumPy's sum over the broadcast dims, as
accurately, on the shapes that take the BLAS path and the ones that fall back beside them."""

import importlib

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F
from tinytensor.testing import gradcheck, gradgradcheck

_lin = importlib.import_module("tinytensor.nn.functional.linear")
NAN, INF = np.nan, np.inf


def _kernel(g, lead, trail):
    return _lin.BIAS_GRAD(g, lead=lead, trail=trail)


def _axes(g, lead, trail):
    return (*range(lead), *range(g.ndim - trail, g.ndim))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape, lead, trail",
    [
        ((1, 3), 1, 0),
        ((5, 7), 1, 0),
        ((1023, 4), 1, 0),
        ((1024, 4), 1, 0),  # exactly one block
        ((1025, 4), 1, 0),  # one block and a row
        ((3000, 5), 1, 0),  # blocks and a rest
        ((2049 * 1024 + 3, 1), 1, 0),  # the block sums themselves more than a block
        ((4, 6, 5), 2, 0),
        ((3, 4, 5, 6), 1, 2),
        ((2, 3, 7), 1, 1),
        ((1, 8, 33, 31), 1, 2),
        ((2, 3, 2, 2, 2), 1, 3),
    ],
)
def test_bias_grad_kernel_equals_numpys_sum_in_float64(shape, lead, trail, dtype):
    rng = np.random.default_rng(sum(shape))
    g = rng.standard_normal(shape).astype(dtype)
    got = _kernel(g, lead, trail)
    want = g.astype(np.float64).sum(_axes(g, lead, trail))
    assert got.dtype == dtype and got.shape == want.shape
    tol = 1e-12 if dtype == np.float64 else 2e-6
    scale = np.abs(g).astype(np.float64).sum(_axes(g, lead, trail))
    assert np.all(np.abs(got - want) <= tol * scale + 1e-30)


def test_a_long_float32_sum_is_as_accurate_as_a_blocked_sum():
    # 300,000 rows: one running sum (BLAS's, or NumPy's over axis 0) errs ~1e-5 here; blocks of
    # 1024 and a tree of block sums stay near float32's resolution.
    rng = np.random.default_rng(0)
    g = rng.uniform(0.0, 2.0, (300_000, 3)).astype(np.float32)
    want = g.astype(np.float64).sum(0)
    err = np.abs(_kernel(g, 1, 0) - want).max() / want.max()
    assert err < 1.5e-6
    conv = g.reshape(300, 1000, 3).transpose(0, 2, 1).copy()  # (N, C, L): 300 x 1000 per channel
    want = conv.astype(np.float64).sum((0, 2))
    assert np.abs(_kernel(conv, 1, 1) - want).max() / want.max() < 1.5e-6


@pytest.mark.parametrize(
    "g, lead, trail",
    [
        (np.arange(24.0, dtype=np.float32).reshape(4, 6).T, 1, 0),  # not contiguous
        (np.arange(60.0).reshape(3, 4, 5).transpose(1, 0, 2), 2, 0),
        (np.arange(24.0).reshape(2, 3, 4)[:, :, ::2], 1, 1),
        (np.arange(12.0, dtype=np.float16).reshape(3, 4), 1, 0),  # no BLAS for float16
        (np.zeros((0, 4), np.float32), 1, 0),
        (np.zeros((2, 0, 3)), 1, 1),
        (np.zeros((3, 2, 0)), 1, 1),
        (np.ones((2, 3)), 0, 0),
    ],
)
def test_bias_grad_kernel_fallbacks_equal_numpys_sum(g, lead, trail):
    got = _kernel(g, lead, trail)
    want = np.add.reduce(g, axis=_axes(g, lead, trail))
    assert got.dtype == g.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6)
    if not _axes(g, lead, trail):
        assert got is not g and not np.shares_memory(got, g)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_grad_kernel_propagates_nan_and_inf_per_column(dtype):
    g = np.ones((1500, 4), dtype)
    g[7, 0], g[1200, 1], g[3, 2], g[1499, 2] = NAN, INF, INF, -INF
    big = np.full((3, 2), np.finfo(dtype).max, dtype)
    with np.errstate(all="raise"):  # IEEE's quiet answers, never an error
        got = _kernel(g, 1, 0)
        np.testing.assert_array_equal(_kernel(big, 1, 0), [INF, INF])
    assert np.isnan(got[0]) and got[1] == INF and np.isnan(got[2]) and got[3] == 1500


def test_linear_bias_gradient_over_every_input_rank():
    rng = np.random.default_rng(1)
    w, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    for shape in [(4,), (5, 4), (2, 5, 4), (2, 1, 3, 4), (0, 4)]:
        x = rng.standard_normal(shape)
        g = rng.standard_normal(shape[:-1] + (3,))
        bt = tt.tensor(b, requires_grad=True)
        F.linear(tt.tensor(x), tt.tensor(w), bt).backward(tt.tensor(g))
        np.testing.assert_allclose(bt.grad.numpy(), g.reshape(-1, 3).sum(0), rtol=1e-12, atol=1e-15)
        assert bt.grad.shape == (3,)


def test_linear_bias_gradient_of_a_permuted_input_and_a_scalar_bias():
    rng = np.random.default_rng(2)
    x = tt.tensor(rng.standard_normal((4, 3, 5))).permute(1, 0, 2)
    w = tt.tensor(rng.standard_normal((2, 5)))
    g = rng.standard_normal((3, 4, 2))
    b = tt.tensor(rng.standard_normal(2), requires_grad=True)
    F.linear(x, w, b).backward(tt.tensor(g))
    np.testing.assert_allclose(b.grad.numpy(), g.sum((0, 1)), rtol=1e-12)
    s = tt.tensor(0.5, dtype=tt.float64, requires_grad=True)  # a 0-d bias: the sum of all of g
    F.linear(x, w, s).backward(tt.tensor(g))
    assert s.grad.shape == ()
    np.testing.assert_allclose(s.grad.item(), g.sum(), rtol=1e-12)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_convolution_bias_gradient_equals_the_sum_over_batch_and_space(nd):
    rng = np.random.default_rng(nd)
    conv = getattr(F, f"conv{nd}d")
    x = tt.tensor(rng.standard_normal((2, 3) + (5,) * nd))
    w = tt.tensor(rng.standard_normal((4, 3) + (3,) * nd))
    b = tt.tensor(rng.standard_normal(4), requires_grad=True)
    out = conv(x, w, b, padding=1)
    g = rng.standard_normal(out.shape)
    out.backward(tt.tensor(g))
    np.testing.assert_allclose(b.grad.numpy(), g.sum((0, *range(2, 2 + nd))), rtol=1e-12)
    b.grad = None
    ub = conv(x[0], w, b, padding=1)  # unbatched
    ub.backward(tt.tensor(g[0]))
    np.testing.assert_allclose(b.grad.numpy(), g[0].sum(tuple(range(1, 1 + nd))), rtol=1e-12)


def test_bias_gradients_differentiate_again_in_float64():
    rng = np.random.default_rng(3)
    x = tt.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = tt.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    b = tt.tensor(rng.standard_normal(5), requires_grad=True)
    assert gradcheck(F.linear, (x, w, b))
    assert gradgradcheck(F.linear, (x, w, b))
    xc = tt.tensor(rng.standard_normal((2, 2, 4, 4)), requires_grad=True)
    wc = tt.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    bc = tt.tensor(rng.standard_normal(3), requires_grad=True)
    assert gradgradcheck(lambda a, k, c: F.conv2d(a, k, c, padding=1), (xc, wc, bc))
    # d(sum of db * v)/dg is v broadcast back over the summed dims
    g = tt.tensor(rng.standard_normal((2, 3, 5)), requires_grad=True)
    (db,) = tt.autograd.grad(F.linear(x, w, b), b, g, create_graph=True)
    v = rng.standard_normal(5)
    (dg,) = tt.autograd.grad((db * tt.tensor(v)).sum(), g)
    np.testing.assert_array_equal(dg.numpy(), np.broadcast_to(v, (2, 3, 5)))
    gc = tt.tensor(rng.standard_normal((2, 3, 4, 4)), requires_grad=True)
    (dbc,) = tt.autograd.grad(F.conv2d(xc, wc, bc, padding=1), bc, gc, create_graph=True)
    (dgc,) = tt.autograd.grad((dbc * tt.tensor([1.0, 2.0, 3.0])).sum(), gc)
    want = np.broadcast_to(np.array([1.0, 2.0, 3.0])[:, None, None], (2, 3, 4, 4))
    np.testing.assert_array_equal(dgc.numpy(), want)


@pytest.mark.torch
def test_linear_and_conv2d_bias_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 7, 8)).astype(np.float32)
    w = rng.standard_normal((9, 8)).astype(np.float32)
    b = rng.standard_normal(9).astype(np.float32)
    g = rng.standard_normal((6, 7, 9)).astype(np.float32)
    bt = tt.tensor(b, requires_grad=True)
    F.linear(tt.tensor(x), tt.tensor(w), bt).backward(tt.tensor(g))
    bp = torch.tensor(b, requires_grad=True)
    torch.nn.functional.linear(torch.tensor(x), torch.tensor(w), bp).backward(torch.tensor(g))
    np.testing.assert_allclose(bt.grad.numpy(), bp.grad.numpy(), rtol=1e-5, atol=1e-5)
    xc = rng.standard_normal((4, 3, 10, 10)).astype(np.float32)
    wc = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    bc = rng.standard_normal(5).astype(np.float32)
    gc = rng.standard_normal((4, 5, 10, 10)).astype(np.float32)
    bt = tt.tensor(bc, requires_grad=True)
    F.conv2d(tt.tensor(xc), tt.tensor(wc), bt, padding=1).backward(tt.tensor(gc))
    bp = torch.tensor(bc, requires_grad=True)
    torch.nn.functional.conv2d(torch.tensor(xc), torch.tensor(wc), bp, padding=1).backward(
        torch.tensor(gc)
    )
    np.testing.assert_allclose(bt.grad.numpy(), bp.grad.numpy(), rtol=1e-5, atol=1e-5)
