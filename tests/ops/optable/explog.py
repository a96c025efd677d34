"""Op-table rows for exponentials and logarithms (tinytensor/ops/explog.py)."""

from __future__ import annotations

import numpy as np
import scipy.special as sp

import tinytensor as tt

from ._base import OpCase, floats, unary_inputs
from ._pointwise import (
    NONZERO,
    POSITIVE,
    _b,
    _np_xlogy,
    _u,
    _unary,
)
from ._torch import torch_call

CASES = [
    _unary("exp", tt.exp, np.exp, "exp"),
    _unary("log", tt.log, np.log, "log", POSITIVE),
    _unary("log1p", tt.log1p, np.log1p, "log1p", floats(-0.7, 4.0)),
    _u("log2", tt.log2, np.log2, POSITIVE),
    _u("log10", tt.log10, np.log10, POSITIVE),
    _u("exp2", tt.exp2, np.exp2),
    _u("expm1", tt.expm1, np.expm1),
    _u("logit", tt.logit, sp.logit, floats(0.05, 0.95)),
    OpCase(
        "logit_eps",
        lambda x: tt.logit(x, eps=0.2),
        lambda x: sp.logit(np.clip(x, 0.2, 0.8)),
        torch_call("logit", eps=0.2),
        unary_inputs(floats(0.0, 1.0, avoid=(0.2, 0.8), margin=0.05)),
    ),
    _b("xlogy", tt.xlogy, _np_xlogy, NONZERO, POSITIVE),
    _b("logaddexp", tt.logaddexp, np.logaddexp),
    _b("logaddexp2", tt.logaddexp2, np.logaddexp2),
    _b("ldexp", tt.ldexp, lambda x, e: x * np.exp2(e), b=floats(-2.0, 2.0)),
]
