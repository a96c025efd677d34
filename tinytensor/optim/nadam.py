"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

import tinytensor as tt
from tinytensor.optim.optimizer import (
    Optimizer,
    addcdiv_,
    addcmul_,
    bump,
    check_adam_args,
    check_nonnegative,
    lerp_,
    scalar,
)


class NAdam(Optimizer):
    """PyTorch's NAdam, step for step:

    `mu_t = b1*(1 - 0.96^(t*psi)/2);  prod_t = prod_{i<=t} mu_i;  m = lerp(m, g, 1 - b1)`;
    `v = b2*v + (1 - b2)*g^2;  d = sqrt(v/(1 - b2^t)) + eps`;
    `p -= lr*(1 - mu_t)/(1 - prod_t) * g/d + lr*mu_{t+1}/(1 - prod_t*mu_{t+1}) * m/d`.
    ``decoupled_weight_decay`` decays p by `lr*wd` instead of adding `wd*p` to g (NAdamW).
    ``prod_t`` is a 0-d state tensor of the default scalar dtype, as in PyTorch.
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        check_adam_args("NAdam", lr, betas, eps, weight_decay)
        check_nonnegative("NAdam", momentum_decay=momentum_decay)
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        beta1, beta2 = group["betas"]
        lr, wd, psi = float(group["lr"]), group["weight_decay"], group["momentum_decay"]
        if not state:
            state["step"] = scalar(0)
            state["mu_product"] = scalar(1.0)
            state["exp_avg"] = tt.zeros_like(p)
            state["exp_avg_sq"] = tt.zeros_like(p)
        step = bump(state)
        bias_correction2 = 1 - beta2**step
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * wd)
            else:
                grad = grad.add(p, alpha=wd)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mu_product = state["mu_product"].mul_(mu).item()
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        lerp_(exp_avg, grad, 1 - beta1)
        addcmul_(exp_avg_sq.mul_(beta2), grad, grad, 1 - beta2)
        denom = exp_avg_sq.div(bias_correction2).sqrt().add_(group["eps"])
        addcdiv_(p, grad, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
        addcdiv_(p, exp_avg, denom, -lr * mu_next / (1.0 - mu_product * mu_next))
