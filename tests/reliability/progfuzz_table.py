"""How each fuzzer op runs: ``apply(m, xs, p)`` with ``m`` = tinytensor or torch.

``OPS`` maps a name to ``(gen, apply, storage)``; ``storage`` says how the result relates to
its first input's memory in BOTH libraries: ``"view"`` (always a view), ``"maybe"`` (a view
or a copy depending on layout: PyTorch leaves it unspecified, so in-place writes are never
aimed at such values) or ``"new"``.
"""

from __future__ import annotations

import progfuzz_nn as N
import progfuzz_ops as G
import progfuzz_shapes as S
from progfuzz_ops import _dim, build_index


def _args(sizes):
    """Sizes as separate arguments, or one empty list (PyTorch needs an argument)."""
    return sizes if sizes else [sizes]


def _scalar(m, xs, p):
    x, c = xs[0], p["c"]
    op = p["op"]
    if op == "add":
        return x + c
    if op == "radd":
        return c + x
    if op == "sub":
        return x - c
    if op == "rsub":
        return c - x
    if op == "mul":
        return x * c
    if op == "div":
        return x / c
    return c / (x * x + 0.5)


def _reduce(method):
    def apply(m, xs, p):
        fn = getattr(xs[0], method)
        if p["dim"] is None:
            return fn()
        return fn(_dim(p["dim"]), keepdim=p["keepdim"])

    return apply


def _amax(method):
    def apply(m, xs, p):
        fn = getattr(xs[0], method)
        if p["dim"] is None:
            return fn() if not p["keepdim"] else fn(tuple(range(xs[0].ndim)), keepdim=True)
        return fn(_dim(p["dim"]), keepdim=p["keepdim"])

    return apply


def _max_dim(m, xs, p):
    fn = xs[0].max if p["which"] == "max" else xs[0].min
    values, indices = fn(p["dim"], keepdim=p["keepdim"])
    # The indices ride along in the value (no gradient), so they are compared too.
    return values + indices.to(m.float64)


def _var(method):
    def apply(m, xs, p):
        fn = getattr(xs[0], method)
        if p["dim"] is None:
            return fn(correction=p["correction"])
        return fn(_dim(p["dim"]), correction=p["correction"], keepdim=p["keepdim"])

    return apply


def _norm(m, xs, p):
    if p["dim"] is None:
        return xs[0].norm()
    return xs[0].norm(2, _dim(p["dim"]), keepdim=p["keepdim"])


def _piece(m, xs, p):
    x, d = xs[0], p["dim"]
    if p["arg"] is None:
        return x.unbind(d)[p["k"]]
    return x.split(p["arg"], d)[p["k"]]


def _chunk(m, xs, p):
    return xs[0].chunk(p["arg"], p["dim"])[p["k"]]


def _where(m, xs, p):
    x, y = xs
    cond = x > p["thr"]
    return m.where(cond, x, y if p["other"] == "tensor" else 0.25)


def _masked_fill(m, xs, p):
    return xs[0].masked_fill(m.tensor(p["mask"], dtype=m.bool), p["value"])


def _setitem(m, xs, p):
    y = xs[0].clone()
    y[build_index(m, p["index"])] = xs[1] if p["value"] is None else p["value"]
    return y


def _einsum(m, xs, p):
    return m.einsum(p["eq"], *xs)


