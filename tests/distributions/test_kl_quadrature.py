"""Every finite closed-form KL between continuous families, against numerical integration of
``p(x) (log p(x) - log q(x))`` on a fine grid (NumPy only). The densities come from
``log_prob``, which the family tests check against closed forms; a planted bug in a KL formula
fails here without torch. Relaxed samples are checked against their closed-form CDFs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.distributions as D

from .test_sampling import ks_statistic


def t(x):
    return tt.tensor(np.asarray(x, dtype=np.float64), dtype=tt.float64)


# Parameters chosen so every density is bounded (concentrations >= 1) and q's support holds p's.
FAMILIES = {
    "Normal": (lambda: D.Normal(t(0.3), t(0.8)), (-12.0, 12.0)),
    "Laplace": (lambda: D.Laplace(t(-0.2), t(0.6)), (-25.0, 25.0)),
    "Exponential": (lambda: D.Exponential(t(1.7)), (0.0, 40.0)),
    "Gamma": (lambda: D.Gamma(t(2.5), t(1.5)), (0.0, 60.0)),
    "Beta": (lambda: D.Beta(t(2.0), t(3.5)), (0.0, 1.0)),
    "Uniform": (lambda: D.Uniform(t(0.15), t(0.85)), (0.15, 0.85)),
}
Q_FAMILIES = {
    "Normal": lambda: D.Normal(t(-0.4), t(1.7)),
    "Laplace": lambda: D.Laplace(t(0.5), t(1.3)),
    "Exponential": lambda: D.Exponential(t(0.6)),
    "Gamma": lambda: D.Gamma(t(1.5), t(0.8)),
    "Beta": lambda: D.Beta(t(1.5), t(1.2)),
    "Uniform": lambda: D.Uniform(t(-1.0), t(3.0)),
}


def _support_inside(p_name, q_name):
    lo, hi = FAMILIES[p_name][1]
    q = Q_FAMILIES[q_name]()
    if q_name in ("Exponential", "Gamma"):
        return lo >= 0
    if q_name == "Beta":
        return lo >= 0 and hi <= 1
    if q_name == "Uniform":
        return lo >= float(q.low) and hi <= float(q.high)
    return True


PAIRS = [
    (a, b)
    for a in FAMILIES
    for b in Q_FAMILIES
    if (a, b) != ("Uniform", "Laplace")  # PyTorch registers no closed form for it
    and (a, b) != ("Beta", "Laplace")
    and (a, b) != ("Exponential", "Laplace")
    and (a, b) != ("Gamma", "Laplace")
]


@pytest.mark.parametrize("p_name, q_name", PAIRS)
def test_kl_equals_the_integral(p_name, q_name):
    build_p, (lo, hi) = FAMILIES[p_name]
    p, q = build_p(), Q_FAMILIES[q_name]()
    kl = float(D.kl_divergence(p, q))
    if not _support_inside(p_name, q_name):
        assert math.isinf(kl) and kl > 0
        return
    # Open grid (midpoints) so endpoints of bounded supports are never evaluated.
    m = 400000
    if lo == 0.0 and p_name in ("Exponential", "Gamma"):
        # Log-spaced grid (x = e^s, dx = x ds): integrable log singularities of q at 0 resolve.
        s_lo, s_hi = math.log(1e-14), math.log(hi)
        s = s_lo + (s_hi - s_lo) * (np.arange(m) + 0.5) / m
        x, weight = np.exp(s), np.exp(s) * (s_hi - s_lo) / m
    else:
        x = lo + (hi - lo) * (np.arange(m) + 0.5) / m
        weight = np.full(m, (hi - lo) / m)
    xt = t(x)
    lp = p.log_prob(xt).numpy() if p_name != "Uniform" else np.full(m, -math.log(hi - lo))
    q_val = D.Uniform(q.low, q.high, validate_args=False) if q_name == "Uniform" else q
    lq = q_val.log_prob(xt).numpy()
    integral = np.sum(np.exp(lp) * (lp - lq) * weight)
    assert kl == pytest.approx(integral, rel=2e-5, abs=1e-7)


def test_unregistered_pairs_raise():
    for p_name, q_name in [("Uniform", "Laplace"), ("Beta", "Laplace"), ("Gamma", "Laplace")]:
        with pytest.raises(NotImplementedError, match="No KL"):
            D.kl_divergence(FAMILIES[p_name][0](), Q_FAMILIES[q_name]())


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_relaxed_bernoulli_cdf_fit():
    # y = sigmoid((logistic + logit p) / T): P(y <= s) = sigmoid(T logit(s) - logit(p)).
    tt.manual_seed(0)
    temp, p = 0.7, 0.3
    n = 20000
    y = D.RelaxedBernoulli(t(temp), probs=t(p)).sample((n,)).numpy()
    logit_p = math.log(p / (1 - p))
    cdf = lambda s: _sigmoid(temp * np.log(s / (1 - s)) - logit_p)  # noqa: E731
    assert ks_statistic(y, cdf) < 1.95 / math.sqrt(n)


def test_relaxed_one_hot_two_categories_cdf_fit():
    # With two categories y0 = sigmoid((l0 - l1 + logistic) / T): the same closed form.
    tt.manual_seed(1)
    temp = 0.6
    logits = np.array([0.4, -0.3])
    n = 20000
    y = D.RelaxedOneHotCategorical(t(temp), logits=t(logits)).sample((n,)).numpy()[:, 0]
    cdf = lambda s: _sigmoid(temp * np.log(s / (1 - s)) - (logits[0] - logits[1]))  # noqa: E731
    assert ks_statistic(y, cdf) < 1.95 / math.sqrt(n)
