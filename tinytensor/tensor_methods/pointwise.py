"""Elementwise ops as ``Tensor`` methods: ``abs``, ``sign``, ``sin``/``cos``/``tanh``, ``sigmoid``,
``relu``, ``clamp``, ``maximum``/``minimum``, ``where``, rounding, comparisons, ``is*`` tests,
bitwise and logical ops, ``equal``/``allclose``, ``angle``/``frexp`` and ``gcd``/``lcm`` (with
their in-place forms). Each is one call into the op of the same name."""

from __future__ import annotations

from tinytensor.ops import binary as BI
from tinytensor.ops import elementwise as E
from tinytensor.ops import unary as UN
from tinytensor.ops.inplace import inplace

# The hot ops, bound once: a method pays no module-attribute lookup.
_add = E.add
_sub = E.sub
_mul = E.mul
_neg = E.neg
_pow = E.pow
_exp = E.exp
_tanh = E.tanh
_relu = E.relu


class PointwiseMethods:
    __slots__ = ()

    def add(self, other, alpha=1):
        return _add(self, other, alpha)

    def sub(self, other, alpha=1):
        return _sub(self, other, alpha)

    def mul(self, other):
        return _mul(self, other)

    def div(self, other, rounding_mode=None):
        return E.div(self, other, rounding_mode=rounding_mode)

    def neg(self):
        return _neg(self)

    def pow(self, exponent):
        return _pow(self, exponent)

    def square(self):
        return E.square(self)

    def reciprocal(self):
        return E.reciprocal(self)

    def exp(self):
        return _exp(self)

    def log(self):
        return E.log(self)

    def log1p(self):
        return E.log1p(self)

    def sqrt(self):
        return E.sqrt(self)

    def rsqrt(self):
        return E.rsqrt(self)

    def abs(self):
        return E.abs(self)

    def sign(self):
        return E.sign(self)

    def sin(self):
        return E.sin(self)

    def cos(self):
        return E.cos(self)

    def tanh(self):
        return _tanh(self)

    def sigmoid(self):
        return E.sigmoid(self)

    def relu(self):
        return _relu(self)

    def clamp(self, min=None, max=None):
        return E.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return E.maximum(self, other)

    def minimum(self, other):
        return E.minimum(self, other)

    def where(self, condition, other):
        return E.where(condition, self, other)

    def floor(self):
        return E.floor(self)

    def ceil(self):
        return E.ceil(self)

    def round(self, decimals=0):
        return E.round(self, decimals)

    def trunc(self):
        return E.trunc(self)

    def eq(self, other):
        return E.eq(self, other)

    def ne(self, other):
        return E.ne(self, other)

    def lt(self, other):
        return E.lt(self, other)

    def le(self, other):
        return E.le(self, other)

    def gt(self, other):
        return E.gt(self, other)

    def ge(self, other):
        return E.ge(self, other)

    def isnan(self):
        return E.isnan(self)

    def isinf(self):
        return E.isinf(self)

    def isfinite(self):
        return E.isfinite(self)

    def bitwise_and(self, other):
        return E.bitwise_and(self, other)

    def bitwise_or(self, other):
        return E.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return E.bitwise_xor(self, other)

    def bitwise_not(self):
        return E.bitwise_not(self)

    def bitwise_left_shift(self, other):
        return E.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return E.bitwise_right_shift(self, other)

    def logical_not(self):
        return E.logical_not(self)

    def equal(self, other) -> bool:
        return E.equal(self, other)

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        return E.allclose(self, other, rtol, atol, equal_nan)

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
