"""Hand-written NumPy references of each optimizer's documented update rule (PyTorch's docs,
"Algorithm" boxes), one function per optimizer: ``rule(p, g, s, **hyper) -> new p``, where
``s`` is a dict of state that the function fills in. Deliberately plain, not fast."""

from __future__ import annotations

import numpy as np


def sgd(p, g, s, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
        maximize=False):  # fmt: skip
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum:
        s["b"] = g.copy() if "b" not in s else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return p - lr * g


def adam(p, g, s, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
         maximize=False, decoupled_weight_decay=False):  # fmt: skip
    b1, b2 = betas
    g = -g if maximize else g
    t = s["t"] = s.get("t", 0) + 1
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    m = s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    v = s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    if amsgrad:
        v = s["vmax"] = np.maximum(s.get("vmax", 0), v)
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def adamw(p, g, s, weight_decay=1e-2, **kw):
    return adam(p, g, s, weight_decay=weight_decay, decoupled_weight_decay=True, **kw)


def rmsprop(p, g, s, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
            centered=False, maximize=False):  # fmt: skip
    g = -g if maximize else g
    g = g + weight_decay * p
    v = s["v"] = alpha * s.get("v", 0) + (1 - alpha) * g * g
    if centered:
        s["ga"] = alpha * s.get("ga", 0) + (1 - alpha) * g
        v = v - s["ga"] ** 2
    if momentum:
        s["b"] = momentum * s.get("b", 0) + g / (np.sqrt(v) + eps)
        return p - lr * s["b"]
    return p - lr * g / (np.sqrt(v) + eps)


def adagrad(p, g, s, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
            eps=1e-10, maximize=False):  # fmt: skip
    g = -g if maximize else g
    t = s["t"] = s.get("t", 0) + 1
    g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s["sum"] = s.get("sum", initial_accumulator_value) + g * g
    return p - clr * g / (np.sqrt(s["sum"]) + eps)


def adadelta(p, g, s, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    v = s["v"] = rho * s.get("v", 0) + (1 - rho) * g * g
    dx = np.sqrt(s.get("u", 0) + eps) / np.sqrt(v + eps) * g
    s["u"] = rho * s.get("u", 0) + (1 - rho) * dx * dx
    return p - lr * dx


def adamax(p, g, s, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    t = s["t"] = s.get("t", 0) + 1
    g = g + weight_decay * p
    m = s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    u = s["u"] = np.maximum(b2 * s.get("u", 0), np.abs(g) + eps)
    return p - lr / (1 - b1**t) * m / u


def nadam(p, g, s, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
          decoupled_weight_decay=False, maximize=False):  # fmt: skip
    b1, b2 = betas
    g = -g if maximize else g
    t = s["t"] = s.get("t", 0) + 1
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    prod = s["prod"] = s.get("prod", 1.0) * mu
    m = s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    v = s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    denom = np.sqrt(v / (1 - b2**t)) + eps
    return (
        p - lr * (1 - mu) / (1 - prod) * g / denom - lr * mu_next / (1 - prod * mu_next) * m / denom
    )


def radam(p, g, s, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
          decoupled_weight_decay=False, maximize=False):  # fmt: skip
    b1, b2 = betas
    g = -g if maximize else g
    t = s["t"] = s.get("t", 0) + 1
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    m = s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    v = s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    m_hat = m / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho_t <= 5:
        return p - lr * m_hat
    r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    adaptive = np.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
    return p - lr * m_hat * r * adaptive


def asgd(p, g, s, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False):
    g = -g if maximize else g
    t = s["t"] = s.get("t", 0) + 1
    eta, mu = s.get("eta", lr), s.get("mu", 1.0)
    g = g + weight_decay * p
    p = p * (1 - lambd * eta) - eta * g
    s["ax"] = p.copy() if mu == 1 else s["ax"] + mu * (p - s["ax"])
    s["eta"] = lr / (1 + lambd * lr * t) ** alpha
    s["mu"] = 1 / max(1, t - t0)
    return p


def rprop(p, g, s, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    g = -g if maximize else g
    prev = s.get("prev", np.zeros_like(p))
    step = s.get("step", np.full_like(p, lr))
    prod = g * prev
    step = np.where(prod > 0, step * etas[1], np.where(prod < 0, step * etas[0], step))
    s["step"] = np.clip(step, *step_sizes)
    g = np.where(prod < 0, 0.0, g)
    s["prev"] = g
    return p - np.sign(g) * s["step"]


def lbfgs_fixed_step(x, grad_fn, s, lr=1, max_iter=20, history_size=100):
    """One ``step``: L-BFGS two-loop recursion with a fixed step (no line search), the first
    step ever scaled by min(1, 1/|g|_1); no tolerances reached (tests keep them out of play)."""
    g = grad_fn(x)
    for _ in range(max_iter):
        s["n"] = s.get("n", 0) + 1
        if s["n"] == 1:
            d, s["S"], s["Y"], h = -g, [], [], 1.0
        else:
            y, st = g - s["g_prev"], s["d"] * s["t"]
            if y @ st > 1e-10:
                if len(s["S"]) == history_size:
                    s["S"].pop(0)
                    s["Y"].pop(0)
                s["S"].append(st)
                s["Y"].append(y)
                s["h"] = (y @ st) / (y @ y)
            h = s["h"]
            q, al = -g, []
            for si, yi in zip(reversed(s["S"]), reversed(s["Y"])):
                al.append((si @ q) / (yi @ si))
                q = q - al[-1] * yi
            d = q * h
            for si, yi, a in zip(s["S"], s["Y"], reversed(al)):
                d = d + (a - (yi @ d) / (yi @ si)) * si
        s["g_prev"], s["d"] = g, d
        s["t"] = min(1.0, 1.0 / np.abs(g).sum()) * lr if s["n"] == 1 else lr
        x = x + s["t"] * d
        g = grad_fn(x)
    return x
