"""Plain-loop NumPy oracles of max pooling (fixed and adaptive windows) and of the put/take
pairs its gradients are, shared by the pooling mutant tests (issue #25)."""

from __future__ import annotations

import itertools

import numpy as np


def out_len(n, k, s, p, d, ceil):
    """How many windows fit, counted one by one: a window starts at i*s - p; without ceil_mode
    its last element must lie inside the padded input; with ceil_mode it may run past the
    right padding as long as its start lies inside the input or the left padding."""
    last = d * (k - 1)
    count = 0
    for i in itertools.count():
        start = i * s - p
        if not ceil and start + last > n + p - 1:
            break
        if ceil and (start >= n or start + last - (s - 1) > n + p - 1):
            break
        count += 1
    return count


def max_pool_oracle(x, g, k, s, p, d, ceil):
    """(out, flat indices, input gradient for output gradient ``g``) by loops over every
    window and kernel offset in row-major order: a later element takes over only if strictly
    greater or NaN (PyTorch's rule), padding never wins. ``g`` may be None."""
    nd = len(k)
    sp = x.shape[2:]
    o = tuple(out_len(sp[a], k[a], s[a], p[a], d[a], ceil) for a in range(nd))

    def positions(oi):
        for ki in np.ndindex(*k):
            pos = tuple(oi[a] * s[a] - p[a] + ki[a] * d[a] for a in range(nd))
            if all(0 <= pos[a] < sp[a] for a in range(nd)):
                yield pos

    return _windows_max(x, o, positions, g)


def _windows_max(x, o, positions, g):
    """(out, flat indices, input gradient) over the windows whose input positions
    ``positions(oi)`` gives in row-major order, by PyTorch's rule (strictly greater or NaN)."""
    sp = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(o), x.dtype)
    idx = np.zeros(x.shape[:2] + tuple(o), np.int64)
    grad = np.zeros(x.shape, np.float64)
    for b, c in np.ndindex(*x.shape[:2]):
        plane = x[b, c]
        for oi in np.ndindex(*o):
            best = None
            for pos in positions(oi):
                v = plane[pos]
                if best is None or v > plane[best] or (x.dtype.kind == "f" and np.isnan(v)):
                    best = pos
            out[(b, c) + oi] = plane[best]
            idx[(b, c) + oi] = np.ravel_multi_index(best, sp)
            if g is not None:
                grad[(b, c) + best] += g[(b, c) + oi]
    return out, idx, grad


def adaptive_windows(n, o):
    """[floor(i*n/o), ceil((i+1)*n/o)) for each of the o windows."""
    return [((i * n) // o, -((-(i + 1) * n) // o)) for i in range(o)]


def adaptive_max_oracle(x, o, g=None):
    nd = len(o)
    sp = x.shape[2:]
    wins = [adaptive_windows(sp[a], o[a]) for a in range(nd)]

    def positions(oi):
        return itertools.product(*(range(*wins[a][oi[a]]) for a in range(nd)))

    return _windows_max(x, o, positions, g)


def put(v, idx, size):
    """v summed into zero planes of ``size`` at the flat indices (repeats add)."""
    n, c = v.shape[:2]
    out = np.zeros((n, c, int(np.prod(size))))
    for b, ch in np.ndindex(n, c):
        np.add.at(out[b, ch], idx[b, ch].ravel(), v[b, ch].ravel())
    return out.reshape((n, c) + tuple(size))


def take(v, idx):
    n, c = v.shape[:2]
    return np.take_along_axis(v.reshape(n, c, -1), idx.reshape(n, c, -1), 2).reshape(idx.shape)


def tup(v, nd):
    return (v,) * nd if isinstance(v, int) else tuple(v)
