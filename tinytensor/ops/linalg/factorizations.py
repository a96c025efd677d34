"""Linear algebra beyond matmul: diagonals, inverses, determinants, solves and factorizations.

Each op works on a matrix or a batch of them (leading dims, broadcast as in PyTorch) and is a
primitive (``autograd.primitive``): a pure NumPy kernel and a backward under it written in
tinytensor ops, so ``create_graph=True`` differentiates it again. The floor below is
products.py (matmul); the functions built on these (norms, pinv, matrix_exp, cross, the
``*_ex`` forms...) are in functions.py, lstsq and cholesky_solve in solvers.py.
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.node import OUT, output
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.ops import join as J
from tinytensor.ops import rearrange as RA
from tinytensor.ops import reduce as R
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, one_dim
from tinytensor.ops.creation import eye
from tinytensor.ops.linalg.products import _promoted, matmul

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
    attrs = {"offset": offset, "dim1": d1, "dim2": d2}
    return DIAGONAL.apply((a,), (a._data,), (a.shape, offset, d1, d2), attrs)


def _diagonal_kernel(a, *, offset, dim1, dim2):
    return np.diagonal(a, offset, dim1, dim2).copy()


def _diagonal_backward(g, shape, offset, d1, d2):
    return (_diagonal_scatter(g, shape, offset, d1, d2),)


DIAGONAL = Primitive("Diagonal", _diagonal_kernel, _diagonal_backward)


def _diagonal_scatter(x, shape, offset, d1, d2):
    """f(x) = zeros(shape) with x on the diagonal (offset) over (d1, d2);  dx = diagonal(g)"""
    attrs = {"shape": tuple(shape), "offset": offset, "dim1": d1, "dim2": d2}
    return DIAGONAL_SCATTER.apply((x,), (x._data,), (offset, d1, d2), attrs)


def _diag_scatter_kernel(x, *, shape, offset, dim1, dim2):
    z = np.zeros(shape, dtype=x.dtype)
    view = np.moveaxis(z, (dim1, dim2), (-2, -1))
    idx = np.arange(x.shape[-1])
    view[..., idx + max(-offset, 0), idx + max(offset, 0)] = x
    return z


def _diagonal_scatter_backward(g, offset, d1, d2):
    return (diagonal(g, offset, d1, d2),)


DIAGONAL_SCATTER = Primitive("DiagonalScatter", _diag_scatter_kernel, _diagonal_scatter_backward)


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
    return INV.apply((A,), (A._data,), (OUT,))


def _inv_kernel(A):
    return _inv_np(A, "linalg.inv")


def _inv_backward(g, out):
    t = _mT(out)
    return (-matmul(matmul(t, g), t),)


INV = Primitive("LinalgInv", _inv_kernel, _inv_backward)


def det(A):
    """f(A) = det A;  dA = g adj(A)^T (= g det(A) A^-T where A is invertible)"""
    A = _matrix(A, "linalg.det")
    return DET.apply((A,), (A._data,), (A, OUT))  # OUT: saved as PyTorch saves it


def _det_kernel(A):
    with np.errstate(all="ignore"):  # NaN/inf entries: NaN silently, as in PyTorch
        return np.linalg.det(A)


def _det_backward(g, A, d):  # d unread (saved as PyTorch saves it: changing it is an error)
    return (S.unsqueeze(S.unsqueeze(g, -1), -1) * DET_ADJUGATE.apply((A,), (A._data,), (A, OUT)),)


DET = Primitive("LinalgDet", _det_kernel, _det_backward)


def _adjugate_t_kernel(A):
    """adj(A)^T, the cofactor matrix: det(A) A^-T where every matrix of the batch is well
    conditioned, else (singular or nearly so somewhere, where A^-1 would lose the digits)
    det(U) det(Vh) U diag(prod_{j != i} s_j) Vh from the SVD."""
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(A) if A.shape[-1] else np.zeros(A.shape[:-2])
        if np.all(cond < np.finfo(A.dtype).eps ** -0.5):
            return np.linalg.det(A)[..., None, None] * np.swapaxes(np.linalg.inv(A), -1, -2)
        U, s, Vh = np.linalg.svd(A, full_matrices=False)
        n = s.shape[-1]
        others = np.prod(s[..., None, :] * (1.0 - np.eye(n, dtype=s.dtype)) + np.eye(n), -1)
        sign = np.linalg.det(U) * np.linalg.det(Vh)
        return (sign[..., None, None] * ((U * others[..., None, :]) @ Vh)).astype(A.dtype)


def _adjugate_t_backward(G, A, C):
    """d adj(A)^T = (<G, C> C - C G^T C) / det(A) (A invertible: det's second derivative)"""
    d = S.unsqueeze(S.unsqueeze(det(A), -1), -1)
    inner = R.sum(G * C, (-2, -1), True)
    return ((inner * C - matmul(matmul(C, _mT(G)), C)) / d,)


DET_ADJUGATE = Primitive("LinalgDetAdjugate", _adjugate_t_kernel, _adjugate_t_backward)


def slogdet(A):
    """f(A) = (sign det A, log|det A|);  dA = g_logabsdet A^-T (sign has no gradient)"""
    A = _matrix(A, "linalg.slogdet")
    sign, lad = SLOGDET.compute((A,), (A._data,))
    sign, lad = wrap(sign), wrap(lad)
    SLOGDET.record((None, lad), (A,), (A,))  # the sign has no gradient
    return sign, lad


def _slogdet_kernel(A):
    with np.errstate(all="ignore"):  # as in det
        return np.linalg.slogdet(A)


def _slogdet_backward(gs, A):
    return (S.unsqueeze(S.unsqueeze(gs[1], -1), -1) * _mT(inv(A)),)


SLOGDET = Primitive("LinalgSlogdet", _slogdet_kernel, _slogdet_backward, multi=True)


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
    ad, bd = _promoted(A, B, A._data, B._data)
    return SOLVE.apply((A, B), (ad, bd), (A, OUT))


def _solve_kernel(A, B):
    try:
        return np.linalg.solve(A, B)
    except np.linalg.LinAlgError:
        i = _per_matrix(np.linalg.inv, A) or 0
        raise LinAlgError(
            f"linalg.solve: {_batch_str(A.shape, i)} A (shape {A.shape}) is singular, so "
            "A X = B has no unique solution; use linalg.lstsq for a least-squares solution, or "
            "linalg.solve_ex to get an error code instead of an exception"
        ) from None
    except ValueError:
        msg = f"linalg.solve: batch dims of A {A.shape} and B {B.shape} do not broadcast"
        raise RuntimeError(msg) from None


def _solve_backward(g, A, X, *, needs):
    gB = _solve_matrices(_mT(A), g, True)
    return (-matmul(gB, _mT(X)) if needs[0] else None), gB


SOLVE = Primitive("LinalgSolve", _solve_kernel, _solve_backward)


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
    ad, bd = _promoted(A, B, A._data, B._data)
    attrs = {"upper": bool(upper), "unitriangular": bool(unitriangular)}
    saved = (A, OUT, upper, unitriangular)
    return SOLVE_TRIANGULAR.apply((A, B), (ad, bd), saved, attrs)


def _solve_triangular_kernel(A, B, *, upper, unitriangular):
    T = np.triu(A) if upper else np.tril(A)
    if unitriangular:
        np.einsum("...ii->...i", T)[...] = 1  # T is a fresh array
    return _tri_solve_np(T, B, upper)


def _solve_triangular_backward(g, A, X, upper, unitriangular, *, needs):
    gB = solve_triangular(_mT(A), g, upper=not upper, unitriangular=unitriangular)
    if not needs[0]:
        return None, gB
    gA = -matmul(gB, _mT(X))
    k = 1 if unitriangular else 0
    return (RA.triu(gA, k) if upper else RA.tril(gA, -k)), gB


SOLVE_TRIANGULAR = Primitive("LinalgSolveTriangular", _solve_triangular_kernel,
                             _solve_triangular_backward)


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
    return CHOLESKY.apply((A,), (A._data,), (OUT, upper), {"upper": bool(upper)})


def _cholesky_kernel(A, *, upper):
    try:
        L = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        order, i = _not_pd_error(A, "linalg.cholesky")
        raise LinAlgError(
            f"linalg.cholesky: The factorization could not be completed because the input is "
            f"not positive-definite (the leading minor of order {order} of "
            f"{_batch_str(A.shape, i)}, shape {A.shape}, is not positive-definite); "
            "use linalg.cholesky_ex to get an error code instead of an exception"
        ) from None
    return np.ascontiguousarray(np.swapaxes(L, -1, -2)) if upper else L


def _cholesky_backward(g, L, upper):
    if upper:
        L, g = _mT(L), _mT(g)
    gA = RA.tril(matmul(_mT(L), g))
    gA = 0.5 * (gA + _mT(RA.tril(gA, -1)))
    gA = solve_triangular(_mT(L), gA, upper=True)
    return (solve_triangular(L, gA, upper=False, left=False),)


CHOLESKY = Primitive("LinalgCholesky", _cholesky_kernel, _cholesky_backward)


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


def svd(A, full_matrices=True):
    """A = U diag(S) Vh;  dA = U[(skew(U^T gU)/E) S + S (skew(V^T gV)/E) + diag(gS)]Vh + ..."""
    A = _matrix(A, "linalg.svd", square=False)
    saved = (output(0), output(1), output(2), full_matrices)
    return SVD.apply((A,), (A._data,), saved, {"full_matrices": bool(full_matrices)})


def _svd_kernel(A, *, full_matrices):
    return tuple(np.linalg.svd(A, full_matrices=full_matrices))


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


SVD = Primitive("LinalgSvd", _svd_kernel, _svd_backward, multi=True)


def eigh(A, UPLO="L"):
    """A = V diag(L) V^T;  dA = V (diag(gL) + skew(V^T gV)/2 / E) V^T,  E_ij = L_j - L_i"""
    A = _matrix(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return EIGH.apply((A,), (A._data,), (output(0), output(1)), {"UPLO": UPLO})


def _eigh_kernel(A, *, UPLO):  # noqa: N803 - PyTorch's argument name
    return tuple(np.linalg.eigh(A, UPLO=UPLO))


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


EIGH = Primitive("LinalgEigh", _eigh_kernel, _eigh_backward, multi=True)
