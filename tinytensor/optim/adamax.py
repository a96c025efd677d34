"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

import tinytensor as tt
from tinytensor.optim.optimizer import (
    Optimizer,
    addcdiv_,
    bump,
    check_adam_args,
    lerp_,
    scalar,
)


class Adamax(Optimizer):
    """PyTorch's Adamax, step for step:

    `m = lerp(m, g, 1 - b1);  u = max(b2*u, |g| + eps);  p -= lr/(1 - b1^t) * m/u`.
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        check_adam_args("Adamax", lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = scalar(0)
            state["exp_avg"] = tt.zeros_like(p)
            state["exp_inf"] = tt.zeros_like(p)
        step = bump(state)
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        lerp_(exp_avg, grad, 1 - beta1)
        exp_inf.copy_(tt.maximum(exp_inf.mul_(beta2), grad.abs().add_(group["eps"])))
        clr = float(group["lr"]) / (1 - beta1**step)
        addcdiv_(p, exp_avg, exp_inf, -clr)
