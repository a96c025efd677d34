"""The max of every pooling window and its argmax, for max pooling's kernels.

``max_over`` is the general pass: one vectorised pass per kernel offset over all windows (a
strided slice of the padded input, or a gather for adaptive windows). ``max_tiles`` is the
common CNN case (``MaxPool2d(2)``: kernel == stride, no padding, no dilation), where the
windows tile the image, as a few long, contiguous NumPy passes: each window row is copied out
once, a row's columns are split into planes, and the maxima are folded pairwise, row after row.
Its results equal ``max_over``'s bit for bit (values and argmax offsets), which the tests check.

A window holding a NaN is left to the general pass (``max_tiles`` returns None), which knows
that a NaN wins. Without NaN the first maximum in row-major window order is the one kept:
within a row a later column takes over only when strictly greater, and so does a later row.

Splitting the columns of a pair (kernel width 2) reads the image as integers twice its
element's width: the low half of each wide integer is the pair's first element and, viewed one
element later, the pair's second (little-endian); both come out in one SIMD cast each. The
gradient goes the other way: each gradient value, widened, is shifted into the half its argmax
column names, or out of the integer (a shift by the full width gives 0 in NumPy) when the
argmax is in another row, so every element of the input-shaped result is written once.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys

import numpy as np


def max_over(x, positions, stride):
    """Max of the array `x (N, C, *spatial)` over windows given per axis as (o, k) input positions;
    returns (values, flat int64 indices), the first maximum winning ties and a NaN winning
    over numbers, as in PyTorch. One vectorised pass per kernel offset: a strided slice of the
    padded input for fixed windows (``stride`` given), a gather for adaptive ones."""
    xd = x
    dt = xd.dtype
    sp = xd.shape[2:]
    ks = [pos.shape[1] for pos in positions]
    real = None  # per axis, which window positions lie in the input: padding never wins
    if stride is not None:
        # Pad with the lowest value as far as any window reaches (ceil_mode may reach further).
        lo = [-min(int(pos.min()), 0) for pos in positions]
        hi = [max(int(pos.max()) + 1, n) for pos, n in zip(positions, sp)]
        xp = xd
        if any(lo) or any(h > n for h, n in zip(hi, sp)):
            real = [(pos >= 0) & (pos < n) for pos, n in zip(positions, sp)]
            low = -np.inf if dt.kind == "f" else np.iinfo(dt).min
            xp = np.full((*xd.shape[:2], *(h + q for h, q in zip(hi, lo))), low, dtype=dt)
            xp[(slice(None), slice(None), *(slice(q, q + n) for q, n in zip(lo, sp)))] = xd

        def view(js):
            return xp[(slice(None), slice(None), *(
                slice(pos[0, j] + q, pos[-1, j] + q + 1, st)
                for pos, j, q, st in zip(positions, js, lo, stride)
            ))]  # fmt: skip
    else:

        def view(js):
            return xd[
                (slice(None), slice(None), *np.ix_(*(p[:, j] for p, j in zip(positions, js))))
            ]

    itype = np.int8 if math.prod(ks) <= 127 else np.int32
    nan = dt.kind == "f" and bool(np.isnan(xd).any())
    out = idx = None
    # A strictly greater value (or a NaN) takes over, so ties keep the first offset. Offsets
    # grow, so "idx = off where taken" is max(idx, taken*off): branch-free. Padding never wins:
    # a window's first real element takes over from it, even one equal to the padding value.
    for off, js in enumerate(itertools.product(*(range(k) for k in ks))):
        v = view(js)
        now = None if real is None else _real_at(real, js)
        if out is None:
            out, idx, seen = v.copy(), np.zeros(v.shape, itype), now
            continue
        take = v > out
        if nan:
            take |= np.isnan(v)
        if now is not None:
            take |= now & ~seen
            seen = seen | now
        np.maximum(out, v, out=out)
        np.maximum(idx, take * itype(off), out=idx)
    return out, idx


def _real_at(real, js):
    """Which windows hold an input element, not padding, at kernel offset js (broadcastable)."""
    shaped = (
        r[:, j].reshape([-1] + [1] * (len(js) - a - 1)) for a, (r, j) in enumerate(zip(real, js))
    )
    return functools.reduce(np.logical_and, shaped)


def flat_indices(idx, positions, sp):
    """The flat index `h*W + w` (PyTorch's) of each window's winning kernel offset."""
    nd = len(positions)
    flat = np.zeros(idx.shape, np.int64)
    for a, (pos, j) in enumerate(
        zip(positions, np.unravel_index(idx, [p.shape[1] for p in positions]))
    ):
        rows = np.arange(pos.shape[0]).reshape([-1 if b == a else 1 for b in range(nd)])
        flat += pos[rows, j] * math.prod(sp[a + 1 :])
    return flat


# element size in bytes -> (integer twice as wide, integer as wide)
_PAIR = {1: (np.uint16, np.uint8), 2: (np.uint32, np.uint16), 4: (np.uint64, np.uint32)}
_LITTLE = sys.byteorder == "little"
# Window rows at least this many windows wide cast their pairs straight out of the input; narrower
# ones are copied out first (per-row overheads win there: W4's 14x14 maps, 8% faster copied).
IN_PLACE_MIN_WIDTH = 10


def tiles(kernel_size, stride, padding, dilation, output_size, size):
    """True for 2-D windows that lie inside the input and neither overlap nor skip: the
    case ``max_tiles`` and ``scatter_tiles`` handle (input elements past the last window,
    as floor mode leaves them, are allowed)."""
    return (
        len(kernel_size) == 2
        and tuple(stride) == tuple(kernel_size)
        and not any(padding)
        and set(dilation) == {1}
        and all(o * k <= n for o, k, n in zip(output_size, kernel_size, size))
    )


def _split_pairs(a):
    """(a[..., 0::2], a[..., 1::2]) as new C-contiguous arrays; `a` is C-contiguous with an
    even last axis."""
    wide, half = _PAIR.get(a.dtype.itemsize, (None, None))
    if wide is None or not _LITTLE or a.size == 0:
        return np.ascontiguousarray(a[..., 0::2]), np.ascontiguousarray(a[..., 1::2])
    flat = a.reshape(-1)
    first = flat.view(wide).astype(half).view(a.dtype)
    second = np.empty(first.size, a.dtype)
    if first.size > 1:  # the pairs that start one element later hold the second elements
        np.copyto(second[:-1].view(half), flat[1:-1].view(wide), casting="unsafe")
    second[-1] = flat[-1]
    shape = (*a.shape[:-1], a.shape[-1] // 2)
    return first.reshape(shape), second.reshape(shape)


def _pairs_in_place(xd, r, kh, oh, ow):
    """The first and second elements of window row r's column pairs, as new (N, C, oh, ow)
    arrays cast straight out of `xd` (of even width; C-contiguous, or it is copied); None
    where that does not apply."""
    n, c, h, w = xd.shape
    wide, half = _PAIR.get(xd.dtype.itemsize, (None, None))
    if wide is None or not _LITTLE or w % 2 or xd.size == 0:
        return None
    planes, rows = n * c, slice(r, oh * kh, kh)
    flat = xd.reshape(-1)
    first = np.empty((planes, oh, ow), half)
    second = np.empty((planes, oh, ow), half)
    np.copyto(first, flat.view(wide).reshape(planes, h, w // 2)[:, rows, :ow], casting="unsafe")
    # The pairs that start one element later hold the second elements. The last of them would
    # run one element past the end, so the last plane is read apart (a strided copy).
    later = flat[1:-1].view(wide)[: (planes - 1) * h * w // 2].reshape(planes - 1, h, w // 2)
    np.copyto(second[:-1], later[:, rows, :ow], casting="unsafe")
    second[-1] = flat.reshape(planes, h, w)[-1, rows, 1 : 2 * ow : 2].view(half)
    shape = (n, c, oh, ow)
    return first.view(xd.dtype).reshape(shape), second.view(xd.dtype).reshape(shape)


def _row_planes(xd, r, kh, kw, oh, ow):
    """Window row r of every window as kw new or owned (N, C, oh, ow) planes, one per column."""
    if kw == 2 and ow >= IN_PLACE_MIN_WIDTH:
        pairs = _pairs_in_place(xd, r, kh, oh, ow)
        if pairs is not None:
            return pairs
    row = np.array(xd[:, :, r : oh * kh : kh, : ow * kw], order="C")  # a copy
    if kw == 2:
        return _split_pairs(row)
    return [row[..., j::kw] for j in range(kw)]


def _row_max(planes, base, itype, out=None):
    """(max over the planes of one window row, base + column of its first maximum); the
    planes are the caller's own arrays, overwritten. ``out``, optional: the two arrays to
    write them into."""
    if len(planes) == 1:
        if out is None:
            return planes[0], np.full(planes[0].shape, base, itype)
        np.copyto(out[0], planes[0])
        out[1].fill(base)
        return out
    if out is not None and itype == np.int8:  # the comparison's bytes are the int8 offsets
        at = np.greater(planes[1], planes[0], out=out[1].view(np.bool_)).view(np.int8)
    else:
        at = np.greater(planes[1], planes[0]).view(np.int8).astype(itype, copy=False)
        if out is not None:
            np.copyto(out[1], at)
            at = out[1]
    if out is not None:
        best = np.maximum(planes[0], planes[1], out=out[0])
    else:
        best = np.maximum(
            planes[0], planes[1], out=planes[0] if planes[0].flags.c_contiguous else None
        )
    for j in range(2, len(planes)):
        take = np.greater(planes[j], best)
        np.maximum(best, planes[j], out=best)
        step = np.subtract(itype(j), at)  # at = j where taken, unchanged elsewhere
        step *= take
        at += step
    if base:
        at += itype(base)
    return best, at


def max_tiles(xd, kernel_size, output_size, out=None):
    """(max of each window, its kernel offset in row-major order as int8/int32) of `xd`
    (N, C, H, W) for non-overlapping windows starting at (0, 0); None if a window holds a NaN
    (the caller's general pass handles those). ``out``, optional: the two arrays to write
    them into (C-contiguous)."""
    (kh, kw), (oh, ow) = kernel_size, output_size
    itype = np.int8 if kh * kw <= 127 else np.int32
    if kw == 2 and ow >= IN_PLACE_MIN_WIDTH:  # pairs are cast from C order: copy a strided
        xd = np.ascontiguousarray(xd)  # input once
    best = at = None
    for r in range(kh):
        m, a = _row_max(_row_planes(xd, r, kh, kw, oh, ow), r * kw, itype, out if r == 0 else None)
        if best is None:
            best, at = m, a
            continue
        take = np.greater(m, best)  # a later row wins only when strictly greater
        np.maximum(best, m, out=best)
        a -= at
        a *= take
        at += a
    if xd.dtype.kind == "f" and best.size and np.isnan(best.max()):
        return None
    return best, at


def scatter_tiles(gd, am, kernel_size, out=None):
    """The gradient of ``max_tiles``: an input-shaped array, zero but for g at each window's
    argmax offset `am`; None where this layout does not apply (the caller's general loop does
    it). Needs windows of width 2 covering the whole input, int8 offsets and 1-, 2- or 4-byte
    elements. ``out``, optional, is a C-contiguous input-shaped array to write it into."""
    if len(kernel_size) != 2 or kernel_size[1] != 2:
        return None
    kh, kw = kernel_size
    if am.dtype != np.int8 or gd.dtype.itemsize not in _PAIR or not _LITTLE:
        return None
    wide, half = _PAIR[gd.dtype.itemsize]
    bits = 8 * gd.dtype.itemsize
    if 2 * kh * bits > 256:  # the shift amounts below must fit a uint8
        return None
    n, c, oh, ow = am.shape
    rows = n * c * oh
    g = gd.view(half).reshape(rows, ow)  # widened inside the shift (no wide copy of g)
    a = np.ascontiguousarray(am).view(np.uint8).reshape(rows, ow)
    if out is None:
        full = np.empty((rows, kh, ow), wide)
    else:  # each pair of elements is one wide integer, in the same order
        full = out.reshape(-1).view(wide).reshape(rows, kh, ow)
    at = np.multiply(a, np.uint8(bits))  # offset * bits < 2 * kh * bits <= 256
    for r in range(kh):
        # (offset - 2r) * bits modulo 256 is the argmax's column in window row r (0 or 1) times
        # the element's bits, or at least twice that when the argmax is in another row (below:
        # wrapped to 256 - (2r - offset) * bits): g shifted that far is gone
        shift = np.subtract(at, np.uint8(2 * r * bits)) if r else at
        np.left_shift(g, shift, out=full[:, r, :], dtype=wide)
    return full.view(gd.dtype).reshape(n, c, oh * kh, ow * kw)
