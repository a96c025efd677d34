"""``tinytensor.special``: PyTorch's ``torch.special`` (SciPy's names), each differentiable.

>>> import tinytensor as tt
>>> tt.special.erf(tt.tensor([0.0, 1.0]))
tensor([0.0000, 0.8427])
"""

from __future__ import annotations

from tinytensor.ops.elementwise import log1p as log1p
from tinytensor.ops.elementwise import round, sigmoid  # noqa: A004 - PyTorch's names
from tinytensor.ops.math import exp2, expm1, logit, sinc
from tinytensor.ops.math_binary import xlogy
from tinytensor.ops.reduce import logsumexp
from tinytensor.ops.softmax import log_softmax, softmax
from tinytensor.ops.special_fns import (
    digamma,
    entr,
    erf,
    erfc,
    erfcx,
    erfinv,
    i0,
    i1,
    lgamma,
    log_ndtr,
    mvlgamma,
    ndtr,
    ndtri,
    polygamma,
    xlog1py,
)

expit = sigmoid
gammaln = lgamma
psi = digamma
multigammaln = mvlgamma

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammaln",
    "i0",
    "i1",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]
