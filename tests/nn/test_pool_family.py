"""Pooling in 1-3 dims: max (with indices, dilation, ceil_mode), average (count_include_pad,
divisor_override), adaptive max/avg, max-unpool and LP pooling. Layers against PyTorch from the
same float64 input (output and input gradient, train and eval), indices against PyTorch,
gradcheck of each functional, and NumPy oracles."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from nn.test_conv_family import compare_layer
from tinytensor.testing import gradcheck, gradgradcheck

F = tt.nn.functional

POOL_LAYERS = {
    "maxpool1d": ("MaxPool1d", (2, 3, 11), (3,), dict(stride=2, padding=1, dilation=2)),
    "maxpool1d-ceil": ("MaxPool1d", (2, 3, 10), (3,), dict(stride=2, ceil_mode=True)),
    "maxpool2d-dilated-ceil": (
        "MaxPool2d",
        (1, 2, 9, 8),
        ((3, 2),),
        dict(stride=2, dilation=(1, 2), ceil_mode=True),
    ),
    "maxpool3d": ("MaxPool3d", (2, 2, 5, 6, 5), (2,), {}),
    "maxpool3d-pad-ceil": (
        "MaxPool3d",
        (1, 2, 6, 7, 5),
        ((3, 2, 3),),
        dict(stride=2, padding=1, ceil_mode=True),
    ),
    "avgpool1d": (
        "AvgPool1d",
        (2, 3, 11),
        (4,),
        dict(stride=3, padding=2, ceil_mode=True, count_include_pad=False),
    ),
    "avgpool1d-include-pad": ("AvgPool1d", (2, 3, 9), (3,), dict(stride=2, padding=1)),
    "avgpool3d": ("AvgPool3d", (1, 2, 5, 6, 7), (3,), dict(stride=2, padding=1, ceil_mode=True)),
    "avgpool3d-divisor": ("AvgPool3d", (1, 2, 4, 5, 6), ((2, 3, 2),), dict(divisor_override=5)),
    "adaptivemax1d": ("AdaptiveMaxPool1d", (2, 3, 10), (4,), {}),
    "adaptivemax2d": ("AdaptiveMaxPool2d", (2, 3, 7, 9), ((3, None),), {}),
    "adaptivemax3d": ("AdaptiveMaxPool3d", (1, 2, 5, 7, 6), ((2, 3, 4),), {}),
    "adaptiveavg1d": ("AdaptiveAvgPool1d", (2, 3, 10), (3,), {}),
    "adaptiveavg3d": ("AdaptiveAvgPool3d", (1, 2, 5, 7, 6), ((2, 3, None),), {}),
    "adaptiveavg3d-one": ("AdaptiveAvgPool3d", (1, 2, 3, 4, 3), (1,), {}),
    "lppool1d": ("LPPool1d", (2, 3, 9), (2, 3), dict(stride=2)),
    "lppool2d": ("LPPool2d", (2, 3, 7, 6), (3, (2, 3)), dict(ceil_mode=True)),
    "lppool3d": ("LPPool3d", (1, 2, 4, 5, 4), (1.5, 2), {}),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", list(POOL_LAYERS), ids=list(POOL_LAYERS))
def test_pool_layers_match_torch(case):
    torch = pytest.importorskip("torch")
    name, shape, args, kwargs = POOL_LAYERS[case]
    x = np.random.default_rng(0).standard_normal(shape)
    if name.startswith("LP"):
        x = np.abs(x) + 0.1  # fractional powers need positive sums
    compare_layer(
        getattr(tt.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs), x
    )


INDEXED = {
    "max_pool1d": (dict(kernel_size=3, stride=2, padding=1), (2, 3, 10)),
    "max_pool2d": (
        dict(kernel_size=(3, 2), stride=2, dilation=(1, 2), ceil_mode=True),
        (2, 2, 9, 8),
    ),
    "max_pool3d": (dict(kernel_size=2, stride=(1, 2, 2), padding=1), (1, 2, 4, 5, 6)),
    "adaptive_max_pool1d": (dict(output_size=4), (2, 3, 9)),
    "adaptive_max_pool2d": (dict(output_size=(3, 4)), (2, 2, 7, 9)),
    "adaptive_max_pool3d": (dict(output_size=(2, 3, 2)), (1, 2, 5, 7, 5)),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(INDEXED), ids=list(INDEXED))
def test_return_indices_match_torch_with_ties(name):
    torch = pytest.importorskip("torch")
    kwargs, shape = INDEXED[name]
    x = np.random.default_rng(1).integers(0, 3, shape).astype(np.float64)  # many ties
    out, idx = getattr(F, name)(tt.tensor(x), **kwargs, return_indices=True)
    ref, ref_idx = getattr(torch.nn.functional, name)(
        torch.tensor(x), **kwargs, return_indices=True
    )
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
    assert idx.dtype == tt.int64


@pytest.mark.torch
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_pool_with_indices_and_unpool_match_torch(nd):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((2, 2, *(6,) * nd))
    pool = getattr(F, f"max_pool{nd}d_with_indices")
    out, idx = pool(tt.tensor(x), 2, return_indices=True)
    ref, ref_idx = getattr(torch.nn.functional, f"max_pool{nd}d_with_indices")(
        torch.tensor(x), 2, return_indices=True
    )
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
    name = f"MaxUnpool{nd}d"
    compare_layer(getattr(tt.nn, name)(2), getattr(torch.nn, name)(2), ref.numpy(), idx.numpy())
    with_size = (2, 2, *(7,) * nd)
    un = getattr(tt.nn, name)(2)(tt.tensor(ref.numpy()), idx, output_size=with_size)
    want = getattr(torch.nn, name)(2)(ref, ref_idx, output_size=with_size)
    np.testing.assert_array_equal(un.numpy(), want.numpy())


def test_max_unpool_puts_values_back_at_the_indices():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4, 5))
    idx = np.stack([rng.permutation(8 * 10)[:20] for _ in range(6)]).reshape(2, 3, 4, 5)
    out = F.max_unpool2d(tt.tensor(x), tt.tensor(idx), 2).numpy()
    ref = np.zeros((2, 3, 80))
    np.put_along_axis(ref, idx.reshape(2, 3, -1), x.reshape(2, 3, -1), 2)
    np.testing.assert_array_equal(out, ref.reshape(2, 3, 8, 10))


def _unpool_in_order(x, idx, m):
    """Each (n, c) plane written value by value, in order: at a repeated index the last stays."""
    xs, ii = x.reshape(-1, x[0, 0].size), idx.reshape(-1, idx[0, 0].size)
    out = np.zeros((xs.shape[0], m))
    for r in range(xs.shape[0]):
        for j in range(ii.shape[1]):
            out[r, ii[r, j]] = xs[r, j]
    return out


def _repeated_indices(nd, seed):
    rng = np.random.default_rng(seed)
    shape = (2, 3, *(3,) * nd)  # kernel 2: the default output is (3 - 1) * 2 + 2 = 6 per dim
    # few targets for 3**nd values each: most indices repeat, in no particular order
    return shape, rng.standard_normal(shape), rng.integers(0, 5, shape), rng.standard_normal


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool_repeated_index_keeps_the_last_value_and_gradient_is_a_take(nd):
    shape, x, idx, draw = _repeated_indices(nd, 10 + nd)
    m = 6**nd
    xt = tt.tensor(x, requires_grad=True)
    out = getattr(F, f"max_unpool{nd}d")(xt, tt.tensor(idx), 2)
    assert tuple(out.shape) == (2, 3, *(6,) * nd)
    np.testing.assert_array_equal(out.detach().numpy().reshape(6, m), _unpool_in_order(x, idx, m))
    # every input gets the gradient at its index, whether its value was kept or overwritten
    g = draw(out.shape)
    out.backward(tt.tensor(g))
    want = np.take_along_axis(g.reshape(6, m), idx.reshape(6, -1), 1).reshape(shape)
    np.testing.assert_array_equal(xt.grad.numpy(), want)


def test_max_unpool_of_overlapping_windows_writes_each_max_once():
    # windows of 3 at stride 1 over [0, 5, 1, 0.5, 2] pick indices 1, 1, 4: unpooling writes 5
    # once (a sum would give 10); max pooling's own gradient still adds at the shared index
    x = tt.tensor(np.array([[[0.0, 5.0, 1.0, 0.5, 2.0]]]), requires_grad=True)
    pooled, idx = F.max_pool1d(x, 3, 1, return_indices=True)
    assert idx.numpy().tolist() == [[[1, 1, 4]]]
    out = F.max_unpool1d(pooled, idx, 3, 1)
    np.testing.assert_array_equal(out.detach().numpy(), [[[0.0, 5.0, 0.0, 0.0, 2.0]]])
    pooled.backward(tt.tensor(np.array([[[1.0, 10.0, 100.0]]])))
    np.testing.assert_array_equal(x.grad.numpy(), [[[0.0, 11.0, 0.0, 0.0, 100.0]]])


@pytest.mark.torch
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool_repeated_indices_match_torch(nd):
    torch = pytest.importorskip("torch")
    shape, x, idx, draw = _repeated_indices(nd, 20 + nd)
    xt = tt.tensor(x, requires_grad=True)
    out = getattr(F, f"max_unpool{nd}d")(xt, tt.tensor(idx), 2)
    xr = torch.tensor(x, requires_grad=True)
    ref = getattr(torch.nn.functional, f"max_unpool{nd}d")(xr, torch.tensor(idx), 2)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    g = draw(out.shape)
    out.backward(tt.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_array_equal(xt.grad.numpy(), xr.grad.numpy())


def test_adaptive_pools_equal_numpy_windows():
    x = np.random.default_rng(4).standard_normal((2, 3, 10))
    avg = F.adaptive_avg_pool1d(tt.tensor(x), 4).numpy()
    mx = F.adaptive_max_pool1d(tt.tensor(x), 4).numpy()
    for i in range(4):
        lo, hi = (i * 10) // 4, -(-(i + 1) * 10 // 4)
        np.testing.assert_allclose(avg[..., i], x[..., lo:hi].mean(-1), rtol=1e-12)
        np.testing.assert_array_equal(mx[..., i], x[..., lo:hi].max(-1))


def test_max_pool3d_equals_numpy_reshape_max_and_lp_pool_equals_norm():
    x = np.random.default_rng(5).standard_normal((2, 2, 4, 6, 4))
    out = F.max_pool3d(tt.tensor(x), 2).numpy()
    np.testing.assert_array_equal(out, x.reshape(2, 2, 2, 2, 3, 2, 2, 2).max((3, 5, 7)))
    lp = F.lp_pool1d(tt.tensor(np.abs(x[..., 0, 0, :])), 2, 2).numpy()
    ref = np.sqrt((x[..., 0, 0, :] ** 2).reshape(2, 2, 2, 2).sum(-1))
    np.testing.assert_allclose(lp, ref, rtol=1e-12)


def _distinct(shape, seed=0):
    n = int(np.prod(shape))
    return tt.tensor(np.random.default_rng(seed).permutation(n).reshape(shape) / 10.0,
                     requires_grad=True)  # fmt: skip


GRADCHECK = {
    "max_pool1d": lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True),
    "max_pool3d": lambda x: F.max_pool3d(x, (2, 3, 2), 2, 1),
    "avg_pool1d": lambda x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False),
    "avg_pool3d": lambda x: F.avg_pool3d(x, 2, 1, 1, True, False, None),
    "adaptive_max_pool1d": lambda x: F.adaptive_max_pool1d(x, 3),
    "adaptive_max_pool2d": lambda x: F.adaptive_max_pool2d(x, (2, 3)),
    "adaptive_max_pool3d": lambda x: F.adaptive_max_pool3d(x, 2),
    "adaptive_avg_pool1d": lambda x: F.adaptive_avg_pool1d(x, 3),
    "adaptive_avg_pool3d": lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)),
    "lp_pool2d": lambda x: F.lp_pool2d(x.abs() + 1, 3, 2),
    "max_unpool1d": lambda x: F.max_unpool1d(x, tt.tensor(np.array([[[1, 2, 5, 7, 8]]])), 2),
}
SHAPES = {"max_unpool1d": (1, 1, 5), "max_pool1d": (1, 2, 7), "avg_pool1d": (1, 2, 7),
          "adaptive_max_pool1d": (1, 2, 7), "adaptive_avg_pool1d": (1, 2, 7),
          "adaptive_max_pool2d": (1, 2, 5, 7), "lp_pool2d": (1, 2, 5, 4)}  # fmt: skip


@pytest.mark.parametrize("name", list(GRADCHECK), ids=list(GRADCHECK))
def test_pool_functionals_gradcheck_first_and_second_order(name):
    x = _distinct(SHAPES.get(name, (1, 2, 4, 5, 4)))
    fn = GRADCHECK[name]
    assert gradcheck(fn, (x,))
    assert gradgradcheck(lambda x: fn(x) ** 2, (x,))


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: F.max_pool1d(tt.randn(1, 2, 3, 4, 5), 2), RuntimeError, "2-D .* or 3-D"),
        (lambda: F.max_pool3d(tt.randn(1, 1, 4, 4, 4), 2, padding=2), RuntimeError, "half"),
        (lambda: F.avg_pool3d(tt.randn(1, 1, 2, 2, 2), 3), RuntimeError, "too small"),
        (lambda: F.adaptive_max_pool2d(tt.randn(1, 1, 4, 4), (1, 2, 3)), RuntimeError,
         "2 values"),  # PyTorch's class
        (
            lambda: F.max_unpool2d(tt.randn(1, 1, 2, 2), tt.tensor(np.full((1, 1, 2, 2), 99)), 2),
            RuntimeError,
            "out of range",
        ),  # fmt: skip
    ],
    ids=["dims", "padding", "too-small", "output-size", "unpool-index"],
)
def test_pool_errors_name_the_op(call, error, match):
    with pytest.raises(error, match=match):
        call()
