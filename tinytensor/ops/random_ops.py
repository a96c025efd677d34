"""Sampling from distributions given by tensors: ``bernoulli``, ``multinomial``, ``poisson``,
``binomial``, the ``*_like`` random constructors, and the samplers behind the in-place
``random_``/``bernoulli_``/``exponential_``... methods. Samples carry no gradient, as in PyTorch.
Every draw goes through ``rng(generator)``, so ``manual_seed`` makes them reproducible.
"""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor.core import TensorBase, rng, wrap
from tinytensor.core.device import check_device
from tinytensor.ops._util import as_tensor


def _probabilities(p, name):
    arr = np.asarray(p._data if isinstance(p, TensorBase) else p, dtype=np.float64)
    if np.any(~((arr >= 0) & (arr <= 1))):
        raise RuntimeError(f"{name}: expected 0 <= p <= 1, got values outside [0, 1]")
    return arr


def bernoulli(input, p=None, *, generator=None, out=None):  # noqa: A002 - PyTorch's names
    """Zeros and ones, one with probability ``input`` (or ``p``) elementwise; input's dtype."""
    t = as_tensor(input, "bernoulli")
    probs = _probabilities(t if p is None else p, "bernoulli")
    draw = rng(generator).random(t.shape) < probs
    dt = t._data.dtype if t._data.dtype.kind == "f" else D.get_default_dtype().np
    return wrap(draw.astype(dt))


def multinomial(input, num_samples, replacement=False, *, generator=None):  # noqa: A002
    """Indices drawn from the categorical distribution(s) with weights ``input`` (1-D or 2-D,
    non-negative, not necessarily normalised); int64, one row of samples per row of weights."""
    t = as_tensor(input, "multinomial")
    if t.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {t.ndim} dims")
    w = np.atleast_2d(t._data.astype(np.float64))
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise RuntimeError("multinomial: probability tensor contains inf, nan or element < 0")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples, got {num_samples}")
    if not replacement and num_samples > w.shape[1]:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without "
            f"replacement (n_sample={num_samples}, categories={w.shape[1]})"
        )
    gen = rng(generator)
    rows = []
    for row in w:
        total = row.sum()
        if total <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probs <= 0)")
        if not replacement and np.count_nonzero(row) < num_samples:
            raise RuntimeError(
                "multinomial: invalid multinomial distribution (with replacement=False, not "
                "enough non-negative category to sample)"
            )
        rows.append(gen.choice(row.size, num_samples, replace=replacement, p=row / total))
    samples = np.asarray(rows, dtype=np.int64)
    return wrap(samples[0] if t.ndim == 1 else samples)


def poisson(input, generator=None):  # noqa: A002
    """Counts drawn from Poisson(rate = ``input``) elementwise, in input's dtype."""
    t = as_tensor(input, "poisson")
    if np.any(t._data < 0):
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative")
    return wrap(rng(generator).poisson(t._data).astype(t._data.dtype))


def binomial(count, prob, generator=None):
    """Successes in ``count`` trials with success probability ``prob``, elementwise."""
    c, p = as_tensor(count, "binomial"), as_tensor(prob, "binomial")
    probs = _probabilities(p, "binomial")
    return wrap(rng(generator).binomial(c._data.astype(np.int64), probs).astype(c._data.dtype))


def _like(input, dtype, device, name):
    check_device(device, name)
    t = as_tensor(input, name)
    return t.shape, (t._data.dtype if dtype is None else D.to_dtype(dtype).np)


def _finish(arr, requires_grad):
    out = wrap(arr)
    if requires_grad:
        out.requires_grad = True
    return out


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,  # noqa: A002
              memory_format=None, generator=None):  # fmt: skip
    """Uniform samples on [0, 1) with ``input``'s shape (and dtype unless given)."""
    shape, dt = _like(input, dtype, device, "rand_like")
    return _finish(rng(generator).random(shape).astype(dt), requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,  # noqa: A002
               memory_format=None, generator=None):  # fmt: skip
    """Standard normal samples with ``input``'s shape (and dtype unless given)."""
    shape, dt = _like(input, dtype, device, "randn_like")
    return _finish(rng(generator).standard_normal(shape).astype(dt), requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,  # noqa: A002
                 requires_grad=False, memory_format=None, generator=None):  # fmt: skip
    """Integers from [low, high) with ``input``'s shape; ``randint_like(x, high)`` starts at 0."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint_like: expected low < high, got low={low}, high={high}")
    shape, dt = _like(input, dtype, device, "randint_like")
    return _finish(rng(generator).integers(low, high, shape).astype(dt), requires_grad)


# --- samplers for the in-place methods (Tensor.random_, bernoulli_, ...) ----------------------


def random_values(t, low, high, generator=None):
    """Integers from [low, high) for ``t.random_``; ``high=None`` means the dtype's top: `2**m`
    for a float with an m-bit mantissa (every such integer is exact), the max for integers."""
    dt = t._data.dtype
    if high is None:
        if dt.kind == "f":
            high = 2 ** (np.finfo(dt).nmant + 1) + 1
        elif dt.kind == "b":
            high = 2
        else:
            high = int(np.iinfo(dt).max) + 1
    if high <= low:
        raise RuntimeError(f"random_: expected from < to, got from={low}, to={high}")
    if dt.kind in "iu" and (low < np.iinfo(dt).min or high - 1 > np.iinfo(dt).max):
        raise RuntimeError(
            f"random_: range [{low}, {high}) does not fit dtype {D.from_numpy_dtype(dt)}"
        )
    return rng(generator).integers(low, high, t.shape, dtype=np.int64 if high < 2**63 else None)


def bernoulli_values(t, p, generator=None):
    probs = _probabilities(p, "bernoulli_")
    return rng(generator).random(t.shape) < probs


def cauchy_values(t, median, sigma, generator=None):
    return median + sigma * rng(generator).standard_cauchy(t.shape)


def exponential_values(t, lambd, generator=None):
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return rng(generator).exponential(1.0 / lambd, t.shape)


def geometric_values(t, p, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return rng(generator).geometric(p, t.shape)


def log_normal_values(t, mean, std, generator=None):
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return rng(generator).lognormal(mean, std, t.shape)
