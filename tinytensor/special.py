"""``tinytensor.special``: PyTorch's ``torch.special`` (SciPy's names), each differentiable.

>>> import tinytensor as tt
>>> tt.special.erf(tt.tensor([0.0, 1.0]))
tensor([0.0000, 0.8427])
"""

from __future__ import annotations

from tinytensor._namespace.conventions import export_namespace as _export_namespace
from tinytensor.ops.explog import exp2, expm1, log1p, logit, xlogy
from tinytensor.ops.reduce import logsumexp
from tinytensor.ops.softmax import log_softmax, softmax
from tinytensor.ops.special import (
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    digamma,
    entr,
    erf,
    erfc,
    erfcx,
    erfinv,
    hermite_polynomial_h,
    hermite_polynomial_he,
    i0,
    i0e,
    i1,
    i1e,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    lgamma,
    log_ndtr,
    modified_bessel_i0,
    modified_bessel_i1,
    mvlgamma,
    ndtr,
    ndtri,
    polygamma,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
    spherical_bessel_j0,
    xlog1py,
)
from tinytensor.ops.trig import sinc
from tinytensor.ops.unary import round, sigmoid  # noqa: A004 - PyTorch's names

expit = sigmoid
gammaln = lgamma
psi = digamma
multigammaln = mvlgamma

__all__ = [
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
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
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
]

# The namespace door: out= and the NumPy-style keyword aliases, as PyTorch's torch.special.
_export_namespace(globals(), "special")
