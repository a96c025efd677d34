"""Op-table rows for tt.linalg and the torch-namespace linear algebra (tinytensor/ops/linalg_ext.py,
linalg_more.py, linalg_torch.py). Matrices are built from a drawn seed so they are well
conditioned: diagonally dominant for inv/solve/det, A A^T + n I for cholesky, distinct
eigenvalues/singular values for eigh/svd. Rows of sign-ambiguous factorizations (svd, eigh, qr)
return sign-invariant quantities (U**2, V**2), so NumPy and PyTorch can be compared."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, floats, lattice, tensor
from ._torch import torch_call

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


CASES = [
    OpCase("linalg_inv", tt.linalg.inv, np.linalg.inv, _torch_linalg("inv"), matrices(GEN)),
    OpCase("inverse", lambda A: A.inverse(), np.linalg.inv, torch_call("inverse"), matrices(GEN)),
    OpCase("linalg_det", tt.linalg.det, np.linalg.det, _torch_linalg("det"), matrices(GEN)),
    OpCase(
        "linalg_slogdet", tt.linalg.slogdet, np.linalg.slogdet, _torch_linalg("slogdet"),
        matrices(GEN),
    ),
    OpCase(
        "logdet", tt.logdet, lambda A: np.log(np.linalg.det(A)), torch_call("logdet"),
        matrices(CHOL),
    ),
    OpCase("linalg_solve", tt.linalg.solve, np.linalg.solve, _torch_linalg("solve"), _with_rhs()),
    OpCase(
        "linalg_solve_vector", tt.linalg.solve, np.linalg.solve, _torch_linalg("solve"),
        _with_rhs(vector=True),
    ),
    OpCase(
        "linalg_solve_triangular", tt.linalg.solve_triangular, _np_tri_solve,
        _torch_linalg("solve_triangular"), _triangular(),
    ),
    OpCase(
        "linalg_cholesky", _chol_tt, _chol_np, _chol_torch,
        matrices(CHOL, upper=st.booleans()),
    ),
    OpCase(
        "linalg_qr", _qr(tt), _qr(np.linalg), _torch(lambda t, A, mode: _qr(t)(A, mode)),
        matrices(SV, rect=True, mode=st.just("reduced")),
    ),
    OpCase(
        "linalg_qr_complete", _qr(tt), _qr(np.linalg), _torch(lambda t, A, mode: _qr(t)(A, mode)),
        matrices(SV, mode=st.just("complete")),
    ),
    OpCase(
        "linalg_svd", _tt_svd, _np_svd, _torch_svd,
        matrices(SV, rect=True, full_matrices=st.just(False)),
    ),
    OpCase(
        "linalg_svd_full_square", _tt_svd, _np_svd, _torch_svd,
        matrices(SV, full_matrices=st.just(True)),
    ),
    OpCase("svd", _legacy_svd(tt), _np_legacy_svd, _torch(lambda t, A: _legacy_svd(t)(A)),
           matrices(SV, rect=True)),
    OpCase(
        "linalg_svdvals", tt.linalg.svdvals, lambda A: np.linalg.svd(A, compute_uv=False),
        _torch_linalg("svdvals"), matrices(SV, rect=True),
    ),
    OpCase("linalg_eigh", _eigh(tt), _eigh(np), _torch(lambda t, A: _eigh(t)(A)), matrices(SYM)),
    OpCase(
        "linalg_eigvalsh", _eigvalsh(tt), _eigvalsh(np), _torch(lambda t, A: _eigvalsh(t)(A)),
        matrices(SYM),
    ),
    OpCase(
        "linalg_pinv", tt.linalg.pinv, np.linalg.pinv, _torch_linalg("pinv"),
        matrices(SV, rect=True),
    ),
    OpCase(
        "linalg_matrix_exp", tt.linalg.matrix_exp, _np_expm, _torch_linalg("matrix_exp"),
        matrices("small"), rtol=1e-6,
    ),
    OpCase(
        "linalg_matrix_power", tt.linalg.matrix_power, np.linalg.matrix_power,
        _torch_linalg("matrix_power"), matrices(GEN, n=st.integers(-2, 3)),
    ),
    OpCase(
        "linalg_matrix_rank", tt.linalg.matrix_rank, np.linalg.matrix_rank,
        _torch_linalg("matrix_rank"), matrices("small", rect=True), differentiable=False,
    ),
    OpCase(
        "linalg_lstsq", lambda A, B: tt.linalg.lstsq(A, B).solution,
        lambda A, B: np.linalg.lstsq(A, B, rcond=None)[0],
        _torch(lambda t, A, B: t.linalg.lstsq(A, B).solution), _tall(),
    ),
    # A rank-deficient system has many least-squares solutions; only the minimum-norm one is
    # unique. tinytensor always returns it (an SVD with a relative cut-off); PyTorch's default
    # CPU driver (gelsy) decides the rank from a pivoted QR, and with a singular value at the
    # rounding level (~1e-16) it sometimes keeps it and returns another, huge solution. So the
    # oracle is PyTorch's minimum-norm driver, gelsd, for both tinytensor's default and gelsd.
    OpCase(
        "linalg_lstsq_rank_deficient", lambda A, B: tt.linalg.lstsq(A, B).solution,
        lambda A, B: np.linalg.pinv(A) @ B,
        _torch(lambda t, A, B: t.linalg.lstsq(A, B, driver="gelsd").solution),
        _tall(deficient=True),
        differentiable=False,  # pinv has no derivative where the rank can change
    ),
    OpCase(
        "linalg_lstsq_rank_deficient_gelsd",
        lambda A, B: tt.linalg.lstsq(A, B, driver="gelsd").solution,
        lambda A, B: np.linalg.pinv(A) @ B,
        _torch(lambda t, A, B: t.linalg.lstsq(A, B, driver="gelsd").solution),
        _tall(deficient=True),
        differentiable=False,
    ),
    OpCase(
        "linalg_vector_norm", tt.linalg.vector_norm, _np_vector_norm,
        _torch_linalg("vector_norm"),
        matrices("small", rect=True, ord=st.sampled_from([2, 1, 3, np.inf]),
                 dim=st.sampled_from([-1, (-2, -1)]), keepdim=st.booleans()),
    ),
    OpCase(
        "linalg_matrix_norm", tt.linalg.matrix_norm, _np_matrix_norm,
        _torch_linalg("matrix_norm"),
        matrices(SV, rect=True, ord=st.sampled_from(["fro", "nuc", 2, -2])),
    ),
    OpCase(
        "linalg_norm", tt.linalg.norm, lambda A: np.asarray(np.linalg.norm(A)),
        _torch_linalg("norm"), matrices("small", rect=True),
    ),
    OpCase(
        "linalg_cond", tt.linalg.cond, np.linalg.cond, _torch_linalg("cond"),
        matrices(SV, rect=True),
    ),
    OpCase(
        "linalg_cross", tt.linalg.cross, lambda a, b: np.cross(a, b), _torch_linalg("cross"),
        _pairs(lambda n, m, k: (n, 3), lambda n, m, k: (1, 3)),
    ),
    OpCase(
        "cross", tt.cross, lambda a, b: np.cross(a, b, axis=0), torch_call("cross"),
        _pairs(lambda n, m, k: (3, n), lambda n, m, k: (3, n)),
    ),
    OpCase(
        "linalg_multi_dot", lambda a, b, c: tt.linalg.multi_dot([a, b, c]),
        lambda a, b, c: np.linalg.multi_dot([a, b, c]),
        _torch(lambda t, a, b, c: t.linalg.multi_dot([a, b, c])),
        st.tuples(SIDE, SIDE, SIDE).flatmap(
            lambda s: st.tuples(tensor((s[0],)), tensor(s[:2]), tensor(s[1:]))
        ).map(Sample),
    ),
    OpCase(
        "linalg_vecdot", tt.linalg.vecdot, lambda a, b: (a * b).sum(-1),
        _torch_linalg("vecdot"), _pairs(lambda n, m, k: (n, m), lambda n, m, k: (m,)),
    ),
    OpCase(
        "linalg_diagonal", tt.linalg.diagonal,
        lambda A, offset: np.diagonal(A, offset, -2, -1).copy(), _torch_linalg("diagonal"),
        matrices("small", rect=True, offset=st.integers(-1, 1)),
    ),
    OpCase(
        "diag_embed", tt.diag_embed,
        lambda x, offset: np.stack([np.diag(v, offset) for v in x.reshape(-1, x.shape[-1])])
        .reshape(x.shape[:-1] + (x.shape[-1] + abs(offset),) * 2),
        torch_call("diag_embed"), matrices("small", rect=True, offset=st.integers(-1, 1)),
    ),
    OpCase("trace", tt.trace, lambda A: np.asarray(np.trace(A)), torch_call("trace"),
           matrices("small", rect=True, batch=False)),
    OpCase(
        "cholesky_solve", lambda B, A: tt.cholesky_solve(B, tt.linalg.cholesky(A + A.mT)),
        lambda B, A: np.linalg.solve(A + np.swapaxes(A, -1, -2), B),
        _torch(lambda t, B, A: t.cholesky_solve(B, t.linalg.cholesky(A + A.mT))),
        matrices("small", CHOL).map(lambda s: Sample(s.args)),
    ),
    OpCase(
        "cholesky_inverse", lambda A: tt.cholesky_inverse(tt.linalg.cholesky(A + A.mT)),
        lambda A: np.linalg.inv(A + np.swapaxes(A, -1, -2)),
        _torch(lambda t, A: t.cholesky_inverse(t.linalg.cholesky(A + A.mT))),
        matrices(CHOL, batch=False),
    ),
    OpCase(
        "addmm", tt.addmm, _np_addmm, torch_call("addmm"),
        _addmm_inputs(lambda n, m, k, b: ((n, m), (n, k), (k, m))),
    ),
    OpCase(
        "addmv", tt.addmv, _np_addmm, torch_call("addmv"),
        _addmm_inputs(lambda n, m, k, b: ((n,), (n, k), (k,))),
    ),
    OpCase(
        "addr", tt.addr, lambda x, a, b, beta, alpha: _np_addmm(x, a, b, beta, alpha, np.outer),
        torch_call("addr"), _addmm_inputs(lambda n, m, k, b: ((n, m), (n,), (m,))),
    ),
    OpCase(
        "baddbmm", tt.baddbmm, _np_addmm, torch_call("baddbmm"),
        _addmm_inputs(lambda n, m, k, b: ((b, n, m), (b, n, k), (b, k, m))),
    ),
    OpCase(
        "addbmm", tt.addbmm,
        lambda x, a, b, beta, alpha: _np_addmm(x, a, b, beta, alpha, lambda p, q: (p @ q).sum(0)),
        torch_call("addbmm"), _addmm_inputs(lambda n, m, k, b: ((n, m), (b, n, k), (b, k, m))),
    ),
    OpCase("mv", tt.mv, np.matmul, torch_call("mv"),
           _pairs(lambda n, m, k: (n, m), lambda n, m, k: (m,))),
    OpCase("vdot", tt.vdot, lambda a, b: np.asarray(np.vdot(a, b)), torch_call("vdot"),
           _pairs(lambda n, m, k: (n,), lambda n, m, k: (n,))),
    OpCase("inner", tt.inner, lambda a, b: np.asarray(np.inner(a, b)), torch_call("inner"),
           _pairs(lambda n, m, k: (n, m), lambda n, m, k: (k, m))),
    OpCase("kron", tt.kron, _np_kron, torch_call("kron"),
           _pairs(lambda n, m, k: (n, m), lambda n, m, k: (k, 2))),
    OpCase(
        "tensordot", lambda a, b: tt.tensordot(a, b, dims=([1, 0], [0, 2])),
        lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 2])),
        _torch(lambda t, a, b: t.tensordot(a, b, dims=([1, 0], [0, 2]))),
        _pairs(lambda n, m, k: (n, m), lambda n, m, k: (m, k, n)),
    ),
    OpCase(
        "cdist", tt.cdist,
        lambda a, b, p: np.asarray(
            (np.abs(a[:, None, :] - b[None, :, :]) ** p).sum(-1) ** (1 / p)
        ),
        # PyTorch's direct kernel has no double backward ("the derivative for
        # '_cdist_backward' is not implemented"); its matrix-product mode for p=2 is built from
        # differentiable ops, so it is the oracle for second order as well.
        torch_call("cdist", compute_mode="use_mm_for_euclid_dist"),
        _pairs(lambda n, m, k: (n, m), lambda n, m, k: (k, m), apart=True).map(
            lambda s: Sample(s.args, {"p": 2.0})
        ),
    ),
    OpCase(
        "dist", tt.dist, lambda a, b: np.asarray(np.linalg.norm((a - b).ravel())),
        torch_call("dist"), _pairs(lambda n, m, k: (n, m), lambda n, m, k: (m,), apart=True),
    ),
    OpCase(
        "linalg_tensorinv", lambda A: tt.linalg.tensorinv(A.reshape(2, 3, 6), ind=2),
        lambda A: np.linalg.tensorinv(A.reshape(2, 3, 6), ind=2),
        _torch(lambda t, A: t.linalg.tensorinv(A.reshape(2, 3, 6), ind=2)),
        st.integers(0, 2**32 - 1).map(
            lambda s: Sample((_t(_make(GEN, np.random.default_rng(s), (), 6, 6)),))
        ),
    ),
    OpCase(
        "linalg_vander", lambda x: tt.linalg.vander(x), lambda x: np.vander(x, increasing=True),
        _torch_linalg("vander"),
        st.integers(2, 5).flatmap(lambda n: tensor((n,), floats(avoid=(0.0,)))).map(
            lambda x: Sample((x,))  # no subnormals: PyTorch flushes them
        ),
    ),
]  # fmt: skip
