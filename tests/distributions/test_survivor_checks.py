"""Checks that catch planted bugs the other distribution tests missed: Gamma.cdf's gradients,
Dirichlet.variance, and the Concrete (relaxed categorical) density (NumPy only) (issue #25)."""

import math

import numpy as np

import tinytensor as tt
from tinytensor.distributions import (
    Dirichlet,
    ExpRelaxedCategorical,
    Gamma,
    RelaxedOneHotCategorical,
)


def test_gamma_cdf_gradients_match_central_differences():
    a0 = np.array([0.7, 1.5, 3.0, 5.5])
    r0 = np.array([2.0, 0.5, 1.3, 0.8])
    x0 = np.array([0.4, 2.5, 1.7, 6.0])

    def f(a, x):
        return Gamma(tt.tensor(a), tt.tensor(r0)).cdf(tt.tensor(x)).numpy()

    a = tt.tensor(a0, requires_grad=True)
    x = tt.tensor(x0, requires_grad=True)
    Gamma(a, tt.tensor(r0)).cdf(x).sum().backward()
    h = 1e-6
    ga = (f(a0 + h, x0) - f(a0 - h, x0)) / (2 * h)
    gx = (f(a0, x0 + h) - f(a0, x0 - h)) / (2 * h)
    assert np.all(ga < 0)  # more shape, later mass: the cdf falls with concentration
    np.testing.assert_allclose(a.grad.numpy(), ga, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-4, atol=1e-8)


def test_dirichlet_variance_closed_form():
    c = np.array([[0.5, 2.0, 3.5], [1.0, 1.0, 7.0]])
    a0 = c.sum(-1, keepdims=True)
    want = c * (a0 - c) / (a0**2 * (a0 + 1))
    np.testing.assert_allclose(Dirichlet(tt.tensor(c)).variance.numpy(), want, rtol=1e-12)


def _concrete_log_density(x, pi, temp):
    k = x.shape[-1]
    return (
        math.lgamma(k)
        + (k - 1) * np.log(temp)
        + np.sum(np.log(pi) - (temp + 1) * np.log(x), -1)
        - k * np.log(np.sum(pi * x ** (-temp), -1))
    )


def test_relaxed_categorical_log_prob_is_the_concrete_density():
    rng = np.random.default_rng(25)
    pi = np.array([0.1, 0.3, 0.6])
    x = rng.dirichlet([2.0, 2.0, 2.0], size=5)
    for temp in (0.4, 2.5):
        want = _concrete_log_density(x, pi, temp)
        m = RelaxedOneHotCategorical(tt.tensor(temp), probs=tt.tensor(pi))
        np.testing.assert_allclose(m.log_prob(tt.tensor(x)).numpy(), want, rtol=1e-6)
        # ExpRelaxedCategorical is the same law on log x: its density carries the Jacobian x.
        e = ExpRelaxedCategorical(tt.tensor(temp), probs=tt.tensor(pi))
        got = e.log_prob(tt.tensor(np.log(x))).numpy()
        np.testing.assert_allclose(got, want + np.log(x).sum(-1), rtol=1e-6)
