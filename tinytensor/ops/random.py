"""Random tensors: ``rand``/``randn``/``randint``/``randperm``/``normal`` and their ``_like`` forms,
sampling from distributions given by tensors (``bernoulli``, ``multinomial``, ``poisson``,
``binomial``), and the samplers behind the in-place ``random_``/``bernoulli_``/``exponential_``...
methods. Samples carry no gradient except ``normal``'s (to mean and std), as in PyTorch. Every
draw goes through ``rng(generator)``, so ``manual_seed`` (re-exported here with the generator
API) makes them reproducible."""

from __future__ import annotations

import numbers

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, rng
from tinytensor.core.device import check_device
from tinytensor.core.layout import format_order, laid_out
from tinytensor.core.random import (
    Generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from tinytensor.ops._util import as_tensor
from tinytensor.ops.creation import float_dtype, made, shape_args

__all__ = [
    "Generator",
    "bernoulli",
    "binomial",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "multinomial",
    "normal",
    "poisson",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "seed",
    "set_rng_state",
]


def rand(
    *sizes, size=None, generator=None, dtype=None, requires_grad=False, device=None
) -> TensorBase:
    """Samples of the uniform distribution on [0, 1), of shape ``size`` (ints or one tuple).

    Args:
        generator: a ``tt.Generator`` to draw from; the global one (``tt.manual_seed``) if None.
        dtype: a floating dtype, ``get_default_dtype()`` (float32) if None.
        requires_grad: make the result a leaf that records operations.

    >>> g = tt.Generator().manual_seed(1)
    >>> tt.rand(2, generator=g)
    tensor([0.5118, 0.9505])
    """
    check_device(device, "rand")
    shape = shape_args(sizes, "rand", size)
    attrs = {"shape": shape, "dtype": float_dtype(dtype, "rand").np, "generator": generator}
    return made(RAND, (), attrs, requires_grad)


# The random kernels draw from ``rng(generator)`` when they run (the global generator for
# None), so a compiled program draws fresh numbers on every call.
def _drawn(draw, shape, dtype, order):
    """``draw(shape)`` cast to ``dtype``; ``order`` (a ``*_like``'s layout, None for C order)
    draws in that dim order."""

    def make(s):
        return draw(s).astype(dtype, copy=False)

    return make(shape) if order is None else laid_out(make, shape, order)


def _rand_kernel(shape, dtype, generator, order=None):
    return _drawn(rng(generator).random, shape, dtype, order)


def _randn_kernel(shape, dtype, generator, order=None):
    return _drawn(rng(generator).standard_normal, shape, dtype, order)


def _randint_kernel(low, high, shape, dtype, generator, order=None):
    return _drawn(lambda s: rng(generator).integers(low, high, s), shape, dtype, order)


RAND = Primitive("Rand", _rand_kernel, random=True)
RANDN = Primitive("Randn", _randn_kernel, random=True)
RANDINT = Primitive("Randint", _randint_kernel, random=True)


def randn(
    *sizes, size=None, generator=None, dtype=None, requires_grad=False, device=None
) -> TensorBase:
    """Samples of the standard normal distribution N(0, 1), of shape ``size`` (ints or one
    tuple); the keyword arguments are ``rand``'s.

    >>> tt.randn(2, 3).shape
    tinytensor.Size([2, 3])
    """
    check_device(device, "randn")
    shape = shape_args(sizes, "randn", size)
    attrs = {"shape": shape, "dtype": float_dtype(dtype, "randn").np, "generator": generator}
    return made(RANDN, (), attrs, requires_grad)


def randint(
    low=None,
    high=None,
    size=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> TensorBase:
    """Integers drawn uniformly from [low, high), of shape ``size`` (a tuple, required): int64
    unless ``dtype`` is given. As in PyTorch, ``randint(high, size)`` draws from [0, high) and
    ``randint(low, high, size)`` from [low, high).

    Args:
        low: the smallest value drawn (0 when only ``high`` is given).
        high: one more than the largest value drawn.
        size: the shape of the result, a tuple or list of ints.
        generator: a ``tt.Generator`` to draw from; the global one (``tt.manual_seed``) if None.
        dtype: the result's dtype (int64 if None); a floating dtype holds the same integers.
        requires_grad: make the result a leaf that records operations (floating dtypes only).

    >>> g = tt.Generator().manual_seed(0)
    >>> tt.randint(0, 10, (3,), generator=g)
    tensor([8, 6, 5])
    >>> tt.randint(5, (2, 2)).shape
    tinytensor.Size([2, 2])
    """
    check_device(device, "randint")
    if isinstance(high, (tuple, list)) and size is None:
        low, high, size = None, low, high  # randint(high, size)
    if high is None:
        low, high = None, low  # randint(high, size=...) or randint(high=..., ...)
    if high is None:
        raise TypeError("randint: high is required, e.g. randint(10, (3,)) or randint(0, 10, (3,))")
    low = 0 if low is None else _int_bound(low, "low")
    high = _int_bound(high, "high")
    if size is None:
        raise TypeError("randint: size is required, e.g. randint(0, 10, (3,))")
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    shape = shape_args((tuple(size),) if isinstance(size, (list, tuple)) else (size,), "randint")
    attrs = {"shape": shape, "dtype": dt.np, "generator": generator}
    return made(RANDINT, (low, high), attrs, requires_grad)


def _int_bound(v, name):
    """``randint``'s ``low``/``high`` as an int: an int or a one-element integer tensor."""
    if isinstance(v, TensorBase) and v.numel() == 1 and v._data.dtype.kind in "iu":
        v = v.item()
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise TypeError(f"randint: argument '{name}' must be an int, got {v!r}")
    return int(v)


def randperm(
    n,
    generator=None,
    dtype=None,
    *,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> TensorBase:
    """A random permutation of ``0, 1, ..., n - 1`` (int64 unless ``dtype`` is given), drawn from
    ``generator`` or the global generator.

    >>> _ = tt.manual_seed(0)
    >>> tt.randperm(5)
    tensor([2, 4, 3, 0, 1])"""
    check_device(device, "randperm")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative int, got {n!r}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    return made(RANDPERM, (), {"n": int(n), "dtype": dt.np, "generator": generator})


def _randperm_kernel(n, dtype, generator):
    return rng(generator).permutation(n).astype(dtype)


RANDPERM = Primitive("Randperm", _randperm_kernel, random=True)


def normal(
    mean,
    std=1.0,
    size=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
) -> TensorBase:
    """Samples of the normal distribution N(``mean``, ``std``²), in PyTorch's four forms:

    - ``normal(mean_tensor, std_tensor)``: one sample per element, mean and std broadcast
      together; the result has ``mean``'s dtype (which must be floating).
    - ``normal(mean_tensor, std=1.0)`` and ``normal(mean_float, std_tensor)``: the number is
      used for every element; the result has the tensor's shape and dtype.
    - ``normal(mean_float, std_float, size)``: a tensor of shape ``size`` (required), in
      ``dtype`` or the default float dtype.

    ``std`` must be >= 0 everywhere. Draws from ``generator`` or the global generator
    (``tt.manual_seed``). The samples carry no gradient: a ``mean`` or ``std`` that requires
    grad gets a zero gradient, as in PyTorch.

    >>> tt.normal(2.0, 0.5, size=(3,)).shape
    tinytensor.Size([3])
    >>> tt.normal(tt.zeros(2, 1), tt.ones(3)).shape
    tinytensor.Size([2, 3])"""
    mt, st = isinstance(mean, TensorBase), isinstance(std, TensorBase)
    if not (mt or st):
        for name, v in (("mean", mean), ("std", std)):
            if not isinstance(v, numbers.Real):
                raise TypeError(f"normal: {name} must be a Tensor or a number, got {v!r}")
        if size is None:
            raise TypeError(
                "normal: size is required when mean and std are numbers, e.g. "
                "normal(0.0, 1.0, (3,)); or pass a tensor as mean or std"
            )
        _check_std(std)
        check_device(device, "normal")
        shape = shape_args((tuple(size),) if isinstance(size, (list, tuple)) else (size,), "normal")
        attrs = {"shape": shape, "dtype": float_dtype(dtype, "normal").np, "generator": generator}
        return made(NORMAL, (mean, std), attrs, requires_grad)
    if size is not None or dtype is not None or requires_grad:
        raise TypeError(
            "normal: size=, dtype= and requires_grad= go with a float mean and std only; with a "
            "tensor mean or std the result takes its shape and dtype"
        )
    for name, v, is_t in (("mean", mean, mt), ("std", std, st)):
        if not is_t and not isinstance(v, numbers.Real):
            raise TypeError(f"normal: {name} must be a Tensor or a number, got {v!r}")
    out_dt = (mean if mt else std)._data.dtype
    if out_dt.kind != "f":
        raise RuntimeError(
            f"normal: expected a floating-point {'mean' if mt else 'std'}, got "
            f"{D.from_numpy_dtype(out_dt)}"
        )
    m = mean._data if mt else mean
    sd = std._data if st else std
    _check_std(sd)
    try:
        shape = np.broadcast_shapes(np.shape(m), np.shape(sd))
    except ValueError:
        raise RuntimeError(
            f"normal: mean of shape {tuple(np.shape(m))} and std of shape {tuple(np.shape(sd))} "
            "don't broadcast"
        ) from None
    saved = (mean.shape if mt else None, std.shape if st else None)
    attrs = {"shape": shape, "dtype": out_dt, "generator": generator}
    return NORMAL.apply((mean, std), (m, sd), saved, attrs)


def _normal_kernel(mean, std, shape, dtype, generator):
    return np.asarray(rng(generator).normal(mean, std, shape)).astype(dtype, copy=False)


def _check_std(std):
    if not np.all(np.asarray(std) >= 0):
        got = f", got std {std!r}" if np.ndim(std) == 0 else ""
        raise RuntimeError(f"normal: expected all elements of std >= 0.0{got}")


def _normal_backward(g, mean_shape, std_shape):
    # A sample does not depend on mean and std differentiably here: PyTorch gives zeros.
    return tuple(None if s is None else g.new_zeros(s) for s in (mean_shape, std_shape))


NORMAL = Primitive("Normal", _normal_kernel, _normal_backward, random=True)


def _probabilities(p, name):
    arr = np.asarray(p._data if isinstance(p, TensorBase) else p, dtype=np.float64)
    if np.any(~((arr >= 0) & (arr <= 1))):
        raise RuntimeError(f"{name}: expected 0 <= p <= 1, got values outside [0, 1]")
    return arr


def bernoulli(input, p=None, *, generator=None, out=None):  # noqa: A002 - PyTorch's names
    """Zeros and ones, one with probability ``input`` (or ``p``) elementwise; input's dtype."""
    t = as_tensor(input, "bernoulli")
    src = t if p is None else p
    _probabilities(src, "bernoulli")
    dt = t._data.dtype if t._data.dtype.kind == "f" else D.get_default_dtype().np
    p_arg = src._data if isinstance(src, TensorBase) else src
    attrs = {"shape": t.shape, "dtype": dt, "generator": generator}
    return BERNOULLI.apply((t, src), (p_arg,), (), attrs)


def _bernoulli_kernel(p, shape, dtype, generator):
    return (rng(generator).random(shape) < np.asarray(p, dtype=np.float64)).astype(dtype)


BERNOULLI = Primitive("Bernoulli", _bernoulli_kernel, random=True)


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
    for row in w:
        if row.sum() <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of probs <= 0)")
        if not replacement and np.count_nonzero(row) < num_samples:
            raise RuntimeError(
                "multinomial: invalid multinomial distribution (with replacement=False, not "
                "enough non-negative category to sample)"
            )
    attrs = {"num_samples": num_samples, "replacement": replacement, "generator": generator}
    return MULTINOMIAL.apply((t,), (t._data,), (), attrs)


def _multinomial_kernel(weights, num_samples, replacement, generator):
    gen = rng(generator)
    rows = []
    for row in np.atleast_2d(weights.astype(np.float64)):
        p = row / row.sum()
        rows.append(gen.choice(row.size, num_samples, replace=replacement, p=p))
    samples = np.asarray(rows, dtype=np.int64)
    return samples[0] if weights.ndim == 1 else samples


MULTINOMIAL = Primitive("Multinomial", _multinomial_kernel, random=True)


def poisson(input, generator=None):  # noqa: A002
    """Counts drawn from Poisson(rate = ``input``) elementwise, in input's dtype."""
    t = as_tensor(input, "poisson")
    if np.any(t._data < 0):
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative")
    return POISSON.apply((t,), (t._data,), (), {"generator": generator})


def _poisson_kernel(rate, generator):
    return rng(generator).poisson(rate).astype(rate.dtype)


POISSON = Primitive("Poisson", _poisson_kernel, random=True)


def binomial(count, prob, generator=None):
    """Successes in ``count`` trials with success probability ``prob``, elementwise."""
    c, p = as_tensor(count, "binomial"), as_tensor(prob, "binomial")
    _probabilities(p, "binomial")
    return BINOMIAL.apply((c, p), (c._data, p._data), (), {"generator": generator})


def _binomial_kernel(count, prob, generator):
    draw = rng(generator).binomial(count.astype(np.int64), prob.astype(np.float64))
    return draw.astype(count.dtype)


BINOMIAL = Primitive("Binomial", _binomial_kernel, random=True)


def _sample_like(input, dtype, device, name, memory_format, generator):
    """The attributes of a ``*_like`` draw: ``input``'s shape, its dtype unless given, the
    generator, and the dim order of ``memory_format`` (None, ``preserve_format``: ``input``'s
    own stride order, as PyTorch) when it is not C order."""
    check_device(device, name)
    t = as_tensor(input, name)
    dt = t._data.dtype if dtype is None else D.to_dtype(dtype).np
    attrs = {"shape": t.shape, "dtype": dt, "generator": generator}
    order = format_order(t._data, memory_format, name)
    if order != tuple(range(t.ndim)):
        attrs["order"] = order
    return attrs


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,  # noqa: A002
              memory_format=None, generator=None):  # fmt: skip
    """Uniform samples on [0, 1) with ``input``'s shape (and dtype unless given), laid out as
    ``memory_format`` says (the default follows ``input``'s stride order, as PyTorch)."""
    attrs = _sample_like(input, dtype, device, "rand_like", memory_format, generator)
    return made(RAND, (), attrs, requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,  # noqa: A002
               memory_format=None, generator=None):  # fmt: skip
    """Standard normal samples with ``input``'s shape (and dtype unless given), laid out as
    ``rand_like``'s."""
    attrs = _sample_like(input, dtype, device, "randn_like", memory_format, generator)
    return made(RANDN, (), attrs, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,  # noqa: A002
                 requires_grad=False, memory_format=None, generator=None):  # fmt: skip
    """Integers from [low, high) with ``input``'s shape; ``randint_like(x, high)`` starts at 0."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint_like: expected low < high, got low={low}, high={high}")
    attrs = _sample_like(input, dtype, device, "randint_like", memory_format, generator)
    return made(RANDINT, (low, high), attrs, requires_grad)


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
