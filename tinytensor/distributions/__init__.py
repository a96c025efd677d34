"""``tinytensor.distributions``: probability distributions with PyTorch's API
(``torch.distributions``): sampling (``rsample`` reparameterised, differentiable), ``log_prob``,
``entropy``, moments, ``cdf``/``icdf``, shapes, argument validation, transforms and
``kl_divergence``. Every sampler draws from tinytensor's one generator (``tt.manual_seed``)."""

from tinytensor.distributions import (
    constraints,
    kl_cross,  # noqa: F401 (registers the cross-family pairs)
    transforms,
)
from tinytensor.distributions.constraint_registry import biject_to, transform_to
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
from tinytensor.distributions.gamma import Beta, Dirichlet, Gamma
from tinytensor.distributions.independent import Independent
from tinytensor.distributions.kl import kl_divergence, register_kl
from tinytensor.distributions.multivariate_normal import MultivariateNormal
from tinytensor.distributions.relaxed import (
    ExpRelaxedCategorical,
    LogitRelaxedBernoulli,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from tinytensor.distributions.transformed_distribution import LogNormal, TransformedDistribution
from tinytensor.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    ComposeTransform,
    ExpTransform,
    IndependentTransform,
    PowerTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    identity_transform,
)

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "ComposeTransform",
    "Dirichlet",
    "Distribution",
    "ExpRelaxedCategorical",
    "ExpTransform",
    "Exponential",
    "Gamma",
    "Independent",
    "IndependentTransform",
    "Laplace",
    "LogNormal",
    "LogitRelaxedBernoulli",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Poisson",
    "PowerTransform",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StickBreakingTransform",
    "TanhTransform",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "biject_to",
    "constraint_registry",
    "constraints",
    "identity_transform",
    "kl_divergence",
    "register_kl",
    "transform_to",
    "transforms",
]
