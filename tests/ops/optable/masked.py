"""Op-table rows for the masked ops (tinytensor/ops/masked.py): masked_select and
masked_scatter (masked_fill's row is with the indexing rows, in index.py)."""

from __future__ import annotations

from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, shapes, tensor
from ._torch import torch_call


@st.composite
def _mask_inputs(draw, source=False):
    shape = draw(shapes(min_dims=1))
    x = draw(tensor(shape))
    mask = draw(tensor(shape, dtype=tt.bool))
    args = (x, mask)
    if source:
        n = int(mask.numpy().sum()) + draw(st.integers(0, 2))
        args += (draw(tensor((n,))),)
    return Sample(args)


def _np_masked_scatter(x, mask, src):
    out = x.copy()
    out[mask] = src[: int(mask.sum())]
    return out


CASES = [
    OpCase(
        "masked_select",
        tt.masked_select,
        lambda x, m: x[m],
        torch_call("masked_select"),
        _mask_inputs(),
    ),
    OpCase(
        "masked_scatter",
        tt.masked_scatter,
        _np_masked_scatter,
        lambda x, m, s: x.masked_scatter(m, s),
        _mask_inputs(source=True),
    ),
]
