"""Op-table rows for trigonometric and hyperbolic functions (tinytensor/ops/trig.py)."""

from __future__ import annotations

import numpy as np

import tinytensor as tt

from ._base import floats
from ._pointwise import (
    NONZERO,
    POSITIVE,
    UNIT,
    _b,
    _u,
    _unary,
)

CASES = [
    _unary("sin", tt.sin, np.sin, "sin"),
    _unary("cos", tt.cos, np.cos, "cos"),
    _unary("tanh", tt.tanh, np.tanh, "tanh"),
    _u("tan", tt.tan, np.tan, floats(-1.2, 1.2)),
    _u("asin", tt.asin, np.arcsin, UNIT),
    _u("acos", tt.acos, np.arccos, UNIT),
    _u("atan", tt.atan, np.arctan),
    _u("sinh", tt.sinh, np.sinh),
    _u("cosh", tt.cosh, np.cosh),
    _u("asinh", tt.asinh, np.arcsinh),
    _u("acosh", tt.acosh, np.arccosh, floats(1.2, 4.0)),
    _u("atanh", tt.atanh, np.arctanh, UNIT),
    _u("sinc", tt.sinc, np.sinc, floats(-3.0, 3.0, avoid=(0.0,))),
    _u("deg2rad", tt.deg2rad, np.deg2rad),
    _u("rad2deg", tt.rad2deg, np.rad2deg),
    _b("atan2", tt.atan2, np.arctan2, b=POSITIVE),
    _b("hypot", tt.hypot, np.hypot, NONZERO, NONZERO),
]
