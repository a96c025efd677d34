"""``torch.special``'s orthogonal polynomials and the scaled Bessel functions NumPy can reach.

The polynomials are evaluated by their three-term recurrences, for a tensor (or number) of
degrees ``n`` broadcast against ``input``; as in PyTorch they have no gradient (the result
never requires grad) and a negative degree gives 0. ``i0e``/``i1e``/``modified_bessel_i0``/
``modified_bessel_i1``/``spherical_bessel_j0`` are compositions of differentiable ops.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase
from tinytensor.ops import elementwise as E
from tinytensor.ops._util import as_tensor
from tinytensor.ops.math import sinc
from tinytensor.ops.special_fns import i0, i1


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
    return E.sub(E.mul(as_tensor(input, name).detach(), 2), 1)


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
    """f(x) = exp(-|x|) I_0(x), the exponentially scaled modified Bessel function of order 0"""
    x = as_tensor(input, "i0e")
    return E.mul(i0(x), E.exp(E.neg(E.abs(x))))


def i1e(input):  # noqa: A002
    """f(x) = exp(-|x|) I_1(x), the exponentially scaled modified Bessel function of order 1"""
    x = as_tensor(input, "i1e")
    return E.mul(i1(x), E.exp(E.neg(E.abs(x))))


def modified_bessel_i0(input):  # noqa: A002
    """I_0(x), the modified Bessel function of the first kind of order 0 (= i0)"""
    return i0(as_tensor(input, "modified_bessel_i0"))


def modified_bessel_i1(input):  # noqa: A002
    """I_1(x), the modified Bessel function of the first kind of order 1 (= i1)"""
    return i1(as_tensor(input, "modified_bessel_i1"))


def spherical_bessel_j0(input):  # noqa: A002
    """j_0(x) = sin(x) / x (1 at 0), i.e. sinc(x / pi)"""
    return sinc(E.div(as_tensor(input, "spherical_bessel_j0"), math.pi))
