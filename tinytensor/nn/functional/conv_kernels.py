"""The convolution's NumPy kernels: padding, the strided window view (im2col's source), col2im,
and the kernels of the convolution and of its input gradient, each written once in the form
that writes into given arrays (``into``: ``None`` makes the array here, as eager does; a
compiled replay passes the buffers it reuses, ``tinytensor.compiler.buffers``).

Large temporaries are worked on about ``CACHE_BYTES`` at a time, while they are in the cache.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

CACHE_BYTES = 1 << 20  # about how many bytes of columns a kernel works on at a time


def pad_nd(x, p, value=0.0):
    """Pad the last len(p) axes of an array by p[i] on both sides."""
    if not any(p):
        return x
    nd = len(p)
    sp = x.shape[-nd:]
    out = np.full((*x.shape[:-nd], *(n + 2 * q for n, q in zip(sp, p))), value, dtype=x.dtype)
    out[(Ellipsis, *(slice(q, q + n) for n, q in zip(sp, p)))] = x
    return out


def windows(xp, k, s, d, o):
    """Read-only strided view `(N, C, *k, *o)` of the windows of a padded array."""
    st = xp.strides
    nd = len(k)
    return as_strided(
        xp,
        (*xp.shape[:2], *k, *o),
        (
            st[0],
            st[1],
            *(st[2 + i] * d[i] for i in range(nd)),
            *(st[2 + i] * s[i] for i in range(nd)),
        ),
        writeable=False,
    )


def col2im(cols, padded, k, s, d, p):
    """Sum `(N, C, *k, *o)` window values back onto the (unpadded) image they came from."""
    n, c = cols.shape[:2]
    nd = len(k)
    o = cols.shape[2 + nd :]
    if (
        tuple(k) == tuple(s)
        and set(d) == {1}
        and tuple(padded) == tuple(a * b for a, b in zip(k, o))
    ):
        # Non-overlapping windows tiling the image: a pure transpose.
        axes = (0, 1, *itertools.chain(*((2 + nd + i, 2 + i) for i in range(nd))))
        out = cols.transpose(axes).reshape(n, c, *padded)
    else:
        out = np.zeros((n, c, *padded), dtype=cols.dtype)
        for offs in itertools.product(*(range(kk) for kk in k)):
            sl = tuple(
                slice(i * d[a], i * d[a] + s[a] * (o[a] - 1) + 1, s[a]) for a, i in enumerate(offs)
            )
            out[(slice(None), slice(None), *sl)] += cols[(slice(None), slice(None), *offs)]
    if any(p):
        out = out[(slice(None), slice(None), *(slice(q, q + m - 2 * q) for q, m in zip(p, padded)))]
    return out


def conv_kernel(xd, wd, bd, *, geo):
    """(convolution, im2col matrix): see ``conv_into``."""
    return conv_into((None, None), xd, wd, bd, geo=geo)


def conv_into(outs, xd, wd, bd, *, geo):
    """(convolution, im2col matrix): weights @ each sample's columns, + bias in place, written
    into ``outs`` (None each: made here). Columns are copied a few samples at a time and
    multiplied while in the cache: the same products (and bits) as one batched matmul after
    the whole copy, ~10% faster on W4 (measured)."""
    n, o, nd = geo.x[0], geo.w[0], len(geo.k)
    view = windows(pad_nd(xd, geo.p), geo.k, geo.s, geo.d, geo.o)
    out_buf, cols_buf = outs
    cols = np.empty(view.shape, view.dtype) if cols_buf is None else cols_buf.reshape(view.shape)
    flat = cols.reshape(n, geo.g, geo.x[1] // geo.g * math.prod(geo.k), math.prod(geo.o))
    shape = (n, geo.g, o // geo.g, flat.shape[3])
    out = np.empty(shape, cols.dtype) if out_buf is None else out_buf.reshape(shape)
    wmat = geo.wmat(wd)
    step = max(1, CACHE_BYTES // max(1, flat[:1].nbytes))
    for s0 in range(0, n, step):
        np.copyto(cols[s0 : s0 + step], view[s0 : s0 + step])
        np.matmul(wmat, flat[s0 : s0 + step], out=out[s0 : s0 + step])
    out = out.reshape(n, o, *geo.o)
    if bd is not None:
        out += bd.reshape(1, o, *(1,) * nd)
    return (out if out_buf is None else out_buf), (flat if cols_buf is None else cols_buf)


def input_grad_kernel(gd, wd, g2, *, geo):
    """The convolution's input gradient: see ``input_grad_into``."""
    return input_grad_into(None, gd, wd, g2, geo=geo)


