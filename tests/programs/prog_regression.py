"""Regression with nn.Sequential, MSELoss and Adam; a shuffled DataLoader with a seeded generator.

The two libraries' generators shuffle differently, so the shuffled run is compared loosely (it
converges to the same fit); a second model trained on the unshuffled loader is compared exactly.
"""

import random

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from _numpy_init import init_from_numpy

TOLERANCES = {
    "shuffled_epoch_loss": (0.35, 0.02),
    "shuffled_test_mse": (0.3, 0.02),
    "shuffled_prediction_sum": (0.3, 1.0),
    "ordered_epoch_loss": (1e-3, 1e-5),
}


def set_seed(seed):
    """The usual "make it reproducible" helper."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True)


def make_data(seed, n=512, d=8):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = rng.normal(size=(d, 1))
    y = np.sin(x @ w) + 0.5 * (x[:, :1] ** 2) + 0.05 * rng.normal(size=(n, 1))
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.float32))


def build_model():
    return nn.Sequential(
        nn.Linear(8, 64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, 1),
    )


def fit(model, loader, epochs=8):
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    history = []
    for epoch in range(epochs):
        model.train()
        total, count = 0.0, 0
        for xb, yb in loader:
            pred = model(xb)
            loss = loss_fn(pred, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * xb.size(0)
            count += xb.size(0)
        history.append(total / count)
        print(f"epoch {epoch}: train loss {history[-1]:.4f}")
    return history


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = model(x)
        return nn.functional.mse_loss(pred, y).item(), pred.sum().item()


def main(seed):
    set_seed(seed)
    x, y = make_data(seed)
    x_train, y_train, x_test, y_test = x[:448], y[:448], x[448:], y[448:]
    dataset = TensorDataset(x_train, y_train)

    g = torch.Generator()
    g.manual_seed(seed)
    shuffled = DataLoader(dataset, batch_size=32, shuffle=True, generator=g)
    seen = torch.cat([yb for _, yb in shuffled])
    model = build_model()
    init_from_numpy(model, seed)
    shuffled_history = fit(model, shuffled)
    shuffled_mse, shuffled_sum = evaluate(model, x_test, y_test)

    ordered = DataLoader(dataset, batch_size=32, shuffle=False)
    model2 = build_model()
    init_from_numpy(model2, seed)
    ordered_history = fit(model2, ordered)
    ordered_mse, ordered_sum = evaluate(model2, x_test, y_test)

    return {
        "n_batches": len(shuffled),
        "shuffle_covers_dataset": bool(torch.allclose(seen.sort(dim=0).values, y_train.sort(0)[0])),
        "shuffle_changes_order": not bool(torch.equal(seen, y_train)),
        "shuffled_epoch_loss": shuffled_history,
        "shuffled_test_mse": shuffled_mse,
        "shuffled_prediction_sum": shuffled_sum,
        "ordered_epoch_loss": ordered_history,
        "ordered_test_mse": ordered_mse,
        "ordered_prediction_sum": ordered_sum,
    }


def check(results):
    assert results["shuffled_epoch_loss"][-1] < 0.5 * results["shuffled_epoch_loss"][0]
    assert results["ordered_epoch_loss"][-1] < 0.5 * results["ordered_epoch_loss"][0]
    assert results["shuffle_covers_dataset"] and results["shuffle_changes_order"]
