"""Shared test problems: the same float64 start for tinytensor and PyTorch, and a loop."""

from __future__ import annotations

import numpy as np


def problem(lib, seed=0, convex=False):
    """Two parameters and a loss whose gradients change every step; ``convex`` gives a
    regularised logistic loss (well-posed for L-BFGS), else a tanh regression."""
    r = np.random.default_rng(seed)
    w = lib.tensor(r.standard_normal((4, 3)), requires_grad=True)
    b = lib.tensor(r.standard_normal(3), requires_grad=True)
    x = lib.tensor(r.standard_normal((8, 4)))
    if convex:
        y = lib.tensor(np.sign(r.standard_normal((8, 3))))

        def loss():
            return (-(x @ w + b) * y).exp().log1p().mean() + 0.1 * (w * w).sum()

    else:
        y = lib.tensor(r.standard_normal((8, 3)))

        def loss():
            return (((x @ w + b).tanh() - y) ** 2).mean()

    return [w, b], loss


def run(opt, loss, steps):
    """``steps`` optimizer steps through a closure; returns the losses step() returned."""
    out = []
    for _ in range(steps):

        def closure():
            opt.zero_grad()
            value = loss()
            value.backward()
            return value

        out.append(opt.step(closure).item())
    return out


def numpy_of(params):
    return [p.detach().numpy().copy() for p in params]
