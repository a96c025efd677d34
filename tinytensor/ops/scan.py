"""Scans along a dim: the running ops cumprod, cummax/cummin, logcumsumexp (cumsum is with the
reductions), differences (diff, gradient) and integrals (trapezoid, its alias trapz, and
cumulative_trapezoid).

Backward formulas are written in tinytensor ops, so each is differentiable again."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tinytensor._dtype import get_default_dtype, int64, to_dtype
from tinytensor.autograd.grad_mode import grad_state
from tinytensor.autograd.node import OUT
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops import compare as CMP
from tinytensor.ops import explog as EL
from tinytensor.ops import gather as G
from tinytensor.ops import index as I
from tinytensor.ops import join as J
from tinytensor.ops import rearrange as RA
from tinytensor.ops import reduce as R
from tinytensor.ops import selection as SEL
from tinytensor.ops import shape as S
from tinytensor.ops import unary as UN
from tinytensor.ops._util import as_tensor, check_float, one_dim
from tinytensor.ops.creation import eye, ones, zeros_of

__all__ = [
    "cummax",
    "cummin",
    "cumprod",
    "cumulative_trapezoid",
    "diff",
    "gradient",
    "logcumsumexp",
    "trapezoid",
    "trapz",
]


cummax_result = namedtuple("cummax", ["values", "indices"])


cummin_result = namedtuple("cummin", ["values", "indices"])


def cumprod(input, dim, *, dtype=None):
    """f(a)_j = prod_{i<=j} a_i along dim;  da_k = sum_{j>=k} g_j prod_{i<=j, i!=k} a_i"""
    a = as_tensor(input, "cumprod")
    if dtype is not None or a._data.dtype.kind in "biu":  # integers accumulate in int64
        a = a.to(int64 if dtype is None else to_dtype(dtype))
    d = one_dim(dim, a.ndim, "cumprod")
    return CUMPROD.apply((a,), (a._data,), (a, OUT, d), {"dim": d})


def _cumprod_kernel(x, dim):
    with np.errstate(all="ignore"):  # overflow to inf silently, as PyTorch
        return x.copy() if x.ndim == 0 else np.cumprod(x, axis=dim, dtype=x.dtype)


def _cumprod_backward(g, a, out, d):
    if a.ndim == 0:
        return (g,)
    if not grad_state.enabled:  # a first derivative only: in NumPy, one kernel
        return (CUMPROD_GRAD.apply((g, a), (g._data, a._data, out._data), (), {"dim": d}),)
    # Differentiable again, and exact with zeros: row k of ``e`` is a with a_k replaced by 1, so
    # its running product at j >= k is the product of the others; sum g_j times it over j >= k.
    x, gx = S.movedim(a, d, -1), S.movedim(g, d, -1)
    n = x.shape[-1]
    e = SEL.where(eye(n, dtype=bool), 1.0, S.unsqueeze(x, -2))
    upper = ones(n, n, dtype=a.dtype).triu()
    grad = R.sum(cumprod(e, -1) * upper * S.unsqueeze(gx, -2), -1)
    return (S.movedim(grad, -1, d),)


def _cumprod_grad_kernel(g, a, out, dim):
    """`da_k = sum_{j>=k} g_j prod_{i<=j, i!=k} a_i`: by division where no running product is
    zero (or underflows) and no a_k is tiny, else by the products of the others."""
    with np.errstate(all="ignore"):
        if not (out == 0).any() and not (np.abs(a) < 1e-100).any():
            rev = np.flip(np.cumsum(np.flip(g * out, dim), dim), dim)
            return (rev / a).astype(out.dtype, copy=False)
        x, gx = np.moveaxis(a, dim, -1), np.moveaxis(g, dim, -1)
        n = x.shape[-1]
        e = np.where(np.eye(n, dtype=bool), x.dtype.type(1), x[..., None, :])
        upper = np.triu(np.ones((n, n), x.dtype))
        grad = np.sum(np.cumprod(e, -1) * upper * gx[..., None, :], -1)
    return np.ascontiguousarray(np.moveaxis(grad, -1, dim))


CUMPROD = Primitive("Cumprod", _cumprod_kernel, _cumprod_backward)
# Without create_graph only (its own gradient is the composite above).
CUMPROD_GRAD = Primitive("CumprodBackward", _cumprod_grad_kernel)


def _cum_extreme(a, dim, name, result, prim):
    a = as_tensor(a, name)
    d = one_dim(dim, a.ndim, name)
    values, idx = prim.compute((a,), (a._data,), {"dim": d})
    out, indices = wrap(values), wrap(idx)
    # PyTorch saves self and the returned indices: changing either in place is an error.
    prim.record((out, None), (a,), (a, indices, d), {"dim": d})
    return result(out, indices)


def _cum_extreme_kernel(x, dim, better):
    """Running extreme along dim and its index: ``better(new, old)`` takes the new element (so
    ties take the last one with ``>=``/``<=``); a NaN takes over and stays."""
    if x.ndim == 0:
        return x.copy(), np.zeros((), np.int64)
    x = np.moveaxis(x, dim, 0)
    values, idx = np.empty_like(x), np.zeros(x.shape, np.int64)
    for i in range(x.shape[0]):
        if i == 0:
            values[0] = x[0]
            continue
        take = better(x[i], values[i - 1])
        if x.dtype.kind == "f":
            prev_nan = np.isnan(values[i - 1])
            take = np.isnan(x[i]) | (~prev_nan & take)
        values[i] = np.where(take, x[i], values[i - 1])
        idx[i] = np.where(take, i, idx[i - 1])
    values, idx = np.moveaxis(values, 0, dim), np.moveaxis(idx, 0, dim)
    return np.ascontiguousarray(values), np.ascontiguousarray(idx)


# Module-level kernels (not made by a factory at import), so each is one function to test.
def _cummax_kernel(x, dim):
    return _cum_extreme_kernel(x, dim, np.greater_equal)


def _cummin_kernel(x, dim):
    return _cum_extreme_kernel(x, dim, np.less_equal)


def _cum_extreme_backward(gs, a, indices, d):
    """da = zeros with g added at the running extreme's index"""
    g = gs[0]
    if a.ndim == 0:
        return (g,)
    return (G.scatter_add(zeros_of(a.shape, g._data.dtype), d, indices, g),)


