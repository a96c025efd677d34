"""The workloads: what each one runs, its inputs and its physical floor.

Every library gets the same inputs and the same initial weights, made here with a seeded NumPy
generator, so the libraries differ only in how they execute the same computation. A *case* is
one timed row of the table; a workload (W1..W6) has one or more cases.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist


@dataclass(frozen=True)
class Case:
    """One row group of the table: a peer function to call, with its arguments and unit."""

    workload: str  # "W1"
    name: str  # what the table shows
    fn: str  # the peer-module function that builds the step
    kwargs: dict = field(default_factory=dict)
    unit: str = "ms/step"
    per_step: float = 1.0  # the step time is divided by this (ops per step for µs/op)
    mode: str = "time"  # "time", "chain" (time + peak RSS, fresh process) or "rss"
    steps: int = 0  # for "rss": how many steps to run
    wall: bool = False  # always wall-clock time (work done in other processes: W9, CLI)


W1_OPS = 1_000
W5_LENGTHS = (20_000, 50_000, 100_000)
W6_STEPS = 1_000


def cases(quick: bool = False) -> list[Case]:
    """All cases in table order. ``quick`` shortens the memory workloads for smoke tests."""
    w5 = (2_000, 5_000, 10_000) if quick else W5_LENGTHS
    out = [
        Case("W1", "1,000-op chain fwd+bwd", "w1_chain", {"n": W1_OPS}, "µs/op", W1_OPS),
        Case("W2", "micrograd demo, scalar", "w2_scalar"),
        Case("W2", "micrograd demo, vectorised", "w2_vector"),
        Case("W3", "MLP 784-256-10, batch 128", "w3_mlp"),
        Case("W4", "CNN 8/16 channels, batch 64", "w4_cnn"),
        Case("W4", "CNN 16/32 channels, batch 64", "w4_cnn", {"channels": [16, 32]}),
    ]
    for n in w5:
        out.append(Case("W5", f"{n:,}-op chain", "w1_chain", {"n": n}, "µs/op", n, mode="chain"))
    steps = 200 if quick else W6_STEPS
    out.append(Case("W6", f"RSS over {steps:,} W3 steps", "w3_mlp", mode="rss", steps=steps))
    out.append(Case("W8", "transformer encoder step", "w8_transformer"))
    for workers in (0, 2):
        out.append(
            Case(
                "W9",
                f"DataLoader epoch, costly transform, num_workers={workers}",
                "w9_loader",
                {"num_workers": workers},
                "ms/epoch",
                wall=True,
            )
        )
    out.append(Case("CLI", "`tinytensor train` (defaults: cnn, digits)", "cli_train", unit="s/run",
                    per_step=1, wall=True))  # fmt: skip
    return out


# --- W1 / W5: a chain of tiny ops -------------------------------------------------------------

CHAIN_MUL, CHAIN_ADD, CHAIN_START = 0.9, 0.1, 0.5


def chain(x, n, tanh):
    """``n`` ops cycling mul, add, tanh; the values stay bounded for any length."""
    for i in range(n):
        r = i % 3
        if r == 0:
            x = x * CHAIN_MUL
        elif r == 1:
            x = x + CHAIN_ADD
        else:
            x = tanh(x)
    return x


# --- W2: micrograd's demo ---------------------------------------------------------------------

W2_SIZES = (2, 16, 16, 1)
W2_ALPHA = 1e-4
W2_LR = 0.5


def moons(n=100, noise=0.1, seed=0):
    """Two interleaved half circles like scikit-learn's ``make_moons``; labels are -1 and +1."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t_out = np.linspace(0, math.pi, n_out)
    t_in = np.linspace(0, math.pi, n - n_out)
    x = np.concatenate([np.cos(t_out), 1 - np.cos(t_in)])
    y = np.concatenate([np.sin(t_out), 1 - np.sin(t_in) - 0.5])
    X = np.stack([x, y], axis=1) + rng.normal(scale=noise, size=(n, 2))
    labels = np.concatenate([-np.ones(n_out), np.ones(n - n_out)])
    return X, labels


