"""Resampling: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area), ``pixel_shuffle``/``pixel_unshuffle``, ``grid_sample`` and ``affine_grid``.

Interpolation with a fixed output size is linear and separable: one (out, in) matrix per
spatial axis holds PyTorch's weights (one 1 per row for nearest, two for linear, four clamped
taps for bicubic), so it runs as the same op as average pooling and its gradient (and every
higher one) is that op with the matrices transposed. ``grid_sample`` and ``affine_grid`` are
built from differentiable tensor ops, so gradients reach the grid and theta too.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.nn.functional._util import float_input, saves
from tinytensor.nn.functional.avg_pooling import _adaptive_avg_pool, separable

_LINEAR = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")


def _source(scale, dst, align_corners, cubic):
    """PyTorch's area_pixel_compute_source_index: where output position dst reads."""
    if align_corners:
        return scale * dst
    src = scale * (dst + 0.5) - 0.5
    return src if cubic else np.maximum(src, 0.0)


def _scale(n_in, n_out, align_corners, scale_factor):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale_factor if scale_factor is not None and scale_factor > 0 else n_in / n_out


def _cubic(t, a=-0.75):
    """The four bicubic tap weights for fractional offset t (PyTorch's A = -0.75)."""

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def interp_matrix(n_in, n_out, mode, align_corners, scale_factor):
    """(n_out, n_in) matrix of one axis's interpolation weights."""
    m = np.zeros((n_out, n_in))
    dst = np.arange(n_out, dtype=np.float64)
    rows = np.arange(n_out)
    scale = _scale(n_in, n_out, align_corners, scale_factor)
    if mode in ("nearest", "nearest-exact"):
        scale = 1.0 / scale_factor if scale_factor is not None else n_in / n_out
        src = np.floor((dst + (0.5 if mode == "nearest-exact" else 0.0)) * scale).astype(int)
        m[rows, np.minimum(src, n_in - 1)] = 1.0
    elif mode == "bicubic":
        real = _source(scale, dst, align_corners, cubic=True)
        i0 = np.floor(real).astype(int)
        for tap, w in enumerate(_cubic(real - i0)):
            np.add.at(m, (rows, np.clip(i0 - 1 + tap, 0, n_in - 1)), w)
    else:
        src = _source(scale, dst, align_corners, cubic=False)
        i0 = np.minimum(src.astype(int), n_in - 1)
        lam = src - i0
        i1 = np.minimum(i0 + 1, n_in - 1)
        np.add.at(m, (rows, i0), 1.0 - lam)
        np.add.at(m, (rows, i1), lam)
    return m


def _per_dim(v, nd, name):
    if isinstance(v, (tuple, list)):
        if len(v) != nd:
            raise ValueError(
                f"interpolate: {name} must have {nd} elements for a {nd + 2}-D input, got {v!r}"
            )
        return tuple(v)
    return (v,) * nd


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
):
    """`f(x) = x` resampled to ``size`` (or `size*scale_factor`); linear in x:  `dx = M^T g` per
    axis. A uint8 image (nearest, nearest-exact, bilinear, bicubic: PyTorch's modes for it)
    comes back as uint8, computed as PyTorch's uint8 kernel does (fixed-point weights, each pass
    rounded and clamped to [0, 255]); other integer images are refused, as in PyTorch."""
    kind = getattr(getattr(input, "_data", None), "dtype", np.dtype("f")).kind
    if kind in "biu":
        return _interpolate_uint8(
            input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias
        )
    x = float_input(input, "interpolate")
    nd = x.ndim - 2
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode must be one of {list(_MODES)}, got {mode!r}")
    if nd < 1 or nd > 3:
        raise NotImplementedError(
            f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got {x.shape}"
        )
    if mode in _LINEAR and _LINEAR[mode] != nd:
        raise NotImplementedError(
            f"interpolate: got {x.ndim}D input, but {mode} mode needs {_LINEAR[mode] + 2}D input"
        )
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError(
            "interpolate: align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported; use False")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size or scale_factor")
    sp = x.shape[2:]
    scales = (None,) * nd
    if size is not None:
        out = tuple(int(v) for v in _per_dim(size, nd, "size"))
    else:
        scales = tuple(float(v) for v in _per_dim(scale_factor, nd, "scale_factor"))
        out = tuple(math.floor(sp[i] * scales[i]) for i in range(nd))
        if recompute_scale_factor:
            scales = (None,) * nd
    if min(out) < 1:
        raise ValueError(f"interpolate: output size {out} must be positive (input {x.shape})")
    if mode == "area":
        return _adaptive_avg_pool(x, out, nd)
    ac = bool(align_corners)
    mats = [interp_matrix(sp[i], out[i], mode, ac, scales[i]) for i in range(nd)]
    return separable(x, mats, "Upsample", save_input=False)


_UINT8_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")


