"""The fuzzer's pooling and convolution rows (see ``progfuzz_ops`` for the generator contract).

Inputs are ``(N, C, *spatial)`` or unbatched ``(C, *spatial)`` values; a value of another
rank is first reshaped to one (a ``reshape`` step, recorded like any other) or replaced by a
fresh leaf. Max pooling is drawn only where every window's largest value beats the second
largest by ``MARGIN`` in both libraries, so the gradient's routing is never a coin toss.

``relu_max_pool{1,2}d`` is ``max_pool(relu(x))`` as ONE op, the exact pattern the compiler's
relu/max-pool reorder matches (the relu's output is no value of the program, so nothing else
reads it), its result optionally scaled inside the op (``then``) so that the pooled values are
private too. Its generator may first add a separate ``relu`` step reading the same ``x`` (two
relu calls; the fused one is still rewritten), or instead add ``h = relu(x)`` as a value of
the program and pool that (``h`` is an output then, so the reorder must leave it alone).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from progfuzz_ops import EPS, MAX_NUMEL, clear

MARGIN = 1e-6


def _F(m):
    return m.nn.functional


def _factorizations(n, rank):
    """Every way to write ``n`` as an ordered product of ``rank`` positive ints."""
    if rank == 1:
        return [(n,)]
    return [
        (f, *rest)
        for f in range(1, n + 1)
        if n % f == 0
        for rest in _factorizations(n // f, rank - 1)
    ]


def spatial_input(ctx, i, nd, min_side=1):
    """Index of a value shaped ``(N, C, *nd spatial)`` or ``(C, *nd spatial)`` (every side
    >= ``min_side``): value ``i`` itself, ``i`` reshaped, or a fresh leaf."""
    shape = ctx.shape(i)
    ranks = (nd + 1, nd + 2)
    if len(shape) in ranks and min(shape, default=0) >= 1 and min(shape[-nd:]) >= min_side:
        return i
    n = int(np.prod(shape))
    if 2 <= n <= MAX_NUMEL and ctx.draw(st.booleans()):
        rank = ctx.draw(st.sampled_from(ranks))
        opts = [f for f in _factorizations(n, rank) if min(f[-nd:]) >= min_side]
        if opts:
            out = list(ctx.draw(st.sampled_from(opts)))
            if ctx.r.step("reshape", [i], {"shape": out}):
                return len(ctx.r.tts) - 1
    lead = ctx.draw(st.sampled_from([(), (1,), (2,)]))
    c = ctx.draw(st.integers(1, 3))
    side = st.integers(max(min_side, 1), 6 if nd == 1 else 4)  # at most 2 * 3 * 16 = 96
    shape = (*lead, c, *(ctx.draw(side) for _ in range(nd)))
    return ctx.fresh(shape)


def _maybe_pair(ctx, vals):
    """An int or, sometimes, the same meaning spelled per dimension."""
    if len(vals) > 1 and ctx.draw(st.booleans()):
        return list(vals)
    return vals[0] if len(set(vals)) == 1 else list(vals)


def out_size(size, k, s, p, d, ceil):
    """PyTorch's pooling output length along one dimension (0 or less: no valid output)."""
    span = size + 2 * p - d * (k - 1) - 1  # floor division: rounds down, as PyTorch's
    out = (span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def windows(x, nd, ks, ss, ps, ds, ceils):
    """``x``'s pooling windows as ``(..., *out, prod(ks))``; places outside ``x`` are -inf."""
    x = np.asarray(x, dtype=float)
    lead = x.ndim - nd
    for a in range(nd):
        ax = lead + 2 * a  # each done dimension became (out, k)
        size = x.shape[ax]
        o = out_size(size, ks[a], ss[a], ps[a], ds[a], ceils)
        idx = np.arange(o)[:, None] * ss[a] - ps[a] + np.arange(ks[a])[None, :] * ds[a]
        ok = (idx >= 0) & (idx < size)
        taken = np.take(x, np.clip(idx, 0, size - 1), axis=ax)
        shape_ok = [1] * taken.ndim
        shape_ok[ax], shape_ok[ax + 1] = ok.shape
        x = np.where(ok.reshape(shape_ok), taken, -np.inf)
    # (..., o0, k0, o1, k1) -> (..., o0, o1, k0 * k1)
    perm = list(range(lead)) + [lead + 2 * a for a in range(nd)]
    perm += [lead + 2 * a + 1 for a in range(nd)]
    x = x.transpose(perm)
    return x.reshape(*x.shape[: lead + nd], int(np.prod(ks)))


def tie_free(x, nd, p, skip_zero_top=False):
    """Every window's largest value beats the second largest by ``MARGIN`` (a window whose
    largest value is exactly 0 is let through with ``skip_zero_top``: relu's mask zeroes the
    gradient of all its elements, wherever the pooling routes it)."""
    w = windows(x, nd, p["_k"], p["_s"], p["_p"], p["_d"], p["ceil_mode"])
    if w.size == 0:
        return False
    if w.shape[-1] < 2:
        return True
    top2 = np.sort(w, axis=-1)[..., -2:]
    if np.any(top2[..., 1] == -np.inf):  # a window all padding: PyTorch gives -inf there
        return False
    ok = top2[..., 0] == -np.inf  # the runner-up is padding (or the window is all padding)
    with np.errstate(invalid="ignore"):
        ok |= top2[..., 1] - top2[..., 0] > MARGIN
    if skip_zero_top:
        ok |= top2[..., 1] == 0
    return bool(np.all(ok))


def _pool_params(ctx, i, nd):
    """Draw max-pooling arguments valid for value ``i``; None if none fit."""
    sp = ctx.shape(i)[-nd:]
    ks, ss, ps, ds = [], [], [], []
    for a in range(nd):
        k = ctx.draw(st.sampled_from([2, 3]))
        s = ctx.draw(st.integers(1, k))
        p = ctx.draw(st.integers(0, k // 2))
        d = ctx.draw(st.sampled_from([1, 2]))
        if d * (k - 1) + 1 > sp[a] + 2 * p:
            d = 1
        ks.append(k), ss.append(s), ps.append(p), ds.append(d)
    ceil = ctx.draw(st.booleans())
    if any(out_size(sp[a], ks[a], ss[a], ps[a], ds[a], ceil) < 1 for a in range(nd)):
        return None
    stride = None if ss == ks and ctx.draw(st.booleans()) else _maybe_pair(ctx, ss)
    return {
        "kernel_size": _maybe_pair(ctx, ks),
        "stride": stride,
        "padding": _maybe_pair(ctx, ps),
        "dilation": _maybe_pair(ctx, ds),
        "ceil_mode": ceil,
        "_k": ks,
        "_s": ss,
        "_p": ps,
        "_d": ds,
    }


def _public(p):
    return {k: v for k, v in p.items() if not k.startswith("_")}


def _nd(name):
    return 1 if "1d" in name else 2


def g_max_pool(ctx, i):
    """``max_pool{1,2}d`` (and ``*_idx``: ``return_indices=True``, values only or both)."""
    nd = _nd(ctx.op_name)
    i = spatial_input(ctx, i, nd)
    if i is None:
        return None
    p = _pool_params(ctx, i, nd)
    if p is None or not all(tie_free(v, nd, p) for v in (ctx.tt(i), ctx.th(i))):
        return None
    out = _public(p)
    if ctx.op_name.endswith("_idx"):
        out["out"] = ctx.draw(st.sampled_from(["values", "both"]))
    return (i,), out


def g_relu_max_pool(ctx, i):
    """``max_pool(relu(x))`` fused, after a separate ``relu`` of ``x`` or not; or, as
    ``max_pool{1,2}d``, a pooling of ``h = relu(x)`` kept as a value of the program."""
    nd = _nd(ctx.op_name)
    i = spatial_input(ctx, i, nd)
    if i is None or not clear(ctx.tt(i), ctx.th(i)):  # relu's kink: no value near 0
        return None
    p = _pool_params(ctx, i, nd)
    if p is None:
        return None
    how = ctx.draw(st.sampled_from(["fused", "fused", "also_relu", "kept"]))
    relu = [np.maximum(v, 0.0) for v in (ctx.tt(i), ctx.th(i))]
    if not all(tie_free(v, nd, p, skip_zero_top=how != "kept") for v in relu):
        return None
    # "then": the pooled values scaled inside the op, so no result of the program is them
    # (the reorder leaves a pooling that is a result, with a backward, as eager ran it).
    then = ctx.draw(st.sampled_from([None, "scale"]))
    if how == "fused":
        return (i,), {**_public(p), "then": then}
    if not ctx.r.step("relu", [i], {}):
        return None
    if how == "also_relu":  # x is read by two relu calls; the fused one is still rewritten
        return (i,), {**_public(p), "then": then}
    return (len(ctx.r.tts) - 1,), _public(p), f"max_pool{nd}d"  # h is kept: not rewritten


def g_avg_pool2d(ctx, i):
    i = spatial_input(ctx, i, 2)
    if i is None:
        return None
    sp = ctx.shape(i)[-2:]
    ks = [ctx.draw(st.integers(1, 3)) for _ in range(2)]
    ss = [ctx.draw(st.integers(1, k)) for k in ks]
    ps = [ctx.draw(st.integers(0, k // 2)) for k in ks]
    ceil = ctx.draw(st.booleans())
    if any(out_size(sp[a], ks[a], ss[a], ps[a], 1, ceil) < 1 for a in range(2)):
        return None
    return (i,), {
        "kernel_size": _maybe_pair(ctx, ks),
        "stride": None if ss == ks and ctx.draw(st.booleans()) else _maybe_pair(ctx, ss),
        "padding": _maybe_pair(ctx, ps),
        "ceil_mode": ceil,
        "count_include_pad": ctx.draw(st.booleans()),
        "divisor_override": ctx.draw(st.sampled_from([None, None, 1, 3])),
    }


def g_conv(ctx, i):
    """``conv{1,2}d`` with a weight (and maybe a bias) drawn as fresh leaves."""
    nd = _nd(ctx.op_name)
    i = spatial_input(ctx, i, nd)
    if i is None:
        return None
    shape = ctx.shape(i)
    c_in, sp = shape[-nd - 1], shape[-nd:]
    groups = ctx.draw(st.sampled_from([g for g in (1, 2, 3) if c_in % g == 0]))
    c_out = groups * ctx.draw(st.integers(1, 2))
    ks = [ctx.draw(st.integers(1, 3)) for _ in range(nd)]
    ds = [ctx.draw(st.sampled_from([1, 2])) for _ in range(nd)]
    ss = [ctx.draw(st.integers(1, 2)) for _ in range(nd)]
    padding = ctx.draw(st.sampled_from(["int", "int", "same", "valid"]))
    if padding == "same" and ss != [1] * nd:
        padding = "int"  # PyTorch: 'same' only with stride 1
    ps = [ctx.draw(st.integers(0, 2)) if padding == "int" else 0 for _ in range(nd)]
    if padding == "int":
        padding = _maybe_pair(ctx, ps)
    eff = [ds[a] * (ks[a] - 1) + 1 for a in range(nd)]
    if padding != "same" and any(eff[a] > sp[a] + 2 * ps[a] for a in range(nd)):
        return None
    if c_out * (c_in // groups) * int(np.prod(ks)) > MAX_NUMEL:
        return None
    w = ctx.fresh((c_out, c_in // groups, *ks))
    inputs = [i, w]
    if ctx.draw(st.booleans()):
        inputs.append(ctx.fresh((c_out,)))
    return tuple(inputs), {
        "stride": _maybe_pair(ctx, ss),
        "padding": padding,
        "dilation": _maybe_pair(ctx, ds),
        "groups": groups,
    }


# --- running ---------------------------------------------------------------------------------


def max_pool(nd):
    def apply(m, xs, p):
        return getattr(_F(m), f"max_pool{nd}d")(xs[0], **p)

    return apply


def max_pool_idx(nd):
    def apply(m, xs, p):
        kw = {k: v for k, v in p.items() if k != "out"}
        values, indices = getattr(_F(m), f"max_pool{nd}d")(xs[0], return_indices=True, **kw)
        if p["out"] == "values":
            return values
        # The indices ride along in the value (no gradient), so they are compared too.
        return values + indices.to(m.float64)

    return apply


def relu_max_pool(nd):
    def apply(m, xs, p):
        kw = {k: v for k, v in p.items() if k != "then"}
        out = getattr(_F(m), f"max_pool{nd}d")(xs[0].relu(), **kw)
        return out * 1.5 if p.get("then") == "scale" else out

    return apply


def avg_pool2d(m, xs, p):
    return _F(m).avg_pool2d(xs[0], **p)


def conv(nd):
    def apply(m, xs, p):
        bias = xs[2] if len(xs) > 2 else None
        return getattr(_F(m), f"conv{nd}d")(xs[0], xs[1], bias, **p)

    return apply


ROWS = {
    "max_pool1d": (g_max_pool, max_pool(1), "new"),
    "max_pool2d": (g_max_pool, max_pool(2), "new"),
    "max_pool1d_idx": (g_max_pool, max_pool_idx(1), "new"),
    "max_pool2d_idx": (g_max_pool, max_pool_idx(2), "new"),
    "relu_max_pool1d": (g_relu_max_pool, relu_max_pool(1), "new"),
    "relu_max_pool2d": (g_relu_max_pool, relu_max_pool(2), "new"),
    "avg_pool2d": (g_avg_pool2d, avg_pool2d, "new"),
    "conv1d": (g_conv, conv(1), "new"),
    "conv2d": (g_conv, conv(2), "new"),
}
assert EPS < MARGIN  # a tie must be refused wherever a kink would be