def w2_weights(seed=0):
    """[(W (in, out), b (out,)), ...] for 2-16-16-1, uniform(-1, 1) weights as micrograd does."""
    rng = np.random.default_rng(seed)
    return [
        (rng.uniform(-1, 1, size=(a, b)), np.zeros(b)) for a, b in zip(W2_SIZES[:-1], W2_SIZES[1:])
    ]


def w2_scalar_loss(layers, X, y, relu):
    """micrograd's demo loss written once for every scalar library.

    ``layers`` is ``[(w, b), ...]`` with ``w[j][i]`` the weight from input i to neuron j and
    ``b[j]`` its bias, all scalars of the library; ``X`` and ``y`` hold Python floats.
    """
    scores = []
    for row in X:
        h = row
        for k, (w, b) in enumerate(layers):
            last = k == len(layers) - 1
            h = [_neuron(wj, bj, h, relu, not last) for wj, bj in zip(w, b)]
        scores.append(h[0])
    losses = [relu(1 + -yi * si) for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = W2_ALPHA * sum(p * p for w, b in layers for p in [*_flat(w), *b])
    return data_loss + reg_loss


def _neuron(w, b, x, relu, nonlin):
    act = sum((wi * xi for wi, xi in zip(w, x)), b)
    return relu(act) if nonlin else act


def _flat(w):
    return [p for row in w for p in row]


def w2_scalar_params(make):
    """The demo's weights as ``[(w, b)]`` of scalars built by ``make(float)``."""
    return [
        (
            [[make(float(W[i, j])) for i in range(W.shape[0])] for j in range(W.shape[1])],
            [make(float(v)) for v in b],
        )
        for W, b in w2_weights()
    ]


def w2_vector_loss(params, X, y, relu):
    """The same loss on whole arrays: ``params`` is ``[W1, b1, W2, b2, W3, b3]``."""
    h = X
    for k in range(0, len(params), 2):
        h = h @ params[k] + params[k + 1]
        if k < len(params) - 2:
            h = relu(h)
    s = h.reshape(-1)
    data_loss = relu(1 - y * s).mean()
    reg_loss = W2_ALPHA * sum((p * p).sum() for p in params)
    return data_loss + reg_loss


def w2_vector_params():
    return [a for W, b in w2_weights() for a in (W, b)]


# --- W3 / W6: MLP on Fashion-MNIST ------------------------------------------------------------

W3_BATCH, W3_BATCHES, W3_LR = 128, 10, 0.1
W4_BATCH = 64
# W4's two shapes: the channels of its two convolutions. The first is the original W4; the second
# is issue #24's harness, whose ~7 MB im2col matrix made glibc hand memory back every step.
W4_CHANNELS = (8, 16)


def fashion_mnist(n, seed=0):
    """``n`` images (float32 in [0, 1], shape (n, 784)) and labels (int64), and their source.

    Read from the first ``n`` records of the Fashion-MNIST training set when it is installed,
    else synthetic data of the same shape and type.
    """
    images = FASHION_MNIST / "train-images-idx3-ubyte.gz"
    labels = FASHION_MNIST / "train-labels-idx1-ubyte.gz"
    if images.exists() and labels.exists():
        with gzip.open(images) as f:
            raw = f.read(16 + n * 784)[16:]
        with gzip.open(labels) as f:
            lab = f.read(8 + n)[8:]
        x = np.frombuffer(raw, np.uint8).reshape(n, 784).astype(np.float32) / 255
        return x, np.frombuffer(lab, np.uint8).astype(np.int64), "Fashion-MNIST"
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784), dtype=np.float32)
    return x, rng.integers(0, 10, n).astype(np.int64), "synthetic"


def batches(batch):
    """``W3_BATCHES`` batches of ``batch`` images, cycled through by the timed steps."""
    x, y, _ = fashion_mnist(batch * W3_BATCHES)
    return [(x[i : i + batch], y[i : i + batch]) for i in range(0, len(x), batch)]


def linear_init(n_in, n_out, rng):
    """PyTorch's default Linear init: weight (out, in) and bias uniform(±1/sqrt(in)), float32."""
    k = 1 / math.sqrt(n_in)
    w = rng.uniform(-k, k, size=(n_out, n_in)).astype(np.float32)
    return w, rng.uniform(-k, k, size=n_out).astype(np.float32)


def w3_weights(seed=0):
    rng = np.random.default_rng(seed)
    return [linear_init(784, 256, rng), linear_init(256, 10, rng)]


