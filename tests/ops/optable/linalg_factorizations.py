"""Op-table rows for the one-node matrix ops of tinytensor/ops/linalg (factorizations.py,
solvers.py): inv, det, slogdet, solve, solve_triangular, cholesky, qr, svd, eigh, diagonal,
diag_embed, lstsq, cholesky_solve. Inputs and references are in _linalg_inputs.py: matrices are
well conditioned, and the sign-ambiguous factorizations return sign-invariant quantities."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample
from ._linalg_inputs import (
    CHOL,
    GEN,
    SV,
    SYM,
    _chol_np,
    _chol_torch,
    _chol_tt,
    _eigh,
    _np_svd,
    _np_tri_solve,
    _qr,
    _tall,
    _torch,
    _torch_linalg,
    _torch_svd,
    _triangular,
    _tt_svd,
    _with_rhs,
    matrices,
)
from ._torch import torch_call

CASES = [
    OpCase("linalg_inv", tt.linalg.inv, np.linalg.inv, _torch_linalg("inv"), matrices(GEN)),
    OpCase("linalg_det", tt.linalg.det, np.linalg.det, _torch_linalg("det"), matrices(GEN)),
    OpCase(
        "linalg_slogdet",
        tt.linalg.slogdet,
        np.linalg.slogdet,
        _torch_linalg("slogdet"),
        matrices(GEN),
    ),
    OpCase("linalg_solve", tt.linalg.solve, np.linalg.solve, _torch_linalg("solve"), _with_rhs()),
    OpCase(
        "linalg_solve_vector",
        tt.linalg.solve,
        np.linalg.solve,
        _torch_linalg("solve"),
        _with_rhs(vector=True),
    ),
    OpCase(
        "linalg_solve_triangular",
        tt.linalg.solve_triangular,
        _np_tri_solve,
        _torch_linalg("solve_triangular"),
        _triangular(),
    ),
    OpCase(
        "linalg_cholesky",
        _chol_tt,
        _chol_np,
        _chol_torch,
        matrices(CHOL, upper=st.booleans()),
    ),
    OpCase(
        "linalg_qr",
        _qr(tt),
        _qr(np.linalg),
        _torch(lambda t, A, mode: _qr(t)(A, mode)),
        matrices(SV, rect=True, mode=st.just("reduced")),
    ),
    OpCase(
        "linalg_qr_complete",
        _qr(tt),
        _qr(np.linalg),
        _torch(lambda t, A, mode: _qr(t)(A, mode)),
        matrices(SV, mode=st.just("complete")),
    ),
    OpCase(
        "linalg_svd",
        _tt_svd,
        _np_svd,
        _torch_svd,
        matrices(SV, rect=True, full_matrices=st.just(False)),
    ),
    OpCase(
        "linalg_svd_full_square",
        _tt_svd,
        _np_svd,
        _torch_svd,
        matrices(SV, full_matrices=st.just(True)),
    ),
    OpCase("linalg_eigh", _eigh(tt), _eigh(np), _torch(lambda t, A: _eigh(t)(A)), matrices(SYM)),
    OpCase(
        "linalg_lstsq",
        lambda A, B: tt.linalg.lstsq(A, B).solution,
        lambda A, B: np.linalg.lstsq(A, B, rcond=None)[0],
        _torch(lambda t, A, B: t.linalg.lstsq(A, B).solution),
        _tall(),
    ),
    # A rank-deficient system has many least-squares solutions; only the minimum-norm one is
    # unique. tinytensor always returns it (an SVD with a relative cut-off); PyTorch's default
    # CPU driver (gelsy) decides the rank from a pivoted QR, and with a singular value at the
    # rounding level (~1e-16) it sometimes keeps it and returns another, huge solution. So the
    # oracle is PyTorch's minimum-norm driver, gelsd, for both tinytensor's default and gelsd.
    OpCase(
        "linalg_lstsq_rank_deficient",
        lambda A, B: tt.linalg.lstsq(A, B).solution,
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
        "linalg_diagonal",
        tt.linalg.diagonal,
        lambda A, offset: np.diagonal(A, offset, -2, -1).copy(),
        _torch_linalg("diagonal"),
        matrices("small", rect=True, offset=st.integers(-1, 1)),
    ),
    OpCase(
        "diag_embed",
        tt.diag_embed,
        lambda x, offset: np.stack(
            [np.diag(v, offset) for v in x.reshape(-1, x.shape[-1])]
        ).reshape(x.shape[:-1] + (x.shape[-1] + abs(offset),) * 2),
        torch_call("diag_embed"),
        matrices("small", rect=True, offset=st.integers(-1, 1)),
    ),
    OpCase(
        "cholesky_solve",
        lambda B, A: tt.cholesky_solve(B, tt.linalg.cholesky(A + A.mT)),
        lambda B, A: np.linalg.solve(A + np.swapaxes(A, -1, -2), B),
        _torch(lambda t, B, A: t.cholesky_solve(B, t.linalg.cholesky(A + A.mT))),
        matrices("small", CHOL).map(lambda s: Sample(s.args)),
    ),
]
