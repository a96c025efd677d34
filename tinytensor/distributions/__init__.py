"""``tinytensor.distributions``: probability distributions with PyTorch's API
(``torch.distributions``): sampling (``rsample`` reparameterised, differentiable), ``log_prob``,
``entropy``, moments, ``cdf``/``icdf``, shapes, argument validation, transforms and
``kl_divergence``. Every sampler draws from tinytensor's one generator (``tt.manual_seed``)."""

import sys

from tinytensor.distributions import (
    constraints,
    kl_cross,  # noqa: F401 (registers the cross-family pairs)
    transforms,
)
from tinytensor.distributions import module_paths as _module_paths
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

# PyTorch's families that tinytensor does not provide: asking for one says so and names what
# is here, instead of a bare "no attribute".
_NOT_PROVIDED = frozenset(
    "Cauchy Chi2 ContinuousBernoulli ExponentialFamily FisherSnedecor GeneralizedPareto "
    "Geometric Gumbel HalfCauchy HalfNormal InverseGamma Kumaraswamy LKJCholesky LogisticNormal "
    "LowRankMultivariateNormal MixtureSameFamily Multinomial NegativeBinomial Pareto StudentT "
    "VonMises Weibull Wishart CatTransform CorrCholeskyTransform CumulativeDistributionTransform "
    "LowerCholeskyTransform PositiveDefiniteTransform ReshapeTransform StackTransform".split()
)


def __getattr__(name):
    if name in _NOT_PROVIDED:
        families = ", ".join(
            n
            for n in __all__
            if n[0].isupper() and not n.endswith("Transform") and n != "Distribution"
        )
        raise AttributeError(
            f"tinytensor.distributions.{name} (torch.distributions.{name}) is not provided: "
            f"the families here are {families}; write its log-density with tensor ops, or "
            "build it as a TransformedDistribution of one of them"
        )
    raise AttributeError(f"module 'tinytensor.distributions' has no attribute {name!r}")


_module_paths.install(sys.modules[__name__])