CUMMAX = Primitive("Cummax", _cummax_kernel, _cum_extreme_backward, multi=True)
CUMMIN = Primitive("Cummin", _cummin_kernel, _cum_extreme_backward, multi=True)


def cummax(input, dim):
    """f(a) = (running max along dim, its index; the last one of ties);  da = g added there"""
    a = input
    return _cum_extreme(a, dim, "cummax", cummax_result, CUMMAX)


def cummin(input, dim):
    """f(a) = (running min along dim, its index; the last one of ties);  da = g added there"""
    a = input
    return _cum_extreme(a, dim, "cummin", cummin_result, CUMMIN)


def logcumsumexp(input, dim):
    """f(a)_j = log sum_{i<=j} exp(a_i);  da_k = sum_{j>=k} g_j exp(a_k - f_j)"""
    a = as_tensor(input, "logcumsumexp")
    d = one_dim(dim, a.ndim, "logcumsumexp")  # the dim first, as PyTorch
    check_float(a, "logcumsumexp", NotImplementedError)  # PyTorch's class
    return LOGCUMSUMEXP.apply((a,), (a._data,), (a, OUT, d), {"dim": d})


def _logcumsumexp_kernel(x, dim):
    with np.errstate(invalid="ignore"):  # inf and -inf give NaN, quietly
        return x.copy() if x.ndim == 0 else np.logaddexp.accumulate(x, axis=dim)


