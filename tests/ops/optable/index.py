"""Op-table rows for indexing (tinytensor/ops/index.py): [] with basic, integer-array (with
repeated indices) and boolean-mask indices, []= (through a non-leaf copy), and masked_fill
(ops/masked.py). gather, scatter, index_select, take... are in gather.py."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinytensor as tt
from tinytensor.testing import strategies as tst

from ._base import OpCase, Sample, shapes, tensor


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
]
