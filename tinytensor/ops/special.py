"""Special functions: the error-function and gamma families, Bessel I0/I1 (and the scaled and
spherical Bessel functions built from them), the normal distribution's ndtr/ndtri/log_ndtr, entr,
xlog1py, and ``torch.special``'s orthogonal polynomials.

The NumPy numerics are in ``_special_np`` (no SciPy at run time); here each op records its
backward, written in tinytensor ops so it differentiates again. The polynomials are evaluated by
their three-term recurrences, for a tensor (or number) of degrees ``n`` broadcast against
``input``; as in PyTorch they have no gradient (the result never requires grad) and a negative
degree gives 0. ``modified_bessel_i0``/``modified_bessel_i1``/``spherical_bessel_j0`` are
compositions of differentiable ops.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase
from tinytensor.ops import _special_np as N
from tinytensor.ops._pointwise import binary_kernel, operands, run, unary_float
from tinytensor.ops._util import as_tensor
from tinytensor.ops.binary import div, mul, sub
from tinytensor.ops.compare import eq, le, logical_and
from tinytensor.ops.explog import exp, log
from tinytensor.ops.selection import where
from tinytensor.ops.trig import sinc
from tinytensor.ops.unary import abs, sign  # noqa: A004

__all__ = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "lgamma",
    "log_ndtr",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "mvlgamma",
    "ndtr",
    "ndtri",
    "polygamma",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "spherical_bessel_j0",
    "xlog1py",
]

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


def erf(input):
    """`f(a) = 2/sqrt(pi) int_0^a e^(-t^2) dt;  da = g*2/sqrt(pi)*e^(-a^2)`"""
    a, d = unary_float(input, "erf")
    return ERF.apply((a,), (d,), (a,))


def _erf_backward(g, a):
    return (g * exp(-a * a) * _TWO_OVER_SQRT_PI,)


ERF = Primitive("Erf", _kernel(N.erf, "erf"), _erf_backward)


def erfc(input):
    """`f(a) = 1 - erf(a);  da = -g*2/sqrt(pi)*e^(-a^2)`"""
    a, d = unary_float(input, "erfc")
    return ERFC.apply((a,), (d,), (a,))


def _erfc_backward(g, a):
    return (g * exp(-a * a) * -_TWO_OVER_SQRT_PI,)


ERFC = Primitive("Erfc", _kernel(N.erfc, "erfc"), _erfc_backward)


def erfinv(input):
    """`f(a) = erf^-1(a);  da = g*sqrt(pi)/2*e^(f(a)^2)` (`f` recomputed from the saved `a`)"""
    a, d = unary_float(input, "erfinv")
    return ERFINV.apply((a,), (d,), (a,))


def _erfinv_backward(g, a):
    x = erfinv(a)
    return (g * exp(x * x) * _SQRT_PI_OVER_2,)


ERFINV = Primitive("Erfinv", _kernel(N.erfinv, "erfinv"), _erfinv_backward)


def erfcx(input):
    """`f(a) = e^(a^2)*erfc(a);  da = g*(2*a*f - 2/sqrt(pi))`"""
    a, d = unary_float(input, "erfcx")
    return ERFCX.apply((a,), (d,), (a, OUT))


def _erfcx_backward(g, a, out):
    return (g * (a * out * 2.0 - _TWO_OVER_SQRT_PI),)


ERFCX = Primitive("SpecialErfcx", _kernel(N.erfcx, "erfcx"), _erfcx_backward)


def lgamma(input):
    """`f(a) = log|Gamma(a)|;  da = g*digamma(a)`"""
    a, d = unary_float(input, "lgamma")
    return LGAMMA.apply((a,), (d,), (a,))


def _lgamma_backward(g, a):
    return (g * digamma(a),)


LGAMMA = Primitive("Lgamma", _kernel(N.lgamma, "lgamma"), _lgamma_backward)


def digamma(input):
    """`f(a) = Gamma'(a)/Gamma(a);  da = g*polygamma(1, a)`"""
    a, d = unary_float(input, "digamma")
    return DIGAMMA.apply((a,), (d,), (a,))


def _digamma_backward(g, a):
    return (g * polygamma(1, a),)


DIGAMMA = Primitive("Digamma", _kernel(N.digamma, "digamma"), _digamma_backward)


def polygamma(n, input):
    """`f(a) = d^n/da^n digamma(a);  da = g*polygamma(n + 1, a)`"""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"polygamma: n must be a non-negative integer, got {n!r}")
    n = int(n)
    a, d = unary_float(input, "polygamma")
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
    a, d = unary_float(input, "mvlgamma")
    return MVLGAMMA.apply((a,), (d,), (a, p), {"p": p})


def _mvlgamma_np(d, *, p):
    terms = N.lgamma(d[..., None] - np.arange(p, dtype=np.float64) / 2.0)
    return terms.sum(-1) + p * (p - 1) / 4.0 * math.log(math.pi)


def _mvlgamma_backward(g, a, p):
    total = sum((digamma(a - i / 2.0) for i in range(1, p)), digamma(a))
    return (g * total,)


MVLGAMMA = Primitive("Mvlgamma", _kernel(_mvlgamma_np, "mvlgamma"), _mvlgamma_backward)


def i0(input):
    """`f(a) = I0(a)`, modified Bessel of order `0;  da = g*I1(a)`"""
    a, d = unary_float(input, "i0")
    return I0.apply((a,), (d,), (a,))


def _i0_backward(g, a):
    return (g * i1(a),)


I0 = Primitive("I0", _kernel(N.i0, "i0"), _i0_backward)


def i1(input):
    """`f(a) = I1(a)`, modified Bessel of order `1;  da = g*(I0(a) - f/a)`, its series near 0"""
    a, d = unary_float(input, "i1")
    return I1.apply((a,), (d,), (a, OUT))


def _i1_backward(g, a, out):
    # I0(a) - I1(a)/a cancels near 0 (PyTorch's i1_backward loses its digits there); below
    # |a| = 0.01 its series 1/2 + 3a^2/16 + 5a^4/384 + 7a^6/18432 is exact to rounding.
    small = abs(a) < 0.01
    safe = where(small, 1.0, a)
    a2 = a * a
    series = a2 * (a2 * (a2 * (7.0 / 18432.0) + 5.0 / 384.0) + 3.0 / 16.0) + 0.5
    return (g * where(small, series, i0(safe) - out / safe),)


I1 = Primitive("SpecialI1", _kernel(N.i1, "i1"), _i1_backward)


def ndtr(input):
    """f(a) = (1 + erf(a/sqrt 2))/2, the standard normal CDF (composite, as in PyTorch)"""
    a, _ = unary_float(input, "ndtr")
    return (erf(a * _SQRT1_2) + 1.0) * 0.5


def ndtri(input):
    """`f(p)` = the p-quantile of the standard normal;  `dp = g*sqrt(2 pi)*e^(f^2/2)`"""
    a, d = unary_float(input, "ndtri")
    return NDTRI.apply((a,), (d,), (OUT,))


def _ndtri_np(p):
    return -math.sqrt(2.0) * N.erfcinv(2.0 * p)


def _ndtri_backward(g, out):
    return (g * exp(out * out * 0.5) * _SQRT_2PI,)


NDTRI = Primitive("SpecialNdtri", _kernel(_ndtri_np, "ndtri"), _ndtri_backward)


def _log_ndtr_np(x):
    neg = x < 0
    lo = np.log(0.5 * N.erfcx(np.where(neg, -x, 0.0) * _SQRT1_2)) - x * x / 2.0
    hi = np.log1p(-0.5 * N.erfc(np.where(neg, 0.0, x) * _SQRT1_2))
    return np.where(neg, lo, hi)


def log_ndtr(input):
    """`f(a) = log ndtr(a)` (no underflow);  `da = g*e^(-(f + a^2/2))/sqrt(2 pi)`"""
    a, d = unary_float(input, "log_ndtr")
    return LOG_NDTR.apply((a,), (d,), (a, OUT))


def _log_ndtr_backward(g, a, out):
    return (g * exp(-(out + a * a * 0.5)) / _SQRT_2PI,)


LOG_NDTR = Primitive("SpecialLogNdtr", _kernel(_log_ndtr_np, "log_ndtr"), _log_ndtr_backward)


def _entr_np(x):
    return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), np.where(x == 0, 0.0, -np.inf))


def entr(input):
    """`f(a) = -a log a` (0 at 0, -inf below);  `da = -g*(1 + log a)`"""
    a, d = unary_float(input, "entr")
    return ENTR.apply((a,), (d,), (a,))


def _entr_kernel(d):
    with np.errstate(invalid="ignore", over="ignore"):  # inf and NaN as PyTorch's, quietly
        return np.where(np.isnan(d), d, _entr_np(d)).astype(d.dtype, copy=False)


def _entr_backward(g, a):
    return (-g * (log(a) + 1.0),)


ENTR = Primitive("SpecialEntr", _entr_kernel, _entr_backward)


def xlog1py(input, other):
    """`f(a, b) = a*log1p(b), 0 where a == 0` (unless b is NaN);
    `da = xlog1py(g, b), 0 where a == 0 and b <= -1;  db = g*a/(1 + b)` (PyTorch's rule)"""
    a, b, ad, bd = operands(input, other, "xlog1py", floating=True)
    return run(XLOG1PY, "xlog1py", (a, b), (ad, bd), (a, b))


def _xlog1py_np(x, y):
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log1p(y))


