"""Sorting, selection, cumulative and scatter ops as ``Tensor`` methods (``sort``, ``topk``,
``median``, ``unique``, ``cumprod``, ``cummax``, ``scatter_reduce``, ``index_fill``, ...) and
their in-place ``op_`` forms. Each is one call into ``tinytensor.ops.sorting`` or
``tinytensor.ops.cumulative``.
"""

from __future__ import annotations

from tinytensor.ops import cumulative as CU
from tinytensor.ops import sorting as SO
from tinytensor.ops.inplace import inplace


class SortingMethods:
    __slots__ = ()

    def sort(self, dim=-1, descending=False, stable=False):
        return SO.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return SO.argsort(self, dim, descending, stable)

    def msort(self):
        return SO.msort(self)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return SO.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False):
        return SO.kthvalue(self, k, dim, keepdim)

    def median(self, dim=None, keepdim=False):
        return SO.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return SO.nanmedian(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return SO.mode(self, dim, keepdim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return SO.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return SO.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return SO.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return SO.unique_consecutive(self, return_inverse, return_counts, dim)

    def nonzero(self, *, as_tuple=False):
        return SO.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return SO.argwhere(self)

    def masked_select(self, mask):
        return SO.masked_select(self, mask)

    def masked_scatter(self, mask, source):
        return SO.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return inplace(self, lambda s: SO.masked_scatter(s, mask, source), "masked_scatter_")

    def bincount(self, weights=None, minlength=0):
        return SO.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):
        return SO.histc(self, bins, min, max)

    def count_nonzero(self, dim=None):
        return SO.count_nonzero(self, dim)

    def isin(self, test_elements, *, assume_unique=False, invert=False):
        return SO.isin(self, test_elements, assume_unique=assume_unique, invert=invert)

    def aminmax(self, *, dim=None, keepdim=False):
        return SO.aminmax(self, dim=dim, keepdim=keepdim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return SO.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return SO.nanmean(self, dim, keepdim, dtype=dtype)

    # --- cumulative and scatter ----------------------------------------------------------------

    def cumprod(self, dim, *, dtype=None):
        return CU.cumprod(self, dim, dtype=dtype)

    def cumprod_(self, dim, *, dtype=None):
        return inplace(self, lambda s: CU.cumprod(s, dim, dtype=dtype), "cumprod_")

    def cummax(self, dim):
        return CU.cummax(self, dim)

    def cummin(self, dim):
        return CU.cummin(self, dim)

    def logcumsumexp(self, dim):
        return CU.logcumsumexp(self, dim)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return CU.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return inplace(
            self,
            lambda s: CU.scatter_reduce(s, dim, index, src, reduce, include_self=include_self),
            "scatter_reduce_",
        )

    def index_fill(self, dim, index, value):
        return CU.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return inplace(self, lambda s: CU.index_fill(s, dim, index, value), "index_fill_")

    def index_copy(self, dim, index, source):
        return CU.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return inplace(self, lambda s: CU.index_copy(s, dim, index, source), "index_copy_")

    def put(self, index, source, accumulate=False):
        return CU.put(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False):
        return inplace(self, lambda s: CU.put(s, index, source, accumulate), "put_")

    def take_along_dim(self, indices, dim=None):
        return CU.take_along_dim(self, indices, dim)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return CU.diff(self, n, dim, prepend, append)
