"""The ``torch`` namespace's older linear-algebra spellings, built from the floors below:
``torch.svd`` (returning V, ``some=``), ``torch.qr(some=)``, ``torch.cholesky(upper=)``,
``torch.det`` (``input``, not ``A``), ``inverse``, ``pinverse``, ``logdet``,
``cholesky_inverse``, ``trace``, ``diag``/``diagflat`` (on ``diagonal``/``diag_embed``),
``chain_matmul``,
``torch.cross`` (``dim=None``), ``torch.vander`` (its argument order), ``renorm`` and
``triangular_solve``."""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.ops import binary as BI
from tinytensor.ops import reduce as R
from tinytensor.ops import selection as SEL
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, check_float, one_dim
from tinytensor.ops.creation import eye, zeros
from tinytensor.ops.linalg import factorizations as LX
from tinytensor.ops.linalg.factorizations import (
    _matrix,
    _mT,
    diagonal,
    inv,
    slogdet,
    solve_triangular,
)
from tinytensor.ops.linalg.factorizations import cholesky as _cholesky
from tinytensor.ops.linalg.factorizations import svd as _svd
from tinytensor.ops.linalg.functions import cross as _cross
from tinytensor.ops.linalg.functions import (
    multi_dot,
    pinv,
    svdvals,
    vector_norm,
)
from tinytensor.ops.linalg.solvers import cholesky_solve
from tinytensor.ops.linalg.solvers import qr as _qr
from tinytensor.ops.selection import where

__all__ = [
    "chain_matmul",
    "cholesky",
    "cholesky_inverse",
    "cross",
    "det",
    "diag",
    "diagflat",
    "inverse",
    "logdet",
    "pinverse",
    "qr",
    "renorm",
    "svd",
    "trace",
    "triangular_solve",
    "vander",
]


svd_result = namedtuple("svd", "U S V")


def svd(input, some=True, compute_uv=True):
    """``torch.svd``: A = U diag(S) V^T (V, not Vh); with compute_uv=False, U and V are zeros"""
    A = _matrix(input, "svd", square=False)
    if not compute_uv:
        m, n = A.shape[-2:]
        z = A.shape[:-2]
        return svd_result(
            zeros(*z, m, m, dtype=A.dtype), svdvals(A), zeros(*z, n, n, dtype=A.dtype)
        )
    U, s, Vh = _svd(A, full_matrices=not some)
    return svd_result(U, s, _mT(Vh))


def qr(input, some=True):
    """``torch.qr``: reduced (some=True) or complete QR"""
    A = input
    return _qr(A, "reduced" if some else "complete")


def cholesky(input, upper=False):
    """``torch.cholesky``: ``upper`` may be passed by position"""
    A = input
    return _cholesky(A, upper=upper)


def inverse(input):
    """The inverse of a square matrix (or a batch of them): ``tt.linalg.inv``.
    ``d A = -A^{-T} g A^{-T}``."""
    A = input
    return inv(A)


def pinverse(input, rcond=1e-15):
    """The Moore-Penrose pseudo-inverse: ``tt.linalg.pinv(A, rtol=rcond)``. Singular values below
    ``rcond`` times the largest are treated as zero."""
    A = input
    return pinv(A, rtol=rcond)


def det(input):
    """``torch.det``: ``linalg.det`` under the ``torch`` namespace's argument name (``input``,
    where ``torch.linalg.det`` takes ``A``)."""
    return LX.det(input)


def logdet(input):
    """f(A) = log det A (nan where det A < 0, -inf where it is 0)"""
    A = input
    sign, lad = slogdet(A)
    return where(sign < 0, math.nan, lad)


def cholesky_inverse(input, upper=False):
    """(L L^T)^-1 from its Cholesky factor"""
    L = _matrix(input, "cholesky_inverse")
    return cholesky_solve(eye(L.shape[-1], dtype=L.dtype), L, upper)


