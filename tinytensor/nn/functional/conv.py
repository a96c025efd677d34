"""Convolution in NCHW as im2col + one matmul per group, and ``unfold``/``fold``.

im2col copies every sliding window into the columns of a matrix through one strided view (no
loops over pixels or batch items); col2im, its adjoint, sums columns back and loops only over
the kh*kw kernel offsets. conv2d, its input gradient and its weight gradient are three
recorded ops whose backwards are written in terms of each other, so every order of gradient
works; ``unfold`` and ``fold`` are likewise each other's backward.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tinytensor.autograd.node import record
from tinytensor.core import wrap
from tinytensor.nn.functional._util import float_input, pair, same_dtype
from tinytensor.ops._util import requires_grad as _rg
from tinytensor.ops.shape import pad


def out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def pad_hw(x, ph, pw, value=0.0):
    """Pad the last two axes of an array by (ph, pw) on both sides."""
    if not ph and not pw:
        return x
    *lead, h, w = x.shape
    out = np.full((*lead, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    out[..., ph : ph + h, pw : pw + w] = x
    return out


def windows(xp, k, s, d, o):
    """Read-only strided view (N, C, kh, kw, oh, ow) of the windows of a padded array."""
    n, c = xp.shape[:2]
    s0, s1, s2, s3 = xp.strides
    return as_strided(
        xp,
        (n, c, k[0], k[1], o[0], o[1]),
        (s0, s1, s2 * d[0], s3 * d[1], s2 * s[0], s3 * s[1]),
        writeable=False,
    )


def col2im(cols, padded_hw, k, s, d, p):
    """Sum (N, C, kh, kw, oh, ow) window values back onto the (unpadded) image they came from."""
    n, c, kh, kw, oh, ow = cols.shape
    hp, wp = padded_hw
    if (kh, kw) == s and d == (1, 1) and (kh * oh, kw * ow) == (hp, wp):
        # Non-overlapping windows tiling the image: a pure transpose.
        out = cols.transpose(0, 1, 4, 2, 5, 3).reshape(n, c, hp, wp)
    else:
        out = np.zeros((n, c, hp, wp), dtype=cols.dtype)
        hspan, wspan = s[0] * (oh - 1) + 1, s[1] * (ow - 1) + 1
        for i in range(kh):
            for j in range(kw):
                r, q = i * d[0], j * d[1]
                out[:, :, r : r + hspan : s[0], q : q + wspan : s[1]] += cols[:, :, i, j]
    if p != (0, 0):
        out = out[:, :, p[0] : hp - p[0], p[1] : wp - p[1]]
    return out


def _geometry(x_shape, kernel_size, dilation, padding, stride, who):
    k = pair(kernel_size, "kernel_size", who)
    d = pair(dilation, "dilation", who)
    p = pair(padding, "padding", who)
    s = pair(stride, "stride", who)
    if min(k) < 1 or min(d) < 1 or min(s) < 1 or min(p) < 0:
        raise ValueError(
            f"{who}: kernel_size, dilation and stride must be positive and padding non-negative, "
            f"got kernel_size={k}, dilation={d}, stride={s}, padding={p}"
        )
    h, w = x_shape[-2:]
    o = (out_size(h, k[0], s[0], p[0], d[0]), out_size(w, k[1], s[1], p[1], d[1]))
    if o[0] < 1 or o[1] < 1:
        eff = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
        raise RuntimeError(
            f"{who}: the (dilated) kernel {eff} is larger than the padded input "
            f"({h + 2 * p[0]}, {w + 2 * p[1]}); use a smaller kernel or more padding"
        )
    return k, d, p, s, o


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """f(x) = columns of sliding windows, (N, C*kh*kw, L);  dx = fold(g)"""
    x = float_input(input, "unfold")
    if x.ndim not in (3, 4):
        raise RuntimeError(f"unfold: expected a 3-D or 4-D input (N, C, H, W), got {x.shape}")
    if x.ndim == 3:
        return unfold(x.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    k, d, p, s, o = _geometry(x.shape, kernel_size, dilation, padding, stride, "unfold")
    n, c, h, w = x.shape
    xp = pad_hw(x._data, *p)
    cols = windows(xp, k, s, d, o).reshape(n, c * k[0] * k[1], o[0] * o[1])
    return record(wrap(cols), "Im2Col", (x,), _unfold_backward, ((h, w), k, d, p, s))


def _unfold_backward(g, size, k, d, p, s):
    return (fold(g, size, k, d, p, s),)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """f(cols) = window columns summed back onto the image (unfold's adjoint);  dcols = unfold(g)"""
    x = float_input(input, "fold")
    if x.ndim not in (2, 3):
        raise RuntimeError(f"fold: expected a 2-D or 3-D input (N, C*kh*kw, L), got {x.shape}")
    if x.ndim == 2:
        return fold(x.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    size = pair(output_size, "output_size", "fold")
    k, d, p, s, o = _geometry(size, kernel_size, dilation, padding, stride, "fold")
    n, ckk, length = x.shape
    if ckk % (k[0] * k[1]) or length != o[0] * o[1]:
        raise RuntimeError(
            f"fold: input of shape {tuple(x.shape)} does not match kernel {k} and output size "
            f"{size}: expected (N, C*{k[0] * k[1]}, {o[0] * o[1]})"
        )
    c = ckk // (k[0] * k[1])
    cols = x._data.reshape(n, c, k[0], k[1], o[0], o[1])
    padded = (size[0] + 2 * p[0], size[1] + 2 * p[1])
    out = col2im(cols, padded, k, s, d, p)
    return record(wrap(out), "Col2Im", (x,), _fold_backward, (k, d, p, s))


def _fold_backward(g, k, d, p, s):
    return (unfold(g, k, d, p, s),)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """f(x, w, b) = cross-correlation of x (N, C, H, W) with w (O, C/groups, kh, kw), plus b.

    Computed as one matmul per group between the weights and the im2col matrix of x; the
    gradients are two more matmuls (dw = g @ cols^T, dx = col2im(w^T @ g)) plus db = sum(g).
    ``padding`` may be an int, a pair, ``"valid"`` or ``"same"`` (stride 1).
    """
    x = float_input(input, "conv2d")
    w = float_input(weight, "conv2d", "weight")
    if w.ndim != 4:
        raise RuntimeError(f"conv2d: weight must be 4-D (out, in/groups, kh, kw), got {w.shape}")
    if x.ndim == 3:
        return conv2d(x.unsqueeze(0), w, bias, stride, padding, dilation, groups).squeeze(0)
    if x.ndim != 4:
        raise RuntimeError(
            f"conv2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}"
        )
    if bias is not None:
        bias = float_input(bias, "conv2d", "bias")
    same_dtype("conv2d", input=x, weight=w, bias=bias)
    c, (o, cg, kh, kw) = x.shape[1], w.shape
    if not isinstance(groups, int) or groups < 1 or c % groups or o % groups:
        raise RuntimeError(
            f"conv2d: groups={groups!r} must be a positive int dividing both in_channels ({c}) "
            f"and out_channels ({o})"
        )
    if cg * groups != c:
        raise RuntimeError(
            f"conv2d: weight of shape {tuple(w.shape)} with groups={groups} expects input with "
            f"{cg * groups} channels, but got input of shape {tuple(x.shape)}"
        )
    if bias is not None and bias.shape != (o,):
        raise RuntimeError(f"conv2d: bias must have shape ({o},), got {tuple(bias.shape)}")
    if isinstance(padding, str):
        x, padding = _string_padding(x, padding, stride, dilation, (kh, kw))
    k, d, p, s, out_hw = _geometry(x.shape, (kh, kw), dilation, padding, stride, "conv2d")
    return _conv(x, w, bias, _Geom(x.shape, w.shape, k, s, p, d, groups, out_hw))


class _Geom:
    """Everything about one convolution's shapes: input, weight, kernel, stride, padding,
    dilation, groups and output size."""

    __slots__ = ("x", "w", "k", "s", "p", "d", "g", "o")

    def __init__(self, x, w, k, s, p, d, g, o):
        self.x, self.w, self.k, self.s, self.p, self.d, self.g, self.o = x, w, k, s, p, d, g, o

    def cols(self, xd):
        """im2col: (G, C/G*kh*kw, N*oh*ow), one contiguous copy through a strided view."""
        n, c = self.x[:2]
        view = windows(pad_hw(xd, *self.p), self.k, self.s, self.d, self.o)
        view = view.transpose(1, 2, 3, 0, 4, 5)  # (C, kh, kw, N, oh, ow)
        return view.reshape(self.g, -1, n * self.o[0] * self.o[1])

    def wmat(self, wd):
        return wd.reshape(self.g, self.w[0] // self.g, -1)

    def gmat(self, gd):
        """Output gradient (N, O, oh, ow) as (G, O/G, N*oh*ow)."""
        return np.ascontiguousarray(gd.transpose(1, 0, 2, 3)).reshape(
            self.g, self.w[0] // self.g, -1
        )


def _conv(x, w, bias, geo):
    """f(x, w, b) = conv2d;  dx = input_grad(g, w),  dw = weight_grad(x, g),  db = sum(g)"""
    cols = geo.cols(x._data)
    n, o = geo.x[0], geo.w[0]
    prod = np.matmul(geo.wmat(w._data), cols).reshape(o, n, *geo.o).transpose(1, 0, 2, 3)
    out = np.empty((n, o, *geo.o), dtype=prod.dtype)
    if bias is None:
        np.copyto(out, prod)
    else:
        np.add(prod, bias._data.reshape(1, o, 1, 1), out=out)

    # PyTorch saves input and weight whatever needs a gradient, so changing either in place
    # raises; only the gradients asked for are computed (the first layer's input needs none).
    # The im2col matrix is kept for the weight gradient when there is one.
    saved = (x, w, wrap(cols) if _rg(w) else None, geo, (_rg(x), _rg(w), _rg(bias)))
    return record(wrap(out), "Conv2D", (x, w, bias), _conv_backward, saved)


def _conv_backward(g, x, w, cols, geo, needs):
    g2 = geo.gmat(g._data)
    return (
        _input_grad(g, w, geo, g2) if needs[0] else None,
        _weight_grad(x, g, geo, cols._data, g2) if needs[1] else None,
        g.sum((0, 2, 3)) if needs[2] else None,
    )


def _input_grad(g, w, geo, g2=None):
    """f(g, w) = conv2d's input gradient (a transposed convolution);
    dg = conv2d(gg, w),  dw = weight_grad(gg, g)"""
    g2 = geo.gmat(g._data) if g2 is None else g2
    dcols = np.matmul(geo.wmat(w._data).transpose(0, 2, 1), g2)
    n, c = geo.x[:2]
    # Sum the columns back with channels outermost (the layout the matmul produced, so each
    # kernel offset reads one contiguous block), then transpose the image once.
    dcols = dcols.reshape(c, *geo.k, n, *geo.o).transpose(0, 3, 1, 2, 4, 5)
    padded = (geo.x[2] + 2 * geo.p[0], geo.x[3] + 2 * geo.p[1])
    dx = np.ascontiguousarray(
        col2im(dcols, padded, geo.k, geo.s, geo.d, geo.p).transpose(1, 0, 2, 3)
    )
    saved = (g if _rg(w) else None, w if _rg(g) else None, geo)
    return record(wrap(dx), "Conv2DInputGrad", (g, w), _input_grad_backward, saved)


def _input_grad_backward(gg, g, w, geo):
    return (
        None if w is None else _conv(gg, w, None, geo),
        None if g is None else _weight_grad(gg, g, geo),
    )


def _weight_grad(x, g, geo, cols=None, g2=None):
    """f(x, g) = conv2d's weight gradient;  dx = input_grad(g, gw),  dg = conv2d(x, gw)"""
    cols = geo.cols(x._data) if cols is None else cols
    g2 = geo.gmat(g._data) if g2 is None else g2
    dw = np.matmul(g2, cols.transpose(0, 2, 1)).reshape(geo.w)
    saved = (g if _rg(x) else None, x if _rg(g) else None, geo)
    return record(wrap(dw), "Conv2DWeightGrad", (x, g), _weight_grad_backward, saved)


def _weight_grad_backward(gw, g, x, geo):
    return (
        None if g is None else _input_grad(g, gw, geo),
        None if x is None else _conv(x, gw, None, geo),
    )


def _string_padding(x, padding, stride, dilation, k):
    if padding == "valid":
        return x, 0
    if padding != "same":
        raise ValueError(
            f"conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}"
        )
    if pair(stride, "stride", "conv2d") != (1, 1):
        raise ValueError("conv2d: padding='same' is not supported for strided convolutions")
    d = pair(dilation, "dilation", "conv2d")
    total = [d[i] * (k[i] - 1) for i in range(2)]
    lo = [t // 2 for t in total]
    if total[0] % 2 == 0 and total[1] % 2 == 0:
        return x, tuple(lo)
    # Odd total padding: the extra row/column goes at the end, as in PyTorch.
    return pad(x, (lo[1], total[1] - lo[1], lo[0], total[0] - lo[0])), 0
