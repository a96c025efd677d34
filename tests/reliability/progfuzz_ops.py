"""The op table of the program fuzzer: how to draw each op's arguments and how to run it.

Every row has a ``gen(ctx, i)`` that, given the pool of values built so far and the index of
a first operand, returns ``(inputs, params)`` (or None when the op does not fit), and an
``apply(m, xs, p)`` that runs it with ``m`` being either ``tinytensor`` or ``torch``: the two
share PyTorch's API, so one body serves both. Parameters are plain literals (ints, floats,
nested lists), so a recorded program can be pasted into a regression test as it is.

Inputs are kept away from points where the derivative is undefined: the guard ``clear``
refuses an op when a kink (relu/abs at 0, a max near a tie, a clamp bound, a floor step)
is closer than ``EPS`` to a value in either library, unless both sit exactly on it.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tinytensor.testing import strategies as tst

EPS = 1e-7
MAX_NUMEL = 96


def clear(q_tt, q_th):
    """True when every kink distance is the same exact zero in both libraries or clearly not."""
    a, b = np.asarray(q_tt, dtype=float), np.asarray(q_th, dtype=float)
    both_zero = (a == 0) & (b == 0)
    apart = (np.abs(a) > EPS) & (np.abs(b) > EPS) & (np.sign(a) == np.sign(b))
    return bool(np.all(both_zero | apart))


def _fn(m):
    """``torch.nn.functional`` or tinytensor's top level (pad lives there)."""
    return m.nn.functional if m.__name__ == "torch" else m


# --- pieces of arguments ----------------------------------------------------------------------


def threshold(ctx, x):
    """A cut strictly between two neighbouring values of ``x`` (or beside them)."""
    vals = np.unique(x.reshape(-1))
    if vals.size == 0:
        return 0.0
    k = ctx.draw(st.integers(0, len(vals)))
    if k == 0:
        return float(vals[0] - 0.5)
    if k == len(vals):
        return float(vals[-1] + 0.5)
    return float((vals[k - 1] + vals[k]) / 2)


def dim_arg(ctx, ndim, allow_none=True, allow_tuple=True):
    d = ctx.draw(tst.dims(ndim, allow_none=allow_none, allow_tuple=allow_tuple))
    return list(d) if isinstance(d, tuple) else d


def _dim(d):
    return tuple(d) if isinstance(d, list) else d


def _axes(d, ndim):
    if d is None:
        return tuple(range(ndim))
    d = d if isinstance(d, list) else [d]
    return tuple(sorted({x % max(ndim, 1) for x in d})) if ndim else ()


