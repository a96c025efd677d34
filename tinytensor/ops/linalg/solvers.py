"""QR, least squares and solving from a Cholesky factor: ``qr``, ``lstsq`` (every driver's
fields, the minimum-norm solution for rank-deficient input) and ``cholesky_solve``, each one
node that saves what PyTorch saves; and the forms that return an error code instead of raising:
``inv_ex``, ``cholesky_ex`` and ``solve_ex`` (one multi-output kernel each, the code without
gradient)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tinytensor.autograd.node import OUT, output
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.ops import join as J
from tinytensor.ops import rearrange as RA
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, broadcast_error
from tinytensor.ops._util import promoted_values as _promoted
from tinytensor.ops.linalg.factorizations import (
    LinAlgError,
    _batch_str,
    _cholesky_backward,
    _inv_backward,
    _inv_np,
    _matrix,
    _mT,
    _not_pd_error,
    _per_matrix,
    _solve_backward,
    _tri_solve_np,
    solve_triangular,
)
from tinytensor.ops.linalg.functions import _pinv_backward, _tolerance, linalg_lstsq, pinv
from tinytensor.ops.linalg.products import matmul

__all__ = [
    "cholesky_ex",
    "cholesky_solve",
    "inv_ex",
    "lstsq",
    "qr",
    "solve_ex",
]

linalg_inv_ex = namedtuple("linalg_inv_ex", "inverse info")
linalg_cholesky_ex = namedtuple("linalg_cholesky_ex", "L info")
linalg_solve_ex = namedtuple("linalg_solve_ex", "result info")


def qr(A, mode="reduced"):
    """A = Q R;  dA = (gQ + Q copyltu(R gR^T - gQ^T Q)) R^-T  (m >= n; wide A splits R)"""
    A = _matrix(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    if mode == "r":  # Q is empty and has no gradient
        Q, R = QR.compute((A,), (A._data,), {"mode": mode})
        Q, R = wrap(Q), wrap(R)
        QR.record((None, R), (A,), (None, output(1), mode), {"mode": mode})
        return Q, R
    return QR.apply((A,), (A._data,), (output(0), output(1), mode), {"mode": mode})


def _qr_kernel(A, *, mode):
    if mode == "r":
        return np.zeros(0, dtype=A.dtype), np.linalg.qr(A, mode="r")
    return np.linalg.qr(A, mode=mode)


def _qr_backward(gs, Q, R, mode):
    if mode == "r":
        raise RuntimeError(
            "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
            "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
            "linalg.qr."
        )
    gQ, gR = gs
    m, n = Q.shape[-2], R.shape[-1]
    if mode == "complete" and m > n:
        raise RuntimeError(
            "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
        )
    if m >= n:
        return (_qr_grad(gQ, gR, Q, R),)
    # Wide A = [X | Y]: X = Q U is a square QR, Y = Q V.
    U, V = S.narrow(R, -1, 0, m), S.narrow(R, -1, m, n - m)
    gU = None if gR is None else S.narrow(gR, -1, 0, m)
    gV = None if gR is None else S.narrow(gR, -1, m, n - m)
    if gV is None:
        return (J.cat([_qr_grad(gQ, gU, Q, U), matmul(Q, V) * 0], -1),)
    gQ2 = matmul(matmul(Q, V), _mT(gV)) if gQ is None else gQ + matmul(matmul(Q, V), _mT(gV))
    return (J.cat([_qr_grad(gQ2, gU, Q, U), matmul(Q, gV)], -1),)


def _qr_grad(gQ, gR, Q, R):
    M = 0
    if gR is not None:
        M = matmul(R, _mT(gR))
    if gQ is not None:
        M = M - matmul(_mT(gQ), Q)
    sym = RA.tril(M) + _mT(RA.tril(M, -1))
    b = matmul(Q, sym) if gQ is None else gQ + matmul(Q, sym)
    return solve_triangular(_mT(R), b, upper=False, left=False)


QR = Primitive("LinalgQr", _qr_kernel, _qr_backward, multi=True)


def lstsq(input, b, rcond=None, *, driver=None):
    """X minimizing |A X - B| (the minimum-norm one if A is rank-deficient), as pinv(A) B.

    One node saving A, B and the solution, as PyTorch's ``LinalgLstsqBackward``; the residuals
    (tall full-rank A, drivers gels/gelsd/gelss) are differentiable too.
    dB = pinv(A)^T gX - 2 (A X - B) gR,  dA = pinv'(gX B^T) + 2 (A X - B) gR X^T."""
    A, B = input, b
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
    ad, bd = _promoted(A, B, A._data, B._data)
    m, n = ad.shape[-2:]
    # The residuals exist only where A has full rank n: their shape depends on the values.
    prim = LSTSQ_RESIDUALS if driver in ("gels", "gelsd", "gelss") and m > n else LSTSQ
    try:
        X, res, rank, sv = prim.compute((A, B), (ad, bd), {"rcond": rcond, "driver": driver})
    except ValueError:
        raise broadcast_error("linalg.lstsq", A, B) from None
    X, res = wrap(X), wrap(res)
    found = res.shape != (0,)  # no residuals: an empty tensor without gradient
    prim.record((X, res if found else None), (A, B), (A, B, output(0)), {"driver": driver})
    return linalg_lstsq(X, res, wrap(rank), wrap(sv))


