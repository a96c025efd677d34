"""Op-table rows for special functions (tinytensor/ops/special.py). NumPy or SciPy is the
forward oracle."""

from __future__ import annotations

import scipy.special as sp
from hypothesis import strategies as st

import tinytensor as tt

from ._base import OpCase, binary_inputs, floats, unary_inputs
from ._pointwise import (
    NONZERO,
    NOT_INTEGER,
    POSITIVE,
    UNIT,
    _np_entr,
    _np_mvlgamma,
    _torch_polygamma,
    _torch_special,
    _u,
)
from ._torch import torch_call

CASES = [
    _u("erf", tt.erf, sp.erf),
    _u("erfc", tt.erfc, sp.erfc),
    _u("erfinv", tt.erfinv, sp.erfinv, UNIT),
    _u("lgamma", tt.lgamma, sp.gammaln, floats(0.2, 5.0)),
    _u("lgamma_negative", tt.lgamma, sp.gammaln, NOT_INTEGER, torch_call("lgamma")),
    _u("digamma", tt.digamma, sp.digamma, floats(0.2, 5.0)),
    _u("digamma_negative", tt.digamma, sp.digamma, NOT_INTEGER, torch_call("digamma")),
    OpCase(
        "polygamma",
        lambda x, n: tt.polygamma(n, x),
        lambda x, n: sp.polygamma(n, x),
        _torch_polygamma,
        unary_inputs(floats(0.3, 5.0), n=st.integers(1, 3)),
        rtol=1e-10,
    ),
    OpCase(
        "mvlgamma",
        tt.mvlgamma,
        _np_mvlgamma,
        torch_call("mvlgamma"),
        unary_inputs(floats(1.6, 5.0), p=st.integers(1, 3)),
    ),
    _u("i0", tt.i0, sp.i0),
    _u("special.i1", tt.special.i1, sp.i1, torch_fn=_torch_special("i1")),
    _u("special.erfcx", tt.special.erfcx, sp.erfcx, floats(-2.0, 5.0), _torch_special("erfcx")),
    _u("special.ndtr", tt.special.ndtr, sp.ndtr, torch_fn=_torch_special("ndtr"), rtol=1e-12),
    _u("special.ndtri", tt.special.ndtri, sp.ndtri, floats(0.05, 0.95), _torch_special("ndtri")),
    _u(
        "special.log_ndtr",
        tt.special.log_ndtr,
        sp.log_ndtr,
        floats(-6.0, 3.0),
        _torch_special("log_ndtr"),
    ),  # fmt: skip,
    _u("special.entr", tt.special.entr, _np_entr, POSITIVE, _torch_special("entr")),
    OpCase(
        "special.xlog1py",
        tt.special.xlog1py,
        sp.xlog1py,
        _torch_special("xlog1py"),
        binary_inputs(NONZERO, floats(-0.7, 3.0)),
    ),
]