def _interpolate_uint8(input, size, scale_factor, mode, align_corners, recompute, antialias):
    """PyTorch resamples uint8 images in these modes only, and no other integer dtype."""
    if input._data.dtype != np.uint8 or mode not in _UINT8_MODES:
        raise NotImplementedError(
            f"interpolate: mode={mode!r} is not implemented for {input.dtype} input (PyTorch "
            f"resamples only uint8 images, in modes {', '.join(_UINT8_MODES)}); convert it "
            "with .float()"
        )
    if mode not in ("bilinear", "bicubic"):  # nearest: a gather, exact in float32
        x = RESAMPLE_CAST.apply((input,), (input._data,), (), {"dtype": np.dtype(np.float32)})
        out = interpolate(x, size, scale_factor, mode, align_corners, recompute, antialias)
        return RESAMPLE_CAST.apply((out,), (out._data,), (), {"dtype": np.dtype(np.uint8)})
    x = input
    if x.ndim != 4:
        raise NotImplementedError(
            f"interpolate: got {x.ndim}D input, but {mode} mode needs 4D input"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported; use False")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size or scale_factor")
    sp = x.shape[2:]
    if size is not None:
        out, scales = tuple(int(v) for v in _per_dim(size, 2, "size")), (None, None)
    else:
        scales = tuple(float(v) for v in _per_dim(scale_factor, 2, "scale_factor"))
        out = tuple(math.floor(sp[i] * scales[i]) for i in range(2))
        if recompute:
            scales = (None, None)
    if min(out) < 1:
        raise ValueError(f"interpolate: output size {out} must be positive (input {x.shape})")
    # PyTorch's uint8 kernel (Pillow's): the width pass, then the height pass, each with its
    # weights in 16-bit fixed point, rounded and clamped to [0, 255] (bicubic overshoots).
    attrs = {"size": out, "mode": mode, "align_corners": bool(align_corners), "scales": scales}
    return UINT8_RESAMPLE.apply((input,), (input._data,), (), attrs)


def _uint8_kernel(x, *, size, mode, align_corners, scales):
    sp = x.shape[2:]
    y = x.astype(np.int64)
    for axis in (3, 2):
        m = interp_matrix(sp[axis - 2], size[axis - 2], mode, align_corners, scales[axis - 2])
        y = _fixed_point_pass(y, m, axis)
    return y.astype(np.uint8)


def _astype_kernel(x, *, dtype):
    return x.astype(dtype)


# No gradient (integer images).
UINT8_RESAMPLE = Primitive("Uint8Resample", _uint8_kernel)
RESAMPLE_CAST = Primitive("ResampleCast", _astype_kernel)


def _fixed_point_pass(x, m, axis):
    """f(x) = clamp(round(x @ m.T), 0, 255) along ``axis``, with m in fixed point at the most
    bits that keep every weight under 2**15 (as Pillow and PyTorch)."""
    big = np.abs(m).max()
    bits = 0
    while bits < 22 and int(0.5 + big * (1 << (bits + 1))) < (1 << 15):
        bits += 1
    w = m * (1 << bits)
    wi = np.where(w < 0, np.trunc(w - 0.5), np.trunc(w + 0.5)).astype(np.int64)
    acc = (1 << (bits - 1)) + np.moveaxis(x, axis, -1) @ wi.T
    return np.moveaxis(np.clip(acc >> bits, 0, 255), -1, axis)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor):
    """`(*, C*r*r, H, W) -> (*, C, H*r, W*r)`: a reshape and a permute (gradient: the inverse)"""
    r = int(upscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-3] % (r * r):
        raise RuntimeError(
            f"pixel_shuffle: expected input of at least 3 dims whose channels are divisible by "
            f"upscale_factor**2 = {r * r}, got shape {tuple(input.shape)}"
        )
    *lead, c, h, w = input.shape
    n = len(lead)
    y = input.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """`(*, C, H*r, W*r) -> (*, C*r*r, H, W), pixel_shuffle's` inverse"""
    r = int(downscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-2] % r or input.shape[-1] % r:
        raise RuntimeError(
            f"pixel_unshuffle: expected input of at least 3 dims whose height and width are "
            f"divisible by downscale_factor = {r}, got shape {tuple(input.shape)}"
        )
    *lead, c, h, w = input.shape
    n = len(lead)
    y = input.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


def affine_grid(theta, size, align_corners=None):
    """f(theta) = base grid of ``size`` (x, y[, z], 1) @ theta^T: (N, H, W, 2) or (N, D, H, W, 3)"""
    t = float_input(theta, "affine_grid", "theta")
    size = tuple(int(v) for v in size)
    nd = len(size) - 2
    if nd not in (2, 3) or t.ndim != 3 or t.shape != (size[0], nd, nd + 1):
        raise ValueError(
            f"affine_grid: expected theta of shape (N, {max(nd, 2)}, {max(nd, 2) + 1}) for size "
            f"{size} (4-D for 2-D grids, 5-D for 3-D), got theta of shape {tuple(t.shape)}"
        )
    attrs = {"size": size, "align_corners": bool(align_corners), "dtype": t._data.dtype}
    grid = AFFINE_BASE.apply((), (), (), attrs).matmul(t.mT)
    return grid.reshape(size[0], *size[2:], nd)


