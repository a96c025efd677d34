"""A VAE written with ``torch.distributions``, as VAE tutorials write it now.

The encoder gives ``q = Normal(mu, std)``; ``z = q.rsample()`` keeps the gradient (the
reparameterisation trick); the loss is ``-Bernoulli(logits=...).log_prob(x)`` (wrapped in
``Independent`` over the pixels) plus ``kl_divergence(q, Normal(0, 1))``. Data: scikit-learn's 8x8
digits scaled to [0, 1]. ``rsample`` noise comes from each library's own generator, so training
losses are compared loosely; the evaluation (decoding ``q.mean``), the KL terms and the
log-probabilities of fixed values are exact. ``check`` recomputes the KL and the Bernoulli
log-likelihood with NumPy, and the rsample gradient (dz/dloc = 1, dz/dscale = the noise).
"""

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn, optim
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from _numpy_init import init_from_numpy

TOLERANCES = {"train_loss": (0.05, 0.5), "test_elbo": (0.05, 0.5)}


class VAE(nn.Module):
    def __init__(self, latent=6):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 2 * latent))
        self.dec = nn.Sequential(nn.Linear(latent, 48), nn.ReLU(), nn.Linear(48, 64))

    def posterior(self, x):
        mu, log_std = self.enc(x).chunk(2, dim=-1)
        return Normal(mu, log_std.exp())

    def likelihood(self, z):
        # grey pixels are not in Bernoulli's support {0, 1}: the cross-entropy form is wanted,
        # so the support check (on by default, as in PyTorch) is turned off for this one
        return Independent(Bernoulli(logits=self.dec(z), validate_args=False), 1)

    def forward(self, x, sample=True):
        q = self.posterior(x)
        z = q.rsample() if sample else q.mean
        p_x = self.likelihood(z)
        prior = Normal(torch.zeros_like(q.loc), torch.ones_like(q.scale))
        kl = kl_divergence(q, prior).sum(-1)
        return -(p_x.log_prob(x) - kl).mean(), kl


def main(seed):
    torch.manual_seed(seed)
    pixels = torch.from_numpy((load_digits().data / 16.0).astype(np.float32))
    train_x, test_x = pixels[:1200], pixels[1500:]
    model = VAE()
    init_from_numpy(model, seed)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    with torch.no_grad():
        initial_elbo, _ = model(test_x, sample=False)
    train_losses, test_elbos = [], []
    for epoch in range(3):
        model.train()
        for i in range(0, len(train_x), 100):
            loss, _ = model(train_x[i : i + 100])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            train_losses.append(loss.item())
        with torch.no_grad():
            test_elbos.append(model(test_x, sample=False)[0].item())

    # exact pieces, from the initial weights reloaded
    fresh = VAE()
    init_from_numpy(fresh, seed)
    q = fresh.posterior(test_x[:4])
    _, kl = fresh(test_x[:4], sample=False)
    logits = fresh.dec(q.mean)
    log_lik = fresh.likelihood(q.mean).log_prob(test_x[:4])

    # rsample's gradient: z = loc + scale * eps
    loc = torch.tensor([0.5, -1.0], requires_grad=True)
    scale = torch.tensor([2.0, 0.5], requires_grad=True)
    z = Normal(loc, scale).rsample()
    z.sum().backward()
    eps = ((z - loc) / scale).detach()
    try:
        Bernoulli(logits=logits).log_prob(test_x[:4])
        validation = "accepted"
    except ValueError as exc:
        validation = type(exc).__name__
    return {
        "validation": validation,
        "initial_elbo": initial_elbo.item(),
        "train_loss": train_losses,
        "test_elbo": test_elbos,
        "posterior_loc": q.loc.tolist(),
        "posterior_scale": q.scale.tolist(),
        "kl": kl.tolist(),
        "logits": logits.tolist(),
        "x": test_x[:4].tolist(),
        "log_lik": log_lik.tolist(),
        "event_shape": list(fresh.likelihood(q.mean).event_shape),
        "batch_shape": list(q.batch_shape),
        "rsample_grad_loc": loc.grad.tolist(),
        "rsample_grad_scale_minus_eps": (scale.grad - eps).abs().max().item(),
        "normal_log_prob": Normal(0.0, 2.0).log_prob(torch.tensor([0.0, 1.0, -3.0])).tolist(),
    }


def check(results):
    loc, scale = np.array(results["posterior_loc"]), np.array(results["posterior_scale"])
    kl = (0.5 * (scale**2 + loc**2 - 1) - np.log(scale)).sum(-1)
    assert np.allclose(kl, results["kl"], rtol=1e-4, atol=1e-5), (kl, results["kl"])
    logits, x = np.array(results["logits"]), np.array(results["x"])
    log_lik = (x * logits - np.logaddexp(0, logits)).sum(-1)
    assert np.allclose(log_lik, results["log_lik"], rtol=1e-4, atol=1e-3)
    assert results["event_shape"] == [64] and results["batch_shape"] == [4, 6]
    assert results["rsample_grad_loc"] == [1.0, 1.0]
    assert results["rsample_grad_scale_minus_eps"] < 1e-6
    expected = -0.5 * np.array([0.0, 1.0, 9.0]) / 4 - np.log(2.0) - 0.5 * np.log(2 * np.pi)
    assert np.allclose(results["normal_log_prob"], expected, atol=1e-6)
    assert results["test_elbo"][-1] < 0.8 * results["initial_elbo"], results["test_elbo"]
    assert results["validation"] == "ValueError"
