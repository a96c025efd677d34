"""Op-table rows for the products (tinytensor/ops/linalg/products.py): matmul in every rank
combination, mm, bmm, dot, outer, einsum (explicit, implicit, ellipsis, diagonals), mv, vdot,
inner, kron, tensordot and the addmm family."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import strategies as tst

from ._base import OpCase, Sample, tensor
from ._linalg_inputs import (
    _addmm_inputs,
    _np_addmm,
    _np_kron,
    _pairs,
    _torch,
)
from ._torch import torch_call

SIDE = st.integers(1, 4)


def _matmul_inputs(rank_a, rank_b):
    """Operands of the given ranks; rank "n" means 2 dims plus broadcasting batch dims."""

    @st.composite
    def draw_sample(draw):
        n, k, m = draw(SIDE), draw(SIDE), draw(SIDE)
        ba, bb = (), ()
        if "n" in (rank_a, rank_b):
            ba, bb = draw(tst.mutually_broadcastable_shapes(2, min_dims=0, max_dims=2))
        sa = {1: (k,), 2: (n, k), "n": ba + (n, k)}[rank_a]
        sb = {1: (k,), 2: (k, m), "n": bb + (k, m)}[rank_b]
        return Sample((draw(tensor(sa)), draw(tensor(sb))))

    return draw_sample()


def _bmm_inputs():
    @st.composite
    def draw_sample(draw):
        b, n, k, m = (draw(SIDE) for _ in range(4))
        return Sample((draw(tensor((b, n, k))), draw(tensor((b, k, m)))))

    return draw_sample()


def _vectors(same):
    @st.composite
    def draw_sample(draw):
        n = draw(SIDE)
        return Sample((draw(tensor((n,))), draw(tensor((n,) if same else (draw(SIDE),)))))

    return draw_sample()


# equation, with operand subscripts; "..." draws 0-2 batch dims (broadcastable for two operands)
EQUATIONS = [
    "ij,jk->ik",
    "ij,jk",
    "bij,bjk->bik",
    "...ij,...jk->...ik",
    "...i,...i->...",
    "i,i->",
    "i,j->ij",
    "ij->ji",
    "ji",
    "ij->",
    "ijk->kj",
    "ii->i",
    "ii",
    "iij->j",
    "ij,ij->ij",
    "bi,bj->bij",
    "ij,jk,kl->il",
    "i,i,i->i",
    "ab...,b->a...",
]


def _einsum_inputs():
    @st.composite
    def draw_sample(draw):
        eq = draw(st.sampled_from(EQUATIONS))
        lhs = eq.split("->")[0].split(",")
        sizes = {c: draw(SIDE) for c in sorted(set(eq) - set(".,->"))}
        n_ell = sum("..." in t for t in lhs)
        ell = draw(tst.mutually_broadcastable_shapes(max(n_ell, 1), max_dims=2))
        ops, e = [], 0
        for t in lhs:
            shape = []
            for part in t.split("..."):
                shape.append(tuple(sizes[c] for c in part))
            if len(shape) == 2:
                shape = [shape[0], ell[e], shape[1]]
                e += 1
            ops.append(draw(tensor(sum(shape, ()))))
        return Sample(tuple(ops), {"equation": eq})

    return draw_sample()


def _tt_einsum(*ops, equation):
    return tt.einsum(equation, *ops)


def _np_einsum(*ops, equation):
    return np.asarray(np.einsum(equation, *ops))


def _torch_einsum(*ops, equation):
    import torch

    return torch.einsum(equation, *ops)


CASES = [
    OpCase("matmul_1d_1d", tt.matmul, np.matmul, torch_call("matmul"), _matmul_inputs(1, 1)),
    OpCase("matmul_1d_2d", tt.matmul, np.matmul, torch_call("matmul"), _matmul_inputs(1, 2)),
    OpCase("matmul_2d_1d", tt.matmul, np.matmul, torch_call("matmul"), _matmul_inputs(2, 1)),
    OpCase("matmul_2d_2d", tt.matmul, np.matmul, torch_call("matmul"), _matmul_inputs(2, 2)),
    OpCase(
        "matmul_batched",
        lambda a, b: a @ b,
        np.matmul,
        torch_call("matmul"),
        _matmul_inputs("n", "n"),
    ),
    OpCase("matmul_nd_1d", tt.matmul, np.matmul, torch_call("matmul"), _matmul_inputs("n", 1)),
    OpCase("matmul_1d_nd", tt.matmul, np.matmul, torch_call("matmul"), _matmul_inputs(1, "n")),
    OpCase("mm", tt.mm, np.matmul, torch_call("mm"), _matmul_inputs(2, 2)),
    OpCase("bmm", lambda a, b: a.bmm(b), np.matmul, torch_call("bmm"), _bmm_inputs()),
    OpCase("dot", tt.dot, lambda a, b: np.asarray(np.dot(a, b)), torch_call("dot"), _vectors(True)),
    OpCase("outer", tt.outer, np.outer, torch_call("outer"), _vectors(False)),
    OpCase("einsum", _tt_einsum, _np_einsum, _torch_einsum, _einsum_inputs()),
    OpCase(
        "addmm",
        tt.addmm,
        _np_addmm,
        torch_call("addmm"),
        _addmm_inputs(lambda n, m, k, b: ((n, m), (n, k), (k, m))),
    ),
    OpCase(
        "addmv",
        tt.addmv,
        _np_addmm,
        torch_call("addmv"),
        _addmm_inputs(lambda n, m, k, b: ((n,), (n, k), (k,))),
    ),
    OpCase(
        "addr",
        tt.addr,
        lambda x, a, b, beta, alpha: _np_addmm(x, a, b, beta, alpha, np.outer),
        torch_call("addr"),
        _addmm_inputs(lambda n, m, k, b: ((n, m), (n,), (m,))),
    ),
    OpCase(
        "baddbmm",
        tt.baddbmm,
        _np_addmm,
        torch_call("baddbmm"),
        _addmm_inputs(lambda n, m, k, b: ((b, n, m), (b, n, k), (b, k, m))),
    ),
    OpCase(
        "addbmm",
        tt.addbmm,
        lambda x, a, b, beta, alpha: _np_addmm(x, a, b, beta, alpha, lambda p, q: (p @ q).sum(0)),
        torch_call("addbmm"),
        _addmm_inputs(lambda n, m, k, b: ((n, m), (b, n, k), (b, k, m))),
    ),
    OpCase(
        "mv",
        tt.mv,
        np.matmul,
        torch_call("mv"),
        _pairs(lambda n, m, k: (n, m), lambda n, m, k: (m,)),
    ),
    OpCase(
        "vdot",
        tt.vdot,
        lambda a, b: np.asarray(np.vdot(a, b)),
        torch_call("vdot"),
        _pairs(lambda n, m, k: (n,), lambda n, m, k: (n,)),
    ),
    OpCase(
        "inner",
        tt.inner,
        lambda a, b: np.asarray(np.inner(a, b)),
        torch_call("inner"),
        _pairs(lambda n, m, k: (n, m), lambda n, m, k: (k, m)),
    ),
    OpCase(
        "kron",
        tt.kron,
        _np_kron,
        torch_call("kron"),
        _pairs(lambda n, m, k: (n, m), lambda n, m, k: (k, 2)),
    ),
    OpCase(
        "tensordot",
        lambda a, b: tt.tensordot(a, b, dims=([1, 0], [0, 2])),
        lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 2])),
        _torch(lambda t, a, b: t.tensordot(a, b, dims=([1, 0], [0, 2]))),
        _pairs(lambda n, m, k: (n, m), lambda n, m, k: (m, k, n)),
    ),
]
