"""``tinytensor.linalg``: PyTorch's ``torch.linalg`` on NumPy, with gradients.

Every function takes a matrix or a batch of them (leading dims, broadcast as in PyTorch) and
is differentiable where PyTorch's is, twice over (backward formulas are tinytensor ops):

>>> import tinytensor as tt
>>> A = tt.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
>>> tt.linalg.det(A).backward()
>>> A.grad
tensor([[ 3., -1.],
        [-1.,  2.]])

Degenerate input: ``inv``, ``solve`` and ``cholesky`` raise ``LinAlgError`` (a RuntimeError)
naming the matrix (``inv_ex``, ``solve_ex`` and ``cholesky_ex`` return an error code instead);
``det`` of a singular matrix is 0 with the adjugate as its gradient; ``lstsq`` and ``pinv``
return the minimum-norm solution for rank-deficient input. Gradients of ``svd``/``eigh`` need
distinct singular values/eigenvalues, as in PyTorch. Complex dtypes do not exist here, so the
names in ``NOT_PLANNED`` are not provided.
"""

from __future__ import annotations

from collections import namedtuple

from tinytensor._namespace.conventions import export_namespace as _export_namespace
from tinytensor.ops.linalg import factorizations as _ext
from tinytensor.ops.linalg import functions as _functions
from tinytensor.ops.linalg import solvers as _solvers
from tinytensor.ops.linalg.factorizations import (
    LinAlgError,
    cholesky,
    det,
    inv,
    solve,
    solve_triangular,
)
from tinytensor.ops.linalg.functions import (
    cond,
    cross,
    eigvalsh,
    matrix_exp,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    svdvals,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
    vector_norm,
)
from tinytensor.ops.linalg.products import matmul
from tinytensor.ops.linalg.solvers import cholesky_ex, inv_ex, lstsq, solve_ex

linalg_slogdet = namedtuple("linalg_slogdet", "sign logabsdet")
linalg_qr = namedtuple("linalg_qr", "Q R")
linalg_svd = namedtuple("linalg_svd", "U S Vh")
linalg_eigh = namedtuple("linalg_eigh", "eigenvalues eigenvectors")

#: ``torch.linalg`` names tinytensor does not provide, and why.
NOT_PLANNED = {
    "eig": "eigenvectors of a general matrix are complex; tinytensor has no complex dtypes "
    "(use linalg.eigh for symmetric matrices)",
    "eigvals": "eigenvalues of a general matrix are complex; no complex dtypes (use eigvalsh)",
    "householder_product": "LAPACK's orgqr on Householder reflectors: no NumPy kernel; use qr",
    "ldl_factor": "LDL^T with Bunch-Kaufman pivoting: no NumPy kernel; use cholesky or solve",
    "ldl_factor_ex": "see ldl_factor",
    "ldl_solve": "see ldl_factor",
    "lu": "pivoted LU: NumPy exposes no LU factorization; use solve, det or inv",
    "lu_factor": "see lu",
    "lu_factor_ex": "see lu",
    "lu_solve": "see lu (use solve)",
}


def slogdet(A):
    """(sign, logabsdet) of det A; logabsdet is differentiable (d = A^-T)."""
    return linalg_slogdet(*_ext.slogdet(A))


def qr(A, mode="reduced"):
    """A = Q R with mode 'reduced', 'complete' or 'r' (then Q is empty and R not differentiable)."""
    return linalg_qr(*_solvers.qr(A, mode))


def svd(A, full_matrices=True, *, driver=None):
    """A = U diag(S) Vh, singular values descending (``driver``: None only, on the CPU)."""
    _functions.no_driver(driver)
    return linalg_svd(*_ext.svd(A, full_matrices))


def eigh(input, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix (read from one triangle)."""
    return linalg_eigh(*_functions.eigh(input, UPLO))


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of each matrix (PyTorch's linalg.diagonal: the last two dims by default)."""
    return _ext.diagonal(A, offset, dim1, dim2)


__all__ = [
    "LinAlgError",
    "NOT_PLANNED",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "inv_ex",
    "lstsq",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]

# The namespace door: out= and the NumPy-style keyword aliases, as PyTorch's torch.linalg.
_export_namespace(globals(), "linalg")
