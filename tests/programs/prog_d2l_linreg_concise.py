"""d2l.ai "Concise Implementation of Linear Regression" (3.5), written out as a script.

The book's ``d2l.SyntheticRegressionData``, ``d2l.Module`` and ``d2l.Trainer`` are inlined as
small functions. The model is ``nn.LazyLinear(1)``, initialised the book's way
(``net.weight.data.normal_`` on the still-uninitialised parameter, which PyTorch lets run on its
empty placeholder), then given NumPy-drawn weights so both libraries start alike.
"""

import numpy as np
import torch
from torch import nn

from _numpy_init import init_from_numpy

TOLERANCES = {"losses": (1e-3, 1e-5), "w_error": (1e-3, 1e-4), "b_error": (1e-3, 1e-4)}


def synthetic_data(w, b, num_train, num_val, noise, seed):
    """d2l.SyntheticRegressionData: X ~ N(0, 1), y = Xw + b + noise (drawn with NumPy here)."""
    rng = np.random.default_rng(seed)
    n = num_train + num_val
    X = torch.tensor(rng.normal(size=(n, len(w))).astype(np.float32))
    noise = torch.tensor((rng.normal(size=(n, 1)) * noise).astype(np.float32))
    y = torch.matmul(X, w.reshape((-1, 1))) + b + noise
    return X, y


def get_dataloader(X, y, train, num_train, batch_size):
    i = slice(0, num_train) if train else slice(num_train, None)
    dataset = torch.utils.data.TensorDataset(X[i], y[i])
    return torch.utils.data.DataLoader(dataset, batch_size, shuffle=False)


class LinearRegression(nn.Module):
    """The linear regression model implemented with high-level APIs."""

    def __init__(self, lr):
        super().__init__()
        self.lr = lr
        self.net = nn.LazyLinear(1)
        self.net.weight.data.normal_(0, 0.01)
        self.net.bias.data.fill_(0)

    def forward(self, X):
        return self.net(X)

    def loss(self, y_hat, y):
        fn = nn.MSELoss()
        return fn(y_hat, y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), self.lr)

    def get_w_b(self):
        return (self.net.weight.data, self.net.bias.data)


def main(seed):
    torch.manual_seed(seed)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    X, y = synthetic_data(true_w, true_b, 1000, 1000, 0.01, seed)
    model = LinearRegression(lr=0.03)
    lazy_before = model.net.has_uninitialized_params()
    model(X[:2])  # d2l's apply_init: one forward materialises the lazy layer
    init_from_numpy(model, seed)
    optim = model.configure_optimizers()
    losses = []
    for epoch in range(3):
        model.train()
        for Xb, yb in get_dataloader(X, y, True, 1000, 32):
            loss = model.loss(model(Xb), yb)
            optim.zero_grad()
            with torch.no_grad():
                loss.backward()
                optim.step()
        model.eval()
        with torch.no_grad():
            val_loader = get_dataloader(X, y, False, 1000, 32)
            val = [model.loss(model(Xb), yb).item() for Xb, yb in val_loader]
        losses.append(sum(val) / len(val))
    w, b = model.get_w_b()
    return {
        "lazy_before": lazy_before,
        # materialised, the layer became an nn.Linear (no lazy methods left)
        "lazy_after": hasattr(model.net, "has_uninitialized_params"),
        "class_after": type(model.net).__name__,
        "weight_shape": list(w.shape),
        "losses": losses,
        "w_error": (true_w - w.reshape(true_w.shape)).tolist(),
        "b_error": true_b - b.item(),
    }


def check(results):
    assert results["lazy_before"] and not results["lazy_after"]
    assert results["class_after"] == "Linear", results["class_after"]
    assert results["losses"][-1] < 1e-3, results["losses"]
    assert max(abs(e) for e in results["w_error"]) < 0.01
