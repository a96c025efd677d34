"""Image transforms with torchvision's names, arguments and defaults.

They take a tensor image ``(..., H, W)`` (channels ``(..., C, H, W)``) or a NumPy image
``(H, W)`` / ``(H, W, C)`` (the layout torchvision's ``ToTensor`` reads) and return the same
kind. Random ones draw from tinytensor's global generator (``tt.rand``/``tt.randint``), so
``tt.manual_seed(n)`` makes them repeatable; in DataLoader workers each worker is seeded apart.
Tensor outputs are new tensors without autograd history.

>>> import numpy as np
>>> import tinytensor as tt
>>> from tinytensor.data import transforms as T
>>> pipeline = T.Compose([T.RandomCrop(28, padding=2), T.ToTensor(), T.Normalize([0.5], [0.5])])
>>> tuple(pipeline(np.zeros((28, 28, 1), np.uint8)).shape)
(1, 28, 28)
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from enum import Enum

import numpy as np

import tinytensor as tt
from tinytensor.data import _image


class InterpolationMode(str, Enum):
    """Resampling for geometric transforms (the subset tinytensor implements)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _interp(value, name: str) -> str:
    try:
        return InterpolationMode(value).value
    except ValueError:
        raise ValueError(
            f"{name}: interpolation must be InterpolationMode.NEAREST or .BILINEAR "
            f"('nearest'/'bilinear'), got {value!r}"
        ) from None


def _uniform(lo: float, hi: float) -> float:
    return float(lo + (hi - lo) * tt.rand(1, dtype=tt.float64).item())


def _size_pair(size, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) in (1, 2):
        return (int(size[0]), int(size[0])) if len(size) == 1 else (int(size[0]), int(size[1]))
    raise ValueError(f"{name}: size must be an int or a sequence (h, w), got {size!r}")


def _range(value, name: str, arg: str) -> tuple[float, float]:
    """A number v as (-v, v) (v >= 0), or a (min, max) pair."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{name}: if {arg} is a single number, it must be positive")
        return -float(value), float(value)
    if isinstance(value, Sequence) and len(value) == 2:
        return float(value[0]), float(value[1])
    raise ValueError(f"{name}: {arg} should be a number or a sequence of two numbers")


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class Lambda:
    """Apply a user function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(
                f"Lambda: argument lambd should be callable, got {type(lambd).__name__!r}"
            )
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToTensor:
    """NumPy image ``(H, W[, C])`` -> tensor ``(C, H, W)``; uint8 is scaled to float32 in
    [0, 1], other dtypes keep their values and dtype (as torchvision)."""

    def __call__(self, pic):
        if not isinstance(pic, np.ndarray):
            raise TypeError(
                f"ToTensor: pic should be a NumPy array (H, W[, C]), got {type(pic).__name__}"
            )
        if pic.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        chw = np.ascontiguousarray((pic[:, :, None] if pic.ndim == 2 else pic).transpose(2, 0, 1))
        if pic.dtype == np.uint8:
            return tt.tensor(chw, dtype=tt.get_default_dtype()) / 255
        return tt.from_numpy(chw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a float tensor ``(..., C, H, W)``."""

    def __init__(self, mean, std, inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        if not isinstance(tensor, tt.Tensor):
            raise TypeError(
                f"Normalize: img should be a Tensor, got {type(tensor).__name__}; apply "
                "ToTensor() first"
            )
        if not tensor.is_floating_point():
            raise TypeError(
                f"Normalize: input tensor should be a float tensor. Got {tensor.dtype}."
            )
        if tensor.ndim < 3:
            raise ValueError(
                "Normalize: expected tensor to be a tensor image of size (..., C, H, W). Got "
                f"tensor.size() = {tuple(tensor.shape)}"
            )
        mean = tt.tensor(np.asarray(self.mean, np.float64), dtype=tensor.dtype).reshape(-1, 1, 1)
        std = tt.tensor(np.asarray(self.std, np.float64), dtype=tensor.dtype).reshape(-1, 1, 1)
        if np.any(std.numpy() == 0):
            raise ValueError(
                f"Normalize: std evaluated to zero after conversion to {tensor.dtype}, leading "
                "to division by zero."
            )
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Pad:
    """Pad the borders: ``padding`` int, (lr, tb) or (left, top, right, bottom); ``fill`` for
    ``padding_mode="constant"``, else ``"edge"``, ``"reflect"`` or ``"symmetric"``."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant"):
        _image.parse_padding(padding)
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(
                "Pad: padding_mode should be constant, edge, reflect or symmetric, got "
                f"{padding_mode!r}"
            )
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        arr, back = _image.to_spatial(img, type(self).__name__)
        return back(_image.pad(arr, self.padding, self.fill, self.padding_mode))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
            f"padding_mode={self.padding_mode})"
        )


