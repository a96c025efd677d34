"""Piecewise activations: hardtanh (relu6's), threshold, hard/soft/tanh-shrink, hardsigmoid,
hardswish, and the mask kernel whose pieces are their derivatives (``ActivationMask``).

Forward as primitives' NumPy kernels, backward in tinytensor ops (``activation.py`` re-exports
every name, as ``nn.functional`` does).
"""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.nn.functional._util import float_input
from tinytensor.ops import selection as SEL
from tinytensor.ops import trig as TRIG
from tinytensor.ops.inplace import inplace as write_in_place


def scalar_as(v, like):
    """``v`` as a NumPy scalar of the array ``like``'s dtype."""
    return like.dtype.type(v)


def _mask_kernel(d, *, test, lo=None, hi=None, mul=None, divide=None):
    """Where an activation's derivative is piecewise constant: a bool mask of ``d`` (``le``:
    d <= lo, ``ge``: d >= lo, ``gt``: d > lo, ``open``: lo < d < hi, ``closed``: lo <= d <= hi,
    ``abs_gt``: |d| > lo; ``mul`` scales d first), or that mask divided by ``divide`` in d's
    dtype."""
    if mul is not None:
        d = d * scalar_as(mul, d)
    if test == "le":
        m = d <= lo
    elif test == "ge":
        m = d >= lo
    elif test == "gt":
        m = d > lo
    elif test == "open":
        m = (d > lo) & (d < hi)
    elif test == "closed":
        m = (d >= lo) & (d <= hi)
    else:  # "abs_gt"
        m = np.abs(d) > lo
    return m if divide is None else m / scalar_as(divide, d)


MASK = Primitive("ActivationMask", _mask_kernel)  # no gradient: the derivative's pieces


def mask(x, test, **attrs):
    """The mask of ``x`` (a tensor) by ``MASK``'s kernel."""
    return MASK.apply((x,), (x._data,), (), {"test": test, **attrs})


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """f(x) = clamp(x, min_val, max_val);  dx = g where min_val < x < max_val, else +0.0 (a
    select: an inf or NaN g at a clipped unit gives 0, and a NaN x gives 0, as PyTorch's CPU
    kernel does for all but the last few elements, which its scalar tail passes g)"""
    x = float_input(input, "hardtanh")
    if inplace:  # hardtanh's own backward (not clamp's, which passes g at the bounds)
        return write_in_place(x, lambda t: hardtanh(t, min_val, max_val), "hardtanh_")
    attrs = {"min_val": min_val, "max_val": max_val}
    return HARDTANH.apply((x,), (x._data,), (x, min_val, max_val), attrs)


def _hardtanh_kernel(d, *, min_val, max_val):
    return np.clip(d, scalar_as(min_val, d), scalar_as(max_val, d))


def _hardtanh_backward(g, x, min_val, max_val):
    # a select, not g * mask: an inf or NaN g at a clipped unit gives 0 (and +0.0, not -0.0)
    return (SEL.where(mask(x, "open", lo=min_val, hi=max_val), g, 0.0),)


HARDTANH = Primitive("Hardtanh", _hardtanh_kernel, _hardtanh_backward)


