"""Lazy convolutions with ``groups > 1``: the weight materialises with the grouped shape
(``(out, in/groups, *k)`` for a convolution, ``(in, out/groups, *k)`` for a transposed one)
and the module then computes what the eager module with the same weights computes (no torch)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt

nn = tt.nn

CASES = [  # (lazy class, eager class, out_channels, kernel, groups, input shape, weight shape)
    ("LazyConv1d", "Conv1d", 4, 3, 2, (2, 6, 9), (4, 3, 3)),
    ("LazyConv2d", "Conv2d", 6, 3, 3, (1, 9, 5, 5), (6, 3, 3, 3)),
    ("LazyConvTranspose1d", "ConvTranspose1d", 4, 3, 2, (2, 6, 5), (6, 2, 3)),
    ("LazyConvTranspose2d", "ConvTranspose2d", 4, 3, 2, (1, 6, 4, 4), (6, 2, 3, 3)),
    ("LazyConvTranspose2d", "ConvTranspose2d", 6, 2, 3, (2, 3, 3, 3), (3, 2, 2, 2)),
    ("LazyConvTranspose3d", "ConvTranspose3d", 2, 2, 2, (1, 4, 2, 2, 2), (4, 1, 2, 2, 2)),
]


@pytest.mark.parametrize("lazy,eager,out,k,groups,shape,wshape", CASES)
def test_grouped_lazy_conv_matches_the_eager_module(lazy, eager, out, k, groups, shape, wshape):
    tt.manual_seed(0)
    m = getattr(nn, lazy)(out, k, groups=groups)
    x = tt.randn(*shape)
    y = m(x)
    assert tuple(m.weight.shape) == wshape
    assert tuple(m.bias.shape) == (out,)
    assert m.in_channels == shape[1] and m.groups == groups
    ref = getattr(nn, eager)(shape[1], out, k, groups=groups)
    ref.load_state_dict(m.state_dict())
    np.testing.assert_allclose(y.detach().numpy(), ref(x).detach().numpy(), rtol=1e-6)
    assert y.shape[1] == out


@pytest.mark.parametrize("lazy,shape", [("LazyConv1d", (6, 9)), ("LazyConvTranspose2d", (6, 4, 4))])
def test_unbatched_input_takes_channels_from_dim_0(lazy, shape):
    m = getattr(nn, lazy)(4, 3, groups=2)
    y = m(tt.randn(*shape))
    assert m.in_channels == 6 and y.shape[0] == 4 and y.ndim == len(shape)
