"""Linear algebra, second part: pinv, matrix_exp and cross (ops with their own backward), then
functions composed of differentiable ops (norms, lstsq, matrix_power, ...), whose gradients
(and gradients of gradients) come from the ops they are made of.

Results with several parts are named tuples, as PyTorch's ``torch.return_types``.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from tinytensor.autograd.node import OUT, output
from tinytensor.autograd.primitive import Primitive
from tinytensor.ops import join as J
from tinytensor.ops import reduce as R
from tinytensor.ops import shape as S
from tinytensor.ops import unary as UN
from tinytensor.ops._util import as_tensor, norm_dim, one_dim
from tinytensor.ops._util import promoted_values as _promoted
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.cast import cast
from tinytensor.ops.creation import eye
from tinytensor.ops.linalg.factorizations import _matrix, _mT, diag_embed, inv, solve, svd
from tinytensor.ops.linalg.products import matmul

__all__ = [
    "cond",
    "cross",
    "eigh",
    "eigvalsh",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]


linalg_lstsq = namedtuple("linalg_lstsq", "solution residuals rank singular_values")


def pinv(input, *, atol=None, rtol=None, hermitian=False):
    """`f(A) = A^+ (singular values <= max(atol, rtol*s_max) dropped)`;  dA: PyTorch's formula.
    ``hermitian=True`` reads the lower triangle only (A square), as PyTorch's eigh-based path."""
    A = _matrix(input, "linalg.pinv", square=bool(hermitian))
    d = A._data
    m, n = d.shape[-2:]
    if rtol is None:
        rtol = float(np.finfo(d.dtype).eps * max(m, n)) if not atol else 0.0
    attrs = {"atol": atol, "rtol": rtol, "hermitian": bool(hermitian)}
    return PINV.apply((A,), (d,), (A, OUT), attrs)


def _pinv_kernel(d, *, atol, rtol, hermitian=False):
    if hermitian:  # the symmetric matrix the lower triangle stands for
        d = np.tril(d) + np.swapaxes(np.tril(d, -1), -1, -2)
    U, s, Vh = np.linalg.svd(d, full_matrices=False)
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), d.dtype)
    cut = np.maximum(atol or 0.0, rtol * smax)
    with np.errstate(divide="ignore"):
        sinv = np.where(s > cut, 1.0 / np.where(s > cut, s, 1.0), 0.0).astype(d.dtype)
    return np.swapaxes(Vh, -1, -2) @ (sinv[..., :, None] * np.swapaxes(U, -1, -2))


def _pinv_backward(g, A, P):
    Ph, gh = _mT(P), _mT(g)
    if A.shape[-2] <= A.shape[-1]:
        K = matmul(gh, P)
        KPh = matmul(K, Ph)
        return (
            -_mT(matmul(P, K))
            + KPh
            - matmul(matmul(A, P), KPh)
            + matmul(matmul(Ph, P), gh - matmul(K, A)),
        )
    K = matmul(P, gh)
    PhK = matmul(Ph, K)
    return (
        -_mT(matmul(K, P))
        + matmul(matmul(gh - matmul(A, K), P), Ph)
        + PhK
        - matmul(matmul(PhK, P), A),
    )


PINV = Primitive("LinalgPinv", _pinv_kernel, _pinv_backward)


_PADE13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
    129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
    40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)  # fmt: skip


def _expm_np(A):
    """exp(A) by scaling and squaring with a degree-13 Padé approximant (Higham 2005)."""
    b, dtype = _PADE13, A.dtype
    norm1 = np.abs(A).sum(-2).max(-1) if A.size else np.zeros(A.shape[:-2])
    s = np.maximum(0, np.ceil(np.log2(np.maximum(norm1, 1e-300) / 5.371920351148152)))
    s = s.astype(np.int64)
    A = A / (2.0**s)[..., None, None]
    identity = np.eye(A.shape[-1], dtype=A.dtype)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2
             + b[1] * identity)  # fmt: skip
    V = (
        A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2)
        + b[6] * A6
        + b[4] * A4
        + b[2] * A2
        + b[0] * identity
    )
    X = np.linalg.solve(V - U, V + U)
    for k in range(int(s.max()) if s.size else 0):
        X = np.where((k < s)[..., None, None], X @ X, X)
    return X.astype(dtype, copy=False)  # float32 in, float32 out (2.0**s is float64)


def matrix_exp(input):
    """f(A) = exp(A);  dA = [exp([[A^T, g], [0, A^T]])]_{12} (the upper right block)"""
    A = _matrix(input, "linalg.matrix_exp")
    return MATRIX_EXP.apply((A,), (A._data,), (A,))


def _matrix_exp_kernel(A):
    with np.errstate(all="ignore"):  # NaN/inf entries, overflow: IEEE results silently
        return _expm_np(A)


