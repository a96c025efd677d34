"""Op-table rows for comparisons and predicates (tinytensor/ops/compare.py): no gradient."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

from ._base import binary_inputs, lattice, unary_inputs
from ._pointwise import (
    _not_diff,
)

CASES = [
    _not_diff(
        "heaviside",
        tt.heaviside,
        np.heaviside,
        binary_inputs(st.sampled_from([-1.5, 0.0, 2.0])),
    ),
    _not_diff("nextafter", tt.nextafter, np.nextafter, binary_inputs()),
    _not_diff("signbit", tt.signbit, np.signbit, unary_inputs()),
    _not_diff("isclose", tt.isclose, np.isclose, binary_inputs(lattice(0.0), lattice(0.0))),
    _not_diff("isneginf", tt.isneginf, np.isneginf, unary_inputs()),
    _not_diff("isposinf", tt.isposinf, np.isposinf, unary_inputs()),
    _not_diff("isreal", tt.isreal, np.isreal, unary_inputs()),
]
