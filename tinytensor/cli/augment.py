"""``--augment``: small random shifts and rotations of a batch of images, in NumPy.

Each image gets its own rotation (up to ``max_degrees``) and shift (up to about 8% of its
side, at least one pixel), drawn from the run's own ``numpy.random.Generator`` so a resumed run
draws exactly what an uninterrupted one would. Pixels that come from outside the image take
``fill`` (the value of a black pixel after standardisation).
"""

from __future__ import annotations

import numpy as np


def max_shift(height: int, width: int) -> int:
    return max(1, int(round(0.08 * min(height, width))))


def augment(x: np.ndarray, rng: np.random.Generator, fill: float, max_degrees: float = 10.0):
    """A randomly shifted and rotated copy of the batch ``x`` ``(N, C, H, W)``."""
    n, _, h, w = x.shape
    shift = max_shift(h, w)
    angle = np.deg2rad(rng.uniform(-max_degrees, max_degrees, size=n))
    dy = rng.integers(-shift, shift + 1, size=n)
    dx = rng.integers(-shift, shift + 1, size=n)
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    # Inverse map: output pixel p comes from R^-1 (p - c - t) + c.
    oy = yy[None] - cy - dy[:, None, None]
    ox = xx[None] - cx - dx[:, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    sy = cos * oy - sin * ox + cy
    sx = sin * oy + cos * ox + cx
    return _bilinear(x, sy, sx, fill).astype(x.dtype, copy=False)


def _bilinear(x, sy, sx, fill):
    """Sample each image of ``x`` at its own coordinates ``(N, H, W)``; outside gives ``fill``."""
    n, c, h, w = x.shape
    y0, x0 = np.floor(sy).astype(np.int64), np.floor(sx).astype(np.int64)
    fy, fx = (sy - y0)[:, None], (sx - x0)[:, None]
    batch = np.arange(n)[:, None, None]
    out = np.zeros((n, c, h, w), dtype=np.float64)
    for oy, ox, weight in (
        (0, 0, (1 - fy) * (1 - fx)),
        (0, 1, (1 - fy) * fx),
        (1, 0, fy * (1 - fx)),
        (1, 1, fy * fx),
    ):
        yi, xi = y0 + oy, x0 + ox
        inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
        values = x[batch, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]  # (N, H, W, C)
        values = np.moveaxis(values, -1, 1)
        values = np.where(inside[:, None], values, fill)
        out += weight * values
    return out
