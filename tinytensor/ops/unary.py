"""Unary elementwise functions. ``angle`` (0 or pi for real input) and ``frexp`` (mantissa and
exponent) are here; the rest of the family (exp, log, sqrt, abs, rounding...) lives in
ops/elementwise.py and ops/math.py until those are regrouped into unary/trig/binary/compare."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.ops._util import as_tensor

__all__ = [
    "angle",
    "frexp",
]


def angle(input):  # noqa: A002
    """f(x) = 0 for x >= 0, pi for x < 0, nan for nan (real input; no gradient, as 0 a.e.)"""
    x = as_tensor(input, "angle")
    return ANGLE.apply((x,), (x._data,))


def _angle_kernel(d):
    dt = d.dtype if d.dtype.kind == "f" else np.float32
    return np.where(d < 0, math.pi, np.where(np.isnan(d), np.nan, 0.0)).astype(dt)


ANGLE = Primitive("Angle", _angle_kernel)  # no gradient


def frexp(input):  # noqa: A002
    """(mantissa, exponent) with `input = mantissa * 2**exponent, |mantissa|` in [0.5, 1)"""
    x = as_tensor(input, "frexp")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"frexp: expected a floating tensor, got {x._data.dtype}")
    return FREXP.apply((x,), (x._data,))


def _frexp_kernel(d):
    m, e = np.frexp(d)
    return m.astype(d.dtype), e.astype(np.int32)


FREXP = Primitive("Frexp", _frexp_kernel, multi=True)  # no gradient
