"""Linear algebra beyond matmul: diagonals, inverses, determinants, solves and factorizations.

Each op works on a matrix or a batch of them (leading dims, broadcast as in PyTorch), computes
in NumPy and records one node; its backward sits right under it, written in tinytensor ops, so
``create_graph=True`` differentiates it again. The floor below is products.py (matmul); the
functions built on these (norms, pinv, matrix_exp, cross, the ``*_ex`` forms...) are in
functions.py, lstsq and cholesky_solve in solvers.py.
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.node import OUT, output, record
from tinytensor.core import wrap
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, binary, one_dim
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.creation import eye
from tinytensor.ops.linalg.products import matmul
from tinytensor.ops.reduce import prod

__all__ = [
    "LinAlgError",
    "cholesky",
    "det",
    "diag_embed",
    "diagonal",
    "eigh",
    "inv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
]


class LinAlgError(RuntimeError):
    """A matrix is singular or not positive-definite (PyTorch's ``torch.linalg.LinAlgError``)."""


def _mT(x):
    return S.transpose(x, -2, -1)


def _matrix(A, name, square=True):
    """``A`` as a floating tensor of matrices (..., m, n), square if asked."""
    A = as_tensor(A, name)
    if A._data.dtype.kind != "f":
        raise RuntimeError(
            f"{name}: expected a floating point tensor, got dtype {A.dtype}; convert it with "
            ".double() or .float()"
        )
    if A.ndim < 2 or (square and A.shape[-1] != A.shape[-2]):
        what = "square matrices" if square else "matrices"
        raise RuntimeError(
            f"{name}: expected a tensor of {what} of shape (*, n, n), got shape {tuple(A.shape)}"
        )
    return A


def _batch_str(shape, i):
    if len(shape) <= 2:
        return "the matrix"
    return f"batch element {tuple(int(k) for k in np.unravel_index(i, shape[:-2]))} of the input"


def diagonal(a, offset=0, dim1=0, dim2=1):
    """f(A) = A's diagonal over (dim1, dim2), as the last dim;  dA = g scattered back on it"""
    a = as_tensor(a, "diagonal")
    d1, d2 = one_dim(dim1, a.ndim, "diagonal"), one_dim(dim2, a.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal: dim1 and dim2 cannot be the same dimension ({dim1})")
    out = np.diagonal(a._data, offset, d1, d2).copy()
    return record(wrap(out), "Diagonal", (a,), _diagonal_backward, (a.shape, offset, d1, d2))


def _diagonal_backward(g, shape, offset, d1, d2):
    return (_diagonal_scatter(g, shape, offset, d1, d2),)


def _diagonal_scatter(x, shape, offset, d1, d2):
    """f(x) = zeros(shape) with x on the diagonal (offset) over (d1, d2);  dx = diagonal(g)"""
    z = np.zeros(shape, dtype=x._data.dtype)
    view = np.moveaxis(z, (d1, d2), (-2, -1))
    idx = np.arange(x.shape[-1])
    view[..., idx + max(-offset, 0), idx + max(offset, 0)] = x._data
    return record(wrap(z), "DiagonalScatter", (x,), _diagonal_scatter_backward, (offset, d1, d2))


def _diagonal_scatter_backward(g, offset, d1, d2):
    return (diagonal(g, offset, d1, d2),)


def diag_embed(x, offset=0, dim1=-2, dim2=-1):
    """Matrices with the last dim of ``x`` on their diagonal (PyTorch's ``torch.diag_embed``)."""
    x = as_tensor(x, "diag_embed")
    nd = x.ndim + 1
    d1, d2 = one_dim(dim1, nd, "diag_embed"), one_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: dim1 and dim2 cannot be the same dimension ({dim1})")
    m = x.shape[-1] + abs(offset)
    rest = iter(x.shape[:-1])
    shape = tuple(m if k in (d1, d2) else next(rest) for k in range(nd))
    return _diagonal_scatter(x, shape, offset, d1, d2)


def _per_matrix(fn, data):
    """``fn`` on each matrix of a batch; the index of the first that raises, or None."""
    flat = data.reshape((-1,) + data.shape[-2:])
    for i, m in enumerate(flat):
        try:
            fn(m)
        except np.linalg.LinAlgError:
            return i
    return None


def _inv_np(data, name):
    try:
        return np.linalg.inv(data)
    except np.linalg.LinAlgError:
        i = _per_matrix(np.linalg.inv, data) or 0
        raise LinAlgError(
            f"{name}: {_batch_str(data.shape, i)} (shape {data.shape[-2:]}) is singular, so it "
            "has no inverse; use linalg.pinv for a pseudo-inverse, or linalg.inv_ex to get an "
            "error code instead of an exception"
        ) from None


def inv(A):
    """f(A) = A^-1;  dA = -A^-T g A^-T"""
    A = _matrix(A, "linalg.inv")
    return record(wrap(_inv_np(A._data, "linalg.inv")), "LinalgInv", (A,), _inv_backward, (OUT,))


def _inv_backward(g, out):
    t = _mT(out)
    return (-matmul(matmul(t, g), t),)


def det(A):
    """f(A) = det A;  dA = g adj(A)^T (= g det(A) A^-T where A is invertible)"""
    A = _matrix(A, "linalg.det")
    with np.errstate(all="ignore"):  # NaN/inf entries: NaN silently, as in PyTorch
        out = wrap(np.asarray(np.linalg.det(A._data)))
    return record(out, "LinalgDet", (A,), _det_backward, (A, OUT))


def _det_backward(g, A, d):
    gd = S.unsqueeze(S.unsqueeze(g * d, -1), -1)
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(A._data) if A.shape[-1] else np.zeros(A.shape[:-2])
    if np.all(cond < np.finfo(A._data.dtype).eps ** -0.5):
        return (gd * _mT(inv(A)),)
    # Singular or nearly so somewhere (A^-1 would lose the digits):
    # adj(A)^T = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh.
    U, s, Vh = svd(A, full_matrices=False)
    n = s.shape[-1]
    ones_off = wrap(1.0 - np.eye(n, dtype=s._data.dtype))
    others = prod(S.unsqueeze(s, -2) * ones_off + eye(n, dtype=s.dtype), -1)
    sign = wrap(np.linalg.det(U._data) * np.linalg.det(Vh._data))
    sign = S.unsqueeze(S.unsqueeze(sign, -1), -1)
    return (S.unsqueeze(S.unsqueeze(g, -1), -1) * sign * matmul(U * S.unsqueeze(others, -2), Vh),)


def slogdet(A):
    """f(A) = (sign det A, log|det A|);  dA = g_logabsdet A^-T (sign has no gradient)"""
    A = _matrix(A, "linalg.slogdet")
    with np.errstate(all="ignore"):  # as in det
        sign, lad = np.linalg.slogdet(A._data)
    sign, lad = wrap(np.asarray(sign)), wrap(np.asarray(lad))
    record((None, lad), "LinalgSlogdet", (A,), _slogdet_backward, (A,))
    return sign, lad


def _slogdet_backward(gs, A):
    return (S.unsqueeze(S.unsqueeze(gs[1], -1), -1) * _mT(inv(A)),)


def solve(A, B, *, left=True):
    """X with A X = B (X A = B if not left); B may be a vector or a batch of them."""
    A = _matrix(A, "linalg.solve")
    B = as_tensor(B, "linalg.solve")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if vector:
        k = -1 if left else -2
        return S.squeeze(_solve_matrices(A, S.unsqueeze(B, k), left), k)
    return _solve_matrices(A, B, left)


def _solve_matrices(A, B, left):
    """f(A, B) = A^-1 B;  dB = A^-T g,  dA = -dB X^T"""
    if not left:
        return _mT(_solve_matrices(_mT(A), _mT(B), True))
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: A of shape {tuple(A.shape)} and B of shape {tuple(B.shape)} do not "
            f"fit: B needs {A.shape[-1]} rows (shape (*, {A.shape[-1]}, k) or (*, {A.shape[-1]}))"
        )
    A, B, ad, bd = binary(A, B, "linalg.solve")
    try:
        out = np.linalg.solve(ad, bd)
    except np.linalg.LinAlgError:
        i = _per_matrix(np.linalg.inv, ad) or 0
        raise LinAlgError(
            f"linalg.solve: {_batch_str(ad.shape, i)} A (shape {tuple(A.shape)}) is singular, so "
            "A X = B has no unique solution; use linalg.lstsq for a least-squares solution, or "
            "linalg.solve_ex to get an error code instead of an exception"
        ) from None
    except ValueError:
        raise RuntimeError(
            f"linalg.solve: batch dims of A {tuple(A.shape)} and B {tuple(B.shape)} do not "
            "broadcast"
        ) from None
    return record(wrap(out), "LinalgSolve", (A, B), _solve_backward, (A, OUT, _rg(A)))


def _solve_backward(g, A, X, need_a):
    gB = _solve_matrices(_mT(A), g, True)
    return (-matmul(gB, _mT(X)) if need_a else None), gB


def _tri_solve_np(T, B, upper):
    """Back/forward substitution for a batch of triangular T (a zero pivot gives inf/nan)."""
    n = T.shape[-1]
    shape = np.broadcast_shapes(T.shape[:-2], B.shape[:-2]) + B.shape[-2:]
    X = np.zeros(shape, dtype=np.result_type(T, B))
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(n - 1, -1, -1) if upper else range(n):
            rest = slice(i + 1, n) if upper else slice(0, i)
            acc = B[..., i, :] - np.einsum("...j,...jk->...k", T[..., i, rest], X[..., rest, :])
            X[..., i, :] = acc / T[..., i, i, None]
    return X


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """f(A, B) = A^-1 B for triangular A;  dB = A^-T g,  dA = -tri(dB X^T)"""
    A = _matrix(A, "linalg.solve_triangular")
    B = _matrix(B, "linalg.solve_triangular", square=False)
    if not left:
        return _mT(solve_triangular(_mT(A), _mT(B), upper=not upper, unitriangular=unitriangular))
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve_triangular: A of shape {tuple(A.shape)} and B of shape "
            f"{tuple(B.shape)} do not fit: B needs {A.shape[-1]} rows"
        )
    A, B, ad, bd = binary(A, B, "linalg.solve_triangular")
    T = np.triu(ad) if upper else np.tril(ad)
    if unitriangular:
        T = T.copy()
        np.einsum("...ii->...i", T)[...] = 1
    saved = (A, OUT, upper, unitriangular, _rg(A))
    out = wrap(_tri_solve_np(T, bd, upper))
    return record(out, "LinalgSolveTriangular", (A, B), _solve_triangular_backward, saved)


