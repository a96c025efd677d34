"""Elementwise math as ``Tensor`` methods, and the in-place ``op_`` forms PyTorch has for
elementwise ops: trigonometric, hyperbolic, log/exp variants, special functions, binary math
(atan2, fmod, lerp, addcmul, ...), softmax, plus the missing spellings and in-place forms of the
ops in ``tinytensor.ops.elementwise``. Each is one call into an op.
"""

from __future__ import annotations

from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.ops import math as M
from tinytensor.ops import math_binary as B
from tinytensor.ops import softmax as SM
from tinytensor.ops import special_fns as SF
from tinytensor.ops.inplace import inplace


class MathMethods:
    __slots__ = ()

    # --- new math ops ---------------------------------------------------------------------

    def tan(self):
        return M.tan(self)

    def tan_(self):
        return inplace(self, M.tan, "tan_")

    def asin(self):
        return M.asin(self)

    def asin_(self):
        return inplace(self, M.asin, "asin_")

    def acos(self):
        return M.acos(self)

    def acos_(self):
        return inplace(self, M.acos, "acos_")

    def atan(self):
        return M.atan(self)

    def atan_(self):
        return inplace(self, M.atan, "atan_")

    def arcsin(self):
        return M.arcsin(self)

    def arcsin_(self):
        return inplace(self, M.arcsin, "arcsin_")

    def arccos(self):
        return M.arccos(self)

    def arccos_(self):
        return inplace(self, M.arccos, "arccos_")

    def arctan(self):
        return M.arctan(self)

    def arctan_(self):
        return inplace(self, M.arctan, "arctan_")

    def sinh(self):
        return M.sinh(self)

    def sinh_(self):
        return inplace(self, M.sinh, "sinh_")

    def cosh(self):
        return M.cosh(self)

    def cosh_(self):
        return inplace(self, M.cosh, "cosh_")

    def asinh(self):
        return M.asinh(self)

    def asinh_(self):
        return inplace(self, M.asinh, "asinh_")

    def acosh(self):
        return M.acosh(self)

    def acosh_(self):
        return inplace(self, M.acosh, "acosh_")

    def atanh(self):
        return M.atanh(self)

    def atanh_(self):
        return inplace(self, M.atanh, "atanh_")

    def arcsinh(self):
        return M.arcsinh(self)

    def arcsinh_(self):
        return inplace(self, M.arcsinh, "arcsinh_")

    def arccosh(self):
        return M.arccosh(self)

    def arccosh_(self):
        return inplace(self, M.arccosh, "arccosh_")

    def arctanh(self):
        return M.arctanh(self)

    def arctanh_(self):
        return inplace(self, M.arctanh, "arctanh_")

    def log2(self):
        return M.log2(self)

    def log2_(self):
        return inplace(self, M.log2, "log2_")

    def log10(self):
        return M.log10(self)

    def log10_(self):
        return inplace(self, M.log10, "log10_")

    def exp2(self):
        return M.exp2(self)

    def exp2_(self):
        return inplace(self, M.exp2, "exp2_")

    def expm1(self):
        return M.expm1(self)

    def expm1_(self):
        return inplace(self, M.expm1, "expm1_")

    def sinc(self):
        return M.sinc(self)

    def sinc_(self):
        return inplace(self, M.sinc, "sinc_")

    def frac(self):
        return M.frac(self)

    def frac_(self):
        return inplace(self, M.frac, "frac_")

    def deg2rad(self):
        return M.deg2rad(self)

    def deg2rad_(self):
        return inplace(self, M.deg2rad, "deg2rad_")

    def rad2deg(self):
        return M.rad2deg(self)

    def rad2deg_(self):
        return inplace(self, M.rad2deg, "rad2deg_")

    def sgn(self):
        return M.sgn(self)

    def sgn_(self):
        return inplace(self, M.sgn, "sgn_")

    def logit(self, eps=None):
        return M.logit(self, eps)

    def logit_(self, eps=None):
        return inplace(self, lambda s: M.logit(s, eps), "logit_")

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return M.nan_to_num(self, nan, posinf, neginf)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return inplace(self, lambda s: M.nan_to_num(s, nan, posinf, neginf), "nan_to_num_")

    def positive(self):
        return M.positive(self)

    def signbit(self):
        return M.signbit(self)

    def isneginf(self):
        return M.isneginf(self)

    def isposinf(self):
        return M.isposinf(self)

    def isreal(self):
        return M.isreal(self)

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
        return B.atan2(self, other)

    def atan2_(self, other):
        return inplace(self, lambda s: B.atan2(s, other), "atan2_")

    def arctan2(self, other):
        return B.arctan2(self, other)

    def arctan2_(self, other):
        return inplace(self, lambda s: B.arctan2(s, other), "arctan2_")

    def xlogy(self, other):
        return B.xlogy(self, other)

    def xlogy_(self, other):
        return inplace(self, lambda s: B.xlogy(s, other), "xlogy_")

    def fmod(self, other):
        return B.fmod(self, other)

    def fmod_(self, other):
        return inplace(self, lambda s: B.fmod(s, other), "fmod_")

    def copysign(self, other):
        return B.copysign(self, other)

    def copysign_(self, other):
        return inplace(self, lambda s: B.copysign(s, other), "copysign_")

    def logaddexp(self, other):
        return B.logaddexp(self, other)

    def logaddexp2(self, other):
        return B.logaddexp2(self, other)

    def hypot(self, other):
        return B.hypot(self, other)

    def hypot_(self, other):
        return inplace(self, lambda s: B.hypot(s, other), "hypot_")

    def fmax(self, other):
        return B.fmax(self, other)

    def fmin(self, other):
        return B.fmin(self, other)

    def heaviside(self, values):
        return B.heaviside(self, values)

    def heaviside_(self, values):
        return inplace(self, lambda s: B.heaviside(s, values), "heaviside_")

    def float_power(self, other):
        return B.float_power(self, other)

    def float_power_(self, other):
        if self.dtype.name != "float64":
            raise RuntimeError(
                f"float_power_: the base has dtype {self.dtype} but the result is float64; "
                "call .double() first or use float_power"
            )
        return inplace(self, lambda s: B.float_power(s, other), "float_power_")

    def true_divide(self, other):
        return B.true_divide(self, other)

    def true_divide_(self, other):
        return inplace(self, lambda s: B.true_divide(s, other), "true_divide_")

    def nextafter(self, other):
        return B.nextafter(self, other)

    def nextafter_(self, other):
        return inplace(self, lambda s: B.nextafter(s, other), "nextafter_")

    def ldexp(self, other):
        return B.ldexp(self, other)

    def ldexp_(self, other):
        return inplace(self, lambda s: B.ldexp(s, other), "ldexp_")

    def clamp_min(self, min):
        return B.clamp_min(self, min)

    def clamp_min_(self, min):
        return inplace(self, lambda s: B.clamp_min(s, min), "clamp_min_")

    def clamp_max(self, max):
        return B.clamp_max(self, max)

    def clamp_max_(self, max):
        return inplace(self, lambda s: B.clamp_max(s, max), "clamp_max_")

    def lerp(self, end, weight):
        return B.lerp(self, end, weight)

    def lerp_(self, end, weight):
        return inplace(self, lambda s: B.lerp(s, end, weight), "lerp_")

    def addcmul(self, tensor1, tensor2, *, value=1):
        return B.addcmul(self, tensor1, tensor2, value=value)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return inplace(self, lambda s: B.addcmul(s, tensor1, tensor2, value=value), "addcmul_")

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return B.addcdiv(self, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return inplace(self, lambda s: B.addcdiv(s, tensor1, tensor2, value=value), "addcdiv_")

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return B.isclose(self, other, rtol, atol, equal_nan)

    @numpy_aliases
    def softmax(self, dim, dtype=None):
        return SM.softmax(self, dim, dtype)

    @numpy_aliases
    def log_softmax(self, dim, dtype=None):
        return SM.log_softmax(self, dim, dtype)
