"""Resampling and padding: interpolate/Upsample in every mode, pixel (un)shuffle, grid_sample,
affine_grid, the *Pad1d/2d/3d layers and F.pad in every mode with negative (cropping) widths.
PyTorch agreement in float64 (outputs and gradients), gradcheck, and NumPy oracles."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from nn.test_conv_family import compare_layer
from tinytensor.testing import gradcheck, gradgradcheck

F = tt.nn.functional

# id: (input shape, interpolate kwargs)
INTERP = {
    "nearest-scale2": ((2, 3, 5), dict(scale_factor=2)),
    "nearest-size": ((1, 2, 5, 7), dict(size=(8, 4))),
    "nearest-frac-scale": ((1, 2, 5, 7), dict(scale_factor=1.7)),
    "nearest-exact": ((1, 2, 5, 7), dict(size=(9, 3), mode="nearest-exact")),
    "nearest-3d": ((1, 2, 3, 4, 5), dict(scale_factor=(2, 1.5, 0.6))),
    "linear": ((2, 3, 6), dict(size=11, mode="linear")),
    "linear-align": ((2, 3, 6), dict(scale_factor=2.5, mode="linear", align_corners=True)),
    "bilinear": ((1, 2, 5, 4), dict(scale_factor=(1.5, 2.3), mode="bilinear")),
    "bilinear-recompute": ((1, 2, 5, 4), dict(scale_factor=1.7, mode="bilinear",
                                              recompute_scale_factor=True)),
    "bilinear-align-down": ((1, 2, 9, 8), dict(size=(4, 3), mode="bilinear", align_corners=True)),
    "bicubic": ((1, 2, 5, 6), dict(size=(9, 4), mode="bicubic")),
    "bicubic-align": ((1, 2, 5, 6), dict(scale_factor=1.6, mode="bicubic", align_corners=True)),
    "trilinear": ((1, 2, 3, 4, 3), dict(scale_factor=(2, 1.5, 1), mode="trilinear")),
    "area": ((1, 2, 9, 7), dict(size=(4, 3), mode="area")),
}  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("case", list(INTERP), ids=list(INTERP))
def test_interpolate_matches_torch(case):
    torch = pytest.importorskip("torch")
    shape, kw = INTERP[case]
    x = np.random.default_rng(0).standard_normal(shape)
    a, b = tt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = F.interpolate(a, **kw), torch.nn.functional.interpolate(b, **kw)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), 1e-10, 1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(ref.shape))
    out.backward(tt.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), 1e-10, 1e-12)


@pytest.mark.torch
@pytest.mark.parametrize(
    "name,args,kwargs,shape",
    [
        ("Upsample", (), dict(scale_factor=2), (1, 2, 3, 4)),
        ("Upsample", (), dict(size=(5, 7), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
        ("Upsample", (), dict(scale_factor=(2, 3), mode="bicubic"), (1, 2, 3, 4)),
        ("UpsamplingNearest2d", (), dict(scale_factor=2), (1, 2, 3, 4)),
        ("UpsamplingBilinear2d", (), dict(size=5), (1, 2, 3, 4)),
        ("PixelShuffle", (2,), {}, (2, 8, 3, 4)),
        ("PixelUnshuffle", (3,), {}, (2, 2, 6, 3)),
    ],
    ids=["nearest", "bilinear-align", "bicubic", "nearest2d", "bilinear2d", "pixel-shuffle",
         "pixel-unshuffle"],
)  # fmt: skip
def test_resampling_layers_match_torch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal(shape)
    compare_layer(
        getattr(tt.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs), x
    )


def test_nearest_by_two_equals_np_repeat():
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5))
    out = F.interpolate(tt.tensor(x), scale_factor=2).numpy()
    np.testing.assert_array_equal(out, x.repeat(2, 2).repeat(2, 3))


def test_pixel_shuffle_equals_numpy_reshape_transpose():
    x = np.random.default_rng(4).standard_normal((2, 3 * 4, 5, 6))
    ref = x.reshape(2, 3, 2, 2, 5, 6).transpose(0, 1, 4, 2, 5, 3).reshape(2, 3, 10, 12)
    out = F.pixel_shuffle(tt.tensor(x), 2)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(F.pixel_unshuffle(out, 2).numpy(), x)


def test_linear_align_corners_keeps_the_end_points_numpy_oracle():
    x = np.random.default_rng(5).standard_normal((1, 1, 4))
    out = F.interpolate(tt.tensor(x), size=7, mode="linear", align_corners=True).numpy()
    np.testing.assert_allclose(out[0, 0], np.interp(np.linspace(0, 3, 7), np.arange(4), x[0, 0]))


GRID = [(m, p, a) for m in ("bilinear", "nearest") for p in ("zeros", "border", "reflection")
        for a in (False, True)]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("mode,padding_mode,align", GRID)
def test_grid_sample_matches_torch(mode, padding_mode, align):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 5, 6))
    grid = rng.uniform(-1.4, 1.4, (2, 4, 7, 2))  # some points fall outside
    a, ga = tt.tensor(x, requires_grad=True), tt.tensor(grid, requires_grad=True)
    b, gb = torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align)
    out = F.grid_sample(a, ga, **kw)
    ref = torch.nn.functional.grid_sample(b, gb, **kw)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), 1e-10, 1e-12)
    g = rng.standard_normal(tuple(ref.shape))
    out.backward(tt.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), 1e-10, 1e-12)
    np.testing.assert_allclose(ga.grad.numpy(), gb.grad.numpy(), 1e-9, 1e-10)


@pytest.mark.torch
@pytest.mark.parametrize("size,align", [((2, 3, 4, 5), False), ((2, 3, 4, 5), True),
                                        ((2, 1, 3, 4, 2), False)])  # fmt: skip
def test_affine_grid_matches_torch(size, align):
    torch = pytest.importorskip("torch")
    nd = len(size) - 2
    theta = np.random.default_rng(7).standard_normal((2, nd, nd + 1))
    a, b = tt.tensor(theta, requires_grad=True), torch.tensor(theta, requires_grad=True)
    out = F.affine_grid(a, size, align_corners=align)
    ref = torch.nn.functional.affine_grid(b, size, align_corners=align)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), 1e-12, 1e-12)
    g = np.random.default_rng(8).standard_normal(tuple(ref.shape))
    out.backward(tt.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), 1e-12, 1e-12)


GRADCHECK = {
    "interpolate-bicubic": (lambda x: F.interpolate(x, size=(5, 3), mode="bicubic"), (1, 2, 3, 4)),
    "interpolate-trilinear": (lambda x: F.interpolate(x, scale_factor=1.5, mode="trilinear",
                                                      align_corners=True), (1, 1, 2, 3, 2)),
    "interpolate-nearest": (lambda x: F.interpolate(x, scale_factor=1.5), (1, 2, 3)),
    "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), (1, 4, 2, 3)),
    "pixel_unshuffle": (lambda x: F.pixel_unshuffle(x, 2), (1, 1, 4, 2)),
    "affine_grid": (lambda t: F.affine_grid(t, (1, 1, 3, 4), align_corners=False), (1, 2, 3)),
    "grid_sample-input": (lambda x: F.grid_sample(x, tt.tensor(np.random.default_rng(9).uniform(
        -1.2, 1.2, (1, 2, 3, 2))), padding_mode="reflection", align_corners=False), (1, 2, 3, 4)),
    "pad-reflect-crop": (lambda x: F.pad(x, (-1, 2, 2, -1), mode="reflect"), (1, 1, 4, 5)),
    "pad-replicate-crop": (lambda x: F.pad(x, (2, -1), mode="replicate"), (1, 2, 4)),
    "pad-circular-crop": (lambda x: F.pad(x, (-1, 2, 1, 1, 0, -1), mode="circular"),
                          (1, 1, 3, 3, 4)),
}  # fmt: skip


@pytest.mark.parametrize("name", list(GRADCHECK), ids=list(GRADCHECK))
def test_resample_and_pad_gradcheck_first_and_second_order(name):
    fn, shape = GRADCHECK[name]
    x = tt.tensor(np.random.default_rng(10).standard_normal(shape), requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_grid_sample_grid_gradcheck():
    x = tt.tensor(np.random.default_rng(11).standard_normal((1, 2, 3, 4)))
    grid = tt.tensor(np.random.default_rng(12).uniform(-0.9, 0.9, (1, 2, 2, 2)), requires_grad=True)
    assert gradcheck(lambda gr: F.grid_sample(x, gr, align_corners=True), (grid,))


PADS = {
    f"{kind}Pad{nd}d": (nd, widths)
    for kind in ("Zero", "Reflection", "Replication", "Circular")
    for nd, widths in ((1, (2, 1)), (2, (1, 2, 0, 1)), (3, (1, 0, 2, 1, 1, 1)))
}


@pytest.mark.torch
@pytest.mark.parametrize("name", list(PADS) + ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d"])
def test_padding_layers_match_torch(name):
    torch = pytest.importorskip("torch")
    nd = int(name[-2])
    widths = PADS.get(name, (nd, 1))[1]
    args = (widths, 2.5) if name.startswith("Constant") else (widths,)
    x = np.random.default_rng(13).standard_normal((2, 3, *(4,) * nd))
    compare_layer(getattr(tt.nn, name)(*args), getattr(torch.nn, name)(*args), x)
    # an int width pads every side, as in PyTorch
    compare_layer(getattr(tt.nn, name)(*((1,) + args[1:])),
                  getattr(torch.nn, name)(*((1,) + args[1:])), x)  # fmt: skip


CROPS = [(-1, 2), (2, -1), (-2, -1), (3, -2), (-1, 1, 2, -2), (1, -2, -1, 2, 0, -1)]


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("widths", CROPS, ids=[str(c) for c in CROPS])
def test_pad_negative_widths_crop_like_torch(mode, widths):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(14).standard_normal((1, 2, 5, 6, 6)[: 2 + len(widths) // 2])
    a, b = tt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = F.pad(a, widths, mode=mode)
    ref = torch.nn.functional.pad(b, widths, mode=mode)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    g = np.random.default_rng(15).standard_normal(tuple(ref.shape))
    out.backward(tt.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), 1e-12, 1e-12)


def test_pad_crop_then_reflect_numpy_oracle():
    x = np.arange(6.0).reshape(1, 1, 6)
    out = F.pad(tt.tensor(x), (-1, 2), mode="reflect").numpy()
    np.testing.assert_array_equal(out, np.pad(x[..., 1:], ((0, 0), (0, 0), (0, 2)), "reflect"))


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: F.interpolate(tt.randn(1, 2, 3), size=4, mode="bilinear"), NotImplementedError,
         "needs 4D"),
        (lambda: F.interpolate(tt.randn(1, 2, 3), size=4, scale_factor=2), ValueError,
         "exactly one"),
        (lambda: F.interpolate(tt.randn(1, 2, 3), size=4, align_corners=True), ValueError,
         "align_corners"),
        (lambda: F.pixel_shuffle(tt.randn(1, 3, 2, 2), 2), RuntimeError, "divisible"),
        (lambda: F.pad(tt.randn(1, 2, 3), (-2, -2), mode="reflect"), RuntimeError, "too small"),
        (lambda: F.pad(tt.randn(1, 2, 3), (4, 0), mode="circular"), RuntimeError, "more than once"),
        (lambda: F.grid_sample(tt.randn(1, 2, 3, 3), tt.randn(1, 2, 2, 3)), RuntimeError, "grid"),
    ],
    ids=["mode-dims", "size-and-scale", "align-nearest", "shuffle", "over-crop", "circular-wrap",
         "grid-shape"],
)  # fmt: skip
def test_resample_pad_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
