"""Dropout: zero elements at random during training and rescale the rest by 1/(1-p)."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.node import record
from tinytensor.core import rng as _rng
from tinytensor.core import wrap
from tinytensor.nn.functional._util import float_input


def _check_p(p, who):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{who}: dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(x, keep, p, inplace):
    dt = x._data.dtype
    scale = np.zeros((), dt) if p == 1.0 else dt.type(1.0 / (1.0 - p))
    mask = wrap(keep.astype(dt) * scale)
    if inplace:
        return x.mul_(mask)
    # Only the mask is saved (as PyTorch's dropout): x may change in place after the forward.
    return record(wrap(x._data * mask._data), "Dropout", (x,), _dropout_backward, (mask,))


def _dropout_backward(g, mask):
    """dx = g*m/(1-p), the same scaled mask as the forward pass"""
    return (g * mask,)


def dropout(input, p=0.5, training=True, inplace=False):
    """f(x) = x*m/(1-p), m ~ Bernoulli(1-p) per element (identity when not training)"""
    _check_p(p, "dropout")
    x = float_input(input, "dropout")
    if not training or p == 0.0:
        return x
    keep = _rng().random(x.shape) >= p
    return _apply_mask(x, keep, p, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, H, W) or (C, H, W) input at random"""
    _check_p(p, "dropout2d")
    x = float_input(input, "dropout2d")
    if not training or p == 0.0:
        return x
    if x.ndim not in (3, 4):
        raise RuntimeError(f"dropout2d: expected a 3-D or 4-D input, got shape {tuple(x.shape)}")
    shape = x.shape[:-2] + (1, 1)
    keep = _rng().random(shape) >= p
    return _apply_mask(x, keep, p, inplace)