def _solve_triangular_backward(g, A, X, upper, unitriangular, need_a):
    gB = solve_triangular(_mT(A), g, upper=not upper, unitriangular=unitriangular)
    if not need_a:
        return None, gB
    gA = -matmul(gB, _mT(X))
    k = 1 if unitriangular else 0
    return (S.triu(gA, k) if upper else S.tril(gA, -k)), gB


def _not_pd_error(data, name):
    i = _per_matrix(np.linalg.cholesky, data) or 0
    m = data.reshape((-1,) + data.shape[-2:])[i]
    order = next(
        (k for k in range(1, m.shape[-1] + 1) if _per_matrix(np.linalg.cholesky, m[:k, :k]) == 0),
        m.shape[-1],
    )
    return order, i


def cholesky(A, *, upper=False):
    """f(A) = L with A = L L^T;  dA = L^-T Φ(L^T g) L^-1, symmetrized (Φ: tril, half diagonal)"""
    A = _matrix(A, "linalg.cholesky")
    try:
        L = np.linalg.cholesky(A._data)
    except np.linalg.LinAlgError:
        order, i = _not_pd_error(A._data, "linalg.cholesky")
        raise LinAlgError(
            f"linalg.cholesky: The factorization could not be completed because the input is "
            f"not positive-definite (the leading minor of order {order} of "
            f"{_batch_str(A.shape, i)}, shape {tuple(A.shape)}, is not positive-definite); "
            "use linalg.cholesky_ex to get an error code instead of an exception"
        ) from None
    out = wrap(np.ascontiguousarray(np.swapaxes(L, -1, -2)) if upper else L)
    return record(out, "LinalgCholesky", (A,), _cholesky_backward, (OUT, upper))


