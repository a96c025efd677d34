"""Loss functions (``reduction`` = 'mean' | 'sum' | 'none'), composed from tinytensor ops.

Log-probabilities always come from ``log_softmax`` (max-shifted logsumexp) and logits losses
from ``logsigmoid``, so large logits neither overflow nor lose precision.
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.nn.functional._util import (
    check_reduction,
    float_input,
    legacy_reduction,
    loss_weight,
    reduce_loss,
    saves,
    weighted_loss,
)
from tinytensor.nn.functional.activation import log_softmax, logsigmoid
from tinytensor.nn.functional.fused_cross_entropy import cross_entropy_mean
from tinytensor.ops import explog as EL
from tinytensor.ops import selection as SEL
from tinytensor.ops import unary as UN
from tinytensor.ops._util import as_tensor, broadcast_error, warn_user
from tinytensor.ops._util import requires_grad as _rg


def _pointwise_args(input, target, who, size_average, reduce, reduction, broadcast=True):
    """The float operands; a target of another shape broadcasts with PyTorch's warning, or with
    ``broadcast`` False (the BCE losses) is a ValueError, as in PyTorch."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, who)
    x = float_input(input, who)
    t = float_input(target, who, "target")
    if x.shape != t.shape and broadcast:
        try:
            shape = np.broadcast_shapes(tuple(x.shape), tuple(t.shape))
        except ValueError:
            raise broadcast_error(who, x, t) from None
        warn_user(
            f"{who}: using a target size ({tuple(t.shape)}) that is different to the input size "
            f"({tuple(x.shape)}); broadcasting them will likely give incorrect results"
        )
        return x.expand(shape), t.expand(shape), reduction
    if x.shape != t.shape:
        raise ValueError(
            f"{who}: input of shape {tuple(x.shape)} and target of shape {tuple(t.shape)} "
            "differ; they must have the same shape (reshape one, e.g. target.view_as(input))"
        )
    return x, t, reduction


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """f(x, t) = (x - t)^2, reduced; with ``weight``, 'mean' is sum(w*f) / sum(w)"""
    x, t, reduction = _pointwise_args(input, target, "mse_loss", size_average, reduce, reduction)
    d = x - t
    loss = d * d
    if weight is not None:
        loss = weighted_loss(loss, loss_weight(weight, x, "mse_loss"), reduction)
        return saves(loss, "MseLoss", x, t)
    return saves(reduce_loss(loss, reduction), "MseLoss", x, t)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """f(x, t) = |x - t|, reduced; with ``weight``, 'mean' is sum(w*f) / sum(w)"""
    x, t, reduction = _pointwise_args(input, target, "l1_loss", size_average, reduce, reduction)
    if weight is not None:
        return weighted_loss(UN.abs(x - t), loss_weight(weight, x, "l1_loss"), reduction)
    return reduce_loss(UN.abs(x - t), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """`f(x, t) = d^2/2 if |d| < delta else delta*(|d| - delta/2), d = x - t`"""
    x, t, reduction = _pointwise_args(input, target, "huber_loss", None, None, reduction)
    if delta <= 0:  # PyTorch's class
        raise RuntimeError(f"huber_loss: delta must be positive, got {delta}")
    d = x - t
    a = UN.abs(d)
    loss = SEL.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    if weight is not None:
        # huber_loss's weighted 'mean' is the plain mean of w*f (unlike mse/l1), as PyTorch's
        loss = loss * loss_weight(weight, x, "huber_loss")
    return saves(reduce_loss(loss, reduction), "HuberLoss", x, t)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """`f(x, t) = d^2/(2*beta) if |d| < beta else |d| - beta/2, d = x - t`"""
    x, t, reduction = _pointwise_args(
        input, target, "smooth_l1_loss", size_average, reduce, reduction
    )
    if beta < 0:  # PyTorch's class
        raise RuntimeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = x - t
    a = UN.abs(d)
    if beta == 0:
        return saves(reduce_loss(a, reduction), "SmoothL1Loss", x, t)
    loss = SEL.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return saves(reduce_loss(loss, reduction), "SmoothL1Loss", x, t)


# --- classification ----------------------------------------------------------------------


def _class_targets(x, target, who, ignore_index):
    """Validate integer class targets against (N, C, d1, ...) or (C,) input; returns the tensor
    (the user's own, so the nodes that save it version-check it)."""
    t = as_tensor(target, who)
    td = t._data
    expect = () if x.ndim == 1 else (x.shape[0],) + tuple(x.shape[2:])
    if td.shape != expect:  # PyTorch's classes: a batch mismatch is a ValueError, else Runtime
        shapes = f"input of shape {tuple(x.shape)}, target of shape {tuple(td.shape)}"
        if x.ndim <= 2 and td.ndim > 1:
            raise RuntimeError(
                f"{who}: 0D or 1D target tensor expected, multi-target not supported ({shapes}; "
                f"expected target shape {expect})"
            )
        if x.ndim > 1 and td.ndim >= 1 and td.shape[0] != x.shape[0]:
            raise ValueError(
                f"{who}: expected input batch_size ({x.shape[0]}) to match target batch_size "
                f"({td.shape[0]}) ({shapes}; expected target shape {expect})"
            )
        raise RuntimeError(
            f"{who}: expected target size {list(expect)}, got {list(td.shape)} ({shapes})"
        )
    if td.dtype not in (np.int64, np.uint8):
        raise RuntimeError(  # PyTorch: "expected target dtype to be Long or Byte"
            f"{who}: class-index targets must be int64 (or uint8), got dtype {t.dtype}; "
            "for class probabilities pass a float target with the input's shape"
        )
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    # Two reductions first (all targets in range, the common case); the mask only if not.
    if td.size and (td.min() < 0 or td.max() >= c):
        bad = (td != ignore_index) & ((td < 0) | (td >= c))
    else:
        bad = None
    if bad is not None and np.any(bad):
        value = int(td[bad].reshape(-1)[0])
        raise IndexError(
            f"{who}: target {value} is out of bounds for {c} classes (valid: 0..{c - 1}"
            + (f", or ignore_index={ignore_index})" if ignore_index is not None else ")")
        )
    return t


def _pick(x, target, ignore_index=None, weight=None):
    """`f(x) = w[t]*x[n, t_n, ...]` (class dim 1), 0 where `t == ignore_index`;
    `dx = g*w[t]` scattered to those entries"""
    # PyTorch's nll_loss and multi_margin_loss save self, target and weight.
    saved = (x, target, ignore_index, weight)
    return NLL_PICK.apply(
        (x,),
        (x._data, target._data, None if weight is None else weight._data),
        saved,
        {"ignore_index": ignore_index},
    )


def _pick_kernel(xd, td, wd, *, ignore_index):
    idx, wt, axis = _pick_where(xd.ndim, xd.dtype, td, ignore_index, wd)
    picked = np.take_along_axis(xd, idx, axis=axis)
    out = picked[:, 0] if xd.ndim > 1 else picked.reshape(())
    return out if wt is None else out * wt


def _pick_backward(g, x, target, ignore_index, weight):
    return (_pick_adjoint(g, x.shape, target, ignore_index, weight),)


def _pick_where(ndim, dtype, td, ignore_index, wd):
    """Where _pick reads along the class axis, the factor of each target (None if all 1), axis."""
    if ignore_index is None:
        keep, safe = None, td.astype(np.int64, copy=False)
    else:
        keep = td != ignore_index
        safe = np.where(keep, td, 0).astype(np.int64)
    wt = None
    if wd is not None:
        wt = wd.astype(dtype, copy=False)[safe]
    if keep is not None and not keep.all():
        wt = np.where(keep, 1.0 if wt is None else wt, 0.0).astype(dtype)
    idx = safe[:, None] if ndim > 1 else safe.reshape(1)
    return idx, wt, min(1, ndim - 1)


def _pick_adjoint(g, shape, target, ignore_index, weight):
    """`f(g) = zeros(shape)` with `g*w[t]` at _pick's entries;  `dg = _pick(gg)`"""
    return NLL_SCATTER.apply(
        (g,),
        (g._data, target._data, None if weight is None else weight._data),
        (target, ignore_index, weight),
        {"ignore_index": ignore_index, "shape": tuple(shape)},
    )


def _pick_adjoint_kernel(gd, td, wd, *, ignore_index, shape):
    idx, wt, axis = _pick_where(len(shape), gd.dtype, td, ignore_index, wd)
    full = np.zeros(shape, gd.dtype)
    gd = gd if wt is None else gd * wt
    np.put_along_axis(full, idx, gd[:, None] if len(shape) > 1 else gd.reshape(1), axis=axis)
    return full


def _pick_adjoint_backward(gg, target, ignore_index, weight):
    return (_pick(gg, target, ignore_index, weight),)


def _target_weights_kernel(td, wd, *, ignore_index, dtype, total):
    """w[t] per target (1 without a weight), 0 where t == ignore_index; their sum if ``total``
    (the denominator of a 'mean': NaN-producing 0 when every target is ignored)."""
    keep = td != ignore_index
    wt = np.where(keep, wd[np.where(keep, td, 0)] if wd is not None else 1.0, 0.0)
    wt = wt.astype(dtype)
    return wt.sum() if total else wt


NLL_PICK = Primitive("NllPick", _pick_kernel, _pick_backward)
NLL_SCATTER = Primitive("NllScatter", _pick_adjoint_kernel, _pick_adjoint_backward)
TARGET_WEIGHTS = Primitive("TargetWeights", _target_weights_kernel)  # no gradient


def _target_weights(t, w, ignore_index, dtype, total):
    """``TARGET_WEIGHTS`` on the target tensor and the (cast) weight tensor or None."""
    attrs = {"ignore_index": ignore_index, "dtype": dtype, "total": total}
    return TARGET_WEIGHTS.apply((t, w), (t._data, None if w is None else w._data), (), attrs)


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
):
    """`f(logp, t) = -w[t]*logp[t]; 'mean'` divides by the sum of w[t] over non-ignored targets"""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "nll_loss")
    x = float_input(input, "nll_loss")
    if x.ndim < 1:
        raise ValueError("nll_loss: input must have at least 1 dimension (C,) or (N, C, ...)")
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    t = _class_targets(x, target, "nll_loss", ignore_index)
    w = _class_weight(weight, c, x, "nll_loss")
    loss = -_pick(x, t, ignore_index, None if w is None else as_tensor(weight))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    total = _target_weights(t, w, ignore_index, x._data.dtype, True)
    with np.errstate(invalid="ignore", divide="ignore"):  # all ignored: nan, as in PyTorch
        return loss.sum() / total


