"""Statistics of a tensor's values: counts and histograms (``bincount``, ``histc``, ``histogram``,
``histogramdd``), covariance and correlation (``cov``, ``corrcoef``), and the NaN-skipping and
paired reductions ``nansum``, ``nanmean``, ``aminmax`` and ``count_nonzero`` (which join
ops/reduce.py when that module is regrouped)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tinytensor._dtype import get_default_dtype, to_dtype
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import compare as CMP
from tinytensor.ops import reduce as R
from tinytensor.ops import selection as SEL
from tinytensor.ops import shape as S
from tinytensor.ops import unary as UN
from tinytensor.ops._util import (
    all_dims_if_empty,
    as_tensor,
    check_float,
    check_nonempty_dims,
    norm_dim,
)
from tinytensor.ops.linalg import products as L
from tinytensor.ops.linalg.factorizations import diagonal

__all__ = [
    "aminmax",
    "bincount",
    "corrcoef",
    "count_nonzero",
    "cov",
    "histc",
    "histogram",
    "histogramdd",
    "nanmean",
    "nansum",
]


aminmax_result = namedtuple("aminmax", ["min", "max"])


def bincount(input, weights=None, minlength=0):
    """How often each non-negative int occurs (or the sum of its weights)."""
    x = as_tensor(input, "bincount")
    # PyTorch's checks, in its order: the dtype (no bool or floating kernel), minlength, then
    # an empty 1-d input gives int64 zeros whatever the weights, then the values and weights.
    if x._data.dtype.kind not in "iu":
        raise NotImplementedError(
            f"bincount: not implemented for dtype {x.dtype} (PyTorch has integer kernels only); "
            "convert the input with .long() first"
        )
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if x.ndim == 1 and x._data.size == 0:
        weights = None
    if x.ndim != 1:
        raise RuntimeError(
            f"bincount only supports 1-d non-negative integral inputs, got dtype {x.dtype} and "
            f"shape {tuple(x.shape)}"
        )
    if x._data.size and x._data.min() < 0:
        raise RuntimeError(f"bincount: input must be non-negative, got {int(x._data.min())}")
    if weights is None:
        return BINCOUNT.apply((x,), (x._data, None), (), {"minlength": minlength})
    w = as_tensor(weights, "bincount")
    if w.shape != x.shape:
        raise RuntimeError(
            f"bincount: weights should be 1-d and have the same length as input, got weights "
            f"{tuple(w.shape)} and input {tuple(x.shape)}"
        )
    return BINCOUNT.apply((x, w), (x._data, w._data), (), {"minlength": minlength})


def _bincount_kernel(x, w, minlength):
    if w is None:
        return np.bincount(x, minlength=minlength).astype(np.int64)
    # PyTorch sums float32 weights as float32 and every other dtype as float64
    return np.bincount(x, w, minlength).astype(np.float32 if w.dtype == np.float32 else np.float64)


# Its length is the largest value + 1: a compiled program breaks the graph here.
BINCOUNT = Primitive("Bincount", _bincount_kernel, data_dependent=True)


def histc(input, bins=100, min=0, max=0):
    """A histogram of ``bins`` equal bins over [min, max] (the data's range if min == max)."""
    x = as_tensor(input, "histc")
    check_float(x, "histc", NotImplementedError)  # PyTorch's class: no integer kernel
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, got {bins}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError(f"histc: max ({hi}) must be larger than or equal to min ({lo})")
    if lo == hi and x._data.size:  # the data's range (a check of the values, as PyTorch's)
        lo_used, hi_used = float(x._data.min()), float(x._data.max())
    else:
        lo_used, hi_used = lo, hi
    if not (np.isfinite(lo_used) and np.isfinite(hi_used)):
        where = "min and max" if lo != hi else "the input's smallest and largest values"
        raise RuntimeError(
            f"histc: range of [{lo_used}, {hi_used}] is not finite (from {where}); pass finite "
            "min and max, or drop the NaN and infinite values first"
        )
    return HISTC.apply((x,), (x._data,), (), {"bins": bins, "min": lo, "max": hi})


def _histc_kernel(x, bins, min, max):  # noqa: A002 - histc's own names
    lo, hi = min, max
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = np.histogram(x, bins=bins, range=(lo, hi))
    return counts.astype(x.dtype)


HISTC = Primitive("Histc", _histc_kernel)


def count_nonzero(input, dim=None):
    """How many elements are nonzero (over dim)."""
    x = as_tensor(input, "count_nonzero")
    axes = norm_dim(all_dims_if_empty(dim), x.ndim, "count_nonzero")
    return COUNT_NONZERO.apply((x,), (x._data,), (), {"dim": axes})


def _count_nonzero_kernel(x, dim):
    return np.asarray(np.count_nonzero(x, axis=dim)).astype(np.int64)


COUNT_NONZERO = Primitive("CountNonzero", _count_nonzero_kernel)


def aminmax(input, *, dim=None, keepdim=False):
    """(amin, amax) over dim (or all elements), each differentiable as amin/amax."""
    a = as_tensor(input, "aminmax")
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    if a._data.size == 0:
        axes = norm_dim(dim, a.ndim, "aminmax")
        check_nonempty_dims(a, dim, axes, "aminmax")
    return aminmax_result(R.amin(a, dim, keepdim), R.amax(a, dim, keepdim))


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """f(a) = sum of the non-NaN elements over dim;  da = g broadcast back, 0 at the NaNs"""
    a = as_tensor(input, "nansum")
    dim = all_dims_if_empty(dim)
    axes = norm_dim(dim, a.ndim, "nansum")
    if a._data.dtype.kind != "f":
        return R.sum(a, dim, keepdim, dtype)
    dt = None if dtype is None else to_dtype(dtype).np
    attrs = {"dim": axes, "keepdim": keepdim, "dtype": dt}
    return NANSUM.apply((a,), (a._data,), (a, axes, keepdim), attrs)


def _nansum_kernel(x, dim, keepdim, dtype):
    with np.errstate(invalid="ignore", over="ignore"):  # inf + -inf is NaN, quietly
        x = x if dtype is None else x.astype(dtype)
        return np.asarray(np.nansum(x, axis=dim, keepdims=keepdim))


def _nansum_backward(g, a, axes, keepdim):
    if not keepdim:
        g = S.reshape(g, tuple(1 if i in axes else s for i, s in enumerate(a.shape)))
    return (SEL.where(CMP.isnan(a), 0.0, S.expand(g, a.shape)),)


NANSUM = Primitive("Nansum", _nansum_kernel, _nansum_backward)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """f(a) = nansum(a) / the number of non-NaN elements, over dim"""
    a = as_tensor(input, "nanmean")
    if a._data.dtype.kind != "f":
        raise RuntimeError(
            f"nanmean(): expected a floating point input, got dtype {a.dtype}; convert it "
            "with .float()"
        )
    if dtype is not None and to_dtype(dtype).np.kind != "f":
        raise RuntimeError(f"nanmean(): dtype must be a floating point dtype, got {dtype}")
    dim = all_dims_if_empty(dim)
    axes = norm_dim(dim, a.ndim, "nanmean")
    total = nansum(a, dim, keepdim, dtype=dtype)
    attrs = {"dim": axes, "keepdim": keepdim, "dtype": total._data.dtype}
    return total / NOT_NAN_COUNT.apply((a,), (a._data,), (), attrs)


def _not_nan_count_kernel(x, dim, keepdim, dtype):
    return np.asarray(np.sum(~np.isnan(x), axis=dim, keepdims=keepdim), dtype=dtype)


NOT_NAN_COUNT = Primitive("NotNanCount", _not_nan_count_kernel)


histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


histogramdd_result = namedtuple("histogramdd", ["hist", "bin_edges"])


def cov(input, *, correction=1, fweights=None, aweights=None):  # noqa: A002
    """`f(X) = (X - avg) W (X - avg)^T / (sum w - correction)`, rows are variables, columns
    observations; `w = fweights * aweights` (PyTorch's weighting)"""
    x = as_tensor(input, "cov")
    if x.ndim > 2:
        raise RuntimeError(f"cov: expected input to have two or fewer dimensions, got {x.ndim}")
    if x._data.dtype.kind != "f":
        x = x.to(get_default_dtype())
    x = S.reshape(x, (1, -1)) if x.ndim < 2 else x
    n = x.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        wt = as_tensor(wt, "cov")
        if wt.ndim > 1 or wt.numel() != n:
            raise RuntimeError(
                f"cov: expected {name} to be a 1-D tensor with {n} elements (one per "
                f"observation), got shape {tuple(wt.shape)}"
            )
        if name == "fweights" and wt._data.dtype.kind not in "iu":
            raise RuntimeError(f"cov: expected fweights to have integral dtype, got {wt.dtype}")
        if (wt._data < 0).any():
            raise RuntimeError(f"cov: {name} cannot be negative")
        w = wt if w is None else w * wt
    if w is None:
        avg = R.mean(x, 1, keepdim=True)
        norm = n - correction
    else:
        w = S.reshape(w, -1)
        wsum = R.sum(w)
        avg = R.sum(x * w, 1, keepdim=True) / wsum
        if correction == 0:
            norm = wsum
        elif aweights is None:
            norm = wsum - correction
        else:
            norm = wsum - correction * R.sum(w * S.reshape(as_tensor(aweights), -1)) / wsum
    xm = x - avg  # float64 weights promote a float32 input, as in PyTorch
    norm = SEL.clamp(as_tensor(norm).to(xm.dtype), min=0.0)
    xw = xm if w is None else xm * w  # promoted as PyTorch (float64 weights: float64)
    return S.squeeze(L.matmul(xm, S.transpose(xw, 0, 1)) / norm)


def corrcoef(input):  # noqa: A002
    """f(X) = cov(X) / (std_i std_j), clipped to [-1, 1]"""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    sd = UN.sqrt(diagonal(c))
    c = c / S.unsqueeze(sd, 1)
    c = c / S.unsqueeze(sd, 0)
    return SEL.clamp(c, -1.0, 1.0)


def _hist_input(input, name, weight):
    x = as_tensor(input, name)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating point input, got {x.dtype}")
    if weight is not None:
        weight = as_tensor(weight, name)
        if weight._data.dtype != x._data.dtype:
            raise RuntimeError(
                f"{name}: weight dtype {weight.dtype} must equal the input's {x.dtype}"
            )
    return x, weight


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """(hist, bin_edges): counts (or weights, or a density) of input's values in the bins"""
    x, weight = _hist_input(input, "histogram", weight)
    if weight is not None and tuple(weight.shape) != tuple(x.shape):
        raise RuntimeError(
            f"histogram: weight {tuple(weight.shape)} must have input's shape {tuple(x.shape)}"
        )
    if isinstance(bins, TensorBase):
        _check_edges(bins, x, "histogram")
    elif isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise RuntimeError(f"histogram: bins must be a positive int or a tensor, got {bins!r}")
    else:
        bins = int(bins)
        _check_range(range, "histogram")
    args = (x._data, bins._data if isinstance(bins, TensorBase) else bins,
            None if weight is None else weight._data)  # fmt: skip
    attrs = {"range": range, "density": density}
    hist, edges = HISTOGRAM.compute((x, bins, weight), args, attrs)
    return histogram_result(wrap(hist), wrap(edges))


def _histogram_kernel(x, bins, weight, range, density):  # noqa: A002 - histogram's names
    dt = x.dtype
    if isinstance(bins, np.ndarray):
        edges = bins  # of x's dtype (checked)
    else:
        edges = _edges(x.reshape(-1), bins, range, dt, "histogram")
    w = None if weight is None else weight.reshape(-1)
    hist, edges = np.histogram(x.reshape(-1), edges, weights=w, density=density)
    return hist.astype(dt), edges.astype(dt)


HISTOGRAM = Primitive("Histogram", _histogram_kernel, multi=True)


def _check_edges(bins, x, name):
    if bins.ndim != 1 or bins.numel() < 2:
        raise RuntimeError(
            f"{name}: bins must be a 1-D tensor of at least 2 edges (one bin), got shape "
            f"{tuple(bins.shape)}"
        )
    if bins._data.dtype != x._data.dtype:
        raise RuntimeError(
            f"{name}: bins dtype {bins.dtype} must equal the input's {x.dtype} (PyTorch's rule)"
        )


def _check_range(rng, name):
    if rng is not None and rng[0] > rng[1]:
        raise RuntimeError(f"{name}: min {rng[0]} should not exceed max {rng[1]}")


def _edges(values, bins, rng, dt, name):
    if rng is None:
        lo, hi = (values.min(), values.max()) if values.size else (0.0, 1.0)  # PyTorch's
    else:
        lo, hi = rng  # min <= max: checked by _check_range before the kernel
    lo, hi = dt.type(lo), dt.type(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"{name}: range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - dt.type(0.5), hi + dt.type(0.5)
    return np.linspace(lo, hi, bins + 1, dtype=dt)


def histogramdd(input, bins=10, *, range=None, weight=None, density=False):  # noqa: A002
    """(hist, bin_edges): the D-dimensional histogram of the points input[..., :D]"""
    x, weight = _hist_input(input, "histogramdd", weight)
    if x.ndim < 2:
        raise RuntimeError(
            f"histogramdd: input must have at least 2 dimensions (points along the last), got "
            f"shape {tuple(x.shape)}"
        )
    D = x.shape[-1]
    if weight is not None and tuple(weight.shape) != tuple(x.shape[:-1]):
        raise RuntimeError(
            f"histogramdd: weight {tuple(weight.shape)} must have shape {tuple(x.shape[:-1])}"
        )
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        bins = [int(bins)] * D
    bins = list(bins)
    if len(bins) != D:
        raise RuntimeError(f"histogramdd: expected {D} bins (one per dimension), got {len(bins)}")
    if range is not None and len(range) != 2 * D:
        raise RuntimeError(
            f"histogramdd: range must have 2 * {D} = {2 * D} numbers, got {len(range)}"
        )
    for k, b in enumerate(bins):
        if isinstance(b, TensorBase):
            _check_edges(b, x, "histogramdd")
            continue
        if isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 1:
            raise RuntimeError(f"histogramdd: bins must be positive ints or tensors, got {b!r}")
        bins[k] = int(b)
        _check_range(None if range is None else range[2 * k : 2 * k + 2], "histogramdd")
    tensors = tuple(b for b in bins if isinstance(b, TensorBase))
    args = (x._data, [b._data if isinstance(b, TensorBase) else b for b in bins],
            None if weight is None else weight._data)  # fmt: skip
    attrs = {"range": None if range is None else tuple(range), "density": density}
    hist, *edges = HISTOGRAMDD.compute((x, weight, *tensors), args, attrs)
    return histogramdd_result(wrap(hist), tuple(wrap(e) for e in edges))


def _histogramdd_kernel(x, bins, weight, range, density):  # noqa: A002 - histogramdd's names
    dt, D = x.dtype, x.shape[-1]
    pts = x.reshape(-1, D)
    edges = []
    for k, b in enumerate(bins):
        if isinstance(b, np.ndarray):
            edges.append(b)  # 1-D, of x's dtype (checked)
            continue
        rng = None if range is None else (range[2 * k], range[2 * k + 1])
        edges.append(_edges(pts[:, k], b, rng, dt, "histogramdd"))
    w = None if weight is None else weight.reshape(-1)
    hist, edges = np.histogramdd(pts, edges, weights=w, density=density)
    return (hist.astype(dt), *(e.astype(dt) for e in edges))


HISTOGRAMDD = Primitive("Histogramdd", _histogramdd_kernel, multi=True)
