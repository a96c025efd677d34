"""The VAE idiom: ``q = Normal(mu, softplus(s)); z = q.rsample(); loss = recon(z) +
kl_divergence(q, Normal(0, 1)).sum()``. With torch's Normal fed tinytensor's standard-normal
draws, training steps equal torch's; without torch, the KL term's gradient equals the
closed-form derivative and the ELBO improves."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.distributions import Normal, kl_divergence

X = np.random.default_rng(7).standard_normal((12, 4))


def _train_ours(steps, eps_log=None):
    tt.manual_seed(0)
    enc = tt.nn.Linear(4, 4).double()
    dec = tt.nn.Linear(2, 4).double()
    init = [p.detach().numpy().copy() for p in list(enc.parameters()) + list(dec.parameters())]
    opt = tt.optim.SGD(list(enc.parameters()) + list(dec.parameters()), lr=0.05)
    x = tt.tensor(X)
    losses = []
    for _ in range(steps):
        h = enc(x)
        mu, s = h[:, :2], h[:, 2:]
        q = Normal(mu, tt.nn.functional.softplus(s) + 1e-3)
        z = q.rsample()
        if eps_log is not None:
            eps_log.append(((z - q.loc) / q.scale).detach().numpy().copy())
        recon = ((dec(z) - x) ** 2).sum(-1)
        prior = Normal(tt.zeros_like(mu), tt.ones_like(mu))
        loss = (recon + kl_divergence(q, prior).sum(-1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    params = [p.detach().numpy() for p in list(enc.parameters()) + list(dec.parameters())]
    return init, params, losses


def test_vae_trains_and_kl_gradient_is_the_closed_form():
    _, _, losses = _train_ours(200)
    assert np.mean(losses[-20:]) < 0.8 * np.mean(losses[:20])
    mu = tt.tensor([0.5, -1.0], requires_grad=True)
    sigma = tt.tensor([0.5, 2.0], requires_grad=True)
    kl = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0)).sum()
    gm, gs = tt.autograd.grad(kl, [mu, sigma])
    # KL = (sigma^2 + mu^2 - 1)/2 - log sigma: d/dmu = mu, d/dsigma = sigma - 1/sigma.
    np.testing.assert_allclose(gm.numpy(), [0.5, -1.0], rtol=1e-6)
    np.testing.assert_allclose(gs.numpy(), [0.5 - 2.0, 2.0 - 0.5], rtol=1e-6)


@pytest.mark.torch
def test_vae_steps_equal_torch_with_the_same_noise(monkeypatch):
    torch = pytest.importorskip("torch")
    import torch.distributions.normal as torch_normal

    eps_log = []
    init, ours, _ = _train_ours(25, eps_log)
    draws = iter(eps_log)
    monkeypatch.setattr(
        torch_normal, "_standard_normal", lambda shape, dtype, device: torch.tensor(next(draws))
    )
    enc, dec = torch.nn.Linear(4, 4).double(), torch.nn.Linear(2, 4).double()
    with torch.no_grad():
        for p, v in zip(list(enc.parameters()) + list(dec.parameters()), init):
            p.copy_(torch.tensor(v))
    opt = torch.optim.SGD(list(enc.parameters()) + list(dec.parameters()), lr=0.05)
    x = torch.tensor(X)
    for _ in range(25):
        h = enc(x)
        mu, s = h[:, :2], h[:, 2:]
        q = torch.distributions.Normal(mu, torch.nn.functional.softplus(s) + 1e-3)
        z = q.rsample()
        recon = ((dec(z) - x) ** 2).sum(-1)
        prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
        loss = (recon + torch.distributions.kl_divergence(q, prior).sum(-1)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    theirs = [p.detach().numpy() for p in list(enc.parameters()) + list(dec.parameters())]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
