"""``kl_divergence(p, q)`` and its registry: ``register_kl(TypeP, TypeQ)`` adds a closed form;
the most specific registered pair (by class hierarchy) is used."""

from __future__ import annotations

import math
import warnings
from functools import total_ordering

import tinytensor as tt
from tinytensor.distributions.continuous import Exponential, Laplace, Normal, Uniform
from tinytensor.distributions.discrete import (
    Bernoulli,
    Binomial,
    Categorical,
    OneHotCategorical,
    Poisson,
)
from tinytensor.distributions.distribution import Distribution
from tinytensor.distributions.utils import _softplus

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict = {}
_KL_MEMOIZE: dict = {}


def register_kl(type_p, type_q):
    """Decorator registering ``fn(p, q)`` as ``KL(p || q)`` for ``p`` of ``type_p`` and ``q`` of
    ``type_q`` (subclasses included, the most specific registration winning).

    >>> class Wide(tt.distributions.Normal):
    ...     pass
    >>> @tt.distributions.register_kl(Wide, Wide)
    ... def _kl_wide(p, q):
    ...     return tt.distributions.kl.kl_normal_normal(p, q) * 1.0
    >>> p = Wide(tt.tensor(0.0), tt.tensor(1.0))
    >>> tt.distributions.kl_divergence(p, p)
    tensor(0.)"""
    if not isinstance(type_p, type) or not issubclass(type_p, Distribution):
        raise TypeError(
            f"register_kl: expected type_p to be a Distribution subclass but got {type_p!r}"
        )
    if not isinstance(type_q, type) or not issubclass(type_q, Distribution):
        raise TypeError(
            f"register_kl: expected type_q to be a Distribution subclass but got {type_q!r}"
        )

    def decorator(fun):
        _KL_REGISTRY[type_p, type_q] = fun
        _KL_MEMOIZE.clear()
        return fun

    return decorator


@total_ordering
class _Match:
    __slots__ = ["types"]

    def __init__(self, *types):
        self.types = types

    def __eq__(self, other):
        return self.types == other.types

    def __le__(self, other):
        for x, y in zip(self.types, other.types):
            if not issubclass(x, y):
                return False
            if x is not y:
                break
        return True


def _dispatch_kl(type_p, type_q):
    matches = [
        (sp, sq) for sp, sq in _KL_REGISTRY if issubclass(type_p, sp) and issubclass(type_q, sq)
    ]
    if not matches:
        return NotImplemented
    left_p, left_q = min(_Match(*m) for m in matches).types
    right_q, right_p = min(_Match(*reversed(m)) for m in matches).types
    left_fun = _KL_REGISTRY[left_p, left_q]
    right_fun = _KL_REGISTRY[right_p, right_q]
    if left_fun is not right_fun:
        warnings.warn(
            f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). Please register_kl("
            f"{left_p.__name__}, {right_q.__name__})",
            RuntimeWarning,
            stacklevel=3,
        )
    return left_fun


def kl_divergence(p, q):
    """``KL(p || q)``, the Kullback-Leibler divergence of ``q`` from ``p``, one value per batch
    member; ``NotImplementedError`` for pairs without a registered closed form.

    >>> p = tt.distributions.Normal(tt.tensor(0.0), tt.tensor(1.0))
    >>> q = tt.distributions.Normal(tt.tensor(1.0), tt.tensor(1.0))
    >>> tt.distributions.kl_divergence(p, q)
    tensor(0.5000)"""
    try:
        fun = _KL_MEMOIZE[type(p), type(q)]
    except KeyError:
        fun = _dispatch_kl(type(p), type(q))
        _KL_MEMOIZE[type(p), type(q)] = fun
    if fun is NotImplemented:
        raise NotImplementedError(
            f"No KL(p || q) is implemented for p type {type(p).__name__} and q type "
            f"{type(q).__name__}"
        )
    return fun(p, q)


def _inf_where(result, mask):
    return tt.where(mask, tt.full_like(result, math.inf), result)


def _infinite_like(p, q):
    shape = tt.broadcast_shapes(p.batch_shape, q.batch_shape)
    return tt.full(tuple(shape), math.inf, dtype=p.mean.dtype)


# ---- same family -------------------------------------------------------------------------


@register_kl(Bernoulli, Bernoulli)
def kl_bernoulli_bernoulli(p, q):
    """``KL`` of two Bernoullis (finite unless ``q`` puts zero mass where ``p`` has some)."""
    t1 = p.probs * (_softplus(-q.logits) - _softplus(-p.logits))
    t1 = tt.where(q.probs == 0, tt.full_like(t1, math.inf), t1)
    t1 = tt.where(p.probs == 0, tt.zeros_like(t1), t1)
    t2 = (1 - p.probs) * (_softplus(q.logits) - _softplus(p.logits))
    t2 = tt.where(q.probs == 1, tt.full_like(t2, math.inf), t2)
    t2 = tt.where(p.probs == 1, tt.zeros_like(t2), t2)
    return t1 + t2


@register_kl(Binomial, Binomial)
def kl_binomial_binomial(p, q):
    """``KL`` of two Binomials (``inf`` where ``p`` can exceed ``q``'s count)."""
    if bool((p.total_count < q.total_count).any()):
        raise NotImplementedError(
            "KL between Binomials where q.total_count > p.total_count is not implemented"
        )
    kl = p.total_count * (p.probs * (p.logits - q.logits) + tt.log1p(-p.probs) - tt.log1p(-q.probs))
    return _inf_where(kl, p.total_count > q.total_count)


@register_kl(Categorical, Categorical)
def kl_categorical_categorical(p, q):
    """``KL`` of two Categoricals over the same categories."""
    t = p.probs * (p.logits - q.logits)
    t = tt.where((q.probs == 0).expand_as(t), tt.full_like(t, math.inf), t)
    t = tt.where((p.probs == 0).expand_as(t), tt.zeros_like(t), t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def kl_onehotcategorical_onehotcategorical(p, q):
    """``KL`` of two OneHotCategoricals (that of their Categoricals)."""
    return kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Exponential, Exponential)
def kl_exponential_exponential(p, q):
    """``KL`` of two Exponentials: ``log(rp/rq) + rq/rp - 1``."""
    rate_ratio = q.rate / p.rate
    return rate_ratio - 1 - tt.log(rate_ratio)


@register_kl(Laplace, Laplace)
def kl_laplace_laplace(p, q):
    """``KL`` of two Laplace distributions."""
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t1 = -tt.log(scale_ratio)
    t2 = loc_abs_diff / q.scale
    t3 = scale_ratio * tt.exp(-loc_abs_diff / p.scale)
    return t1 + t2 + t3 - 1


@register_kl(Normal, Normal)
def kl_normal_normal(p, q):
    """``KL`` of two Normals: ``(r - 1 - log r + ((mp - mq) / sq)**2) / 2``, ``r = (sp/sq)**2``."""
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - tt.log(var_ratio))


@register_kl(Poisson, Poisson)
def kl_poisson_poisson(p, q):
    """``KL`` of two Poissons: ``rp * (log rp - log rq) - (rp - rq)``."""
    return p.rate * (tt.log(p.rate) - tt.log(q.rate)) - (p.rate - q.rate)


@register_kl(Uniform, Uniform)
def kl_uniform_uniform(p, q):
    """``KL`` of two Uniforms (``inf`` unless ``p``'s interval lies inside ``q``'s)."""
    result = tt.log((q.high - q.low) / (p.high - p.low))
    return _inf_where(result, (q.low > p.low) | (q.high < p.high))


# ---- across families ---------------------------------------------------------------------


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
