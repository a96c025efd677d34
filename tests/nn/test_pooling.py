"""max_pool2d, avg_pool2d, adaptive_avg_pool2d: PyTorch agreement, gradients, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytensor as tt
from nn.helpers import compare_with_torch
from tinytensor.testing import gradcheck, gradgradcheck

F = tt.nn.functional

# (input shape, kernel, stride, padding, dilation, ceil_mode)
MAX_CASES = [
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 9, 7), 2, None, 0, 1, False),  # odd sizes drop the remainder
    ((2, 3, 9, 7), 2, None, 0, 1, True),  # ... or keep it with ceil_mode
    ((2, 2, 9, 9), 3, 2, 1, 1, False),  # overlapping windows, padding with stride 2
    ((2, 2, 9, 9), 3, 2, 1, 1, True),
    ((1, 2, 10, 9), (3, 2), (2, 1), (1, 1), (2, 1), False),  # dilation, asymmetric
    ((2, 3, 5, 4), (5, 4), None, 0, 1, False),  # kernel = input size
    ((1, 1, 6, 6), 4, 3, 2, 1, True),
]


@pytest.mark.torch
@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX_CASES)
def test_max_pool2d_matches_torch(shape, k, s, p, d, ceil):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    compare_with_torch(
        lambda x: F.max_pool2d(x, k, s, p, d, ceil),
        lambda x: torch.nn.functional.max_pool2d(x, k, s, p, d, ceil),
        [x],
    )


@pytest.mark.torch
@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX_CASES)
def test_max_pool2d_return_indices_match_torch(shape, k, s, p, d, ceil):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    out, idx = F.max_pool2d(tt.tensor(x), k, s, p, d, ceil, return_indices=True)
    ref, ref_idx = torch.nn.functional.max_pool2d(
        torch.tensor(x), k, s, p, d, ceil, return_indices=True
    )
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
    assert idx.dtype == tt.int64


@pytest.mark.torch
def test_max_pool2d_ties_route_to_the_first_maximum_like_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[[[1, 1, 0, 2], [1, 1, 2, 2], [3, 0, 5, 5], [3, 3, 5, 5]]]], np.float32)
    compare_with_torch(
        lambda x: F.max_pool2d(x, 2), lambda x: torch.nn.functional.max_pool2d(x, 2), [x]
    )
    xt = tt.tensor(x, requires_grad=True)
    F.max_pool2d(xt, 2).sum().backward()
    # each window sends its whole gradient to exactly one element
    assert xt.grad.sum().item() == 4 and (xt.grad.numpy() == 1).sum() == 4


@pytest.mark.torch
def test_max_pool2d_propagates_nan_like_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 1, 0] = np.nan
    out = F.max_pool2d(tt.tensor(x), 2).numpy()
    ref = torch.nn.functional.max_pool2d(torch.tensor(x), 2).numpy()
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))


@pytest.mark.torch
@given(
    hw=st.tuples(st.integers(2, 8), st.integers(2, 8)),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    ceil=st.booleans(),
)
def test_max_pool2d_property_against_torch(hw, k, s, ceil):
    torch = pytest.importorskip("torch")
    if min(hw) < k:
        return
    x = np.random.default_rng(sum(hw) * 7 + k).standard_normal((2, 2, *hw)).astype(np.float32)
    compare_with_torch(
        lambda x: F.max_pool2d(x, k, s, 0, 1, ceil),
        lambda x: torch.nn.functional.max_pool2d(x, k, s, 0, 1, ceil),
        [x],
    )


@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX_CASES[:5])
def test_max_pool2d_gradcheck_and_double_backward(shape, k, s, p, d, ceil):
    # distinct values, so no tie sits within finite-difference distance
    n = int(np.prod(shape[1:]))
    vals = np.random.default_rng(2).permutation(n).astype(np.float64).reshape(1, *shape[1:])
    x = tt.tensor(vals / 10, requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, k, s, p, d, ceil), (x,))
    assert gradgradcheck(lambda x: F.max_pool2d(x, k, s, p, d, ceil) ** 2, (x,))


@pytest.mark.torch
@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX_CASES)
def test_max_pool2d_double_backward_of_an_infinite_gradient_matches_torch(shape, k, s, p, d, ceil):
    # the second backward reads the gradient only at each window's argmax: infinities
    # elsewhere give no NaN (torch.autograd.grad twice, create_graph=True the first time)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.permutation(int(np.prod(shape))).reshape(shape) / 8.0
    w = rng.standard_normal(shape)
    w[rng.random(shape) < 0.3] = np.inf
    w[rng.random(shape) < 0.2] = -np.inf
    got = []
    for lib, fn in ((tt, F.max_pool2d), (torch, torch.nn.functional.max_pool2d)):
        xt = lib.tensor(x, requires_grad=True)
        out = fn(xt, k, s, p, d, ceil)
        g = lib.ones(*out.shape, dtype=lib.float64, requires_grad=True)
        (dx,) = lib.autograd.grad(out, xt, g, create_graph=True)
        (dg,) = lib.autograd.grad(dx, g, lib.tensor(w))
        got.append(dg.detach().numpy())
    np.testing.assert_array_equal(got[0], got[1])


AVG_CASES = [
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 9, 7), 3, 2, 1, False, True, None),
    ((2, 3, 9, 7), 3, 2, 1, False, False, None),
    ((2, 3, 9, 7), 3, 2, 1, True, True, None),
    ((2, 3, 9, 7), 3, 2, 1, True, False, None),
    ((1, 2, 6, 6), (2, 3), (1, 2), (1, 1), False, True, 5),
    ((2, 1, 5, 4), (5, 4), None, 0, False, True, None),  # kernel = input size
]


@pytest.mark.torch
@pytest.mark.parametrize("shape,k,s,p,ceil,cip,div", AVG_CASES)
def test_avg_pool2d_matches_torch(shape, k, s, p, ceil, cip, div):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    compare_with_torch(
        lambda x: F.avg_pool2d(x, k, s, p, ceil, cip, div),
        lambda x: torch.nn.functional.avg_pool2d(x, k, s, p, ceil, cip, div),
        [x],
    )


@pytest.mark.torch
@pytest.mark.parametrize("out_size", [1, (4, 3), (3, 5), (None, 2), (7, 7)])
def test_adaptive_avg_pool2d_matches_torch(out_size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 5)).astype(np.float32)
    compare_with_torch(
        lambda x: F.adaptive_avg_pool2d(x, out_size),
        lambda x: torch.nn.functional.adaptive_avg_pool2d(x, out_size),
        [x],
    )


def test_avg_pools_are_twice_differentiable():
    x = tt.randn(1, 2, 5, 6, dtype=tt.float64, requires_grad=True)
    assert gradgradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, True, False) ** 2, (x,))
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, (2, 4)), (x,))


def test_pool_unbatched_inputs():
    x = tt.randn(3, 6, 6)
    assert F.max_pool2d(x, 2).shape == (3, 3, 3)
    assert F.avg_pool2d(x, 2).shape == (3, 3, 3)
    assert F.adaptive_avg_pool2d(x, 1).shape == (3, 1, 1)


@pytest.mark.parametrize(
    "fn,kwargs,match",
    [
        (F.max_pool2d, {"kernel_size": 2, "padding": 2}, "at most half"),
        (F.max_pool2d, {"kernel_size": 0}, "must be positive"),
        (F.max_pool2d, {"kernel_size": 9}, "too small"),
        (F.avg_pool2d, {"kernel_size": 3, "padding": 2}, "at most half"),
        (F.avg_pool2d, {"kernel_size": 2, "divisor_override": 0}, "positive"),
    ],
)
def test_pool_errors(fn, kwargs, match):
    with pytest.raises((RuntimeError, ValueError), match=match):
        fn(tt.randn(1, 1, 5, 5), **kwargs)


@pytest.mark.torch
def test_pool_layers_repr_and_defaults_match_torch():
    torch = pytest.importorskip("torch")
    for ours, ref in [
        (tt.nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (tt.nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
        (tt.nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (tt.nn.AdaptiveAvgPool2d((1, 1)), torch.nn.AdaptiveAvgPool2d((1, 1))),
    ]:
        assert repr(ours) == repr(ref)
        x = np.random.default_rng(5).standard_normal((1, 2, 6, 6)).astype(np.float32)
        np.testing.assert_allclose(
            ours(tt.tensor(x)).numpy(), ref(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6
        )


def _max_pool_reference(x, g, k, s, p, d):
    """Max pooling and its gradient by plain loops: each window scans its kernel offsets in
    row-major order and a later element takes over only if strictly greater, so a tie goes to
    the first maximum in scan order (PyTorch's rule). Padding never wins."""
    n, c, h, w = x.shape
    oh, ow = g.shape[2:]
    out = np.zeros(g.shape, x.dtype)
    grad = np.zeros(x.shape, np.float64)
    for b, ch, i, j in np.ndindex(n, c, oh, ow):
        plane, best = x[b, ch], None
        for a, e in np.ndindex(*k):
            r, q = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + e * d[1]
            if 0 <= r < h and 0 <= q < w and (best is None or plane[r, q] > plane[best]):
                best = (r, q)
        out[b, ch, i, j] = plane[best]
        grad[b, ch][best] += g[b, ch, i, j]
    return out, grad


# kernel, stride, padding, dilation: tiling windows, overlapping ones, padding, dilation
TIE_CASES = [((2, 2), (2, 2), (0, 0), (1, 1)), ((3, 3), (1, 1), (1, 1), (1, 1)),
             ((3, 2), (2, 1), (1, 1), (2, 1))]  # fmt: skip


@pytest.mark.parametrize("k,s,p,d", TIE_CASES, ids=["tiling", "overlapping", "dilated"])
def test_max_pool2d_tie_goes_to_the_first_maximum_in_scan_order(k, s, p, d):
    rng = np.random.default_rng(7)
    x = rng.integers(0, 3, (2, 2, 7, 6)).astype(np.float64)  # values in {0, 1, 2}: many ties
    xt = tt.tensor(x, requires_grad=True)
    out = F.max_pool2d(xt, k, s, p, d)
    g = rng.standard_normal(out.shape)
    out.backward(tt.tensor(g))
    ref_out, ref_grad = _max_pool_reference(x, g, k, s, p, d)
    np.testing.assert_array_equal(out.detach().numpy(), ref_out)
    np.testing.assert_allclose(xt.grad.numpy(), ref_grad, rtol=1e-12)


@pytest.mark.parametrize("dtype", [tt.int64, tt.int32, tt.int8, tt.uint8])
def test_max_pool2d_takes_integer_tensors(dtype):
    x = np.random.default_rng(3).integers(0, 100, (2, 3, 6, 5))
    xt = tt.tensor(x, dtype=dtype)
    out, idx = F.max_pool2d(xt, 3, 2, 1, return_indices=True)
    ref, _ = _max_pool_reference(x, np.zeros((2, 3, 3, 3)), (3, 3), (2, 2), (1, 1), (1, 1))
    assert out.dtype == dtype and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(
        np.take_along_axis(x.reshape(2, 3, -1), idx.numpy().reshape(2, 3, -1), 2),
        ref.reshape(2, 3, -1),
    )
    with pytest.raises(NotImplementedError, match="bool"):
        F.max_pool2d(xt > 50, 2)


@pytest.mark.torch
def test_max_pool2d_integer_tensors_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).integers(-128, 127, (2, 3, 7, 7)).astype(np.int8)
    out, idx = F.max_pool2d(tt.tensor(x), 3, 2, 1, ceil_mode=True, return_indices=True)
    ref, ref_idx = torch.nn.functional.max_pool2d(
        torch.tensor(x), 3, 2, 1, ceil_mode=True, return_indices=True
    )
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
