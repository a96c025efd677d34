"""The fuzzer's generators for shape, indexing and linear-algebra ops (see ``progfuzz_ops``)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from progfuzz_ops import MAX_NUMEL, build_index, index_for

from tinytensor.testing import strategies as tst


def g_reshape(ctx, i):
    shape = ctx.shape(i)
    n = int(np.prod(shape))
    factors = [f for f in range(2, n + 1) if n % f == 0]
    out, rest = [], n
    while rest > 1 and len(out) < 3:
        f = ctx.draw(st.sampled_from([f for f in factors if rest % f == 0]))
        out.append(f)
        rest //= f
    if rest > 1:
        out.append(rest)
    if ctx.draw(st.booleans()):
        out.insert(ctx.draw(st.integers(0, len(out))), 1)
    if out and ctx.draw(st.booleans()):
        out[ctx.draw(st.integers(0, len(out) - 1))] = -1
    return (i,), {"shape": out}


def g_view(ctx, i):
    if not ctx.th_tensor(i).is_contiguous():
        return None
    return g_reshape(ctx, i)


def g_flatten(ctx, i):
    ndim = len(ctx.shape(i))
    if ndim == 0:
        return (i,), {"start": 0, "end": -1}
    s = ctx.draw(st.integers(0, ndim - 1))
    e = ctx.draw(st.integers(s, ndim - 1))
    return (i,), {"start": s, "end": e}


def g_unsqueeze(ctx, i):
    ndim = len(ctx.shape(i))
    if ndim >= 4:
        return None
    return (i,), {"dim": ctx.draw(st.integers(-ndim - 1, ndim))}


def g_squeeze(ctx, i):
    ndim = len(ctx.shape(i))
    if ndim == 0:
        return (i,), {"dim": None}
    return (i,), {"dim": ctx.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)))}


def g_transpose(ctx, i):
    ndim = len(ctx.shape(i))
    if ndim < 1:
        return None
    return (i,), {
        "d0": ctx.draw(st.integers(-ndim, ndim - 1)),
        "d1": ctx.draw(st.integers(-ndim, ndim - 1)),
    }


def g_permute(ctx, i):
    ndim = len(ctx.shape(i))
    return (i,), {"perm": list(ctx.draw(st.permutations(range(ndim))))}


def g_min_ndim(k):
    def gen(ctx, i):
        return ((i,), {}) if len(ctx.shape(i)) >= k else None

    return gen


def g_T(ctx, i):
    return ((i,), {}) if len(ctx.shape(i)) == 2 else None


def g_expand(ctx, i):
    shape = ctx.shape(i)
    lead = ctx.draw(st.lists(st.integers(1, 3), max_size=4 - len(shape))) if len(shape) < 4 else []
    sizes = list(lead) + [
        ctx.draw(st.sampled_from([-1, 1, 2, 3])) if s == 1 else ctx.draw(st.sampled_from([-1, s]))
        for s in shape
    ]
    full = [s if s != -1 else shape[k - len(lead)] for k, s in enumerate(sizes)]
    if int(np.prod(full)) > MAX_NUMEL:
        return None
    return (i,), {"sizes": sizes}


def g_repeat(ctx, i):
    ndim = len(ctx.shape(i))
    top = max(ndim, min(ndim + 1, 4))  # a value may have 5 dims: None in an index adds one
    reps = ctx.draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=top))
    if len(reps) < ndim or int(np.prod(reps)) * int(np.prod(ctx.shape(i))) > MAX_NUMEL:
        return None
    return (i,), {"reps": reps}


def g_flip(ctx, i):
    ndim = len(ctx.shape(i))
    if ndim == 0:
        return None
    dims = ctx.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return (i,), {"dims": dims}


def g_cat(ctx, i):
    shape = ctx.shape(i)
    if not shape:
        return None
    d = ctx.draw(st.integers(-len(shape), len(shape) - 1))
    others = []
    for _ in range(ctx.draw(st.integers(1, 2))):
        n = ctx.draw(st.integers(1, 3))
        want = tuple(n if k == d % len(shape) else s for k, s in enumerate(shape))
        others.append(ctx.same_shape(want, i))
    return (i, *others), {"dim": d}


def g_stack(ctx, i):
    shape = ctx.shape(i)
    if len(shape) >= 4:
        return None
    others = [ctx.same_shape(shape, i) for _ in range(ctx.draw(st.integers(1, 2)))]
    return (i, *others), {"dim": ctx.draw(st.integers(-len(shape) - 1, len(shape)))}


def g_piece(ctx, i):
    shape = ctx.shape(i)
    if not shape or 0 in shape:
        return None
    d = ctx.draw(st.integers(-len(shape), len(shape) - 1))
    size = shape[d]
    how = ctx.op_name
    if how == "split":
        arg = ctx.draw(st.integers(1, size))
        count = -(-size // arg)
    elif how == "chunk":
        arg = ctx.draw(st.integers(1, size))
        step = -(-size // arg)
        count = -(-size // step)
    else:
        arg, count = None, size
    return (i,), {"dim": d, "arg": arg, "k": ctx.draw(st.integers(0, count - 1))}


def g_narrow(ctx, i):
    shape = ctx.shape(i)
    if not shape:
        return None
    d = ctx.draw(st.integers(-len(shape), len(shape) - 1))
    start = ctx.draw(st.integers(0, shape[d]))
    length = ctx.draw(st.integers(0, shape[d] - start))
    return (i,), {"dim": d, "start": start, "length": length}


def g_pad(ctx, i):
    ndim = len(ctx.shape(i))
    if ndim == 0:
        return None
    k = ctx.draw(st.integers(1, min(ndim, 2)))
    pads = ctx.draw(st.lists(st.integers(0, 2), min_size=2 * k, max_size=2 * k))
    return (i,), {"pad": pads, "value": ctx.draw(st.sampled_from([0.0, -1.5]))}


def g_tri(ctx, i):
    if len(ctx.shape(i)) < 2:
        return None
    return (i,), {"diagonal": ctx.draw(st.integers(-2, 2))}


def g_movedim(ctx, i):
    ndim = len(ctx.shape(i))
    if ndim == 0:
        return None
    return (i,), {
        "src": ctx.draw(st.integers(-ndim, ndim - 1)),
        "dst": ctx.draw(st.integers(-ndim, ndim - 1)),
    }


def g_gather(ctx, i):
    shape = ctx.shape(i)
    if not shape or 0 in shape:
        return None
    d = ctx.draw(st.integers(0, len(shape) - 1))
    ishape = [
        ctx.draw(st.integers(1, 3)) if k == d else ctx.draw(st.integers(1, s))
        for k, s in enumerate(shape)
    ]
    n = int(np.prod(ishape))
    idx = ctx.draw(st.lists(st.integers(0, shape[d] - 1), min_size=n, max_size=n))
    return (i,), {"dim": d, "index": np.asarray(idx).reshape(ishape).tolist()}


def g_index_select(ctx, i):
    shape = ctx.shape(i)
    if not shape or 0 in shape:
        return None
    d = ctx.draw(st.integers(-len(shape), len(shape) - 1))
    idx = ctx.draw(st.lists(st.integers(0, shape[d] - 1), min_size=1, max_size=5))
    return (i,), {"dim": d, "index": idx}


def g_index_add(ctx, i):
    shape = ctx.shape(i)
    if not shape or 0 in shape:
        return None
    d = ctx.draw(st.integers(0, len(shape) - 1))
    idx = ctx.draw(st.lists(st.integers(0, shape[d] - 1), min_size=1, max_size=4))
    src_shape = tuple(len(idx) if k == d else s for k, s in enumerate(shape))
    return (i, ctx.same_shape(src_shape, i)), {
        "dim": d,
        "index": idx,
        "alpha": ctx.draw(st.sampled_from([1, -0.5])),
    }


def g_getitem(ctx, i):
    shape = ctx.shape(i)
    parts = index_for(ctx, shape)
    return (i,), {"index": parts}


def g_setitem(ctx, i):
    shape = ctx.shape(i)
    parts = index_for(ctx, shape, unique=True)
    region = np.zeros(shape)[build_index(np, parts)].shape
    if ctx.draw(st.booleans()):
        return (i,), {"index": parts, "value": ctx.draw(st.sampled_from([0.0, -2.5]))}
    vshape = ctx.draw(tst.broadcastable_shapes(region, max_dims=len(region), max_side=4))
    if np.broadcast_shapes(region, vshape) != region:
        return None
    return (i, ctx.same_shape(vshape, i)), {"index": parts, "value": None}


def g_matmul(ctx, i):
    shape = ctx.shape(i)
    if not shape:
        return None
    k = shape[-1]
    if len(shape) == 1:
        bshape = ctx.draw(st.sampled_from([(k,), (k, 2), (2, k, 3)]))
    else:
        batch = ctx.draw(tst.broadcastable_shapes(shape[:-2], max_dims=2, max_side=3))
        n = ctx.draw(st.integers(1, 3))
        bshape = ctx.draw(st.sampled_from([(k,), tuple(batch) + (k, n)]))
    return (i, ctx.same_shape(tuple(bshape), i)), {}


def g_einsum(ctx, i):
    shape = ctx.shape(i)
    if len(shape) == 2:
        eq = ctx.draw(st.sampled_from(["ij,jk->ik", "ij->ji", "ij,ij->i", "ij->"]))
    elif len(shape) == 3:
        eq = ctx.draw(st.sampled_from(["bij,bjk->bik", "bij->bj", "...j,...j->..."]))
    elif len(shape) == 1:
        eq = ctx.draw(st.sampled_from(["i,i->", "i,j->ij"]))
    else:
        return None
    terms = eq.split("->")[0].split(",")
    if len(terms) == 1:
        return (i,), {"eq": eq}
    letters = dict(zip(terms[0].replace("...", ""), shape[-len(terms[0].replace("...", "")) :]))
    if "..." in terms[1]:
        other = shape
    else:
        other = tuple(letters.get(c, ctx.draw(st.integers(1, 3))) for c in terms[1])
    return (i, ctx.same_shape(other, i)), {"eq": eq}
