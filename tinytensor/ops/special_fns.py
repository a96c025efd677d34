"""Special functions: the error-function and gamma families, Bessel I0/I1, the normal
distribution's ndtr/ndtri/log_ndtr, entr and xlog1py. The NumPy numerics are in
``_special_np`` (no SciPy at run time); here each op records its backward, written in
tinytensor ops so it differentiates again.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.node import OUT, record
from tinytensor.core import wrap
from tinytensor.ops import _special_np as N
from tinytensor.ops import elementwise as E
from tinytensor.ops.math import float_operand
from tinytensor.ops.math_binary import _apply, _operands

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT1_2 = math.sqrt(0.5)


def _unary(fn, a, name):
    """``fn`` (a float64 NumPy function) on ``a``, at ``a``'s floating dtype."""
    a, d = float_operand(a, name)
    with np.errstate(all="ignore"):
        return a, wrap(np.asarray(fn(d)).astype(d.dtype, copy=False))


def erf(a):
    """`f(a) = 2/sqrt(pi) int_0^a e^(-t^2) dt;  da = g*2/sqrt(pi)*e^(-a^2)`"""
    a, out = _unary(N.erf, a, "erf")
    return record(out, "Erf", (a,), _erf_backward, (a,))


def _erf_backward(g, a):
    return (g * E.exp(-a * a) * _TWO_OVER_SQRT_PI,)


def erfc(a):
    """`f(a) = 1 - erf(a);  da = -g*2/sqrt(pi)*e^(-a^2)`"""
    a, out = _unary(N.erfc, a, "erfc")
    return record(out, "Erfc", (a,), _erfc_backward, (a,))


def _erfc_backward(g, a):
    return (g * E.exp(-a * a) * -_TWO_OVER_SQRT_PI,)


def erfinv(a):
    """`f(a) = erf^-1(a);  da = g*sqrt(pi)/2*e^(f(a)^2)` (`f` recomputed from the saved `a`)"""
    a, out = _unary(N.erfinv, a, "erfinv")
    return record(out, "Erfinv", (a,), _erfinv_backward, (a,))


def _erfinv_backward(g, a):
    x = erfinv(a)
    return (g * E.exp(x * x) * _SQRT_PI_OVER_2,)


def erfcx(a):
    """`f(a) = e^(a^2)*erfc(a);  da = g*(2*a*f - 2/sqrt(pi))`"""
    a, out = _unary(N.erfcx, a, "erfcx")
    return record(out, "SpecialErfcx", (a,), _erfcx_backward, (a, OUT))


def _erfcx_backward(g, a, out):
    return (g * (a * out * 2.0 - _TWO_OVER_SQRT_PI),)


def lgamma(a):
    """`f(a) = log|Gamma(a)|;  da = g*digamma(a)`"""
    a, out = _unary(N.lgamma, a, "lgamma")
    return record(out, "Lgamma", (a,), _lgamma_backward, (a,))


def _lgamma_backward(g, a):
    return (g * digamma(a),)


def digamma(a):
    """`f(a) = Gamma'(a)/Gamma(a);  da = g*polygamma(1, a)`"""
    a, out = _unary(N.digamma, a, "digamma")
    return record(out, "Digamma", (a,), _digamma_backward, (a,))


def _digamma_backward(g, a):
    return (g * polygamma(1, a),)


def polygamma(n, input):
    """`f(a) = d^n/da^n digamma(a);  da = g*polygamma(n + 1, a)`"""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"polygamma: n must be a non-negative integer, got {n!r}")
    a, out = _unary(lambda d: N.polygamma(int(n), d), input, "polygamma")
    return record(out, "Polygamma", (a,), _polygamma_backward, (int(n), a))


def _polygamma_backward(g, n, a):
    return (g * polygamma(n + 1, a),)


def mvlgamma(input, p):
    """`f(a) = p(p-1)/4 log(pi) + sum_i<p lgamma(a - i/2);  da = g*sum_i<p digamma(a - i/2)`"""
    if not isinstance(p, (int, np.integer)) or isinstance(p, bool) or p < 1:
        raise RuntimeError(f"mvlgamma: p must be an integer >= 1, got {p!r}")
    shifts = np.arange(p, dtype=np.float64) / 2.0

    def forward(d):
        terms = N.lgamma(d[..., None] - shifts)
        return terms.sum(-1) + p * (p - 1) / 4.0 * math.log(math.pi)

    a, out = _unary(forward, input, "mvlgamma")
    return record(out, "Mvlgamma", (a,), _mvlgamma_backward, (a, int(p)))


