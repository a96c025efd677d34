"""Op-table rows for softmax and log_softmax (tinytensor/ops/softmax.py)."""

from __future__ import annotations

import numpy as np

import tinytensor as tt

from ._base import OpCase
from ._pointwise import (
    _dim_inputs,
    _np_softmax,
)
from ._torch import torch_call

CASES = [
    OpCase("softmax", tt.softmax, _np_softmax, torch_call("softmax"), _dim_inputs()),
    OpCase(
        "log_softmax",
        tt.log_softmax,
        lambda x, dim: np.log(_np_softmax(x, dim)),
        torch_call("log_softmax"),
        _dim_inputs(),
    ),
    OpCase(
        "softmax_method",
        lambda x, dim: x.softmax(dim),
        _np_softmax,
        lambda x, dim: x.softmax(dim),
        _dim_inputs(),
    ),
]
