"""Normalisation layers' math: batch_norm, layer_norm, group_norm, normalize.

Composed from tinytensor ops, so every order of gradient comes for free.
"""

from __future__ import annotations

import numpy as np

from tinytensor.core import bump_version, wrap
from tinytensor.nn.functional._util import float_input, saves


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """f(x) = (x - mean)/sqrt(var + eps)*weight + bias per channel (dim 1).

    Training uses the batch's statistics (biased variance) and, if running buffers are
    given, updates them in place: r = (1 - momentum)*r + momentum*stat (unbiased variance).
    Evaluation uses the running statistics.
    """
    x = float_input(input, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input (N, C, ...), got {x.shape}")
    c = x.shape[1]
    shape = (1, c) + (1,) * (x.ndim - 2)
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):  # fmt: skip
        if t is not None and t.shape != (c,):
            raise RuntimeError(
                f"batch_norm: {name} must have shape ({c},) for input {tuple(x.shape)}, got "
                f"{tuple(t.shape)}"
            )
    axes = (0,) + tuple(range(2, x.ndim))
    if training:
        count = x.numel() // c
        if count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {tuple(x.shape)}"
            )
        mean = x.mean(axes, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(axes, keepdim=True)
        if running_mean is not None:
            m = running_mean._data.dtype.type(momentum)
            running_mean._data *= 1 - m
            running_mean._data += m * mean._data.reshape(c).astype(running_mean._data.dtype)
            bump_version(running_mean)
        if running_var is not None:
            m = running_var._data.dtype.type(momentum)
            unbiased = var._data.reshape(c) * (count / (count - 1))
            running_var._data *= 1 - m
            running_var._data += m * unbiased.astype(running_var._data.dtype)
            bump_version(running_var)
        out = centered * (var + eps).rsqrt()
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                "batch_norm: running_mean and running_var are needed when training=False"
            )
        rm = wrap(running_mean._data.reshape(shape).astype(x._data.dtype))
        rv = wrap(running_var._data.reshape(shape).astype(x._data.dtype))
        out = (x - rm) * (rv + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    # PyTorch's native_batch_norm saves input, weight and both running buffers.
    return saves(out, "NativeBatchNorm", x, weight, running_mean, running_var)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """f(x) = (x - mean)/sqrt(var + eps)*weight + bias over the last len(normalized_shape) dims"""
    x = float_input(input, "layer_norm")
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or x.shape[x.ndim - k :] != normalized_shape or k > x.ndim:
        raise RuntimeError(
            f"layer_norm: normalized_shape {normalized_shape} must match the last dims of the "
            f"input, got input of shape {tuple(x.shape)}"
        )
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axes, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(axes, keepdim=True)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return saves(out, "NativeLayerNorm", x, weight, bias)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """f(x) = x normalised over each group of C/num_groups channels (and all spatial dims)"""
    x = float_input(input, "group_norm")
    n, c = x.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"group_norm: {c} channels are not divisible into {num_groups} groups")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(
                f"group_norm: input of shape {tuple(x.shape)} has {c} channels but {name} has "
                f"shape {tuple(t.shape)}; expected {c} entries"
            )
    g = x.reshape(n, num_groups, -1)
    mean = g.mean(-1, keepdim=True)
    centered = g - mean
    var = (centered * centered).mean(-1, keepdim=True)
    out = (centered * (var + eps).rsqrt()).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return saves(out, "NativeGroupNorm", x, weight)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """f(x) = x / max(||x||_p, eps) along dim"""
    x = float_input(input, "normalize")
    return x / x.norm(p, dim, keepdim=True).clamp(min=eps)


_ = np