def _class_weight(weight, c, x, who):
    """The class weights as a tensor of x's dtype (checked: one per class), or None."""
    if weight is None:
        return None
    w = as_tensor(weight, who)
    if w.shape != (c,):
        raise ValueError(
            f"{who}: weight must have shape ({c},) (one per class), got {tuple(w.shape)}"
        )
    return w if w._data.dtype == x._data.dtype else w.to(x.dtype)


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """f(x, t) = nll_loss(log_softmax(x, dim=1), t), with optional label smoothing.

    ``target`` holds class indices (int, shape (N, d1, ...)) or class probabilities (float,
    the input's shape). Smoothing mixes (1 - eps) of the target with eps/C of each class.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "cross_entropy")
    x = float_input(input, "cross_entropy")
    if x.ndim < 1:
        raise ValueError("cross_entropy: input must be (C,) or (N, C, ...) logits")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    cdim = 0 if x.ndim == 1 else 1
    c = x.shape[cdim]
    t = as_tensor(target, "cross_entropy")
    # As PyTorch: a target of the input's shape holds class probabilities, any other shape
    # class indices (checked by nll_loss).
    soft = tuple(t.shape) == tuple(x.shape)
    if soft and t._data.dtype.kind != "f":
        raise RuntimeError(
            f"cross_entropy: expected floating point type for target with class probabilities "
            f"(a target of the input's shape {tuple(x.shape)}), got {t.dtype}; class indices "
            f"have shape {(x.shape[0],) + tuple(x.shape[2:]) if x.ndim > 1 else ()}"
        )
    if (
        x.ndim == 2
        and x.shape[0]
        and weight is None
        and label_smoothing == 0.0
        and reduction == "mean"
        and t._data.dtype.kind in "iu"
    ):
        return cross_entropy_mean(x, _class_targets(x, t, "cross_entropy", ignore_index),
                                  ignore_index)  # fmt: skip
    if not soft:  # checked here too, so the errors name cross_entropy, not nll_loss
        t = _class_targets(x, t, "cross_entropy", ignore_index)
        w = _class_weight(weight, c, x, "cross_entropy")
    logp = log_softmax(x, cdim)
    if soft:
        return _soft_cross_entropy(logp, t, weight, reduction, label_smoothing, c, cdim)
    nll = nll_loss(logp, t, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0.0:
        return nll
    if w is not None:
        smooth = -(logp * w.reshape((c,) + (1,) * (x.ndim - 1 - cdim))).sum(cdim)
    else:
        smooth = -logp.sum(cdim)
    smooth = smooth * _target_weights(t, None, ignore_index, x._data.dtype, False)
    if reduction == "mean":
        smooth = smooth.sum() / _target_weights(t, w, ignore_index, x._data.dtype, True)
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / c)


def _soft_cross_entropy(logp, t, weight, reduction, label_smoothing, c, cdim):
    """Class-probability targets ``t`` (cross_entropy calls this only when t has x's shape)."""
    t = t.to(logp.dtype)
    if label_smoothing > 0:
        t = t * (1.0 - label_smoothing) + label_smoothing / c
    if weight is not None:
        w = _class_weight(weight, c, logp, "cross_entropy")
        logp = logp * w.reshape((c,) + (1,) * (logp.ndim - 1 - cdim))
    loss = -(logp * t).sum(cdim)
    if reduction == "mean":
        return loss.sum() / float(max(logp.numel() // c, 1)) if logp.numel() else loss.sum()
    return loss.sum() if reduction == "sum" else loss


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """`f(p, t) = -w*(t*log(p) + (1-t)*log(1-p))`, logs clamped at -100 as in PyTorch;
    `dp = g*w*(p - t)/max(p*(1-p), 1e-12)`"""
    x, t, reduction = _pointwise_args(
        input, target, "binary_cross_entropy", size_average, reduce, reduction, False
    )
    d = x._data
    if d.size and (np.any(d < 0) or np.any(d > 1) or np.any(np.isnan(d))):
        raise RuntimeError(  # PyTorch's class
            "binary_cross_entropy: all elements of input should be between 0 and 1 "
            "(probabilities); for logits use binary_cross_entropy_with_logits"
        )
    loss = BCE.apply((x, t), (d, t._data), (x, t))
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, reduction)


def _bce_kernel(d, td):
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(d), -100)
        log_1mp = np.maximum(np.log1p(-d), -100)
    out = -(td * log_p + (1 - td) * log_1mp)
    return out.astype(d.dtype, copy=False)


def _binary_cross_entropy_backward(g, x, t):
    gx = g * (x - t) / SEL.clamp(x * (1.0 - x), min=1e-12) if _rg(x) else None
    gt = None
    if _rg(t):
        with np.errstate(divide="ignore"):
            gt = g * (SEL.clamp(EL.log1p(-x), min=-100.0) - SEL.clamp(EL.log(x), min=-100.0))
    return gx, gt


BCE = Primitive("BinaryCrossEntropy", _bce_kernel, _binary_cross_entropy_backward)


def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
):
    """`f(x, t) = -w*(pos_weight*t*logsigmoid(x) + (1-t)*logsigmoid(-x))`"""
    x, t, reduction = _pointwise_args(
        input, target, "binary_cross_entropy_with_logits", size_average, reduce, reduction, False
    )
    if pos_weight is not None:
        loss = -(t * pos_weight * logsigmoid(x) + (1.0 - t) * logsigmoid(-x))
    else:
        # (1 - t)*x - logsigmoid(x) == -(t*logsigmoid(x) + (1-t)*logsigmoid(-x))
        loss = (1.0 - t) * x - logsigmoid(x)
    if weight is not None:
        loss = loss * weight
    out = reduce_loss(loss, reduction)
    return saves(out, "BinaryCrossEntropyWithLogits", x, t, weight, pos_weight)


