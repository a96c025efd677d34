"""d2l.ai "Batch Normalization" (8.5), written out as a script: from scratch and concise.

The book's ``batch_norm`` function and ``BatchNorm`` module (moving statistics kept by hand) are
checked against ``nn.LazyBatchNorm2d`` on the same input; then the concise BN-LeNet
(``LazyConv2d``, ``LazyBatchNorm2d``, ``LazyBatchNorm1d``, ``LazyLinear``) trains on the 8x8 digits
enlarged to 16x16, from NumPy-drawn weights, and its running statistics and evaluation-mode
losses are compared with PyTorch's.
"""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

from _numpy_init import init_from_numpy

TOLERANCES = {
    "train_loss": (1e-3, 1e-5),
    "val_loss": (1e-3, 1e-5),
    "val_acc": (0.0, 0.003),
    "running_mean": (1e-3, 1e-5),
    "running_var": (1e-3, 1e-5),
}


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    # Use is_grad_enabled to determine whether we are in training mode
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    # num_features: the number of outputs for a fully connected layer or the number of output
    # channels for a convolutional layer. num_dims: 2 for a fully connected layer, 4 for a
    # convolutional layer
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1
        )
        return Y


class BNLeNet(nn.Module):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5),
            nn.LazyBatchNorm2d(),
            nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5),
            nn.LazyBatchNorm2d(),
            nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120),
            nn.LazyBatchNorm1d(),
            nn.Sigmoid(),
            nn.LazyLinear(84),
            nn.LazyBatchNorm1d(),
            nn.Sigmoid(),
            nn.LazyLinear(num_classes),
        )

    def forward(self, X):
        return self.net(X)


def digits_16(seed):
    digits = load_digits()
    big = np.kron(digits.images / 16.0, np.ones((2, 2))).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(big))
    return torch.tensor(big[order]).unsqueeze(1), torch.tensor(digits.target[order])


def main(seed):
    torch.manual_seed(seed)
    X, y = digits_16(seed)

    # the scratch layer against the library's lazy one, training mode then evaluation
    scratch, lazy = BatchNorm(1, num_dims=4), nn.LazyBatchNorm2d()
    scratch_out, lazy_out = scratch(X[:32]), lazy(X[:32])
    with torch.no_grad():
        lazy.eval()
        eval_diff = (scratch(X[32:64]) - lazy(X[32:64])).abs().max().item()
    scratch_diff = (scratch_out - lazy_out).abs().max().item()
    # the book's moving variance is the biased one; BatchNorm keeps the unbiased (n / (n - 1))
    n = 32 * 16 * 16
    var_ratio = ((lazy.running_var - 0.9) / (scratch.moving_var.reshape(-1) - 0.9)).item()

    model = BNLeNet(lr=0.1)
    model(X[:2])
    init_from_numpy(model, seed)
    # that materialising forward ran in training mode with each library's own random weights:
    # start the running statistics afresh
    for m in model.modules():
        if hasattr(m, "reset_running_stats"):
            m.reset_running_stats()
    optim = torch.optim.SGD(model.parameters(), lr=model.lr)
    X_train, y_train, X_val, y_val = X[:640], y[:640], X[1500:], y[1500:]
    train_losses, val_losses, val_accs = [], [], []
    for epoch in range(2):
        model.train()
        for i in range(0, len(X_train), 64):
            loss = F.cross_entropy(model(X_train[i : i + 64]), y_train[i : i + 64])
            optim.zero_grad()
            with torch.no_grad():
                loss.backward()
                optim.step()
            train_losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            Y_hat = model(X_val)
            val_losses.append(F.cross_entropy(Y_hat, y_val).item())
            val_accs.append((Y_hat.argmax(axis=1) == y_val).float().mean().item())
    bn1 = model.net[1]
    return {
        "scratch_vs_lazy": scratch_diff,
        "scratch_vs_lazy_eval": eval_diff,
        "unbiased_ratio": var_ratio,
        "expected_ratio": n / (n - 1),
        "bn_classes": [type(m).__name__ for m in model.net if "BatchNorm" in type(m).__name__],
        "gamma_shape": list(bn1.weight.shape),
        "running_mean": model.net[10].running_mean[:8].tolist(),
        "running_var": bn1.running_var.tolist(),
        "batches_tracked": int(bn1.num_batches_tracked),
        "train_loss": train_losses,
        "val_loss": val_losses,
        "val_acc": val_accs,
    }


def check(results):
    assert results["scratch_vs_lazy"] < 1e-5, results["scratch_vs_lazy"]
    assert results["scratch_vs_lazy_eval"] < 1e-4
    assert abs(results["unbiased_ratio"] - results["expected_ratio"]) < 1e-3
    assert results["bn_classes"] == ["BatchNorm2d"] * 2 + ["BatchNorm1d"] * 2
    assert results["batches_tracked"] == 20
    assert results["train_loss"][-1] < 0.75 * results["train_loss"][0], results["train_loss"]
    assert results["val_loss"][-1] < results["val_loss"][0], results["val_loss"]
