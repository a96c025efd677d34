"""RMSprop (with momentum and the centered variant)."""

from __future__ import annotations

import numpy as np

from tinytensor.optim.adam import lerp_
from tinytensor.optim.optimizer import Optimizer, check_range


class RMSprop(Optimizer):
    """PyTorch's RMSprop, step for step:

    v = alpha*v + (1 - alpha)*g^2;  centered: m = lerp(m, g, 1 - alpha), d = sqrt(v - m^2) + eps,
    else d = sqrt(v) + eps;  momentum: b = momentum*b + g/d, p -= lr*b;  else p -= lr*g/d.
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
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_range("momentum value", momentum)
        check_range("weight_decay value", weight_decay)
        check_range("alpha value", alpha)
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        alpha, wd, momentum = group["alpha"], group["weight_decay"], group["momentum"]
        state["step"] = state.get("step", 0) + 1
        square_avg = self._buffer(state, "square_avg", param)
        if wd != 0:
            grad = grad + wd * param
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = self._buffer(state, "grad_avg", param)
            lerp_(grad_avg, grad, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if momentum > 0:
            buf = self._buffer(state, "momentum_buffer", param)
            buf *= momentum
            buf += grad / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * (grad / avg)