def _lstsq_kernel(ad, bd, *, rcond, driver):
    """(X, residuals, rank, singular values) as the driver returns them (empty where it
    computes none)."""
    m, n = ad.shape[-2:]
    U, s, Vh = np.linalg.svd(ad, full_matrices=False)
    keep = s > _tolerance(s, m, n, None, rcond)
    sinv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0).astype(ad.dtype)
    X = np.swapaxes(Vh, -1, -2) @ (sinv[..., :, None] * (np.swapaxes(U, -1, -2) @ bd))
    rank = np.sum(keep, -1)
    res = np.zeros(0, ad.dtype)
    if driver in ("gels", "gelsd", "gelss") and m > n and np.all(rank == n):
        res = np.sum((ad @ X - bd) ** 2, -2)
    rank = np.zeros(0, np.int64) if driver == "gels" else np.asarray(rank, np.int64)
    sv = s if driver in ("gelsd", "gelss") else np.zeros(0, dtype=ad.dtype)
    return X, res, rank, sv


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


LSTSQ = Primitive("LinalgLstsq", _lstsq_kernel, _lstsq_backward, multi=True)
LSTSQ_RESIDUALS = Primitive(  # the same, where residuals exist only if A has full rank
    "LinalgLstsq", _lstsq_kernel, _lstsq_backward, multi=True, data_dependent=True
)


def cholesky_solve(input, input2, upper=False):
    """X with (L L^T) X = B (or (U^T U) X = B if upper); only L's triangle is read.

    One node saving B, L and X, as PyTorch's ``CholeskySolveBackward``, with its formula:
    dB = cholesky_solve(g, L),  dL = -(dB X^T + X dB^T) L  (-L (...) if upper). Like
    PyTorch's, dL is a full matrix, not projected on the triangle the forward pass reads."""
    B, L = input, input2
    B = _matrix(B, "cholesky_solve", square=False)
    L = _matrix(L, "cholesky_solve")
    if B.shape[-2] != L.shape[-1]:
        raise RuntimeError(
            f"cholesky_solve: B of shape {tuple(B.shape)} and L of shape {tuple(L.shape)} do "
            f"not fit: B needs {L.shape[-1]} rows"
        )
    bd, ld = _promoted(B, L, B._data, L._data)
    try:
        return CHOLESKY_SOLVE.apply((B, L), (bd, ld), (B, L, OUT, upper), {"upper": bool(upper)})
    except ValueError:
        raise broadcast_error("cholesky_solve", B, L) from None


def _cholesky_solve_kernel(bd, ld, *, upper):
    T = np.triu(ld) if upper else np.tril(ld)
    Tt = np.swapaxes(T, -1, -2)
    if upper:  # U^T (U X) = B
        return _tri_solve_np(T, _tri_solve_np(Tt, bd, False), True)
    return _tri_solve_np(Tt, _tri_solve_np(T, bd, False), True)  # L (L^T X) = B


def _cholesky_solve_backward(g, B, L, X, upper):
    del B  # saved as PyTorch saves it (a change to B is an error), not read
    gB = cholesky_solve(g, L, upper)
    common = matmul(gB, _mT(X))
    common = common + _mT(common)
    return gB, -(matmul(L, common) if upper else matmul(common, L))


CHOLESKY_SOLVE = Primitive("CholeskySolve", _cholesky_solve_kernel, _cholesky_solve_backward)


def _lu_info(m):
    """LAPACK getrf's info for a singular ``m``: the (1-based) column of the first pivot that is
    exactly zero in LU with partial pivoting (the first largest |entry| is the pivot)."""
    a = np.array(m, dtype=np.float64)
    n = a.shape[-1]
    for j in range(n):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        if a[p, j] == 0:
            return j + 1
        a[[j, p]] = a[[p, j]]
        a[j + 1 :, j] /= a[j, j]
        a[j + 1 :, j + 1 :] -= np.outer(a[j + 1 :, j], a[j, j + 1 :])
    return n  # NumPy's LAPACK found a zero pivot that rounding here did not: the last column


def inv_ex(A, *, check_errors=False):
    """(inverse, info): info is 0, or for a singular matrix the 1-based column of the first zero
    pivot of its LU factorization (LAPACK's getrf info, as PyTorch's); then inverse is nan"""
    A = _matrix(A, "linalg.inv_ex")
    Ainv, info = INV_EX.compute((A,), (A._data,), {"check_errors": bool(check_errors)})
    Ainv, info = wrap(Ainv), wrap(info)
    INV_EX.record((Ainv, None), (A,), (output(0),))  # info has no gradient
    return linalg_inv_ex(Ainv, info)


