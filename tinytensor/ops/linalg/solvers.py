"""Least squares and solving from a Cholesky factor: ``lstsq`` (every driver's fields, the
minimum-norm solution for rank-deficient input) and ``cholesky_solve``, each one node that saves
what PyTorch saves."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.node import OUT, output, record
from tinytensor.core import wrap
from tinytensor.ops import shape as S
from tinytensor.ops._util import binary, broadcast_error
from tinytensor.ops.linalg.factorizations import (
    _matrix,
    _mT,
    _tri_solve_np,
)
from tinytensor.ops.linalg.functions import _pinv_backward, _tolerance, linalg_lstsq, pinv
from tinytensor.ops.linalg.products import matmul

__all__ = [
    "cholesky_solve",
    "lstsq",
]


def lstsq(A, B, rcond=None, *, driver=None):
    """X minimizing |A X - B| (the minimum-norm one if A is rank-deficient), as pinv(A) B.

    One node saving A, B and the solution, as PyTorch's ``LinalgLstsqBackward``; the residuals
    (tall full-rank A, drivers gels/gelsd/gelss) are differentiable too.
    dB = pinv(A)^T gX - 2 (A X - B) gR,  dA = pinv'(gX B^T) + 2 (A X - B) gR X^T."""
    A = _matrix(A, "linalg.lstsq", square=False)
    B = _matrix(B, "linalg.lstsq", square=False)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            f"linalg.lstsq: driver must be one of None, 'gels', 'gelsy', 'gelsd', 'gelss', got "
            f"{driver!r}"
        )
    if B.shape[-2] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.lstsq: A of shape {tuple(A.shape)} and B of shape {tuple(B.shape)} must "
            "have the same number of rows"
        )
    A, B, ad, bd = binary(A, B, "linalg.lstsq")
    m, n = ad.shape[-2:]
    U, s, Vh = np.linalg.svd(ad, full_matrices=False)
    keep = s > _tolerance(s, m, n, None, rcond)
    sinv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0).astype(ad.dtype)
    try:
        X = np.swapaxes(Vh, -1, -2) @ (sinv[..., :, None] * (np.swapaxes(U, -1, -2) @ bd))
    except ValueError:
        raise broadcast_error("linalg.lstsq", A, B) from None
    rank = np.sum(keep, -1)
    res = None
    if driver in ("gels", "gelsd", "gelss") and m > n and np.all(rank == n):
        res = wrap(np.sum((ad @ X - bd) ** 2, -2))
    out = record((wrap(X), res), "LinalgLstsq", (A, B), _lstsq_backward, (A, B, output(0)))
    empty = wrap(np.zeros(0, dtype=ad.dtype))
    rank_t = wrap(np.zeros(0, np.int64)) if driver == "gels" else wrap(np.asarray(rank, np.int64))
    sv = wrap(s) if driver in ("gelsd", "gelss") else empty
    return linalg_lstsq(out[0], empty if res is None else out[1], rank_t, sv)


def _lstsq_backward(gs, A, B, X):
    gX, gR = gs
    gA = gB = None
    if gX is not None:
        P = pinv(A)
        gA = _pinv_backward(matmul(gX, _mT(B)), A, P)[0]
        gB = matmul(_mT(P), gX)
    if gR is not None:
        r2 = (matmul(A, X) - B) * S.unsqueeze(gR, -2) * 2.0
        gA = matmul(r2, _mT(X)) if gA is None else gA + matmul(r2, _mT(X))
        gB = -r2 if gB is None else gB - r2
    return gA, gB


def cholesky_solve(B, L, upper=False):
    """X with (L L^T) X = B (or (U^T U) X = B if upper); only L's triangle is read.

    One node saving B, L and X, as PyTorch's ``CholeskySolveBackward``, with its formula:
    dB = cholesky_solve(g, L),  dL = -(dB X^T + X dB^T) L  (-L (...) if upper). Like
    PyTorch's, dL is a full matrix, not projected on the triangle the forward pass reads."""
    B = _matrix(B, "cholesky_solve", square=False)
    L = _matrix(L, "cholesky_solve")
    if B.shape[-2] != L.shape[-1]:
        raise RuntimeError(
            f"cholesky_solve: B of shape {tuple(B.shape)} and L of shape {tuple(L.shape)} do "
            f"not fit: B needs {L.shape[-1]} rows"
        )
    B, L, bd, ld = binary(B, L, "cholesky_solve")
    T = np.triu(ld) if upper else np.tril(ld)
    Tt = np.swapaxes(T, -1, -2)
    try:
        if upper:  # U^T (U X) = B
            X = _tri_solve_np(T, _tri_solve_np(Tt, bd, False), True)
        else:  # L (L^T X) = B
            X = _tri_solve_np(Tt, _tri_solve_np(T, bd, False), True)
    except ValueError:
        raise broadcast_error("cholesky_solve", B, L) from None
    saved = (B, L, OUT, upper)
    return record(wrap(X), "CholeskySolve", (B, L), _cholesky_solve_backward, saved)


def _cholesky_solve_backward(g, B, L, X, upper):
    del B  # saved as PyTorch saves it (a change to B is an error), not read
    gB = cholesky_solve(g, L, upper)
    common = matmul(gB, _mT(X))
    common = common + _mT(common)
    return gB, -(matmul(L, common) if upper else matmul(common, L))
