"""Likelihood losses for counts and Gaussian targets (poisson_nll_loss, gaussian_nll_loss) and
margin losses for labels (soft_margin_loss, multilabel_margin_loss, multilabel_soft_margin_loss).
Composites of tinytensor ops; where PyTorch's kernel is fused, the top node saves what that
kernel saves (``saves``)."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.nn.functional._util import (
    check_reduction,
    float_input,
    legacy_reduction,
    reduce_loss,
    saves,
)
from tinytensor.nn.functional.activation import logsigmoid, softplus
from tinytensor.nn.functional.distance import CLAMP_SHIFT
from tinytensor.ops import creation as C
from tinytensor.ops import explog as EL
from tinytensor.ops import selection as SEL
from tinytensor.ops import unary as UN
from tinytensor.ops._util import as_tensor
from tinytensor.ops.gather import gather


def _reduction(size_average, reduce, reduction, who):
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, who)
    return reduction


def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
):
    """`f(x, t) = e^x - t*x (log_input) or x - t*log(x + eps)`; ``full`` adds Stirling's
    `t*log(t) - t + log(2*pi*t)/2 where t > 1`"""
    reduction = _reduction(size_average, reduce, reduction, "poisson_nll_loss")
    x = float_input(input, "poisson_nll_loss")
    t = float_input(target, "poisson_nll_loss", "target")
    loss = EL.exp(x) - t * x if log_input else x - t * EL.log(x + eps)
    if full:
        safe = SEL.where(t > 1, t, 1.0)
        stirling = safe * EL.log(safe) - safe + EL.log(safe * (2 * math.pi)) * 0.5
        loss = loss + SEL.where(t > 1, stirling, 0.0)
    return reduce_loss(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """`f(x, t, v) = (log(max(v, eps)) + (x - t)^2/max(v, eps))/2` (`+ log(2*pi)/2` if full);
    var may omit the last dim or have size 1 there (one variance per sample)"""
    check_reduction(reduction, "gaussian_nll_loss")
    x = float_input(input, "gaussian_nll_loss")
    t = float_input(target, "gaussian_nll_loss", "target")
    if isinstance(var, (int, float)):
        var = C.full(x.shape, var, dtype=x.dtype)
    v = float_input(var, "gaussian_nll_loss", "var")
    if v.shape != x.shape:
        if tuple(x.shape[:-1]) == tuple(v.shape):
            v = v.unsqueeze(-1)
        elif not (tuple(x.shape[:-1]) == tuple(v.shape[:-1]) and v.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if np.any(v._data < 0):
        raise ValueError("var has negative entry/entries")
    # PyTorch clamps a clone of var in place under no_grad: the value is clamped, the gradient
    # passes through unchanged.
    v = v + CLAMP_SHIFT.apply((v,), (v._data,), (), {"eps": eps})
    d = x - t
    loss = (EL.log(v) + d * d / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """`f(x, y) = log(1 + e^(-y*x))`"""
    reduction = _reduction(size_average, reduce, reduction, "soft_margin_loss")
    x = float_input(input, "soft_margin_loss")
    t = as_tensor(target, "soft_margin_loss")
    if t.shape != x.shape:
        raise ValueError(
            f"soft_margin_loss: input {tuple(x.shape)} and target {tuple(t.shape)} must have the "
            "same shape"
        )
    loss = reduce_loss(softplus(-t * x), reduction)
    return saves(loss, "SoftMarginLoss", x, t)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """`f(x, y) = -mean_c(y*logsigmoid(x) + (1 - y)*logsigmoid(-x))` (times weight), per sample"""
    reduction = _reduction(size_average, reduce, reduction, "multilabel_soft_margin_loss")
    x = float_input(input, "multilabel_soft_margin_loss")
    t = as_tensor(target, "multilabel_soft_margin_loss")
    loss = -(t * logsigmoid(x) + (1.0 - t) * logsigmoid(-x))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(x.ndim - 1) / float(x.shape[-1])
    return reduce_loss(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """f(x, y) = sum_{j in y} sum_{i not in y} max(0, 1 - (x[y_j] - x[i])) / C, where y lists
    each sample's target classes, ended by the first -1"""
    reduction = _reduction(size_average, reduce, reduction, "multilabel_margin_loss")
    x = float_input(input, "multilabel_margin_loss")
    t = as_tensor(target, "multilabel_margin_loss")
    if x.ndim not in (1, 2) or t.shape != x.shape:
        raise RuntimeError(
            f"multilabel_margin_loss: expected (C,) or (N, C) input and a target of its shape, "
            f"got {tuple(x.shape)} and {tuple(t.shape)}"
        )
    if t._data.dtype.kind not in "iu":
        raise TypeError("multilabel_margin_loss: target must be an integer (int64) tensor")
    x2 = x if x.ndim == 2 else x.unsqueeze(0)
    td = t._data.reshape(x2.shape).astype(np.int64)
    n, c = x2.shape
    if td.size and (td.max() >= c or td.min() < -1):
        raise RuntimeError(f"multilabel_margin_loss: target values must be in [-1, {c - 1}]")
    attrs = {"shape": (n, c), "dtype": x._data.dtype}
    safe, mask = MULTILABEL_TARGETS.compute((t,), (t._data,), attrs)
    xy = gather(x2, 1, wrap(safe))  # (N, K): the listed targets' scores
    z = UN.relu(x2.unsqueeze(1) - xy.unsqueeze(2) + 1.0)  # (N, K, C)
    loss = (z * wrap(mask)).sum((1, 2)) / float(c)
    if x.ndim == 1:
        loss = loss.reshape(())
    return saves(reduce_loss(loss, reduction), "MultilabelMarginLoss", x, t)


def _multilabel_targets_kernel(td, *, shape, dtype):
    """(the listed targets, 0 past the first -1; (N, K, C) mask of the (listed target j,
    non-target class i) pairs that count)."""
    n, c = shape
    td = td.reshape(shape).astype(np.int64)
    listed = np.cumprod(td != -1, axis=1).astype(bool)  # entries before the first -1
    safe = np.where(listed, td, 0)
    is_target = np.zeros((n, c), bool)
    rows = np.repeat(np.arange(n), c)[listed.reshape(-1)]
    is_target[rows, safe[listed]] = True
    return safe, (listed[:, :, None] & ~is_target[:, None, :]).astype(dtype)


MULTILABEL_TARGETS = Primitive("MultilabelTargets", _multilabel_targets_kernel, multi=True)
