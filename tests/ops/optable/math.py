"""Op-table rows for elementwise math and special functions (tinytensor/ops/math.py,
math_binary.py, special_fns.py, softmax.py). NumPy or SciPy is the forward oracle."""

from __future__ import annotations

import numpy as np
import scipy.special as sp
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import strategies as tst

from ._base import OpCase, Sample, binary_inputs, floats, lattice, shapes, tensor, unary_inputs
from ._torch import torch_call

NONZERO = floats(-3.0, 3.0, avoid=(0.0,), margin=0.4)
POSITIVE = floats(0.3, 4.0)
UNIT = floats(-0.9, 0.9)
NOT_INTEGER = floats(-3.0, 3.0, avoid=tuple(float(k) for k in range(-3, 4)), margin=0.1)


def _torch_special(name, **fixed):
    def call(*args, **kwargs):
        import torch

        return getattr(torch.special, name)(*args, **fixed, **kwargs)

    return call


def _u(name, fn, np_ref, elements=None, torch_fn=None, **kw):
    """A unary row: tt.<name> vs ``np_ref`` and torch.<name>."""
    return OpCase(name, fn, np_ref, torch_fn or torch_call(name), unary_inputs(elements), **kw)


def _b(name, fn, np_ref, a=None, b=None, **kw):
    return OpCase(name, fn, np_ref, torch_call(name), binary_inputs(a, b), **kw)


@st.composite
def _ternary(draw, a=None, b=None, c=None, **kwargs):
    sa, sb, sc = draw(tst.mutually_broadcastable_shapes(3))
    return Sample((draw(tensor(sa, a)), draw(tensor(sb, b)), draw(tensor(sc, c))), kwargs)


@st.composite
def _division_inputs(draw):
    """(a, b) with a/b at least 0.15 from an integer: fmod and remainder are smooth there."""
    sa, sb = draw(tst.mutually_broadcastable_shapes(2))
    b = draw(tensor(sb, floats(0.6, 2.0).flatmap(lambda v: st.sampled_from([v, -v]))))
    q = draw(tensor(sa, st.tuples(st.integers(-3, 3), st.floats(0.15, 0.85)).map(sum)))
    return Sample((tt.tensor(q.numpy() * b.numpy()), b))


@st.composite
def _dim_inputs(draw):
    x = draw(tensor(shapes(min_dims=1)))
    return Sample((x,), {"dim": draw(st.integers(-x.ndim, x.ndim - 1))})


def _np_softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _np_lerp(s, e, w):
    return s + w * (e - s)


def _np_mvlgamma(x, p):
    return sp.multigammaln(x, p) if np.ndim(x) == 0 else np.vectorize(sp.multigammaln)(x, p)


def _np_xlogy(a, b):
    return sp.xlogy(a, b)


def _torch_polygamma(x, n):
    import torch

    return torch.polygamma(n, x)


def _torch_clamp_min(x, m):
    import torch

    return torch.clamp_min(x, m)


def _np_entr(x):
    return sp.entr(x)


def _not_diff(name, fn, np_ref, inputs, torch_fn=None):
    return OpCase(name, fn, np_ref, torch_fn or torch_call(name), inputs, differentiable=False)


