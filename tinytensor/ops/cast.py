"""Dtype conversion as an op: ``cast`` records ``ToCopy`` (a gradient flows back between floating
dtypes, cast to the source dtype); a cast to a non-floating dtype runs the ``CAST`` kernel of
ops/_util.py untracked."""

from __future__ import annotations

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.ops._util import CAST

__all__ = ["cast"]


def cast(a, dtype):
    """f(a) = a as dtype;  da = g cast back (gradients flow only between floating dtypes)"""
    target = dtype.np
    d = a._data
    if d.dtype == target:
        return a
    if target.kind != "f":
        return wrap(CAST.compute((a,), (d,), {"dtype": target}))
    return TO_COPY.apply((a,), (d,), (d.dtype,), {"dtype": target})


def _cast_backward(g, src_dtype):
    return (g.to(src_dtype),)


TO_COPY = Primitive("ToCopy", CAST.kernel, _cast_backward)
