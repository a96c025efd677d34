"""NumPy-only special functions, accurate to float64: erf, erfc, erfcx, erfinv, lgamma, digamma,
polygamma (Hurwitz zeta), i0, i1. No SciPy at run time; the tests compare with SciPy.

``math.erf``/``math.erfc``/``math.lgamma`` are correctly rounded C library functions; they are
vectorised with ``np.frompyfunc`` (about 0.1 us an element). The rest are series, recurrences
and Newton steps in NumPy.
"""

from __future__ import annotations

import math

import numpy as np

_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI


def _ufunc(fn):
    f = np.frompyfunc(fn, 1, 1)

    def call(x):
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(f(x), dtype=np.float64) if x.size else x.copy()

    return call


def _lgamma_scalar(v):
    try:
        return math.lgamma(v)
    except ValueError:  # poles at 0, -1, -2, ...: PyTorch gives +inf
        return math.inf


erf = _ufunc(math.erf)
erfc = _ufunc(math.erfc)
lgamma = _ufunc(_lgamma_scalar)


def erfcx(x):
    """`exp(x^2)*erfc(x)`: direct below 25, asymptotic series above (erfc underflows there)."""
    x = np.asarray(x, dtype=np.float64)
    big = x > 25.0
    with np.errstate(over="ignore", invalid="ignore"):
        direct = np.exp(np.where(big, 0.0, x * x)) * erfc(np.where(big, 0.0, x))
        xb = np.where(big, x, 30.0)
        inv = 1.0 / (2.0 * xb * xb)
        term, total = np.ones_like(xb), np.ones_like(xb)
        for k in range(1, 10):
            term = term * -(2 * k - 1) * inv
            total = total + term
        asym = total / (xb * _SQRT_PI)
    return np.where(big, asym, direct)


def _log_erfc(x):
    """log(erfc(x)) for x >= 0 without underflow."""
    with np.errstate(divide="ignore"):
        return np.log(erfcx(x)) - x * x


def _erfinv_guess(y, w):
    """Giles' single-precision erfinv (w = -log((1-y)(1+y))): a start for Newton's method."""
    central = w < 5.0
    wc = np.where(central, w, 2.5) - 2.5
    p = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):  # fmt: skip
        p = c + p * wc
    wt = np.sqrt(np.where(central, 9.0, w)) - 3.0
    q = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):  # fmt: skip
        q = c + q * wt
    return np.where(central, p, q) * y


def _erfcinv_small(t):
    """erfcinv(t) for t in (0, 0.5]: Newton's method on log(erfc(x)) = log(t)."""
    y = 1.0 - t
    with np.errstate(divide="ignore", invalid="ignore"):
        logt = np.log(t)
        w = -np.log(t * (2.0 - t))
        # Far tail (Giles' fit ends near t = 1e-8): erfc(x) ~ exp(-x^2)/(x*sqrt(pi)).
        far = w > 36.0
        x0 = np.sqrt(np.where(far, -logt, 1.0))
        x1 = np.sqrt(np.where(far, -logt - np.log(x0 * _SQRT_PI), 1.0))
        x = np.where(far, x1, _erfinv_guess(y, np.where(far, 1.0, w)))
    for _ in range(4):
        x = x + (_log_erfc(x) - logt) * _SQRT_PI * erfcx(x) / 2.0
    return x


def erfinv(y):
    """The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside)."""
    y = np.asarray(y, dtype=np.float64)
    a = np.abs(y)
    inner = a <= 0.5
    ai = np.where(inner, a, 0.0)
    with np.errstate(divide="ignore"):
        x = _erfinv_guess(ai, -np.log1p(-ai * ai))
    for _ in range(3):
        x = x - (erf(x) - ai) / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
    t = np.where(inner | (a >= 1.0) | np.isnan(a), 0.5, 1.0 - a)
    out = np.where(inner, x, _erfcinv_small(t))
    out = np.where(a == 1.0, np.inf, out)
    out = np.where((a > 1.0) | np.isnan(a), np.nan, out)
    return np.copysign(out, y)


def erfcinv(t):
    """The inverse of erfc on [0, 2]."""
    t = np.asarray(t, dtype=np.float64)
    small = t < 0.5
    large = t > 1.5
    mid = ~(small | large)
    ts = np.where(small, t, np.where(large, 2.0 - t, 0.25))
    tail = _erfcinv_small(np.where(ts > 0, ts, 0.25))
    tail = np.where(ts == 0, np.inf, tail)
    out = np.where(small, tail, -tail)
    out = np.where(mid, erfinv(np.where(mid, 1.0 - t, 0.0)), out)
    return np.where((t < 0) | (t > 2) | np.isnan(t), np.nan, out)


# Bernoulli numbers B_2k, k = 1..10, for the asymptotic series.
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
        -174611 / 330)  # fmt: skip


