"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

import tinytensor as tt
from tinytensor.optim.optimizer import (
    Optimizer,
    addcdiv_,
    addcmul_,
    bump,
    check_lr,
    check_nonnegative,
    scalar,
)


class Adagrad(Optimizer):
    """PyTorch's Adagrad, step for step:

    `clr = lr/(1 + (t - 1)*lr_decay);  s += g^2;  p -= clr * g/(sqrt(s) + eps)`.
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        fused=None,
    ):
        check_lr("Adagrad", lr)
        check_nonnegative(
            "Adagrad",
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = scalar(0)
                state["sum"] = tt.full_like(p, group["initial_accumulator_value"])

    def _update(self, p, grad, state, group):
        if not state:  # a group added after construction
            state["step"] = scalar(0)
            state["sum"] = tt.full_like(p, group["initial_accumulator_value"])
        step = bump(state)
        if group["weight_decay"] != 0:
            grad = grad.add(p, alpha=group["weight_decay"])
        clr = float(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        state_sum = addcmul_(state["sum"], grad, grad)
        addcdiv_(p, grad, state_sum.sqrt().add_(group["eps"]), -clr)
