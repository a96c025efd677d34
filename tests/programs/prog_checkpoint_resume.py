"""Saving and resuming a training run: the "saving and loading a general checkpoint" recipe.

An MLP with BatchNorm1d trains on the digits with Adam, weight decay and a MultiStepLR schedule;
after two epochs the model, optimizer and scheduler states go into one checkpoint dict. A fresh
model, optimizer and scheduler resume from it, and their losses must equal those of the run that
was never interrupted. Gradient accumulation (two micro-batches per step) is used throughout.
"""

import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, TensorDataset

from _numpy_init import init_from_numpy

TOLERANCES = {"losses": (1e-3, 1e-4), "resumed_losses": (1e-3, 1e-4)}


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(64, 64),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.net(x)


def make_training(seed):
    model = MLP()
    init_from_numpy(model, seed)
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 3], gamma=0.5)
    return model, optimizer, scheduler


def train_epoch(model, optimizer, loader, accumulation_steps=2):
    criterion = nn.CrossEntropyLoss()
    model.train()
    losses = []
    optimizer.zero_grad()
    for i, (inputs, labels) in enumerate(loader):
        loss = criterion(model(inputs), labels) / accumulation_steps
        loss.backward()
        if (i + 1) % accumulation_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
        losses.append(loss.item())
    return losses


def main(seed):
    torch.manual_seed(seed)
    digits = load_digits()
    x = torch.tensor(digits.data[:800] / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target[:800])
    loader = DataLoader(TensorDataset(x, y), batch_size=50)

    model, optimizer, scheduler = make_training(seed)
    losses = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.tar")
        for epoch in range(4):
            losses.extend(train_epoch(model, optimizer, loader))
            scheduler.step()
            if epoch == 1:
                torch.save(
                    {
                        "epoch": epoch,
                        "model_state_dict": model.state_dict(),
                        "optimizer_state_dict": optimizer.state_dict(),
                        "scheduler_state_dict": scheduler.state_dict(),
                        "loss": losses[-1],
                    },
                    path,
                )

        model2, optimizer2, scheduler2 = make_training(seed + 1)
        checkpoint = torch.load(path)
        model2.load_state_dict(checkpoint["model_state_dict"])
        optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
        scheduler2.load_state_dict(checkpoint["scheduler_state_dict"])
        start_epoch = checkpoint["epoch"] + 1
        resumed = []
        for epoch in range(start_epoch, 4):
            resumed.extend(train_epoch(model2, optimizer2, loader))
            scheduler2.step()

    n_resumed = len(resumed)
    return {
        "losses": losses,
        "resumed_losses": resumed,
        "resume_matches": bool(np.allclose(resumed, losses[-n_resumed:], rtol=1e-6, atol=1e-7)),
        "checkpoint_epoch": checkpoint["epoch"],
        "checkpoint_loss": checkpoint["loss"],
        "optimizer_state_steps": [
            float(s["step"]) for s in optimizer.state_dict()["state"].values()
        ],
        "lr_after": [group["lr"] for group in optimizer2.param_groups],
        "bn_running_var_sum": model2.net[1].running_var.sum().item(),
        "same_weights": all(
            torch.equal(a, b)
            for a, b in zip(model.state_dict().values(), model2.state_dict().values())
        ),
    }


def check(results):
    assert results["resume_matches"] and results["same_weights"]
    assert results["losses"][-1] < results["losses"][0]
