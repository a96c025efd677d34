"""conv2d, unfold and fold: PyTorch agreement, numerical gradients (first and second order),
edge cases and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinytensor as tt
from nn.helpers import compare_with_torch
from tinytensor.testing import gradcheck, gradgradcheck

F = tt.nn.functional

# (input shape, out channels, kernel, stride, padding, dilation, groups)
CONV_CASES = [
    ((2, 3, 8, 8), 4, 3, 1, 0, 1, 1),
    ((2, 3, 8, 8), 4, 3, 1, 1, 1, 1),
    ((2, 3, 9, 7), 5, 3, 2, 1, 1, 1),  # padding > 0 with stride 2, odd sizes
    ((1, 2, 10, 10), 2, (3, 2), (2, 3), (1, 0), (2, 1), 1),  # asymmetric everything
    ((2, 4, 6, 6), 6, 3, 1, 1, 1, 2),  # groups
    ((2, 4, 6, 6), 4, 1, 1, 0, 1, 4),  # depthwise 1x1
    ((2, 3, 5, 4), 2, (5, 4), 1, 0, 1, 1),  # kernel = input size -> 1x1 output
    ((2, 3, 5, 5), 2, 5, 2, 2, 1, 1),  # kernel = input size with padding and stride
    ((3, 1, 7, 7), 2, 3, 3, 0, 2, 1),  # dilation with stride
    ((1, 6, 4, 4), 3, 2, 2, 0, 1, 3),
]


@pytest.mark.torch
@pytest.mark.parametrize("shape,out_c,k,s,p,d,g", CONV_CASES)
def test_conv2d_matches_torch(shape, out_c, k, s, p, d, g):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    kh, kw = (k, k) if isinstance(k, int) else k
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((out_c, shape[1] // g, kh, kw)).astype(np.float32)
    b = rng.standard_normal(out_c).astype(np.float32)
    compare_with_torch(
        lambda x, w, b: F.conv2d(x, w, b, s, p, d, g),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, s, p, d, g),
        [x, w, b],
    )


@pytest.mark.parametrize("shape,out_c,k,s,p,d,g", CONV_CASES[:6])
def test_conv2d_gradcheck_first_and_second_order(shape, out_c, k, s, p, d, g):
    kh, kw = (k, k) if isinstance(k, int) else k
    n, c, h, w = shape
    x = tt.randn(1, c, min(h, 6), min(w, 6), dtype=tt.float64, requires_grad=True)
    wt = tt.randn(out_c, c // g, kh, kw, dtype=tt.float64, requires_grad=True)
    b = tt.randn(out_c, dtype=tt.float64, requires_grad=True)

    def f(x, wt, b):
        return F.conv2d(x, wt, b, s, p, d, g)

    assert gradcheck(f, (x, wt, b))
    assert gradgradcheck(f, (x, wt, b))


@pytest.mark.torch
@given(
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    hw=st.tuples(st.integers(3, 7), st.integers(3, 7)),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    d=st.integers(1, 2),
)
def test_conv2d_property_against_torch(n, c, hw, k, s, p, d):
    torch = pytest.importorskip("torch")
    if (hw[0] + 2 * p - d * (k - 1) - 1) < 0 or (hw[1] + 2 * p - d * (k - 1) - 1) < 0:
        return  # kernel larger than the padded input: covered by the error test
    rng = np.random.default_rng(n * 100 + c * 10 + k)
    x = rng.standard_normal((n, c, *hw)).astype(np.float32)
    w = rng.standard_normal((2, c, k, k)).astype(np.float32)
    compare_with_torch(
        lambda x, w: F.conv2d(x, w, None, s, p, d),
        lambda x, w: torch.nn.functional.conv2d(x, w, None, s, p, d),
        [x, w],
    )


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("k,d", [(3, 1), (4, 1), (3, 2), ((2, 3), 1)])
def test_conv2d_same_and_valid_padding(k, d):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    kh, kw = (k, k) if isinstance(k, int) else k
    x = rng.standard_normal((2, 2, 7, 6)).astype(np.float32)
    w = rng.standard_normal((3, 2, kh, kw)).astype(np.float32)
    for mode in ("same", "valid"):
        out = compare_with_torch(
            lambda x, w, mode=mode: F.conv2d(x, w, padding=mode, dilation=d),
            lambda x, w, mode=mode: torch.nn.functional.conv2d(x, w, padding=mode, dilation=d),
            [x, w],
        )
        if mode == "same":
            assert out.shape[2:] == (7, 6)


def test_conv2d_unbatched_input():
    x = tt.randn(2, 5, 5)
    w = tt.randn(3, 2, 3, 3)
    batched = F.conv2d(x.unsqueeze(0), w, padding=1)
    assert F.conv2d(x, w, padding=1).shape == (3, 5, 5)
    np.testing.assert_allclose(F.conv2d(x, w, padding=1).numpy(), batched[0].numpy())


def test_conv2d_float32_stays_float32_and_no_float64_temporaries_leak():
    x = tt.randn(2, 3, 6, 6, requires_grad=True)
    w = tt.randn(4, 3, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, stride=2, padding=1)
    out.sum().backward()
    assert out.dtype == tt.float32 and x.grad.dtype == tt.float32 and w.grad.dtype == tt.float32


@pytest.mark.parametrize(
    "x_shape,w_shape,kwargs,match",
    [
        ((1, 3, 5, 5), (2, 4, 3, 3), {}, "expects input with 4 channels"),
        ((1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}, "groups=2"),
        ((1, 3, 2, 2), (2, 3, 3, 3), {}, "larger than the padded input"),
        ((3, 5, 5), (2, 3, 3), {}, "weight must be 4-D"),
        ((5, 5), (2, 1, 3, 3), {}, "3-D .* or 4-D"),
        ((1, 3, 5, 5), (2, 3, 3, 3), {"stride": 0}, "must be positive"),
        ((1, 3, 5, 5), (2, 3, 3, 3), {"padding": "full"}, "padding must be"),
        ((1, 3, 5, 5), (2, 3, 3, 3), {"padding": "same", "stride": 2}, "strided"),
    ],
)
def test_conv2d_errors_name_the_problem(x_shape, w_shape, kwargs, match):
    with pytest.raises((RuntimeError, ValueError, TypeError), match=match):
        F.conv2d(tt.randn(*x_shape), tt.randn(*w_shape), **kwargs)


def test_conv2d_rejects_mixed_dtypes_and_integer_input():
    with pytest.raises(TypeError, match="dtype"):
        F.conv2d(tt.randn(1, 1, 4, 4, dtype=tt.float64), tt.randn(1, 1, 3, 3))
    with pytest.raises(TypeError, match="floating point"):
        F.conv2d(tt.ones(1, 1, 4, 4, dtype=tt.int64), tt.randn(1, 1, 3, 3))


@pytest.mark.torch
@pytest.mark.parametrize("k,d,p,s", [(3, 1, 0, 1), (2, 1, 1, 2), ((2, 3), (2, 1), (1, 0), (1, 2))])
def test_unfold_and_fold_match_torch(k, d, p, s):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    cols = compare_with_torch(
        lambda x: F.unfold(x, k, d, p, s),
        lambda x: torch.nn.functional.unfold(x, k, d, p, s),
        [x],
    )
    c = cols.detach().numpy()
    compare_with_torch(
        lambda c: F.fold(c, (7, 6), k, d, p, s),
        lambda c: torch.nn.functional.fold(c, (7, 6), k, d, p, s),
        [c],
    )


def test_unfold_fold_are_adjoint_and_twice_differentiable():
    x = tt.randn(1, 2, 5, 4, dtype=tt.float64, requires_grad=True)
    assert gradgradcheck(lambda x: F.unfold(x, 2, 1, 1, 2) ** 2, (x,))
    c = tt.randn(1, 8, 9, dtype=tt.float64, requires_grad=True)
    assert gradcheck(lambda c: F.fold(c, (4, 4), 2, 1, 0, 1), (c,))
    # <unfold(x), y> == <x, fold(y)>
    y = tt.randn(*F.unfold(x, 2, 1, 1, 2).shape, dtype=tt.float64)
    lhs = (F.unfold(x, 2, 1, 1, 2) * y).sum().item()
    rhs = (x * F.fold(y, (5, 4), 2, 1, 1, 2)).sum().item()
    assert lhs == pytest.approx(rhs)


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv2d_layer_padding_modes_match_torch(mode):
    torch = pytest.importorskip("torch")
    ref = torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode)
    layer = tt.nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode)
    layer.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    x = np.random.default_rng(4).standard_normal((2, 2, 5, 6)).astype(np.float32)
    np.testing.assert_allclose(
        layer(tt.tensor(x)).numpy(force=True), ref(torch.tensor(x)).detach().numpy(), atol=1e-5
    )
    assert repr(layer) == repr(ref)


@pytest.mark.parametrize(
    "needs", [(False, True, True), (True, False, False), (True, False, True), (False, True, False)],
    ids=["first_layer", "frozen_weight_and_bias", "frozen_weight", "weight_only"],
)  # fmt: skip
def test_conv2d_computes_only_the_gradients_asked_for_to_second_order(needs):
    rng = np.random.default_rng(5)
    x, wt, b = (
        tt.tensor(rng.standard_normal(s), requires_grad=r)
        for s, r in zip([(2, 4, 5, 5), (6, 2, 3, 2), (6,)], needs)
    )

    def f(*args):
        return F.conv2d(*args, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)

    assert gradcheck(f, (x, wt, b))
    assert gradgradcheck(f, (x, wt, b))
    grads = tt.autograd.grad(f(x, wt, b).sum(), [t for t in (x, wt, b) if t.requires_grad])
    assert [g.shape for g in grads] == [t.shape for t in (x, wt, b) if t.requires_grad]