def _crop(img, top: int, left: int, height: int, width: int):
    arr, back = _image.to_spatial(img, "crop")
    return back(arr[..., top : top + height, left : left + width])


class CenterCrop:
    """The central ``size`` (h, w) region, zero-padded first if the image is smaller."""

    def __init__(self, size):
        self.size = _size_pair(size, "CenterCrop")

    def __call__(self, img):
        th, tw = self.size
        h, w = _image.hw(img)
        if th > h or tw > w:
            left, top = (tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0
            right = (tw - w + 1) // 2 if tw > w else 0
            bottom = (th - h + 1) // 2 if th > h else 0
            img = Pad([left, top, right, bottom])(img)
            h, w = _image.hw(img)
        return _crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class RandomCrop:
    """A random ``size`` (h, w) region, after optional ``padding`` (as :class:`Pad`);
    ``pad_if_needed`` pads an image smaller than ``size`` first."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _size_pair(size, "RandomCrop")
        if padding is not None:
            Pad(padding, fill, padding_mode)
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size) -> tuple[int, int, int, int]:
        """Random ``(top, left, h, w)`` of a crop of ``output_size`` inside ``img``."""
        h, w = _image.hw(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(
                f"RandomCrop: required crop size {(th, tw)} is larger than input image size "
                f"{(h, w)}; pass padding= or pad_if_needed=True"
            )
        if (h, w) == (th, tw):
            return 0, 0, h, w
        top = int(tt.randint(0, h - th + 1, (1,)).item())
        left = int(tt.randint(0, w - tw + 1, (1,)).item())
        return top, left, th, tw

    def __call__(self, img):
        if self.padding is not None:
            img = Pad(self.padding, self.fill, self.padding_mode)(img)
        h, w = _image.hw(img)
        if self.pad_if_needed and w < self.size[1]:
            img = Pad([self.size[1] - w, 0], self.fill, self.padding_mode)(img)
        if self.pad_if_needed and h < self.size[0]:
            img = Pad([0, self.size[0] - h], self.fill, self.padding_mode)(img)
        return _crop(img, *self.get_params(img, self.size))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class _RandomFlip:
    axis = -1

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, img):
        if tt.rand(1).item() < self.p:
            arr, back = _image.to_spatial(img, type(self).__name__)
            return back(np.flip(arr, axis=self.axis))
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability ``p``."""


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability ``p``."""

    axis = -2


def _center_rel(center, h: int, w: int) -> list[float]:
    if center is None:
        return [0.0, 0.0]
    return [float(c) - s * 0.5 for c, s in zip(center, (w, h))]


class RandomRotation:
    """Rotate by an angle drawn from ``degrees`` (counter-clockwise, about ``center`` or the
    image centre); ``expand`` grows the output to hold the whole image; ``fill`` fills the
    corners."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0):  # fmt: skip
        self.degrees = _range(degrees, "RandomRotation", "degrees")
        self.interpolation = _interp(interpolation, "RandomRotation")
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees) -> float:
        return _uniform(degrees[0], degrees[1])

    def __call__(self, img):
        return rotate(img, self.get_params(self.degrees), self.interpolation, self.expand,
                      self.center, self.fill)  # fmt: skip

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(degrees={list(self.degrees)}, "
            f"interpolation={self.interpolation}, expand={self.expand}, fill={self.fill})"
        )


