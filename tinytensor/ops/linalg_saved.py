"""Linear algebra that saves for backward what PyTorch saves, so an in-place change after the
forward pass raises where PyTorch's raises and nowhere else.

``lstsq``, ``cholesky_solve``, ``cdist`` and ``dist`` are one recorded op each, saving the inputs
and the result as PyTorch's fused kernels do (a composite would save intermediates, and miss a
change to the solution or to B). ``kron``, ``tensordot`` and ``inner`` are built as PyTorch
builds them: ``kron`` multiplies ``_unsafe_view``s of its inputs (views with a version counter of
their own, so a change to an input is not caught, and the gradient reads the changed values, as
in PyTorch); ``tensordot`` permutes, reshapes (a view where it can be, else a copy) and calls
``mm``, so an input is caught exactly when ``mm`` saved a view of it. Every backward is written
in tinytensor ops, so ``create_graph=True`` differentiates it again.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.node import OUT, output, record
from tinytensor.core import wrap
from tinytensor.ops import reduce as R
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor, binary, broadcast_error
from tinytensor.ops.elementwise import where
from tinytensor.ops.linalg import matmul
from tinytensor.ops.linalg_ext import _matrix, _mT, _tri_solve_np
from tinytensor.ops.linalg_more import _pinv_backward, _tolerance, linalg_lstsq, pinv

# --- least squares ------------------------------------------------------------------------------


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


# --- Cholesky solve -----------------------------------------------------------------------------


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


# --- distances ----------------------------------------------------------------------------------


def _p_norm_np(d, p, axis):
    """The p-norm of ``d`` over ``axis`` (p = 0 counts the nonzeros, inf takes the max)."""
    a = np.abs(d)
    if p == 0:
        return np.sum(a != 0, axis).astype(d.dtype)
    if math.isinf(p):
        return np.max(a, axis, initial=0.0) if p > 0 else np.min(a, axis, initial=np.inf)
    if p == 1:
        return np.sum(a, axis)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis))
    with np.errstate(divide="ignore"):
        return np.sum(a**p, axis) ** (1.0 / p)


def _safe_ratio(g, dist, power):
    """g / dist^power, 0 where dist is 0 (a subgradient; no inf reaches a second backward)."""
    zero = dist == 0
    safe = where(zero, 1.0, dist)
    return where(zero, 0.0, g / (safe if power == 1 else safe**power))


def _norm_grad(g, diff, dist, p, ties_shared):
    """d|diff|_p / d diff times g, as PyTorch's norm_backward (g and dist broadcast to diff).

    At inf, PyTorch's ``dist`` shares g among tied maxima (``ties_shared``), ``cdist`` does not.
    """
    if p == 1:
        return diff.sign() * g
    if p == 2:
        return diff * _safe_ratio(g, dist, 1)
    if math.isinf(p):
        mask = (diff.abs() == dist).to(diff.dtype)
        if ties_shared:
            return diff.sign() * (g / R.sum(mask, tuple(range(mask.ndim)), True)) * mask
        return diff.sign() * g * mask
    if p < 2:
        a = diff.abs()
        scaled = diff.sign() * where(a == 0, 1.0, a) ** (p - 1.0)
        if p < 1:
            scaled = where(diff == 0, 0.0, scaled)
        return scaled * _safe_ratio(g, dist, p - 1.0)
    return diff * diff.abs() ** (p - 2.0) * _safe_ratio(g, dist, p - 1.0)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of `x1 (*, P, M) and x2 (*, R, M)`.

    One node saving x1, x2 and the result, as PyTorch's ``CdistBackward`` (and
    ``EuclideanDistBackward`` in its matrix-product mode); for `p = 2` the gradient is PyTorch's
    matrix-product formula `dx1 = x1 sum_j r_ij - r x2` with `r = g / d (0 where d = 0)`."""
    x1, x2 = as_tensor(x1, "cdist"), as_tensor(x2, "cdist")
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"cdist: expected x1 (*, P, M) and x2 (*, R, M) with the same M, got "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    for x in (x1, x2):
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, got {x.dtype}")
    p = float(p)
    try:
        diff = x1._data[..., :, None, :] - x2._data[..., None, :, :]
    except ValueError:
        raise broadcast_error("cdist", x1, x2) from None
    out = wrap(np.asarray(_p_norm_np(diff, p, -1), dtype=diff.dtype))
    return record(out, "Cdist", (x1, x2), _cdist_backward, (x1, x2, OUT, p))


def _cdist_backward(g, x1, x2, d, p):
    if p == 0:  # a count of nonzeros: zero gradients, as PyTorch's
        return x1 * 0.0, x2 * 0.0
    if p == 2:  # PyTorch's _euclidean_dist_backward
        r = _safe_ratio(g, d, 1)
        g1 = x1 * R.sum(r, -1, True) - matmul(r, x2)
        g2 = x2 * S.unsqueeze(R.sum(r, -2), -1) - matmul(_mT(r), x1)
        return g1, g2
    diff = S.unsqueeze(x1, -2) - S.unsqueeze(x2, -3)
    gd = _norm_grad(S.unsqueeze(g, -1), diff, S.unsqueeze(d, -1), p, ties_shared=False)
    return R.sum(gd, -2), -R.sum(gd, -3)


