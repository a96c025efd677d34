"""Inputs and references shared by the linear-algebra op-table rows (linalg_products.py,
linalg_factorizations.py, linalg_functions.py). Matrices are built from a drawn seed so they are
well conditioned: diagonally dominant for inv/solve/det, A A^T + n I for cholesky, distinct
eigenvalues/singular values for eigh/svd. Rows of sign-ambiguous factorizations (svd, eigh, qr)
return sign-invariant quantities (U**2, V**2), so NumPy and PyTorch can be compared."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import Sample, lattice, tensor

SIDE = st.integers(1, 4)


def _t(a):
    return tt.tensor(np.ascontiguousarray(a), dtype=tt.float64)


def _orthogonal(rng, n, batch):
    return np.linalg.qr(rng.standard_normal(batch + (n, n)))[0]


def _make(kind, rng, batch, m, n):
    """One well-conditioned matrix batch of the given kind, as a NumPy array."""
    if kind == "general":
        return rng.uniform(-1, 1, batch + (n, n)) + (n + 1) * np.eye(n)
    if kind == "spd_half":  # A + A^T is symmetric positive definite
        x = rng.uniform(-1, 1, batch + (n, n))
        return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)) / 2
    if kind == "sym_half":  # A + A^T has eigenvalues at least 0.5 apart
        q = _orthogonal(rng, n, batch)
        w = np.arange(n) * 0.7 - n / 3 + rng.uniform(0, 0.2, batch + (n,))
        return q @ (w[..., :, None] * np.swapaxes(q, -1, -2)) / 2
    if kind == "distinct_sv":  # singular values at least 0.5 apart, >= 0.5
        k = min(m, n)
        u, v = _orthogonal(rng, m, batch)[..., :k], _orthogonal(rng, n, batch)[..., :k]
        s = 0.5 + np.arange(k)[::-1] * 0.6 + rng.uniform(0, 0.1, batch + (k,))
        return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)
    if kind == "small":
        return rng.uniform(-1, 1, batch + (m, n))
    raise ValueError(kind)


def matrices(*kinds, rect=False, batch=True, **kwargs_strategies):
    """One matrix batch per kind (same batch shape and n; (m, n) if ``rect``), plus kwargs."""

    @st.composite
    def draw_sample(draw):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        b = tuple(draw(st.lists(st.integers(1, 2), max_size=1))) if batch else ()
        n = draw(SIDE)
        m = draw(SIDE) if rect else n
        args = tuple(_t(_make(k, rng, b, m, n)) for k in kinds)
        return Sample(args, {k: draw(s) for k, s in kwargs_strategies.items()})

    return draw_sample()


@st.composite
def _with_rhs(draw, kind="general", vector=False, left=True):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    b, n, k = tuple(draw(st.lists(st.integers(1, 2), max_size=1))), draw(SIDE), draw(SIDE)
    A = _make(kind, rng, b, n, n)
    B = rng.uniform(-1, 1, (n,) if vector else (b + ((n, k) if left else (k, n))))
    return Sample((_t(A), _t(B)))


@st.composite
def _triangular(draw):
    left = draw(st.booleans())
    s = draw(_with_rhs(left=left))
    kw = {"upper": draw(st.booleans()), "left": left, "unitriangular": draw(st.booleans())}
    return Sample(s.args, kw)


@st.composite
def _tall(draw, deficient=False):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(1, 3))
    m, k = n + draw(st.integers(0, 2)), draw(SIDE)
    A = _make("distinct_sv", rng, (), m, n)
    if deficient and n > 1:
        A[:, -1] = A[:, 0]
    return Sample((_t(A), _t(rng.uniform(-1, 1, (m, k)))))


def _sq(*xs):
    return tuple(x**2 for x in xs)


# --- tinytensor / NumPy / PyTorch spellings ------------------------------------------------------


def _tt_svd(A, full_matrices):
    U, S, Vh = tt.linalg.svd(A, full_matrices=full_matrices)
    return U**2, S, Vh**2


def _np_svd(A, full_matrices):
    U, S, Vh = np.linalg.svd(A, full_matrices=full_matrices)
    return U**2, S, Vh**2


def _torch_svd(A, full_matrices):
    import torch

    U, S, Vh = torch.linalg.svd(A, full_matrices=full_matrices)
    return U**2, S, Vh**2


def _legacy_svd(lib):
    def f(A):
        U, S, V = lib.svd(A)
        return U**2, S, V**2

    return f


def _np_legacy_svd(A):
    U, S, Vh = np.linalg.svd(A, full_matrices=False)
    return U**2, S, np.swapaxes(Vh, -1, -2) ** 2


def _qr(lib):
    def f(A, mode):
        Q, R = lib.qr(A, mode) if lib is np.linalg else lib.linalg.qr(A, mode)
        return Q**2, R**2

    return f


def _eigh(lib):
    def f(A):
        L, V = lib.linalg.eigh(A + np.swapaxes(A, -1, -2) if lib is np else A + A.mT)
        return L, V**2

    return f


def _sym(fn, np_fn):
    """fn(A + A^T) for tinytensor/torch, np_fn(A + A^T) for NumPy."""
    return (lambda A, **kw: fn(A + A.mT, **kw)), (
        lambda A, **kw: np_fn(A + np.swapaxes(A, -1, -2), **kw)
    )


def _torch_linalg(name):
    def call(*args, **kwargs):
        import torch

        return getattr(torch.linalg, name)(*args, **kwargs)

    return call


def _np_chol(A, upper=False):
    L = np.linalg.cholesky(A)
    return np.swapaxes(L, -1, -2) if upper else L


def _np_tri_solve(A, B, upper, left, unitriangular):
    T = np.triu(A) if upper else np.tril(A)
    if unitriangular:
        T = T - np.einsum("...ii->...i", T)[..., None] * np.eye(T.shape[-1]) + np.eye(T.shape[-1])
    if left:
        return np.linalg.solve(T, B)
    return np.swapaxes(np.linalg.solve(np.swapaxes(T, -1, -2), np.swapaxes(B, -1, -2)), -1, -2)


def _np_expm(A):
    w, V = np.linalg.eig(A)
    return np.real(V @ (np.exp(w)[..., :, None] * np.linalg.inv(V)))


def _np_vector_norm(x, ord, dim, keepdim):
    a = np.abs(x)
    if ord == np.inf:
        return np.asarray(a.max(axis=dim, keepdims=keepdim))
    return np.asarray((a**ord).sum(axis=dim, keepdims=keepdim) ** (1 / ord))


def _np_matrix_norm(A, ord):
    return np.linalg.norm(A, ord, axis=(-2, -1))


def _rows(**kinds):
    return matrices(*kinds)


CHOL, SYM, GEN, SV = "spd_half", "sym_half", "general", "distinct_sv"


_chol_tt, _chol_np = _sym(tt.linalg.cholesky, _np_chol)


def _chol_torch(A, **kw):
    import torch

    return torch.linalg.cholesky(A + A.mT, **kw)


def _eigvalsh(lib):
    if lib is np:
        return lambda A: np.linalg.eigvalsh(A + np.swapaxes(A, -1, -2))
    return lambda A: lib.linalg.eigvalsh(A + A.mT)


def _torch(fn_of_torch):
    def call(*args, **kwargs):
        import torch

        return fn_of_torch(torch, *args, **kwargs)

    return call


def _addmm_inputs(shapes_fn):
    @st.composite
    def draw_sample(draw):
        sizes = [draw(SIDE) for _ in range(4)]
        shapes = shapes_fn(*sizes)
        args = tuple(draw(tensor(s)) for s in shapes)
        beta = draw(st.sampled_from([1, 0.5, 0]))
        return Sample(args, {"beta": beta, "alpha": draw(st.sampled_from([1, -2.0]))})

    return draw_sample()


def _np_addmm(x, a, b, beta, alpha, prod=np.matmul):
    out = alpha * prod(a, b)
    return out + beta * x if beta else np.broadcast_to(out, out.shape).copy()


def _pairs(sa, sb, apart=False):
    """Two tensors of shapes sa(n, m, k), sb(n, m, k); ``apart``: no two entries equal."""

    @st.composite
    def draw_sample(draw):
        n, m, k = draw(SIDE), draw(SIDE), draw(SIDE)
        ea, eb = (lattice(0.0), lattice(0.17)) if apart else (None, None)
        return Sample((draw(tensor(sa(n, m, k), ea)), draw(tensor(sb(n, m, k), eb))))

    return draw_sample()


def _np_kron(a, b):
    return np.kron(a, b)
