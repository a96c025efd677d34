"""Extending autograd: custom Functions, gradcheck, and a WGAN-GP gradient penalty.

1. The tutorials' polynomial fit: ``y = a + b * P3(c + d * x)`` with a hand-written
   ``torch.autograd.Function`` for the Legendre polynomial P3 and manual SGD updates.
2. ``torch.autograd.gradcheck`` / ``gradgradcheck`` on custom Functions in float64.
3. A tiny WGAN-GP critic step: the gradient penalty takes ``torch.autograd.grad`` of the critic
   with ``create_graph=True`` and backpropagates through it. Interpolation weights come from NumPy.
"""

import math

import numpy as np
import torch
import torch.nn as nn

from _numpy_init import init_from_numpy

TOLERANCES = {"poly_loss": (1e-3, 1e-3), "poly_coefficients": (1e-3, 1e-4)}


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


class ScaledTanh(torch.autograd.Function):
    """tanh(x) * scale, with a non-tensor argument and a backward written in differentiable ops."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)  # an input: saving the no-grad tanh would cut double backward
        ctx.scale = scale
        return torch.tanh(x) * scale

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        y = torch.tanh(x)
        return grad_output * ctx.scale * (1 - y * y), None


def polynomial_fit():
    dtype = torch.float
    x = torch.linspace(-math.pi, math.pi, 500, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    losses = []
    for t in range(400):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if t % 50 == 49:
            losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return losses, [a.item(), b.item(), c.item(), d.item()]


def gradient_checks():
    from torch.autograd import gradcheck, gradgradcheck

    x = torch.linspace(-0.9, 0.9, 7, dtype=torch.double, requires_grad=True)
    ok_p3 = gradcheck(LegendrePolynomial3.apply, (x,), eps=1e-6, atol=1e-4)
    ok_tanh = gradcheck(lambda t: ScaledTanh.apply(t, 2.5), (x,), eps=1e-6, atol=1e-4)
    ok_tanh2 = gradgradcheck(lambda t: ScaledTanh.apply(t, 2.5), (x,), eps=1e-6, atol=1e-4)
    y = ScaledTanh.apply(x, 2.5)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    return {
        "gradcheck_p3": bool(ok_p3),
        "gradcheck_scaled_tanh": bool(ok_tanh),
        "gradgradcheck_scaled_tanh": bool(ok_tanh2),
        "needs_input_grad_fn": type(y.grad_fn).__name__ != "NoneType",
        "first_grad": g.tolist(),
        "second_grad": gg.tolist(),
    }


def compute_gradient_penalty(critic, real, fake, alpha):
    interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    d_interpolates = critic(interpolates)
    gradients = torch.autograd.grad(
        outputs=d_interpolates,
        inputs=interpolates,
        grad_outputs=torch.ones_like(d_interpolates),
        create_graph=True,
        retain_graph=True,
        only_inputs=True,  # deprecated and ignored by PyTorch, still common in WGAN-GP code
    )[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


def wgan_gp(seed):
    rng = np.random.default_rng(seed)
    critic = nn.Sequential(
        nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)
    )
    init_from_numpy(critic, seed)
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    lambda_gp = 10
    d_losses, penalties = [], []
    for step in range(30):
        real = torch.from_numpy(rng.normal(2.0, 0.5, size=(64, 2)).astype(np.float32))
        fake = torch.from_numpy(rng.normal(-1.0, 1.0, size=(64, 2)).astype(np.float32))
        alpha = torch.from_numpy(rng.uniform(size=(64, 1)).astype(np.float32))
        optimizer.zero_grad()
        gradient_penalty = compute_gradient_penalty(critic, real.data, fake.data, alpha)
        d_loss = -torch.mean(critic(real)) + torch.mean(critic(fake)) + lambda_gp * gradient_penalty
        d_loss.backward()
        optimizer.step()
        d_losses.append(d_loss.item())
        penalties.append(gradient_penalty.item())
    return d_losses, penalties


def main(seed):
    torch.manual_seed(seed)
    poly_loss, coefficients = polynomial_fit()
    d_losses, penalties = wgan_gp(seed)
    return {
        "poly_loss": poly_loss,
        "poly_coefficients": coefficients,
        "checks": gradient_checks(),
        "d_loss": d_losses,
        "gradient_penalty": penalties,
    }


def check(results):
    assert results["poly_loss"][-1] < results["poly_loss"][0]
    assert all(v is True for k, v in results["checks"].items() if k.startswith("grad"))
    assert results["d_loss"][-1] < results["d_loss"][0]
