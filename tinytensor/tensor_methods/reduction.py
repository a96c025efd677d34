"""Reductions as ``Tensor`` methods (``sum``, ``mean``, ``prod``, ``max``/``min``,
``amax``/``amin``, ``var``/``std``, ``logsumexp``, ``norm``, ``argmax``/``argmin``, ``all``/``any``,
``cumsum(_)``), each one call into ``tinytensor.ops.reduce``, NumPy-style aliases included."""

from __future__ import annotations

from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.ops import reduce as R
from tinytensor.ops.inplace import inplace

# The hot ops, bound once: a method pays no module-attribute lookup.
_sum = R.sum
_mean = R.mean


class ReductionMethods:
    __slots__ = ()

    @numpy_aliases
    def sum(self, dim=None, keepdim=False, dtype=None):
        return _sum(self, dim, keepdim, dtype)

    @numpy_aliases
    def mean(self, dim=None, keepdim=False, dtype=None):
        return _mean(self, dim, keepdim, dtype)

    @numpy_aliases
    def prod(self, dim=None, keepdim=False, dtype=None):
        return R.prod(self, dim, keepdim, dtype=dtype)

    @numpy_aliases
    def max(self, dim=None, keepdim=False):
        return R.max(self, dim, keepdim)

    @numpy_aliases
    def min(self, dim=None, keepdim=False):
        return R.min(self, dim, keepdim)

    @numpy_aliases
    def amax(self, dim=(), keepdim=False):
        return R.amax(self, dim, keepdim)

    @numpy_aliases
    def amin(self, dim=(), keepdim=False):
        return R.amin(self, dim, keepdim)

    @numpy_aliases
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return R.var(self, dim, unbiased, keepdim, correction=correction)

    @numpy_aliases
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return R.std(self, dim, unbiased, keepdim, correction=correction)

    @numpy_aliases
    def logsumexp(self, dim, keepdim=False):
        return R.logsumexp(self, dim, keepdim)

    @numpy_aliases
    def norm(self, p="fro", dim=None, keepdim=False):
        return R.norm(self, p, dim, keepdim)

    @numpy_aliases
    def argmax(self, dim=None, keepdim=False):
        return R.argmax(self, dim, keepdim)

    @numpy_aliases
    def argmin(self, dim=None, keepdim=False):
        return R.argmin(self, dim, keepdim)

    @numpy_aliases
    def all(self, dim=None, keepdim=False):
        return R.all(self, dim, keepdim)

    @numpy_aliases
    def any(self, dim=None, keepdim=False):
        return R.any(self, dim, keepdim)

    @numpy_aliases
    def cumsum(self, dim):
        return R.cumsum(self, dim)

    @numpy_aliases
    def cumsum_(self, dim, *, dtype=None):
        def compute(s):
            return R.cumsum(s if dtype is None else s.to(dtype), dim)

        return inplace(self, compute, "cumsum_")
