"""The sort family as ``Tensor`` methods: ``sort``, ``argsort``, ``msort``, ``topk``,
``kthvalue``, ``median``/``nanmedian``, ``mode``, ``quantile``/``nanquantile``, ``unique``,
``unique_consecutive`` and ``isin``, each one call into ``tinytensor.ops.sort``, NumPy-style
aliases included."""

from __future__ import annotations

from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.ops import sort as SO


class SortMethods:
    __slots__ = ()

    @numpy_aliases
    def sort(self, dim=-1, descending=False, *, stable=False):
        return SO.sort(self, dim, descending, stable)

    @numpy_aliases
    def argsort(self, dim=-1, descending=False, *, stable=False):
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

    def isin(self, test_elements, *, assume_unique=False, invert=False):
        return SO.isin(self, test_elements, assume_unique=assume_unique, invert=invert)
