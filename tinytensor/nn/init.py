"""Weight initialisers (``nn.init``), in place and without gradient tracking, like PyTorch's.

All draw from the global generator seeded by ``tinytensor.manual_seed`` (or ``generator=``).
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.core import bump_version
from tinytensor.core import rng as _rng
from tinytensor.tensor import Tensor


def _check(tensor, who):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init.{who}: expected a Tensor, got {type(tensor).__name__}")


def _fill(tensor, values, who):
    _check(tensor, who)
    # Initialisers act on the storage directly: no graph is recorded and a Parameter that
    # requires grad can be filled outside no_grad, as in PyTorch.
    tensor._data[...] = values
    bump_version(tensor)
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for an activation: 1 for linear/conv/sigmoid, 5/3 for tanh,
    sqrt(2) for relu, sqrt(2/(1+slope^2)) for leaky_relu, 3/4 for selu."""
    linear_fns = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid"}  # fmt: skip
    if nonlinearity in linear_fns:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {tuple(tensor.shape)})"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples from U(a, b)."""
    _check(tensor, "uniform_")
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape), "uniform_")


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std^2)."""
    _check(tensor, "normal_")
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape), "normal_")


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) samples redrawn until they lie in [a, b]."""
    _check(tensor, "trunc_normal_")
    rng = _rng(generator)
    out = rng.normal(mean, std, tensor.shape)
    bad = (out < a) | (out > b)
    while np.any(bad):
        out[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(tensor, out, "trunc_normal_")


def constant_(tensor, val):
    """Fill ``tensor`` with ``val`` in place, without recording a graph, and return it.

    Args:
        tensor: the tensor (often a Parameter) to fill.
        val: the value every element gets.

    >>> nn.init.constant_(tt.empty(2, 2), 0.5)
    tensor([[0.5000, 0.5000],
            [0.5000, 0.5000]])"""
    return _fill(tensor, val, "constant_")


def zeros_(tensor):
    """Fill ``tensor`` with zeros in place, without recording a graph, and return it.

    >>> nn.init.zeros_(tt.empty(3))
    tensor([0., 0., 0.])"""
    return _fill(tensor, 0, "zeros_")


def ones_(tensor):
    """Fill ``tensor`` with ones in place, without recording a graph, and return it.

    >>> nn.init.ones_(tt.empty(3))
    tensor([1., 1., 1.])"""
    return _fill(tensor, 1, "ones_")


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix."""
    _check(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape), "eye_")


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with `a = gain*sqrt(6/(fan_in + fan_out))` (Glorot & Bengio)."""
    _check(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """`N(0, std^2)` with `std = gain*sqrt(2/(fan_in + fan_out))`."""
    _check(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b) with `b = gain*sqrt(3/fan) (He et al.)`; ``a`` is leaky_relu's negative slope."""
    _check(tensor, "kaiming_uniform_")
    if 0 in tensor.shape:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain/sqrt(fan)."""
    _check(tensor, "kaiming_normal_")
    if 0 in tensor.shape:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one."""
    _check(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError("orthogonal_: only tensors with 2 or more dimensions are supported")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape), "orthogonal_")