def _xlog1py_backward(g, a, b, *, needs):
    return (
        where(logical_and(eq(a, 0), le(b, -1)), 0.0, xlog1py(g, b)) if needs[0] else None,
        g * a / (b + 1.0) if needs[1] else None,
    )


XLOG1PY = Primitive("SpecialXlog1py", binary_kernel(_xlog1py_np, "xlog1py"), _xlog1py_backward)


# --- orthogonal polynomials and scaled Bessel functions -----------------------------------


def _recurrence(prim, input, n, name):
    """``prim`` (a polynomial's recurrence) at ``input`` for the degrees ``n``."""
    x = as_tensor(input, name)
    if isinstance(n, TensorBase):
        if n._data.dtype.kind == "f" and not np.all(n._data == np.round(n._data)):
            raise RuntimeError(f"{name}: the degree n must hold whole numbers, got {n}")
        nd = n._data
    elif isinstance(n, (int, float, np.integer, np.floating)) and not isinstance(n, bool):
        nd = n
    else:
        raise TypeError(f"{name}: n must be a tensor or a number, got {type(n).__name__}")
    xd = x._data
    dt = xd.dtype if xd.dtype.kind == "f" else D.get_default_dtype().np
    try:
        return prim.apply((x, n), (xd, nd), (), {"dtype": dt})
    except ValueError:
        raise RuntimeError(
            f"{name}: input of shape {tuple(xd.shape)} and n of shape {tuple(np.shape(nd))} "
            "cannot be broadcast together"
        ) from None