def _cholesky_backward(g, L, upper):
    if upper:
        L, g = _mT(L), _mT(g)
    gA = S.tril(matmul(_mT(L), g))
    gA = 0.5 * (gA + _mT(S.tril(gA, -1)))
    gA = solve_triangular(_mT(L), gA, upper=True)
    return (solve_triangular(L, gA, upper=False, left=False),)


def qr(A, mode="reduced"):
    """A = Q R;  dA = (gQ + Q copyltu(R gR^T - gQ^T Q)) R^-T  (m >= n; wide A splits R)"""
    A = _matrix(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    if mode == "r":
        R = wrap(np.linalg.qr(A._data, mode="r"))
        record((None, R), "LinalgQr", (A,), _qr_backward, (None, output(1), mode))
        return wrap(np.zeros(0, dtype=A._data.dtype)), R
    Q, R = np.linalg.qr(A._data, mode=mode)
    out = (wrap(Q), wrap(R))
    return record(out, "LinalgQr", (A,), _qr_backward, (output(0), output(1), mode))


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
        return (S.cat([_qr_grad(gQ, gU, Q, U), matmul(Q, V) * 0], -1),)
    gQ2 = matmul(matmul(Q, V), _mT(gV)) if gQ is None else gQ + matmul(matmul(Q, V), _mT(gV))
    return (S.cat([_qr_grad(gQ2, gU, Q, U), matmul(Q, gV)], -1),)


def _qr_grad(gQ, gR, Q, R):
    M = 0
    if gR is not None:
        M = matmul(R, _mT(gR))
    if gQ is not None:
        M = M - matmul(_mT(gQ), Q)
    sym = S.tril(M) + _mT(S.tril(M, -1))
    b = matmul(Q, sym) if gQ is None else gQ + matmul(Q, sym)
    return solve_triangular(_mT(R), b, upper=False, left=False)


def svd(A, full_matrices=True):
    """A = U diag(S) Vh;  dA = U[(skew(U^T gU)/E) S + S (skew(V^T gV)/E) + diag(gS)]Vh + ..."""
    A = _matrix(A, "linalg.svd", square=False)
    U, s, Vh = np.linalg.svd(A._data, full_matrices=full_matrices)
    out = (wrap(U), wrap(s), wrap(Vh))
    saved = (output(0), output(1), output(2), full_matrices)
    return record(out, "LinalgSvd", (A,), _svd_backward, saved)


def _svd_backward(gs, U, s, Vh, full_matrices):
    gU, gS, gVh = gs
    k = s.shape[-1]
    m, n = U.shape[-2], Vh.shape[-1]
    if full_matrices:
        U, Vh = S.narrow(U, -1, 0, k), S.narrow(Vh, -2, 0, k)
        gU = None if gU is None else S.narrow(gU, -1, 0, k)
        gVh = None if gVh is None else S.narrow(gVh, -2, 0, k)
    if gU is None and gVh is None:
        return (matmul(U * S.unsqueeze(gS, -2), Vh),)
    s2 = s * s
    E = S.unsqueeze(s2, -2) - S.unsqueeze(s2, -1) + eye(k, dtype=s.dtype)
    gA = 0
    if gU is not None:
        UhgU = matmul(_mT(U), gU)
        gA = (UhgU - _mT(UhgU)) / E * S.unsqueeze(s, -2)
    if gVh is not None:
        VhgV = matmul(Vh, _mT(gVh))
        gA = gA + S.unsqueeze(s, -1) * ((VhgV - _mT(VhgV)) / E)
    if gS is not None:
        gA = gA + diag_embed(gS)
    if m > k and gU is not None:
        gA = matmul(U, gA)
        gUSinv = gU / S.unsqueeze(s, -2)
        gA = gA + gUSinv - matmul(U, matmul(_mT(U), gUSinv))
        return (matmul(gA, Vh),)
    if n > k and gVh is not None:
        gA = matmul(gA, Vh)
        SinvgVh = gVh / S.unsqueeze(s, -1)
        gA = gA + SinvgVh - matmul(matmul(SinvgVh, _mT(Vh)), Vh)
        return (matmul(U, gA),)
    return (matmul(U, matmul(gA, Vh)),)


def eigh(A, UPLO="L"):
    """A = V diag(L) V^T;  dA = V (diag(gL) + skew(V^T gV)/2 / E) V^T,  E_ij = L_j - L_i"""
    A = _matrix(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    w, V = np.linalg.eigh(A._data, UPLO=UPLO)
    out = (wrap(w), wrap(V))
    return record(out, "LinalgEigh", (A,), _eigh_backward, (output(0), output(1)))


def _eigh_backward(gs, w, V):
    gL, gV = gs
    inner = 0
    if gV is not None:
        n = w.shape[-1]
        E = S.unsqueeze(w, -2) - S.unsqueeze(w, -1) + eye(n, dtype=w.dtype)
        X = matmul(_mT(V), gV)
        inner = (X - _mT(X)) * 0.5 / E
    if gL is not None:
        inner = inner + diag_embed(gL)
    return (matmul(matmul(V, inner), _mT(V)),)
