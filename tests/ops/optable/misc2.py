"""Op-table rows for tinytensor/ops/misc_ext2.py: the *_scatter family, index_reduce,
block_diag, combinations, cov, corrcoef, gradient, renorm, triangular_solve."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, distinct, floats, shapes, tensor
from ._torch import torch_call

# --- the *_scatter family -----------------------------------------------------------------------


def _src_for(draw, view):
    return draw(tensor(view.shape))


@st.composite
def _select_inputs(draw):
    shape = draw(shapes(min_dims=1))
    d = draw(st.integers(-len(shape), len(shape) - 1))
    i = draw(st.integers(-shape[d], shape[d] - 1))
    view = np.take(np.zeros(shape), i, axis=d)
    return Sample((draw(tensor(shape)), _src_for(draw, view)), {"dim": d, "index": i})


def _np_select(a, src, dim, index):
    out = a.copy()
    out[(slice(None),) * (dim % a.ndim) + (index,)] = src
    return out


@st.composite
def _slice_inputs(draw):
    shape = draw(shapes(min_dims=1))
    d = draw(st.integers(0, len(shape) - 1))
    start = draw(st.one_of(st.none(), st.integers(0, shape[d])))
    end = draw(st.one_of(st.none(), st.integers(0, shape[d])))
    step = draw(st.integers(1, 3))
    view = np.zeros(shape)[(slice(None),) * d + (slice(start, end, step),)]
    kw = {"dim": d, "start": start, "end": end, "step": step}
    return Sample((draw(tensor(shape)), _src_for(draw, view)), kw)


def _np_slice(a, src, dim, start, end, step):
    out = a.copy()
    out[(slice(None),) * dim + (slice(start, end, step),)] = src
    return out


@st.composite
def _diagonal_inputs(draw):
    shape = draw(shapes(min_dims=2))
    d1, d2 = draw(st.permutations(range(len(shape))))[:2]
    offset = draw(st.integers(-2, 2))
    view = np.diagonal(np.zeros(shape), offset, d1, d2)
    kw = {"offset": offset, "dim1": d1, "dim2": d2}
    return Sample((draw(tensor(shape)), _src_for(draw, view)), kw)


def _np_diagonal(a, src, offset, dim1, dim2):
    out = a.copy()
    idx = np.diagonal(np.arange(a.size).reshape(a.shape), offset, dim1, dim2)
    out.reshape(-1)[idx.reshape(-1)] = src.reshape(-1)
    return out


@st.composite
def _as_strided_inputs(draw):
    n = draw(st.integers(1, 12))
    # No empty views: PyTorch 2.13 gives the input a zero gradient when nothing is scattered
    # (gradcheck agrees with ours, the incoming gradient unchanged).
    rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    s1 = draw(st.integers(1, 2))
    s0 = cols * s1 + draw(st.integers(0, 2))  # rows never overlap
    offset = draw(st.integers(0, 2))
    reach = offset + max(rows - 1, 0) * s0 + (cols - 1) * s1 + 1
    n = max(n, reach)
    kw = {"size": (rows, cols), "stride": (s0, s1), "storage_offset": offset}
    return Sample((draw(tensor((n,))), draw(tensor((rows, cols)))), kw)


def _np_as_strided(a, src, size, stride, storage_offset):
    out = a.copy()
    pos = storage_offset + np.add.outer(
        np.arange(size[0]) * stride[0], np.arange(size[1]) * stride[1]
    )
    out.reshape(-1)[pos.reshape(-1)] = src.reshape(-1)
    return out


# --- index_reduce -------------------------------------------------------------------------------


@st.composite
def _index_reduce_inputs(draw, reduce):
    shape = draw(shapes(min_dims=1, max_dims=2, max_side=3))
    d = draw(st.integers(0, len(shape) - 1))
    n = draw(st.integers(1, 4))
    index = draw(st.lists(st.integers(0, shape[d] - 1), min_size=n, max_size=n))
    sshape = shape[:d] + (n,) + shape[d + 1 :]
    if reduce in ("amax", "amin"):  # no ties
        both = draw(distinct((int(np.prod(shape)) + int(np.prod(sshape)),))).numpy()
        a, s = both[: int(np.prod(shape))].reshape(shape), both[int(np.prod(shape)) :]
        a, s = tt.tensor(a), tt.tensor(s.reshape(sshape))
    else:
        el = floats(0.5, 1.5) if reduce == "prod" else None
        a, s = draw(tensor(shape, el)), draw(tensor(sshape, el))
    kw = {"dim": d, "reduce": reduce, "include_self": draw(st.booleans())}
    return Sample((a, tt.tensor(index, dtype=tt.int64), s), kw)


def _ir(input, dim, index, source, reduce, include_self=True):  # noqa: A002
    return tt.index_reduce(input, dim, index, source, reduce, include_self=include_self)


def _np_index_reduce(a, index, s, dim, reduce, include_self):
    out, groups = a.copy(), {}
    for i, j in enumerate(index):
        groups.setdefault(int(j), []).append(np.take(s, i, axis=dim))
    f = {"prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for j, vals in groups.items():
        key = (slice(None),) * dim + (j,)
        vals = ([a[key]] if include_self else []) + vals
        out[key] = f(np.stack(vals), axis=0)
    return out


def _torch_ir(a, dim, index, source, reduce, include_self=True):
    return torch_call("index_reduce")(a, dim, index, source, reduce, include_self=include_self)


def _torch_ir_row(a, index, s, dim, reduce, include_self):
    return _torch_ir(a, dim, index, s, reduce, include_self)


def _tt_ir_row(a, index, s, dim, reduce, include_self):
    return _ir(a, dim, index, s, reduce, include_self)


# --- small compositions -------------------------------------------------------------------------


@st.composite
def _block_diag_inputs(draw):
    k = draw(st.integers(1, 3))
    # Empty 2-D blocks, not 1-D ones: PyTorch 2.13's backward misplaces the gradient of the
    # blocks after an empty 1-D block (gradcheck agrees with ours).
    blocks = [draw(shapes(max_dims=2, min_side=1)) for _ in range(k)]
    blocks = [(0, b[1]) if len(b) == 2 and draw(st.integers(0, 3)) == 0 else b for b in blocks]
    return Sample(tuple(draw(tensor(b)) for b in blocks))


def _np_block_diag(*xs):
    ms = [np.asarray(x).reshape(1, -1) if np.ndim(x) < 2 else x for x in xs]
    out = np.zeros((sum(m.shape[0] for m in ms), sum(m.shape[1] for m in ms)))
    r = c = 0
    for m in ms:
        out[r : r + m.shape[0], c : c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


@st.composite
def _combinations_inputs(draw):
    x = draw(tensor((draw(st.integers(0, 4)),)))
    return Sample((x,), {"r": draw(st.integers(1, 3)), "with_replacement": draw(st.booleans())})


def _np_combinations(x, r, with_replacement):
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(x.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return x[idx]


@st.composite
def _cov_inputs(draw):
    shape = draw(st.sampled_from([(5,), (2, 5), (3, 4)]))
    n = shape[-1]
    kw = {"correction": draw(st.integers(0, 2))}
    if draw(st.booleans()):
        kw["fweights"] = tt.tensor(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
    if draw(st.booleans()):
        kw["aweights"] = draw(tensor((n,), floats(0.5, 2.0)))
    return Sample((draw(tensor(shape)),), kw)


def _np_cov(x, correction=1, fweights=None, aweights=None):
    return np.cov(x, ddof=correction, fweights=fweights, aweights=aweights)


@st.composite
def _corrcoef_inputs(draw):
    rows = draw(st.integers(1, 3))
    return Sample((draw(distinct((rows, 4))),))


@st.composite
def _gradient_inputs(draw):
    shape = draw(shapes(min_dims=1, max_dims=2, min_side=3, max_side=5))
    edge_order = draw(st.integers(1, 2))
    kind = draw(st.sampled_from(["default", "scalar", "list", "coords"]))
    kw = {"edge_order": edge_order}
    if kind == "scalar":
        kw["spacing"] = draw(st.sampled_from([0.5, 2.0]))
    elif kind == "list":
        kw["spacing"] = [draw(st.sampled_from([0.5, 1.5])) for _ in shape]
    elif kind == "coords":
        d = draw(st.integers(0, len(shape) - 1))
        steps = draw(tensor((shape[d],), floats(0.3, 1.5))).numpy()
        kw["spacing"] = [tt.tensor(np.cumsum(steps))]
        kw["dim"] = d
    return Sample((draw(tensor(shape)),), kw)


def _np_gradient(x, spacing=1, dim=None, edge_order=1):
    axes = tuple(range(x.ndim)) if dim is None else (dim,)
    spaces = [spacing] * len(axes) if np.isscalar(spacing) else [np.asarray(s) for s in spacing]
    out = np.gradient(x, *spaces, axis=axes, edge_order=edge_order)
    return tuple(out) if isinstance(out, (list, tuple)) else (out,)


@st.composite
def _renorm_inputs(draw):
    shape = draw(shapes(min_dims=2, max_dims=3))
    kw = {
        "p": draw(st.sampled_from([1.0, 2.0, 3.0])),
        "dim": draw(st.integers(0, len(shape) - 1)),
        "maxnorm": draw(st.sampled_from([0.77, 1.31, 2.13])),  # off round values: no ties
    }
    return Sample((draw(tensor(shape, floats(-2.0, 2.0, avoid=(0.0,)))),), kw)


def _np_renorm(x, p, dim, maxnorm):
    others = tuple(k for k in range(x.ndim) if k != dim)
    norm = np.sum(np.abs(x) ** p, axis=others, keepdims=True) ** (1.0 / p)
    return x * np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


@st.composite
def _triangular_solve_inputs(draw):
    n, k = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    batch = draw(st.sampled_from([(), (2,)]))
    a = draw(tensor(batch + (n, n), floats(-0.5, 0.5))).numpy() + 2.0 * np.eye(n)
    kw = {
        "upper": draw(st.booleans()),
        "transpose": draw(st.booleans()),
        "unitriangular": draw(st.booleans()),
    }
    return Sample((draw(tensor(batch + (n, k))), tt.tensor(a)), kw)


def _np_triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):  # noqa: N803
    T = np.triu(A) if upper else np.tril(A)
    if unitriangular:
        T = T.copy()
        np.einsum("...ii->...i", T)[...] = 1.0
    if transpose:
        T = np.swapaxes(T, -1, -2)
    return np.linalg.solve(T, b), A.copy()


CASES = [
    OpCase(
        "select_scatter",
        tt.select_scatter,
        _np_select,
        torch_call("select_scatter"),
        _select_inputs(),
    ),
    OpCase(
        "slice_scatter", tt.slice_scatter, _np_slice, torch_call("slice_scatter"), _slice_inputs()
    ),
    OpCase(
        "diagonal_scatter",
        tt.diagonal_scatter,
        _np_diagonal,
        torch_call("diagonal_scatter"),
        _diagonal_inputs(),
    ),
    # PyTorch 2.13's input gradient is wrong (its own gradcheck fails): test_misc2.py compares
    # the forward and src's gradient with it.
    OpCase(
        "as_strided_scatter",
        tt.as_strided_scatter,
        _np_as_strided,
        None,
        _as_strided_inputs(),
    ),
    *[
        OpCase(
            f"index_reduce_{r}",
            _tt_ir_row,
            _np_index_reduce,
            _torch_ir_row,
            _index_reduce_inputs(r),
        )
        for r in ("prod", "mean", "amax", "amin")
    ],
    OpCase(
        "block_diag", tt.block_diag, _np_block_diag, torch_call("block_diag"), _block_diag_inputs()
    ),
    OpCase(
        "combinations",
        tt.combinations,
        _np_combinations,
        torch_call("combinations"),
        _combinations_inputs(),
    ),
    OpCase("cov", tt.cov, _np_cov, torch_call("cov"), _cov_inputs()),
    OpCase("corrcoef", tt.corrcoef, np.corrcoef, torch_call("corrcoef"), _corrcoef_inputs()),
    OpCase("gradient", tt.gradient, _np_gradient, torch_call("gradient"), _gradient_inputs()),
    OpCase("renorm", tt.renorm, _np_renorm, torch_call("renorm"), _renorm_inputs()),
    OpCase(
        "triangular_solve",
        tt.triangular_solve,
        _np_triangular_solve,
        torch_call("triangular_solve"),
        _triangular_solve_inputs(),
    ),
]
