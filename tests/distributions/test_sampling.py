"""Samples, checked without torch: goodness of fit (Kolmogorov-Smirnov statistic against a
cdf written in NumPy/math, or the pmf for discrete families), moments within a few standard
errors, all with fixed seeds and fixed thresholds (deterministic)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.distributions as D

N = 4000
KS_CRIT = 1.95 / math.sqrt(N)  # the 0.1% critical value of the KS statistic

_erf = np.vectorize(math.erf)


def t(x):
    return tt.tensor(np.asarray(x, dtype=np.float64), dtype=tt.float64)


def ks_statistic(samples, cdf):
    x = np.sort(np.asarray(samples, dtype=np.float64))
    f = cdf(x)
    n = len(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


CONTINUOUS = [
    (
        lambda: D.Normal(t(1.5), t(0.5)),
        lambda x: 0.5 * (1 + _erf((x - 1.5) / (0.5 * math.sqrt(2)))),
    ),
    (lambda: D.Uniform(t(-1.0), t(3.0)), lambda x: np.clip((x + 1) / 4, 0, 1)),
    (lambda: D.Exponential(t(2.5)), lambda x: 1 - np.exp(-2.5 * x)),
    (
        lambda: D.Laplace(t(-1.0), t(2.0)),
        lambda x: np.where(x < -1, 0.5 * np.exp((x + 1) / 2), 1 - 0.5 * np.exp(-(x + 1) / 2)),
    ),
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("i", range(len(CONTINUOUS)))
def test_continuous_samples_fit_their_cdf(i, seed):
    build, cdf = CONTINUOUS[i]
    tt.manual_seed(seed)
    m = build()
    s = m.sample((N,)).numpy()
    assert ks_statistic(s, cdf) < KS_CRIT
    r = m.rsample((N,)).detach().numpy()
    assert ks_statistic(r, cdf) < KS_CRIT
    # A shifted cdf is rejected: the test has power.
    assert ks_statistic(s + 0.3 * float(m.stddev), cdf) > KS_CRIT


def _pmf_check(samples, support, pmf):
    freq = np.array([(samples == k).mean() for k in support])
    tol = 5 * np.sqrt(pmf * (1 - pmf) / len(samples)) + 1e-3
    assert np.all(np.abs(freq - pmf) < tol), (freq, pmf)
    assert np.isin(samples, support).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_discrete_samples_match_their_pmf(seed):
    tt.manual_seed(seed)
    probs = np.array([0.1, 0.2, 0.0, 0.7])
    c = D.Categorical(probs=t(probs)).sample((N,)).numpy()
    _pmf_check(c, np.arange(4), probs)
    oh = D.OneHotCategorical(probs=t(probs)).sample((N,)).numpy()
    assert (oh.sum(-1) == 1).all()
    _pmf_check(oh.argmax(-1), np.arange(4), probs)
    b = D.Bernoulli(probs=t(0.3)).sample((N,)).numpy()
    _pmf_check(b, np.arange(2), np.array([0.7, 0.3]))
    n, p = 6, 0.35
    k = np.arange(n + 1)
    pmf = np.array([math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in k])
    _pmf_check(D.Binomial(n, probs=t(p)).sample((N,)).numpy(), k, pmf)
    lam = 2.5
    k = np.arange(25)
    pmf = np.array([math.exp(-lam) * lam**j / math.factorial(j) for j in k])
    _pmf_check(D.Poisson(t(lam)).sample((N,)).numpy(), k, pmf)


def test_batched_categorical_rows_sample_their_own_probs():
    probs = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8], [1 / 3, 1 / 3, 1 / 3]])
    s = D.Categorical(probs=t(probs)).sample((N,)).numpy()
    assert s.shape == (N, 3)
    for row in range(3):
        _pmf_check(s[:, row], np.arange(3), probs[row])


@pytest.mark.parametrize(
    "build",
    [
        lambda: D.Normal(t([0.0, 2.0]), t([1.0, 3.0])),
        lambda: D.Uniform(t([0.0, 2.0]), t([1.0, 3.0])),
        lambda: D.Exponential(t([0.5, 3.0])),
        lambda: D.Laplace(t([0.0, 2.0]), t([1.0, 3.0])),
        lambda: D.Bernoulli(probs=t([0.2, 0.9])),
        lambda: D.Binomial(t([4.0, 9.0]), probs=t([0.2, 0.9])),
        lambda: D.Poisson(t([0.5, 7.0])),
    ],
)
def test_sample_moments(build):
    m = build()
    s = m.sample((N,)).numpy()
    mean, var = m.mean.numpy(), m.variance.numpy()
    assert np.all(np.abs(s.mean(0) - mean) < 5 * np.sqrt(var / N))
    # The variance of a sample variance is about 2 var^2 / N (exact for the normal; the
    # 8-sigma band covers the heavier tails here).
    assert np.all(np.abs(s.var(0) - var) < 8 * var * math.sqrt(2 / N) + 1e-12)
