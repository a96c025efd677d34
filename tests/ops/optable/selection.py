"""Op-table rows for selection between operands (tinytensor/ops/selection.py): where, clamp,
maximum/minimum, fmax/fmin."""

from __future__ import annotations

import numpy as np

import tinytensor as tt

from ._base import OpCase, binary_inputs, floats, lattice, unary_inputs
from ._pointwise import (
    _b,
    _clamp_inputs,
    _clamp_tensor_inputs,
    _np_clamp,
    _torch_clamp_min,
    _torch_minmax_clamp,
    _ttorch_clamp,
    _where_inputs,
)
from ._torch import torch_call

CASES = [
    OpCase("clamp", tt.clamp, _np_clamp, _ttorch_clamp, _clamp_inputs()),
    OpCase(
        "clamp_tensor",
        lambda x, lo, hi: tt.clamp(x, lo, hi),
        lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
        lambda x, lo, hi: _torch_minmax_clamp(x, lo, hi),
        _clamp_tensor_inputs(),
    ),
    OpCase(
        "maximum",
        tt.maximum,
        np.maximum,
        torch_call("maximum"),
        binary_inputs(lattice(0.0), lattice(0.17)),
    ),
    OpCase(
        "minimum",
        tt.minimum,
        np.minimum,
        torch_call("minimum"),
        binary_inputs(lattice(0.0), lattice(0.17)),
    ),
    OpCase("where", tt.where, np.where, torch_call("where"), _where_inputs()),
    OpCase(
        "where_method",
        lambda c, a, b: a.where(c, b),
        np.where,
        torch_call("where"),
        _where_inputs(),
    ),
    _b("fmax", tt.fmax, np.fmax, lattice(0.0), lattice(0.17)),
    _b("fmin", tt.fmin, np.fmin, lattice(0.0), lattice(0.17)),
    _b("clamp_min", tt.clamp_min, np.maximum, lattice(0.0), lattice(0.17)),
    _b("clamp_max", tt.clamp_max, np.minimum, lattice(0.0), lattice(0.17)),
    OpCase(
        "clamp_min_scalar",
        lambda x: tt.clamp_min(x, 0.5),
        lambda x: np.maximum(x, 0.5),
        lambda x: _torch_clamp_min(x, 0.5),
        unary_inputs(floats(-3.0, 3.0, avoid=(0.5,))),
    ),
]
