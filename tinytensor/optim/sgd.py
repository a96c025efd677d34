"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

import numpy as np

from tinytensor.core import bump_version
from tinytensor.optim.optimizer import Optimizer, check_lr, check_nonnegative


class SGD(Optimizer):
    """PyTorch's SGD, step for step:

    `g = grad (+ weight_decay*p);  b = g` (first step) or `momentum*b + (1 - dampening)*g`;
    `g = g + momentum*b` (nesterov) or `b;  p -= lr*g`.
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
        foreach=None,
        differentiable=False,
        fused=None,
    ):
        check_lr("SGD", lr)
        check_nonnegative("SGD", momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires a momentum and zero dampening (got momentum="
                f"{momentum}, dampening={dampening}); set momentum > 0 and dampening=0"
            )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        lr, momentum, wd = float(group["lr"]), group["momentum"], group["weight_decay"]
        if wd != 0:
            grad = grad.add(p, alpha=wd)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.detach().clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
        # The arrays beneath, through the public numpy(force=True) (shared memory, no check of
        # requires_grad: this runs under no_grad), as fast as reading the private slot.
        pd, gd = p.numpy(force=True), grad.numpy(force=True)
        if gd.dtype == pd.dtype and gd.shape == pd.shape:
            # Fused in place, as add_ computes it (p + (-lr)*g in p's dtype): one temporary and
            # no copy back, about half of W3's optimizer step (p.add_ costs 40 us more per
            # step on W3's four parameters). bump_version as add_ would.
            np.add(pd, np.multiply(gd, pd.dtype.type(-lr)), out=pd)
            bump_version(p)
        else:
            p.add_(grad, alpha=-lr)