def _mvlgamma_backward(g, a, p):
    total = digamma(a)
    for i in range(1, p):
        total = total + digamma(a - i / 2.0)
    return (g * total,)


def i0(a):
    """`f(a) = I0(a)`, modified Bessel of order `0;  da = g*I1(a)`"""
    a, out = _unary(N.i0, a, "i0")
    return record(out, "I0", (a,), _i0_backward, (a,))


def _i0_backward(g, a):
    return (g * i1(a),)


def i1(a):
    """`f(a) = I1(a)`, modified Bessel of order `1;  da = g*(I0(a) - f/a)`, its series near 0"""
    a, out = _unary(N.i1, a, "i1")
    return record(out, "SpecialI1", (a,), _i1_backward, (a, OUT))


def _i1_backward(g, a, out):
    # I0(a) - I1(a)/a cancels near 0: its value keeps ~eps/|a| of error and its derivative
    # (double backward) none of its digits (PyTorch's i1_backward has this flaw). Below
    # |a| = 0.01 the series 1/2 + 3a^2/16 + 5a^4/384 + 7a^6/18432 is exact to rounding, and
    # so is its derivative (the next term is 9a^8/1474560).
    small = E.abs(a) < 0.01
    safe = E.where(small, 1.0, a)
    a2 = a * a
    series = a2 * (a2 * (a2 * (7.0 / 18432.0) + 5.0 / 384.0) + 3.0 / 16.0) + 0.5
    return (g * E.where(small, series, i0(safe) - out / safe),)


def ndtr(a):
    """f(a) = (1 + erf(a/sqrt 2))/2, the standard normal CDF (composite, as in PyTorch)"""
    a, _ = float_operand(a, "ndtr")
    return (erf(a * _SQRT1_2) + 1.0) * 0.5


def ndtri(a):
    """`f(p)` = the p-quantile of the standard normal;  `dp = g*sqrt(2 pi)*e^(f^2/2)`"""
    a, out = _unary(lambda p: -math.sqrt(2.0) * N.erfcinv(2.0 * p), a, "ndtri")
    return record(out, "SpecialNdtri", (a,), _ndtri_backward, (OUT,))


def _ndtri_backward(g, out):
    return (g * E.exp(out * out * 0.5) * _SQRT_2PI,)


def _log_ndtr_np(x):
    neg = x < 0
    lo = np.log(0.5 * N.erfcx(np.where(neg, -x, 0.0) * _SQRT1_2)) - x * x / 2.0
    hi = np.log1p(-0.5 * N.erfc(np.where(neg, 0.0, x) * _SQRT1_2))
    return np.where(neg, lo, hi)


def log_ndtr(a):
    """`f(a) = log ndtr(a)` (no underflow);  `da = g*e^(-(f + a^2/2))/sqrt(2 pi)`"""
    a, out = _unary(_log_ndtr_np, a, "log_ndtr")
    return record(out, "SpecialLogNdtr", (a,), _log_ndtr_backward, (a, OUT))


def _log_ndtr_backward(g, a, out):
    return (g * E.exp(-(out + a * a * 0.5)) / _SQRT_2PI,)


def _entr_np(x):
    return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), np.where(x == 0, 0.0, -np.inf))


def entr(a):
    """`f(a) = -a log a` (0 at 0, -inf below);  `da = -g*(1 + log a)`"""
    a, d = float_operand(a, "entr")
    out = np.where(np.isnan(d), d, _entr_np(d)).astype(d.dtype, copy=False)
    return record(wrap(out), "SpecialEntr", (a,), _entr_backward, (a,))


def _entr_backward(g, a):
    return (-g * (E.log(a) + 1.0),)


def xlog1py(a, b):
    """`f(a, b) = a*log1p(b), 0 where a == 0` (unless b is NaN);
    `da = xlog1py(g, b), 0 where a == 0 and b <= -1;  db = g*a/(1 + b)` (PyTorch's rule)"""
    a, b, ad, bd = _operands(a, b, "xlog1py", floating=True)
    out = _apply(_xlog1py_np, "xlog1py", a, b, ad, bd)
    return record(wrap(out), "SpecialXlog1py", (a, b), _xlog1py_backward, (a, b))


def _xlog1py_np(x, y):
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))


def _xlog1py_backward(g, a, b, *, needs):
    return (
        E.where(E.logical_and(E.eq(a, 0), E.le(b, -1)), 0.0, xlog1py(g, b))
        if needs[0]
        else None,
        g * a / (b + 1.0) if needs[1] else None,
    )
