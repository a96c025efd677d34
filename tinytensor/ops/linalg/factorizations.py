"""Linear algebra beyond matmul: diagonals, inverses, determinants, solves and factorizations.

Each op works on a matrix or a batch of them (leading dims, broadcast as in PyTorch) and is a
primitive (``autograd.primitive``): a pure NumPy kernel and a backward under it written in
tinytensor ops, so ``create_graph=True`` differentiates it again. The floor below is
products.py (matmul); the functions built on these (norms, pinv, matrix_exp, cross, eigh...)
are in functions.py; qr, lstsq, cholesky_solve and the ``*_ex`` forms in solvers.py.
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.node import OUT, output
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.ops import rearrange as RA
from tinytensor.ops import reduce as R
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, one_dim
from tinytensor.ops._util import promoted_values as _promoted
from tinytensor.ops.creation import eye
from tinytensor.ops.linalg.products import matmul

__all__ = [
    "LinAlgError",
    "cholesky",
    "det",
    "diag_embed",
    "diagonal",
    "inv",
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


def diagonal(input, offset=0, dim1=0, dim2=1):
    """f(A) = A's diagonal over (dim1, dim2), as the last dim;  dA = g scattered back on it"""
    a = as_tensor(input, "diagonal")
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


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices with the last dim of ``x`` on their diagonal (PyTorch's ``torch.diag_embed``)."""
    x = as_tensor(input, "diag_embed")
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
        d = np.linalg.det(A)
    if A.size and np.isnan(A).any():  # LAPACK's pivoting can lose a NaN (det [[nan, 1], [1, 1]]: 0)
        d = np.where(np.isnan(A).any((-2, -1)), np.nan, d).astype(d.dtype)
    return d


def _det_backward(g, A, d):  # d unread (saved as PyTorch saves it: changing it is an error)
    return (S.unsqueeze(S.unsqueeze(g, -1), -1) * DET_ADJUGATE.apply((A,), (A._data,), (A, OUT)),)


DET = Primitive("LinalgDet", _det_kernel, _det_backward)


def _adjugate_t_kernel(A):
    """adj(A)^T, the cofactor matrix: det(A) A^-T where every matrix of the batch is well
    conditioned, else (singular or nearly so somewhere, where A^-1 would lose the digits) from
    the SVD."""
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(A) if A.shape[-1] else np.zeros(A.shape[:-2])
        if np.all(cond < np.finfo(A.dtype).eps ** -0.5):
            return np.linalg.det(A)[..., None, None] * np.swapaxes(np.linalg.inv(A), -1, -2)
        return _cofactor_svd(A).astype(A.dtype)


def _cofactor_svd(M):
    """adj(M)^T = det(U) det(Vh) conj(U) diag(prod_{j != i} s_j) conj(Vh) (real or complex M)."""
    U, s, Vh = np.linalg.svd(M)
    n = s.shape[-1]
    others = np.prod(s[..., None, :] * (1.0 - np.eye(n)) + np.eye(n), -1)
    sign = np.linalg.det(U) * np.linalg.det(Vh)
    return sign[..., None, None] * ((U.conj() * others[..., None, :]) @ Vh.conj())


def _adjugate_t_backward(G, A, C):
    # det's Hessian is symmetric, so this vjp of adj(A)^T is its jvp: the Hessian applied to G.
    return (DET_HVP.apply((G, A), (G._data, A._data), (G, A)),)


DET_ADJUGATE = Primitive("LinalgDetAdjugate", _adjugate_t_kernel, _adjugate_t_backward)


def _det_hvp_kernel(G, A):
    """d/dt adj(A + tG)^T at t = 0: <G, C> A^-T - det(A) A^-T G^T A^-T where every matrix is
    well conditioned; else the linear coefficient of the polynomial t -> adj(A + tG)^T (degree
    n - 1), read off its values on a circle in the complex plane (a DFT, exact for that degree)."""
    G = np.broadcast_to(G, A.shape)
    n = A.shape[-1]
    if n == 0:
        return np.zeros(A.shape, A.dtype)
    with np.errstate(all="ignore"):
        if np.all(np.linalg.cond(A) < np.finfo(A.dtype).eps ** -0.5):
            P = np.swapaxes(np.linalg.inv(A), -1, -2)
            C = np.linalg.det(A)[..., None, None] * P
            inner = np.sum(G * C, (-2, -1), keepdims=True)
            return (inner * P - C @ np.swapaxes(G, -1, -2) @ P).astype(A.dtype)
        size = np.sqrt(np.sum(A * A, (-2, -1), keepdims=True))
        gsize = np.sqrt(np.sum(G * G, (-2, -1), keepdims=True))
        r = np.where(gsize > 0, np.maximum(size, 1.0) / np.where(gsize > 0, gsize, 1.0), 1.0)
        w = np.exp(1j * (2 * np.pi * np.arange(n + 2) / (n + 2) + 0.5))  # n + 2 points
        acc = sum(_cofactor_svd(A + (r * wk) * G) / wk for wk in w)
        return (acc.real / ((n + 2) * r)).astype(A.dtype)


def _det_hvp_backward(H, G, A, *, needs):
    """d/dG: the Hessian applied to H; d/dA: det's third derivative along G and H (A invertible),
    d [<H, X> P - <P, H> P G^T P - <P, G> P H^T P + P G^T P H^T P + P H^T P G^T P] with
    P = A^-T, d = det A, X = <P, G> P - P G^T P."""
    gG = DET_HVP.apply((H, A), (H._data, A._data), (H, A)) if needs[0] else None
    if not needs[1]:
        return gG, None
    P = _mT(inv(A))
    d = S.unsqueeze(S.unsqueeze(det(A), -1), -1)
    PGP, PHP = matmul(matmul(P, _mT(G)), P), matmul(matmul(P, _mT(H)), P)
    pg, ph = R.sum(P * G, (-2, -1), True), R.sum(P * H, (-2, -1), True)
    hx = R.sum(H * (pg * P - PGP), (-2, -1), True)
    gA = hx * P - ph * PGP - pg * PHP
    gA = gA + matmul(PGP, matmul(_mT(H), P)) + matmul(PHP, matmul(_mT(G), P))
    return gG, d * gA


DET_HVP = Primitive("LinalgDetHessianVp", _det_hvp_kernel, _det_hvp_backward)


def slogdet(input):
    """f(A) = (sign det A, log|det A|);  dA = g_logabsdet A^-T (sign has no gradient)"""
    A = _matrix(input, "linalg.slogdet")
    sign, lad = SLOGDET.compute((A,), (A._data,))
    sign, lad = wrap(sign), wrap(lad)
    SLOGDET.record((None, lad), (A,), (A,))  # the sign has no gradient
    return sign, lad


def _slogdet_kernel(A):
    with np.errstate(all="ignore"):  # as in det
        sign, lad = np.linalg.slogdet(A)
    nan = np.isnan(A).any((-2, -1)) if A.size else np.zeros(A.shape[:-2], bool)
    if nan.any():  # PyTorch: a NaN entry gives (0, nan) (NumPy: (1, nan), or even (0, -inf))
        sign = np.where(nan, 0.0, sign).astype(sign.dtype)
        lad = np.where(nan, np.nan, lad).astype(lad.dtype)
    return sign, lad


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


def solve_triangular(input, B, *, upper, left=True, unitriangular=False):
    """f(A, B) = A^-1 B for triangular A;  dB = A^-T g,  dA = -tri(dB X^T)"""
    A = _matrix(input, "linalg.solve_triangular")
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


SOLVE_TRIANGULAR = Primitive(
    "LinalgSolveTriangular", _solve_triangular_kernel, _solve_triangular_backward
)


def _not_pd_error(data, name):
    i = _per_matrix(np.linalg.cholesky, data) or 0
    m = data.reshape((-1,) + data.shape[-2:])[i]
    order = next(
        (k for k in range(1, m.shape[-1] + 1) if _per_matrix(np.linalg.cholesky, m[:k, :k]) == 0),
        m.shape[-1],
    )
    return order, i


def cholesky(input, *, upper=False):
    """f(A) = L with A = L L^T;  dA = L^-T Φ(L^T g) L^-1, symmetrized (Φ: tril, half diagonal)"""
    A = _matrix(input, "linalg.cholesky")
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