def _affine_base_kernel(*, size, align_corners, dtype):
    """(1, prod(size[2:]), nd + 1): the normalised (x, y[, z], 1) of every output point."""
    nd = len(size) - 2

    def lin(n):
        v = np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)
        return v if align_corners else v * (n - 1) / n

    axes = [lin(n) for n in reversed(size[2:])]  # x (width) first, as PyTorch
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # arrays of shape size[2:]
    return np.stack([*mesh, np.ones(size[2:])], -1).reshape(1, -1, nd + 1).astype(dtype)


AFFINE_BASE = Primitive("AffineGridBase", _affine_base_kernel)  # a constant of the sizes


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    """PyTorch's reflect_coordinates, written in differentiable ops (the folds are constants)."""
    if twice_low == twice_high:
        return coord * 0
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    dist = (coord - lo).abs()
    folded, sign, shift = REFLECT_FOLDS.compute((dist,), (dist._data,), {"lo": lo, "span": span})
    return (dist - wrap(folded)) * wrap(sign) + wrap(shift)


def _folds_kernel(d, *, lo, span):
    """(whole spans folded away, the sign and the shift of what is left): constants of
    reflect_coordinates (no gradient)."""
    flips = np.floor(d / span)
    even = (flips % 2) == 0
    return (flips * span, np.where(even, 1.0, -1.0).astype(d.dtype),
            np.where(even, lo, span + lo).astype(d.dtype))  # fmt: skip


def _tap_kernel(iy, ix, *, rounding, dy, dx, h, w, c):
    """(flat indices (N, C, L) of the integer points the rounded source coordinates plus
    (dy, dx) reach, clipped into the image; (N, 1, L) 1 where they fall inside, else 0)."""
    rnd = np.rint if rounding == "nearest" else np.floor
    yy = rnd(iy).astype(np.int64) + dy
    xx = rnd(ix).astype(np.int64) + dx
    ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
    idx = np.where(ok, np.clip(yy, 0, h - 1) * w + np.clip(xx, 0, w - 1), 0)
    n, _, length = idx.shape
    return np.ascontiguousarray(np.broadcast_to(idx, (n, c, length))), ok.astype(iy.dtype)


def _floor_kernel(d):
    """floor(d) through int64, in d's dtype (a constant offset: no gradient)."""
    return np.floor(d).astype(np.int64).astype(d.dtype)


REFLECT_FOLDS = Primitive("ReflectFolds", _folds_kernel, multi=True)
GRID_TAP = Primitive("GridSampleTap", _tap_kernel, multi=True)
FLOOR_OFFSET = Primitive("FloorOffset", _floor_kernel)


def _source_coord(coord, size, padding_mode, align_corners):
    c = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        c = c.clamp(0, size - 1)
    elif padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (size - 1)) if align_corners else _reflect(c, -1, 2 * size - 1)
        c = c.clamp(0, size - 1)
    return c


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """f(x, grid) = x sampled at grid's normalised (x, y) points (bilinear or nearest);
    differentiable in x and, for bilinear, in grid"""
    x = float_input(input, "grid_sample")
    gr = float_input(grid, "grid_sample", "grid")
    if x.ndim != 4 or gr.ndim != 4 or gr.shape[-1] != 2 or gr.shape[0] != x.shape[0]:
        raise RuntimeError(
            f"grid_sample: expected a 4-D input (N, C, H, W) and a grid (N, H_out, W_out, 2) "
            f"with the same N, got input {tuple(x.shape)} and grid {tuple(gr.shape)} "
            "(5-D volumetric sampling is not supported)"
        )
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"grid_sample: mode must be 'bilinear' or 'nearest', got {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', "
            f"got {padding_mode!r}"
        )
    n, c, h, w = x.shape
    ho, wo = gr.shape[1:3]
    ac = bool(align_corners)
    ix = _source_coord(gr[..., 0].reshape(n, 1, ho * wo), w, padding_mode, ac)
    iy = _source_coord(gr[..., 1].reshape(n, 1, ho * wo), h, padding_mode, ac)
    flat = x.reshape(n, c, h * w)

    def tap(rounding, dy, dx):
        """x at the integer points (N, 1, L) that the rounded coordinates plus (dy, dx)
        reach, and 1 where they fall inside (0 outside)."""
        attrs = {"rounding": rounding, "dy": dy, "dx": dx, "h": h, "w": w, "c": c}
        idx, ok = GRID_TAP.compute((iy, ix), (iy._data, ix._data), attrs)
        return flat.gather(2, wrap(idx)), wrap(ok)

    if mode == "nearest":
        v, ok = tap("nearest", 0, 0)
        # PyTorch gives the grid a zero gradient in nearest mode (not None): so do we.
        out = v * (ok + (ix + iy) * 0)
    else:
        # fractional offsets, differentiable in the grid
        fx = ix - FLOOR_OFFSET.apply((ix,), (ix._data,))
        fy = iy - FLOOR_OFFSET.apply((iy,), (iy._data,))
        out = 0
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                v, ok = tap("floor", dy, dx)
                out = out + v * (wy * wx * ok)
    # PyTorch's grid sampler saves its input and grid: a pass-through op saves them too, so
    # changing either in place after the forward pass raises here as well.
    return saves(out.reshape(n, c, ho, wo), "GridSampler2D", x, gr)
