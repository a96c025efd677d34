"""Choosing and preparing the dataset for ``tinytensor train``: arrays in memory, standardised."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinytensor.data.datasets import MNIST, Digits, FashionMNIST, default_root

CHOICES = ("auto", "mnist", "fashion-mnist", "digits")
# When only MNIST's 10,000 test images are present, this share (8,000) becomes the training part.
_TEST_ONLY_TRAIN_FRACTION = 0.8
_SPLIT_SEED = 0


@dataclass
class Prepared:
    """Train and test arrays ``(N, 1, H, W)`` float32 (standardised) and int64 labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: list
    source: str  # where the data came from, for the log and the metadata
    mean: float = 0.0
    std: float = 1.0
    notes: list = field(default_factory=list)

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])

    def describe(self) -> str:
        c, h, w = self.input_shape
        return (
            f"{self.name}: {len(self.x_train):,} train / {len(self.x_test):,} test images of "
            f"{c}x{h}x{w}, {len(self.classes)} classes ({self.source})"
        )


def _root(data_dir) -> Path:
    return Path(data_dir).expanduser() if data_dir is not None else default_root()


def choose(dataset: str, data_dir=None) -> tuple[str, str | None]:
    """Resolve ``auto``: MNIST if found (even its test split alone), else Fashion-MNIST, else
    the bundled digits. Returns ``(name, reason)``; ``reason`` is None unless ``auto`` chose."""
    if dataset != "auto":
        return dataset, None
    root = _root(data_dir)
    folder = MNIST.find(root, "train") or MNIST.find(root, "t10k")
    if folder is not None:
        return "mnist", f"MNIST found in {folder}"
    folder = FashionMNIST.find(root, "train") and FashionMNIST.find(root, "t10k")
    if folder is not None:
        return "fashion-mnist", f"no MNIST under {root}; Fashion-MNIST found in {folder}"
    return "digits", (
        f"neither MNIST nor Fashion-MNIST found under {root}; using the 8x8 digits bundled "
        "with scikit-learn"
    )


def load(name: str, data_dir=None, download: bool = False) -> Prepared:
    """Load dataset ``name`` (not ``auto``) into standardised arrays."""
    if name == "digits":
        train, test = Digits(train=True), Digits(train=False)
        prepared = _from(name, train, test, "bundled with scikit-learn, fixed stratified split")
    elif name in ("mnist", "fashion-mnist"):
        cls = MNIST if name == "mnist" else FashionMNIST
        prepared = _load_idx(cls, name, _root(data_dir), download)
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(CHOICES)}")
    return _standardise(prepared)


def _from(name, train, test, source, notes=()) -> Prepared:
    x_train, y_train = train.arrays()
    x_test, y_test = test.arrays()
    return Prepared(
        name, x_train, y_train, x_test, y_test, list(train.classes), source, notes=list(notes)
    )


def _load_idx(cls, name, root, download) -> Prepared:
    test = cls(root, train=False, download=download)
    has_train = cls.find(root, "train") is not None
    if has_train or download:
        train = cls(root, train=True, download=download)
        return _from(name, train, test, f"from {train.folder}")
    # Only the 10,000 test images exist: split them, the same way on every run, and say so.
    order = np.random.default_rng(_SPLIT_SEED).permutation(len(test))
    x, y = test.arrays()
    cut = int(round(len(order) * _TEST_ONLY_TRAIN_FRACTION))
    tr, te = order[:cut], order[cut:]
    note = (
        f"{cls.__name__} training files (train-images-idx3-ubyte, train-labels-idx1-ubyte) are "
        f"not in {test.folder}: splitting its {len(test):,} test images into {len(tr):,} for "
        f"training and {len(te):,} for testing (fixed seed {_SPLIT_SEED}); use --download or "
        "add the training files for the full dataset"
    )
    return Prepared(
        name,
        x[tr],
        y[tr],
        x[te],
        y[te],
        list(test.classes),
        f"test split only, from {test.folder}",
        notes=[note],
    )


def _standardise(p: Prepared) -> Prepared:
    """Shift and scale by the training images' mean and standard deviation (one number each)."""
    p.mean = float(p.x_train.mean())
    p.std = float(p.x_train.std()) or 1.0
    p.x_train = (p.x_train - np.float32(p.mean)) / np.float32(p.std)
    p.x_test = (p.x_test - np.float32(p.mean)) / np.float32(p.std)
    return p
