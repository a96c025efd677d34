"""The op table of the program fuzzer: how to draw each op's arguments and how to run it.

Every row has a ``gen(ctx, i)`` that, given the pool of values built so far and the index of
a first operand, returns ``(inputs, params)`` (or None when the op does not fit; or
``(inputs, params, name)`` to run the sibling row ``name`` instead), and an
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
