"""Closed forms of ``KL(p || q)`` for ``p`` and ``q`` of different families (the pairs
PyTorch registers among tinytensor's families), registered with ``register_kl`` on import.
``inf`` where ``p`` has mass outside ``q``'s support."""

from __future__ import annotations

import math

import tinytensor as tt
from tinytensor.distributions.continuous import Exponential, Laplace, Normal, Uniform
from tinytensor.distributions.discrete import Bernoulli, Binomial, Poisson
from tinytensor.distributions.gamma import Beta, Gamma
from tinytensor.distributions.kl import _inf_where, _infinite_like, register_kl

__all__: list = []

_EULER_GAMMA = 0.57721566490153286060


@register_kl(Bernoulli, Poisson)
def kl_bernoulli_poisson(p, q):
    """``KL(Bernoulli || Poisson)``: ``-H(p) + rate - probs * log(rate)``."""
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


@register_kl(Poisson, Bernoulli)
@register_kl(Poisson, Binomial)
def kl_poisson_infinity(p, q):
    """``inf``: a Poisson puts mass on counts the other cannot reach."""
    return _infinite_like(p, q)


def _normal_expected_log(q, ex, ex2):
    """``-E_p[log q(x)]`` for a Normal ``q`` from ``E[x]`` and ``E[x**2]`` under ``p``."""
    return (
        tt.log(q.scale)
        + 0.5 * math.log(2 * math.pi)
        + (ex2 - 2 * q.loc * ex + q.loc.pow(2)) / (2 * q.scale.pow(2))
    )


@register_kl(Exponential, Normal)
def kl_exponential_normal(p, q):
    """``KL(Exponential || Normal)`` through ``E[x] = 1/rate``, ``E[x**2] = 2/rate**2``."""
    ex = p.rate.reciprocal()
    return -p.entropy() + _normal_expected_log(q, ex, 2 * ex.pow(2))


@register_kl(Laplace, Normal)
def kl_laplace_normal(p, q):
    """``KL(Laplace || Normal)`` through ``E[x] = loc``, ``Var[x] = 2 scale**2``."""
    return -p.entropy() + _normal_expected_log(q, p.loc, p.loc.pow(2) + 2 * p.scale.pow(2))


@register_kl(Uniform, Normal)
def kl_uniform_normal(p, q):
    """``KL(Uniform || Normal)`` through the uniform's first two moments."""
    ex = (p.low + p.high) / 2
    ex2 = (p.high.pow(2) + p.high * p.low + p.low.pow(2)) / 3
    return -p.entropy() + _normal_expected_log(q, ex, ex2)


@register_kl(Normal, Laplace)
def kl_normal_laplace(p, q):
    """``KL(Normal || Laplace)`` through ``E|x - m|`` of a Normal (folded-normal mean)."""
    d = p.loc - q.loc
    e_abs = d * tt.erf(d / (p.scale * math.sqrt(2))) + p.scale * math.sqrt(2 / math.pi) * tt.exp(
        -d.pow(2) / (2 * p.scale.pow(2))
    )
    return -p.entropy() + tt.log(2 * q.scale) + e_abs / q.scale


@register_kl(Uniform, Exponential)
def kl_uniform_exponential(p, q):
    """``KL(Uniform || Exponential)`` (``inf`` where the interval reaches below 0)."""
    result = -p.entropy() - tt.log(q.rate) + q.rate * (p.high + p.low) / 2
    return _inf_where(result, p.low < 0)


@register_kl(Normal, Exponential)
@register_kl(Normal, Uniform)
@register_kl(Laplace, Exponential)
@register_kl(Laplace, Uniform)
@register_kl(Exponential, Uniform)
def kl_continuous_infinity(p, q):
    """``inf``: ``p`` has mass where ``q`` has none."""
    return _infinite_like(p, q)


def _gamma_expected_log(q, ex, elog):
    """``-E_p[log q(x)]`` for a Gamma ``q`` from ``E[x]`` and ``E[log x]`` under ``p``."""
    k, r = q.concentration, q.rate
    return tt.lgamma(k) - k * tt.log(r) - (k - 1) * elog + r * ex


def _beta_expected_log(q, elog, elog1m):
    """``-E_p[log q(x)]`` for a Beta ``q`` from ``E[log x]`` and ``E[log(1 - x)]``."""
    a, b = q.concentration1, q.concentration0
    log_beta = tt.lgamma(a) + tt.lgamma(b) - tt.lgamma(a + b)
    return log_beta - (a - 1) * elog - (b - 1) * elog1m


