"""Image arithmetic behind the transforms, on NumPy arrays laid out ``(..., H, W)``.

The geometry follows torchvision's tensor backend: pixel centres sit at integer coordinates, an
affine map turns about the image centre ``((W - 1) / 2, (H - 1) / 2)``, nearest sampling rounds
half to even, and samples falling outside the image take ``fill``.
"""

from __future__ import annotations

import math

import numpy as np

import tinytensor as tt

_NP_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
                 "symmetric": "symmetric"}  # fmt: skip


def to_spatial(img, name: str):
    """``(array laid out (..., H, W), restore)``: tensors are ``(..., H, W)`` already, NumPy
    arrays are images ``(H, W)`` or ``(H, W, C)`` as torchvision's ToTensor reads them."""
    if isinstance(img, tt.Tensor):
        if img.ndim < 2:
            raise ValueError(f"{name}: expected a tensor image (..., H, W), got shape {img.shape}")
        return img.detach().numpy(), lambda a: tt.from_numpy(np.ascontiguousarray(a))
    if isinstance(img, np.ndarray):
        if img.ndim == 2:
            return img, lambda a: a
        if img.ndim == 3:
            return img.transpose(2, 0, 1), lambda a: np.ascontiguousarray(a.transpose(1, 2, 0))
        raise ValueError(
            f"{name}: a NumPy image must be (H, W) or (H, W, C), got shape {img.shape}; for "
            "(C, H, W) data pass a tensor (tt.from_numpy)"
        )
    raise TypeError(
        f"{name}: img should be a tinytensor Tensor or a NumPy array, got {type(img).__name__}"
    )


def hw(img) -> tuple[int, int]:
    """Height and width of a tensor ``(..., H, W)`` or a NumPy image ``(H, W[, C])``."""
    if isinstance(img, np.ndarray):
        return int(img.shape[0]), int(img.shape[1])
    return int(img.shape[-2]), int(img.shape[-1])


def _fill_per_channel(arr: np.ndarray, fill):
    """``fill`` broadcastable against ``arr`` (..., H, W): a number, or one value per channel."""
    f = np.asarray(0 if fill is None else fill, dtype=np.float64)
    if f.ndim == 0 or f.size == 1:
        return f.reshape(())
    if arr.ndim < 3 or f.size != arr.shape[-3]:
        raise ValueError(
            f"fill has {f.size} values but the image has "
            f"{arr.shape[-3] if arr.ndim >= 3 else 1} channel(s); give one value or one per channel"
        )
    return f.reshape(-1, 1, 1)


def parse_padding(padding) -> tuple[int, int, int, int]:
    """torchvision's padding: int (all sides), (lr, tb) or (left, top, right, bottom)."""
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        p = [int(padding)] * 4
    elif isinstance(padding, (list, tuple)) and len(padding) in (1, 2, 4):
        p = [int(v) for v in padding]
        p = p * 4 if len(p) == 1 else (p * 2 if len(p) == 2 else p)
    else:
        raise ValueError(
            "padding must be an int or a sequence of 1, 2 or 4 ints (left, top, right, bottom), "
            f"got {padding!r}"
        )
    return p[0], p[1], p[2], p[3]


def pad(arr: np.ndarray, padding, fill=0, mode: str = "constant") -> np.ndarray:
    if mode not in _NP_PAD_MODES:
        raise ValueError(f"padding_mode should be one of {sorted(_NP_PAD_MODES)}, got {mode!r}")
    left, top, right, bottom = parse_padding(padding)
    if min(left, top, right, bottom) < 0:  # negative padding crops, as in torchvision
        h, w = arr.shape[-2:]
        arr = arr[..., max(-top, 0) : h - max(-bottom, 0), max(-left, 0) : w - max(-right, 0)]
        left, top, right, bottom = (max(v, 0) for v in (left, top, right, bottom))
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if mode != "constant":
        return np.pad(arr, widths, mode=_NP_PAD_MODES[mode])
    f = _fill_per_channel(arr, fill)
    out = np.pad(arr, widths, mode="constant")
    mask = np.ones(out.shape[-2:], dtype=bool)
    mask[top : top + arr.shape[-2], left : left + arr.shape[-1]] = False
    out[..., mask] = np.broadcast_to(f, out.shape)[..., mask].astype(out.dtype)
    return out


