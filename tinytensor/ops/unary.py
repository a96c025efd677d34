"""Unary elementwise functions. ``angle`` (0 or pi for real input) and ``frexp`` (mantissa and
exponent) are here; the rest of the family (exp, log, sqrt, abs, rounding...) lives in
ops/elementwise.py and ops/math.py until those are regrouped into unary/trig/binary/compare."""

from __future__ import annotations

import math

import numpy as np

from tinytensor.core import wrap
from tinytensor.ops._util import as_tensor

__all__ = [
    "angle",
    "frexp",
]


def angle(input):  # noqa: A002
    """f(x) = 0 for x >= 0, pi for x < 0, nan for nan (real input; no gradient, as 0 a.e.)"""
    d = as_tensor(input, "angle")._data
    dt = d.dtype if d.dtype.kind == "f" else np.float32
    return wrap(np.where(d < 0, math.pi, np.where(np.isnan(d), np.nan, 0.0)).astype(dt))


def frexp(input):  # noqa: A002
    """(mantissa, exponent) with `input = mantissa * 2**exponent, |mantissa|` in [0.5, 1)"""
    d = as_tensor(input, "frexp")._data
    if d.dtype.kind != "f":
        raise RuntimeError(f"frexp: expected a floating tensor, got {d.dtype}")
    m, e = np.frexp(d)
    return wrap(m.astype(d.dtype)), wrap(e.astype(np.int32))