def _beta_elog(p):
    total = p.concentration1 + p.concentration0
    return (
        tt.digamma(p.concentration1) - tt.digamma(total),
        tt.digamma(p.concentration0) - tt.digamma(total),
    )


@register_kl(Beta, Exponential)
def kl_beta_exponential(p, q):
    """``KL(Beta || Exponential)``: ``-H(p) - log rate + rate * E[x]``."""
    return -p.entropy() - tt.log(q.rate) + q.rate * p.mean


@register_kl(Beta, Gamma)
def kl_beta_gamma(p, q):
    """``KL(Beta || Gamma)`` through ``E[x]`` and ``E[log x] = digamma(a) - digamma(a + b)``."""
    elog, _ = _beta_elog(p)
    return -p.entropy() + _gamma_expected_log(q, p.mean, elog)


@register_kl(Beta, Normal)
def kl_beta_normal(p, q):
    """``KL(Beta || Normal)`` through the Beta's first two moments."""
    ex = p.mean
    return -p.entropy() + _normal_expected_log(q, ex, p.variance + ex.pow(2))


@register_kl(Beta, Uniform)
def kl_beta_uniform(p, q):
    """``KL(Beta || Uniform)``: ``-H(p) + log(high - low)``, ``inf`` unless ``[0, 1]`` lies
    inside ``[low, high]``."""
    result = -p.entropy() + tt.log(q.high - q.low)
    return _inf_where(result, (q.low > 0) | (q.high < 1))


@register_kl(Exponential, Gamma)
def kl_exponential_gamma(p, q):
    """``KL(Exponential || Gamma)`` through ``E[log x] = -euler_gamma - log rate``."""
    elog = -_EULER_GAMMA - tt.log(p.rate)
    return -p.entropy() + _gamma_expected_log(q, p.rate.reciprocal(), elog)


@register_kl(Gamma, Exponential)
def kl_gamma_exponential(p, q):
    """``KL(Gamma || Exponential)``: ``-H(p) - log rate_q + rate_q * k / r``."""
    return -p.entropy() - tt.log(q.rate) + q.rate * p.mean


@register_kl(Gamma, Normal)
def kl_gamma_normal(p, q):
    """``KL(Gamma || Normal)`` through ``E[x] = k / r`` and ``E[x**2] = k (k + 1) / r**2``."""
    ex = p.mean
    return -p.entropy() + _normal_expected_log(q, ex, p.variance + ex.pow(2))


def _uniform_elog(low, high):
    """``E[log x]`` and ``E[log(1 - x)]`` for ``x`` uniform on ``[low, high]`` (inside (0, 1)
    for the second to be finite)."""
    width = high - low
    elog = (tt.xlogy(high, high) - high - tt.xlogy(low, low) + low) / width
    a, b = 1 - high, 1 - low  # log(1 - x) over [low, high] is log(u) over [a, b]
    elog1m = (tt.xlogy(b, b) - b - tt.xlogy(a, a) + a) / width
    return elog, elog1m


@register_kl(Uniform, Beta)
def kl_uniform_beta(p, q):
    """``KL(Uniform || Beta)``, ``inf`` unless the interval lies in ``[0, 1]``."""
    elog, elog1m = _uniform_elog(p.low, p.high)
    result = -p.entropy() + _beta_expected_log(q, elog, elog1m)
    return _inf_where(result, (p.high > 1) | (p.low < 0))


@register_kl(Uniform, Gamma)
def kl_uniform_gamma(p, q):
    """``KL(Uniform || Gamma)``, ``inf`` where the interval reaches below 0."""
    elog, _ = _uniform_elog(p.low, p.high)
    result = -p.entropy() + _gamma_expected_log(q, p.mean, elog)
    return _inf_where(result, p.low < 0)


@register_kl(Exponential, Beta)
@register_kl(Gamma, Beta)
@register_kl(Gamma, Uniform)
@register_kl(Laplace, Beta)
@register_kl(Laplace, Gamma)
@register_kl(Normal, Beta)
@register_kl(Normal, Gamma)
def kl_unbounded_infinity(p, q):
    """``inf``: ``p`` reaches where ``q`` has no density."""
    return _infinite_like(p, q)
