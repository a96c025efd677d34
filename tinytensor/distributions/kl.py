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
from tinytensor.distributions.gamma import Beta, Dirichlet, Gamma
from tinytensor.distributions.independent import Independent
from tinytensor.distributions.multivariate_normal import MultivariateNormal, _batch_mahalanobis
from tinytensor.distributions.transformed_distribution import TransformedDistribution
from tinytensor.distributions.utils import _softplus, _sum_rightmost

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


@register_kl(Beta, Beta)
def kl_beta_beta(p, q):
    """``KL`` of two Betas (that of their two-category Dirichlets)."""
    return kl_dirichlet_dirichlet(p._dirichlet, q._dirichlet)


@register_kl(Dirichlet, Dirichlet)
def kl_dirichlet_dirichlet(p, q):
    """``KL`` of two Dirichlets over the same number of categories."""
    a, b = p.concentration, q.concentration
    a0, b0 = a.sum(-1), b.sum(-1)
    t1 = tt.lgamma(a0) - tt.lgamma(b0)
    t2 = (tt.lgamma(a) - tt.lgamma(b)).sum(-1)
    t4 = tt.digamma(a) - tt.digamma(a0).unsqueeze(-1)
    return t1 - t2 + ((a - b) * t4).sum(-1)


@register_kl(Gamma, Gamma)
def kl_gamma_gamma(p, q):
    """``KL`` of two Gammas."""
    t1 = q.concentration * tt.log(p.rate / q.rate)
    t2 = tt.lgamma(q.concentration) - tt.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * tt.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(MultivariateNormal, MultivariateNormal)
def kl_multivariatenormal_multivariatenormal(p, q):
    """``KL`` of two MultivariateNormals of the same dimension:
    ``(log det Sq - log det Sp + tr(Sq^-1 Sp) + |Lq^-1 (mq - mp)|^2 - n) / 2``."""
    if p.event_shape != q.event_shape:
        raise ValueError(
            "KL-divergence between two Multivariate Normals with different event shapes "
            "cannot be computed"
        )
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = Lq.diagonal(dim1=-2, dim2=-1).log().sum(-1) - Lp.diagonal(
        dim1=-2, dim2=-1
    ).log().sum(-1)
    n = p.event_shape[0]
    shape = tuple(tt.broadcast_shapes(Lp.shape[:-2], Lq.shape[:-2])) + (n, n)
    # tr(Sq^-1 Sp) = |Lq^-1 Lp|_F^2
    term2 = tt.linalg.solve_triangular(Lq.expand(shape), Lp.expand(shape), upper=False)
    term2 = term2.pow(2).sum((-2, -1))
    term3 = _batch_mahalanobis(Lq, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Independent, Independent)
def kl_independent_independent(p, q):
    """``KL`` of two Independents reinterpreting the same dimensions: the base KL summed."""
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(
            "KL between Independents with different reinterpreted_batch_ndims is not implemented"
        )
    result = kl_divergence(p.base_dist, q.base_dist)
    return _sum_rightmost(result, p.reinterpreted_batch_ndims)


@register_kl(TransformedDistribution, TransformedDistribution)
def kl_transformed_transformed(p, q):
    """``KL`` of two TransformedDistributions with equal transforms: that of their bases
    (a bijection leaves KL unchanged)."""
    if p.transforms != q.transforms:
        raise NotImplementedError(
            "KL between TransformedDistributions with different transforms is not implemented"
        )
    if p.event_shape != q.event_shape:
        raise NotImplementedError(
            "KL between TransformedDistributions with different event shapes is not implemented"
        )
    extra_event_dim = len(p.event_shape) - len(p.base_dist.event_shape)
    base_kl = kl_divergence(p.base_dist, q.base_dist)
    return _sum_rightmost(base_kl, extra_event_dim)
