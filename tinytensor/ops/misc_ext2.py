"""KEEP"""

from __future__ import annotations

import itertools
from collections import namedtuple

import numpy as np

from tinytensor._dtype import get_default_dtype
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import elementwise as E
from tinytensor.ops import index as I
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, check_float, one_dim
from tinytensor.ops.linalg_ext import solve_triangular
from tinytensor.ops.linalg_more import vector_norm

__all__ = [
    "addmv_",
    "block_diag",
    "combinations",
    "gradient",
    "renorm",
    "triangular_solve",
]


triangular_solve_result = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


def block_diag(*tensors):
    """f(A, B, ...) = the block-diagonal matrix with blocks A, B, ... (0-d and 1-d as rows)"""
    ts = [as_tensor(t, "block_diag") for t in tensors]
    if any(t.ndim > 2 for t in ts):
        raise RuntimeError(
            "block_diag: input tensors must have 2 or fewer dimensions, got shapes "
            f"{[tuple(t.shape) for t in ts]}"
        )
    if not ts:
        return wrap(np.zeros((1, 0), get_default_dtype().np))
    mats = [S.reshape(t, (1, -1)) if t.ndim < 2 else t for t in ts]
    dtype = np.result_type(*[t._data.dtype for t in ts])
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        m = m.to(wrap(np.zeros((), dtype)).dtype) if m._data.dtype != dtype else m
        r, c = m.shape
        lo = wrap(np.zeros((r, left), dtype))
        hi = wrap(np.zeros((r, width - left - c), dtype))
        rows.append(S.cat([lo, m, hi], 1))
        left += c
    return S.cat(rows, 0)


