"""The signal windows: ``hann_window``, ``hamming_window``, ``bartlett_window``,
``blackman_window`` and ``kaiser_window``, periodic by default as in PyTorch. Each is made by
one primitive's kernel from attributes alone (``made``), so a compiled program makes it again."""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.primitive import Primitive
from tinytensor.core.device import check_device
from tinytensor.ops.creation import made

__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"]


def _window(name, n, periodic, dtype, requires_grad, device, make):
    check_device(device, name)
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise RuntimeError(f"{name} requires non-negative window length, got window_length={n}")
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    attrs = {"n": int(n), "periodic": periodic, "dtype": dt.np, "make": make}
    return made(WINDOW, (), attrs, requires_grad)


def _window_kernel(n, periodic, dtype, make):
    if n <= 1:
        return np.ones(n, dtype)
    w = make(n + 1)[:-1] if periodic else make(n)
    return np.asarray(w, dtype=dtype)


WINDOW = Primitive("Window", _window_kernel)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False):  # fmt: skip
    """w[k] = 0.5 - 0.5 cos(2 pi k / (N - 1)) (N = length + 1 when periodic)."""
    return _window("hann_window", window_length, periodic, dtype, requires_grad, device,
                   np.hanning)  # fmt: skip


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, requires_grad=False):  # fmt: skip
    """w[k] = alpha - beta cos(2 pi k / (N - 1))."""

    def make(n):
        return alpha - beta * np.cos(2 * np.pi * np.arange(n) / (n - 1))

    return _window("hamming_window", window_length, periodic, dtype, requires_grad, device, make)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):  # fmt: skip
    """w[k] = 1 - |2k / (N - 1) - 1|."""
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad, device,
                   np.bartlett)  # fmt: skip


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):  # fmt: skip
    """w[k] = 0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, requires_grad, device,
                   np.blackman)  # fmt: skip


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, requires_grad=False):  # fmt: skip
    """w[k] = I0(beta sqrt(1 - (2k / (N - 1) - 1)^2)) / I0(beta)."""
    return _window("kaiser_window", window_length, periodic, dtype, requires_grad, device,
                   lambda n: np.kaiser(n, beta))  # fmt: skip
