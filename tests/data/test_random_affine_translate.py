"""RandomAffine's translation bound is a fraction of the width for x and of the height for y:
on a non-square image a one-pixel bound on one axis is zero pixels on the other, so swapping
(width, height) changes which shifts can happen. NumPy oracle: a shift with zero fill."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.data import transforms as T


def _shift(a, k, axis):
    """``a`` moved by ``k`` pixels along ``axis`` (towards larger indices), zero-filled."""
    out = np.zeros_like(a)
    n = a.shape[axis]
    src = [slice(None)] * a.ndim
    dst = [slice(None)] * a.ndim
    src[axis] = slice(max(0, -k), n - max(0, k))
    dst[axis] = slice(max(0, k), n - max(0, -k))
    out[tuple(dst)] = a[tuple(src)]
    return out


@pytest.mark.parametrize(
    "shape,translate,axis",
    [((1, 2, 20), (0.05, 0.0), -1), ((1, 20, 2), (0.0, 0.05), -2)],
    ids=["wide-shift-x", "tall-shift-y"],
)
def test_one_pixel_translation_on_a_non_square_image(shape, translate, axis):
    """0.05 of the long side is one pixel; the short side (2 px) would give a bound of 0.1 px,
    which rounds to no shift at all. Every draw must be a shift by -1, 0 or +1 pixel along the
    long axis only, and both one-pixel shifts must occur."""
    x = np.arange(1.0, 1.0 + np.prod(shape), dtype=np.float32).reshape(shape)
    t = T.RandomAffine(0, translate=translate)
    tt.manual_seed(3)
    seen = set()
    for _ in range(40):
        y = t(tt.from_numpy(x.copy())).numpy()
        ks = [k for k in (-1, 0, 1) if np.array_equal(y, _shift(x, k, axis))]
        assert len(ks) == 1, f"output is no shift of at most one pixel along axis {axis}"
        seen.add(ks[0])
    assert seen == {-1, 0, 1}


def test_get_params_bounds_follow_width_then_height():
    """``img_size`` is (width, height): translate (0.5, 0) on a 10-wide, 2-high image may move
    up to 5 pixels in x and never in y; the same fraction of the height would allow 1."""
    tt.manual_seed(5)
    draws = [T.RandomAffine.get_params((0, 0), (0.5, 0.0), None, None, (10, 2))[1]
             for _ in range(200)]  # fmt: skip
    xs = [tx for tx, _ in draws]
    assert all(ty == 0 for _, ty in draws)
    assert max(xs) >= 4 and min(xs) <= -4 and max(abs(v) for v in xs) <= 5
