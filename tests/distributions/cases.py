"""The parameter sets the distribution tests share: one row per family, float64 throughout.

Each case: (family name, parameters, values where log_prob/cdf are evaluated). Parameters
are lists (made into tensors) or plain numbers; values are lists broadcastable with the batch.
"""

from __future__ import annotations

import numpy as np

import tinytensor as tt

UNIVARIATE = [
    ("Normal", {"loc": [0.0, 1.5, -2.0], "scale": [1.0, 0.5, 3.0]}, [0.3, 1.0, -4.0]),
    ("Uniform", {"low": [0.0, -1.0, 2.0], "high": [1.0, 3.0, 2.5]}, [0.3, 2.9, 2.2]),
    ("Exponential", {"rate": [1.0, 0.5, 4.0]}, [0.3, 2.0, 0.01]),
    ("Laplace", {"loc": [0.0, 1.5, -2.0], "scale": [1.0, 0.5, 3.0]}, [0.3, 1.0, -4.0]),
    ("Bernoulli", {"probs": [0.1, 0.5, 0.9]}, [0.0, 1.0, 1.0]),
    ("Bernoulli", {"logits": [-2.0, 0.0, 3.0]}, [1.0, 0.0, 1.0]),
    ("Binomial", {"total_count": [10.0, 10.0, 10.0], "probs": [0.1, 0.5, 0.9]}, [0.0, 5.0, 8.0]),
    ("Binomial", {"total_count": 7, "logits": [-1.0, 0.5, 2.0]}, [3.0, 7.0, 6.0]),
    ("Poisson", {"rate": [0.5, 3.0, 12.0]}, [0.0, 2.0, 15.0]),
]

CATEGORICAL = [
    ("Categorical", {"probs": [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]}, [2, 0]),
    ("Categorical", {"logits": [[1.0, -1.0, 0.5], [0.0, 2.0, -3.0]]}, [1, 2]),
]


def make(module, name, params, dtype):
    """Build ``module.<name>(**params)`` with list parameters as ``dtype`` tensors
    (``module`` is tinytensor.distributions or torch.distributions)."""
    tensor = tt.tensor if module.__name__.startswith("tinytensor") else _torch_tensor
    kwargs = {
        k: (tensor(np.asarray(v, dtype=np.float64), dtype) if isinstance(v, list) else v)
        for k, v in params.items()
    }
    return getattr(module, name)(**kwargs)


def _torch_tensor(array, dtype):
    import torch

    return torch.tensor(array, dtype=dtype)
