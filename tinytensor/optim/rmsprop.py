"""RMSprop (with momentum and the centered variant)."""

from __future__ import annotations

import tinytensor as tt
from tinytensor.optim.optimizer import (
    Optimizer,
    addcdiv_,
    addcmul_,
    bump,
    check_lr,
    check_nonnegative,
    lerp_,
    scalar,
)


class RMSprop(Optimizer):
    """PyTorch's RMSprop, step for step:

    `v = alpha*v + (1 - alpha)*g^2`;  centered:
    `m = lerp(m, g, 1 - alpha), d = sqrt(v - m^2) + eps`,
    else `d = sqrt(v) + eps`;  momentum: `b = momentum*b + g/d, p -= lr*b`;  else `p -= lr*g/d`.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        check_lr("RMSprop", lr)
        check_nonnegative(
            "RMSprop", eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha
        )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
            capturable=capturable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        alpha, wd, momentum = group["alpha"], group["weight_decay"], group["momentum"]
        lr = float(group["lr"])
        if not state:
            state["step"] = scalar(0)
            state["square_avg"] = tt.zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = tt.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = tt.zeros_like(p)
        bump(state)
        square_avg = state["square_avg"]
        if wd != 0:
            grad = grad.add(p, alpha=wd)
        addcmul_(square_avg.mul_(alpha), grad, grad, 1 - alpha)
        if group["centered"]:
            grad_avg = lerp_(state["grad_avg"], grad, 1 - alpha)
            avg = addcmul_(square_avg.clone(), grad_avg, grad_avg, -1).sqrt()
        else:
            avg = square_avg.sqrt()
        avg.add_(group["eps"])
        if momentum > 0:
            buf = state["momentum_buffer"]
            addcdiv_(buf.mul_(momentum), grad, avg)
            p.add_(buf, alpha=-lr)
        else:
            addcdiv_(p, grad, avg, -lr)
