"""Op-table rows for padding (tinytensor/ops/pad.py): constant, reflect, replicate and circular
modes, negative pads (crops) included."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, Sample, shapes, tensor

# --- padding -------------------------------------------------------------------------------------


def _pad_inputs(mode):
    """Pads for the last k dims; reflect needs pad < size, circular pad <= size; non-constant
    modes take k+1 or k+2 dims (PyTorch's batch/channel convention)."""

    @st.composite
    def draw_sample(draw):
        k = draw(st.integers(1, 2))
        lo_dims = 1 if mode == "constant" else k + 1
        shape = draw(shapes(min_dims=lo_dims, max_dims=k + 2 if mode != "constant" else 3))
        k = min(k, len(shape))
        pads = []
        for size in reversed(shape[len(shape) - k :]):
            for _ in range(2):
                if mode == "constant":
                    pads.append(draw(st.integers(-(size // 2), 3)))
                elif mode == "reflect":
                    pads.append(draw(st.integers(0, size - 1)))
                elif mode == "circular":
                    pads.append(draw(st.integers(0, size)))
                else:
                    pads.append(draw(st.integers(0, 3)))
        kwargs = {"pad": tuple(pads), "mode": mode}
        if mode == "constant":
            kwargs["value"] = draw(st.sampled_from([0.0, 1.5]))
        return Sample((draw(tensor(shape)),), kwargs)

    return draw_sample()


def _np_pad(x, pad, mode="constant", value=0.0):
    n = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    crop = tuple(
        slice(-lo if lo < 0 else 0, s + hi if hi < 0 else None)
        for (lo, hi), s in zip(widths, x.shape)
    )
    x = x[crop]
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge"}.get(mode, "wrap"))


def _torch_pad(x, pad, mode="constant", value=0.0):
    import torch.nn.functional as F

    if mode == "constant":
        return F.pad(x, pad, mode=mode, value=value)
    return F.pad(x, pad, mode=mode)


CASES = [
    OpCase("pad_constant", tt.pad, _np_pad, _torch_pad, _pad_inputs("constant")),
    OpCase("pad_reflect", tt.pad, _np_pad, _torch_pad, _pad_inputs("reflect")),
    OpCase("pad_replicate", tt.pad, _np_pad, _torch_pad, _pad_inputs("replicate")),
    OpCase("pad_circular", tt.pad, _np_pad, _torch_pad, _pad_inputs("circular")),
]