def _logcumsumexp_backward(g, a, out, d):
    if a.ndim == 0:
        return (g,)
    # In log space, positive and negative parts of g apart, so nothing overflows.
    lg = EL.log(UN.abs(SEL.where(CMP.eq(g, 0.0), 1.0, g))) - out
    pos = SEL.where(g > 0, lg, -np.inf)
    neg = SEL.where(g < 0, lg, -np.inf)
    rpos = RA.flip(logcumsumexp(RA.flip(pos, d), d), d)
    rneg = RA.flip(logcumsumexp(RA.flip(neg, d), d), d)
    return (EL.exp(rpos + a) - EL.exp(rneg + a),)


LOGCUMSUMEXP = Primitive("Logcumsumexp", _logcumsumexp_kernel, _logcumsumexp_backward)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """f(a) = a[1:] - a[:-1] along dim, n times (after prepending/appending)"""
    a = as_tensor(input, "diff")
    if a.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = one_dim(dim, a.ndim, "diff")
    if n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    if n == 0:  # the input alone, as PyTorch (prepend and append are not joined)
        return S.clone(a)
    parts = [as_tensor(t, "diff") for t in (prepend, a, append) if t is not None]
    parts = [S.unsqueeze(t, d) if t.ndim == 0 else t for t in parts]
    x = J.cat(parts, d) if len(parts) > 1 else a
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = S.narrow(x, d, 1, m - 1), S.narrow(x, d, 0, m - 1)
        x = CMP.logical_xor(hi, lo) if x._data.dtype == np.bool_ else hi - lo
    return x


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along dim: sum of (x_{i+1} - x_i) (y_i + y_{i+1}) / 2"""
    y = as_tensor(y, "trapezoid")
    d = one_dim(dim, y.ndim, "trapezoid")
    n = y.shape[d]
    if n == 0:
        return R.sum(y, d) * 1.0
    mids = (S.narrow(y, d, 1, n - 1) + S.narrow(y, d, 0, n - 1)) / 2
    return R.sum(mids * _spacing(x, dx, y, d), d)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid rule along dim (one element fewer than y)"""
    y = as_tensor(y, "cumulative_trapezoid")
    d = one_dim(dim, y.ndim, "cumulative_trapezoid")
    n = y.shape[d]
    if n == 0:
        return y * 1.0
    mids = (S.narrow(y, d, 1, n - 1) + S.narrow(y, d, 0, n - 1)) / 2
    return R.cumsum(mids * _spacing(x, dx, y, d), d)


def _spacing(x, dx, y, d):
    if x is None:
        return 1.0 if dx is None else dx
    if isinstance(x, (int, float)):
        return x
    x = as_tensor(x, "trapezoid")
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(
                f"trapezoid: x of shape {tuple(x.shape)} must have as many points as y "
                f"{tuple(y.shape)} has along dim {d}"
            )
        step = diff(x)
        return S.reshape(step, (-1,) + (1,) * (y.ndim - 1 - d))
    return diff(x, dim=d)


def _along(t, d, start, stop):
    return I.getitem(t, (slice(None),) * d + (slice(start, stop),))


def _line(x, d, ndim):
    return S.reshape(x, (1,) * d + (-1,) + (1,) * (ndim - d - 1))


def _gradient_uniform(f, d, h, edge_order):
    inner = (_along(f, d, 2, None) - _along(f, d, None, -2)) / (2.0 * h)
    f0, f1, f2 = (_along(f, d, k, k + 1) for k in range(3))
    l1, l2, l3 = (_along(f, d, -k, None if k == 1 else -k + 1) for k in (1, 2, 3))
    if edge_order == 1:
        lo, hi = (f1 - f0) / h, (l1 - l2) / h
    else:
        lo = (-1.5 * f0 + 2.0 * f1 - 0.5 * f2) / h
        hi = (0.5 * l3 - 2.0 * l2 + 1.5 * l1) / h
    return J.cat([lo, inner, hi], d)