def _matrix_exp_backward(g, A):
    n = A.shape[-1]
    At = _mT(A)
    g = g + At * 0  # broadcast g to A's batch shape
    top = J.cat([At, g], -1)
    bottom = J.cat([At * 0, At], -1)
    big = matrix_exp(J.cat([top, bottom], -2))
    return (S.narrow(S.narrow(big, -2, 0, n), -1, n, n),)


MATRIX_EXP = Primitive("LinalgMatrixExp", _matrix_exp_kernel, _matrix_exp_backward)


def cross(input, other, dim=-1):
    """f(a, b) = a x b along dim (size 3);  da = b x g,  db = g x a"""
    a, b = as_tensor(input, "linalg.cross"), as_tensor(other, "linalg.cross")
    ad, bd = _promoted(a, b, a._data, b._data)
    if ad.ndim != bd.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions, got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}; unsqueeze the smaller one"
        )
    nd = ad.ndim
    d = one_dim(dim, nd, "linalg.cross")
    if ad.shape[d] != 3 or bd.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs of shapes {tuple(a.shape)} and {tuple(b.shape)} must have "
            f"size 3 in dim {dim}"
        )
    saved = (a if _rg(b) else None, b if _rg(a) else None, d - nd)
    try:
        return CROSS.apply((a, b), (ad, bd), saved, {"dim": d - nd})
    except ValueError:
        raise RuntimeError(
            f"linalg.cross: shapes {tuple(a.shape)} and {tuple(b.shape)} do not broadcast"
        ) from None


def _cross_kernel(a, b, *, dim):
    with np.errstate(all="ignore"):  # inf * 0: NaN silently
        return np.cross(a, b, axis=dim)


def _cross_backward(g, a, b, d):
    return (None if b is None else cross(b, g, d)), (None if a is None else cross(g, a, d))


CROSS = Primitive("LinalgCross", _cross_kernel, _cross_backward)


def _float_input(x, name, dtype):
    x = as_tensor(x, name)
    if dtype is not None:
        x = cast(x, dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            f"{name}: expected a floating point input, got dtype {x.dtype}; pass dtype= or "
            "convert it with .float()"
        )
    return x


def vector_norm(input, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """f(x) = (sum |x|^ord)^(1/ord) over dim (all dims if None); inf/-inf: max/min |x|"""
    x = _float_input(input, "linalg.vector_norm", dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return R.norm(x, float(ord) if ord not in (2, 2.0) else 2, dim, keepdim)


def matrix_norm(input, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    """Frobenius, nuclear, spectral (2/-2), max column sum (1/-1) or max row sum (inf/-inf)"""
    A = _float_input(input, "linalg.matrix_norm", dtype)
    if A.ndim < 2 or len(tuple(dim)) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: expected a tensor with 2 or more dims and a 2-tuple dim, got "
            f"shape {tuple(A.shape)} and dim={dim!r}"
        )
    d = tuple(one_dim(k, A.ndim, "linalg.matrix_norm") for k in dim)
    if ord == "fro":
        return R.norm(A, 2, d, keepdim)
    B = S.movedim(A, d, (-2, -1))
    if ord == "nuc":
        out = R.sum(svdvals(B), -1)
    elif ord in (2, -2):
        out = (R.amax if ord == 2 else R.amin)(svdvals(B), -1)
    elif ord in (1, -1, math.inf, -math.inf):
        sums = R.sum(UN.abs(B), -2 if ord in (1, -1) else -1)
        out = (R.amax if ord > 0 else R.amin)(sums, -1)
    else:
        raise RuntimeError(
            f"linalg.matrix_norm: ord must be 'fro', 'nuc', 2, -2, 1, -1, inf or -inf, got {ord!r}"
        )
    if keepdim:
        for k in sorted(d):
            out = S.unsqueeze(out, k)
    return out


def norm(input, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """A vector norm (``dim`` an int, or a 1-D input) or a matrix norm (``dim`` a 2-tuple, or
    a 2-D input with ``ord`` given); with neither ``ord`` nor ``dim``, the 2-norm of all entries."""
    A = _float_input(input, "linalg.norm", dtype)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim)
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim)
    if ord is None:
        return vector_norm(A, 2, None, keepdim)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim)
    if A.ndim == 1 and not isinstance(ord, str):
        return vector_norm(A, ord, None, keepdim)
    raise RuntimeError(
        f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-D or 2-D, got shape "
        f"{tuple(A.shape)}; pass dim= to pick the dims"
    )


def svdvals(A, *, driver=None):
    """The singular values, descending (differentiable where they are distinct). ``driver``
    picks a cuSOLVER method: None is the only choice on the CPU, as in PyTorch."""
    no_driver(driver)
    return svd(A, full_matrices=False)[1]


def no_driver(driver):
    """PyTorch's error for ``svd``'s ``driver=`` on a CPU input (a cuSOLVER choice)."""
    if driver is not None:
        raise RuntimeError(
            f"torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs "
            f"with cuSOLVER backend (got driver={driver!r}); tinytensor computes on the CPU, "
            "so leave driver=None"
        )


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


