"""Discrete families: ``Bernoulli``, ``Binomial``, ``Categorical``, ``OneHotCategorical``
(and its straight-through form), ``Poisson``."""

from __future__ import annotations

from numbers import Number

import numpy as np

import tinytensor as tt
from tinytensor.core.random import rng
from tinytensor.distributions import constraints
from tinytensor.distributions.distribution import Distribution
from tinytensor.distributions.utils import (
    _numpy,
    _softplus,
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)

__all__ = [
    "Bernoulli",
    "Binomial",
    "Categorical",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Poisson",
]


def _one_of(name, probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError(f"{name}: Either `probs` or `logits` must be specified, but not both.")


def _bce_with_logits(logits, target):
    """Elementwise binary cross-entropy of ``target`` under ``sigmoid(logits)``."""
    return _softplus(logits) - logits * target


def _expand_params(dist, new, batch_shape, names):
    for name in names:
        if name in dist.__dict__:
            setattr(new, name, dist.__dict__[name].expand(batch_shape))


class Bernoulli(Distribution):
    """A coin with heads (1) probability ``probs`` (or ``sigmoid(logits)``).

    >>> m = tt.distributions.Bernoulli(probs=tt.tensor([0.25]))
    >>> m.log_prob(tt.tensor([1.0])), m.variance
    (tensor([-1.3863]), tensor([0.1875]))"""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Bernoulli", probs, logits)
        given = probs if probs is not None else logits
        is_scalar = isinstance(given, Number)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = tt.Size() if is_scalar else self._param.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Bernoulli, _instance)
        batch_shape = tt.Size(batch_shape)
        _expand_params(self, new, batch_shape, ("probs", "logits"))
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return tt.where(self.probs == 0.5, tt.full_like(mode, float("nan")), mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    def sample(self, sample_shape=tt.Size()):
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(_numpy(self.probs), tuple(shape))
        draws = rng().random(tuple(shape)) < p
        return tt.tensor(draws.astype(np.float64), dtype=self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = tt.broadcast_tensors(self.logits, value.to(self.logits.dtype))
        return -_bce_with_logits(logits, value)

    def entropy(self):
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        values = tt.arange(2, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values


class Binomial(Distribution):
    """The number of heads in ``total_count`` independent Bernoulli(``probs``) trials.

    >>> m = tt.distributions.Binomial(10, probs=tt.tensor([0.5]))
    >>> m.mean, m.variance
    (tensor([5.]), tensor([2.5000]))"""

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        _one_of("Binomial", probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Binomial, _instance)
        batch_shape = tt.Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        _expand_params(self, new, batch_shape, ("probs", "logits"))
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    def sample(self, sample_shape=tt.Size()):
        shape = tuple(self._extended_shape(sample_shape))
        n = np.broadcast_to(_numpy(self.total_count), shape).astype(np.int64)
        p = np.broadcast_to(_numpy(self.probs), shape)
        return tt.tensor(rng().binomial(n, p).astype(np.float64), dtype=self.probs.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_factorial_n = tt.lgamma(n + 1)
        log_factorial_k = tt.lgamma(value + 1)
        log_factorial_nmk = tt.lgamma(n - value + 1)
        # n * log(1 + exp(logits)) written so that it stays finite for large |logits|.
        normalize_term = n * _softplus(logits) - log_factorial_n
        return value * logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        total_count = int(self.total_count.max())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(tt.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`."
            )
        values = tt.arange(1 + total_count, dtype=self._param.dtype)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values


class Categorical(Distribution):
    """A draw from ``{0, ..., K-1}`` with probabilities ``probs`` (normalised over the last
    dimension) or ``softmax(logits)``.

    >>> m = tt.distributions.Categorical(probs=tt.tensor([0.25, 0.75]))
    >>> m.log_prob(tt.tensor(1)), m.entropy()
    (tensor(-0.2877), tensor(0.5623))"""

    arg_constraints = {
        "probs": constraints.simplex,
        "logits": constraints.independent(constraints.real, 1),
    }
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Categorical", probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            # Normalise so that logits are log-probabilities.
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.dim() > 1 else tt.Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = tt.Size(batch_shape)
        param_shape = tuple(batch_shape) + (self._num_events,)
        _expand_params(self, new, param_shape, ("probs", "logits"))
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return tt.full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return tt.full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=tt.Size()):
        sample_shape = tuple(tt.Size(sample_shape))
        probs = _numpy(self.probs).reshape(-1, self._num_events).astype(np.float64)
        cdf = np.cumsum(probs, axis=-1)
        cdf /= cdf[:, -1:]
        n = int(np.prod(sample_shape)) if sample_shape else 1
        u = rng().random((n, probs.shape[0]))
        # For each row, the first index whose cumulative probability exceeds u: row r's cdf is
        # shifted by r so one sorted search serves every row.
        rows = np.arange(len(cdf))
        idx = np.searchsorted((cdf + rows[:, None]).ravel(), u + rows, side="right")
        idx = np.minimum(idx - rows * self._num_events, self._num_events - 1)
        return tt.tensor(idx.reshape(tuple(self._extended_shape(sample_shape))), dtype=tt.int64)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = tt.broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        min_real = tt.finfo(self.logits.dtype).min
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = tt.arange(self._num_events, dtype=tt.int64)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values


class OneHotCategorical(Distribution):
    """``Categorical`` whose samples are one-hot vectors of length ``K``.

    >>> m = tt.distributions.OneHotCategorical(probs=tt.tensor([0.25, 0.75]))
    >>> m.log_prob(tt.tensor([0.0, 1.0])), m.mean
    (tensor(-0.2877), tensor([0.2500, 0.7500]))"""

    arg_constraints = {
        "probs": constraints.simplex,
        "logits": constraints.independent(constraints.real, 1),
    }
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(OneHotCategorical, _instance)
        batch_shape = tt.Size(batch_shape)
        new._categorical = self._categorical.expand(batch_shape)
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def mean(self):
        return self._categorical.probs

    @property
    def mode(self):
        probs = self._categorical.probs
        n = self.event_shape[0]
        return tt.eye(n, dtype=probs.dtype)[probs.argmax(dim=-1)]

    @property
    def variance(self):
        return self._categorical.probs * (1 - self._categorical.probs)

    @property
    def param_shape(self):
        return self._categorical.param_shape

    def sample(self, sample_shape=tt.Size()):
        probs = self._categorical.probs
        indices = self._categorical.sample(sample_shape)
        return tt.eye(self.event_shape[0], dtype=probs.dtype)[indices]

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        indices = value.max(-1)[1]
        return self._categorical.log_prob(indices)

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        n = self.event_shape[0]
        values = tt.eye(n, dtype=self._param.dtype)
        values = values.reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        if expand:
            values = values.expand((n,) + tuple(self.batch_shape) + (n,))
        return values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """``OneHotCategorical`` whose ``rsample`` passes gradients straight through: the forward
    value is the one-hot sample, the gradient that of ``probs``."""

    has_rsample = True

    def rsample(self, sample_shape=tt.Size()):
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())


class Poisson(Distribution):
    """The Poisson distribution with ``rate`` (mean and variance).

    >>> m = tt.distributions.Poisson(tt.tensor([2.0]))
    >>> m.log_prob(tt.tensor([0.0]))
    tensor([-2.])"""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        batch_shape = tt.Size() if isinstance(rate, Number) else rate.shape
        (self.rate,) = broadcast_all(rate)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Poisson, _instance)
        batch_shape = tt.Size(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=tt.Size()):
        shape = tuple(self._extended_shape(sample_shape))
        lam = np.broadcast_to(_numpy(self.rate), shape)
        return tt.tensor(rng().poisson(lam).astype(np.float64), dtype=self.rate.dtype)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - tt.lgamma(value + 1)
