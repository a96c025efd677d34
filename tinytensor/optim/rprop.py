"""Rprop: resilient backpropagation, per-coordinate step sizes driven by gradient signs."""

from __future__ import annotations

import tinytensor as tt
from tinytensor.optim.optimizer import Optimizer, addcmul_, bump, check_lr, scalar


class Rprop(Optimizer):
    """PyTorch's Rprop, step for step:

    `s = sign(g*g_prev);  step *= etaplus where s > 0`, etaminus where `s < 0`;
    `step = clamp(step, step_min, step_max);  g = 0 where s < 0;  p -= sign(g)*step;  g_prev = g`.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        check_lr("Rprop", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(
                f"Rprop: invalid eta values {etas[0]}, {etas[1]}; expected "
                "0 < etaminus < 1 < etaplus"
            )
        defaults = dict(
            lr=lr,
            etas=etas,
            step_sizes=step_sizes,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        if not state:
            state["step"] = scalar(0)
            state["prev"] = tt.zeros_like(p)
            state["step_size"] = tt.full_like(grad, float(group["lr"]))
        bump(state)
        sign = grad.mul(state["prev"]).sign()
        factor = tt.ones_like(p).masked_fill_(sign > 0, etaplus).masked_fill_(sign < 0, etaminus)
        step_size = state["step_size"].mul_(factor).clamp_(step_size_min, step_size_max)
        grad = grad.clone().masked_fill_(sign < 0, 0)
        addcmul_(p, grad.sign(), step_size, -1)
        state["prev"].copy_(grad)
