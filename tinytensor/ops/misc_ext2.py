"""More ``torch`` functions, waiting for their families: block_diag, combinations (join),
renorm, triangular_solve (linalg), addmv_ (the namespace's in-place forms).

Each is built from differentiable ops, so its gradients (of any order) come for free."""

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
