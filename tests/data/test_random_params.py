"""The random transforms draw from the whole documented range, ends included, and nothing
outside it: every crop position of RandomCrop (first and last too), flips at the rate p (never
at p=0, always at p=1), rotation angles over [lo, hi]. Seeded, NumPy only."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.data import transforms as T


def test_random_crop_reaches_every_position_ends_included():
    tt.manual_seed(1)
    img = tt.zeros(1, 5, 8)
    draws = [T.RandomCrop.get_params(img, (3, 4)) for _ in range(400)]
    assert {d[0] for d in draws} == set(range(0, 5 - 3 + 1))  # tops 0..2
    assert {d[1] for d in draws} == set(range(0, 8 - 4 + 1))  # lefts 0..4
    assert {d[2:] for d in draws} == {(3, 4)}


def test_random_crop_output_is_the_window_at_the_drawn_position():
    x = tt.from_numpy(np.arange(40.0, dtype=np.float32).reshape(1, 5, 8))
    t = T.RandomCrop((3, 4))
    for seed in range(10):
        tt.manual_seed(seed)
        top, left, h, w = T.RandomCrop.get_params(x, (3, 4))
        tt.manual_seed(seed)
        np.testing.assert_array_equal(t(x).numpy(), x.numpy()[:, top : top + h, left : left + w])


@pytest.mark.parametrize("cls,axis", [(T.RandomHorizontalFlip, -1), (T.RandomVerticalFlip, -2)])
def test_flip_rate_is_p(cls, axis):
    x = tt.from_numpy(np.arange(12.0, dtype=np.float32).reshape(1, 3, 4))
    flipped = np.flip(x.numpy(), axis)
    tt.manual_seed(4)
    for p, lo, hi in [(0.0, 0, 0), (1.0, 200, 200), (0.2, 20, 60)]:
        t = cls(p)
        n = sum(np.array_equal(t(x).numpy(), flipped) for _ in range(200))
        assert lo <= n <= hi, (p, n)


def test_rotation_angles_cover_the_range():
    tt.manual_seed(6)
    angles = np.array([T.RandomRotation.get_params((-10.0, 30.0)) for _ in range(500)])
    assert angles.min() >= -10.0 and angles.max() <= 30.0
    assert angles.min() < -9.0 and angles.max() > 29.0  # both ends reached
    assert abs(angles.mean() - 10.0) < 2.0  # uniform: mean at the middle


@pytest.mark.parametrize(
    "padding,widths",
    [(1, ((1, 1), (1, 1))), ([1, 2], ((2, 2), (1, 1))), ([1, 2, 3, 0], ((2, 0), (1, 3)))],
    ids=["int", "lr-tb", "left-top-right-bottom"],
)
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_widths_follow_torchvisions_order(padding, widths, mode):
    """(lr, tb) pads left and right by the first, top and bottom by the second; four values
    are (left, top, right, bottom). NumPy oracle: np.pad over (H, W)."""
    x = np.arange(20.0, dtype=np.float32).reshape(1, 4, 5)
    got = T.Pad(padding, fill=-1.0, padding_mode=mode)(tt.from_numpy(x)).numpy()
    kw = {"constant_values": -1.0} if mode == "constant" else {}
    np.testing.assert_array_equal(got, np.pad(x, ((0, 0), *widths), mode=mode, **kw))


@pytest.mark.parametrize("num_samples", [7, 30, 70])
def test_random_sampler_with_replacement_draws_every_index(num_samples):
    """Draws with replacement are uniform over all n indices, the last included, in every
    chunk of the draw (the first 32 and the rest)."""
    from tinytensor.data import RandomSampler

    g = tt.Generator().manual_seed(3)
    seen = []
    for _ in range(40):
        seen += list(RandomSampler(range(5), replacement=True, num_samples=num_samples,
                                   generator=g))  # fmt: skip
    assert len(seen) == 40 * num_samples and set(seen) == set(range(5))
    tail = [i for k in range(40) for i in seen[k * num_samples + 32 * (num_samples // 32):
                                                (k + 1) * num_samples]]  # fmt: skip
    assert set(tail) == set(range(5))