def digamma(x):
    """psi(x): reflection for x < 0.5, recurrence up to x >= 10, then the asymptotic series."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        reflect = x < 0.5
        z = np.where(reflect, 1.0 - x, x)
        acc = np.zeros_like(z)
        while True:
            low = z < 10.0
            if not low.any():
                break
            acc = acc - np.where(low, 1.0 / z, 0.0)
            z = np.where(low, z + 1.0, z)
        inv2 = 1.0 / (z * z)
        psi = np.log(z) - 0.5 / z - _digamma_tail(inv2) + acc
        # tan has period pi: reduce x first, so pi*x's rounding does not grow with |x|.
        refl = psi - math.pi / np.tan(math.pi * (x - np.round(x)))
        out = np.where(reflect, refl, psi)
        pole = (x <= 0) & (x == np.floor(x))
        # at 0 the pole's sign follows the zero's (psi(-0.0) = +inf), as PyTorch's
        out = np.where(pole, np.where(x == 0, np.copysign(np.inf, -x), np.nan), out)
    return out


def _digamma_tail(inv2):
    """`sum_k B_2k / (2k) * z^-2k` (Horner in `z^-2`)."""
    s = np.zeros_like(inv2)
    for k in range(len(_B2K), 0, -1):
        s = (s + _B2K[k - 1] / (2 * k)) * inv2
    return s


def hurwitz_zeta(s, q):
    """zeta(s, q) = sum_k (q + k)^-s for integer s >= 2: direct terms until q >= 15 + s, then
    Euler-Maclaurin (as Cephes' zeta, which is what PyTorch's polygamma uses)."""
    q = np.asarray(q, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        acc = np.zeros_like(q)
        target = 15.0 + s
        # Poles (0 and the negative integers: every float below -2**52 and -inf among them)
        # skip the direct terms, whose z + 1 would never reach the target: inf, filled below.
        pole = (q <= 0) & (q == np.floor(q))
        z = np.where(pole, target, q)
        while True:
            low = z < target
            if not low.any():
                break
            acc = acc + np.where(low, z ** (-s), 0.0)
            z = np.where(low, z + 1.0, z)
        tail = z ** (1.0 - s) / (s - 1.0) + 0.5 * z ** (-s)
        fact = 1.0  # (2j)!
        rising = float(s)  # s (s+1) ... (s+2j-2)
        zp = z ** (-s - 1.0)
        for j in range(1, len(_B2K) + 1):
            fact *= (2 * j - 1) * (2 * j)
            tail = tail + _B2K[j - 1] / fact * rising * zp
            rising *= (s + 2 * j - 1) * (s + 2 * j)
            zp = zp / (z * z)
        out = acc + tail
        return np.where(pole, np.inf, out)


def polygamma(n, x):
    """psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x) for n >= 1; digamma for n = 0."""
    if n == 0:
        return digamma(x)
    return (-1.0) ** (n + 1) * math.factorial(n) * hurwitz_zeta(n + 1, x)


def i0(x):
    return np.i0(np.asarray(x, dtype=np.float64))


def _scaled_bessel(x, v2, unscaled):
    """exp(-|x|) I_v(x) (v2 = 4 v^2): ``unscaled`` times exp(-|x|) up to |x| = 700 (no
    overflow in float64), the asymptotic series of the scaled function above (0 at inf)."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    near = a <= 700.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        small = unscaled(np.where(near, x, 0.0)) * np.exp(-np.where(near, a, 0.0))
        xl = np.where(near, 1000.0, a)
        t, s = np.ones_like(xl), np.ones_like(xl)
        for k in range(1, 12):
            t = t * -(v2 - (2 * k - 1) ** 2) / (k * 8.0 * xl)
            s = s + t
        big = s / np.sqrt(2 * math.pi * xl)
    out = np.where(near, small, big)
    odd = np.where(x == 0, 0.0, np.copysign(np.abs(out), x))  # I1 is odd; +0.0 at -0.0
    return np.where(np.isnan(x), x, out if v2 == 0 else odd)


def i0e(x):
    return _scaled_bessel(x, 0.0, i0)


def i1e(x):
    return _scaled_bessel(x, 4.0, i1)


def i1(x):
    """Modified Bessel function I1: power series for |x| <= 20, asymptotic series above."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    small = a <= 20.0
    xs = np.where(small, a, 0.0) / 2.0
    term = xs.copy()
    total = xs.copy()
    xs2 = xs * xs
    for k in range(1, 60):
        term = term * xs2 / (k * (k + 1))
        total = total + term
    xl = np.where(small, 30.0, a)
    with np.errstate(over="ignore", invalid="ignore"):
        t, s = np.ones_like(xl), np.ones_like(xl)
        for k in range(1, 30):
            t = t * -(4.0 - (2 * k - 1) ** 2) / (k * 8.0 * xl)
            s = s + t
        big = np.exp(xl) / np.sqrt(2 * math.pi * xl) * s
    return np.where(x == 0, 0.0, np.copysign(np.where(small, total, big), x))  # I1(-0.0): +0
