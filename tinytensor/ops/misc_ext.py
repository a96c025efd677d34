"""Small ``torch`` functions built from existing ops, waiting for their families: ravel (shape),
angle, frexp (unary), gcd, lcm (binary), vander (linalg), cartesian_prod (join)."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.core import wrap
from tinytensor.ops import elementwise as E
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor
from tinytensor.ops.index import getitem

__all__ = [
    "angle",
    "cartesian_prod",
    "frexp",
    "gcd",
    "lcm",
    "ravel",
    "vander",
]


def ravel(input):  # noqa: A002 - PyTorch's argument name
    """f(a) = a flattened to 1-D (a view when it can be)"""
    return S.reshape(as_tensor(input, "ravel"), -1)


def angle(input):  # noqa: A002
    """f(x) = 0 for x >= 0, pi for x < 0, nan for nan (real input; no gradient, as 0 a.e.)"""
    d = as_tensor(input, "angle")._data
    dt = d.dtype if d.dtype.kind == "f" else np.float32
    return wrap(np.where(d < 0, math.pi, np.where(np.isnan(d), np.nan, 0.0)).astype(dt))


def frexp(input):  # noqa: A002
    """(mantissa, exponent) with `input = mantissa * 2**exponent, |mantissa|` in [0.5, 1)"""
    d = as_tensor(input, "frexp")._data
    if d.dtype.kind != "f":
        raise RuntimeError(f"frexp: expected a floating tensor, got {d.dtype}")
    m, e = np.frexp(d)
    return wrap(m.astype(d.dtype)), wrap(e.astype(np.int32))


def _int_pair(input, other, name):
    a, b = as_tensor(input, name), as_tensor(other, name)
    if a._data.dtype.kind not in "iub" or b._data.dtype.kind not in "iub":
        raise RuntimeError(
            f"{name}: expected integer tensors, got {a._data.dtype} and {b._data.dtype}"
        )
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(
            f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast together"
        ) from None
    return a._data, b._data


def gcd(input, other):  # noqa: A002
    """f(a, b) = the greatest common divisor, elementwise (integers; no gradient)"""
    a, b = _int_pair(input, other, "gcd")
    return wrap(np.gcd(a, b))


def lcm(input, other):  # noqa: A002
    """f(a, b) = the least common multiple, elementwise (integers; no gradient)"""
    a, b = _int_pair(input, other, "lcm")
    return wrap(np.lcm(a, b))


def vander(x, N=None, increasing=False):  # noqa: N803 - PyTorch's argument name
    """`f(x)[i, j] = x_i ** (N-1-j)` (or `x_i ** j` when increasing); differentiable in x"""
    x = as_tensor(x, "vander")
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a 1-D tensor, got shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else N
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise RuntimeError(f"vander: N must be a non-negative int, got {N!r}")
    powers = np.arange(n) if increasing else np.arange(n)[::-1].copy()
    p = wrap(powers.astype(x._data.dtype if x._data.dtype.kind == "f" else np.int64))
    return E.pow(S.unsqueeze(x, 1), p)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (itertools.product)"""
    ts = [as_tensor(t, "cartesian_prod") for t in tensors]
    if not ts or any(t.ndim != 1 for t in ts):
        raise RuntimeError(
            f"cartesian_prod: expected 1-D tensors, got shapes {[tuple(t.shape) for t in ts]}"
        )
    if len(ts) == 1:
        return ts[0]
    grids = np.meshgrid(*[np.arange(t.shape[0]) for t in ts], indexing="ij")
    cols = [getitem(t, wrap(g.reshape(-1))) for t, g in zip(ts, grids)]
    return S.stack(cols, 1)
