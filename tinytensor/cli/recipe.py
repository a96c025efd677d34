"""The loss, optimizer and learning-rate schedule ``tinytensor train`` builds from its flags."""

from __future__ import annotations

import math

import numpy as np

import tinytensor as tt
from tinytensor import nn, optim
from tinytensor.optim import lr_scheduler

DEFAULT_LR = {"sgd": 0.05, "adam": 3e-3, "rmsprop": 1e-3}
LOSSES = ("cross_entropy", "mse", "hinge")
SCHEDULES = ("none", "step", "cosine", "onecycle")
PER_BATCH = ("onecycle",)  # schedules stepped after every batch, not every epoch


def make_loss(name: str, num_classes: int):
    """``loss(logits, labels)`` for the chosen loss; MSE compares with one-hot targets."""
    if name == "cross_entropy":
        return nn.CrossEntropyLoss()
    if name == "hinge":
        return nn.MultiMarginLoss()
    mse = nn.MSELoss()
    eye = np.eye(num_classes, dtype=np.float32)
    return lambda out, y: mse(out, tt.from_numpy(eye[y.numpy()]))


def make_optimizer(name: str, params, lr: float, weight_decay: float = 0.0):
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return optim.RMSprop(params, lr=lr, weight_decay=weight_decay)


def onecycle_factor(step: int, total_steps: int, pct_start: float = 0.3,
                    div_factor: float = 25.0, final_div_factor: float = 1e4) -> float:  # fmt: skip
    """The one-cycle learning rate at ``step`` as a fraction of the peak (PyTorch's OneCycleLR,
    cosine annealing): from 1/div_factor up to 1, then down to `1/(div_factor*final_div_factor)`."""
    start = 1.0 / div_factor
    end = start / final_div_factor
    up = float(pct_start * total_steps) - 1
    down = float(total_steps) - 1
    if step <= up:
        t, lo, hi = (step / up if up > 0 else 1.0), start, 1.0
    else:
        t, lo, hi = min(1.0, (step - up) / max(1e-12, down - up)), 1.0, end
    return hi + (lo - hi) / 2.0 * (math.cos(math.pi * t) + 1)


def make_scheduler(name: str, optimizer, epochs: int, steps_per_epoch: int):
    """The scheduler for ``--schedule name`` (None for ``none``).

    ``step`` divides the rate by 10 after each third of the epochs, ``cosine`` anneals it to
    zero over the run, ``onecycle`` warms up over the first 30% of the batches to ``--lr`` and
    anneals to 1/250000 of it (stepped every batch). Uses ``optim.lr_scheduler.OneCycleLR``
    when this tinytensor has it.
    """
    if name == "none":
        return None
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "onecycle":
        total = epochs * steps_per_epoch
        one_cycle = getattr(lr_scheduler, "OneCycleLR", None)
        if one_cycle is not None:
            peak = [group["lr"] for group in optimizer.param_groups]
            return one_cycle(optimizer, max_lr=peak, total_steps=total)
        return lr_scheduler.LambdaLR(optimizer, lambda step: onecycle_factor(step, total))
    raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
