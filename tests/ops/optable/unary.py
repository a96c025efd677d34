"""Op-table rows for one-input math (tinytensor/ops/unary.py)."""

from __future__ import annotations

import numpy as np

import tinytensor as tt

from ._base import floats
from ._pointwise import (
    NONZERO,
    NOT_HALF,
    NOT_INTEGER,
    POSITIVE,
    _sigmoid,
    _u,
    _unary,
)
from ._torch import torch_call

CASES = [
    _unary("neg", tt.neg, np.negative, "neg"),
    _unary("square", tt.square, np.square, "square"),
    _unary("reciprocal", tt.reciprocal, np.reciprocal, "reciprocal", NONZERO),
    _unary("sqrt", tt.sqrt, np.sqrt, "sqrt", POSITIVE),
    _unary("rsqrt", tt.rsqrt, lambda x: 1.0 / np.sqrt(x), "rsqrt", POSITIVE),
    _unary("abs", tt.abs, np.abs, "abs", NONZERO),
    _unary("sign", tt.sign, np.sign, "sign", NONZERO),
    _unary("sigmoid", tt.sigmoid, _sigmoid, "sigmoid", floats(-10.0, 10.0)),
    _unary("relu", tt.relu, lambda x: np.maximum(x, 0.0), "relu", NONZERO),
    _unary("floor", tt.floor, np.floor, "floor", NOT_INTEGER),
    _unary("ceil", tt.ceil, np.ceil, "ceil", NOT_INTEGER),
    _unary("round", tt.round, np.round, "round", NOT_HALF),
    _unary("trunc", tt.trunc, np.trunc, "trunc", NOT_INTEGER),
    _u("frac", tt.frac, lambda x: x - np.trunc(x), NOT_INTEGER),
    _u("nan_to_num", tt.nan_to_num, np.nan_to_num),
    # torch.sgn's gradient is a ZeroTensor that .numpy() refuses: torch.sign is the oracle.
    _u("sgn", tt.sgn, np.sign, NONZERO, torch_call("sign")),
]
