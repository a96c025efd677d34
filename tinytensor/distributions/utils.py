"""Helpers shared by the distributions: broadcasting parameters, probabilities <-> logits,
the right-most sum, a cached property, and the random draws (all from tinytensor's one
generator, so ``tt.manual_seed`` makes sampling repeatable)."""

from __future__ import annotations

import math
from numbers import Number

import numpy as np

import tinytensor as tt
from tinytensor.core.random import rng

__all__ = [
    "broadcast_all",
    "logits_to_probs",
    "probs_to_logits",
    "clamp_probs",
    "lazy_property",
]


def broadcast_all(*values):
    """Broadcast tensors and numbers to one shape; numbers become tensors of the first tensor's
    dtype (or the default dtype when all are numbers).

    >>> [v.shape for v in broadcast_all(tt.zeros(2, 1), 1.0, tt.zeros(3))]
    [tinytensor.Size([2, 3]), tinytensor.Size([2, 3]), tinytensor.Size([2, 3])]"""
    if not all(isinstance(v, (tt.Tensor, Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of numbers.Number or tinytensor.Tensor, got "
            + ", ".join(type(v).__name__ for v in values)
        )
    if not any(isinstance(v, tt.Tensor) for v in values):
        dtype = tt.get_default_dtype()
        return tuple(tt.tensor(float(v), dtype=dtype) for v in values)
    dtype = next(v.dtype for v in values if isinstance(v, tt.Tensor))
    tensors = [v if isinstance(v, tt.Tensor) else tt.tensor(float(v), dtype=dtype) for v in values]
    return tuple(tt.broadcast_tensors(*tensors))


def _tiny_eps(dtype):
    return tt.finfo(dtype).eps


def clamp_probs(probs):
    """Clamp probabilities into ``[eps, 1 - eps]`` of their dtype (so their logs are finite)."""
    eps = _tiny_eps(probs.dtype)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: ``sigmoid`` when ``is_binary``, else ``softmax`` over the
    last dimension."""
    if is_binary:
        return tt.sigmoid(logits)
    return tt.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities (clamped first): ``log(p) - log1p(-p)`` when ``is_binary``,
    else ``log(p)``."""
    ps = clamp_probs(probs)
    if is_binary:
        return tt.log(ps) - tt.log1p(-ps)
    return tt.log(ps)


class lazy_property:  # noqa: N801 (PyTorch's name)
    """A property computed on first access and then stored on the instance (so ``probs`` and
    ``logits`` of a distribution built from the other are computed once)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with tt.enable_grad():
            value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def _clamp_by_zero(x):
    """``max(x, 0)`` whose gradient at 0 is 1/2 (the average of the one-sided slopes), so the
    softplus below has the exact derivative ``sigmoid(x)`` everywhere, 0 included."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


def _softplus(x):
    """``log(1 + exp(x))``, finite for large ``|x|``."""
    return _clamp_by_zero(x) + tt.log1p(tt.exp(-x.abs()))


def _xlogy(x, y):
    """``x * log(y)`` (0 where ``x == 0``) whose gradient in ``x`` is ``log(y)`` wherever
    ``y > 0``, ``x == 0`` included, as torch.xlogy's; tinytensor's xlogy gives 0 there, which
    would drop ``d log_prob / d concentration`` at concentration 1."""
    positive = y > 0
    safe_y = tt.where(positive, y, tt.ones_like(y))
    return tt.where(positive, x * tt.log(safe_y), tt.xlogy(x, y))


def _sum_rightmost(value, dim):
    """Sum ``value`` over its ``dim`` right-most dimensions (``dim == 0``: unchanged)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.dim() - dim]) + (-1,)).sum(-1)


def _as_tensor(array, like):
    return tt.tensor(np.asarray(array), dtype=like.dtype)


def _standard_normal(shape, like):
    return _as_tensor(rng().standard_normal(tuple(shape)), like)


def _uniform(shape, like):
    """Uniform draws in ``[0, 1)`` shaped ``shape`` in ``like``'s dtype (drawn in that dtype,
    so rounding never gives 1)."""
    np_dtype = np.float32 if like.dtype == tt.float32 else np.float64
    u = rng().random(tuple(shape), dtype=np_dtype)
    return tt.tensor(u, dtype=like.dtype)


def _numpy(t):
    return t.detach().numpy()


LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