OPS = {
    # unary elementwise
    "neg": (G.g_unary, lambda m, xs, p: -xs[0], "new"),
    "exp": (G.g_small(4.0), lambda m, xs, p: xs[0].exp(), "new"),
    "log": (G.g_unary, lambda m, xs, p: (xs[0] * xs[0] + 0.5).log(), "new"),
    "log1p": (G.g_unary, lambda m, xs, p: (xs[0] * xs[0]).log1p(), "new"),
    "sqrt": (G.g_unary, lambda m, xs, p: (xs[0] * xs[0] + 0.25).sqrt(), "new"),
    "rsqrt": (G.g_unary, lambda m, xs, p: (xs[0] * xs[0] + 0.25).rsqrt(), "new"),
    "abs": (G.g_kink, lambda m, xs, p: xs[0].abs(), "new"),
    "sign": (G.g_kink, lambda m, xs, p: xs[0].sign(), "new"),
    "relu": (G.g_kink, lambda m, xs, p: xs[0].relu(), "new"),
    "sin": (G.g_unary, lambda m, xs, p: xs[0].sin(), "new"),
    "cos": (G.g_unary, lambda m, xs, p: xs[0].cos(), "new"),
    "tanh": (G.g_unary, lambda m, xs, p: xs[0].tanh(), "new"),
    "sigmoid": (G.g_unary, lambda m, xs, p: xs[0].sigmoid(), "new"),
    "square": (G.g_unary, lambda m, xs, p: xs[0].square(), "new"),
    "reciprocal": (G.g_unary, lambda m, xs, p: (xs[0] * xs[0] + 0.5).reciprocal(), "new"),
    "pow_int": (G.g_pow_int, lambda m, xs, p: xs[0] ** p["k"], "new"),
    "pow_frac": (G.g_pow_frac, lambda m, xs, p: (xs[0] * xs[0] + 0.1) ** p["k"], "new"),
    "rpow": (G.g_rpow, lambda m, xs, p: p["c"] ** xs[0], "new"),
    "floor": (G.g_floor, lambda m, xs, p: xs[0].floor(), "new"),
    "ceil": (G.g_floor, lambda m, xs, p: xs[0].ceil(), "new"),
    "trunc": (G.g_floor, lambda m, xs, p: xs[0].trunc(), "new"),
    "round": (G.g_round, lambda m, xs, p: xs[0].round(), "new"),
    "clamp": (G.g_clamp, lambda m, xs, p: xs[0].clamp(p["lo"], p["hi"]), "new"),
    "scalar": (G.g_scalar, _scalar, "new"),
    "clone": (G.g_unary, lambda m, xs, p: xs[0].clone(), "new"),
    "detach": (G.g_unary, lambda m, xs, p: xs[0].detach(), "view"),
    "new_leaf": (G.g_unary, lambda m, xs, p: xs[0].detach().requires_grad_(), "view"),
    "roundtrip32": (G.g_unary, lambda m, xs, p: xs[0].float().double(), "new"),
    # binary, broadcasting
    "add": (G.g_binary, lambda m, xs, p: xs[0] + xs[1], "new"),
    "sub": (G.g_binary, lambda m, xs, p: xs[0] - xs[1], "new"),
    "mul": (G.g_binary, lambda m, xs, p: xs[0] * xs[1], "new"),
    "div": (G.g_binary, lambda m, xs, p: xs[0] / (xs[1] * xs[1] + 0.5), "new"),
    "add_alpha": (G.g_alpha, lambda m, xs, p: m.add(xs[0], xs[1], alpha=p["alpha"]), "new"),
    "sub_alpha": (G.g_alpha, lambda m, xs, p: m.sub(xs[0], xs[1], alpha=p["alpha"]), "new"),
    "maximum": (G.g_minmax, lambda m, xs, p: m.maximum(xs[0], xs[1]), "new"),
    "minimum": (G.g_minmax, lambda m, xs, p: m.minimum(xs[0], xs[1]), "new"),
    "pow": (G.g_pow, lambda m, xs, p: (xs[0] * xs[0] + 0.5) ** xs[1], "new"),
    "where": (G.g_where, _where, "new"),
    "masked_fill": (G.g_masked_fill, _masked_fill, "new"),
    # reductions
    "sum": (G.g_reduce, _reduce("sum"), "new"),
    "mean": (G.g_reduce, _reduce("mean"), "new"),
    "prod": (G.g_prod, _reduce("prod"), "new"),
    "amax": (G.g_amax, _amax("amax"), "new"),
    "amin": (G.g_amax, _amax("amin"), "new"),
    "all_max": (G.g_all_extreme, lambda m, xs, p: xs[0].max(), "new"),
    "all_min": (G.g_all_extreme, lambda m, xs, p: xs[0].min(), "new"),
    "max_dim": (G.g_max_dim, _max_dim, "new"),
    "min_dim": (G.g_max_dim, _max_dim, "new"),
    "var": (G.g_var, _var("var"), "new"),
    "std": (G.g_var, _var("std"), "new"),
    "logsumexp": (
        G.g_logsumexp,
        lambda m, xs, p: xs[0].logsumexp(_dim(p["dim"]), p["keepdim"]),
        "new",
    ),
    "norm": (G.g_norm, _norm, "new"),
    "cumsum": (G.g_cumsum, lambda m, xs, p: xs[0].cumsum(p["dim"]), "new"),
    # shape
    "reshape": (S.g_reshape, lambda m, xs, p: xs[0].reshape(p["shape"]), "maybe"),
    "view": (S.g_view, lambda m, xs, p: xs[0].view(p["shape"]), "maybe"),
    "flatten": (S.g_flatten, lambda m, xs, p: xs[0].flatten(p["start"], p["end"]), "maybe"),
    "unsqueeze": (S.g_unsqueeze, lambda m, xs, p: xs[0].unsqueeze(p["dim"]), "maybe"),
    "squeeze": (
        S.g_squeeze,
        lambda m, xs, p: xs[0].squeeze() if p["dim"] is None else xs[0].squeeze(p["dim"]),
        "maybe",
    ),
    "transpose": (S.g_transpose, lambda m, xs, p: xs[0].transpose(p["d0"], p["d1"]), "view"),
    "permute": (S.g_permute, lambda m, xs, p: xs[0].permute(*_args(p["perm"])), "view"),
    "T": (S.g_T, lambda m, xs, p: xs[0].T, "view"),
    "mT": (S.g_min_ndim(2), lambda m, xs, p: xs[0].mT, "view"),
    "expand": (S.g_expand, lambda m, xs, p: xs[0].expand(*_args(p["sizes"])), "maybe"),
    "repeat": (S.g_repeat, lambda m, xs, p: xs[0].repeat(*_args(p["reps"])), "new"),
    "flip": (S.g_flip, lambda m, xs, p: xs[0].flip(p["dims"]), "new"),
    "cat": (S.g_cat, lambda m, xs, p: m.cat(list(xs), p["dim"]), "new"),
    "stack": (S.g_stack, lambda m, xs, p: m.stack(list(xs), p["dim"]), "new"),
    "split": (S.g_piece, _piece, "view"),
    "chunk": (S.g_piece, _chunk, "view"),
    "unbind": (S.g_piece, _piece, "view"),
    "narrow": (
        S.g_narrow,
        lambda m, xs, p: m.narrow(xs[0], p["dim"], p["start"], p["length"]),
        "view",
    ),
    "pad": (S.g_pad, lambda m, xs, p: G._fn(m).pad(xs[0], p["pad"], value=p["value"]), "new"),
    "tril": (S.g_tri, lambda m, xs, p: xs[0].tril(p["diagonal"]), "new"),
    "triu": (S.g_tri, lambda m, xs, p: xs[0].triu(p["diagonal"]), "new"),
    "movedim": (S.g_movedim, lambda m, xs, p: m.movedim(xs[0], p["src"], p["dst"]), "view"),
    "contiguous": (G.g_unary, lambda m, xs, p: xs[0].contiguous(), "maybe"),
    # indexing
    "getitem": (S.g_getitem, lambda m, xs, p: xs[0][build_index(m, p["index"])], "index"),
    "setitem": (S.g_setitem, _setitem, "new"),
    "gather": (S.g_gather, lambda m, xs, p: xs[0].gather(p["dim"], m.tensor(p["index"])), "new"),
    "index_select": (
        S.g_index_select,
        lambda m, xs, p: xs[0].index_select(p["dim"], m.tensor(p["index"])),
        "new",
    ),
    "index_add": (
        S.g_index_add,
        lambda m, xs, p: xs[0].index_add(p["dim"], m.tensor(p["index"]), xs[1], alpha=p["alpha"]),
        "new",
    ),
    # linear algebra
    "matmul": (S.g_matmul, lambda m, xs, p: xs[0] @ xs[1], "new"),
    "einsum": (S.g_einsum, _einsum, "maybe"),  # a pure permutation is a view (in both)
    # pooling and convolution (max_pool*, relu_max_pool*, avg_pool2d, conv*)
    **N.ROWS,
}