def input_grad_into(out, gd, wd, g2, *, geo):
    """The convolution's input gradient (the transposed convolution of ``gd`` by ``wd``; ``g2``
    is ``gd`` as ``geo.gmat`` lays it out, or None), written into ``out`` (None: made here)."""
    if len(geo.k) == 2 and geo.s == (1, 1) and geo.g == 1:
        return _input_grad_rows(out, gd, wd, geo)
    g2 = geo.gmat(gd) if g2 is None else g2
    dcols = np.matmul(geo.wmat(wd).transpose(0, 2, 1), g2)  # (N, G, C/G*prod(k), prod(o))
    n, c = geo.x[:2]
    dcols = dcols.reshape(n, c, *geo.k, *geo.o)
    return add_windows(dcols, tuple(geo.x[2:]), geo.k, geo.s, geo.d, geo.p, out)


def _input_grad_rows(out, gd, wd, geo):
    """The input gradient of a stride-1, one-group 2-D convolution, with col2im as long
    contiguous adds. Each sample's padded image is one flat row of ``Hp*Wp`` numbers; the
    gradient, widened with zero columns to the padded width, makes every kernel offset's column
    block a run that lands on that row shifted by ``i*dh*Wp + j*dw`` (the zero columns add
    nothing). The same sums in the same order per element as ``add_windows``; written into
    ``out`` (None: made here)."""
    n, c, h, w = geo.x
    o, (kh, kw), (dh, dw), (ph, pw), (oh, ow) = geo.w[0], geo.k, geo.d, geo.p, geo.o
    hp, wp = h + 2 * ph, w + 2 * pw
    wt = wd.transpose(2, 3, 1, 0).reshape(kh * kw * c, o)  # rows (i, j, channel)
    run = oh * wp
    out = np.empty((n, c, h, w), gd.dtype) if out is None else out
    # A few samples at a time (about 1 MiB of products), each block's widened gradient,
    # products, sums and image made and used while in the cache (~1.3 ms of 4.5 on W4's conv2
    # was the adds reading products from memory). The zero columns of ``wide`` stay zero.
    step = max(1, CACHE_BYTES // (wt.shape[0] * run * gd.itemsize))
    m0 = min(step, n)
    wide = np.zeros((m0, o, oh, wp), dtype=gd.dtype)
    flat = np.empty((m0, c, hp * wp + dw * (kw - 1)), dtype=gd.dtype)
    space = np.empty((m0, wt.shape[0], run), gd.dtype)  # one block's products
    for s0 in range(0, n, step):
        m = min(step, n - s0)
        wide[:m, :, :, :ow] = gd[s0 : s0 + m]
        rows = flat[:m]
        rows.fill(0)
        blocks = np.matmul(wt, wide[:m].reshape(m, o, run), out=space[:m])
        for i in range(kh):
            for j in range(kw):
                at, b = i * dh * wp + j * dw, (i * kw + j) * c
                rows[:, :, at : at + run] += blocks[:, b : b + c]
        image = rows[:, :, : hp * wp].reshape(m, c, hp, wp)
        np.copyto(out[s0 : s0 + m], image[:, :, ph : ph + h, pw : pw + w])
    return out


def add_windows(cols, size, k, s, d, p, out=None):
    """col2im straight onto the unpadded image: `(N, C, *k, *o)` window values summed into
    `(N, C, *size)`, one strided add of the whole batch per kernel offset, each clipped to
    the part of the window that lies inside the image (the padding is never materialised).
    ``out``: the array to sum into (C order, of that shape), or None for a new one."""
    o = cols.shape[2 + len(k) :]
    if out is None:
        out = np.zeros((*cols.shape[:2], *size), dtype=cols.dtype)
    else:
        out.fill(0)
    for offs in itertools.product(*(range(kk) for kk in k)):
        dst, src = [slice(None)] * 2, [slice(None), slice(None), *offs]
        for a, j in enumerate(offs):
            first = j * d[a] - p[a]  # image position of output 0 at this offset
            lo = max(0, -(first // s[a]))  # first output whose position is >= 0
            hi = min(o[a], (size[a] - 1 - first) // s[a] + 1)
            if hi <= lo:
                break
            start = lo * s[a] + first
            dst.append(slice(start, start + (hi - lo - 1) * s[a] + 1, s[a]))
            src.append(slice(lo, hi))
        else:
            out[tuple(dst)] += cols[tuple(src)]
    return out
