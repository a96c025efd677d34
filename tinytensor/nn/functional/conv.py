"""Convolution as ``unfold`` (im2col) + one batched matmul, in NCHW.

``unfold`` copies every sliding window into the columns of a matrix through a strided view
(no loops over pixels or batch items); ``fold`` is its adjoint (it sums the columns back,
looping only over the kh*kw kernel offsets). Each is the other's backward, so
``conv2d = matmul(weight, unfold(x))`` is differentiable to any order.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tinytensor.autograd.node import record
from tinytensor.nn.functional._util import float_input, pair, same_dtype
from tinytensor.tensor import _wrap


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
    return record(
        _wrap(cols),
        "Im2Col",
        (x,),
        lambda g, out: (fold(g, (h, w), k, d, p, s),),
    )


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
    return record(
        _wrap(col2im(cols, padded, k, s, d, p)),
        "Col2Im",
        (x,),
        lambda g, out: (unfold(g, k, d, p, s),),
    )


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """f(x, w, b) = cross-correlation of x (N, C, H, W) with w (O, C/groups, kh, kw), plus b.

    Computed as ``w.reshape(G, O/G, C/G*kh*kw) @ unfold(x)`` per group, so the gradients are
    the matmul's and unfold's: dw = g @ cols^T summed over the batch, dx = fold(w^T @ g).
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
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
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
    cols = unfold(x, (kh, kw), dilation, padding, stride)
    _, _, _, _, (oh, ow) = _geometry(x.shape, (kh, kw), dilation, padding, stride, "conv2d")
    if groups == 1:
        out = w.reshape(o, cg * kh * kw).matmul(cols)
    else:
        wg = w.reshape(groups, o // groups, cg * kh * kw)
        out = wg.matmul(cols.reshape(n, groups, cg * kh * kw, oh * ow))
    out = out.reshape(n, o, oh, ow)
    if bias is not None:
        out = out + bias.reshape(1, o, 1, 1)
    return out


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
    from tinytensor.ops.shape import pad

    # Odd total padding: the extra row/column goes at the end, as in PyTorch.
    return pad(x, (lo[1], total[1] - lo[1], lo[0], total[0] - lo[0])), 0