def _polynomial(name, first, step):
    """The primitive of a polynomial by its recurrence: p_0 = 1, p_1 = first(x),
    p_{k+1} = step(k, x, p_k, p_{k-1}); p_n for each n (0 if n < 0). No gradient."""

    def kernel(xd, nd, *, dtype):
        x, n = np.broadcast_arrays(xd.astype(np.float64), np.asarray(nd).astype(np.int64))
        out = np.where(n == 0, 1.0, 0.0)
        top = int(n.max()) if n.size else 0
        prev, cur = np.ones_like(x), first(x)
        for k in range(1, top + 1):
            out = np.where(n == k, cur, out)
            prev, cur = cur, step(k, x, cur, prev)
        return np.asarray(out, dtype=dtype)

    kernel.__name__ = kernel.__qualname__ = f"_{name}_kernel"
    return Primitive("".join(w.capitalize() for w in name.split("_")), kernel)


def _cheb(k, x, p, q):
    return 2 * x * p - q


CHEBYSHEV_T = _polynomial("chebyshev_polynomial_t", lambda x: x, _cheb)
CHEBYSHEV_U = _polynomial("chebyshev_polynomial_u", lambda x: 2 * x, _cheb)
CHEBYSHEV_V = _polynomial("chebyshev_polynomial_v", lambda x: 2 * x - 1, _cheb)
CHEBYSHEV_W = _polynomial("chebyshev_polynomial_w", lambda x: 2 * x + 1, _cheb)
HERMITE_H = _polynomial(
    "hermite_polynomial_h", lambda x: 2 * x, lambda k, x, p, q: 2 * x * p - 2 * k * q
)
HERMITE_HE = _polynomial("hermite_polynomial_he", lambda x: x, lambda k, x, p, q: x * p - k * q)
LAGUERRE_L = _polynomial(
    "laguerre_polynomial_l",
    lambda x: 1 - x,
    lambda k, x, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1),
)
LEGENDRE_P = _polynomial(
    "legendre_polynomial_p",
    lambda x: x,
    lambda k, x, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1),
)


def chebyshev_polynomial_t(input, n):  # noqa: A002 - PyTorch's argument name
    """T_n(x): T_0 = 1, T_1 = x, T_{k+1} = 2x T_k - T_{k-1} (no gradient)"""
    return _recurrence(CHEBYSHEV_T, input, n, "chebyshev_polynomial_t")


def chebyshev_polynomial_u(input, n):  # noqa: A002
    """U_n(x): U_0 = 1, U_1 = 2x, U_{k+1} = 2x U_k - U_{k-1} (no gradient)"""
    return _recurrence(CHEBYSHEV_U, input, n, "chebyshev_polynomial_u")


def chebyshev_polynomial_v(input, n):  # noqa: A002
    """V_n(x): V_0 = 1, V_1 = 2x - 1, V_{k+1} = 2x V_k - V_{k-1} (no gradient)"""
    return _recurrence(CHEBYSHEV_V, input, n, "chebyshev_polynomial_v")


