"""Special functions: the error-function and gamma families, Bessel I0/I1, the normal
distribution's ndtr/ndtri/log_ndtr, entr and xlog1py. The NumPy numerics are in
``_special_np`` (no SciPy at run time); here each op records its backward, written in
tinytensor ops so it differentiates again.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.ops import _special_np as N
from tinytensor.ops import elementwise as E
from tinytensor.ops.math import float_operand
from tinytensor.ops.math_binary import _kernel_of, _operands, _run

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT1_2 = math.sqrt(0.5)


def _kernel(fn, name):
    """A primitive's kernel for ``fn`` (a float64 NumPy function): quiet, at the input's
    floating dtype; keywords (polygamma's ``n``) pass through."""

    def kernel(d, **attrs):
        with np.errstate(all="ignore"):
            return np.asarray(fn(d, **attrs)).astype(d.dtype, copy=False)

    kernel.__name__ = kernel.__qualname__ = f"_{name}_kernel"
    return kernel


def erf(a):
    """`f(a) = 2/sqrt(pi) int_0^a e^(-t^2) dt;  da = g*2/sqrt(pi)*e^(-a^2)`"""
    a, d = float_operand(a, "erf")
    return ERF.apply((a,), (d,), (a,))


def _erf_backward(g, a):
    return (g * E.exp(-a * a) * _TWO_OVER_SQRT_PI,)


ERF = Primitive("Erf", _kernel(N.erf, "erf"), _erf_backward)


def erfc(a):
    """`f(a) = 1 - erf(a);  da = -g*2/sqrt(pi)*e^(-a^2)`"""
    a, d = float_operand(a, "erfc")
    return ERFC.apply((a,), (d,), (a,))


def _erfc_backward(g, a):
    return (g * E.exp(-a * a) * -_TWO_OVER_SQRT_PI,)


ERFC = Primitive("Erfc", _kernel(N.erfc, "erfc"), _erfc_backward)


def erfinv(a):
    """`f(a) = erf^-1(a);  da = g*sqrt(pi)/2*e^(f(a)^2)` (`f` recomputed from the saved `a`)"""
    a, d = float_operand(a, "erfinv")
    return ERFINV.apply((a,), (d,), (a,))


def _erfinv_backward(g, a):
    x = erfinv(a)
    return (g * E.exp(x * x) * _SQRT_PI_OVER_2,)


ERFINV = Primitive("Erfinv", _kernel(N.erfinv, "erfinv"), _erfinv_backward)


def erfcx(a):
    """`f(a) = e^(a^2)*erfc(a);  da = g*(2*a*f - 2/sqrt(pi))`"""
    a, d = float_operand(a, "erfcx")
    return ERFCX.apply((a,), (d,), (a, OUT))


def _erfcx_backward(g, a, out):
    return (g * (a * out * 2.0 - _TWO_OVER_SQRT_PI),)


ERFCX = Primitive("SpecialErfcx", _kernel(N.erfcx, "erfcx"), _erfcx_backward)


def lgamma(a):
    """`f(a) = log|Gamma(a)|;  da = g*digamma(a)`"""
    a, d = float_operand(a, "lgamma")
    return LGAMMA.apply((a,), (d,), (a,))


def _lgamma_backward(g, a):
    return (g * digamma(a),)


LGAMMA = Primitive("Lgamma", _kernel(N.lgamma, "lgamma"), _lgamma_backward)


def digamma(a):
    """`f(a) = Gamma'(a)/Gamma(a);  da = g*polygamma(1, a)`"""
    a, d = float_operand(a, "digamma")
    return DIGAMMA.apply((a,), (d,), (a,))


def _digamma_backward(g, a):
    return (g * polygamma(1, a),)


DIGAMMA = Primitive("Digamma", _kernel(N.digamma, "digamma"), _digamma_backward)


def polygamma(n, input):
    """`f(a) = d^n/da^n digamma(a);  da = g*polygamma(n + 1, a)`"""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"polygamma: n must be a non-negative integer, got {n!r}")
    n = int(n)
    a, d = float_operand(input, "polygamma")
    return POLYGAMMA.apply((a,), (d,), (n, a), {"n": n})


def _polygamma_np(d, *, n):
    return N.polygamma(n, d)


def _polygamma_backward(g, n, a):
    return (g * polygamma(n + 1, a),)


POLYGAMMA = Primitive("Polygamma", _kernel(_polygamma_np, "polygamma"), _polygamma_backward)


def mvlgamma(input, p):
    """`f(a) = p(p-1)/4 log(pi) + sum_i<p lgamma(a - i/2);  da = g*sum_i<p digamma(a - i/2)`"""
    if not isinstance(p, (int, np.integer)) or isinstance(p, bool) or p < 1:
        raise RuntimeError(f"mvlgamma: p must be an integer >= 1, got {p!r}")
    p = int(p)
    a, d = float_operand(input, "mvlgamma")
    return MVLGAMMA.apply((a,), (d,), (a, p), {"p": p})


