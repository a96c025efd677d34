"""Sorting, selection, cumulative and scatter ops as ``Tensor`` methods (``sort``, ``topk``,
``median``, ``unique``, ``cumprod``, ``cummax``, ``scatter_reduce``, ``index_fill``, ...) and
their in-place ``op_`` forms. Each is one call into ``tinytensor.ops.sorting`` or
``tinytensor.ops.cumulative``.
"""

from __future__ import annotations

from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.ops import index as I
from tinytensor.ops import masked as MK
from tinytensor.ops import scan as CU
from tinytensor.ops import scatter as SC
from tinytensor.ops import sort as SO
from tinytensor.ops import statistics as ST
from tinytensor.ops.inplace import inplace


class SortingMethods:
    __slots__ = ()

    @numpy_aliases
    def sort(self, dim=-1, descending=False, stable=False):
        return SO.sort(self, dim, descending, stable)

    @numpy_aliases
    def argsort(self, dim=-1, descending=False, stable=False):
        return SO.argsort(self, dim, descending, stable)

    def msort(self):
        return SO.msort(self)

    @numpy_aliases
    def topk(self, k, dim=-1, largest=True, sorted=True):
        return SO.topk(self, k, dim, largest, sorted)

    @numpy_aliases
    def kthvalue(self, k, dim=-1, keepdim=False):
        return SO.kthvalue(self, k, dim, keepdim)

    @numpy_aliases
    def median(self, dim=None, keepdim=False):
        return SO.median(self, dim, keepdim)

    @numpy_aliases
    def nanmedian(self, dim=None, keepdim=False):
        return SO.nanmedian(self, dim, keepdim)

    @numpy_aliases
    def mode(self, dim=-1, keepdim=False):
        return SO.mode(self, dim, keepdim)

    @numpy_aliases
    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return SO.quantile(self, q, dim, keepdim, interpolation=interpolation)

    @numpy_aliases
    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return SO.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    @numpy_aliases
    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return SO.unique(self, sorted, return_inverse, return_counts, dim)

    @numpy_aliases
    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return SO.unique_consecutive(self, return_inverse, return_counts, dim)

    def nonzero(self, *, as_tuple=False):
        return MK.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return MK.argwhere(self)

    def masked_select(self, mask):
        return MK.masked_select(self, mask)

    def masked_scatter(self, mask, source):
        return MK.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return inplace(self, lambda s: MK.masked_scatter(s, mask, source), "masked_scatter_")

    def bincount(self, weights=None, minlength=0):
        return ST.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):
        return ST.histc(self, bins, min, max)

    @numpy_aliases
    def count_nonzero(self, dim=None):
        return ST.count_nonzero(self, dim)

    def isin(self, test_elements, *, assume_unique=False, invert=False):
        return SO.isin(self, test_elements, assume_unique=assume_unique, invert=invert)

    @numpy_aliases
    def aminmax(self, *, dim=None, keepdim=False):
        return ST.aminmax(self, dim=dim, keepdim=keepdim)

    @numpy_aliases
    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return ST.nansum(self, dim, keepdim, dtype=dtype)

    @numpy_aliases
    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return ST.nanmean(self, dim, keepdim, dtype=dtype)

    # --- cumulative and scatter ----------------------------------------------------------------

    @numpy_aliases
    def cumprod(self, dim, *, dtype=None):
        return CU.cumprod(self, dim, dtype=dtype)

    @numpy_aliases
    def cumprod_(self, dim, *, dtype=None):
        return inplace(self, lambda s: CU.cumprod(s, dim, dtype=dtype), "cumprod_")

    @numpy_aliases
    def cummax(self, dim):
        return CU.cummax(self, dim)

    @numpy_aliases
    def cummin(self, dim):
        return CU.cummin(self, dim)

    @numpy_aliases
    def logcumsumexp(self, dim):
        return CU.logcumsumexp(self, dim)

    @numpy_aliases
    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return SC.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    @numpy_aliases
    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return inplace(
            self,
            lambda s: SC.scatter_reduce(s, dim, index, src, reduce, include_self=include_self),
            "scatter_reduce_",
        )

    @numpy_aliases
    def index_fill(self, dim, index, value):
        return SC.index_fill(self, dim, index, value)

    @numpy_aliases
    def index_fill_(self, dim, index, value):
        return inplace(self, lambda s: SC.index_fill(s, dim, index, value), "index_fill_")

    @numpy_aliases
    def index_copy(self, dim, index, source):
        return SC.index_copy(self, dim, index, source)

    @numpy_aliases
    def index_copy_(self, dim, index, source):
        return inplace(self, lambda s: SC.index_copy(s, dim, index, source), "index_copy_")

    def put(self, index, source, accumulate=False):
        return SC.put(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False):
        return inplace(self, lambda s: SC.put(s, index, source, accumulate), "put_")

    @numpy_aliases
    def take_along_dim(self, indices, dim=None):
        return I.take_along_dim(self, indices, dim)

    @numpy_aliases
    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return CU.diff(self, n, dim, prepend, append)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return ST.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return ST.corrcoef(self)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        return ST.histogram(self, bins, range=range, weight=weight, density=density)