def _gradient_coords(f, d, x, edge_order):
    x = x.to(f.dtype)
    dx = x[1:] - x[:-1]
    a1, a2 = _line(dx[:-1], d, f.ndim), _line(dx[1:], d, f.ndim)
    ca = -a2 / (a1 * (a1 + a2))
    cb = (a2 - a1) / (a1 * a2)
    cc = a1 / (a2 * (a1 + a2))
    mid = _along(f, d, 1, -1)
    inner = ca * _along(f, d, None, -2) + cb * mid + cc * _along(f, d, 2, None)
    f0, f1, f2 = (_along(f, d, k, k + 1) for k in range(3))
    l1, l2, l3 = (_along(f, d, -k, None if k == 1 else -k + 1) for k in (1, 2, 3))
    if edge_order == 1:
        lo, hi = (f1 - f0) / dx[0], (l1 - l2) / dx[-1]
    else:
        h1, h2 = dx[0], dx[1]
        lo = (
            -(2.0 * h1 + h2) / (h1 * (h1 + h2)) * f0
            + (h1 + h2) / (h1 * h2) * f1
            - h1 / (h2 * (h1 + h2)) * f2
        )
        h1, h2 = dx[-2], dx[-1]
        hi = (
            h2 / (h1 * (h1 + h2)) * l3
            - (h2 + h1) / (h1 * h2) * l2
            + (2.0 * h2 + h1) / (h2 * (h1 + h2)) * l1
        )
    return J.cat([lo, inner, hi], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):  # noqa: A002
    """The derivative of samples along each dim, by second-order central differences inside
    and first/second-order one-sided ones at the ends (numpy.gradient); a tuple, one per dim"""
    f = as_tensor(input, "gradient")
    if f._data.dtype.kind != "f":
        f = f.to(get_default_dtype())
    if edge_order not in (1, 2):
        raise RuntimeError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    if f.ndim == 0:
        raise RuntimeError("gradient: input needs at least 1 dimension, got a 0-d tensor")
    if dim is None:
        dims = list(range(f.ndim))
    else:
        dims = [one_dim(k, f.ndim, "gradient") for k in ((dim,) if isinstance(dim, int) else dim)]
    scalar = isinstance(spacing, (int, float)) and not isinstance(spacing, bool)
    if scalar or (isinstance(spacing, TensorBase) and spacing.ndim == 0):
        spaces = [spacing] * len(dims)  # a 0-d tensor is a scalar spacing too, as in PyTorch
    else:
        spaces = list(spacing)  # one per dim, as PyTorch (it does not repeat a list of one)
        if len(spaces) != len(dims):
            raise RuntimeError(
                f"gradient: expected spacing to be unspecified, a scalar or a list of length "
                f"{len(dims)} (one per dim), got a list of length {len(spaces)}"
            )
    out = []
    for d, h in zip(dims, spaces):
        if f.shape[d] < edge_order + 1:
            raise RuntimeError(
                f"gradient: expected each dimension size to be at least edge_order+1 = "
                f"{edge_order + 1}, got dim {d} of size {f.shape[d]} (shape {tuple(f.shape)})"
            )
        if isinstance(h, TensorBase) and h.ndim > 0:
            if h.ndim != 1 or h.shape[0] != f.shape[d]:
                raise RuntimeError(
                    f"gradient: the coordinates for dim {d} must be a 1-D tensor of "
                    f"{f.shape[d]} elements, got shape {tuple(h.shape)}"
                )
            out.append(_gradient_coords(f, d, h, edge_order))
        else:
            # A 0-d tensor spacing stays a tensor (its value never reaches Python), no gradient.
            h = h.detach().to(f.dtype) if isinstance(h, TensorBase) else float(h)
            out.append(_gradient_uniform(f, d, h, edge_order))
    return tuple(out)


trapz = trapezoid
