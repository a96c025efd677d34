"""Dropout: zero elements (or whole channels) at random during training and rescale the rest.

The masks come from the global generator. Each op saves only its scaled mask (a wrapped
tensor), as PyTorch does: the input may change in place after the forward pass.
"""

from __future__ import annotations

import warnings

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import rng as _rng
from tinytensor.core import wrap
from tinytensor.nn.functional._util import float_input

# SELU's negative saturation value -lambda*alpha, negated (PyTorch's ``alpha`` in alpha dropout)
_ALPHA = 1.7580993408473766


def _check_p(p, who):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{who}: dropout probability has to be between 0 and 1, but got {p}")


def _check_feature(x, who, batched=True):
    if len(x.shape) + (0 if batched else 1) < 2:
        raise RuntimeError(
            f"{who}: feature dropout requires at least 2 dimensions in the input, got "
            f"shape {tuple(x.shape)}"
        )


def _keep(shape, p, feature, batched=True):
    """Bernoulli(1-p) keep mask drawn from the global generator: per element, or per (N, C)
    channel broadcast over the rest (an unbatched input is read as one sample: one draw per
    channel)."""
    if not feature:
        return _rng().random(shape) >= p
    shape = shape if batched else (1,) + shape
    keep = _rng().random(shape[:2] + (1,) * (len(shape) - 2)) >= p
    return keep if batched else keep[0]


def _mask_kernel(*, shape, dtype, p, feature, batched):
    """The scaled mask `m/(1-p)`, drawn at call time (a replay draws a fresh one)."""
    keep = _keep(shape, p, feature, batched)
    scale = np.zeros((), dtype) if p == 1.0 else dtype.type(1.0 / (1.0 - p))
    return keep.astype(dtype) * scale


def _dropout_kernel(xd, *, p, feature, batched):
    """(x*mask, mask): the mask drawn here, at call time; backward reads this one."""
    mask = _mask_kernel(shape=xd.shape, dtype=xd.dtype, p=p, feature=feature, batched=batched)
    return xd * mask, mask


def _apply_mask(x, p, inplace, feature=False, batched=True):
    attrs = {"p": p, "feature": feature, "batched": batched}
    if inplace:
        d = x._data
        mask = DROPOUT_MASK.apply((), (), (), {"shape": d.shape, "dtype": d.dtype, **attrs})
        return x.mul_(mask)
    out, mask = DROPOUT.compute((x,), (x._data,), attrs)
    # Only the mask is saved (as PyTorch's dropout): x may change in place after the forward.
    return DROPOUT.record(wrap(out), (x,), (wrap(mask),), attrs)


def _dropout_backward(g, mask):
    """`dx = g*m/(1-p)`, the same scaled mask as the forward pass"""
    return (g * mask,)


DROPOUT = Primitive("Dropout", _dropout_kernel, _dropout_backward, multi=True, random=True)
DROPOUT_MASK = Primitive("DropoutMask", _mask_kernel, random=True)  # for the in-place form


def _feature_dropout(x, p, training, inplace, who, batched=True):
    if not training or p == 0.0 or x.numel() == 0:
        return x
    _check_feature(x, who, batched)
    return _apply_mask(x, p, inplace, True, batched)


def dropout(input, p=0.5, training=True, inplace=False):
    """`f(x) = x*m/(1-p), m ~ Bernoulli(1-p)` per element (identity when not training)"""
    _check_p(p, "dropout")
    x = float_input(input, "dropout")
    if not training or p == 0.0:
        return x
    return _apply_mask(x, p, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, L) or (C, L) input at random"""
    _check_p(p, "dropout1d")
    x = float_input(input, "dropout1d")
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {x.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _feature_dropout(x, p, training, inplace, "dropout1d", x.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, H, W) input at random.

    As PyTorch 2.13 (with its warning), a 3-D input is read as (N, C, L): channel-wise 1-D
    dropout, one draw per (n, c), not as an unbatched (C, H, W).
    """
    _check_p(p, "dropout2d")
    x = float_input(input, "dropout2d")
    if x.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {x.ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead.",
            stacklevel=2,
        )
    if x.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. To maintain the 1D channel-wise dropout behavior, please switch "
            "to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(x, p, training, inplace, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input at random"""
    _check_p(p, "dropout3d")
    x = float_input(input, "dropout3d")
    if x.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {x.ndim}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead.",
            stacklevel=2,
        )
    return _feature_dropout(x, p, training, inplace, "dropout3d", x.ndim == 5)


def _alpha(x, p, training, inplace, feature, who):
    """`f(x) = a*m*x + b, m ~ Bernoulli(1-p), a = 1/sqrt((alpha^2 p + 1)(1-p))`,
    `b = alpha*a*(p - (1-m))`: dropped units go to SELU's saturation, mean and variance kept"""
    _check_p(p, who)
    x = float_input(x, who)
    if not training or p == 0.0 or x.numel() == 0:
        return x
    if feature and p != 1.0:
        _check_feature(x, who)
    attrs = {"p": p, "feature": feature}
    if inplace:
        d = x._data
        mask, shift = ALPHA_MASK.compute((), (), {"shape": d.shape, "dtype": d.dtype, **attrs})
        return x.mul_(wrap(mask)).add_(wrap(shift))
    out, mask = ALPHA_DROPOUT.compute((x,), (x._data,), attrs)
    return ALPHA_DROPOUT.record(wrap(out), (x,), (wrap(mask),), attrs)


def _alpha_mask_kernel(*, shape, dtype, p, feature):
    """(scaled mask a*m, shift b), drawn at call time."""
    if p == 1.0:
        return np.zeros((), dtype), np.zeros((), dtype)
    keep = _keep(shape, p, feature).astype(dtype)
    a = 1.0 / np.sqrt((_ALPHA * _ALPHA * p + 1.0) * (1.0 - p))
    shift = (keep - 1.0) * dtype.type(_ALPHA * a) + dtype.type(_ALPHA * a * p)
    return keep * dtype.type(a), shift


def _alpha_dropout_kernel(xd, *, p, feature):
    mask, shift = _alpha_mask_kernel(shape=xd.shape, dtype=xd.dtype, p=p, feature=feature)
    return (xd * mask + shift).astype(xd.dtype, copy=False), mask


def _alpha_dropout_backward(g, mask):
    """`dx = g*a*m`, the forward's scaled mask (the shift b has no gradient)"""
    return (g * mask,)


ALPHA_DROPOUT = Primitive(
    "AlphaDropout", _alpha_dropout_kernel, _alpha_dropout_backward, multi=True, random=True
)
ALPHA_MASK = Primitive("AlphaDropoutMask", _alpha_mask_kernel, multi=True, random=True)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout (for SELU networks): keeps zero mean and unit variance; per element"""
    return _alpha(input, p, training, inplace, False, "alpha_dropout")


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole (N, C) channels"""
    return _alpha(input, p, training, inplace, True, "feature_alpha_dropout")
