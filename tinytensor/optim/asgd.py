"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging in ``state["ax"]``)."""

from __future__ import annotations

import tinytensor as tt
from tinytensor.optim.optimizer import (
    Optimizer,
    bump,
    check_lr,
    check_nonnegative,
    scalar,
)


class ASGD(Optimizer):
    """PyTorch's ASGD, step for step:

    `p *= 1 - lambd*eta;  p -= eta*g;  ax += mu*(p - ax)` (or `ax = p` while `mu == 1`);
    `eta = lr/(1 + lambd*lr*t)^alpha;  mu = 1/max(1, t - t0)`.
    ``eta`` and ``mu`` are 0-d state tensors of the default scalar dtype, as in PyTorch.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd=1e-4,
        alpha=0.75,
        t0=1e6,
        weight_decay=0,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        check_lr("ASGD", lr)
        check_nonnegative("ASGD", weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        lr, lambd = float(group["lr"]), group["lambd"]
        if not state:
            state["step"] = scalar(0)
            state["eta"] = scalar(lr)
            state["mu"] = scalar(1.0)
            state["ax"] = tt.zeros_like(p)
        step = bump(state)
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        eta = state["eta"].item()
        p.mul_(1 - lambd * eta)
        p.add_(grad, alpha=-eta)
        mu = state["mu"].item()
        if mu != 1:
            state["ax"].add_(p.sub(state["ax"]).mul_(mu))
        else:
            state["ax"].copy_(p)
        # PyTorch goes through a default-dtype tensor here, so eta and mu carry its rounding
        state["eta"].copy_(tt.tensor(lr / ((1 + lambd * lr * step) ** group["alpha"])))
        state["mu"].copy_(tt.tensor(1 / max(1, step - group["t0"])))
