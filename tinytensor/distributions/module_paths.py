"""PyTorch's per-family import paths (``torch.distributions.normal.Normal``,
``torch.distributions.categorical.Categorical``, ...): each is a small module object holding
the classes PyTorch keeps in its namesake file, registered so that ``import`` and ``from ...
import`` find it. Paths that are real files here (``gamma``, ``independent``, ``kl``,
``multivariate_normal``, ``transformed_distribution``, ``constraints``, ``transforms``,
``utils``, ``distribution``) need no entry."""

from __future__ import annotations

import sys
import types

__all__: list = []

# module name -> the classes PyTorch defines in it
PATHS = {
    "bernoulli": ["Bernoulli"],
    "beta": ["Beta"],
    "binomial": ["Binomial"],
    "categorical": ["Categorical"],
    "dirichlet": ["Dirichlet"],
    "exponential": ["Exponential"],
    "laplace": ["Laplace"],
    "log_normal": ["LogNormal"],
    "normal": ["Normal"],
    "one_hot_categorical": ["OneHotCategorical", "OneHotCategoricalStraightThrough"],
    "poisson": ["Poisson"],
    "relaxed_bernoulli": ["RelaxedBernoulli", "LogitRelaxedBernoulli"],
    "relaxed_categorical": ["RelaxedOneHotCategorical", "ExpRelaxedCategorical"],
    "uniform": ["Uniform"],
}


def install(package):
    """Create and register the modules of ``PATHS`` under ``package`` (the distributions
    package object)."""
    for short, names in PATHS.items():
        full = f"{package.__name__}.{short}"
        module = sys.modules.get(full)
        if module is None:
            module = types.ModuleType(
                full, f"PyTorch's import path torch.distributions.{short}: {', '.join(names)}."
            )
            for name in names:
                setattr(module, name, getattr(package, name))
            module.__all__ = list(names)
            sys.modules[full] = module
        setattr(package, short, module)