def eigvalsh(input, UPLO="L"):
    """The eigenvalues of a symmetric matrix, ascending"""
    A = input
    return eigh(A, UPLO)[0]


def cond(input, p=None):
    """Condition number: s_max/s_min for p None or 2, s_min/s_max for -2, else |A| |A^-1|"""
    A = _matrix(input, "linalg.cond", square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = svdvals(A)
        hi, lo = S.narrow(s, -1, 0, 1), S.narrow(s, -1, s.shape[-1] - 1, 1)
        return S.squeeze(hi / lo if p != -2 else lo / hi, -1)
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def _tolerance(s, m, n, atol, rtol):
    if rtol is None:
        rtol = np.finfo(s.dtype).eps * max(m, n) if not atol else 0.0
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    return np.maximum(atol or 0.0, rtol * smax)


def matrix_rank(input, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values above `max(atol, rtol * s_max)` (int64, no gradient)"""
    A = _matrix(input, "linalg.matrix_rank", square=hermitian)
    if tol is not None:
        atol, rtol = tol, 0.0
    attrs = {"atol": atol, "rtol": rtol, "hermitian": bool(hermitian)}
    return MATRIX_RANK.apply((A,), (A._data,), (), attrs)


def _matrix_rank_kernel(d, *, atol, rtol, hermitian):
    if hermitian:
        s = np.sort(np.abs(np.linalg.eigvalsh(d)), -1)[..., ::-1]
    else:
        s = np.linalg.svd(d, compute_uv=False)
    cut = _tolerance(s, d.shape[-2], d.shape[-1], atol, rtol)
    return np.asarray(np.sum(s > cut, -1), dtype=np.int64)


MATRIX_RANK = Primitive("LinalgMatrixRank", _matrix_rank_kernel)  # an integer: no gradient


def matrix_power(input, n):
    """f(A) = A^n by repeated squaring (A^-1 first for n < 0; the identity for n = 0)"""
    A = as_tensor(input, "linalg.matrix_power")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_power: expected square matrices (*, n, n), got {tuple(A.shape)}"
        )
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {n!r}")
    if n == 0:
        return A * 0 + eye(A.shape[-1], dtype=A.dtype)
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def multi_dot(tensors):
    """A chain of matmuls; the first may be a row vector and the last a column vector"""
    tensors = [as_tensor(t, "linalg.multi_dot") for t in tensors]
    if len(tensors) < 2:
        raise RuntimeError("linalg.multi_dot: expected at least 2 tensors")
    first_vec, last_vec = tensors[0].ndim == 1, tensors[-1].ndim == 1
    if first_vec:
        tensors[0] = S.unsqueeze(tensors[0], 0)
    if last_vec:
        tensors[-1] = S.unsqueeze(tensors[-1], -1)
    for i, t in enumerate(tensors):
        if t.ndim != 2:
            raise RuntimeError(
                f"linalg.multi_dot: tensor {i} must be 2-D (the first and last may be 1-D), got "
                f"shape {tuple(t.shape)}"
            )
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    if first_vec:
        out = S.squeeze(out, 0)
    if last_vec:
        out = S.squeeze(out, -1)
    return out


def vecdot(x, y, *, dim=-1):
    """`f(x, y) = sum(x * y, dim)`"""
    x, y = as_tensor(x, "linalg.vecdot"), as_tensor(y, "linalg.vecdot")
    return R.sum(x * y, dim)


def vander(x, *, N=None):
    """Columns x^0, x^1, ..., x^(N-1) (N defaults to x's last size)"""
    x = as_tensor(x, "linalg.vander")
    n = x.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got {n}")
    cols = [x * 0 + 1]  # n >= 2 here
    for _ in range(1, n):
        cols.append(cols[-1] * x)
    return J.stack(cols, -1)


def tensorinv(input, ind=2):
    """The inverse for tensordot: A reshaped to a (prod(shape[:ind]), prod(shape[ind:])) matrix"""
    A = as_tensor(input, "linalg.tensorinv")
    front, back = A.shape[:ind], A.shape[ind:]
    if math.prod(front) != math.prod(back):
        raise RuntimeError(
            f"linalg.tensorinv: prod(shape[:ind]) must equal prod(shape[ind:]), got shape "
            f"{tuple(A.shape)} with ind={ind}"
        )
    return S.reshape(inv(S.reshape(A, (math.prod(front), -1))), back + front)


def tensorsolve(input, other, dims=None):
    """X with tensordot(A, X, X.ndim) = B"""
    A, B = as_tensor(input, "linalg.tensorsolve"), as_tensor(other, "linalg.tensorsolve")
    if dims is not None:
        d = norm_dim(dims, A.ndim, "linalg.tensorsolve")
        A = S.movedim(A, d, tuple(range(A.ndim - len(d), A.ndim)))
    rest = A.shape[B.ndim :]
    X = solve(S.reshape(A, (B.numel(), -1)), S.reshape(B, (-1,)))
    return S.reshape(X, rest)
