"""Indexing and scattering as ``Tensor`` methods, each beside its in-place form: ``index_add_``,
``index_put(_)``, ``scatter_``/``scatter_add_``, ``scatter_reduce(_)``, ``index_fill(_)``,
``index_copy(_)``, ``put(_)``, ``take``/``take_along_dim``, ``as_strided``, ``fill_diagonal_``, the
``*_scatter`` embeddings, ``index_reduce(_)``, the masked selections (``masked_select``,
``masked_scatter(_)``, ``nonzero``/``nonzero_static``, ``argwhere``). Each is one call into
``tinytensor.ops.gather``, ``index_put``, ``scatter`` or ``masked``."""

from __future__ import annotations

import numpy as np

from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.core import TensorBase
from tinytensor.ops import creation as C
from tinytensor.ops import gather as G
from tinytensor.ops import masked as MK
from tinytensor.ops import scatter as SC
from tinytensor.ops.index_put import index_put
from tinytensor.ops.inplace import inplace


def _number(value, name):
    """scatter's ``value=``: a number (PyTorch's Scalar), so a one-element tensor is read as
    its number and converted to the input's dtype like one."""
    if isinstance(value, TensorBase):
        if value.numel() != 1:
            raise TypeError(
                f"{name}: value must be a number or a one-element tensor, got a tensor of shape "
                f"{tuple(value.shape)}; pass a tensor source as src instead"
            )
        return value.item()
    return value


class IndexMethods:
    __slots__ = ()

    @numpy_aliases
    def index_add_(self, dim, index, source, *, alpha=1):
        return inplace(
            self, lambda s: G.index_add(s, dim, index, source, alpha=alpha), "index_add_"
        )

    def index_put_(self, indices, values, accumulate=False):
        return inplace(self, lambda s: index_put(s, indices, values, accumulate), "index_put_")

    def index_put(self, indices, values, accumulate=False):
        return index_put(self, indices, values, accumulate)

    @numpy_aliases
    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        src = src if src is not None else _number(value, "scatter_")
        return inplace(self, lambda s: G.scatter(s, dim, index, src, reduce=reduce), "scatter_")

    @numpy_aliases
    def scatter_add_(self, dim, index, src):
        return inplace(self, lambda s: G.scatter_add(s, dim, index, src), "scatter_add_")

    def take(self, index):
        return G.take(self, index)

    def as_strided(self, size, stride, storage_offset=None):
        """``storage_offset`` None keeps the tensor's own offset (0 here: a tinytensor's
        elements start its storage), as PyTorch reads it."""
        offset = self.storage_offset() if storage_offset is None else storage_offset
        return G.as_strided(self, size, stride, offset)

    def fill_diagonal_(self, fill_value, wrap=False):  # noqa: F811 - PyTorch's name
        """Set the main diagonal (all indices equal) to ``fill_value``; ``wrap`` restarts it
        every ``ncols + 1`` rows of a tall matrix, as NumPy's fill_diagonal."""
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
            raise RuntimeError("fill_diagonal_: dimensions must be >= 2 and all of equal length")
        mask = np.zeros(self.shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        return inplace(self, lambda s: MK.masked_fill(s, C.tensor(mask), fill_value),
                       "fill_diagonal_")  # fmt: skip

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

    def nonzero_static(self, *, size, fill_value=-1):
        return MK.nonzero_static(self, size=size, fill_value=fill_value)

    @numpy_aliases
    def gather(self, dim, index, *, sparse_grad=False):
        return G.gather(self, dim, index, sparse_grad=sparse_grad)

    @numpy_aliases
    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        src = src if src is not None else _number(value, "scatter")
        return G.scatter(self, dim, index, src, reduce=reduce)

    @numpy_aliases
    def scatter_add(self, dim, index, src):
        return G.scatter_add(self, dim, index, src)

    @numpy_aliases
    def index_select(self, dim, index):
        return G.index_select(self, dim, index)

    @numpy_aliases
    def index_add(self, dim, index, source, *, alpha=1):
        return G.index_add(self, dim, index, source, alpha=alpha)

    def masked_fill(self, mask, value):
        return MK.masked_fill(self, mask, value)

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
        return G.take_along_dim(self, indices, dim)
