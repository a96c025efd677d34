"""End to end: a LeNet-style CNN and an MLP learn real MNIST digits.

Uses the MNIST *test* set (10,000 digits) from ``../shared/data/mnist`` (or
``$TINYTENSOR_SHARED_DATA/mnist``), split into 8,000 training and 2,000 held-out digits, and
skips when the files are absent. A tiny IDX reader lives here so the test depends only on nn
and optim.
"""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import numpy as np
import pytest

import tinytensor as tt

nn = tt.nn
ROOT = Path(
    os.environ.get("TINYTENSOR_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
)


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


@pytest.fixture(scope="module")
def mnist():
    folder = ROOT / "mnist"
    images, labels = folder / "t10k-images-idx3-ubyte.gz", folder / "t10k-labels-idx1-ubyte.gz"
    if not (images.exists() and labels.exists()):
        pytest.skip(f"MNIST test set not found in {folder}")
    x = (_read_idx(images).astype(np.float32) / 255.0 - 0.1307) / 0.3081
    y = _read_idx(labels).astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[:8000], order[8000:]
    return x[train, None], y[train], x[test, None], y[test]


def _train(model, opt, data, epochs, batch):
    x, y, xt, yt = data
    rng = np.random.default_rng(0)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for i in range(0, len(y) - batch + 1, batch):
            idx = order[i : i + batch]
            opt.zero_grad()
            loss = loss_fn(model(tt.tensor(x[idx])), tt.tensor(y[idx]))
            loss.backward()
            opt.step()
            losses.append(loss.item())
    model.eval()
    with tt.no_grad():
        pred = np.concatenate(
            [model(tt.tensor(xt[i : i + 500])).argmax(1).numpy() for i in range(0, len(yt), 500)]
        )
    return losses, float((pred == yt).mean())


def test_lenet_style_cnn_learns_mnist(mnist):
    tt.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10),
    )  # fmt: skip
    start = time.perf_counter()
    losses, acc = _train(model, tt.optim.Adam(model.parameters(), lr=2e-3), mnist, 1, 64)
    elapsed = time.perf_counter() - start
    assert np.mean(losses[-20:]) < 0.3 * np.mean(losses[:5])
    assert acc > 0.9, f"held-out accuracy {acc:.3f} after one epoch ({elapsed:.1f} s)"


def test_mlp_learns_mnist(mnist):
    tt.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = tt.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses, acc = _train(model, opt, mnist, 2, 128)
    assert np.mean(losses[-10:]) < 0.3 * np.mean(losses[:5])
    assert acc > 0.9, f"held-out accuracy {acc:.3f}"