def _mvlgamma_np(d, *, p):
    terms = N.lgamma(d[..., None] - np.arange(p, dtype=np.float64) / 2.0)
    return terms.sum(-1) + p * (p - 1) / 4.0 * math.log(math.pi)


def _mvlgamma_backward(g, a, p):
    total = digamma(a)
    for i in range(1, p):
        total = total + digamma(a - i / 2.0)
    return (g * total,)


MVLGAMMA = Primitive("Mvlgamma", _kernel(_mvlgamma_np, "mvlgamma"), _mvlgamma_backward)


def i0(a):
    """`f(a) = I0(a)`, modified Bessel of order `0;  da = g*I1(a)`"""
    a, d = float_operand(a, "i0")
    return I0.apply((a,), (d,), (a,))


def _i0_backward(g, a):
    return (g * i1(a),)


I0 = Primitive("I0", _kernel(N.i0, "i0"), _i0_backward)


def i1(a):
    """`f(a) = I1(a)`, modified Bessel of order `1;  da = g*(I0(a) - f/a)`, its series near 0"""
    a, d = float_operand(a, "i1")
    return I1.apply((a,), (d,), (a, OUT))


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


I1 = Primitive("SpecialI1", _kernel(N.i1, "i1"), _i1_backward)


def ndtr(a):
    """f(a) = (1 + erf(a/sqrt 2))/2, the standard normal CDF (composite, as in PyTorch)"""
    a, _ = float_operand(a, "ndtr")
    return (erf(a * _SQRT1_2) + 1.0) * 0.5


def ndtri(a):
    """`f(p)` = the p-quantile of the standard normal;  `dp = g*sqrt(2 pi)*e^(f^2/2)`"""
    a, d = float_operand(a, "ndtri")
    return NDTRI.apply((a,), (d,), (OUT,))


def _ndtri_np(p):
    return -math.sqrt(2.0) * N.erfcinv(2.0 * p)


def _ndtri_backward(g, out):
    return (g * E.exp(out * out * 0.5) * _SQRT_2PI,)


NDTRI = Primitive("SpecialNdtri", _kernel(_ndtri_np, "ndtri"), _ndtri_backward)


def _log_ndtr_np(x):
    neg = x < 0
    lo = np.log(0.5 * N.erfcx(np.where(neg, -x, 0.0) * _SQRT1_2)) - x * x / 2.0
    hi = np.log1p(-0.5 * N.erfc(np.where(neg, 0.0, x) * _SQRT1_2))
    return np.where(neg, lo, hi)


def log_ndtr(a):
    """`f(a) = log ndtr(a)` (no underflow);  `da = g*e^(-(f + a^2/2))/sqrt(2 pi)`"""
    a, d = float_operand(a, "log_ndtr")
    return LOG_NDTR.apply((a,), (d,), (a, OUT))


def _log_ndtr_backward(g, a, out):
    return (g * E.exp(-(out + a * a * 0.5)) / _SQRT_2PI,)


LOG_NDTR = Primitive("SpecialLogNdtr", _kernel(_log_ndtr_np, "log_ndtr"), _log_ndtr_backward)


def _entr_np(x):
    return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), np.where(x == 0, 0.0, -np.inf))


def entr(a):
    """`f(a) = -a log a` (0 at 0, -inf below);  `da = -g*(1 + log a)`"""
    a, d = float_operand(a, "entr")
    return ENTR.apply((a,), (d,), (a,))


def _entr_kernel(d):
    return np.where(np.isnan(d), d, _entr_np(d)).astype(d.dtype, copy=False)


def _entr_backward(g, a):
    return (-g * (E.log(a) + 1.0),)


ENTR = Primitive("SpecialEntr", _entr_kernel, _entr_backward)


def xlog1py(a, b):
    """`f(a, b) = a*log1p(b), 0 where a == 0` (unless b is NaN);
    `da = xlog1py(g, b), 0 where a == 0 and b <= -1;  db = g*a/(1 + b)` (PyTorch's rule)"""
    a, b, ad, bd = _operands(a, b, "xlog1py", floating=True)
    return _run(XLOG1PY, "xlog1py", (a, b), (ad, bd), (a, b))


def _xlog1py_np(x, y):
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))


def _xlog1py_backward(g, a, b, *, needs):
    return (
        E.where(E.logical_and(E.eq(a, 0), E.le(b, -1)), 0.0, xlog1py(g, b))
        if needs[0]
        else None,
        g * a / (b + 1.0) if needs[1] else None,
    )


XLOG1PY = Primitive("SpecialXlog1py", _kernel_of(_xlog1py_np, "xlog1py"), _xlog1py_backward)
