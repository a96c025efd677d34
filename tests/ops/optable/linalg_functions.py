"""Op-table rows for the linear algebra built from the factorizations (tinytensor/ops/linalg:
functions.py, distances.py, legacy.py): svdvals, eigvalsh, pinv, matrix_exp, matrix_power,
matrix_rank, the norms, cond, cross, multi_dot, vecdot, tensorinv, vander, cdist, dist, and
torch's older spellings (inverse, logdet, svd, cross, trace, cholesky_inverse, renorm,
triangular_solve). Inputs and references are in _linalg_inputs.py."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, floats, shapes, tensor
from ._linalg_inputs import (
    CHOL,
    GEN,
    SIDE,
    SV,
    SYM,
    _eigvalsh,
    _legacy_svd,
    _make,
    _np_expm,
    _np_legacy_svd,
    _np_matrix_norm,
    _np_vector_norm,
    _pairs,
    _t,
    _torch,
    _torch_linalg,
    matrices,
)
from ._torch import torch_call


@st.composite
def _renorm_inputs(draw):
    shape = draw(shapes(min_dims=2, max_dims=3))
    kw = {
        "p": draw(st.sampled_from([1.0, 2.0, 3.0])),
        "dim": draw(st.integers(0, len(shape) - 1)),
        "maxnorm": draw(st.sampled_from([0.77, 1.31, 2.13])),  # off round values: no ties
    }
    return Sample((draw(tensor(shape, floats(-2.0, 2.0, avoid=(0.0,)))),), kw)


def _np_renorm(x, p, dim, maxnorm):
    others = tuple(k for k in range(x.ndim) if k != dim)
    norm = np.sum(np.abs(x) ** p, axis=others, keepdims=True) ** (1.0 / p)
    return x * np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


@st.composite
def _triangular_solve_inputs(draw):
    n, k = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    batch = draw(st.sampled_from([(), (2,)]))
    a = draw(tensor(batch + (n, n), floats(-0.5, 0.5))).numpy() + 2.0 * np.eye(n)
    kw = {
        "upper": draw(st.booleans()),
        "transpose": draw(st.booleans()),
        "unitriangular": draw(st.booleans()),
    }
    return Sample((draw(tensor(batch + (n, k))), tt.tensor(a)), kw)


def _np_triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
    T = np.triu(A) if upper else np.tril(A)
    if unitriangular:
        T = T.copy()
        np.einsum("...ii->...i", T)[...] = 1.0
    if transpose:
        T = np.swapaxes(T, -1, -2)
    return np.linalg.solve(T, b), A.copy()


CASES = [
    OpCase("inverse", lambda A: A.inverse(), np.linalg.inv, torch_call("inverse"), matrices(GEN)),
    OpCase(
        "logdet",
        tt.logdet,
        lambda A: np.log(np.linalg.det(A)),
        torch_call("logdet"),
        matrices(CHOL),
    ),
    OpCase(
        "svd",
        _legacy_svd(tt),
        _np_legacy_svd,
        _torch(lambda t, A: _legacy_svd(t)(A)),
        matrices(SV, rect=True),
    ),
    OpCase(
        "linalg_svdvals",
        tt.linalg.svdvals,
        lambda A: np.linalg.svd(A, compute_uv=False),
        _torch_linalg("svdvals"),
        matrices(SV, rect=True),
    ),
    OpCase(
        "linalg_eigvalsh",
        _eigvalsh(tt),
        _eigvalsh(np),
        _torch(lambda t, A: _eigvalsh(t)(A)),
        matrices(SYM),
    ),
    OpCase(
        "linalg_pinv",
        tt.linalg.pinv,
        np.linalg.pinv,
        _torch_linalg("pinv"),
        matrices(SV, rect=True),
    ),
    OpCase(
        "linalg_matrix_exp",
        tt.linalg.matrix_exp,
        _np_expm,
        _torch_linalg("matrix_exp"),
        matrices("small"),
        rtol=1e-6,
    ),
    OpCase(
        "linalg_matrix_power",
        tt.linalg.matrix_power,
        np.linalg.matrix_power,
        _torch_linalg("matrix_power"),
        matrices(GEN, n=st.integers(-2, 3)),
    ),
    OpCase(
        "linalg_matrix_rank",
        tt.linalg.matrix_rank,
        np.linalg.matrix_rank,
        _torch_linalg("matrix_rank"),
        matrices("small", rect=True),
        differentiable=False,
    ),
    OpCase(
        "linalg_vector_norm",
        tt.linalg.vector_norm,
        _np_vector_norm,
        _torch_linalg("vector_norm"),
        matrices(
            "small",
            rect=True,
            ord=st.sampled_from([2, 1, 3, np.inf]),
            dim=st.sampled_from([-1, (-2, -1)]),
            keepdim=st.booleans(),
        ),
    ),
    OpCase(
        "linalg_matrix_norm",
        tt.linalg.matrix_norm,
        _np_matrix_norm,
        _torch_linalg("matrix_norm"),
        matrices(SV, rect=True, ord=st.sampled_from(["fro", "nuc", 2, -2])),
    ),
    OpCase(
        "linalg_norm",
        tt.linalg.norm,
        lambda A: np.asarray(np.linalg.norm(A)),
        _torch_linalg("norm"),
        matrices("small", rect=True),
    ),
    OpCase(
        "linalg_cond",
        tt.linalg.cond,
        np.linalg.cond,
        _torch_linalg("cond"),
        matrices(SV, rect=True),
    ),
    OpCase(
        "linalg_cross",
        tt.linalg.cross,
        lambda a, b: np.cross(a, b),
        _torch_linalg("cross"),
        _pairs(lambda n, m, k: (n, 3), lambda n, m, k: (1, 3)),
    ),
    OpCase(
        "cross",
        tt.cross,
        lambda a, b: np.cross(a, b, axis=0),
        torch_call("cross"),
        _pairs(lambda n, m, k: (3, n), lambda n, m, k: (3, n)),
    ),
    OpCase(
        "linalg_multi_dot",
        lambda a, b, c: tt.linalg.multi_dot([a, b, c]),
        lambda a, b, c: np.linalg.multi_dot([a, b, c]),
        _torch(lambda t, a, b, c: t.linalg.multi_dot([a, b, c])),
        st.tuples(SIDE, SIDE, SIDE)
        .flatmap(lambda s: st.tuples(tensor((s[0],)), tensor(s[:2]), tensor(s[1:])))
        .map(Sample),
    ),
    OpCase(
        "linalg_vecdot",
        tt.linalg.vecdot,
        lambda a, b: (a * b).sum(-1),
        _torch_linalg("vecdot"),
        _pairs(lambda n, m, k: (n, m), lambda n, m, k: (m,)),
    ),
    OpCase(
        "trace",
        tt.trace,
        lambda A: np.asarray(np.trace(A)),
        torch_call("trace"),
        matrices("small", rect=True, batch=False),
    ),
    OpCase(
        "cholesky_inverse",
        lambda A: tt.cholesky_inverse(tt.linalg.cholesky(A + A.mT)),
        lambda A: np.linalg.inv(A + np.swapaxes(A, -1, -2)),
        _torch(lambda t, A: t.cholesky_inverse(t.linalg.cholesky(A + A.mT))),
        matrices(CHOL, batch=False),
    ),
    OpCase(
        "cdist",
        tt.cdist,
        lambda a, b, p: np.asarray((np.abs(a[:, None, :] - b[None, :, :]) ** p).sum(-1) ** (1 / p)),
        # PyTorch's direct kernel has no double backward ("the derivative for
        # '_cdist_backward' is not implemented"); its matrix-product mode for p=2 is built from
        # differentiable ops, so it is the oracle for second order as well.
        torch_call("cdist", compute_mode="use_mm_for_euclid_dist"),
        _pairs(lambda n, m, k: (n, m), lambda n, m, k: (k, m), apart=True).map(
            lambda s: Sample(s.args, {"p": 2.0})
        ),
    ),
    OpCase(
        "dist",
        tt.dist,
        lambda a, b: np.asarray(np.linalg.norm((a - b).ravel())),
        torch_call("dist"),
        _pairs(lambda n, m, k: (n, m), lambda n, m, k: (m,), apart=True),
    ),
    OpCase(
        "linalg_tensorinv",
        lambda A: tt.linalg.tensorinv(A.reshape(2, 3, 6), ind=2),
        lambda A: np.linalg.tensorinv(A.reshape(2, 3, 6), ind=2),
        _torch(lambda t, A: t.linalg.tensorinv(A.reshape(2, 3, 6), ind=2)),
        st.integers(0, 2**32 - 1).map(
            lambda s: Sample((_t(_make(GEN, np.random.default_rng(s), (), 6, 6)),))
        ),
    ),
    OpCase(
        "linalg_vander",
        lambda x: tt.linalg.vander(x),
        lambda x: np.vander(x, increasing=True),
        _torch_linalg("vander"),
        st.integers(2, 5)
        .flatmap(lambda n: tensor((n,), floats(avoid=(0.0,))))
        .map(
            lambda x: Sample((x,))  # no subnormals: PyTorch flushes them
        ),
    ),
    OpCase("renorm", tt.renorm, _np_renorm, torch_call("renorm"), _renorm_inputs()),
    OpCase(
        "triangular_solve",
        tt.triangular_solve,
        _np_triangular_solve,
        torch_call("triangular_solve"),
        _triangular_solve_inputs(),
    ),
]