def dist(a, b, p=2):
    """f(a, b) = |a - b|_p over all entries.

    One node saving a, b and the result, as PyTorch's ``DistBackward``:
    da = norm_backward(g, a - b) = -db."""
    a, b, ad, bd = binary(as_tensor(a, "dist"), as_tensor(b, "dist"), "dist")
    if ad.dtype.kind != "f":
        raise RuntimeError(f"dist: expected a floating point input, got dtype {a.dtype}")
    try:
        diff = ad - bd
    except ValueError:
        raise broadcast_error("dist", a, b) from None
    p = float(p)
    out = wrap(np.asarray(_p_norm_np(diff.reshape(-1), p, -1), dtype=diff.dtype))
    return record(out, "Dist", (a, b), _dist_backward, (a, b, OUT, p))


def _dist_backward(g, a, b, d, p):
    if p == 0:  # a count of nonzeros (PyTorch's backward fails on its undefined gradient here)
        return a * 0.0, b * 0.0
    gd = _norm_grad(g, a - b, d, p, ties_shared=True)
    return gd, -gd


# --- products built as PyTorch builds them -----------------------------------------------------


def _unsafe_view(a, shape):
    """f(a) = a reshaped, sharing its memory but not its version counter (PyTorch's
    ``_unsafe_view``): a node that saves it misses a change to ``a`` and reads the new values."""
    old = tuple(a.shape)
    return record(wrap(a._data.reshape(shape)), "UnsafeView", (a,), _unsafe_view_backward, (old,))


def _unsafe_view_backward(g, old):
    return (S.reshape(g, old),)


def kron(a, b):
    """Kronecker product: `out[i*nb + k] = a[i] * b[k]` along every dim.

    As PyTorch: unsafe views of a (n, 1) and b (1, k) per dim, multiplied, so ``mul`` saves
    views that do not share the inputs' version counters."""
    a, b = as_tensor(a, "kron"), as_tensor(b, "kron")
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    a2 = _unsafe_view(a, sum(((n, 1) for n in sa), ()))
    b2 = _unsafe_view(b, sum(((1, n) for n in sb), ()))
    return _unsafe_view(a2 * b2, tuple(x * y for x, y in zip(sa, sb)))


def tensordot(a, b, dims=2):
    """Contract the last ``dims`` dims of a with the first of b, or the listed dim pairs.

    As PyTorch: a contracted dim of size 1 on one side is summed away on the other; then
    a.permute(rest, contracted).reshape(size1, csize) @ b.permute(contracted, rest).reshape(
    csize, size2), reshaped to the result."""
    a, b = as_tensor(a, "tensordot"), as_tensor(b, "tensordot")
    if isinstance(dims, int) or (hasattr(dims, "ndim") and dims.ndim == 0):
        k = int(dims)
        if k < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={k}")
        da, db = list(range(a.ndim - k, a.ndim)), list(range(k))
    else:
        da, db = ([int(d)] if np.ndim(d) == 0 else [int(x) for x in d] for d in dims)
    da = [d % max(a.ndim, 1) for d in da]
    db = [d % max(b.ndim, 1) for d in db]
    if len(da) != len(db):
        raise RuntimeError("tensordot: both dimension lists should have same length")
    t1, t2, csize = a, b, 1
    for i, j in zip(da, db):
        s1, s2 = a.shape[i], b.shape[j]
        if s2 == 1:  # a broadcast dim: summed right away
            t1 = R.sum(t1, i, True)
        elif s1 == 1:
            t2 = R.sum(t2, j, True)
        elif s1 != s2:
            raise RuntimeError(
                f"tensordot: contracted dimensions need to match, but first has size {s1} in "
                f"dim {i} and second has size {s2} in dim {j} (shapes {tuple(a.shape)} and "
                f"{tuple(b.shape)})"
            )
        else:
            csize *= s1
    rest1 = [i for i in range(a.ndim) if i not in da]
    rest2 = [j for j in range(b.ndim) if j not in db]
    sizes = [t1.shape[i] for i in rest1] + [t2.shape[j] for j in rest2]
    t1 = S.reshape(S.permute(t1, rest1 + da), (math.prod(sizes[: len(rest1)]), csize))
    t2 = S.reshape(S.permute(t2, db + rest2), (csize, math.prod(sizes[len(rest1) :])))
    return S.reshape(matmul(t1, t2), sizes)


def inner(a, b):
    """`f(a, b) = sum` over the last dim of `a_...i b_...i` (`a * b` for scalars):
    tensordot over the last dims, as PyTorch."""
    a, b = as_tensor(a, "inner"), as_tensor(b, "inner")
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            f"inner: last dims must match, got shapes {tuple(a.shape)} and {tuple(b.shape)}"
        )
    return tensordot(a, b, ([-1], [-1]))


__all__ = ["cdist", "cholesky_solve", "dist", "inner", "kron", "lstsq", "tensordot"]