def combinations(input, r=2, with_replacement=False):  # noqa: A002
    """f(a) = the length-r combinations of a's elements, as rows (itertools.combinations)"""
    a = as_tensor(input, "combinations")
    if a.ndim != 1:
        raise RuntimeError(f"combinations: expect a 1-D vector, got shape {tuple(a.shape)}")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 0:
        raise RuntimeError(f"combinations: r must be a non-negative int, got {r!r}")
    if r == 0:
        return wrap(np.zeros((0,), a._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(a.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return I.getitem(a, wrap(idx))


def renorm(input, p, dim, maxnorm):  # noqa: A002
    """`f(a)` = each slice a.select(dim, i) whose p-norm exceeds maxnorm, scaled to that norm:
    `a * where(n > maxnorm, maxnorm / (n + 1e-7), 1)`"""
    a = as_tensor(input, "renorm")
    check_float(a, "renorm")
    if a.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got shape {tuple(a.shape)}")
    d = one_dim(dim, a.ndim, "renorm")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive norm (p = {p}) is not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0, got {maxnorm}")
    others = tuple(k for k in range(a.ndim) if k != d)
    norm = vector_norm(a, p, others, keepdim=True)
    factor = E.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return a * factor.to(a.dtype)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
    """(X, A.clone()) with op(A) X = b, op(A) = A or A^T; the deprecated form of
    linalg.solve_triangular"""
    A, b = as_tensor(A, "triangular_solve"), as_tensor(b, "triangular_solve")
    if A.ndim < 2 or b.ndim < 2:
        raise RuntimeError(
            f"triangular_solve: A {tuple(A.shape)} and b {tuple(b.shape)} must be batches of "
            "matrices (at least 2 dimensions)"
        )
    T = S.transpose(A, -2, -1) if transpose else A
    up = upper != bool(transpose)
    x = solve_triangular(T, b, upper=up, unitriangular=unitriangular)
    return triangular_solve_result(x, S.clone(A))


def addmv_(input, mat, vec, *, beta=1, alpha=1):  # noqa: A002
    """In place: ``input.addmv_(mat, vec, beta=beta, alpha=alpha)``."""
    if not isinstance(input, TensorBase):
        raise TypeError(f"addmv_(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def _along(t, d, start, stop):
    return I.getitem(t, (slice(None),) * d + (slice(start, stop),))


def _line(x, d, ndim):
    return S.reshape(x, (1,) * d + (-1,) + (1,) * (ndim - d - 1))


def _gradient_uniform(f, d, h, edge_order):
    inner = (_along(f, d, 2, None) - _along(f, d, None, -2)) / (2.0 * h)
    f0, f1, f2 = (_along(f, d, k, k + 1) for k in range(3))
    l1, l2, l3 = (_along(f, d, -k, None if k == 1 else -k + 1) for k in (1, 2, 3))
    if edge_order == 1:
        lo, hi = (f1 - f0) / h, (l1 - l2) / h
    else:
        lo = (-1.5 * f0 + 2.0 * f1 - 0.5 * f2) / h
        hi = (0.5 * l3 - 2.0 * l2 + 1.5 * l1) / h
    return S.cat([lo, inner, hi], d)


def _gradient_coords(f, d, x, edge_order):
    x = x.to(f.dtype)
    dx = x[1:] - x[:-1]
    a1, a2 = _line(dx[:-1], d, f.ndim), _line(dx[1:], d, f.ndim)
    ca = -a2 / (a1 * (a1 + a2))
    cb = (a2 - a1) / (a1 * a2)
    cc = a1 / (a2 * (a1 + a2))
    mid = _along(f, d, 1, -1)
    inner = ca * _along(f, d, None, -2) + cb * mid + cc * _along(f, d, 2, None)
    f0, f1, f2 = (_along(f, d, k, k + 1) for k in range(3))
    l1, l2, l3 = (_along(f, d, -k, None if k == 1 else -k + 1) for k in (1, 2, 3))
    if edge_order == 1:
        lo, hi = (f1 - f0) / dx[0], (l1 - l2) / dx[-1]
    else:
        h1, h2 = dx[0], dx[1]
        lo = (
            -(2.0 * h1 + h2) / (h1 * (h1 + h2)) * f0
            + (h1 + h2) / (h1 * h2) * f1
            - h1 / (h2 * (h1 + h2)) * f2
        )
        h1, h2 = dx[-2], dx[-1]
        hi = (
            h2 / (h1 * (h1 + h2)) * l3
            - (h2 + h1) / (h1 * h2) * l2
            + (2.0 * h2 + h1) / (h2 * (h1 + h2)) * l1
        )
    return S.cat([lo, inner, hi], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):  # noqa: A002
    """The derivative of samples along each dim, by second-order central differences inside
    and first/second-order one-sided ones at the ends (numpy.gradient); a tuple, one per dim"""
    f = as_tensor(input, "gradient")
    if f._data.dtype.kind != "f":
        f = f.to(get_default_dtype())
    if edge_order not in (1, 2):
        raise RuntimeError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    if f.ndim == 0:
        raise RuntimeError("gradient: input needs at least 1 dimension, got a 0-d tensor")
    if dim is None:
        dims = list(range(f.ndim))
    else:
        dims = [one_dim(k, f.ndim, "gradient") for k in ((dim,) if isinstance(dim, int) else dim)]
    if isinstance(spacing, (int, float)) and not isinstance(spacing, bool):
        spaces = [spacing] * len(dims)
    else:
        spaces = list(spacing)
        if len(spaces) == 1 and len(dims) > 1 and not isinstance(spaces[0], TensorBase):
            spaces = spaces * len(dims)
        if len(spaces) != len(dims):
            raise RuntimeError(
                f"gradient: expected spacing to be unspecified, a scalar or a list of length "
                f"{len(dims)} (one per dim), got a list of length {len(spaces)}"
            )
    out = []
    for d, h in zip(dims, spaces):
        if f.shape[d] < edge_order + 1:
            raise RuntimeError(
                f"gradient: expected each dimension size to be at least edge_order+1 = "
                f"{edge_order + 1}, got dim {d} of size {f.shape[d]} (shape {tuple(f.shape)})"
            )
        if isinstance(h, TensorBase) and h.ndim > 0:
            if h.ndim != 1 or h.shape[0] != f.shape[d]:
                raise RuntimeError(
                    f"gradient: the coordinates for dim {d} must be a 1-D tensor of "
                    f"{f.shape[d]} elements, got shape {tuple(h.shape)}"
                )
            out.append(_gradient_coords(f, d, h, edge_order))
        else:
            h = h.item() if isinstance(h, TensorBase) else h
            out.append(_gradient_uniform(f, d, float(h), edge_order))
    return tuple(out)
