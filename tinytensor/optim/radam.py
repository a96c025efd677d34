"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""

from __future__ import annotations

import tinytensor as tt
from tinytensor.optim.optimizer import (
    Optimizer,
    addcmul_,
    bump,
    check_adam_args,
    lerp_,
    scalar,
)


class RAdam(Optimizer):
    """PyTorch's RAdam, step for step:

    `m = lerp(m, g, 1 - b1);  v = b2*v + (1 - b2)*g^2;  rho_inf = 2/(1 - b2) - 1`;
    `rho_t = rho_inf - 2t*b2^t/(1 - b2^t);  m_hat = m/(1 - b1^t)`;
    `rho_t > 5: p -= lr*m_hat*r_t*sqrt(1 - b2^t)/(sqrt(v) + eps)` with
    `r_t = sqrt((rho_t - 4)(rho_t - 2)rho_inf/((rho_inf - 4)(rho_inf - 2)rho_t))`;
    else `p -= lr*m_hat`.  ``decoupled_weight_decay`` decays p by `lr*wd` (RAdamW).
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        check_adam_args("RAdam", lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        lr, wd = float(group["lr"]), group["weight_decay"]
        if not state:
            state["step"] = scalar(0)
            state["exp_avg"] = tt.zeros_like(p)
            state["exp_avg_sq"] = tt.zeros_like(p)
        step = bump(state)
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * wd)
            else:
                grad = grad.add(p, alpha=wd)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        lerp_(exp_avg, grad, 1 - beta1)
        addcmul_(exp_avg_sq.mul_(beta2), grad, grad, 1 - beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        corrected = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            adaptive = (bias_correction2**0.5) / exp_avg_sq.sqrt().add_(group["eps"])
            p.add_(corrected * lr * adaptive * rect, alpha=-1.0)
        else:
            p.add_(corrected * lr, alpha=-1.0)