def w4_weights(seed=0, channels=W4_CHANNELS):
    """[(conv1 w, b), (conv2 w, b), (linear w, b)] in PyTorch's layouts."""
    rng = np.random.default_rng(seed)
    c1, c2 = channels
    convs = []
    for c_in, c_out in ((1, c1), (c1, c2)):
        w, b = linear_init(c_in * 9, c_out, rng)
        convs.append((w.reshape(c_out, c_in, 3, 3), b))
    return [*convs, linear_init(c2 * 49, 10, rng)]


def w3_gemms(batch=W3_BATCH):
    """(m, k, n) of every matrix product in one W3 training step (input needs no gradient)."""
    return [
        (batch, 784, 256),  # forward layer 1
        (batch, 256, 10),  # forward layer 2
        (256, batch, 10),  # dW2
        (batch, 10, 256),  # dh
        (784, batch, 256),  # dW1
    ]


def w4_gemms(batch=W4_BATCH, channels=W4_CHANNELS):
    """The W4 step's convolutions as im2col matrix products, and the linear layer's."""
    n1, n2 = batch * 28 * 28, batch * 14 * 14
    c1, c2 = channels
    flat = c2 * 49
    return [
        (n1, 9, c1),  # conv1 forward
        (n2, 9 * c1, c2),  # conv2 forward
        (batch, flat, 10),  # linear forward
        (flat, batch, 10),  # linear dW
        (batch, 10, flat),  # linear dx
        (9 * c1, n2, c2),  # conv2 dW
        (n2, c2, 9 * c1),  # conv2 dx (columns)
        (9, n1, c1),  # conv1 dW
    ]


def flops(gemms):
    return sum(2 * m * k * n for m, k, n in gemms)


# --- W8: a small transformer encoder ----------------------------------------------------------

W8_LAYERS, W8_D_MODEL, W8_HEADS, W8_FF = 2, 64, 4, 256
W8_SEQ, W8_BATCH, W8_LR = 32, 16, 0.01


def w8_data(seed=0):
    """Input and regression target, (batch, seq, d_model) float32 (``batch_first=True``)."""
    rng = np.random.default_rng(seed)
    shape = (W8_BATCH, W8_SEQ, W8_D_MODEL)
    return rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(
        np.float32
    )


def w8_init(named_shapes, seed=0):
    """Weights for every parameter, by name (PyTorch's names), uniform(-0.1, 0.1), float32:
    both libraries name and shape the encoder's parameters alike, so they get the same ones."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in sorted(named_shapes):
        if name.endswith(("norm1.weight", "norm2.weight")):
            out[name] = np.ones(shape, np.float32)
        else:
            out[name] = rng.uniform(-0.1, 0.1, size=shape).astype(np.float32)
    return out


# --- W9: DataLoader with a costly per-sample transform ----------------------------------------

W9_SAMPLES, W9_BATCH, W9_ROUNDS = 128, 32, 24


class CostlyImages:
    """A map-style dataset of 28x28 float32 images whose ``__getitem__`` runs a deliberately
    costly NumPy transform (about half a millisecond: ``W9_ROUNDS`` rounds of blur, tanh and a
    28x28 matrix product), returning ``(image, label)`` as NumPy values for the loader's
    default collate. The same class serves every library."""

    def __init__(self, n=W9_SAMPLES, seed=0):
        rng = np.random.default_rng(seed)
        self.images = rng.random((n, 28, 28), dtype=np.float32)
        self.labels = rng.integers(0, 10, n).astype(np.int64)
        self.mix = (rng.standard_normal((28, 28)) / 28).astype(np.float32)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        x = self.images[i]
        for _ in range(W9_ROUNDS):
            x = (x + np.roll(x, 1, 0) + np.roll(x, 1, 1) + np.roll(x, -1, 0)) * 0.25
            x = np.tanh(x @ self.mix + x)
        return x[None].astype(np.float32), self.labels[i]


# --- CLI: ``tinytensor train`` end to end -----------------------------------------------------


def cli_command():
    """The CLI's default run (cnn on the bundled digits), without progress bars; the caller adds
    ``--out`` (a fresh folder per run)."""
    return ["-m", "tinytensor", "train", "--no-progress"]
