"""Reductions as ``Tensor`` methods (``sum``, ``mean``, ``prod``, ``max``/``min``,
``amax``/``amin``, ``var``/``std``, ``logsumexp``, ``norm``, ``argmax``/``argmin``,
``all``/``any``), the running ops (``cumsum(_)``, ``cumprod(_)``, ``cummax``/``cummin``,
``logcumsumexp``, ``diff``) and the statistics (``aminmax``, ``nansum``/``nanmean``,
``count_nonzero``, ``bincount``, ``histc``/``histogram``, ``cov``/``corrcoef``), each one call
into ``tinytensor.ops.reduce``, ``scan`` or ``statistics``, NumPy-style aliases included."""

from __future__ import annotations

from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.ops import reduce as R
from tinytensor.ops import scan as CU
from tinytensor.ops import statistics as ST
from tinytensor.ops.inplace import inplace
from tinytensor.tensor_methods.shape import one_value

# The hot ops, bound once: a method pays no module-attribute lookup.
_sum = R.sum
_mean = R.mean


def _other_alone(dim, keepdim, other, name):
    """``max(other=t)``/``min(other=t)`` is PyTorch's elementwise overload: nothing beside it."""
    if dim is not None or keepdim:
        raise TypeError(f"{name}(): other= is the elementwise form ({name}imum); it takes no "
                        f"dim={dim!r} or keepdim={keepdim!r}")  # fmt: skip
    return other


def _one_correction(unbiased, correction, name):
    """PyTorch's overloads take ``unbiased`` or ``correction``, never both."""
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}(): pass unbiased={unbiased!r} or correction={correction!r}, not "
                        "both (unbiased=True is correction=1, False is correction=0)")  # fmt: skip


class ReductionMethods:
    __slots__ = ()

    @numpy_aliases
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _sum(self, dim, keepdim, dtype)

    @numpy_aliases
    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _mean(self, dim, keepdim, dtype)

    @numpy_aliases
    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return R.prod(self, dim, keepdim, dtype=dtype)

    @numpy_aliases
    def max(self, dim=None, keepdim=False, *, other=None):
        """``max()`` (all elements), ``max(dim)`` -> (values, indices), ``max(t)`` /
        ``max(other=t)``: the elementwise maximum, as PyTorch's overloads."""
        if other is not None:
            dim = _other_alone(dim, keepdim, other, "max")
        return R.max(self, dim, keepdim)

    @numpy_aliases
    def min(self, dim=None, keepdim=False, *, other=None):
        """``min()``, ``min(dim)`` -> (values, indices), ``min(t)`` / ``min(other=t)``."""
        if other is not None:
            dim = _other_alone(dim, keepdim, other, "min")
        return R.min(self, dim, keepdim)

    @numpy_aliases
    def amax(self, dim=(), keepdim=False):
        return R.amax(self, dim, keepdim)

    @numpy_aliases
    def amin(self, dim=(), keepdim=False):
        return R.amin(self, dim, keepdim)

    @numpy_aliases
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """``unbiased`` None is PyTorch's default (True) unless ``correction`` is given."""
        _one_correction(unbiased, correction, "var")
        return R.var(self, dim, unbiased, keepdim, correction=correction)

    @numpy_aliases
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """``unbiased`` None is PyTorch's default (True) unless ``correction`` is given."""
        _one_correction(unbiased, correction, "std")
        return R.std(self, dim, unbiased, keepdim, correction=correction)

    @numpy_aliases
    def logsumexp(self, dim, keepdim=False):
        return R.logsumexp(self, dim, keepdim)

    @numpy_aliases
    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return R.norm(self, p, dim, keepdim, dtype=dtype)

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
    def cumsum(self, dim, *, dtype=None):
        return R.cumsum(self, dim, dtype=dtype)

    @numpy_aliases
    def cumsum_(self, dim, *, dtype=None):
        def compute(s):
            return R.cumsum(s if dtype is None else s.to(dtype), dim)

        return inplace(self, compute, "cumsum_")

    # --- running ops (tinytensor.ops.scan) ---------------------------------------------------

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
    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return CU.diff(self, n, dim, prepend, append)

    # --- statistics (tinytensor.ops.statistics) -------------------------------------------------

    @numpy_aliases
    def aminmax(self, *, dim=None, keepdim=False):
        return ST.aminmax(self, dim=dim, keepdim=keepdim)

    @numpy_aliases
    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return ST.nansum(self, dim, keepdim, dtype=dtype)

    @numpy_aliases
    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return ST.nanmean(self, dim, keepdim, dtype=dtype)

    @numpy_aliases
    def count_nonzero(self, *args, dim=None):
        """Over all elements, or along ``dim`` (an int, a tuple, or the dims one by one)."""
        return ST.count_nonzero(self, one_value(args, dim, "dim", "count_nonzero"))

    def bincount(self, weights=None, minlength=0):
        return ST.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):
        return ST.histc(self, bins, min, max)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        return ST.histogram(self, bins, range=range, weight=weight, density=density)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return ST.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return ST.corrcoef(self)
