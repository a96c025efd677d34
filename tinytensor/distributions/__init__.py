"""``tinytensor.distributions``: probability distributions with PyTorch's API
(``torch.distributions``): sampling (``rsample`` reparameterised, differentiable), ``log_prob``,
``entropy``, moments, ``cdf``/``icdf``, shapes, argument validation, transforms and
``kl_divergence``. Every sampler draws from tinytensor's one generator (``tt.manual_seed``)."""

from tinytensor.distributions import constraints
from tinytensor.distributions.continuous import Exponential, Laplace, Normal, Uniform
from tinytensor.distributions.discrete import (
    Bernoulli,
    Binomial,
    Categorical,
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
    Poisson,
)
from tinytensor.distributions.distribution import Distribution
from tinytensor.distributions.kl import kl_divergence, register_kl

__all__ = [
    "Bernoulli",
    "Binomial",
    "Categorical",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Poisson",
    "Distribution",
    "Exponential",
    "Laplace",
    "Normal",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