def rotate(img, angle: float, interpolation="nearest", expand=False, center=None, fill=0):
    """Rotate ``img`` by ``angle`` degrees counter-clockwise (torchvision's ``F.rotate``)."""
    arr, back = _image.to_spatial(img, "rotate")
    h, w = arr.shape[-2:]
    matrix = _image.inverse_affine_matrix(_center_rel(center, h, w), -angle, (0.0, 0.0), 1.0,
                                          (0.0, 0.0))  # fmt: skip
    out_hw = _image.expanded_size(matrix, h, w) if expand else None
    return back(_image.warp(arr, matrix, _interp(interpolation, "rotate"), fill, out_hw))


def affine(img, angle, translate, scale, shear, interpolation="nearest", fill=0, center=None):
    """torchvision's ``F.affine``: rotate by ``angle`` (clockwise, as torchvision), translate
    by ``translate`` pixels, scale, and shear by ``shear`` = (x, y) degrees."""
    arr, back = _image.to_spatial(img, "affine")
    h, w = arr.shape[-2:]
    matrix = _image.inverse_affine_matrix(
        _center_rel(center, h, w), angle, [float(t) for t in translate], scale, shear
    )
    return back(_image.warp(arr, matrix, _interp(interpolation, "affine"), fill))


class RandomAffine:
    """A random affine map: angle from ``degrees``, translation up to ``translate`` (fractions
    of width, height), a ``scale`` from (min, max), shear from ``shear`` (x range, or x and y
    ranges), as torchvision draws them."""

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):  # fmt: skip
        self.degrees = _range(degrees, "RandomAffine", "degrees")
        if translate is not None:
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError(
                    f"RandomAffine: translate should be two fractions in [0, 1], got {translate}"
                )
        if scale is not None and (len(scale) != 2 or any(s <= 0 for s in scale)):
            raise ValueError(f"RandomAffine: scale should be two positive values, got {scale}")
        if shear is not None and not isinstance(shear, numbers.Number):
            if len(shear) not in (2, 4):
                raise ValueError(
                    f"RandomAffine: shear should be a number or 2 or 4 values, got {shear}"
                )
            shear = tuple(float(s) for s in shear)
        elif shear is not None:
            shear = _range(shear, "RandomAffine", "shear")
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation = _interp(interpolation, "RandomAffine")
        self.fill, self.center = fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))`` for an image ``(width, height)``."""
        angle = _uniform(degrees[0], degrees[1])
        tx = ty = 0
        if translate is not None:
            max_dx, max_dy = translate[0] * img_size[0], translate[1] * img_size[1]
            tx, ty = int(round(_uniform(-max_dx, max_dx))), int(round(_uniform(-max_dy, max_dy)))
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, (tx, ty), scale, (shear_x, shear_y)

    def __call__(self, img):
        h, w = _image.hw(img)
        angle, translate, scale, shear = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, (w, h)
        )
        return affine(img, angle, translate, scale, shear, self.interpolation, self.fill,
                      self.center)  # fmt: skip

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(degrees={list(self.degrees)}, translate={self.translate}, "
            f"scale={self.scale}, shear={self.shear})"
        )


class Resize:
    """Resize to ``size`` (h, w), or an int: the smaller edge to ``size``, keeping the aspect
    ratio (``max_size`` caps the longer edge). Plain bilinear or nearest resampling: there is
    no antialias filter, so downscaling differs slightly from torchvision's default."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):  # fmt: skip
        if not isinstance(size, numbers.Integral):
            _size_pair(size, "Resize")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = _interp(interpolation, "Resize")

    def _output_size(self, h: int, w: int) -> tuple[int, int]:
        if not isinstance(self.size, numbers.Integral) and len(self.size) == 2:
            return int(self.size[0]), int(self.size[1])
        size = int(self.size if isinstance(self.size, numbers.Integral) else self.size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = size, int(size * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)

    def __call__(self, img):
        arr, back = _image.to_spatial(img, "Resize")
        oh, ow = self._output_size(*arr.shape[-2:])
        return back(_image.resize(arr, oh, ow, self.interpolation))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation})"


__all__ = [
    "CenterCrop", "Compose", "InterpolationMode", "Lambda", "Normalize", "Pad", "RandomAffine",
    "RandomCrop", "RandomHorizontalFlip", "RandomRotation", "RandomVerticalFlip", "Resize",
    "ToTensor", "affine", "rotate",
]  # fmt: skip