def chebyshev_polynomial_w(input, n):  # noqa: A002
    """W_n(x): W_0 = 1, W_1 = 2x + 1, W_{k+1} = 2x W_k - W_{k-1} (no gradient)"""
    return _recurrence(CHEBYSHEV_W, input, n, "chebyshev_polynomial_w")


def _shifted(input, name):
    return sub(mul(as_tensor(input, name).detach(), 2), 1)


def shifted_chebyshev_polynomial_t(input, n):  # noqa: A002
    """`T*_n(x) = T_n(2x - 1)` (no gradient)"""
    name = "shifted_chebyshev_polynomial_t"
    return _recurrence(CHEBYSHEV_T, _shifted(input, name), n, name)


def shifted_chebyshev_polynomial_u(input, n):  # noqa: A002
    """`U*_n(x) = U_n(2x - 1)` (no gradient)"""
    name = "shifted_chebyshev_polynomial_u"
    return _recurrence(CHEBYSHEV_U, _shifted(input, name), n, name)


def shifted_chebyshev_polynomial_v(input, n):  # noqa: A002
    """`V*_n(x) = V_n(2x - 1)` (no gradient)"""
    name = "shifted_chebyshev_polynomial_v"
    return _recurrence(CHEBYSHEV_V, _shifted(input, name), n, name)


def shifted_chebyshev_polynomial_w(input, n):  # noqa: A002
    """`W*_n(x) = W_n(2x - 1)` (no gradient)"""
    name = "shifted_chebyshev_polynomial_w"
    return _recurrence(CHEBYSHEV_W, _shifted(input, name), n, name)


def hermite_polynomial_h(input, n):  # noqa: A002
    """H_n(x) (physicists'): H_0 = 1, H_1 = 2x, H_{k+1} = 2x H_k - 2k H_{k-1} (no gradient)"""
    return _recurrence(HERMITE_H, input, n, "hermite_polynomial_h")


def hermite_polynomial_he(input, n):  # noqa: A002
    """He_n(x) (probabilists'): He_0 = 1, He_1 = x, He_{k+1} = x He_k - k He_{k-1}"""
    return _recurrence(HERMITE_HE, input, n, "hermite_polynomial_he")


def laguerre_polynomial_l(input, n):  # noqa: A002
    """L_n(x): L_0 = 1, L_1 = 1 - x, L_{k+1} = ((2k + 1 - x) L_k - k L_{k-1}) / (k + 1)"""
    return _recurrence(LAGUERRE_L, input, n, "laguerre_polynomial_l")


def legendre_polynomial_p(input, n):  # noqa: A002
    """P_n(x): P_0 = 1, P_1 = x, P_{k+1} = ((2k + 1) x P_k - k P_{k-1}) / (k + 1)"""
    return _recurrence(LEGENDRE_P, input, n, "legendre_polynomial_p")


def i0e(input):  # noqa: A002
    """`f(x) = exp(-|x|) I_0(x)` (finite for every x);  `dx = g*(i1e(x) - sign(x)*f)`"""
    a, d = unary_float(input, "i0e")
    return I0E.apply((a,), (d,), (a, OUT))


def i1e(input):  # noqa: A002
    """`f(x) = exp(-|x|) I_1(x)`;  `dx = g*(i0e(x) - f/x - sign(x)*f)` (a series near 0)"""
    a, d = unary_float(input, "i1e")
    return I1E.apply((a,), (d,), (a, OUT))


def _i0e_backward(g, a, out):
    return (g * (i1e(a) - sign(a) * out),)


def _i1e_backward(g, a, out):
    small = abs(a) < 0.01  # i0e - i1e/a cancels there (see _i1_backward): its series
    safe, a2 = where(small, 1.0, a), a * a
    series = (a2 * (a2 * (a2 * (7.0 / 18432.0) + 5.0 / 384.0) + 3.0 / 16.0) + 0.5) * exp(-abs(a))
    return (g * (where(small, series, i0e(safe) - out / safe) - sign(a) * out),)


I0E = Primitive("SpecialI0e", _kernel(N.i0e, "i0e"), _i0e_backward)
I1E = Primitive("SpecialI1e", _kernel(N.i1e, "i1e"), _i1e_backward)


def modified_bessel_i0(input):  # noqa: A002
    """I_0(x), the modified Bessel function of the first kind of order 0 (= i0)"""
    return i0(as_tensor(input, "modified_bessel_i0"))


def modified_bessel_i1(input):  # noqa: A002
    """I_1(x), the modified Bessel function of the first kind of order 1 (= i1)"""
    return i1(as_tensor(input, "modified_bessel_i1"))


def spherical_bessel_j0(input):  # noqa: A002
    """j_0(x) = sin(x) / x (1 at 0), i.e. sinc(x / pi)"""
    return sinc(div(as_tensor(input, "spherical_bessel_j0"), math.pi))
