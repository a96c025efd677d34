"""NumPy oracles for affine_grid and grid_sample (no torch): the identity grid samples its input
back exactly (for either align_corners, so the half-pixel convention of each is pinned), a
per-point NumPy bilinear/nearest sampler with every padding mode, affine_grid's base grid
written out by hand, and bilinear interpolate against the same sampler."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F

R = np.random.default_rng(21)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_identity_affine_grid_then_grid_sample_returns_the_input(align, mode, padding_mode):
    x = R.standard_normal((2, 3, 4, 7))
    theta = np.tile(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (2, 1, 1))
    grid = F.affine_grid(tt.tensor(theta), (2, 3, 4, 7), align_corners=align)
    out = F.grid_sample(tt.tensor(x), grid, mode=mode, padding_mode=padding_mode,
                        align_corners=align)  # fmt: skip
    np.testing.assert_allclose(out.numpy(), x, rtol=1e-12, atol=1e-12)


def _base(n, align):
    v = np.linspace(-1, 1, n) if n > 1 else np.zeros(1)
    return v if align else v * (n - 1) / n


@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_is_theta_times_pixel_centres(align):
    """Pixel j of a size-n axis sits at -1 + (2j + 1)/n (align_corners=False) or at
    -1 + 2j/(n - 1) (True); the grid is theta @ (x, y, 1) at every pixel."""
    theta = R.standard_normal((2, 2, 3))
    g = F.affine_grid(tt.tensor(theta), (2, 1, 3, 5), align_corners=align).numpy()
    for j, i in itertools.product(range(3), range(5)):
        if align:
            x, y = -1 + 2 * i / 4, -1 + 2 * j / 2
        else:
            x, y = -1 + (2 * i + 1) / 5, -1 + (2 * j + 1) / 3
        np.testing.assert_allclose(g[:, j, i], theta @ np.array([x, y, 1.0]), rtol=1e-12)
    theta3 = R.standard_normal((1, 3, 4))
    g3 = F.affine_grid(tt.tensor(theta3), (1, 1, 2, 3, 4), align_corners=align).numpy()
    zs, ys, xs = _base(2, align), _base(3, align), _base(4, align)
    for d, j, i in itertools.product(range(2), range(3), range(4)):
        want = theta3[0] @ np.array([xs[i], ys[j], zs[d], 1.0])
        np.testing.assert_allclose(g3[0, d, j, i], want, rtol=1e-12, atol=1e-14)


def _np_source(c, size, padding_mode, align):
    c = (c + 1) / 2 * (size - 1) if align else ((c + 1) * size - 1) / 2
    if padding_mode == "border":
        c = min(max(c, 0), size - 1)
    elif padding_mode == "reflection":
        lo, hi = (0.0, size - 1.0) if align else (-0.5, size - 0.5)
        span = hi - lo
        if span <= 0:
            return 0.0
        d = abs(c - lo) % (2 * span)
        c = lo + (d if d <= span else 2 * span - d)
        c = min(max(c, 0), size - 1)
    return c


def _np_grid_sample(x, grid, mode, padding_mode, align):
    n, ch, h, w = x.shape
    _, ho, wo, _ = grid.shape
    out = np.zeros((n, ch, ho, wo))

    def at(b, yy, xx):
        return x[b, :, yy, xx] if 0 <= yy < h and 0 <= xx < w else np.zeros(ch)

    for b, i, j in itertools.product(range(n), range(ho), range(wo)):
        sx = _np_source(grid[b, i, j, 0], w, padding_mode, align)
        sy = _np_source(grid[b, i, j, 1], h, padding_mode, align)
        if mode == "nearest":
            out[b, :, i, j] = at(b, int(np.rint(sy)), int(np.rint(sx)))
            continue
        x0, y0 = int(np.floor(sx)), int(np.floor(sy))
        fx, fy = sx - x0, sy - y0
        top = (1 - fx) * at(b, y0, x0) + fx * at(b, y0, x0 + 1)
        bottom = (1 - fx) * at(b, y0 + 1, x0) + fx * at(b, y0 + 1, x0 + 1)
        out[b, :, i, j] = (1 - fy) * top + fy * bottom
    return out


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_numpy_oracle(align, mode, padding_mode):
    x = R.standard_normal((2, 2, 3, 5))
    grid = R.uniform(-1.6, 1.6, (2, 4, 3, 2))  # points inside and outside the image
    if mode == "nearest":  # keep clear of the .5 ties, where rounding conventions differ
        grid = np.round(grid * 8) / 8 + 0.013
    out = F.grid_sample(tt.tensor(x), tt.tensor(grid), mode=mode, padding_mode=padding_mode,
                        align_corners=align)  # fmt: skip
    want = _np_grid_sample(x, grid, mode, padding_mode, align)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10, atol=1e-12)


def test_grid_sample_shift_by_one_pixel_moves_the_image():
    """A translation by exactly 2/W in normalised x (one pixel, align_corners=False) reads
    each output pixel from its right-hand neighbour; the last column reads zeros."""
    x = R.standard_normal((1, 1, 3, 4))
    theta = np.array([[[1.0, 0, 2 / 4], [0, 1.0, 0]]])
    grid = F.affine_grid(tt.tensor(theta), (1, 1, 3, 4), align_corners=False)
    out = F.grid_sample(tt.tensor(x), grid, align_corners=False).numpy()
    want = np.concatenate([x[..., 1:], np.zeros((1, 1, 3, 1))], -1)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("align", [False, True])
def test_bilinear_interpolate_equals_grid_sample_at_the_output_pixel_centres(align):
    """interpolate(bilinear, size) samples at the output pixels' centres mapped back to the
    input: the NumPy sampler at those points (border clamp) gives the same values."""
    x = R.standard_normal((1, 2, 3, 4))
    ho, wo = 5, 7
    out = F.interpolate(tt.tensor(x), size=(ho, wo), mode="bilinear", align_corners=align).numpy()

    def src(n_in, n_out):
        o = np.arange(n_out)
        c = o * (n_in - 1) / (n_out - 1) if align else np.maximum((o + 0.5) * n_in / n_out - 0.5, 0)
        return c / (n_in - 1) * 2 - 1  # as a normalised coordinate for align_corners=True

    gx, gy = np.meshgrid(src(4, wo), src(3, ho))
    grid = np.stack([gx, gy], -1)[None]
    want = _np_grid_sample(x, grid, "bilinear", "border", True)
    np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)


# --- interpolate: a per-axis NumPy resampler for every mode ------------------------------------


def _axis_matrix(n_in, n_out, mode, align, scale_factor):
    """(n_out, n_in) matrix M with out = M @ in along one axis, as PyTorch's kernels map
    output index d to source coordinates (scale = 1/scale_factor when one is given)."""
    m = np.zeros((n_out, n_in))
    if align:
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        scale = 1.0 / scale_factor if scale_factor else n_in / n_out
    for d in range(n_out):
        if mode in ("nearest", "nearest-exact"):
            src = (d + 0.5) * scale if mode == "nearest-exact" else d * scale
            m[d, min(int(np.floor(src)), n_in - 1)] = 1.0
        elif mode == "area":
            lo, hi = (d * n_in) // n_out, -((-(d + 1) * n_in) // n_out)
            m[d, lo:hi] = 1.0 / (hi - lo)
        elif mode == "linear":
            src = d * scale if align else max(scale * (d + 0.5) - 0.5, 0.0)
            i0 = min(int(np.floor(src)), n_in - 1)
            i1, t = min(i0 + 1, n_in - 1), src - i0
            m[d, i0] += 1 - t
            m[d, i1] += t
        else:  # cubic, A = -0.75, indices clamped to the edge
            src = d * scale if align else scale * (d + 0.5) - 0.5
            i, t = int(np.floor(src)), src - np.floor(src)
            weights = (_cubic_far(t + 1), _cubic_near(t), _cubic_near(1 - t), _cubic_far(2 - t))
            for k, wgt in zip(range(i - 1, i + 3), weights):
                m[d, min(max(k, 0), n_in - 1)] += wgt
    return m


A = -0.75  # PyTorch's cubic convolution coefficient


def _cubic_near(x):  # |x| <= 1
    return ((A + 2) * x - (A + 3)) * x * x + 1


def _cubic_far(x):  # 1 < |x| < 2
    return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A


def _np_interpolate(x, in_size, out_size, mode, align, scale_factors, adjoint=False):
    """Resample x along each spatial axis; ``adjoint`` applies M^T (the gradient)."""
    kind = {"bilinear": "linear", "trilinear": "linear", "bicubic": "cubic"}.get(mode, mode)
    for ax, (n_in, n_out, sf) in enumerate(zip(in_size, out_size, scale_factors)):
        m = _axis_matrix(n_in, n_out, kind, bool(align), sf)
        m = m.T if adjoint else m
        x = np.moveaxis(np.tensordot(x, m, axes=([2 + ax], [1])), -1, 2 + ax)
    return x


INTERP = {
    "nearest-scale2": ((2, 3, 5), dict(scale_factor=2)),
    "nearest-size": ((1, 2, 5, 7), dict(size=(8, 4))),
    "nearest-frac-scale": ((1, 2, 5, 7), dict(scale_factor=1.7)),
    "nearest-exact": ((1, 2, 5, 7), dict(size=(9, 3), mode="nearest-exact")),
    "nearest-3d": ((1, 2, 3, 4, 5), dict(scale_factor=(2, 1.5, 0.6))),
    "linear": ((2, 3, 6), dict(size=11, mode="linear")),
    "linear-down": ((2, 3, 9), dict(size=4, mode="linear")),
    "linear-align": ((2, 3, 6), dict(scale_factor=2.5, mode="linear", align_corners=True)),
    "bilinear": ((1, 2, 5, 4), dict(scale_factor=(1.5, 2.3), mode="bilinear")),
    "bilinear-recompute": ((1, 2, 5, 4), dict(scale_factor=1.7, mode="bilinear",
                                              recompute_scale_factor=True)),
    "bilinear-align-down": ((1, 2, 9, 8), dict(size=(4, 3), mode="bilinear", align_corners=True)),
    "bicubic": ((1, 2, 5, 6), dict(size=(9, 4), mode="bicubic")),
    "bicubic-scale": ((1, 2, 5, 6), dict(scale_factor=1.7, mode="bicubic")),
    "bicubic-align": ((1, 2, 5, 6), dict(scale_factor=1.6, mode="bicubic", align_corners=True)),
    "trilinear": ((1, 2, 3, 4, 3), dict(scale_factor=(2, 1.5, 1), mode="trilinear")),
    "area": ((1, 2, 9, 7), dict(size=(4, 3), mode="area")),
    "area-1d-up": ((1, 2, 4), dict(size=7, mode="area")),
}  # fmt: skip


@pytest.mark.parametrize("case", list(INTERP))
def test_interpolate_numpy_oracle(case):
    shape, kw = INTERP[case]
    x = R.standard_normal(shape)
    xt = tt.tensor(x, requires_grad=True)
    out_t = F.interpolate(xt, **kw)
    out = out_t.detach().numpy()
    nd = len(shape) - 2
    sf = kw.get("scale_factor")
    if sf is None:
        size = kw["size"]
        assert out.shape[2:] == ((size,) * nd if isinstance(size, int) else tuple(size))
        sfs = [None] * nd
    else:
        sfs = list(sf) if isinstance(sf, tuple) else [sf] * nd
        assert out.shape[2:] == tuple(int(np.floor(n * f)) for n, f in zip(shape[2:], sfs))
        if kw.get("recompute_scale_factor"):
            sfs = [None] * nd  # the source mapping then uses in/out, not the given factor
    args = (kw.get("mode", "nearest"), kw.get("align_corners"), sfs)
    want = _np_interpolate(x, shape[2:], out.shape[2:], *args)
    np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)
    g = R.standard_normal(out.shape)
    out_t.backward(tt.tensor(g))
    dx = _np_interpolate(g, shape[2:], out.shape[2:], *args, adjoint=True)
    np.testing.assert_allclose(xt.grad.numpy(), dx, rtol=1e-10, atol=1e-12)
