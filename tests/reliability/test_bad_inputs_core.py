"""Bad-input matrix for the core: every public op, Tensor method and constructor.

Each row makes one bad call; ``badinput.run_row`` checks that it raises a clear error raised by
tinytensor itself (type, message naming the op and the shapes/dtypes) and that every tensor
and ``.grad`` in the environment is exactly as before. ``test_every_public_op_has_a_row``
keeps the table complete: a new public function needs a row (or a reason to be exempt).
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from badinput import Bad, run_row

import tinytensor as tt


class Env(dict):
    __getattr__ = dict.__getitem__


def make_env():
    a = tt.tensor(np.arange(6.0).reshape(2, 3) / 7, requires_grad=True)
    a.grad = tt.full((2, 3), 0.5, dtype=tt.float64)
    return Env(
        a=a,  # float64 (2, 3) leaf (from NumPy) that requires grad and already has a .grad
        h=a * 2,  # non-leaf (2, 3)
        b=tt.tensor(np.linspace(-1, 1, 20).reshape(4, 5)),  # float32 (4, 5)
        v3=tt.tensor([1.0, 2.0, 3.0]),
        v4=tt.tensor([1.0, 2.0, 3.0, 4.0]),
        i=tt.tensor([[0, 1, 2], [2, 1, 0]]),  # int64 (2, 3)
        m=tt.tensor([[True, False, True], [False, True, False]]),  # bool (2, 3)
        e=tt.zeros(0, 3),  # empty (0, 3)
        s=tt.tensor(2.0),  # 0-d
        b3=tt.ones(2, 3, 4),
        d=tt.tensor(np.ones((2, 3)), dtype=tt.float64),
    )


R = Bad


ROWS = [
    # --- construction -------------------------------------------------------------------------
    R("tensor-ragged", lambda e: tt.tensor([[1.0, 2.0], [3.0]]), "tensor|sequence|shape"),
    R("tensor-string", lambda e: tt.tensor("abc"), "tensor|str|type"),
    R("tensor-object", lambda e: tt.tensor([object()]), "tensor|object|type"),
    R("tensor-int-requires-grad", lambda e: tt.tensor([1, 2], requires_grad=True), "int64"),
    R("tensor-bad-dtype", lambda e: tt.tensor([1.0], dtype="complex128"), "complex128|dtype"),
    R("zeros-negative", lambda e: tt.zeros(2, -3), "zeros", "-3"),
    R("zeros-float-size", lambda e: tt.zeros(2.5), "zeros", "2.5"),
    R("ones-negative", lambda e: tt.ones(-1), "ones", "-1"),
    R("empty-negative", lambda e: tt.empty(-1, 2), "empty", "-1"),
    R("full-negative", lambda e: tt.full((-2,), 1.0), "full", "-2"),
    R("rand-negative", lambda e: tt.rand(3, -1), "rand", "-1"),
    R("randn-negative", lambda e: tt.randn(-4), "randn", "-4"),
    R("randn-int-grad", lambda e: tt.randn(2, dtype=tt.int64, requires_grad=True), "int64"),
    R("randint-empty-range", lambda e: tt.randint(5, 5, (2,)), "randint", "5"),
    R("randperm-negative", lambda e: tt.randperm(-1), "randperm", "-1"),
    R("normal-negative-std", lambda e: tt.normal(0.0, -1.0, (2,)), "normal", "std"),
    R("arange-zero-step", lambda e: tt.arange(0, 5, 0), "arange", "step"),
    R("arange-wrong-sign", lambda e: tt.arange(0, 5, -1), "arange", "step"),
    R("linspace-negative-steps", lambda e: tt.linspace(0, 1, -2), "linspace", "-2"),
    R("logspace-negative-steps", lambda e: tt.logspace(0, 1, -2), "logspace", "-2"),
    R("eye-negative", lambda e: tt.eye(-2), "eye", "-2"),
    R("zeros_like-not-tensor", lambda e: tt.zeros_like("x"), "zeros_like", "str"),
    R("ones_like-int-grad", lambda e: tt.ones_like(e.i, requires_grad=True), "int64"),
    R("full_like-not-tensor", lambda e: tt.full_like([1], 2.0), "full_like", "list"),
    R("empty_like-not-tensor", lambda e: tt.empty_like(3), "empty_like", "int"),
    R("from_numpy-list", lambda e: tt.from_numpy([1.0, 2.0]), "from_numpy", "list"),
    R(
        "from_numpy-object",
        lambda e: tt.from_numpy(np.array([object()], dtype=object)),
        "from_numpy|dtype",
        "object|'O'",
    ),
    R("as_tensor-object", lambda e: tt.as_tensor(object()), "tensor|object"),
    R("from_dlpack-junk", lambda e: tt.from_dlpack(3), "dlpack"),
    R("manual_seed-string", lambda e: tt.manual_seed("abc"), "seed", "str"),
    R("set_rng_state-junk", lambda e: tt.set_rng_state(5), "rng_state|state"),
    R("set_default_dtype-int", lambda e: tt.set_default_dtype(tt.int64), "int64"),
    R("set_default_dtype-junk", lambda e: tt.set_default_dtype("wat"), "wat"),
    # --- elementwise --------------------------------------------------------------------------
    *[
        R(
            f"{name}-broadcast",
            (lambda f: lambda e: f(e.a, e.v4))(getattr(tt, name)),
            name,
            "(2, 3)",
            "(4,)",
        )
        for name in [
            "add",
            "sub",
            "mul",
            "div",
            "pow",
            "maximum",
            "minimum",
            "remainder",
            "floor_divide",
            "eq",
            "ne",
            "lt",
            "le",
            "gt",
            "ge",
            "logical_and",
            "logical_or",
            "logical_xor",
        ]
    ],
    *[
        R(f"{name}-string", (lambda f: lambda e: f(e.a, "x"))(getattr(tt, name)), name, "str")
        for name in [
            "add",
            "sub",
            "mul",
            "div",
            "pow",
            "maximum",
            "minimum",
            "remainder",
            "floor_divide",
            "eq",
            "lt",
        ]
    ],
    *[
        R(
            f"{name}-not-a-tensor",
            (lambda f: lambda e: f("x"))(getattr(tt, name)),
            {"reciprocal": "reciprocal|div", "square": "square|mul"}.get(name, name),
            "str",
        )
        for name in [
            "exp",
            "log",
            "log1p",
            "sqrt",
            "rsqrt",
            "abs",
            "sign",
            "sin",
            "cos",
            "tanh",
            "sigmoid",
            "relu",
            "neg",
            "reciprocal",
            "square",
            "floor",
            "ceil",
            "round",
            "trunc",
            "isnan",
            "isinf",
            "isfinite",
            "logical_not",
            "clone",
        ]
    ],
    R("add-alpha-broadcast", lambda e: tt.add(e.a, e.v4, alpha=2), "add", "(2, 3)", "(4,)"),
    R("sub-bool", lambda e: tt.sub(e.m, e.m), "sub", "bool"),
    R("neg-bool", lambda e: tt.neg(e.m), "neg", "bool"),
    R("invert-float", lambda e: ~e.a, "bitwise_not|invert", "float"),
    R("pow-int-negative", lambda e: tt.pow(e.i, -1), "pow", "negative"),
    R("div-bad-rounding", lambda e: tt.div(e.a, 2, rounding_mode="up"), "div", "rounding_mode"),
    R("clamp-no-bounds", lambda e: tt.clamp(e.a), "clamp", "min"),
    R("clamp-tensor-bound-shape", lambda e: tt.clamp(e.a, min=e.v4), "(2, 3)", "(4,)"),
    R("where-cond-not-bool", lambda e: tt.where(e.i, e.a, e.a), "where", "bool"),
    R("where-broadcast", lambda e: tt.where(e.m, e.a, e.v4), "where", "(2, 3)", "(4,)"),
    R(
        "allclose-broadcast",
        lambda e: tt.allclose(e.a, e.v4),
        "allclose",
        "(4,)",
    ),
    R(
        "equal-junk",
        lambda e: tt.equal(e.a, "x"),
        "equal",
        "str",
    ),
    # --- reductions ---------------------------------------------------------------------------
    *[
        R(
            f"{name}-dim-range",
            (lambda f: lambda e: f(e.a, 5))(getattr(tt, name)),
            f"{name}|var" if name in ("std", "var_mean", "std_mean") else name,
            "5",
            "2",
        )
        for name in [
            "sum",
            "mean",
            "prod",
            "amax",
            "amin",
            "max",
            "min",
            "argmax",
            "argmin",
            "var",
            "std",
            "logsumexp",
            "cumsum",
            "all",
            "any",
            "var_mean",
            "std_mean",
        ]
    ],
    *[
        R(f"{name}-dim-type", (lambda f: lambda e: f(e.a, "x"))(getattr(tt, name)), name, "dim")
        for name in ["sum", "mean", "amax", "logsumexp", "var", "cumsum"]
    ],
    R("sum-repeated-dim", lambda e: tt.sum(e.a, (0, 0)), "sum", "dim"),
    R("mean-int", lambda e: tt.mean(e.i), "mean", "int64"),
    R("max-empty", lambda e: tt.max(e.e), "max", "(0, 3)"),
    R("amin-empty", lambda e: tt.amin(e.e, 0), "amin", "(0, 3)"),
    R("argmax-empty", lambda e: tt.argmax(e.e), "argmax", "(0, 3)"),
    R("norm-bad-p", lambda e: tt.norm(e.a, p="abc"), "norm", "abc"),
    R("logsumexp-no-dim", lambda e: tt.logsumexp(e.a, "x"), "logsumexp", "dim"),
    # --- shape --------------------------------------------------------------------------------
    R("reshape-size", lambda e: tt.reshape(e.a, (4, 2)), "reshape", "(4, 2)|[4, 2]", "6"),
    R("reshape-two-minus-one", lambda e: e.a.reshape(-1, -1), "reshape", "-1"),
    R("reshape-negative", lambda e: e.a.reshape(-2, 3), "reshape", "-2"),
    R("reshape-float", lambda e: e.a.reshape(2.0, 3), "reshape", "2.0"),
    R("view-size", lambda e: tt.view(e.a, 7), "view|reshape", "7", "6"),
    R("flatten-order", lambda e: tt.flatten(e.b3, 2, 1), "flatten", "2", "1"),
    R("flatten-range", lambda e: tt.flatten(e.a, 0, 4), "flatten", "4"),
    R("unflatten-sizes", lambda e: tt.unflatten(e.a, 1, (2, 2)), "unflatten", "(2, 2)"),
    R("squeeze-range", lambda e: tt.squeeze(e.a, 3), "squeeze", "3"),
    R("unsqueeze-range", lambda e: tt.unsqueeze(e.a, 4), "unsqueeze", "4"),
    R("transpose-range", lambda e: tt.transpose(e.a, 0, 2), "transpose", "2"),
    R("swapaxes-range", lambda e: tt.swapaxes(e.a, -3, 0), "transpose|swapaxes", "-3"),
    R("permute-length", lambda e: tt.permute(e.a, (0,)), "permute", "(0,)|1"),
    R("permute-repeat", lambda e: tt.permute(e.a, (0, 0)), "permute", "repeat"),
    R("movedim-range", lambda e: tt.movedim(e.a, 0, 5), "movedim", "5"),
    R("expand-incompatible", lambda e: tt.expand(e.a, 4, 3), "expand", "(2, 3)", "(4, 3)"),
    R("expand-fewer-dims", lambda e: e.a.expand(3), "expand", "dimensions|(2, 3)"),
    R("expand-negative", lambda e: e.v3.expand(-2, 3), "expand", "-2"),
    R("broadcast_to-incompatible", lambda e: tt.broadcast_to(e.a, (3,)), "(2, 3)", "(3,)"),
    R("broadcast_tensors", lambda e: tt.broadcast_tensors(e.a, e.v4), "broadcast", "(4,)"),
    R("cat-shapes", lambda e: tt.cat([e.a, e.b]), "cat", "(2, 3)", "(4, 5)"),
    R("cat-ndim", lambda e: tt.cat([e.a, e.v3]), "cat", "(2, 3)", "(3,)"),
    R("cat-empty-list", lambda e: tt.cat([]), "cat", "empty|non-empty"),
    R("cat-dim-range", lambda e: tt.cat([e.a, e.a], 2), "cat", "2"),
    R("cat-not-tensors", lambda e: tt.cat([e.a, "x"]), "cat", "str"),
    R("stack-shapes", lambda e: tt.stack([e.a, e.b]), "stack", "(2, 3)", "(4, 5)"),
    R("stack-empty", lambda e: tt.stack([]), "stack", "empty|non-empty"),
    R("stack-dim-range", lambda e: tt.stack([e.a, e.a], 4), "stack", "4"),
    R("hstack-shapes", lambda e: tt.hstack([e.a, e.b]), "cat|hstack", "(2, 3)", "(4, 5)"),
    R("vstack-shapes", lambda e: tt.vstack([e.a, e.b]), "cat|vstack", "(2, 3)", "(4, 5)"),
    R("split-zero", lambda e: tt.split(e.a, 0), "split", "0"),
    R("split-sections-sum", lambda e: tt.split(e.a, [1, 1], dim=1), "split", "[1, 1]", "3"),
    R("chunk-zero", lambda e: tt.chunk(e.a, 0), "chunk", "0"),
    R("narrow-range", lambda e: tt.narrow(e.a, 1, 2, 5), "narrow", "5"),
    R("narrow-negative-length", lambda e: tt.narrow(e.a, 1, 0, -1), "narrow", "-1"),
    R("unbind-range", lambda e: tt.unbind(e.a, 2), "unbind", "2"),
    R("flip-range", lambda e: tt.flip(e.a, (3,)), "flip", "3"),
    R("repeat-fewer", lambda e: tt.repeat(e.a, 2), "repeat", "2"),
    R("repeat-negative", lambda e: e.a.repeat(2, -1), "repeat", "-1"),
    R("tril-1d", lambda e: tt.tril(e.v3), "tril", "1"),
    R("triu-1d", lambda e: tt.triu(e.v3), "triu", "1"),
    R("pad-odd", lambda e: tt.pad(e.a, (1,)), "pad", "1"),
    R("pad-too-long", lambda e: tt.pad(e.a, (1, 1, 1, 1, 1, 1)), "pad", "6"),
    R("pad-mode", lambda e: tt.pad(e.a, (1, 1), mode="wrap"), "pad", "wrap"),
    R("pad-reflect-too-big", lambda e: tt.pad(e.a, (3, 3), mode="reflect"), "pad", "3"),
    # --- indexing -----------------------------------------------------------------------------
    R("getitem-int-range", lambda e: e.a[5], "index", "5", "(2, 3)"),
    R("getitem-too-many", lambda e: e.a[0, 0, 0], "index", "(2, 3)"),
    R("getitem-float", lambda e: e.a[1.5], "index|indices", "float"),
    R("getitem-float-tensor", lambda e: e.a[e.a], "index|indices", "float"),
    R("getitem-array-range", lambda e: e.a[tt.tensor([0, 7])], "index", "7"),
    R("getitem-mask-shape", lambda e: e.a[tt.tensor([True, False, True])], "index", "(2, 3)"),
    R("getitem-string", lambda e: e.a["x"], "index|indices", "str"),
    R("setitem-shape", lambda e: e.h.__setitem__(0, e.v4), "setitem", "(4,)"),
    R("setitem-range", lambda e: e.h.__setitem__(9, 1.0), "index", "9"),
    R("setitem-leaf-grad", lambda e: e.a.__setitem__(0, 1.0), "leaf", "setitem"),
    R("gather-range", lambda e: tt.gather(e.a, 1, tt.tensor([[0, 5]])), "gather", "5"),
    R("gather-float-index", lambda e: tt.gather(e.a, 1, e.a), "gather", "float64"),
    R("gather-ndim", lambda e: tt.gather(e.a, 1, tt.tensor([0])), "gather", "(1,)", "(2, 3)"),
    R("gather-dim", lambda e: tt.gather(e.a, 2, e.i), "gather", "2"),
    R("scatter-range", lambda e: tt.scatter(e.a, 1, tt.tensor([[9]]), 1.0), "scatter", "9"),
    R("scatter_add-src", lambda e: tt.scatter_add(e.a, 1, e.i, e.v3), "scatter_add", "(3,)"),
    R("index_select-2d", lambda e: tt.index_select(e.a, 0, e.i), "index_select", "(2, 3)"),
    R("index_select-range", lambda e: tt.index_select(e.a, 1, tt.tensor([3])), "index_select", "3"),
    R("index_select-float", lambda e: tt.index_select(e.a, 1, e.v3), "index_select", "float32"),
    R(
        "index_add-source",
        lambda e: tt.index_add(e.a, 1, tt.tensor([0]), e.a),
        "index_add",
        "(2, 3)",
    ),
    R("masked_fill-not-bool", lambda e: tt.masked_fill(e.a, e.i, 0.0), "masked_fill", "bool"),
    R(
        "masked_fill-shape",
        lambda e: tt.masked_fill(e.a, tt.tensor([True, False]), 0.0),
        "masked_fill",
        "(2,)",
        "(2, 3)",
    ),
    R("take-range", lambda e: tt.take(e.a, tt.tensor([6])), "take|index", "6"),
    # --- linear algebra -----------------------------------------------------------------------
    R("matmul-inner", lambda e: tt.matmul(e.a, e.b), "matmul", "(2, 3)", "(4, 5)"),
    R("matmul-0d", lambda e: tt.matmul(e.s, e.a), "matmul", "()"),
    R(
        "matmul-batch",
        lambda e: tt.matmul(tt.ones(2, 2, 3), tt.ones(3, 3, 4)),
        "matmul",
        "(2, 2, 3)",
        "(3, 3, 4)",
    ),
    R("matmul-bool", lambda e: tt.matmul(e.m, e.m.T), "matmul", "bool"),
    R("matmul-operator", lambda e: e.a @ e.b, "matmul", "(2, 3)", "(4, 5)"),
    R("mm-3d", lambda e: tt.mm(e.b3, e.b), "mm", "(2, 3, 4)"),
    R("mm-inner", lambda e: tt.mm(e.a, e.b), "mm|matmul", "(2, 3)", "(4, 5)"),
    R("bmm-2d", lambda e: tt.bmm(e.a, e.b), "bmm", "(2, 3)"),
    R("bmm-batch", lambda e: tt.bmm(e.b3, tt.ones(3, 4, 2)), "bmm", "(2, 3, 4)", "(3, 4, 2)"),
    R("dot-sizes", lambda e: tt.dot(e.v3, e.v4), "dot", "(3,)|3", "(4,)|4"),
    R("dot-2d", lambda e: tt.dot(e.a, e.a), "dot", "(2, 3)|2"),
    R("outer-2d", lambda e: tt.outer(e.a, e.v3), "outer", "(2, 3)|2"),
    R("einsum-operands", lambda e: tt.einsum("ij,jk->ik", e.a), "einsum", "2", "1"),
    R("einsum-sizes", lambda e: tt.einsum("ij,jk->ik", e.a, e.b), "einsum", "3", "4"),
    R("einsum-letters", lambda e: tt.einsum("ijk->i", e.a), "einsum", "(2, 3)"),
    R(
        "einsum-bad-char",
        lambda e: tt.einsum("i$->i", e.a),
        "einsum",
        "$",
    ),
    # --- sorting, selection, cumulative, scatter (issue #11) -----------------------------------
    R("sort-dim", lambda e: tt.sort(e.a, 5), "sort", "5"),
    R("argsort-dim", lambda e: tt.argsort(e.a, -4), "argsort", "-4"),
    R("msort-not-tensor", lambda e: tt.msort("x"), "sort", "str"),
    R("topk-k", lambda e: tt.topk(e.a, 4), "topk", "4", "3"),
    R("kthvalue-k", lambda e: tt.kthvalue(e.a, 0), "kthvalue", "0"),
    R("median-dim", lambda e: tt.median(e.a, 2), "median", "2"),
    R("nanmedian-empty-dim", lambda e: tt.nanmedian(e.e, 0), "nanmedian", "(0, 3)"),
    R("mode-dim", lambda e: tt.mode(e.a, 3), "mode", "3"),
    R("quantile-q", lambda e: tt.quantile(e.a, 1.5), "quantile", "[0, 1]"),
    R("nanquantile-int", lambda e: tt.nanquantile(e.i, 0.5), "nanquantile", "int64"),
    R("unique-dim", lambda e: tt.unique(e.a, dim=2), "unique", "2"),
    R("unique_consecutive-dim", lambda e: tt.unique_consecutive(e.a, dim=3), "unique", "3"),
    R("nonzero-not-tensor", lambda e: tt.nonzero(object()), "nonzero", "object"),
    R("argwhere-not-tensor", lambda e: tt.argwhere("x"), "argwhere|nonzero", "str"),
    R("masked_select-mask", lambda e: tt.masked_select(e.a, e.i), "masked_select", "int64"),
    R(
        "masked_scatter-short",
        lambda e: tt.masked_scatter(e.a, e.m, e.v3.double()[:1]),
        "masked_scatter",
        "(1,)",
    ),
    R("searchsorted-rows", lambda e: tt.searchsorted(e.b, e.v3), "searchsorted", "(4, 5)", "(3,)"),
    R("bucketize-2d", lambda e: tt.bucketize(e.v3, e.b), "bucketize", "(4, 5)"),
    R("bincount-float", lambda e: tt.bincount(e.v3), "bincount", "float32"),
    R("histc-bins", lambda e: tt.histc(e.a, bins=0), "histc", "0"),
    R("count_nonzero-dim", lambda e: tt.count_nonzero(e.a, 4), "count_nonzero", "4"),
    R("isin-no-tensor", lambda e: tt.isin(1, [1, 2]), "isin", "Tensor"),
    R("aminmax-empty", lambda e: tt.aminmax(e.e), "aminmax", "(0, 3)"),
    R("nansum-dim", lambda e: tt.nansum(e.a, 3), "nansum", "3"),
    R("nanmean-int", lambda e: tt.nanmean(e.i), "nanmean", "int64"),
    R("cumprod-dim", lambda e: tt.cumprod(e.a, 2), "cumprod", "2"),
    R("cummax-dim", lambda e: tt.cummax(e.a, 2), "cummax", "2"),
    R("cummin-dim", lambda e: tt.cummin(e.a, -3), "cummin", "-3"),
    R("logcumsumexp-int", lambda e: tt.logcumsumexp(e.i, 0), "logcumsumexp", "int64"),
    R(
        "scatter_reduce-reduce",
        lambda e: tt.scatter_reduce(e.a, 1, e.i, e.a, "median"),
        "scatter_reduce",
        "median",
    ),
    R("index_fill-index", lambda e: tt.index_fill(e.a, 1, tt.tensor([5]), 0.0), "index_fill", "5"),
    R(
        "index_copy-shape",
        lambda e: tt.index_copy(e.a, 1, tt.tensor([0]), e.a),
        "index_copy",
        "(2, 3)",
    ),
    R("put-range", lambda e: tt.put(e.a, tt.tensor([9]), e.v3.double()[:1]), "put", "9"),
    R(
        "take_along_dim-ndim",
        lambda e: tt.take_along_dim(e.a, e.v3.long(), 1),
        "take_along_dim",
        "(2, 3)",
        "(3,)",
    ),
    R("diff-0d", lambda e: tt.diff(e.s), "diff", "one-dimensional"),
    R("trapezoid-x", lambda e: tt.trapezoid(e.a, e.v4), "trapezoid", "(4,)", "(2, 3)"),
    R(
        "cumulative_trapezoid-dim",
        lambda e: tt.cumulative_trapezoid(e.a, dim=3),
        "cumulative_trapezoid",
        "3",
    ),
    # --- shape_ext (issue #11) ----------------------------------------------------------------
    R("diag-3d", lambda e: tt.diag(e.b3), "diag", "(2, 3, 4)"),
    R("diagflat-not-tensor", lambda e: tt.diagflat(object()), "diagflat", "object"),
    R("tril_indices-negative", lambda e: tt.tril_indices(-1, 2), "tril_indices", "-1"),
    R("triu_indices-negative", lambda e: tt.triu_indices(2, -3), "triu_indices", "-3"),
    R("roll-mismatch", lambda e: tt.roll(e.a, (1, 2), 0), "roll", "(1, 2)"),
    R("rot90-dims", lambda e: tt.rot90(e.a, 1, (0, 0)), "rot90", "(0, 0)"),
    R(
        "repeat_interleave-size",
        lambda e: tt.repeat_interleave(e.a, tt.tensor([1, 2]), 1),
        "repeat_interleave",
        "3",
    ),
    R("meshgrid-2d", lambda e: tt.meshgrid(e.a, e.v3, indexing="ij"), "meshgrid", "(2, 3)"),
    R("tile-not-tensor", lambda e: tt.tile("x", (2,)), "tile", "str"),
    R("atleast_1d-not-tensor", lambda e: tt.atleast_1d(object()), "atleast_1d", "object"),
    R("atleast_2d-not-tensor", lambda e: tt.atleast_2d(object()), "atleast_2d", "object"),
    R("atleast_3d-not-tensor", lambda e: tt.atleast_3d(object()), "atleast_3d", "object"),
    R("column_stack-rows", lambda e: tt.column_stack([e.a, e.b]), "cat", "(2, 3)", "(4, 5)"),
    R("dstack-shapes", lambda e: tt.dstack([e.a, e.b]), "cat", "(2, 3, 1)", "(4, 5, 1)"),
    R("row_stack-shapes", lambda e: tt.row_stack([e.a, e.b]), "cat", "(2, 3)", "(4, 5)"),
    R("tensor_split-zero", lambda e: tt.tensor_split(e.a, 0), "tensor_split", "0"),
    R("hsplit-uneven", lambda e: tt.hsplit(e.a, 2), "hsplit", "3", "2"),
    R("vsplit-1d", lambda e: tt.vsplit(e.v3, 1), "vsplit", "1"),
    R("dsplit-2d", lambda e: tt.dsplit(e.a, 1), "dsplit", "2"),
    R("flipud-0d", lambda e: tt.flipud(e.s), "flipud", "0-d"),
    R("fliplr-1d", lambda e: tt.fliplr(e.v3), "fliplr", "(3,)"),
    R("moveaxis-dim", lambda e: tt.moveaxis(e.a, 0, 5), "movedim", "5"),
    R("select-index", lambda e: tt.select(e.a, 1, 7), "select", "7"),
    R("narrow_copy-range", lambda e: tt.narrow_copy(e.a, 1, 2, 5), "narrow", "(2, 3)"),
    # --- Tensor protocol, autograd and in-place --------------------------------------------------
    R("requires_grad-int", lambda e: e.i.requires_grad_(), "int64"),
    R("requires_grad-nonleaf-off", lambda e: e.h.requires_grad_(False), "leaf"),
    R("backward-non-scalar", lambda e: e.h.backward(), "scalar"),
    R("backward-no-grad", lambda e: e.b.sum().backward(), "grad"),
    R("backward-gradient-shape", lambda e: e.h.backward(tt.ones(3)), "(3,)", "(2, 3)"),
    R("grad-assign-shape", lambda e: setattr(e.a, "grad", tt.ones(3)), "(3,)", "(2, 3)"),
    R("grad-assign-type", lambda e: setattr(e.a, "grad", [1.0]), "grad", "list"),
    R(
        "grad-assign-dtype",
        lambda e: setattr(e.a, "grad", tt.ones(2, 3, dtype=tt.int64)),
        "grad",
        "int64",
    ),
    R("item-many", lambda e: e.a.item(), "item", "6"),
    R("float-many", lambda e: float(e.b), "20|scalar|element"),
    R("bool-many", lambda e: bool(e.b), "bool|ambiguous|element"),
    R("numpy-requires-grad", lambda e: e.a.numpy(), "numpy", "detach"),
    R("len-0d", lambda e: len(e.s), "len", "0-d"),
    R("iter-0d", lambda e: iter(e.s), "iter", "0-d"),
    R("retain_grad-no-grad", lambda e: e.b.retain_grad(), "retain_grad"),
    R("register_hook-no-grad", lambda e: e.b.register_hook(lambda g: g), "hook"),
    R("to-device", lambda e: e.a.to("cuda"), "cuda"),
    R("size-range", lambda e: e.a.size(3), "size", "3"),
    R("mT-1d", lambda e: e.v3.mT, "mT", "1"),
    R("t-3d", lambda e: e.b3.t(), "t()", "3"),
    R("pickle", lambda e: __import__("pickle").dumps(e.a), "pickl", "save"),
    *[
        R(f"{op.split('|')[0]}-leaf-requires-grad", (lambda f: lambda e: f(e.a))(call), op, "leaf")
        for op, call in [
            ("add_", lambda t: t.add_(1.0)),
            ("sub_", lambda t: t.sub_(1.0)),
            ("mul_", lambda t: t.mul_(2.0)),
            ("div_", lambda t: t.div_(2.0)),
            ("pow_", lambda t: t.pow_(2.0)),
            ("clamp_", lambda t: t.clamp_(0.0, 1.0)),
            ("relu_", lambda t: t.relu_()),
            ("exp_", lambda t: t.exp_()),
            ("neg_", lambda t: t.neg_()),
            ("zero_|fill_", lambda t: t.zero_()),
            ("fill_", lambda t: t.fill_(1.0)),
            ("copy_", lambda t: t.copy_(tt.ones(2, 3))),
            ("uniform_", lambda t: t.uniform_()),
            ("normal_", lambda t: t.normal_()),
            ("masked_fill_", lambda t: t.masked_fill_(tt.ones(2, 3, dtype=tt.bool), 0.0)),
            ("add_", lambda t: t.__iadd__(1.0)),
        ]
    ],
    R("add_-grows-shape", lambda e: e.v3.add_(tt.ones(2, 3)), "add_", "(2, 3)", "(3,)"),
    R("mul_-broadcast", lambda e: e.h.mul_(e.v4), "mul", "(2, 3)", "(4,)"),
    R("add_-float-into-int", lambda e: e.i.add_(1.5), "add_", "int64"),
    R("copy_-shape", lambda e: e.h.copy_(e.v4), "copy_", "(4,)", "(2, 3)"),
    R("fill_-tensor-shape", lambda e: e.h.fill_(e.v3), "fill_", "(3,)|1"),
    R("clamp_-no-bounds", lambda e: e.h.clamp_(), "clamp", "min"),
    R("masked_fill_-mask", lambda e: e.h.masked_fill_(e.i, 0.0), "masked_fill", "bool"),
    R("div_-int-tensor", lambda e: e.i.div_(2), "div_", "int64"),
    # --- bitwise and namespace ----------------------------------------------------------------
    *[
        R(f"{name}-float", (lambda f: lambda e: f(e.a, e.a))(getattr(tt, name)), name, "float")
        for name in [
            "bitwise_and",
            "bitwise_or",
            "bitwise_xor",
            "bitwise_left_shift",
            "bitwise_right_shift",
        ]
    ],
    R("bitwise_and-broadcast", lambda e: tt.bitwise_and(e.i, tt.tensor([1, 2, 3, 4])), "(2, 3)"),
    R("bitwise_not-float", lambda e: tt.bitwise_not(e.a), "bitwise_not", "float"),
    R("broadcast_shapes-mismatch", lambda e: tt.broadcast_shapes((2,), (3,)), "(2,)", "(3,)"),
    R("set_num_threads-zero", lambda e: tt.set_num_threads(0), "set_num_threads", "positive"),
    R("set_default_device-cuda", lambda e: tt.set_default_device("cuda"), "CPU only"),
    R("set_printoptions-profile", lambda e: tt.set_printoptions(profile="wide"), "profile"),
    R("is_nonzero-many", lambda e: tt.is_nonzero(e.a), "is_nonzero", "ambiguous"),
]


# --- issue #11: the rest of the torch namespace (compat, random_ops, creation_ext, ...) -------
ROWS += [
    R("as_strided-past-end", lambda e: tt.as_strided(e.a, (3,), (10,)), "as_strided", "10"),
    R("asarray-copy-false", lambda e: tt.asarray(e.a, dtype=tt.int64, copy=False), "copy"),
    R("frombuffer-bad-count", lambda e: tt.frombuffer(b"ab", dtype=tt.int64), "frombuffer"),
    R("empty_strided-mismatch", lambda e: tt.empty_strided((2, 3), (1,)), "empty_strided"),
    R("empty_permuted-bad", lambda e: tt.empty_permuted((2, 3), (0, 0)), "empty_permuted"),
    R("scalar_tensor-bad-dtype", lambda e: tt.scalar_tensor(1, dtype="complex64"), "complex64"),
    R("range-zero-step", lambda e: tt.range(0, 3, 0), "range", "step"),
    R("hann_window-negative", lambda e: tt.hann_window(-1), "hann_window", "-1"),
    R("hamming_window-int", lambda e: tt.hamming_window(4, dtype=tt.int64), "hamming_window"),
    R("bartlett_window-negative", lambda e: tt.bartlett_window(-2), "bartlett_window"),
    R("blackman_window-negative", lambda e: tt.blackman_window(-2), "blackman_window"),
    R("kaiser_window-negative", lambda e: tt.kaiser_window(-2), "kaiser_window"),
    R("bernoulli-bad-p", lambda e: tt.bernoulli(e.b), "bernoulli", "p"),
    R("binomial-bad-p", lambda e: tt.binomial(e.a, e.b), "binomial"),
    R("multinomial-3d", lambda e: tt.multinomial(e.b3, 1), "multinomial", "dim"),
    R("poisson-negative", lambda e: tt.poisson(e.b), "poisson", "rate"),
    R("rand_like-list", lambda e: tt.rand_like("x"), "rand_like"),
    R("randn_like-device", lambda e: tt.randn_like(e.a, device="cuda"), "CPU|cpu"),
    R("randint_like-empty-range", lambda e: tt.randint_like(e.a, 3, 3), "randint_like"),
    R(
        "index_put-out-of-range",
        lambda e: tt.index_put(e.a, (tt.tensor([9]),), e.s, True),
        "9|range",
    ),
    R("index_put_-leaf", lambda e: tt.index_put_(e.a, (tt.tensor([0]),), e.s), "leaf"),
    R("rsub-shapes", lambda e: tt.rsub(e.a, e.b), "sub", "(2, 3)"),
    R("swapdims-bad-dim", lambda e: tt.swapdims(e.a, 0, 5), "transpose|dim"),
    R("split_with_sizes-bad-sum", lambda e: tt.split_with_sizes(e.a, [1, 5]), "split"),
    R("unsafe_split-zero", lambda e: tt.unsafe_split(e.a, 0), "split"),
    R("unsafe_split_with_sizes-bad", lambda e: tt.unsafe_split_with_sizes(e.a, [9]), "split"),
    R("unsafe_chunk-zero", lambda e: tt.unsafe_chunk(e.a, 0), "chunk"),
    R("greater_equal-shapes", lambda e: tt.greater_equal(e.a, e.b), "ge", "(2, 3)"),
    R("less_equal-shapes", lambda e: tt.less_equal(e.a, e.b), "le", "(2, 3)"),
    R("not_equal-shapes", lambda e: tt.not_equal(e.a, e.b), "ne", "(2, 3)"),
    R("clip_-leaf", lambda e: tt.clip_(e.a, 0, 1), "leaf"),
    R("fill-bad-value", lambda e: tt.fill(e.a, e.b), "fill_", "0-dimensional"),
    R("resize_as_-grad", lambda e: tt.resize_as_(e.a, e.b), "resize_|requires grad"),
    R("detach_-not-tensor", lambda e: tt.detach_(3), "detach_|attribute"),
    R("set_deterministic_debug_mode-bad", lambda e: tt.set_deterministic_debug_mode(7), "7"),
    R("set_float32_matmul_precision-bad", lambda e: tt.set_float32_matmul_precision("x"), "x"),
    R("promote_types-bad", lambda e: tt.promote_types(tt.float32, "complex64"), "complex64"),
    R("can_cast-bad", lambda e: tt.can_cast(tt.float32, "complex64"), "complex64"),
]


@pytest.mark.parametrize("row", [pytest.param(r, id=r.id, marks=r.marks) for r in ROWS])
def test_bad_input_gives_clear_error_and_changes_nothing(row):
    run_row(row, make_env)


# Public callables that take no tensor input that could be bad, or are pure queries.
EXEMPT = {
    "get_default_dtype",
    "get_rng_state",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "is_tensor",
    "numel",
    "seed",
    "no_grad",
    "enable_grad",
    "inference_mode",
    "set_grad_enabled",
    "save",  # covered by test_untrusted_files.py
    "load",
    "compile",  # returns its argument, whatever it is
    "get_default_device",
    "get_num_threads",
    "get_num_interop_threads",
    "set_num_interop_threads",  # recorded only
    "is_floating_point",
    # issue #11: pure queries, global switches and real-dtype identities (no bad tensor input)
    "adjoint",  # = .mT, whose row is the method's
    "are_deterministic_algorithms_enabled",
    "conj",
    "conj_physical",
    "conj_physical_",
    "detach",
    "get_deterministic_debug_mode",
    "get_device",
    "get_float32_matmul_precision",
    "initial_seed",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "is_complex",
    "is_conj",
    "is_deterministic_algorithms_warn_only_enabled",
    "is_inference",
    "is_neg",
    "is_same_size",
    "is_signed",
    "is_warn_always_enabled",
    "real",
    "resolve_conj",
    "resolve_neg",
    "set_anomaly_enabled",
    "set_flush_denormal",
    "set_warn_always",
    "to_dlpack",
    "typename",
    "result_type",  # dtypes only, as PyTorch's (shapes are not checked)
    "use_deterministic_algorithms",
}
ALIASES = {
    "absolute": "abs",
    "clip": "clamp",
    "concat": "cat",
    "concatenate": "cat",
    "divide": "div",
    "true_divide": "div",
    "greater": "gt",
    "less": "lt",
    "multiply": "mul",
    "negative": "neg",
    "subtract": "sub",
}


def test_every_public_op_has_a_row():
    covered = {r.id.split("-")[0] for r in ROWS}
    public = {
        n
        for n in dir(tt)
        if not n.startswith("_")
        and callable(getattr(tt, n))
        and not inspect.isclass(getattr(tt, n))
        and not inspect.ismodule(getattr(tt, n))
    }
    missing = sorted(n for n in public - EXEMPT if ALIASES.get(n, n) not in covered)
    assert not missing, f"public ops without a bad-input row: {missing}"


def _mutate_then_fail(e):
    with tt.no_grad():
        e.a.mul_(2.0)
    tt.matmul(e.a, e.b)


def _touch_grad_then_fail(e):
    e.a.grad.zero_()
    tt.matmul(e.a, e.b)


@pytest.mark.parametrize(
    ("row", "complaint"),
    [
        (Bad("mutates", _mutate_then_fail, "matmul"), "changed 'a'"),
        (Bad("grad", _touch_grad_then_fail, "matmul"), "changed 'a'"),
        (Bad("numpy", lambda e: np.ones(2) @ np.ones(3), "matmul"), "raised from"),
        (Bad("silent", lambda e: e.a + 1), "no error"),
        (Bad("vague", lambda e: tt.matmul(e.a, e.b), "(9, 9)"), "does not name"),
    ],
    ids=["mutation", "grad-mutation", "numpy-leak", "no-error", "vague-message"],
)
def test_the_harness_itself_catches_each_kind_of_failure(row, complaint):
    with pytest.raises(AssertionError, match=re.escape(complaint)):
        run_row(row, make_env)
