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


@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX_CASES)
def test_max_pool2d_matches_torch(shape, k, s, p, d, ceil):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    compare_with_torch(
        lambda x: F.max_pool2d(x, k, s, p, d, ceil),
        lambda x: torch.nn.functional.max_pool2d(x, k, s, p, d, ceil),
        [x],
    )


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


def test_max_pool2d_propagates_nan_like_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 1, 0] = np.nan
    out = F.max_pool2d(tt.tensor(x), 2).numpy()
    ref = torch.nn.functional.max_pool2d(torch.tensor(x), 2).numpy()
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))


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


AVG_CASES = [
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 9, 7), 3, 2, 1, False, True, None),
    ((2, 3, 9, 7), 3, 2, 1, False, False, None),
    ((2, 3, 9, 7), 3, 2, 1, True, True, None),
    ((2, 3, 9, 7), 3, 2, 1, True, False, None),
    ((1, 2, 6, 6), (2, 3), (1, 2), (1, 1), False, True, 5),
    ((2, 1, 5, 4), (5, 4), None, 0, False, True, None),  # kernel = input size
]


@pytest.mark.parametrize("shape,k,s,p,ceil,cip,div", AVG_CASES)
def test_avg_pool2d_matches_torch(shape, k, s, p, ceil, cip, div):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    compare_with_torch(
        lambda x: F.avg_pool2d(x, k, s, p, ceil, cip, div),
        lambda x: torch.nn.functional.avg_pool2d(x, k, s, p, ceil, cip, div),
        [x],
    )


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