def _inv_ex_kernel(A, *, check_errors):
    try:
        return np.linalg.inv(A), np.zeros(A.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        if check_errors:
            _inv_np(A, "linalg.inv_ex")  # raises LinAlgError naming the matrix
    flat = A.reshape((-1,) + A.shape[-2:])
    out = np.full(flat.shape, np.nan, dtype=A.dtype)
    info = np.zeros(len(flat), np.int32)
    for i, m in enumerate(flat):
        if _per_matrix(np.linalg.inv, m) is None:
            out[i] = np.linalg.inv(m)
        else:
            info[i] = _lu_info(m)
    return out.reshape(A.shape), info.reshape(A.shape[:-2])


def _inv_ex_backward(gs, out):
    return (None,) if gs[0] is None else _inv_backward(gs[0], out)


INV_EX = Primitive("LinalgInv", _inv_ex_kernel, _inv_ex_backward, multi=True)


def cholesky_ex(input, *, upper=False, check_errors=False):
    """(L, info): info is 0, or the order of the first leading minor that is not positive"""
    A = _matrix(input, "linalg.cholesky_ex")
    attrs = {"upper": bool(upper), "check_errors": bool(check_errors)}
    L, info = CHOLESKY_EX.compute((A,), (A._data,), attrs)
    L, info = wrap(L), wrap(info)
    CHOLESKY_EX.record((L, None), (A,), (output(0), upper), {"upper": bool(upper)})
    return linalg_cholesky_ex(L, info)


def _cholesky_ex_kernel(A, *, upper, check_errors):
    flat = A.reshape((-1,) + A.shape[-2:])
    out = np.full(flat.shape, np.nan, dtype=A.dtype)
    info = np.zeros(len(flat), np.int32)
    try:
        out = np.linalg.cholesky(flat)
    except np.linalg.LinAlgError:
        for i, m in enumerate(flat):
            if _per_matrix(np.linalg.cholesky, m) is None:
                out[i] = np.linalg.cholesky(m)
            else:
                info[i] = _not_pd_error(m, "linalg.cholesky_ex")[0]
        if check_errors:
            i = int(np.flatnonzero(info)[0])
            raise LinAlgError(
                f"linalg.cholesky_ex: The factorization could not be completed because the "
                f"input is not positive-definite (the leading minor of order {info[i]} of "
                f"{_batch_str(A.shape, i)}, shape {A.shape}, is not positive-definite)"
            ) from None
    if upper:
        out = np.ascontiguousarray(np.swapaxes(out, -1, -2))
    return out.reshape(A.shape), info.reshape(A.shape[:-2])


def _cholesky_ex_backward(gs, L, upper):
    return (None,) if gs[0] is None else _cholesky_backward(gs[0], L, upper)


CHOLESKY_EX = Primitive("LinalgCholesky", _cholesky_ex_kernel, _cholesky_ex_backward, multi=True)


def solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info) of linalg.solve; info is positive where A is singular (result nan)"""
    A = _matrix(A, "linalg.solve_ex")
    B = as_tensor(B, "linalg.solve_ex")
    if B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1]):  # vectors
        k = -1 if left else -2
        X, info = _solve_ex(A, S.unsqueeze(B, k), left, check_errors)
        return linalg_solve_ex(S.squeeze(X, k), info)
    return linalg_solve_ex(*_solve_ex(A, B, left, check_errors))


def _solve_ex(A, B, left, check_errors):
    """(X, info) with A X = B (X A = B if not left), B a matrix or a batch of them."""
    if not left:
        X, info = _solve_ex(_mT(A), _mT(B), True, check_errors)
        return _mT(X), info
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve_ex: A of shape {tuple(A.shape)} and B of shape {tuple(B.shape)} do "
            f"not fit: B needs {A.shape[-1]} rows (shape (*, {A.shape[-1]}, k) or "
            f"(*, {A.shape[-1]}))"
        )
    ad, bd = _promoted(A, B, A._data, B._data)
    X, info = SOLVE_EX.compute((A, B), (ad, bd), {"check_errors": bool(check_errors)})
    X, info = wrap(X), wrap(info)
    SOLVE_EX.record((X, None), (A, B), (A, output(0)))  # info has no gradient
    return X, info


def _solve_ex_kernel(A, B, *, check_errors):
    try:
        X = np.linalg.solve(A, B)
    except np.linalg.LinAlgError:
        Ainv, info = _inv_ex_kernel(A, check_errors=check_errors)
        return Ainv @ B, info
    except ValueError:
        raise RuntimeError(
            f"linalg.solve_ex: batch dims of A {A.shape} and B {B.shape} do not broadcast"
        ) from None
    return X, np.zeros(A.shape[:-2], np.int32)


def _solve_ex_backward(gs, A, X, *, needs):
    return (None, None) if gs[0] is None else _solve_backward(gs[0], A, X, needs=needs)


SOLVE_EX = Primitive("LinalgSolve", _solve_ex_kernel, _solve_ex_backward, multi=True)