def in_place(x, fn, name):
    """Write ``fn(x)`` into ``x`` and return it (the in-place form ``name`` of an activation):
    ``fn`` reads a snapshot of x and x takes ``fn``'s history, so the backward is ``fn``'s own,
    as PyTorch's in-place kernels (a copy_ would add its +0.0 for the overwritten values, which
    turns a -0.0 gradient into +0.0)."""
    return write_in_place(x, fn, name)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place ``hardtanh``: writes clamp(x, min_val, max_val) into ``input`` and returns it."""
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold(input, threshold, value, inplace=False):
    """`f(x) = value if x <= threshold else x` (a NaN stays NaN);
    `dx = 0 where x <= threshold, else g` (a select: +0.0 whatever g holds, as in PyTorch)"""
    x = float_input(input, "threshold")
    if inplace:
        op = globals()["threshold"]  # the function, not the argument of that name
        return write_in_place(x, lambda t: op(t, threshold, value), "threshold_")
    attrs = {"threshold": threshold, "value": value}
    return THRESHOLD.apply((x,), (x._data,), (x, threshold), attrs, None)


def _threshold_kernel(d, *, threshold, value):
    return np.where(d <= threshold, scalar_as(value, d), d)


def _threshold_backward(g, x, threshold):
    return (SEL.where(mask(x, "le", lo=threshold), 0.0, g),)


THRESHOLD = Primitive("Threshold", _threshold_kernel, _threshold_backward)


def threshold_(input, threshold, value):
    """In-place ``threshold``: writes the result into ``input`` and returns it."""
    return globals()["threshold"](input, threshold, value, inplace=True)


def hardshrink(input, lambd=0.5):
    """`f(x) = 0 if -lambd <= x <= lambd else x;  dx = g where |x| > lambd, else +0.0` (a NaN
    stays NaN and gets no gradient, as PyTorch's vectorized loop)"""
    x = float_input(input, "hardshrink")
    return HARDSHRINK.apply((x,), (x._data,), (x, lambd), {"lambd": lambd}, None)


def _hardshrink_kernel(d, *, lambd):
    return np.where(np.abs(d) <= lambd, scalar_as(0, d), d)


def _shrink_backward(g, x, lambd):
    # a select: an inf or NaN g inside the band gives +0.0 (g * mask gave NaN or -0.0)
    return (SEL.where(mask(x, "abs_gt", lo=lambd), g, 0.0),)


def _softshrink_kernel(d, *, lambd):
    return np.where(np.abs(d) <= lambd, scalar_as(0, d), d - np.sign(d) * scalar_as(lambd, d))


HARDSHRINK = Primitive("Hardshrink", _hardshrink_kernel, _shrink_backward)
SOFTSHRINK = Primitive("Softshrink", _softshrink_kernel, _shrink_backward)


def softshrink(input, lambd=0.5):
    """`f(x) = x - lambd*sign(x) if |x| > lambd else +0.0;  dx = g where |x| > lambd, else +0.0`
    (a NaN stays NaN and gets no gradient, as PyTorch's vectorized loop)"""
    x = float_input(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found {lambd}")
    return SOFTSHRINK.apply((x,), (x._data,), (x, lambd), {"lambd": lambd}, None)


def tanhshrink(input):
    """f(x) = x - tanh(x)"""
    return input - TRIG.tanh(input)


def hardsigmoid(input, inplace=False):
    """f(x) = relu6(x + 3)/6;  dx = g*(1/6) for -3 < x < 3, else +0.0 (a select, as PyTorch's
    kernel: an inf or NaN g outside gives 0, a NaN x gives 0)"""
    x = float_input(input, "hardsigmoid")
    if inplace:
        return in_place(x, hardsigmoid, "hardsigmoid_")
    return HARDSIGMOID.apply((x,), (x._data,), (x,))


def _hardsigmoid_kernel(d):
    return np.clip(d + scalar_as(3, d), 0, 6) / scalar_as(6, d)


def _hardsigmoid_backward(g, x):
    return (SEL.where(mask(x, "open", lo=-3, hi=3), g * (1.0 / 6.0), 0.0),)


HARDSIGMOID = Primitive("Hardsigmoid", _hardsigmoid_kernel, _hardsigmoid_backward)


def hardswish(input, inplace=False):
    """`f(x) = x*relu6(x + 3)/6;  dx = +0.0 for x <= -3, g*(x/3 + 1/2)` between, g for x >= 3
    (selects, as PyTorch's kernel: an inf or NaN g at x <= -3 gives 0; a NaN x gives NaN, as its
    vectorized loop does)"""
    x = float_input(input, "hardswish")
    if inplace:
        return in_place(x, hardswish, "hardswish_")
    return HARDSWISH.apply((x,), (x._data,), (x,))


def _hardswish_kernel(d):
    with np.errstate(invalid="ignore"):  # -inf * 0 is NaN, as in PyTorch, without a warning
        return d * np.clip(d + scalar_as(3, d), 0, 6) / scalar_as(6, d)


def _hardswish_backward(g, x):
    low, high = mask(x, "le", lo=-3), mask(x, "ge", lo=3)
    return (SEL.where(low, 0.0, SEL.where(high, g, g * (x / 3.0 + 0.5))),)


HARDSWISH = Primitive("Hardswish", _hardswish_kernel, _hardswish_backward)
