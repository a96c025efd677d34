"""Linear algebra as ``Tensor`` methods (``det``, ``inverse``, ``svd``, ``trace``, ``addmm``,
...) and the in-place ``addmm_`` family. Each is one call into a module of
``tinytensor.ops.linalg`` (products, factorizations, functions, solvers, distances, legacy).
"""

from __future__ import annotations

from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.ops.inplace import inplace
from tinytensor.ops.linalg import distances as LD
from tinytensor.ops.linalg import factorizations as LX
from tinytensor.ops.linalg import functions as LM
from tinytensor.ops.linalg import legacy as LT
from tinytensor.ops.linalg import products as L
from tinytensor.ops.linalg import solvers as LS

# The hot ops, bound once: a method pays no module-attribute lookup.
_matmul = L.matmul


class LinalgMethods:
    __slots__ = ()

    def det(self):
        return LX.det(self)

    def logdet(self):
        return LT.logdet(self)

    def slogdet(self):
        return LX.slogdet(self)

    def inverse(self):
        return LX.inv(self)

    def pinverse(self, rcond=1e-15):
        return LT.pinverse(self, rcond)

    def svd(self, some=True, compute_uv=True):
        return LT.svd(self, some, compute_uv)

    def qr(self, some=True):
        return LT.qr(self, some)

    def cholesky(self, upper=False):
        return LT.cholesky(self, upper)

    def cholesky_solve(self, input2, upper=False):
        return LS.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        return LT.cholesky_inverse(self, upper)

    def matrix_power(self, n):
        return LM.matrix_power(self, n)

    def matrix_exp(self):
        return LM.matrix_exp(self)

    def trace(self):
        return LT.trace(self)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return LX.diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return LX.diag_embed(self, offset, dim1, dim2)

    @numpy_aliases
    def cross(self, other, dim=None):
        return LT.cross(self, other, dim)

    def kron(self, other):
        return L.kron(self, other)

    def dist(self, other, p=2):
        return LD.dist(self, other, p)

    def mv(self, vec):
        return L.mv(self, vec)

    def vdot(self, other):
        return L.vdot(self, other)

    def inner(self, other):
        return L.inner(self, other)

    def ger(self, vec2):
        return L.outer(self, vec2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return L.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return inplace(self, lambda s: L.addmm(s, mat1, mat2, beta=beta, alpha=alpha), "addmm_")

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return L.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        return inplace(self, lambda s: L.addmv(s, mat, vec, beta=beta, alpha=alpha), "addmv_")

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return L.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        return inplace(self, lambda s: L.addr(s, vec1, vec2, beta=beta, alpha=alpha), "addr_")

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return L.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return inplace(
            self, lambda s: L.addbmm(s, batch1, batch2, beta=beta, alpha=alpha), "addbmm_"
        )

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return L.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return inplace(
            self, lambda s: L.baddbmm(s, batch1, batch2, beta=beta, alpha=alpha), "baddbmm_"
        )

    def renorm(self, p, dim, maxnorm):
        return LT.renorm(self, p, dim, maxnorm)

    def renorm_(self, p, dim, maxnorm):
        return inplace(self, lambda s: LT.renorm(s, p, dim, maxnorm), "renorm_")

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
        return LT.triangular_solve(self, A, upper, transpose, unitriangular)

    def matmul(self, other):
        return _matmul(self, other)

    def mm(self, mat2):
        return L.mm(self, mat2)

    def bmm(self, mat2):
        return L.bmm(self, mat2)

    def dot(self, tensor):
        return L.dot(self, tensor)

    def outer(self, vec2):
        return L.outer(self, vec2)
