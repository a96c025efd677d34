"""Average pooling over 1, 2 or 3 spatial dims (fixed, adaptive and power-average windows).

Average pooling, adaptive or not, is separable: one small banded matrix per axis, so its
backward is the same op with the matrices transposed (``separable``, which interpolation uses
too). The matrices are read-only constants of the shapes; the op is one primitive per name.
"""

from __future__ import annotations

import math

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.nn.functional._util import float_input
from tinytensor.nn.functional.pooling import (
    _adaptive_bounds,
    _check_nd,
    _output_size,
    _pool_args,
)
from tinytensor.nn.functional.windowing import ntuple


def _avg_matrix(size, k, s, p, o, count_include_pad):
    """(o, size) matrix whose row i averages window i along one axis (padding excluded from
    the sum; included in the divisor when count_include_pad)."""
    m = np.zeros((o, size), dtype=np.float64)
    for i in range(o):  # one row per output position along this axis, not per pixel
        start = i * s - p
        end = min(start + k, size + p)
        lo, hi = max(start, 0), min(end, size)
        m[i, lo:hi] = 1.0 / ((end - start) if count_include_pad else max(hi - lo, 1))
    return m


def _avg_pool(x, nd, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor, who):
    x = float_input(x, who)
    _check_nd(x, nd, who)
    k, s, p, _, o = _pool_args(x, nd, kernel_size, stride, padding, 1, ceil_mode, who)
    sp = x.shape[-nd:]
    mats = [_avg_matrix(sp[i], k[i], s[i], p[i], o[i], count_include_pad) for i in range(nd)]
    if divisor is not None:
        if divisor <= 0:
            raise ValueError(f"{who}: divisor_override must be positive, got {divisor}")
        mats = [(m > 0).astype(np.float64) for m in mats]
        mats[0] = mats[0] / float(divisor)
    return separable(x, mats, f"AvgPool{nd}D")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):  # fmt: skip
    """f(x) = mean over each window of (N, C, L) = x @ A^T;  dx = g @ A"""
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                     "avg_pool1d")  # fmt: skip


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):  # fmt: skip
    """f(x) = mean over each window = A_h @ x @ A_w^T;  dx = A_h^T @ g @ A_w"""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool2d")  # fmt: skip


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):  # fmt: skip
    """f(x) = mean over each window, one averaging matrix per axis;  dx = transposed matrices"""
    return _avg_pool(input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool3d")  # fmt: skip


def separable(x, mats, name="Separable", save_input=True):
    """f(x) = x multiplied along each of its last len(mats) axes by mats[i] (o_i, n_i);
    dx = the same with the transposed matrices. Average pooling and interpolation are this.
    ``save_input``: keep x for the in-place check, as PyTorch's pools do (its upsampling
    saves only sizes, so changing its input in place afterwards is allowed)."""
    dt = x._data.dtype
    ts = []
    for m in mats:
        m = np.array(m, dtype=dt)  # a fresh array: read-only, a constant of the program
        m.flags.writeable = False
        ts.append(wrap(m))
    return _separable(x, tuple(ts), name, x if save_input else None)


def _separable(x, ts, name, keep, transposed=False):
    # x is saved (unread) as PyTorch saves it, so changing it in place raises.
    # Node attrs: the matrices, constants an exporter multiplies by (also saved).
    return _separable_prim(name).apply(
        (x,),
        (x._data, *[t._data for t in ts]),
        (keep, ts, name, transposed),
        {"transposed": transposed},
        {"matrices": ts, "transposed": True} if transposed else {"matrices": ts},
    )


def _separable_kernel(y, *mats, transposed):
    nd = len(mats)
    for i, m in enumerate(mats):
        axis = y.ndim - nd + i
        y = np.moveaxis(np.moveaxis(y, axis, -1) @ (m if transposed else m.T), -1, axis)
    return np.ascontiguousarray(y)


def _separable_backward(g, x, ts, name, transposed):
    return (_separable(g, ts, name + "Backward", None, not transposed),)


_SEPARABLE = {}


def _separable_prim(name):
    """The primitive of one separable op by its node name (made once per name)."""
    prim = _SEPARABLE.get(name)
    if prim is None:
        prim = _SEPARABLE[name] = Primitive(name, _separable_kernel, _separable_backward)
    return prim


for _name in ("AvgPool1D", "AvgPool2D", "AvgPool3D", "AdaptiveAvgPool1D", "AdaptiveAvgPool2D",
              "AdaptiveAvgPool3D", "Upsample"):  # fmt: skip
    _separable_prim(_name)
    _separable_prim(_name + "Backward")


def _adaptive_matrix(size, o):
    m = np.zeros((o, size), dtype=np.float64)
    lo, hi = _adaptive_bounds(size, o)
    for i in range(o):
        m[i, lo[i] : hi[i]] = 1.0 / (hi[i] - lo[i])
    return m


def _adaptive_avg_pool(input, output_size, nd):
    who = f"adaptive_avg_pool{nd}d"
    x = float_input(input, who)
    _check_nd(x, nd, who)
    sp = x.shape[-nd:]
    o = _output_size(output_size, sp, nd, who)
    if o == (1,) * nd:
        # as PyTorch: a mean, which saves no tensor
        return x.mean(tuple(range(-nd, 0)), keepdim=True)
    return separable(x, [_adaptive_matrix(sp[i], o[i]) for i in range(nd)], f"AdaptiveAvgPool{nd}D")


def adaptive_avg_pool1d(input, output_size):
    """`f(x) = mean` over adaptive windows `[floor(i*L/o), ceil((i+1)*L/o)`);  linear"""
    return _adaptive_avg_pool(input, output_size, 1)


def adaptive_avg_pool2d(input, output_size):
    """`f(x) = mean` over adaptive windows `[floor(i*H/o), ceil((i+1)*H/o)`);  linear, via matmul"""
    return _adaptive_avg_pool(input, output_size, 2)


def adaptive_avg_pool3d(input, output_size):
    """f(x) = mean over adaptive windows per axis;  linear, via one matrix per axis"""
    return _adaptive_avg_pool(input, output_size, 3)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd):
    who = f"lp_pool{nd}d"
    x = float_input(input, who)
    k = ntuple(kernel_size, nd, "kernel_size", who)
    pooled = _avg_pool(x.pow(norm_type), nd, k, stride, 0, ceil_mode, True, None, who)
    # PyTorch's formula: sign(out) * relu(|out|) * prod(k), then the 1/p power.
    return (pooled.sign() * pooled.abs().relu()).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """f(x) = (sum over each window of x^p)^(1/p)"""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """f(x) = (sum over each window of x^p)^(1/p)"""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """f(x) = (sum over each window of x^p)^(1/p)"""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)