def index_for(ctx, shape, unique=False, basic_only=False):
    """A mixed basic/advanced index for ``shape`` as a literal list of tagged parts."""
    parts, dim = [], 0
    n_adv = 1 if basic_only else 0
    while dim < len(shape) and ctx.draw(st.booleans()):
        size = shape[dim]
        kind = ctx.draw(st.sampled_from(["slice", "int", "array", "mask", "none", "full"]))
        if size == 0 and kind in ("int", "array"):
            kind = "full"
        if kind == "slice":
            start = ctx.draw(st.integers(-size, size))
            stop = ctx.draw(st.integers(-size, size))
            step = ctx.draw(st.integers(1, 3))
            parts.append(["slice", start, stop, step])
            dim += 1
        elif kind == "int":
            parts.append(["int", ctx.draw(st.integers(-size, size - 1))])
            dim += 1
        elif kind == "array" and n_adv == 0:
            n = ctx.draw(st.integers(1, 4))
            if unique:
                vals = ctx.draw(st.permutations(range(size)))[: min(n, size)]
            else:
                vals = ctx.draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n))
            if ctx.draw(st.booleans()) and len(vals) % 2 == 0 and len(vals) > 0:
                vals = [vals[: len(vals) // 2], vals[len(vals) // 2 :]]
            parts.append(["array", vals])
            n_adv += 1
            dim += 1
        elif kind == "mask" and n_adv == 0:
            mask = ctx.draw(st.lists(st.booleans(), min_size=size, max_size=size))
            parts.append(["mask", mask])
            n_adv += 1
            dim += 1
        elif kind == "none":
            parts.append(["none"])
        else:
            parts.append(["full"])
            dim += 1
    if ctx.draw(st.booleans()) and dim < len(shape):
        parts.append(["ellipsis"])
    return parts


def build_index(m, parts):
    """The index ``parts`` describes, with arrays made by library ``m`` (or NumPy)."""
    out = []
    for p in parts:
        tag = p[0]
        if tag == "slice":
            out.append(slice(p[1], p[2], p[3]))
        elif tag == "int":
            out.append(p[1])
        elif tag == "array":
            out.append(np.asarray(p[1]) if m is np else m.tensor(p[1], dtype=m.int64))
        elif tag == "mask":
            out.append(np.asarray(p[1], bool) if m is np else m.tensor(p[1], dtype=m.bool))
        elif tag == "none":
            out.append(None)
        elif tag == "full":
            out.append(slice(None))
        else:
            out.append(Ellipsis)
    return tuple(out)


def _has_advanced(parts):
    return any(p[0] in ("array", "mask") for p in parts)


# --- generators ------------------------------------------------------------------------------
# ``ctx`` offers: draw, shape(i), tt(i)/th(i) (NumPy values), other(shape_pred, make_shape),
# fresh(shape) (a new leaf or constant) and partner(i) (a broadcast-compatible operand).


def g_unary(ctx, i):
    return (i,), {}


def g_small(limit):
    def gen(ctx, i):
        if np.abs(ctx.tt(i)).max(initial=0) >= limit or np.abs(ctx.th(i)).max(initial=0) >= limit:
            return None
        return (i,), {}

    return gen


def g_kink(ctx, i):
    return ((i,), {}) if clear(ctx.tt(i), ctx.th(i)) else None


def g_floor(ctx, i):
    a, b = ctx.tt(i), ctx.th(i)
    return ((i,), {}) if clear(a - np.rint(a), b - np.rint(b)) else None


def g_round(ctx, i):
    a, b = ctx.tt(i), ctx.th(i)
    return ((i,), {}) if clear(a - np.floor(a) - 0.5, b - np.floor(b) - 0.5) else None


def g_clamp(ctx, i):
    x = ctx.tt(i)
    lo = threshold(ctx, x) if ctx.draw(st.booleans()) else None
    hi = threshold(ctx, x) if lo is None or ctx.draw(st.booleans()) else None
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    for bound in (lo, hi):
        if bound is not None and not clear(x - bound, ctx.th(i) - bound):
            return None
    return (i,), {"lo": lo, "hi": hi}


def g_pow_int(ctx, i):
    return (i,), {"k": ctx.draw(st.sampled_from([2, 3]))}


def g_pow_frac(ctx, i):
    return (i,), {"k": ctx.draw(st.sampled_from([-1.5, 0.5, 1.5]))}


def g_rpow(ctx, i):
    if np.abs(ctx.tt(i)).max(initial=0) >= 5:
        return None
    return (i,), {"c": ctx.draw(st.sampled_from([0.5, 2.0, 3.0]))}


def g_scalar(ctx, i):
    op = ctx.draw(st.sampled_from(["add", "radd", "sub", "rsub", "mul", "div", "rdiv"]))
    c = ctx.draw(st.sampled_from([-2.0, -0.5, 0.75, 1.5, 3.0, 2]))
    return (i,), {"op": op, "c": c}


def g_binary(ctx, i):
    return (i, ctx.partner(i)), {}


def g_alpha(ctx, i):
    return (i, ctx.partner(i)), {"alpha": ctx.draw(st.sampled_from([-1.5, 0.5, 2]))}


def g_minmax(ctx, i):
    j = ctx.partner(i)
    if not clear(ctx.tt(i) - ctx.tt(j), ctx.th(i) - ctx.th(j)):
        return None
    return (i, j), {}


def g_pow(ctx, i):
    j = ctx.partner(i)
    if np.abs(ctx.tt(i)).max(initial=0) >= 4 or np.abs(ctx.tt(j)).max(initial=0) >= 2.5:
        return None
    return (i, j), {}


def g_where(ctx, i):
    j = ctx.partner(i)
    thr = threshold(ctx, ctx.tt(i))
    if not clear(ctx.tt(i) - thr, ctx.th(i) - thr):
        return None
    other = ctx.draw(st.sampled_from(["tensor", "scalar"]))
    return (i, j), {"thr": thr, "other": other}


def g_masked_fill(ctx, i):
    shape = ctx.shape(i)
    mshape = ctx.draw(tst.broadcastable_shapes(shape, max_dims=len(shape), max_side=4))
    if np.broadcast_shapes(shape, mshape) != shape:
        return None
    mask = np.asarray(
        ctx.draw(
            st.lists(st.booleans(), min_size=int(np.prod(mshape)), max_size=int(np.prod(mshape)))
        ),
        bool,
    )
    return (i,), {
        "mask": mask.reshape(mshape).tolist(),
        "value": ctx.draw(st.sampled_from([-1.0, 0.0, 2.5])),
    }


def g_reduce(ctx, i):
    d = dim_arg(ctx, len(ctx.shape(i)))
    return (i,), {"dim": d, "keepdim": ctx.draw(st.booleans())}


def g_prod(ctx, i):
    shape = ctx.shape(i)
    d = dim_arg(ctx, len(shape), allow_tuple=False)
    n = int(np.prod([shape[a] for a in _axes(d, len(shape))])) if shape else 1
    if n > 8 or np.abs(ctx.tt(i)).max(initial=0) > 3:
        return None
    return (i,), {"dim": d, "keepdim": ctx.draw(st.booleans())}


def _extreme_clear(ctx, i, axes, fn):
    a, b = ctx.tt(i), ctx.th(i)
    if a.size == 0:
        return False
    return clear(a - fn(a, axis=axes, keepdims=True), b - fn(b, axis=axes, keepdims=True))


def g_amax(ctx, i):
    ndim = len(ctx.shape(i))
    d = dim_arg(ctx, ndim)
    fn = np.max if ctx.op_name.endswith("max") else np.min
    if not _extreme_clear(ctx, i, _axes(d, ndim), fn):
        return None
    return (i,), {"dim": d, "keepdim": ctx.draw(st.booleans())}


def g_all_extreme(ctx, i):
    fn = np.max if ctx.op_name.endswith("max") else np.min
    return ((i,), {}) if _extreme_clear(ctx, i, None, fn) else None


def g_max_dim(ctx, i):
    ndim = len(ctx.shape(i))
    if ndim == 0:
        return None
    d = ctx.draw(st.integers(-ndim, ndim - 1))
    a, b = ctx.tt(i), ctx.th(i)
    if a.size == 0:
        return None
    # Ties send the gradient to different places (PyTorch: the returned index; tinytensor:
    # split evenly, documented), so only tie-free inputs are compared.
    for v in (a, b):
        top = np.sort(v if ctx.op_name == "max_dim" else -v, axis=d)
        if v.shape[d] > 1 and np.min(np.abs(np.take(top, -1, d) - np.take(top, -2, d))) < 1e-6:
            return None
    return (i,), {"dim": d, "keepdim": ctx.draw(st.booleans()), "which": ctx.op_name[:3]}


def g_var(ctx, i):
    shape = ctx.shape(i)
    d = dim_arg(ctx, len(shape))
    n = int(np.prod([shape[a] for a in _axes(d, len(shape))])) if shape else 1
    c = ctx.draw(st.sampled_from([0, 1]))
    if n - c <= 0:
        return None
    p = {"dim": d, "keepdim": ctx.draw(st.booleans()), "correction": c}
    if ctx.op_name == "std":
        if ctx.tt(i).size == 0:
            return None
        axes = _axes(d, len(shape))
        for v in (ctx.tt(i), ctx.th(i)):
            if np.min(np.var(v, axis=axes)) < 1e-6:
                return None
    return (i,), p


def g_logsumexp(ctx, i):
    d = dim_arg(ctx, len(ctx.shape(i)), allow_none=False)
    return (i,), {"dim": d, "keepdim": ctx.draw(st.booleans())}


def g_norm(ctx, i):
    shape = ctx.shape(i)
    d = dim_arg(ctx, len(shape))
    if isinstance(d, list) and len(d) > 2:
        d = d[:2]
    axes = _axes(d, len(shape))
    if ctx.tt(i).size == 0:
        return None
    for v in (ctx.tt(i), ctx.th(i)):
        if np.min(np.sqrt(np.sum(v * v, axis=axes))) < 1e-4:
            return None
    return (i,), {"dim": d, "keepdim": ctx.draw(st.booleans())}


def g_cumsum(ctx, i):
    ndim = len(ctx.shape(i))
    return (i,), {"dim": ctx.draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))}


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
    reps = ctx.draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=min(ndim + 1, 4)))
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