def inverse_affine_matrix(center, angle, translate, scale, shear) -> list[float]:
    """torchvision's ``_get_inverse_affine_matrix``: output -> input pixel map, centre-relative."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def expanded_size(matrix, h: int, w: int) -> tuple[int, int]:
    """Output ``(H, W)`` that holds the whole rotated image (torchvision's rule)."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1], [-0.5 * w, 0.5 * h, 1],
                    [0.5 * w, 0.5 * h, 1], [0.5 * w, -0.5 * h, 1]])  # fmt: skip
    # float32 as torchvision: a 1e-16 residue of cos(90 degrees) must vanish, not widen the box
    new = pts.astype(np.float32) @ np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    shift = np.array([0.5 * w, 0.5 * h], dtype=np.float32)  # to [0, w] x [0, h], as PIL
    tol = np.float32(1e-4)  # so that 1e-7 above an integer does not ceil up
    cmax = np.ceil(np.trunc((new.max(axis=0) + shift) / tol) * tol)
    cmin = np.floor(np.trunc((new.min(axis=0) + shift) / tol) * tol)
    size = cmax - cmin
    return int(size[1]), int(size[0])


def warp(arr, matrix, interpolation: str, fill, out_hw=None) -> np.ndarray:
    """Sample ``arr`` (..., H, W) at ``matrix @ (x, y, 1)`` for every output pixel (x, y), both
    relative to their image's centre; outside samples take ``fill``."""
    h, w = arr.shape[-2:]
    oh, ow = out_hw or (h, w)
    ys, xs = np.meshgrid(np.arange(oh) - (oh - 1) / 2, np.arange(ow) - (ow - 1) / 2, indexing="ij")
    a, b, c, d, e, f = matrix
    sx = a * xs + b * ys + c + (w - 1) / 2
    sy = d * xs + e * ys + f + (h - 1) / 2
    src = arr.astype(np.float64)
    fill_v = _fill_per_channel(arr, fill)
    if interpolation == "nearest":
        ix, iy = np.rint(sx).astype(np.int64), np.rint(sy).astype(np.int64)
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        out = src[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
        out = np.where(inside, out, fill_v)
    else:  # bilinear, zero outside; then torchvision's blend with the fill through a mask
        x0, y0 = np.floor(sx).astype(np.int64), np.floor(sy).astype(np.int64)
        out = np.zeros(arr.shape[:-2] + (oh, ow))
        mask = np.zeros((oh, ow))
        for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
            xi, yi = x0 + dx, y0 + dy
            wgt = (1 - np.abs(sx - xi)) * (1 - np.abs(sy - yi))
            ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            wgt = np.where(ok, wgt, 0.0)
            out += src[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)] * wgt
            mask += wgt
        if fill is not None:
            out = out * mask + (1.0 - mask) * fill_v
    if np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(arr.dtype)


def resize(arr: np.ndarray, oh: int, ow: int, interpolation: str) -> np.ndarray:
    """Resize the last two axes (align_corners=False; no antialias filter)."""
    h, w = arr.shape[-2:]
    if interpolation == "nearest":
        iy = np.minimum(np.floor(np.arange(oh) * (h / oh)).astype(np.int64), h - 1)
        ix = np.minimum(np.floor(np.arange(ow) * (w / ow)).astype(np.int64), w - 1)
        return arr[..., iy[:, None], ix[None, :]]
    sy = np.clip((np.arange(oh) + 0.5) * (h / oh) - 0.5, 0, None)
    sx = np.clip((np.arange(ow) + 0.5) * (w / ow) - 0.5, 0, None)
    y0, x0 = (
        np.minimum(np.floor(sy).astype(np.int64), h - 1),
        np.minimum(np.floor(sx).astype(np.int64), w - 1),
    )
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (sy - y0)[:, None], (sx - x0)[None, :]
    src = arr.astype(np.float64)
    top = src[..., y0, :][..., x0] * (1 - wx) + src[..., y0, :][..., x1] * wx
    bottom = src[..., y1, :][..., x0] * (1 - wx) + src[..., y1, :][..., x1] * wx
    out = top * (1 - wy) + bottom * wy
    if np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(arr.dtype)
