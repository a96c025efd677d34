"""Continuous location/scale families with closed forms: ``Normal``, ``Uniform``,
``Exponential``, ``Laplace``."""

from __future__ import annotations

import math
from numbers import Number

import tinytensor as tt
from tinytensor.distributions import constraints
from tinytensor.distributions.distribution import Distribution
from tinytensor.distributions.utils import (
    _standard_normal,
    _uniform,
    broadcast_all,
)

__all__ = ["Normal", "Uniform", "Exponential", "Laplace"]


def _batch_of(broadcast, *params):
    """The batch shape: ``()`` when every parameter was a number, else the broadcast shape."""
    return tt.Size() if all(isinstance(p, Number) for p in params) else broadcast.shape


def _new(dist, cls, batch_shape, _instance, **params):
    new = dist._get_checked_instance(cls, _instance)
    batch_shape = tt.Size(batch_shape)
    for name, value in params.items():
        setattr(new, name, value.expand(batch_shape))
    Distribution.__init__(new, batch_shape, validate_args=False)
    new._validate_args = dist._validate_args
    return new


class Normal(Distribution):
    """The normal (Gaussian) distribution with mean ``loc`` and standard deviation ``scale``.

    >>> _ = tt.manual_seed(0)
    >>> m = tt.distributions.Normal(tt.tensor([0.0]), tt.tensor([1.0]))
    >>> m.log_prob(tt.tensor([0.0]))
    tensor([-0.9189])"""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = _batch_of(self.loc, loc, scale)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _new(self, Normal, batch_shape, _instance, loc=self.loc, scale=self.scale)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def sample(self, sample_shape=tt.Size()):
        with tt.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=tt.Size()):
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        return (
            -((value - self.loc) ** 2) / (2 * var)
            - self.scale.log()
            - math.log(math.sqrt(2 * math.pi))
        )

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + tt.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * tt.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + tt.log(self.scale)


class Uniform(Distribution):
    """The continuous uniform distribution on the half-open interval ``[low, high)``.

    >>> m = tt.distributions.Uniform(tt.tensor([0.0]), tt.tensor([4.0]))
    >>> m.mean, m.entropy()
    (tensor([2.]), tensor([1.3863]))"""

    arg_constraints = {
        "low": constraints.dependent(is_discrete=False, event_dim=0),
        "high": constraints.dependent(is_discrete=False, event_dim=0),
    }
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        batch_shape = _batch_of(self.low, low, high)
        if validate_args is None:
            validate_args = Distribution._validate_args
        if validate_args and not bool(tt.lt(self.low, self.high).all()):
            raise ValueError("Uniform is not defined when low>= high")
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _new(self, Uniform, batch_shape, _instance, low=self.low, high=self.high)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return float("nan") * self.high

    @property
    def stddev(self):
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=tt.Size()):
        shape = self._extended_shape(sample_shape)
        rand = _uniform(shape, self.low)
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        inside = self.low.le(value) & self.high.gt(value)
        # log of the indicator: 0 inside [low, high), -inf outside (without taking log(0)).
        log_indicator = tt.where(inside, tt.zeros_like(inside, dtype=self.low.dtype), float("-inf"))
        return log_indicator - tt.log(self.high - self.low)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        result = (value - self.low) / (self.high - self.low)
        return result.clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return tt.log(self.high - self.low)


class Exponential(Distribution):
    """The exponential distribution with ``rate`` (density ``rate * exp(-rate * x)``).

    >>> m = tt.distributions.Exponential(tt.tensor([2.0]))
    >>> m.mean, m.cdf(tt.tensor([0.5]))
    (tensor([0.5000]), tensor([0.6321]))"""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        batch_shape = _batch_of(self.rate, rate)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _new(self, Exponential, batch_shape, _instance, rate=self.rate)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return tt.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=tt.Size()):
        shape = self._extended_shape(sample_shape)
        u = _uniform(shape, self.rate)
        return -tt.log1p(-u) / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - tt.exp(-self.rate * value)

    def icdf(self, value):
        return -tt.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - tt.log(self.rate)


class Laplace(Distribution):
    """The Laplace distribution with location ``loc`` and scale ``scale`` (density
    ``exp(-|x - loc| / scale) / (2 * scale)``).

    >>> m = tt.distributions.Laplace(tt.tensor([0.0]), tt.tensor([1.0]))
    >>> m.variance, m.cdf(tt.tensor([0.0]))
    (tensor([2.]), tensor([0.5000]))"""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = _batch_of(self.loc, loc, scale)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return _new(self, Laplace, batch_shape, _instance, loc=self.loc, scale=self.scale)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2**0.5) * self.scale

    def rsample(self, sample_shape=tt.Size()):
        shape = self._extended_shape(sample_shape)
        eps = tt.finfo(self.loc.dtype).eps
        # u uniform in (-1, 1): 2 * [0, 1) - 1 moved off -1.
        u = (_uniform(shape, self.loc) * 2 - 1).clamp(min=eps - 1)
        return self.loc - self.scale * u.sign() * tt.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -tt.log(2 * self.scale) - tt.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * tt.expm1(
            -(value - self.loc).abs() / self.scale
        )

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * tt.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + tt.log(2 * self.scale)
