"""More ways to make tensors: ``asarray``, ``frombuffer``, ``empty_strided``, ``empty_permuted``,
``scalar_tensor``, the deprecated inclusive ``range``, and the signal windows (``hann_window``
and friends, periodic by default as in PyTorch)."""

from __future__ import annotations

import warnings

import numpy as np

from tinytensor import _dtype as D
from tinytensor.core import TensorBase, to_array, wrap
from tinytensor.core.device import check_device
from tinytensor.ops import creation as C


def _finish(arr, requires_grad):
    t = wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a tensor, sharing memory with a tensor or NumPy array when the dtype allows
    and ``copy`` is not True (``copy=False`` refuses to copy)."""
    check_device(device, "asarray")
    if isinstance(obj, TensorBase):
        arr = obj._data
    elif isinstance(obj, np.ndarray):
        D.from_numpy_dtype(obj.dtype)
        arr = obj
    else:
        arr = None
    if arr is not None:
        want = arr.dtype if dtype is None else D.to_dtype(dtype).np
        if copy is False and want != arr.dtype:
            raise ValueError("asarray: copy=False but a dtype conversion needs a copy")
        if copy or want != arr.dtype:
            arr = arr.astype(want, copy=True)
        elif isinstance(obj, TensorBase) and not requires_grad:
            return obj
        return _finish(arr, requires_grad)
    if copy is False and not hasattr(obj, "__array__"):
        raise ValueError(f"asarray: copy=False cannot share memory with a {type(obj).__name__}")
    return _finish(to_array(obj, dtype, copy=True), requires_grad)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing memory with a Python buffer (bytes, bytearray, memoryview...)."""
    dt = D.to_dtype(dtype).np
    try:
        arr = np.frombuffer(buffer, dtype=dt, count=count, offset=offset)
    except ValueError as e:
        raise ValueError(f"frombuffer: {e}") from None
    return _finish(arr, requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):  # fmt: skip
    """An uninitialised tensor of ``size``; tinytensor tensors are contiguous, so ``stride`` is
    checked for length and otherwise not kept."""
    if len(tuple(size)) != len(tuple(stride)):
        raise RuntimeError(
            f"empty_strided: mismatch in length of strides {len(stride)} and shape {len(size)}"
        )
    return C.empty(tuple(size), dtype=dtype, requires_grad=requires_grad, device=device)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):  # fmt: skip
    """An uninitialised tensor of ``size``; the physical layout is not kept (contiguous)."""
    if sorted(physical_layout) != list(range(len(tuple(size)))):
        raise RuntimeError(
            f"empty_permuted: physical_layout {tuple(physical_layout)} is not a permutation of "
            f"the {len(tuple(size))} dims"
        )
    return C.empty(tuple(size), dtype=dtype, requires_grad=requires_grad, device=device)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):  # fmt: skip
    """A 0-d tensor holding ``s``, of the default float dtype unless ``dtype`` is given."""
    check_device(device, "scalar_tensor")
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return _finish(np.asarray(s, dtype=dt.np), requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False):  # fmt: skip
    """Deprecated in PyTorch (use ``arange``): values from ``start`` to ``end`` *inclusive*, of
    the default float dtype."""
    warnings.warn(
        "tinytensor.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use tinytensor.arange, "
        "which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    n = int(np.floor((end - start) / step)) + 1
    return _finish((start + step * np.arange(max(n, 0))).astype(dt.np), requires_grad)


def _window(name, n, periodic, dtype, requires_grad, device, make):
    check_device(device, name)
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise RuntimeError(f"{name} requires non-negative window length, got window_length={n}")
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if n <= 1:
        return _finish(np.ones(n, dt.np), requires_grad)
    w = make(n + 1)[:-1] if periodic else make(n)
    return _finish(np.asarray(w, dtype=dt.np), requires_grad)


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
