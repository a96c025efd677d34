"""Elementwise ops as ``Tensor`` methods: ``abs``, ``sign``, ``sin``/``cos``/``tanh``, ``sigmoid``,
``relu``, ``clamp``, ``maximum``/``minimum``, ``where``, rounding, comparisons, ``is*`` tests,
bitwise and logical ops, ``equal``/``allclose``, ``angle``/``frexp`` and ``gcd``/``lcm`` (with
their in-place forms). Each is one call into the op of the same name."""

from __future__ import annotations

from tinytensor.ops import binary as BI
from tinytensor.ops import compare as CMP
from tinytensor.ops import explog as EL
from tinytensor.ops import selection as SEL
from tinytensor.ops import trig as TRIG
from tinytensor.ops import unary as UN
from tinytensor.ops.inplace import inplace

# The hot ops, bound once: a method pays no module-attribute lookup.
_add = BI.add
_sub = BI.sub
_mul = BI.mul
_neg = UN.neg
_pow = BI.pow
_exp = EL.exp
_tanh = TRIG.tanh
_relu = UN.relu


class PointwiseMethods:
    __slots__ = ()

    def add(self, other, *, alpha=1):
        return _add(self, other, alpha)

    def sub(self, other, *, alpha=1):
        return _sub(self, other, alpha)

    def mul(self, other):
        return _mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return BI.div(self, other, rounding_mode=rounding_mode)

    def neg(self):
        return _neg(self)

    def pow(self, exponent):
        return _pow(self, exponent)

    def square(self):
        return UN.square(self)

    def reciprocal(self):
        return UN.reciprocal(self)

    def exp(self):
        return _exp(self)

    def log(self):
        return EL.log(self)

    def log1p(self):
        return EL.log1p(self)

    def sqrt(self):
        return UN.sqrt(self)

    def rsqrt(self):
        return UN.rsqrt(self)

    def abs(self):
        return UN.abs(self)

    def sign(self):
        return UN.sign(self)

    def sin(self):
        return TRIG.sin(self)

    def cos(self):
        return TRIG.cos(self)

    def tanh(self):
        return _tanh(self)

    def sigmoid(self):
        return UN.sigmoid(self)

    def relu(self):
        return _relu(self)

    def clamp(self, min=None, max=None):
        return SEL.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return SEL.maximum(self, other)

    def minimum(self, other):
        return SEL.minimum(self, other)

    def where(self, condition, other):
        return SEL.where(condition, self, other)

    def floor(self):
        return UN.floor(self)

    def ceil(self):
        return UN.ceil(self)

    def round(self, *, decimals=0):
        return UN.round(self, decimals)

    def trunc(self):
        return UN.trunc(self)

    def eq(self, other):
        return CMP.eq(self, other)

    def ne(self, other):
        return CMP.ne(self, other)

    def lt(self, other):
        return CMP.lt(self, other)

    def le(self, other):
        return CMP.le(self, other)

    def gt(self, other):
        return CMP.gt(self, other)

    def ge(self, other):
        return CMP.ge(self, other)

    def isnan(self):
        return CMP.isnan(self)

    def isinf(self):
        return CMP.isinf(self)

    def isfinite(self):
        return CMP.isfinite(self)

    def bitwise_and(self, other):
        return CMP.bitwise_and(self, other)

    def bitwise_or(self, other):
        return CMP.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return CMP.bitwise_xor(self, other)

    def bitwise_not(self):
        return CMP.bitwise_not(self)

    def bitwise_left_shift(self, other):
        return CMP.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return CMP.bitwise_right_shift(self, other)

    def logical_not(self):
        return CMP.logical_not(self)

    def equal(self, other) -> bool:
        return CMP.equal(self, other)

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        return CMP.allclose(self, other, rtol, atol, equal_nan)

    def angle(self):
        return UN.angle(self)

    def frexp(self):
        return UN.frexp(self)

    def gcd(self, other):
        return BI.gcd(self, other)

    def gcd_(self, other):
        return inplace(self, lambda s: BI.gcd(s, other), "gcd_")

    def lcm(self, other):
        return BI.lcm(self, other)

    def lcm_(self, other):
        return inplace(self, lambda s: BI.lcm(s, other), "lcm_")