def trace(input):
    """f(A) = sum of A's diagonal (2-D A)"""
    A = as_tensor(input, "trace")
    if A.ndim != 2:
        raise RuntimeError(f"trace: expected a 2-D tensor, got shape {tuple(A.shape)}")
    return R.sum(diagonal(A))


def diag(input, diagonal=0):
    """1-D: a matrix with ``a`` on its diagonal; 2-D: the diagonal, as a new 1-D tensor."""
    a = as_tensor(input, "diag")
    if a.ndim == 1:
        return LX.diag_embed(a, diagonal, 0, 1)
    if a.ndim == 2:
        return LX.diagonal(a, diagonal, 0, 1)
    raise RuntimeError(f"diag(): supports 1D or 2D tensors, got a tensor of shape {tuple(a.shape)}")


def diagflat(input, offset=0):
    """A matrix with the flattened ``a`` on its diagonal (offset above or below)."""
    a = input
    return LX.diag_embed(S.reshape(as_tensor(a, "diagflat"), (-1,)), offset, 0, 1)


def cross(input, other, dim=None):
    """``torch.cross``: dim=None means the first dim of size 3"""
    a, b = input, other
    if dim is None:
        a, b = as_tensor(a, "cross"), as_tensor(b, "cross")
        shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
        dim = next((k for k, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dimension of size 3 in shape {tuple(shape)}")
        dim -= len(shape)
    return _cross(a, b, dim)


def vander(x, N=None, increasing=False):  # noqa: N803 - PyTorch's argument name
    """`f(x)[i, j] = x_i ** (N-1-j)` (or `x_i ** j` when increasing); differentiable in x"""
    x = as_tensor(x, "vander")
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a 1-D tensor, got shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else N
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise RuntimeError(f"vander: N must be a non-negative int, got {N!r}")
    dt = x._data.dtype if x._data.dtype.kind == "f" else np.dtype(np.int64)
    p = VANDER_POWERS.apply((), (), (), {"n": n, "increasing": bool(increasing), "dtype": dt})
    return BI.pow(S.unsqueeze(x, 1), p)


def _vander_powers_kernel(*, n, increasing, dtype):
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    return powers.astype(dtype)


VANDER_POWERS = Primitive("VanderPowers", _vander_powers_kernel)  # a constant: no gradient


triangular_solve_result = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


def renorm(input, p, dim, maxnorm):  # noqa: A002
    """`f(a)` = each slice a.select(dim, i) whose p-norm exceeds maxnorm, scaled to that norm:
    `a * where(n > maxnorm, maxnorm / (n + 1e-7), 1)`"""
    a = as_tensor(input, "renorm")
    check_float(a, "renorm", RuntimeError)
    if a.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got shape {tuple(a.shape)}")
    d = one_dim(dim, a.ndim, "renorm")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive norm (p = {p}) is not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0, got {maxnorm}")
    others = tuple(k for k in range(a.ndim) if k != d)
    norm = vector_norm(a, p, others, keepdim=True)
    factor = SEL.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return a * factor.to(a.dtype)


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
    """(X, A.clone()) with op(A) X = b, op(A) = A or A^T; the deprecated form of
    linalg.solve_triangular"""
    A, b = as_tensor(A, "triangular_solve"), as_tensor(input, "triangular_solve")
    if A.ndim < 2 or b.ndim < 2:
        raise RuntimeError(
            f"triangular_solve: A {tuple(A.shape)} and b {tuple(b.shape)} must be batches of "
            "matrices (at least 2 dimensions)"
        )
    T = S.transpose(A, -2, -1) if transpose else A
    up = upper != bool(transpose)
    x = solve_triangular(T, b, upper=up, unitriangular=unitriangular)
    return triangular_solve_result(x, S.clone(A))


def chain_matmul(*matrices):
    """The product of the given matrices, multiplied in the cheapest order:
    ``tt.linalg.multi_dot(matrices)`` (deprecated in PyTorch in favour of it)."""
    return multi_dot(matrices)
