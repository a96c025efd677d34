"""Op-table rows for indexing (tinytensor/ops/index.py): [] with basic, integer-array (with
repeated indices) and boolean-mask indices, []= (through a non-leaf copy), gather, scatter,
scatter_add, index_select, index_add, masked_fill, take."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinytensor as tt
from tinytensor.testing import strategies as tst

from ._base import OpCase, Sample, shapes, tensor
from ._torch import torch_call


def _ints(shape, lo, hi):
    return tst.tensors(shape=shape, dtype=tt.int64, elements=st.integers(lo, hi))


@st.composite
def _basic_index(draw, shape, negative_steps=False):
    """ints, slices (positive steps unless asked), None and ... for a tensor of ``shape``."""
    items = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "all"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n - 1, n + 1))
            stop = draw(st.none() | st.integers(-n - 1, n + 1))
            step = draw(st.sampled_from([None, 1, 2, 3] + ([-1, -2] if negative_steps else [])))
            items.append(slice(start, stop, step))
        else:
            items.append(slice(None))
    if items and draw(st.booleans()):
        items = items[: draw(st.integers(0, len(items)))] + [Ellipsis]
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    return items[0] if len(items) == 1 and draw(st.booleans()) else tuple(items)


def _getitem(x, index):
    return x[index]


def _setitem(x, v, index):
    """``x`` with ``[index] = v`` applied to a non-leaf copy (the same spelling in all three)."""
    y = x * 1.0
    y[index] = v
    return y


def _index_inputs(kind):
    @st.composite
    def draw_sample(draw):
        shape = draw(shapes(min_dims=1 if kind != "basic" else 0))
        x = draw(tensor(shape))
        if kind in ("basic", "negative_steps"):
            index = draw(_basic_index(shape, negative_steps=kind == "negative_steps"))
        elif kind == "arrays":
            arrays = draw(hnp.integer_array_indices(shape, result_shape=shapes(max_dims=2)))
            index = tuple(tt.tensor(a.astype(np.int64)) for a in arrays)
        elif kind == "array_on_dim":
            d = draw(st.integers(0, len(shape) - 1))
            idx = draw(_ints(shapes(max_dims=2), -shape[d], shape[d] - 1))
            last = d == len(shape) - 1 and draw(st.booleans())
            lead = (Ellipsis,) if last else (slice(None),) * d
            index = (*lead, idx)
            if draw(st.booleans()):
                index = (*index, None)
        elif kind == "list":
            index = draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=5))
        else:  # mask over the leading dims
            k = draw(st.integers(1, len(shape)))
            index = draw(tst.tensors(shape=shape[:k], dtype=tt.bool))
        return Sample((x,), {"index": index})

    return draw_sample()


def _setitem_inputs(kind):
    @st.composite
    def draw_sample(draw):
        shape = draw(shapes(min_dims=1))
        x = draw(tensor(shape))
        if kind == "basic":
            index = draw(_basic_index(shape))
        elif kind == "array":
            d = draw(st.integers(0, len(shape) - 1))
            rows = draw(st.lists(st.integers(0, shape[d] - 1), min_size=1, unique=True))
            index = (slice(None),) * d + (tt.tensor(rows),)
        else:
            index = draw(tst.tensors(shape=shape, dtype=tt.bool))
        target = np.empty(shape)[
            tuple(
                i.numpy() if isinstance(i, tt.Tensor) else i
                for i in (index if isinstance(index, tuple) else (index,))
            )
        ].shape
        vshape = target[draw(st.integers(0, len(target))) :]
        return Sample((x, draw(tensor(vshape))), {"index": index})

    return draw_sample()


# --- gather / scatter ----------------------------------------------------------------------------


def _gather_like(unique):
    """x, an index (int64, same ndim, at most x's size off ``dim``), dim; with ``unique`` the
    index never repeats a position along ``dim`` (scatter is then deterministic)."""

    @st.composite
    def draw_sample(draw):
        shape = draw(shapes(min_dims=1))
        x = draw(tensor(shape))
        d = draw(st.integers(0, len(shape) - 1))
        ishape = [draw(st.integers(1, n)) for n in shape]
        n = shape[d]
        if unique:
            keys = draw(tst.tensors(shape=tuple(n if i == d else s for i, s in enumerate(ishape))))
            order = np.argsort(keys.numpy(), axis=d, kind="stable")
            index = tt.tensor(np.take(order, range(ishape[d]), axis=d))
        else:
            ishape[d] = draw(st.integers(1, 4))
            index = draw(_ints(tuple(ishape), 0, n - 1))
        dim = d - len(shape) if draw(st.booleans()) else d
        return Sample((x, index), {"dim": dim}), tuple(index.shape)

    return draw_sample()


def _gather_inputs():
    return _gather_like(False).map(lambda s: s[0])


def _scatter_inputs(unique):
    @st.composite
    def draw_sample(draw):
        sample, ishape = draw(_gather_like(unique))
        # src the size of index: PyTorch's scatter backward rejects a larger src
        return Sample((*sample.args, draw(tensor(ishape))), sample.kwargs)

    return draw_sample()


def _np_gather(x, index, dim):
    dim %= x.ndim
    sl = tuple(slice(None) if i == dim else slice(0, n) for i, n in enumerate(index.shape))
    return np.take_along_axis(x[sl], index, axis=dim)


def _np_scatter(add):
    def ref(x, index, src, dim):
        dim %= x.ndim
        out = x.copy()
        for pos in np.ndindex(index.shape):
            target = list(pos)
            target[dim] = index[pos]
            if add:
                out[tuple(target)] += src[pos]
            else:
                out[tuple(target)] = src[pos]
        return out

    return ref


# --- vector indices ------------------------------------------------------------------------------


def _select_inputs(with_source=False):
    @st.composite
    def draw_sample(draw):
        shape = draw(shapes(min_dims=1))
        x = draw(tensor(shape))
        d = draw(st.integers(0, len(shape) - 1))
        idx = draw(_ints((draw(st.integers(0, 5)),), 0, shape[d] - 1))
        args = (x, idx)
        if with_source:
            sshape = shape[:d] + (idx.shape[0],) + shape[d + 1 :]
            args = (x, idx, draw(tensor(sshape)))
        return Sample(args, {"dim": d})

    return draw_sample()


def _np_index_add(x, idx, src, dim, alpha=1.0):
    out = x.copy()
    np.add.at(out, (slice(None),) * dim + (idx,), alpha * src)
    return out


def _mask_inputs(tensor_value=False):
    @st.composite
    def draw_sample(draw):
        shape = draw(shapes())
        x = draw(tensor(shape))
        k = draw(st.integers(0, len(shape)))
        mshape = tuple(1 if draw(st.booleans()) else n for n in shape[len(shape) - k :])
        mask = draw(tst.tensors(shape=mshape, dtype=tt.bool))
        if tensor_value:
            return Sample((x, mask, draw(tensor(()))))
        return Sample((x, mask), {"value": draw(st.sampled_from([0.0, -1.5, 2.0]))})

    return draw_sample()


def _take_inputs():
    @st.composite
    def draw_sample(draw):
        x = draw(tensor(shapes()))
        n = x.numel()
        return Sample((x, draw(_ints(shapes(max_dims=2), 0, n - 1))))

    return draw_sample()


@st.composite
def _take_along_inputs(draw):
    shape = draw(shapes(min_dims=1))
    x = draw(tensor(shape))
    if draw(st.booleans()):
        return Sample((x,), {"indices": draw(_ints((3,), 0, x.numel() - 1)), "dim": None})
    d = draw(st.integers(0, len(shape) - 1))
    ishape = tuple(draw(st.sampled_from([1, s])) if i != d else 3 for i, s in enumerate(shape))
    return Sample((x,), {"indices": draw(_ints(ishape, 0, shape[d] - 1)), "dim": d})


def _np_take_along(x, indices, dim=None):
    if dim is None:
        return x.reshape(-1)[indices.reshape(-1)]
    shape = list(
        np.broadcast_shapes(x.shape, indices.shape[:dim] + (1,) + indices.shape[dim + 1 :])
    )
    sx, si = list(shape), list(shape)
    sx[dim], si[dim] = x.shape[dim], indices.shape[dim]
    return np.take_along_axis(np.broadcast_to(x, sx), np.broadcast_to(indices, si), dim)


CASES = [
    OpCase("getitem_basic", _getitem, _getitem, _getitem, _index_inputs("basic")),
    OpCase("getitem_negative_steps", _getitem, _getitem, None, _index_inputs("negative_steps")),
    OpCase("getitem_arrays", _getitem, _getitem, _getitem, _index_inputs("arrays")),
    OpCase("getitem_array_on_dim", _getitem, _getitem, _getitem, _index_inputs("array_on_dim")),
    OpCase("getitem_list", _getitem, _getitem, _getitem, _index_inputs("list")),
    OpCase("getitem_mask", _getitem, _getitem, _getitem, _index_inputs("mask")),
    OpCase("setitem_basic", _setitem, _setitem, _setitem, _setitem_inputs("basic")),
    OpCase("setitem_array", _setitem, _setitem, _setitem, _setitem_inputs("array")),
    OpCase("setitem_mask", _setitem, _setitem, _setitem, _setitem_inputs("mask")),
    OpCase(
        "gather",
        lambda x, index, dim: x.gather(dim, index),
        _np_gather,
        lambda x, index, dim: x.gather(dim, index),
        _gather_inputs(),
    ),
    OpCase(
        "scatter",
        lambda x, index, src, dim: tt.scatter(x, dim, index, src),
        _np_scatter(add=False),
        lambda x, index, src, dim: x.scatter(dim, index, src),
        _scatter_inputs(unique=True),
    ),
    OpCase(
        "scatter_value",
        lambda x, index, dim: x.scatter(dim, index, value=2.5),
        lambda x, index, dim: _np_scatter(add=False)(x, index, np.full(index.shape, 2.5), dim),
        lambda x, index, dim: x.scatter(dim, index, value=2.5),
        _gather_like(True).map(lambda s: s[0]),
    ),
    OpCase(
        "scatter_add",
        lambda x, index, src, dim: x.scatter_add(dim, index, src),
        _np_scatter(add=True),
        lambda x, index, src, dim: x.scatter_add(dim, index, src),
        _scatter_inputs(unique=False),
    ),
    OpCase(
        "index_select",
        lambda x, idx, dim: tt.index_select(x, dim, idx),
        lambda x, idx, dim: np.take(x, idx, axis=dim),
        lambda x, idx, dim: x.index_select(dim, idx),
        _select_inputs(),
    ),
    OpCase(
        "index_add",
        lambda x, idx, src, dim: x.index_add(dim, idx, src, alpha=1.5),
        lambda x, idx, src, dim: _np_index_add(x, idx, src, dim, 1.5),
        lambda x, idx, src, dim: x.index_add(dim, idx, src, alpha=1.5),
        _select_inputs(with_source=True),
    ),
    OpCase(
        "masked_fill",
        tt.masked_fill,
        lambda x, mask, value: np.where(mask, value, x),
        lambda x, mask, value: x.masked_fill(mask, value),
        _mask_inputs(),
    ),
    OpCase(
        "masked_fill_tensor",
        lambda x, mask, v: x.masked_fill(mask, v),
        lambda x, mask, v: np.where(mask, v, x),
        lambda x, mask, v: x.masked_fill(mask, v),
        _mask_inputs(tensor_value=True),
    ),
    OpCase(
        "take",
        tt.take,
        lambda x, idx: np.take(x, idx),
        lambda x, idx: __import__("torch").take(x, idx),
        _take_inputs(),
    ),
    OpCase(
        "take_along_dim",
        tt.take_along_dim,
        _np_take_along,
        torch_call("take_along_dim"),
        _take_along_inputs(),
    ),
]
