"""d2l.ai "Concise Implementation of Multilayer Perceptrons" (5.2) and of weight decay (3.7).

The MLP is ``nn.Sequential(nn.Flatten(), nn.LazyLinear(num_hiddens), nn.ReLU(),
nn.LazyLinear(num_outputs))`` on scikit-learn's 8x8 digits (standing in for Fashion-MNIST);
the weight-decay page's concise model puts ``weight_decay`` on the weights' parameter group
only, as the book does. The book's helpers (Classifier, Trainer.fit) are inlined.
"""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

from _numpy_init import init_from_numpy

TOLERANCES = {
    "mlp_train_loss": (1e-3, 1e-5),
    "mlp_val_acc": (0.0, 0.003),
    "wd_train_loss": (1e-3, 1e-5),
    "wd_weight_norm": (1e-3, 1e-5),
    "wd_val_loss": (1e-3, 1e-5),
}


class MLP(nn.Module):
    def __init__(self, num_outputs, num_hiddens, lr):
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(
            nn.Flatten(), nn.LazyLinear(num_hiddens), nn.ReLU(), nn.LazyLinear(num_outputs)
        )

    def forward(self, X):
        return self.net(X)

    def loss(self, Y_hat, Y):
        return F.cross_entropy(Y_hat.reshape((-1, Y_hat.shape[-1])), Y.reshape((-1,)))

    def accuracy(self, Y_hat, Y):
        preds = Y_hat.argmax(axis=1).type(Y.dtype)
        return (preds == Y).type(torch.float32).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), self.lr)


class WeightDecay(nn.Module):
    """d2l 3.7: linear regression whose optimizer decays the weight but not the bias."""

    def __init__(self, wd, lr):
        super().__init__()
        self.wd, self.lr = wd, lr
        self.net = nn.LazyLinear(1)

    def forward(self, X):
        return self.net(X)

    def loss(self, y_hat, y):
        return nn.MSELoss()(y_hat, y)

    def configure_optimizers(self):
        return torch.optim.SGD(
            [
                {"params": self.net.weight, "weight_decay": self.wd},
                {"params": self.net.bias},
            ],
            lr=self.lr,
        )


def fit(model, train_batches, val_batches, max_epochs, with_accuracy):
    optim = model.configure_optimizers()
    train_losses, val_losses, val_accs = [], [], []
    for epoch in range(max_epochs):
        model.train()
        for X, Y in train_batches:
            loss = model.loss(model(X), Y)
            optim.zero_grad()
            with torch.no_grad():
                loss.backward()
                optim.step()
            train_losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            losses, accs = [], []
            for X, Y in val_batches:
                Y_hat = model(X)
                losses.append(model.loss(Y_hat, Y).item())
                if with_accuracy:
                    accs.append(model.accuracy(Y_hat, Y).item())
        val_losses.append(float(np.mean(losses)))
        if with_accuracy:
            val_accs.append(float(np.mean(accs)))
    return train_losses, val_losses, val_accs


def batches(X, y, batch_size):
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size)
    return list(loader)


def main(seed):
    torch.manual_seed(seed)
    digits = load_digits()
    X = torch.tensor((digits.images / 16.0).astype(np.float32)).unsqueeze(1)
    y = torch.tensor(digits.target)
    model = MLP(num_outputs=10, num_hiddens=64, lr=0.5)
    model(X[:2])
    init_from_numpy(model, seed)
    mlp_train, mlp_val, mlp_acc = fit(
        model, batches(X[:1200], y[:1200], 64), batches(X[1200:], y[1200:], 256), 6, True
    )

    # weight decay: high-dimensional linear regression with 20 training examples
    rng = np.random.default_rng(seed)
    num_inputs, n_train = 200, 20
    Xr = torch.tensor(rng.normal(size=(n_train + 100, num_inputs)).astype(np.float32))
    noise = torch.tensor((0.01 * rng.normal(size=(n_train + 100, 1))).astype(np.float32))
    yr = torch.matmul(Xr, torch.ones((num_inputs, 1)) * 0.01) + 0.05 + noise
    wd_model = WeightDecay(wd=3, lr=0.01)
    wd_model(Xr[:1])
    init_from_numpy(wd_model, seed)
    wd_train, wd_val, _ = fit(
        wd_model,
        batches(Xr[:n_train], yr[:n_train], 5),
        batches(Xr[n_train:], yr[n_train:], 50),
        10,
        False,
    )
    return {
        "param_shapes": [list(p.shape) for p in model.parameters()],
        "mlp_train_loss": mlp_train,
        "mlp_val_loss": mlp_val,
        "mlp_val_acc": mlp_acc,
        "wd_train_loss": wd_train,
        "wd_val_loss": wd_val,
        "wd_weight_norm": float(wd_model.net.weight.norm().item()),
        "wd_groups": [g["weight_decay"] for g in wd_model.configure_optimizers().param_groups],
    }


def check(results):
    assert results["param_shapes"] == [[64, 64], [64], [10, 64], [10]]
    assert results["mlp_val_acc"][-1] > 0.85, results["mlp_val_acc"]
    assert results["wd_weight_norm"] < 1.0, results["wd_weight_norm"]
    assert results["wd_groups"] == [3, 0]
