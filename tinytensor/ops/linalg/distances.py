"""Distances between rows and between tensors: ``cdist`` (all pairs, any p) and ``dist`` (the
p-norm of the difference), each one node that saves what PyTorch saves (ties share the
gradient for p = inf as in PyTorch)."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.ops import reduce as R
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, broadcast_error
from tinytensor.ops._util import promoted_values as _promoted
from tinytensor.ops.linalg.factorizations import _mT
from tinytensor.ops.linalg.products import matmul
from tinytensor.ops.selection import where

__all__ = [
    "cdist",
    "dist",
]


def _p_norm_np(d, p, axis):
    """The p-norm of ``d`` over ``axis`` (p = 0 counts the nonzeros, inf takes the max); NaN
    and overflow to inf silently, as in PyTorch."""
    with np.errstate(all="ignore"):
        return _p_norm_quiet(d, p, axis)


def _p_norm_quiet(d, p, axis):
    a = np.abs(d)
    if p == 0:
        return np.sum(a != 0, axis).astype(d.dtype)
    if math.isinf(p):
        return np.max(a, axis, initial=0.0) if p > 0 else np.min(a, axis, initial=np.inf)
    if p == 1:
        return np.sum(a, axis)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis))
    return np.sum(a**p, axis) ** (1.0 / p)


def _safe_ratio(g, dist, power):
    """g / dist^power, 0 where dist is 0 (a subgradient; no inf reaches a second backward)."""
    zero = dist == 0
    safe = where(zero, 1.0, dist)
    return where(zero, 0.0, g / (safe if power == 1 else safe**power))


def _norm_grad(g, diff, dist, p, ties_shared):
    """d|diff|_p / d diff times g, as PyTorch's norm_backward (g and dist broadcast to diff).

    At inf, PyTorch's ``dist`` shares g among tied maxima (``ties_shared``), ``cdist`` does not.
    """
    if p == 1:
        return diff.sign() * g
    if p == 2:
        return diff * _safe_ratio(g, dist, 1)
    if math.isinf(p):
        mask = (diff.abs() == dist).to(diff.dtype)
        if ties_shared:
            return diff.sign() * (g / R.sum(mask, tuple(range(mask.ndim)), True)) * mask
        return diff.sign() * g * mask
    if p < 2:
        a = diff.abs()
        scaled = diff.sign() * where(a == 0, 1.0, a) ** (p - 1.0)
        if p < 1:
            scaled = where(diff == 0, 0.0, scaled)
        return scaled * _safe_ratio(g, dist, p - 1.0)
    return diff * diff.abs() ** (p - 2.0) * _safe_ratio(g, dist, p - 1.0)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of `x1 (*, P, M) and x2 (*, R, M)`.

    One node saving x1, x2 and the result, as PyTorch's ``CdistBackward`` (and
    ``EuclideanDistBackward`` in its matrix-product mode); for `p = 2` the gradient is PyTorch's
    matrix-product formula `dx1 = x1 sum_j r_ij - r x2` with `r = g / d (0 where d = 0)`."""
    x1, x2 = as_tensor(x1, "cdist"), as_tensor(x2, "cdist")
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"cdist: expected x1 (*, P, M) and x2 (*, R, M) with the same M, got "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    for x in (x1, x2):
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, got {x.dtype}")
    p = float(p)
    try:
        return CDIST.apply((x1, x2), (x1._data, x2._data), (x1, x2, OUT, p), {"p": p})
    except ValueError:
        raise broadcast_error("cdist", x1, x2) from None


def _cdist_kernel(x1, x2, *, p):
    with np.errstate(all="ignore"):  # inf - inf: NaN silently
        diff = x1[..., :, None, :] - x2[..., None, :, :]
    return np.asarray(_p_norm_np(diff, p, -1), dtype=diff.dtype)


def _cdist_backward(g, x1, x2, d, p):
    if p == 0:  # a count of nonzeros: zero gradients, as PyTorch's
        return x1 * 0.0, x2 * 0.0
    if p == 2:  # PyTorch's _euclidean_dist_backward
        r = _safe_ratio(g, d, 1)
        g1 = x1 * R.sum(r, -1, True) - matmul(r, x2)
        g2 = x2 * S.unsqueeze(R.sum(r, -2), -1) - matmul(_mT(r), x1)
        return g1, g2
    diff = S.unsqueeze(x1, -2) - S.unsqueeze(x2, -3)
    gd = _norm_grad(S.unsqueeze(g, -1), diff, S.unsqueeze(d, -1), p, ties_shared=False)
    return R.sum(gd, -2), -R.sum(gd, -3)


CDIST = Primitive("Cdist", _cdist_kernel, _cdist_backward)


def dist(input, other, p=2):
    """f(a, b) = |a - b|_p over all entries.

    One node saving a, b and the result, as PyTorch's ``DistBackward``:
    da = norm_backward(g, a - b) = -db."""
    a, b = as_tensor(input, "dist"), as_tensor(other, "dist")
    ad, bd = _promoted(a, b, a._data, b._data)
    if ad.dtype.kind != "f":
        raise RuntimeError(f"dist: expected a floating point input, got dtype {a.dtype}")
    p = float(p)
    try:
        return DIST.apply((a, b), (ad, bd), (a, b, OUT, p), {"p": p})
    except ValueError:
        raise broadcast_error("dist", a, b) from None


def _dist_kernel(a, b, *, p):
    with np.errstate(all="ignore"):  # inf - inf: NaN silently
        diff = a - b
    return np.asarray(_p_norm_np(diff.reshape(-1), p, -1), dtype=diff.dtype)


def _dist_backward(g, a, b, d, p):
    if p == 0:  # a count of nonzeros (PyTorch's backward fails on its undefined gradient here)
        return a * 0.0, b * 0.0
    gd = _norm_grad(g, a - b, d, p, ties_shared=True)
    return gd, -gd


DIST = Primitive("Dist", _dist_kernel, _dist_backward)