UNARY = [
    _u("tan", tt.tan, np.tan, floats(-1.2, 1.2)),
    _u("asin", tt.asin, np.arcsin, UNIT),
    _u("acos", tt.acos, np.arccos, UNIT),
    _u("atan", tt.atan, np.arctan),
    _u("sinh", tt.sinh, np.sinh),
    _u("cosh", tt.cosh, np.cosh),
    _u("asinh", tt.asinh, np.arcsinh),
    _u("acosh", tt.acosh, np.arccosh, floats(1.2, 4.0)),
    _u("atanh", tt.atanh, np.arctanh, UNIT),
    _u("log2", tt.log2, np.log2, POSITIVE),
    _u("log10", tt.log10, np.log10, POSITIVE),
    _u("exp2", tt.exp2, np.exp2),
    _u("expm1", tt.expm1, np.expm1),
    _u("sinc", tt.sinc, np.sinc, floats(-3.0, 3.0, avoid=(0.0,))),
    _u("logit", tt.logit, sp.logit, floats(0.05, 0.95)),
    OpCase(
        "logit_eps",
        lambda x: tt.logit(x, eps=0.2),
        lambda x: sp.logit(np.clip(x, 0.2, 0.8)),
        torch_call("logit", eps=0.2),
        unary_inputs(floats(0.0, 1.0, avoid=(0.2, 0.8), margin=0.05)),
    ),
    _u("frac", tt.frac, lambda x: x - np.trunc(x), NOT_INTEGER),
    _u("deg2rad", tt.deg2rad, np.deg2rad),
    _u("rad2deg", tt.rad2deg, np.rad2deg),
    _u("nan_to_num", tt.nan_to_num, np.nan_to_num),
    # torch.sgn's gradient is a ZeroTensor that .numpy() refuses: torch.sign is the oracle.
    _u("sgn", tt.sgn, np.sign, NONZERO, torch_call("sign")),
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

SPECIAL = [
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
    ),  # fmt: skip
    _u("special.entr", tt.special.entr, _np_entr, POSITIVE, _torch_special("entr")),
    OpCase(
        "special.xlog1py",
        tt.special.xlog1py,
        sp.xlog1py,
        _torch_special("xlog1py"),
        binary_inputs(NONZERO, floats(-0.7, 3.0)),
    ),
]

BINARY = [
    _b("atan2", tt.atan2, np.arctan2, b=POSITIVE),
    _b("xlogy", tt.xlogy, _np_xlogy, NONZERO, POSITIVE),
    OpCase("lerp", tt.lerp, _np_lerp, torch_call("lerp"), _ternary()),
    OpCase(
        "lerp_scalar",
        lambda s, e: tt.lerp(s, e, 0.3),
        lambda s, e: _np_lerp(s, e, 0.3),
        torch_call("lerp", weight=0.3),
        binary_inputs(),
    ),
    OpCase("fmod", tt.fmod, np.fmod, torch_call("fmod"), _division_inputs()),
    OpCase("remainder", tt.remainder, np.remainder, torch_call("remainder"), _division_inputs()),
    OpCase(
        "fmod_scalar",
        lambda x: tt.fmod(x, 1.3),
        lambda x: np.fmod(x, 1.3),
        torch_call("fmod", other=1.3),
        unary_inputs(floats(-3.0, 3.0, avoid=(-2.6, -1.3, 0.0, 1.3, 2.6))),
    ),
    _b("copysign", tt.copysign, np.copysign, NONZERO, NONZERO),
    _b("logaddexp", tt.logaddexp, np.logaddexp),
    _b("logaddexp2", tt.logaddexp2, np.logaddexp2),
    _b("hypot", tt.hypot, np.hypot, NONZERO, NONZERO),
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
    OpCase(
        "addcmul",
        lambda x, a, b: tt.addcmul(x, a, b, value=0.5),
        lambda x, a, b: x + 0.5 * a * b,
        torch_call("addcmul", value=0.5),
        _ternary(),
    ),
    OpCase(
        "addcdiv",
        lambda x, a, b: tt.addcdiv(x, a, b, value=-1.5),
        lambda x, a, b: x - 1.5 * a / b,
        torch_call("addcdiv", value=-1.5),
        _ternary(c=NONZERO),
    ),
    _b("ldexp", tt.ldexp, lambda x, e: x * np.exp2(e), b=floats(-2.0, 2.0)),
    _b("float_power", tt.float_power, np.power, POSITIVE, floats(-2.0, 2.0)),
    _b("true_divide", tt.true_divide, np.true_divide, b=NONZERO),
]

NOT_DIFFERENTIABLE = [
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

CASES = UNARY + SPECIAL + BINARY + NOT_DIFFERENTIABLE
