"""The 8x8 handwritten digits that scikit-learn ships: a dataset that needs no download."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from tinytensor.data.datasets.base import ImageDataset

_TEST_FRACTION = 0.2
_SPLIT_SEED = 0


class Digits(ImageDataset):
    """1,797 grayscale 8x8 images of handwritten digits (values 0..16), bundled with scikit-learn.

    There is no official split: a fixed permutation (the same on every machine and run) puts
    1,438 images in the training split and 359 in the test split, stratified so every digit
    appears in both in proportion. ``dataset[i]`` is ``(image, label)`` with a float32
    ``(1, 8, 8)`` image scaled to ``[0, 1]``. ``root`` and ``download`` are accepted for
    symmetry with the other datasets and ignored.
    """

    classes = [str(d) for d in range(10)]
    _max_value = 16.0

    def __init__(
        self, root=None, train: bool = True, download: bool = False, transform=None,
        target_transform=None,
    ):  # fmt: skip
        images, labels = _load()
        test = _stratified_test_mask(labels)
        keep = ~test if train else test
        self.train = bool(train)
        self._init_arrays(images[keep], labels[keep], transform, target_transform)


def _load() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as uint8 images (N, 8, 8) and int64 labels."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise ImportError(
            "datasets.Digits needs scikit-learn, which bundles the images: "
            "pip install scikit-learn (or pip install -e '.[examples]')"
        )
    # Reading the bundled CSV directly skips importing scikit-learn (about 2 s).
    csv = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    if csv.is_file():
        table = np.loadtxt(csv, delimiter=",", dtype=np.float64)
        pixels, target = table[:, :-1], table[:, -1]
    else:  # a future layout: ask scikit-learn itself
        from sklearn.datasets import load_digits

        bunch = load_digits()
        pixels, target = bunch.data, bunch.target
    return pixels.reshape(-1, 8, 8).astype(np.uint8), target.astype(np.int64)


def _stratified_test_mask(labels: np.ndarray) -> np.ndarray:
    """A fixed, per-class random choice of about ``_TEST_FRACTION`` of the samples."""
    rng = np.random.default_rng(_SPLIT_SEED)
    mask = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        n_test = int(round(len(where) * _TEST_FRACTION))
        mask[rng.permutation(where)[:n_test]] = True
    return mask
