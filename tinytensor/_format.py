"""PyTorch-style repr: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D

_DEFAULT_SHOWN = {np.dtype(np.int64), np.dtype(np.bool_)}


def _float_formatter(arr):
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return lambda x: _special(x) or f"{x:.4f}"
    amax = np.abs(finite).max()
    amin = np.abs(finite[finite != 0]).min() if np.any(finite != 0) else 0.0
    integral = np.all(finite == np.round(finite))
    if integral and amax < 1e8:
        return lambda x: _special(x) or f"{x:.0f}."
    if amax >= 1e8 or (amin and amin < 1e-4) or (amin and amax / amin > 1e3):
        return lambda x: _special(x) or f"{x:.4e}"
    return lambda x: _special(x) or f"{x:.4f}"


def _special(x):
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return None


def format_tensor(t) -> str:
    arr = t._data
    prefix = "tensor("
    extras = []
    if arr.dtype.kind == "f":
        fmt = _float_formatter(arr)
        if arr.dtype != D.get_default_dtype().np:
            extras.append(f"dtype={D.from_numpy_dtype(arr.dtype)}")
        body = np.array2string(
            arr,
            separator=", ",
            prefix=prefix,
            formatter={"float_kind": fmt},
            threshold=1000,
            edgeitems=3,
            max_line_width=80,
        )
    else:
        if arr.dtype not in _DEFAULT_SHOWN:
            extras.append(f"dtype={D.from_numpy_dtype(arr.dtype)}")
        body = np.array2string(
            arr, separator=", ", prefix=prefix, threshold=1000, edgeitems=3, max_line_width=80
        )
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            extras.insert(0, f"size={tuple(arr.shape)}")
    if t._grad_fn is not None:
        extras.append(f"grad_fn={t._grad_fn!r}")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
