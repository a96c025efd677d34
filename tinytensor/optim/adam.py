"""Adam (with AMSGrad and decoupled weight decay) and AdamW."""

from __future__ import annotations

import tinytensor as tt
from tinytensor.optim.optimizer import (
    Optimizer,
    addcdiv_,
    addcmul_,
    bump,
    check_adam_args,
    lerp_,
    scalar,
)


class Adam(Optimizer):
    """PyTorch's Adam, step for step:

    `m = lerp(m, g, 1 - b1);  v = b2*v + (1 - b2)*g^2`;  (amsgrad: `vmax = max(vmax, v)`);
    `p -= lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps)`.
    ``weight_decay`` adds `wd*p` to the gradient (L2), or with ``decoupled_weight_decay``
    multiplies p by `1 - lr*wd` before the step (AdamW).
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
        fused=None,
        decoupled_weight_decay=False,
    ):
        name = type(self).__name__
        check_adam_args(name, lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        lr, eps, wd = float(group["lr"]), group["eps"], group["weight_decay"]
        beta1, beta2 = (float(b) for b in group["betas"])
        if not state:
            state["step"] = scalar(0)
            state["exp_avg"] = tt.zeros_like(p)
            state["exp_avg_sq"] = tt.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = tt.zeros_like(p)
        step = bump(state)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * wd)
            else:
                grad = grad.add(p, alpha=wd)
        lerp_(exp_avg, grad, 1 - beta1)
        addcmul_(exp_avg_sq.mul_(beta2), grad, grad, 1 - beta2)
        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]
            vmax.copy_(tt.maximum(vmax, exp_avg_sq))
            denom = (vmax.sqrt() / bias_correction2_sqrt).add_(eps)
        else:
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        addcdiv_(p, exp_avg, denom, -step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay: `p *= 1 - lr*weight_decay` before the Adam step."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
        foreach=None,
        capturable=False,
        differentiable=False,
        fused=None,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
