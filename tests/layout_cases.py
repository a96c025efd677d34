"""Random tensor layouts for the stride tests: the same permuted, narrowed and strided view
made in PyTorch and in tinytensor, and the strides that carry meaning (size-1 dims' do not)."""

import numpy as np

import tinytensor as tt


def big_strides(t):
    """The strides of the dims of size above 1."""
    return tuple(s for s, n in zip(t.stride(), t.shape) if n > 1)


def random_view_pairs(torch, seed, count, step=True):
    """``count`` times ``(case, torch view, tinytensor view)``: an arange of a random shape
    (sizes 2-3, up to 4 dims), permuted, then maybe narrowed by one along a dim and, with
    ``step``, maybe every other element taken along a dim."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        nd = int(rng.integers(1, 5))
        shape = tuple(int(v) for v in rng.integers(2, 4, nd))
        perm = tuple(int(i) for i in rng.permutation(nd))
        narrow = int(rng.integers(-1, nd))
        every = int(rng.integers(-1, nd)) if step else -1
        views = []
        for lib in (torch, tt):
            v = lib.arange(float(np.prod(shape))).reshape(*shape).permute(*perm)
            if narrow >= 0:
                v = v.narrow(narrow, 1, v.shape[narrow] - 1)
            if every >= 0 and v.shape[every] > 1:
                v = v[(slice(None),) * every + (slice(None, None, 2),)]
            views.append(v)
        yield (shape, perm, narrow, every), views[0], views[1]