def multi_margin_loss(
    input,
    target,
    p=1,
    margin=1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """`f(x, y) = sum_{j != y} w[y]*max(0, margin - x[y] + x[j])^p / C  (multi-class hinge)`"""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p}")
    x = float_input(input, "multi_margin_loss")
    if x.ndim not in (1, 2):
        raise ValueError(f"multi_margin_loss: expected (C,) or (N, C) input, got {x.shape}")
    x2 = x if x.ndim == 2 else x.unsqueeze(0)
    t = _class_targets(x2, target if x.ndim == 2 else as_tensor(target).reshape(1),
                       "multi_margin_loss", None)  # fmt: skip
    c = x2.shape[1]
    xy = _pick(x2, t)
    z = UN.relu(x2 - xy.unsqueeze(1) + margin)
    if p == 2:
        z = z * z
    z = z * OTHER_CLASSES.apply((x2, t), (x2._data, t._data))
    w = _class_weight(weight, c, x, "multi_margin_loss")
    if w is not None:
        z = z * _target_weights(t, w, None, x._data.dtype, False).unsqueeze(1)
    loss = z.sum(1) / float(c)
    if x.ndim == 1:
        loss = loss.reshape(())
    # PyTorch's multi_margin_loss saves self, target and weight.
    return saves(reduce_loss(loss, reduction), "MultiMarginLoss", x, t, weight)


