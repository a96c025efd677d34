"""MNIST/FashionMNIST over IDX files the tests write, the real files when present, and Digits."""

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from tinytensor.data import DataLoader
from tinytensor.data.datasets import (
    MNIST,
    Digits,
    DownloadError,
    FashionMNIST,
    IDXError,
    default_root,
    write_idx,
)
from tinytensor.data.datasets.mnist import DEBIAN_FASHION_MNIST

SHARED = Path(
    os.environ.get("TINYTENSOR_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
)
SHARED_MNIST = SHARED / "mnist"


def make_split(folder, split="train", n=12, gz=True, seed=0, n_labels=None):
    """Write a small fake MNIST split into ``folder``; returns (images, labels)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n if n_labels is None else n_labels).astype(np.uint8)
    ext = ".gz" if gz else ""
    write_idx(folder / f"{split}-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"{split}-labels-idx1-ubyte{ext}", labels)
    return images, labels


@pytest.fixture(autouse=True)
def _empty_default_root(tmp_path, monkeypatch):
    """No test reads the user's cache: the default root is an empty temporary folder."""
    monkeypatch.setenv("TINYTENSOR_DATA", str(tmp_path / "default-root"))


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("layout", ["mnist", "MNIST/raw", "."])
def test_mnist_reads_generated_files(tmp_path, gz, layout):
    images, labels = make_split(tmp_path / layout, "t10k", gz=gz)
    ds = MNIST(tmp_path, train=False)
    assert len(ds) == 12 and ds.folder == (tmp_path / layout if layout != "." else tmp_path)
    assert ds.data.dtype.name == "uint8" and ds.data.shape == (12, 28, 28)
    assert ds.targets.dtype.name == "int64"
    np.testing.assert_array_equal(ds.data.numpy(), images)
    np.testing.assert_array_equal(ds.targets.numpy(), labels)
    x, y = ds[3]
    assert x.shape == (1, 28, 28) and x.dtype.name == "float32" and isinstance(y, int)
    np.testing.assert_allclose(x.numpy()[0], images[3] / 255.0, rtol=1e-6)
    assert y == labels[3]


def test_default_root_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYTENSOR_DATA", str(tmp_path / "here"))
    assert default_root() == tmp_path / "here"
    make_split(tmp_path / "here" / "mnist", "train")
    assert len(MNIST()) == 12
    monkeypatch.delenv("TINYTENSOR_DATA")
    assert default_root() == Path.home() / ".cache" / "tinytensor"


def test_transforms_and_fast_batches(tmp_path):
    images, labels = make_split(tmp_path / "mnist", "train", n=10)
    ds = MNIST(tmp_path, transform=lambda x: x * 2, target_transform=lambda y: y + 100)
    x, y = ds[0]
    np.testing.assert_allclose(x.numpy()[0], images[0] / 255.0 * 2, rtol=1e-6)
    assert y == labels[0] + 100
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))  # per-sample path with transforms
    assert xb.shape == (4, 1, 28, 28) and yb.tolist() == (labels[:4] + 100).tolist()
    plain = MNIST(tmp_path)
    fast = next(iter(DataLoader(plain, batch_size=4)))
    np.testing.assert_allclose(fast[0].numpy() * 2, xb.numpy(), rtol=1e-6)


def test_count_mismatch_names_both_files(tmp_path):
    make_split(tmp_path, "train", n=12, n_labels=11)
    with pytest.raises(ValueError, match="12 images but .*11 labels") as info:
        MNIST(tmp_path)
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert "train-labels-idx1-ubyte.gz" in str(info.value)


def test_out_of_range_label(tmp_path):
    make_split(tmp_path, "train")
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(12, 10, np.uint8))
    with pytest.raises(ValueError, match="label 10"):
        MNIST(tmp_path)


def test_corrupt_file_error_names_it(tmp_path):
    make_split(tmp_path, "train")
    bad = tmp_path / "train-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:200])
    with pytest.raises(IDXError) as info:
        MNIST(tmp_path)
    assert str(bad) in str(info.value)


def test_labels_file_with_image_magic(tmp_path):
    make_split(tmp_path, "train")
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros((12, 2, 2), np.uint8))
    with pytest.raises(IDXError, match="3 dimensions"):
        MNIST(tmp_path)


