"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

import numpy as np

from tinytensor.optim.optimizer import Optimizer, check_range
from tinytensor.tensor import _wrap


class Adagrad(Optimizer):
    """PyTorch's Adagrad, step for step:

    clr = lr/(1 + (t - 1)*lr_decay);  s += g^2;  p -= clr * g/(sqrt(s) + eps).
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
        check_range("learning rate", lr)
        check_range("lr_decay value", lr_decay)
        check_range("weight_decay value", weight_decay)
        check_range("initial_accumulator_value", initial_accumulator_value)
        check_range("epsilon value", eps)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = 0
                state["sum"] = _wrap(np.full_like(p._data, group["initial_accumulator_value"]))

    def _update(self, param, grad, state, group):
        step = state["step"] = state.get("step", 0) + 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        s = self._buffer(state, "sum", param, group["initial_accumulator_value"])
        s += grad * grad
        param -= clr * (grad / (np.sqrt(s) + group["eps"]))
