"""The ``*_scatter`` family, ``index_reduce(_)``, cov/corrcoef, histogram, nonzero_static,
``renorm(_)``, triangular_solve and ``register_post_accumulate_grad_hook`` as ``Tensor`` methods;
each is one call into ``tinytensor.ops.misc_ext2`` (or the autograd hooks)."""

from __future__ import annotations

from tinytensor.autograd import hooks
from tinytensor.ops import linalg_torch as LT
from tinytensor.ops import masked as MK
from tinytensor.ops import scatter as SC
from tinytensor.ops import statistics as ST
from tinytensor.ops.inplace import inplace


class MiscExt2Methods:
    __slots__ = ()

    def select_scatter(self, src, dim, index):
        return SC.select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return SC.slice_scatter(self, src, dim, start, end, step)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        return SC.diagonal_scatter(self, src, offset, dim1, dim2)

    def as_strided_scatter(self, src, size, stride, storage_offset=None):
        return SC.as_strided_scatter(self, src, size, stride, storage_offset)

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        return SC.index_reduce(self, dim, index, source, reduce, include_self=include_self)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        def compute(s):
            return SC.index_reduce(s, dim, index, source, reduce, include_self=include_self)

        return inplace(self, compute, "index_reduce_")

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return ST.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return ST.corrcoef(self)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        return ST.histogram(self, bins, range=range, weight=weight, density=density)

    def nonzero_static(self, *, size, fill_value=-1):
        return MK.nonzero_static(self, size=size, fill_value=fill_value)

    def renorm(self, p, dim, maxnorm):
        return LT.renorm(self, p, dim, maxnorm)

    def renorm_(self, p, dim, maxnorm):
        return inplace(self, lambda s: LT.renorm(s, p, dim, maxnorm), "renorm_")

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
        return LT.triangular_solve(self, A, upper, transpose, unitriangular)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after backward has accumulated this leaf's ``.grad``; returns a
        handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors (this one "
                f"was made by {self._grad_fn.name()}); register it on the leaf"
            )
        return hooks.add_post_accumulate_hook(self, hook)
