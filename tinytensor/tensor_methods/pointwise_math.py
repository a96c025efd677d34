"""Elementwise math as ``Tensor`` methods, and the in-place ``op_`` forms PyTorch has for
elementwise ops: trigonometric, hyperbolic, log/exp variants, special functions, binary math
(atan2, fmod, lerp, addcmul, ...), softmax, plus the missing spellings and in-place forms of the
pointwise ops (``ops.unary``, ``ops.trig``, ``ops.explog``, ``ops.binary``, ``ops.compare``,
``ops.selection``, ``ops.special``). Each is one call into an op.
"""

from __future__ import annotations

from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.ops import binary as BI
from tinytensor.ops import compare as CMP
from tinytensor.ops import explog as EL
from tinytensor.ops import selection as SEL
from tinytensor.ops import softmax as SM
from tinytensor.ops import special as SF
from tinytensor.ops import trig as TRIG
from tinytensor.ops import unary as UN
from tinytensor.ops.inplace import inplace


class PointwiseMathMethods:
    __slots__ = ()

    # --- new math ops ---------------------------------------------------------------------

    def tan(self):
        return TRIG.tan(self)

    def tan_(self):
        return inplace(self, TRIG.tan, "tan_")

    def asin(self):
        return TRIG.asin(self)

    def asin_(self):
        return inplace(self, TRIG.asin, "asin_")

    def acos(self):
        return TRIG.acos(self)

    def acos_(self):
        return inplace(self, TRIG.acos, "acos_")

    def atan(self):
        return TRIG.atan(self)

    def atan_(self):
        return inplace(self, TRIG.atan, "atan_")

    def arcsin(self):
        return TRIG.arcsin(self)

    def arcsin_(self):
        return inplace(self, TRIG.arcsin, "arcsin_")

    def arccos(self):
        return TRIG.arccos(self)

    def arccos_(self):
        return inplace(self, TRIG.arccos, "arccos_")

    def arctan(self):
        return TRIG.arctan(self)

    def arctan_(self):
        return inplace(self, TRIG.arctan, "arctan_")

    def sinh(self):
        return TRIG.sinh(self)

    def sinh_(self):
        return inplace(self, TRIG.sinh, "sinh_")

    def cosh(self):
        return TRIG.cosh(self)

    def cosh_(self):
        return inplace(self, TRIG.cosh, "cosh_")

    def asinh(self):
        return TRIG.asinh(self)

    def asinh_(self):
        return inplace(self, TRIG.asinh, "asinh_")

    def acosh(self):
        return TRIG.acosh(self)

    def acosh_(self):
        return inplace(self, TRIG.acosh, "acosh_")

    def atanh(self):
        return TRIG.atanh(self)

    def atanh_(self):
        return inplace(self, TRIG.atanh, "atanh_")

    def arcsinh(self):
        return TRIG.arcsinh(self)

    def arcsinh_(self):
        return inplace(self, TRIG.arcsinh, "arcsinh_")

    def arccosh(self):
        return TRIG.arccosh(self)

    def arccosh_(self):
        return inplace(self, TRIG.arccosh, "arccosh_")

    def arctanh(self):
        return TRIG.arctanh(self)

    def arctanh_(self):
        return inplace(self, TRIG.arctanh, "arctanh_")

    def log2(self):
        return EL.log2(self)

    def log2_(self):
        return inplace(self, EL.log2, "log2_")

    def log10(self):
        return EL.log10(self)

    def log10_(self):
        return inplace(self, EL.log10, "log10_")

    def exp2(self):
        return EL.exp2(self)

    def exp2_(self):
        return inplace(self, EL.exp2, "exp2_")

    def expm1(self):
        return EL.expm1(self)

    def expm1_(self):
        return inplace(self, EL.expm1, "expm1_")

    def sinc(self):
        return TRIG.sinc(self)

    def sinc_(self):
        return inplace(self, TRIG.sinc, "sinc_")

    def frac(self):
        return UN.frac(self)

    def frac_(self):
        return inplace(self, UN.frac, "frac_")

    def deg2rad(self):
        return TRIG.deg2rad(self)

    def deg2rad_(self):
        return inplace(self, TRIG.deg2rad, "deg2rad_")

    def rad2deg(self):
        return TRIG.rad2deg(self)

    def rad2deg_(self):
        return inplace(self, TRIG.rad2deg, "rad2deg_")

    def sgn(self):
        return UN.sgn(self)

    def sgn_(self):
        return inplace(self, UN.sgn, "sgn_")

    def logit(self, eps=None):
        return EL.logit(self, eps)

    def logit_(self, eps=None):
        return inplace(self, lambda s: EL.logit(s, eps), "logit_")

    def nan_to_num(self, nan=None, posinf=None, neginf=None):
        """NaN to ``nan`` (0.0 when None), +/-inf to ``posinf``/``neginf`` (the dtype's
        largest/smallest finite value when None), as ``tinytensor.nan_to_num``."""
        return UN.nan_to_num(self, 0.0 if nan is None else nan, posinf, neginf)

    def nan_to_num_(self, nan=None, posinf=None, neginf=None):
        nan = 0.0 if nan is None else nan
        return inplace(self, lambda s: UN.nan_to_num(s, nan, posinf, neginf), "nan_to_num_")

    def positive(self):
        return UN.positive(self)

    def signbit(self):
        return CMP.signbit(self)

    def isneginf(self):
        return CMP.isneginf(self)

    def isposinf(self):
        return CMP.isposinf(self)

    def isreal(self):
        return CMP.isreal(self)

    def erf(self):
        return SF.erf(self)

    def erf_(self):
        return inplace(self, SF.erf, "erf_")

    def erfc(self):
        return SF.erfc(self)

    def erfc_(self):
        return inplace(self, SF.erfc, "erfc_")

    def erfinv(self):
        return SF.erfinv(self)

    def erfinv_(self):
        return inplace(self, SF.erfinv, "erfinv_")

    def lgamma(self):
        return SF.lgamma(self)

    def lgamma_(self):
        return inplace(self, SF.lgamma, "lgamma_")

    def digamma(self):
        return SF.digamma(self)

    def digamma_(self):
        return inplace(self, SF.digamma, "digamma_")

    def i0(self):
        return SF.i0(self)

    def i0_(self):
        return inplace(self, SF.i0, "i0_")

    def polygamma(self, n):
        return SF.polygamma(n, self)

    def polygamma_(self, n):
        return inplace(self, lambda s: SF.polygamma(n, s), "polygamma_")

    def mvlgamma(self, p):
        return SF.mvlgamma(self, p)

    def mvlgamma_(self, p):
        return inplace(self, lambda s: SF.mvlgamma(s, p), "mvlgamma_")

    def atan2(self, other):
        return TRIG.atan2(self, other)

    def atan2_(self, other):
        return inplace(self, lambda s: TRIG.atan2(s, other), "atan2_")

    def arctan2(self, other):
        return TRIG.arctan2(self, other)

    def arctan2_(self, other):
        return inplace(self, lambda s: TRIG.arctan2(s, other), "arctan2_")

    def xlogy(self, other):
        return EL.xlogy(self, other)

    def xlogy_(self, other):
        return inplace(self, lambda s: EL.xlogy(s, other), "xlogy_")

    def fmod(self, other):
        return BI.fmod(self, other)

    def fmod_(self, other):
        return inplace(self, lambda s: BI.fmod(s, other), "fmod_")

    def copysign(self, other):
        return BI.copysign(self, other)

    def copysign_(self, other):
        return inplace(self, lambda s: BI.copysign(s, other), "copysign_")

    def logaddexp(self, other):
        return EL.logaddexp(self, other)

    def logaddexp2(self, other):
        return EL.logaddexp2(self, other)

    def hypot(self, other):
        return TRIG.hypot(self, other)

    def hypot_(self, other):
        return inplace(self, lambda s: TRIG.hypot(s, other), "hypot_")

    def fmax(self, other):
        return SEL.fmax(self, other)

    def fmin(self, other):
        return SEL.fmin(self, other)

    def heaviside(self, values):
        return CMP.heaviside(self, values)

    def heaviside_(self, values):
        return inplace(self, lambda s: CMP.heaviside(s, values), "heaviside_")

    def float_power(self, exponent):
        return BI.float_power(self, exponent)

    def float_power_(self, exponent):
        if self.dtype.name != "float64":
            raise RuntimeError(
                f"float_power_: the base has dtype {self.dtype} but the result is float64; "
                "call .double() first or use float_power"
            )
        return inplace(self, lambda s: BI.float_power(s, exponent), "float_power_")

    def true_divide(self, other):
        return BI.true_divide(self, other)

    def true_divide_(self, other):
        return inplace(self, lambda s: BI.true_divide(s, other), "true_divide_")

    def nextafter(self, other):
        return CMP.nextafter(self, other)

    def nextafter_(self, other):
        return inplace(self, lambda s: CMP.nextafter(s, other), "nextafter_")

    def ldexp(self, other):
        return EL.ldexp(self, other)

    def ldexp_(self, other):
        return inplace(self, lambda s: EL.ldexp(s, other), "ldexp_")

    def clamp_min(self, min):
        return SEL.clamp_min(self, min)

    def clamp_min_(self, min):
        return inplace(self, lambda s: SEL.clamp_min(s, min), "clamp_min_")

    def clamp_max(self, max):
        return SEL.clamp_max(self, max)

    def clamp_max_(self, max):
        return inplace(self, lambda s: SEL.clamp_max(s, max), "clamp_max_")

    def lerp(self, end, weight):
        return BI.lerp(self, end, weight)

    def lerp_(self, end, weight):
        return inplace(self, lambda s: BI.lerp(s, end, weight), "lerp_")

    def addcmul(self, tensor1, tensor2, *, value=1):
        return BI.addcmul(self, tensor1, tensor2, value=value)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return inplace(self, lambda s: BI.addcmul(s, tensor1, tensor2, value=value), "addcmul_")

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return BI.addcdiv(self, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return inplace(self, lambda s: BI.addcdiv(s, tensor1, tensor2, value=value), "addcdiv_")

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return CMP.isclose(self, other, rtol, atol, equal_nan)

    @numpy_aliases
    def softmax(self, dim, dtype=None):
        return SM.softmax(self, dim, dtype)

    @numpy_aliases
    def log_softmax(self, dim, dtype=None):
        return SM.log_softmax(self, dim, dtype)
