"""Image transforms against NumPy references, on tensors (..., H, W) and NumPy images (H, W, C)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.data import transforms as T


def _img(h=5, w=6, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def _chw(h=5, w=6, c=2, seed=0):
    return np.random.default_rng(seed).standard_normal((c, h, w)).astype(np.float32)


def test_to_tensor_scales_uint8_hwc_to_chw():
    img = _img()
    x = T.ToTensor()(img)
    assert x.dtype == tt.float32 and x.shape == (3, 5, 6)
    np.testing.assert_allclose(x.numpy(), img.transpose(2, 0, 1).astype(np.float32) / 255)
    gray = T.ToTensor()(img[:, :, 0])
    assert gray.shape == (1, 5, 6)
    floats = T.ToTensor()(np.full((2, 2, 1), 7.0, np.float64))  # non-uint8: no scaling
    assert floats.dtype == tt.float64 and floats.numpy().max() == 7.0
    with pytest.raises(TypeError, match="NumPy array"):
        T.ToTensor()(tt.zeros(1, 2, 2))


def test_normalize_matches_numpy():
    x = _chw(c=3)
    mean, std = [0.1, 0.2, 0.3], [0.5, 2.0, 1.0]
    out = T.Normalize(mean, std)(tt.from_numpy(x))
    ref = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
    batch = T.Normalize([0.5], [0.5])(tt.ones(4, 1, 2, 2))
    assert batch.shape == (4, 1, 2, 2) and batch.numpy().max() == 1.0
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize([0.0], [0.0])(tt.ones(1, 2, 2))
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize([0.0], [1.0])(tt.ones(1, 2, 2, dtype=tt.int64))
    with pytest.raises(TypeError, match="ToTensor"):
        T.Normalize([0.0], [1.0])(np.ones((2, 2, 1), np.float32))


def test_normalize_inplace_changes_the_input():
    x = tt.ones(1, 2, 2)
    y = T.Normalize([0.5], [0.25], inplace=True)(x)
    assert y is x and x.numpy().max() == 2.0


@pytest.mark.parametrize("kind", ["tensor", "numpy"])
def test_horizontal_flip_always_and_never(kind):
    img = _chw() if kind == "tensor" else _img()
    arg = tt.from_numpy(img) if kind == "tensor" else img
    axis = -1 if kind == "tensor" else 1
    flipped = T.RandomHorizontalFlip(p=1.0)(arg)
    out = flipped.numpy() if kind == "tensor" else flipped
    np.testing.assert_array_equal(out, np.flip(img, axis=axis))
    same = T.RandomHorizontalFlip(p=0.0)(arg)
    assert same is arg
    vflip = T.RandomVerticalFlip(p=1.0)(arg)
    out = vflip.numpy() if kind == "tensor" else vflip
    np.testing.assert_array_equal(out, np.flip(img, axis=axis - 1))


def test_horizontal_flip_is_seeded_and_fair():
    x = tt.from_numpy(np.arange(4.0).reshape(1, 1, 4))

    def flips():
        return [T.RandomHorizontalFlip()(x).numpy()[0, 0, 0] == 3.0 for _ in range(400)]

    tt.manual_seed(3)
    a = flips()
    tt.manual_seed(3)
    assert flips() == a
    assert 0.4 < np.mean(a) < 0.6


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_random_crop_with_padding_is_a_window_of_the_padded_image(mode):
    img = _chw(h=4, w=5)
    np_mode = {"constant": "constant", "edge": "edge", "reflect": "reflect",
               "symmetric": "symmetric"}[mode]  # fmt: skip
    padded = np.pad(img, [(0, 0), (2, 2), (2, 2)], mode=np_mode)
    windows = {
        (i, j): padded[:, i : i + 4, j : j + 5] for i in range(5) for j in range(5)
    }  # every crop position of the padded 8x9 image
    tt.manual_seed(0)
    seen = set()
    for _ in range(40):
        out = T.RandomCrop((4, 5), padding=2, padding_mode=mode)(tt.from_numpy(img)).numpy()
        hits = [k for k, win in windows.items() if np.array_equal(win, out)]
        assert hits, "the crop is not a window of the padded image"
        seen.update(hits)
    assert len(seen) > 5  # positions vary


def test_random_crop_fill_and_numpy_layout():
    img = _img(h=3, w=3)
    out = T.RandomCrop(7, padding=2, fill=(1, 2, 3))(img)  # whole padded image: no randomness
    ref = np.pad(img, [(2, 2), (2, 2), (0, 0)])
    ref[:2, :, :] = ref[-2:, :, :] = [1, 2, 3]
    ref[:, :2, :] = ref[:, -2:, :] = [1, 2, 3]
    np.testing.assert_array_equal(out, ref)
    assert out.dtype == np.uint8


def test_random_crop_pad_if_needed_and_errors():
    x = tt.ones(1, 2, 3)
    assert T.RandomCrop((4, 5), pad_if_needed=True)(x).shape == (1, 4, 5)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(4)(x)
    with pytest.raises(ValueError, match="padding"):
        T.RandomCrop(2, padding=(1, 2, 3))


def test_center_crop_and_pad():
    img = _chw(h=6, w=7)
    np.testing.assert_array_equal(T.CenterCrop((2, 3))(tt.from_numpy(img)).numpy(),
                                  img[:, 2:4, 2:5])  # fmt: skip
    big = T.CenterCrop(8)(tt.from_numpy(img)).numpy()
    assert big.shape == (2, 8, 8) and np.array_equal(big[:, 1:7, 0:7], img)
    padded = T.Pad((1, 2, 3, 4), padding_mode="reflect")(tt.from_numpy(img)).numpy()
    np.testing.assert_array_equal(padded, np.pad(img, [(0, 0), (2, 4), (1, 3)], mode="reflect"))


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [(4, 4), (5, 5), (4, 6)])  # expand: even sides
def test_rotation_by_90_degrees_equals_rot90(interpolation, size):
    h, w = size
    img = _chw(h=h, w=w)
    for k in (1, 2, 3, -1):
        out = T.rotate(tt.from_numpy(img), 90.0 * k, interpolation, expand=h != w).numpy()
        np.testing.assert_allclose(out, np.rot90(img, k, axes=(-2, -1)), atol=1e-5)


def test_random_rotation_draws_from_the_range_and_fills():
    img = np.ones((1, 9, 9), np.float32)
    tt.manual_seed(1)
    out = T.RandomRotation((45, 45), fill=-1.0)(tt.from_numpy(img)).numpy()
    assert out[0, 4, 4] == 1.0 and out[0, 0, 0] == -1.0  # centre kept, corner filled
    tt.manual_seed(1)
    angles = [T.RandomRotation.get_params((-10, 30)) for _ in range(200)]
    assert min(angles) >= -10 and max(angles) <= 30 and np.std(angles) > 5
    numpy_img = _img(h=4, w=4)
    np.testing.assert_array_equal(T.RandomRotation((90, 90))(numpy_img), np.rot90(numpy_img))


def test_affine_identity_translation_and_scale():
    img = _chw(h=6, w=6)
    x = tt.from_numpy(img)
    same = T.affine(x, 0.0, (0, 0), 1.0, (0.0, 0.0)).numpy()
    np.testing.assert_array_equal(same, img)
    moved = T.affine(x, 0.0, (2, 1), 1.0, (0.0, 0.0)).numpy()  # right by 2, down by 1
    np.testing.assert_array_equal(moved[:, 1:, 2:], img[:, :-1, :-2])
    assert np.all(moved[:, 0, :] == 0) and np.all(moved[:, :, :2] == 0)
    zoom = T.affine(tt.from_numpy(np.arange(16.0).reshape(1, 4, 4)), 0.0, (0, 0), 2.0, (0, 0))
    assert zoom.numpy()[0, 0, 0] == 5.0  # output (0, 0) samples input (1, 1) at scale 2
    rot = T.affine(x, -90.0, (0, 0), 1.0, (0.0, 0.0)).numpy()  # affine angles turn clockwise
    np.testing.assert_array_equal(rot, np.rot90(img, 1, axes=(-2, -1)))


def test_random_affine_params_and_seeding():
    tt.manual_seed(2)
    params = [T.RandomAffine.get_params((-5, 5), (0.2, 0.1), (0.8, 1.2), (-3, 3, -4, 4), (10, 20))
              for _ in range(100)]  # fmt: skip
    angles, trans, scales, shears = zip(*params)
    assert all(-5 <= a <= 5 for a in angles) and all(0.8 <= s <= 1.2 for s in scales)
    assert all(abs(tx) <= 2 and abs(ty) <= 2 for tx, ty in trans)
    assert all(-3 <= sx <= 3 and -4 <= sy <= 4 for sx, sy in shears)
    t = T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5)
    x = tt.from_numpy(_chw())
    tt.manual_seed(9)
    a = t(x).numpy()
    tt.manual_seed(9)
    np.testing.assert_array_equal(t(x).numpy(), a)
    with pytest.raises(ValueError, match="translate"):
        T.RandomAffine(0, translate=(2, 0))


def test_resize_and_compose_lambda():
    x = tt.from_numpy(np.arange(16.0, dtype=np.float32).reshape(1, 4, 4))
    up = T.Resize((8, 8), interpolation="nearest")(x).numpy()
    np.testing.assert_array_equal(up, np.repeat(np.repeat(x.numpy(), 2, 1), 2, 2))
    assert T.Resize(2)(tt.ones(1, 4, 8)).shape == (1, 2, 4)
    half = T.Resize((2, 2))(x).numpy()
    np.testing.assert_allclose(half[0], [[2.5, 4.5], [10.5, 12.5]])  # 2x2 block means
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda t: t * 2), T.Normalize([1.0], [1.0])])
    out = pipeline(np.full((2, 2), 255, np.uint8))
    np.testing.assert_allclose(out.numpy(), np.ones((1, 2, 2)))
    assert "Lambda()" in repr(pipeline) and repr(pipeline).startswith("Compose(")
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)


def test_transforms_in_a_dataloader_are_reproducible_with_workers():
    from tinytensor.data import DataLoader, Dataset

    class Images(Dataset):
        transform = T.Compose([T.RandomCrop(4, padding=1), T.RandomHorizontalFlip(), T.ToTensor()])

        def __len__(self):
            return 6

        def __getitem__(self, i):
            return self.transform(_img(h=4, w=4, seed=i))

    def run():
        tt.manual_seed(0)
        return np.concatenate([b.numpy() for b in DataLoader(Images(), batch_size=3,
                                                             num_workers=2)])  # fmt: skip

    np.testing.assert_array_equal(run(), run())
