"""Distances and the losses built on them: cosine_similarity, pairwise_distance, pdist,
cosine_embedding_loss, margin_ranking_loss, triplet_margin_loss (and its distance-function form).

Composed from tinytensor ops (PyTorch's are composites too, so they save the same).
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.nn.functional._util import (
    check_reduction,
    float_input,
    legacy_reduction,
    reduce_loss,
    saves,
)
from tinytensor.ops import selection as SEL
from tinytensor.ops import unary as UN
from tinytensor.ops._util import as_tensor
from tinytensor.ops.gather import index_select
from tinytensor.ops.shape import broadcast_tensors


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """`f(a, b) = sum(a/max(|a|, eps) * b/max(|b|, eps))` along dim (inputs broadcast)"""
    a = float_input(x1, "cosine_similarity", "x1")
    b = float_input(x2, "cosine_similarity", "x2")
    a, b = broadcast_tensors(a, b)
    return (a / _clamped_norm(a, dim, eps) * (b / _clamped_norm(b, dim, eps))).sum(dim)


def _clamped_norm(x, dim, eps):
    """||x|| along dim, its value clamped below at eps but its gradient the norm's (PyTorch
    clamps the norm in place under no_grad)."""
    n = x.norm(2, dim, keepdim=True)
    return n + CLAMP_SHIFT.apply((n,), (n._data,), (), {"eps": eps})


def _clamp_shift_kernel(nd, *, eps):
    """max(n, eps) - n: what lifts n to eps where it is below (no gradient)."""
    return np.maximum(nd, nd.dtype.type(eps)) - nd


def _triu_kernel(*, n):
    """(i, j) int64: the row pairs i < j in row-major order."""
    i, j = np.triu_indices(n, 1)
    return i.astype(np.int64), j.astype(np.int64)


CLAMP_SHIFT = Primitive("ClampShift", _clamp_shift_kernel)
TRIU_INDICES = Primitive("TriuIndices", _triu_kernel, multi=True)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """f(a, b) = ||a - b + eps||_p along the last dim"""
    a = float_input(x1, "pairwise_distance", "x1")
    b = float_input(x2, "pairwise_distance", "x2")
    ndim = max(a.ndim, b.ndim)
    if ndim == 0:
        raise RuntimeError("pairwise_distance: inputs must have at least one dimension")
    return (a - b + eps).norm(p, -1, keepdim)


def pdist(input, p=2):
    """f(x) = ||x[i] - x[j]||_p for every row pair i < j of the (N, M) input, in row-major order"""
    x = float_input(input, "pdist")
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    i, j = TRIU_INDICES.compute((), (), {"n": x.shape[0]})
    diff = index_select(x, 0, wrap(i)) - index_select(x, 0, wrap(j))
    return saves(diff.norm(p, -1), "Pdist", x, OUT)


# --- losses ------------------------------------------------------------------------------------


def _reduction(size_average, reduce, reduction, who):
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, who)
    return reduction


def cosine_embedding_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """f(a, b, y) = 1 - cos(a, b) where y == 1, max(0, cos(a, b) - margin) where y == -1"""
    reduction = _reduction(size_average, reduce, reduction, "cosine_embedding_loss")
    a = float_input(input1, "cosine_embedding_loss", "input1")
    b = float_input(input2, "cosine_embedding_loss", "input2")
    if a.ndim not in (1, 2) or a.shape != b.shape:
        raise RuntimeError(
            f"cosine_embedding_loss: expected input1 and input2 of the same 1-D or 2-D shape, "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    t = as_tensor(target, "cosine_embedding_loss")
    y = t._data
    if y.shape != tuple(a.shape[:-1]):
        raise RuntimeError(
            f"cosine_embedding_loss: expected target of shape {tuple(a.shape[:-1])}, got "
            f"{tuple(y.shape)}"
        )
    prod = (a * b).sum(-1)
    mag = ((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12)
    cos = prod / UN.sqrt(mag)
    pos = SEL.where(t == 1, 1.0 - cos, 0.0)
    neg = SEL.where(t == -1, SEL.clamp(cos - margin, min=0.0), 0.0)
    return reduce_loss(pos + neg, reduction)


def margin_ranking_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """`f(a, b, y) = max(0, -y*(a - b) + margin)`"""
    reduction = _reduction(size_average, reduce, reduction, "margin_ranking_loss")
    a = float_input(input1, "margin_ranking_loss", "input1")
    b = float_input(input2, "margin_ranking_loss", "input2")
    if not (a.ndim == b.ndim == getattr(target, "ndim", np.ndim(target))):
        raise RuntimeError(
            f"margin_ranking_loss: all input tensors should have the same number of dimensions, "
            f"got {a.ndim}, {b.ndim} and {np.ndim(target)}"
        )
    return reduce_loss(SEL.clamp(-target * (a - b) + margin, min=0.0), reduction)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """f(a, p, n) = max(0, margin + d(a, p) - d(a, n)), d the pairwise p-norm distance
    (with ``swap``, d(a, n) becomes min(d(a, n), d(p, n)))"""
    reduction = _reduction(size_average, reduce, reduction, "triplet_margin_loss")
    dims = {t.ndim for t in (anchor, positive, negative)}
    if len(dims) != 1 or dims.pop() not in (1, 2):
        raise RuntimeError(
            "triplet_margin_loss: anchor, positive and negative must all be 1-D or all 2-D, got "
            f"{[tuple(t.shape) for t in (anchor, positive, negative)]}"
        )

    def dist(x, y):
        return pairwise_distance(x, y, p, eps)

    return _triplet(anchor, positive, negative, dist, margin, swap, reduction)


def triplet_margin_with_distance_loss(
    anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False, reduction="mean"
):
    """triplet_margin_loss with any distance (default pairwise_distance)"""
    check_reduction(reduction, "triplet_margin_with_distance_loss")
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be > 0, got {margin}")
    dist = pairwise_distance if distance_function is None else distance_function
    return _triplet(anchor, positive, negative, dist, margin, swap, reduction)


def _triplet(anchor, positive, negative, dist, margin, swap, reduction):
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = SEL.minimum(d_neg, dist(positive, negative))
    return reduce_loss(SEL.clamp(d_pos - d_neg + margin, min=0.0), reduction)
