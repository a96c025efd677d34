"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

import tinytensor as tt
from tinytensor.optim.optimizer import (
    Optimizer,
    addcmul_,
    bump,
    check_arg,
    check_lr,
    check_nonnegative,
    scalar,
)


class Adadelta(Optimizer):
    """PyTorch's Adadelta, step for step:

    `v = rho*v + (1 - rho)*g^2;  delta = sqrt(u + eps)/sqrt(v + eps) * g`;
    `u = rho*u + (1 - rho)*delta^2;  p -= lr*delta`.
    """

    def __init__(
        self,
        params,
        lr=1.0,
        rho=0.9,
        eps=1e-6,
        weight_decay=0,
        foreach=None,
        *,
        capturable=False,
        maximize=False,
        differentiable=False,
    ):
        check_lr("Adadelta", lr)
        check_arg(0.0 <= rho <= 1.0, "Adadelta", "rho value", rho, "0 <= rho <= 1")
        check_nonnegative("Adadelta", eps=eps, weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = scalar(0)
            state["square_avg"] = tt.zeros_like(p)
            state["acc_delta"] = tt.zeros_like(p)
        bump(state)
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        addcmul_(square_avg.mul_(rho), grad, grad, 1 - rho)
        std = square_avg.add(eps).sqrt()
        delta = acc_delta.add(eps).sqrt().div_(std).mul_(grad)
        addcmul_(acc_delta.mul_(rho), delta, delta, 1 - rho)
        p.add_(delta, alpha=-float(group["lr"]))
