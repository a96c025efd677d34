"""Choosing and preparing the dataset for ``tinytensor train``: arrays in memory, standardised."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinytensor.cli.rundir import UsageError
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


def _inside(folder: Path | None, root: Path) -> Path | None:
    """``folder`` if it lies in ``root`` (an explicit ``--data`` is the only place looked in)."""
    if folder is None:
        return None
    try:
        folder.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return folder


def _find(cls, root: Path, split: str, explicit: bool) -> Path | None:
    folder = cls.find(root, split)
    return _inside(folder, root) if explicit else folder


def choose(dataset: str, data_dir=None) -> tuple[str, str | None]:
    """Resolve ``auto``: MNIST if found (even its test split alone), else Fashion-MNIST, else
    the bundled digits. Returns ``(name, reason)``; ``reason`` is None unless ``auto`` chose.

    With an explicit ``data_dir`` (``--data``) only that folder is searched, and finding
    neither dataset there is an error rather than a quiet fallback to the digits.
    """
    if dataset != "auto":
        return dataset, None
    explicit = data_dir is not None
    root = _root(data_dir)
    folder = _find(MNIST, root, "train", explicit) or _find(MNIST, root, "t10k", explicit)
    if folder is not None:
        return "mnist", f"MNIST found in {folder}"
    folder = _find(FashionMNIST, root, "train", explicit) and _find(
        FashionMNIST, root, "t10k", explicit
    )
    if folder is not None:
        return "fashion-mnist", f"no MNIST under {root}; Fashion-MNIST found in {folder}"
    if explicit:
        raise UsageError(
            f"--data {data_dir}: holds neither MNIST nor Fashion-MNIST (no t10k-images-idx3-ubyte"
            "(.gz) in it or in its mnist/ or fashion-mnist/ folder); point --data at the folder "
            "with the IDX files, or leave --data out to fall back to the bundled digits"
        )
    return "digits", (
        f"neither MNIST nor Fashion-MNIST found under {root}; using the 8x8 digits bundled "
        "with scikit-learn"
    )


def load(name: str, data_dir=None, download: bool = False, normalize=None) -> Prepared:
    """Load dataset ``name`` (not ``auto``) into standardised arrays.

    ``normalize`` (``{"mean", "std"}``, from a checkpoint) replaces the statistics of the
    training images, so a reloaded model sees its inputs exactly as in training.
    """
    if name == "digits":
        if data_dir is not None:
            raise UsageError(
                f"--data {data_dir}: the digits dataset is bundled with scikit-learn and reads "
                "no files; leave --data out, or choose --dataset mnist or fashion-mnist"
            )
        train, test = Digits(train=True), Digits(train=False)
        prepared = _from(name, train, test, "bundled with scikit-learn, fixed stratified split")
    elif name in ("mnist", "fashion-mnist"):
        cls = MNIST if name == "mnist" else FashionMNIST
        prepared = _load_idx(cls, name, data_dir, download)
    else:
        raise UsageError(f"--dataset {name}: unknown; choose one of {', '.join(CHOICES)}")
    return _standardise(prepared, normalize)


def _missing_message(cls, name, data_dir, root) -> str:
    where = f"--data {data_dir}" if data_dir is not None else f"{root}"
    hint = (
        "point --data at the folder that holds them"
        if data_dir is not None
        else f"put them in {root / cls.folders[0]} (or set $TINYTENSOR_DATA, or use --data DIR)"
    )
    system = f" or {cls.system_folders[0]}" if cls.system_folders and data_dir is None else ""
    debian = (
        " (on Debian/Ubuntu: apt-get install dataset-fashion-mnist)"
        if name == "fashion-mnist"
        else ""
    )
    return (
        f"--dataset {name}: the IDX files (t10k-images-idx3-ubyte(.gz) and "
        f"t10k-labels-idx1-ubyte(.gz), plus train-* for the full set) are not in {where}"
        f"{system}; {hint}, or add --download to fetch them{debian}"
    )


def _load_idx(cls, name, data_dir, download) -> Prepared:
    explicit = data_dir is not None
    root = _root(data_dir)
    if not download:
        if _find(cls, root, "t10k", explicit) is None:
            raise UsageError(_missing_message(cls, name, data_dir, root))
        if explicit:  # the dataset is in --data: look nowhere else
            root = _find(cls, root, "t10k", explicit)
    target = root / cls.folders[0]  # where download=True puts the files
    created = [p for p in reversed([target, *target.parents]) if not p.exists()]
    try:
        test = cls(root, train=False, download=download)
        has_train = _find(cls, root, "train", explicit) is not None
        if has_train or download:
            train = cls(root, train=True, download=download)
            return _from(name, train, test, f"from {train.folder}")
    except BaseException:
        for folder in reversed(created):  # a failed --download leaves no empty folders
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return _split_test_only(cls, name, test)


def _from(name, train, test, source, notes=()) -> Prepared:
    x_train, y_train = train.arrays()
    x_test, y_test = test.arrays()
    return Prepared(
        name, x_train, y_train, x_test, y_test, list(train.classes), source, notes=list(notes)
    )


def _split_test_only(cls, name, test) -> Prepared:
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


def _standardise(p: Prepared, normalize=None) -> Prepared:
    """Shift and scale by the training images' mean and standard deviation (one number each)."""
    if normalize is not None:
        p.mean, p.std = float(normalize["mean"]), float(normalize["std"])
    else:
        p.mean = float(p.x_train.mean())
        p.std = float(p.x_train.std()) or 1.0
    p.x_train = (p.x_train - np.float32(p.mean)) / np.float32(p.std)
    p.x_test = (p.x_test - np.float32(p.mean)) / np.float32(p.std)
    return p