def _other_classes_kernel(xd, td):
    """1 everywhere but at each row's target class (0 there), in x's dtype and shape."""
    other = np.ones(xd.shape, xd.dtype)
    np.put_along_axis(other, td[:, None].astype(np.int64), 0, 1)
    return other


OTHER_CLASSES = Primitive("OtherClasses", _other_classes_kernel)  # no gradient


def hinge_embedding_loss(
    input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    """f(x, y) = x where y == 1, max(0, margin - x) where y == -1"""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "hinge_embedding_loss")
    x = float_input(input, "hinge_embedding_loss")
    t = as_tensor(target, "hinge_embedding_loss")
    if t.shape != x.shape:
        raise ValueError(
            f"hinge_embedding_loss: input {tuple(x.shape)} and target {tuple(t.shape)} must have "
            "the same shape"
        )
    margin_part = SEL.where(t != 1, UN.relu(margin - x), 0.0)
    self_part = SEL.where(t != -1, x, 0.0)
    return reduce_loss(margin_part + self_part, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """`f(logq, p) = p*(log p - logq)` (pointwise); 'batchmean' divides the sum by N"""
    red = legacy_reduction(size_average, reduce, reduction)
    x = float_input(input, "kl_div")
    t = float_input(target, "kl_div", "target")
    try:
        np.broadcast_shapes(x.shape, t.shape)
    except ValueError:
        raise RuntimeError(
            f"kl_div: input of shape {tuple(x.shape)} and target of shape {tuple(t.shape)} do "
            "not broadcast together"
        ) from None
    if log_target:
        loss = EL.exp(t) * (t - x)
    else:
        safe = SEL.where(t > 0, t, 1.0)
        loss = SEL.where(t > 0, t * (EL.log(safe) - x), 0.0)
    if red == "batchmean":
        return loss.sum() / float(x.shape[0] if x.ndim else 1)
    check_reduction(red, "kl_div")
    return reduce_loss(loss, red)
