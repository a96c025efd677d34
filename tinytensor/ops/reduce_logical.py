"""The logical reductions all and any (over one, several or all dims); no gradient.

Re-exported by ``tinytensor.ops.reduce`` with the other reductions."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.ops._util import as_tensor, norm_dim

__all__ = ["all", "any"]


def all(input, dim=None, keepdim=False):
    """True where every element (over ``dim``, or the whole tensor) is nonzero; a bool tensor
    (uint8 0/1 for a uint8 tensor, as PyTorch). No gradient.

    >>> tt.all(tt.tensor([[True, False], [True, True]]), dim=1)
    tensor([False,  True])"""
    a = as_tensor(input, "all")
    attrs = {"dim": norm_dim(dim, a.ndim, "all"), "keepdim": keepdim}
    return ALL.apply((a,), (a._data,), (), attrs)


def any(input, dim=None, keepdim=False):
    """True where some element (over ``dim``, or the whole tensor) is nonzero; a bool tensor
    (uint8 0/1 for a uint8 tensor, as PyTorch). No gradient.

    >>> tt.any(tt.tensor([[True, False], [False, False]]), dim=1)
    tensor([ True, False])"""
    a = as_tensor(input, "any")
    attrs = {"dim": norm_dim(dim, a.ndim, "any"), "keepdim": keepdim}
    return ANY.apply((a,), (a._data,), (), attrs)


def _all_kernel(d, dim, keepdim):
    # PyTorch's all/any give bool, except for a uint8 tensor: uint8 0/1.
    out = np.all(d, axis=dim, keepdims=keepdim)
    return out.astype(np.uint8) if d.dtype == np.uint8 else out


def _any_kernel(d, dim, keepdim):
    out = np.any(d, axis=dim, keepdims=keepdim)
    return out.astype(np.uint8) if d.dtype == np.uint8 else out


ALL = Primitive("All", _all_kernel)
ANY = Primitive("Any", _any_kernel)