def test_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MNIST(tmp_path / "nothing")
    msg = str(info.value)
    assert "train-images-idx3-ubyte" in msg and "download=True" in msg
    assert str(tmp_path / "nothing" / "mnist") in msg


def test_only_test_split_present(tmp_path):
    make_split(tmp_path / "mnist", "t10k")
    make_split(tmp_path / "mnist", "train", n=5)  # labels only, like the shared copy
    (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").unlink()
    assert len(MNIST(tmp_path, train=False)) == 12
    with pytest.raises(FileNotFoundError, match="Only the t10k test files were found"):
        MNIST(tmp_path, train=True)


def _serve(tmp_path, names):
    """A 'mirror' folder reachable through a file:// URL, with the SHA-256 of each file."""
    mirror = tmp_path / "mirror"
    make_split(mirror, "train", n=7, seed=3)
    digests = {n: hashlib.sha256((mirror / n).read_bytes()).hexdigest() for n in names}
    return mirror.as_uri() + "/", digests


def test_download_checks_sha256(tmp_path):
    names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    url, digests = _serve(tmp_path, names)

    class Mirrored(MNIST):
        mirrors = (str(tmp_path / "offline") + "/", url)  # the first mirror fails
        sha256 = digests

    ds = Mirrored(tmp_path / "root", download=True)
    assert len(ds) == 7 and ds.folder == tmp_path / "root" / "mnist"
    assert not list(ds.folder.glob("*.part"))

    class Tampered(MNIST):
        mirrors = (url,)
        sha256 = {n: "0" * 64 for n in names}

    with pytest.raises(DownloadError, match="does not match") as info:
        Tampered(tmp_path / "other", download=True)
    assert str(tmp_path / "other" / "mnist") in str(info.value)
    assert not (tmp_path / "other" / "mnist" / names[0]).exists()


def test_download_offline_message(tmp_path):
    class Offline(MNIST):
        mirrors = ((tmp_path / "no-such-mirror").as_uri() + "/",)

    with pytest.raises(DownloadError, match="Without network access, copy") as info:
        Offline(tmp_path / "root", download=True)
    assert str(tmp_path / "root" / "mnist") in str(info.value)


def test_public_mirrors_and_checksums_are_listed():
    for cls in (MNIST, FashionMNIST):
        assert all(m.startswith(("https://", "http://")) and m.endswith("/") for m in cls.mirrors)
        assert len(cls.sha256) == 4 and all(len(h) == 64 for h in cls.sha256.values())


@pytest.mark.skipif(not DEBIAN_FASHION_MNIST.is_dir(), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist_found_in_debian_location():
    ds = FashionMNIST(train=False)
    assert ds.folder == DEBIAN_FASHION_MNIST and len(ds) == 10000
    assert np.bincount(ds.targets.numpy()).tolist() == [1000] * 10
    with pytest.raises(FileNotFoundError, match="holds FashionMNIST, not MNIST"):
        MNIST(DEBIAN_FASHION_MNIST, train=False)


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="shared MNIST copy not found")
def test_real_mnist_test_split():
    ds = MNIST(SHARED_MNIST, train=False)
    assert len(ds) == 10000 and ds.data.shape == (10000, 28, 28)
    counts = np.bincount(ds.targets.numpy())
    assert counts.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert FashionMNIST.find(SHARED_MNIST, "t10k") in (None, DEBIAN_FASHION_MNIST)


def test_digits_split_is_fixed_stratified_and_disjoint():
    pytest.importorskip("sklearn", reason="the bundled digits come with scikit-learn")
    train, test = Digits(train=True), Digits(train=False)
    assert (len(train), len(test)) == (1438, 359)
    again = Digits(train=False)
    np.testing.assert_array_equal(test.data.numpy(), again.data.numpy())
    assert set(np.unique(test.targets.numpy())) == set(range(10))
    per_class = np.bincount(test.targets.numpy()) / np.bincount(
        np.concatenate([train.targets.numpy(), test.targets.numpy()])
    )
    assert np.all(np.abs(per_class - 0.2) < 0.02)
    x, y = train[0]
    assert x.shape == (1, 8, 8) and 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0
    assert x.numpy().max() == 1.0 or train.data.numpy()[0].max() < 16
    sklearn = pytest.importorskip("sklearn.datasets")
    full = sklearn.load_digits()
    assert train.data.numpy().sum() + test.data.numpy().sum() == full.images.sum()
