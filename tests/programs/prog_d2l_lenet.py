"""d2l.ai "Convolutional Neural Networks (LeNet)" (7.6), written out as a script.

LeNet as the book writes it: ``nn.LazyConv2d``/``nn.LazyLinear`` with sigmoid activations and
average pooling, initialised by ``init_cnn`` (Xavier) through ``apply_init`` after one forward;
then NumPy-drawn weights so both libraries start alike. The 8x8 digits are enlarged to 16x16
(each pixel repeated 2x2) to stand in for Fashion-MNIST: the lazy layers take whatever size
arrives, so the first ``LazyLinear`` gets 16 * 2 * 2 inputs instead of the book's 400 and nothing
in the model changes. ``layer_summary`` prints each layer's output shape, as the book does.
"""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

from _numpy_init import init_from_numpy

TOLERANCES = {"train_loss": (1e-3, 1e-5), "val_loss": (1e-3, 1e-5), "val_acc": (0.0, 0.003)}


def init_cnn(module):
    """Initialize weights for CNNs."""
    if type(module) == nn.Linear or type(module) == nn.Conv2d:  # noqa: E721 - as the book
        nn.init.xavier_uniform_(module.weight)


class LeNet(nn.Module):
    """The LeNet-5 model."""

    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2),
            nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5),
            nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120),
            nn.Sigmoid(),
            nn.LazyLinear(84),
            nn.Sigmoid(),
            nn.LazyLinear(num_classes),
        )

    def forward(self, X):
        return self.net(X)

    def apply_init(self, inputs, init=None):
        self.forward(*inputs)
        if init is not None:
            self.net.apply(init)

    def layer_summary(self, X_shape):
        X = torch.randn(*X_shape)
        shapes = []
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, "output shape:\t", X.shape)
            shapes.append([layer.__class__.__name__, list(X.shape)])
        return shapes

    def loss(self, Y_hat, Y):
        return F.cross_entropy(Y_hat, Y)


def digits_16(seed):
    digits = load_digits()
    big = np.kron(digits.images / 16.0, np.ones((2, 2))).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(big))
    X = torch.tensor(big[order]).unsqueeze(1)
    y = torch.tensor(digits.target[order])
    return X, y


def main(seed):
    torch.manual_seed(seed)
    X, y = digits_16(seed)
    model = LeNet(lr=0.9)
    model.apply_init([X[:2]], init_cnn)
    xavier_bound = (6 / (25 + 150)) ** 0.5  # fan_in 1 * 5 * 5, fan_out 6 * 5 * 5
    xavier_ok = bool(model.net[0].weight.abs().max() <= xavier_bound)
    init_from_numpy(model, seed)
    shapes = model.layer_summary((1, 1, 16, 16))
    optim = torch.optim.SGD(model.parameters(), lr=model.lr)
    train_losses, val_losses, val_accs = [], [], []
    X_train, y_train, X_val, y_val = X[:640], y[:640], X[1500:], y[1500:]
    for epoch in range(2):
        model.train()
        for i in range(0, len(X_train), 64):
            loss = model.loss(model(X_train[i : i + 64]), y_train[i : i + 64])
            optim.zero_grad()
            with torch.no_grad():
                loss.backward()
                optim.step()
            train_losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            Y_hat = model(X_val)
            val_losses.append(model.loss(Y_hat, y_val).item())
            val_accs.append((Y_hat.argmax(axis=1) == y_val).float().mean().item())
    return {
        "layer_shapes": shapes,
        "xavier_in_bound": xavier_ok,
        "n_params": sum(p.numel() for p in model.parameters()),
        "train_loss": train_losses,
        "val_loss": val_losses,
        "val_acc": val_accs,
    }


def check(results):
    assert results["layer_shapes"][6] == ["Flatten", [1, 64]]
    assert results["n_params"] == 156 + 2416 + 64 * 120 + 120 + 10164 + 850
    assert results["xavier_in_bound"]
    assert results["val_loss"][-1] < results["val_loss"][0], results["val_loss"]
