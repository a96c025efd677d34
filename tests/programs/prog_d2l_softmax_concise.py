"""d2l.ai "Concise Implementation of Softmax Regression" (4.5), written out as a script.

scikit-learn's 8x8 digits stand in for Fashion-MNIST (no downloads); the book's ``d2l.Classifier``
(``loss`` through ``F.cross_entropy``, ``accuracy``) and ``d2l.Trainer.fit`` are inlined. The
model is ``nn.Sequential(nn.Flatten(), nn.LazyLinear(num_outputs))``.
"""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

from _numpy_init import init_from_numpy

TOLERANCES = {"val_loss": (1e-3, 1e-5), "val_acc": (0.0, 0.003), "train_loss": (1e-3, 1e-5)}


class Classifier(nn.Module):
    """d2l.Classifier: the base class of classification models."""

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        return self.loss(Y_hat, batch[-1]).item(), self.accuracy(Y_hat, batch[-1]).item()

    def accuracy(self, Y_hat, Y, averaged=True):
        """Compute the number of correct predictions."""
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        preds = Y_hat.argmax(axis=1).type(Y.dtype)
        compare = (preds == Y.reshape(-1)).type(torch.float32)
        return compare.mean() if averaged else compare

    def loss(self, Y_hat, Y, averaged=True):
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        Y = Y.reshape((-1,))
        return F.cross_entropy(Y_hat, Y, reduction="mean" if averaged else "none")


class SoftmaxRegression(Classifier):
    """The softmax regression model."""

    def __init__(self, num_outputs, lr):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(num_outputs))

    def forward(self, X):
        return self.net(X)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), self.lr)


def digits_loaders(batch_size):
    digits = load_digits()
    X = torch.tensor((digits.images / 16.0).astype(np.float32)).unsqueeze(1)
    y = torch.tensor(digits.target)
    train = torch.utils.data.TensorDataset(X[:1200], y[:1200])
    val = torch.utils.data.TensorDataset(X[1200:], y[1200:])
    return (
        torch.utils.data.DataLoader(train, batch_size, shuffle=False),
        torch.utils.data.DataLoader(val, batch_size, shuffle=False),
    )


def fit(model, train_loader, val_loader, max_epochs):
    """d2l.Trainer.fit, without the plots."""
    optim = model.configure_optimizers()
    train_losses, val_losses, val_accs = [], [], []
    for epoch in range(max_epochs):
        model.train()
        for X, Y in train_loader:
            loss = model.loss(model(X), Y)
            optim.zero_grad()
            with torch.no_grad():
                loss.backward()
                optim.step()
            train_losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            steps = [model.validation_step(batch) for batch in val_loader]
        val_losses.append(float(np.mean([s[0] for s in steps])))
        val_accs.append(float(np.mean([s[1] for s in steps])))
    return train_losses, val_losses, val_accs


def main(seed):
    torch.manual_seed(seed)
    train_loader, val_loader = digits_loaders(batch_size=128)
    model = SoftmaxRegression(num_outputs=10, lr=0.5)
    X, _ = next(iter(train_loader))
    model(X)  # materialise the lazy layer (d2l's apply_init)
    init_from_numpy(model, seed)
    train_losses, val_losses, val_accs = fit(model, train_loader, val_loader, max_epochs=5)
    return {
        "weight_shape": list(model.net[1].weight.shape),
        "train_loss": train_losses,
        "val_loss": val_losses,
        "val_acc": val_accs,
    }


def check(results):
    assert results["weight_shape"] == [10, 64]
    assert results["val_acc"][-1] > 0.85, results["val_acc"]
