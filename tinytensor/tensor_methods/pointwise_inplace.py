"""Spellings PyTorch has for the pointwise ops (``absolute``,
``multiply``, ``greater``, ...) as ``Tensor`` methods, and the in-place ``op_`` forms of them
(``abs_``, ``sqrt_``, ``lt_``, ``bitwise_and_``, ...). Each is one call into an op.
"""

from __future__ import annotations

from tinytensor.core import (
    TensorBase,
    rng,
)
from tinytensor.ops import binary as BI
from tinytensor.ops import compare as CMP
from tinytensor.ops import explog as EL
from tinytensor.ops import masked as MK
from tinytensor.ops import selection as SEL
from tinytensor.ops import shape as S
from tinytensor.ops import trig as TRIG
from tinytensor.ops import unary as UN
from tinytensor.ops._util import as_tensor
from tinytensor.ops.inplace import fill_random, inplace


class PointwiseInplaceMethods:
    __slots__ = ()

    def abs_(self):
        return inplace(self, UN.abs, "abs_")

    def sqrt_(self):
        return inplace(self, UN.sqrt, "sqrt_")

    def rsqrt_(self):
        return inplace(self, UN.rsqrt, "rsqrt_")

    def log_(self):
        return inplace(self, EL.log, "log_")

    def log1p_(self):
        return inplace(self, EL.log1p, "log1p_")

    def sin_(self):
        return inplace(self, TRIG.sin, "sin_")

    def cos_(self):
        return inplace(self, TRIG.cos, "cos_")

    def tanh_(self):
        return inplace(self, TRIG.tanh, "tanh_")

    def sigmoid_(self):
        return inplace(self, UN.sigmoid, "sigmoid_")

    def sign_(self):
        return inplace(self, UN.sign, "sign_")

    def floor_(self):
        return inplace(self, UN.floor, "floor_")

    def ceil_(self):
        return inplace(self, UN.ceil, "ceil_")

    def trunc_(self):
        return inplace(self, UN.trunc, "trunc_")

    def reciprocal_(self):
        return inplace(self, UN.reciprocal, "reciprocal_")

    def square_(self):
        return inplace(self, UN.square, "square_")

    def round_(self, *, decimals=0):
        return inplace(self, lambda s: UN.round(s, decimals), "round_")

    def fix(self):
        return UN.trunc(self)

    def fix_(self):
        return inplace(self, UN.trunc, "fix_")

    def absolute(self):
        return UN.abs(self)

    def absolute_(self):
        return inplace(self, UN.abs, "absolute_")

    def negative(self):
        return UN.neg(self)

    def negative_(self):
        return inplace(self, UN.neg, "negative_")

    def remainder(self, other):
        return BI.remainder(self, other)

    def remainder_(self, other):
        return inplace(self, lambda s: BI.remainder(s, other), "remainder_")

    def floor_divide(self, other):
        return BI.floor_divide(self, other)

    def floor_divide_(self, other):
        return inplace(self, lambda s: BI.floor_divide(s, other), "floor_divide_")

    def multiply(self, other):
        return BI.mul(self, other)

    def multiply_(self, other):
        return inplace(self, lambda s: BI.mul(s, other), "multiply_")

    def subtract(self, other, *, alpha=1):
        return BI.sub(self, other, alpha=alpha)

    def subtract_(self, other, *, alpha=1):
        return inplace(self, lambda s: BI.sub(s, other, alpha=alpha), "subtract_")

    def divide(self, other, *, rounding_mode=None):
        return BI.div(self, other, rounding_mode=rounding_mode)

    def divide_(self, other, *, rounding_mode=None):
        return inplace(self, lambda s: BI.div(s, other, rounding_mode=rounding_mode), "divide_")

    def eq_(self, other):
        return inplace(self, lambda s: CMP.eq(s, other), "eq_")

    def ne_(self, other):
        return inplace(self, lambda s: CMP.ne(s, other), "ne_")

    def lt_(self, other):
        return inplace(self, lambda s: CMP.lt(s, other), "lt_")

    def le_(self, other):
        return inplace(self, lambda s: CMP.le(s, other), "le_")

    def gt_(self, other):
        return inplace(self, lambda s: CMP.gt(s, other), "gt_")

    def ge_(self, other):
        return inplace(self, lambda s: CMP.ge(s, other), "ge_")

    def greater(self, other):
        return CMP.gt(self, other)

    def greater_(self, other):
        return inplace(self, lambda s: CMP.gt(s, other), "greater_")

    def greater_equal(self, other):
        return CMP.ge(self, other)

    def greater_equal_(self, other):
        return inplace(self, lambda s: CMP.ge(s, other), "greater_equal_")

    def less(self, other):
        return CMP.lt(self, other)

    def less_(self, other):
        return inplace(self, lambda s: CMP.lt(s, other), "less_")

    def less_equal(self, other):
        return CMP.le(self, other)

    def less_equal_(self, other):
        return inplace(self, lambda s: CMP.le(s, other), "less_equal_")

    def not_equal(self, other):
        return CMP.ne(self, other)

    def not_equal_(self, other):
        return inplace(self, lambda s: CMP.ne(s, other), "not_equal_")

    def logical_and(self, other):
        return CMP.logical_and(self, other)

    def logical_and_(self, other):
        return inplace(self, lambda s: CMP.logical_and(s, other), "logical_and_")

    def logical_or(self, other):
        return CMP.logical_or(self, other)

    def logical_or_(self, other):
        return inplace(self, lambda s: CMP.logical_or(s, other), "logical_or_")

    def logical_xor(self, other):
        return CMP.logical_xor(self, other)

    def logical_xor_(self, other):
        return inplace(self, lambda s: CMP.logical_xor(s, other), "logical_xor_")

    def logical_not_(self):
        return inplace(self, CMP.logical_not, "logical_not_")

    def bitwise_and_(self, other):
        return inplace(self, lambda s: CMP.bitwise_and(s, other), "bitwise_and_")

    def bitwise_or_(self, other):
        return inplace(self, lambda s: CMP.bitwise_or(s, other), "bitwise_or_")

    def bitwise_xor_(self, other):
        return inplace(self, lambda s: CMP.bitwise_xor(s, other), "bitwise_xor_")

    def bitwise_left_shift_(self, other):
        return inplace(self, lambda s: CMP.bitwise_left_shift(s, other), "bitwise_left_shift_")

    def bitwise_right_shift_(self, other):
        return inplace(self, lambda s: CMP.bitwise_right_shift(s, other), "bitwise_right_shift_")

    def bitwise_not_(self):
        return inplace(self, CMP.bitwise_not, "bitwise_not_")

    def add_(self, other, *, alpha=1):
        return inplace(self, lambda s: BI.add(s, other, alpha=alpha), "add_")

    def sub_(self, other, *, alpha=1):
        return inplace(self, lambda s: BI.sub(s, other, alpha=alpha), "sub_")

    def mul_(self, other):
        return inplace(self, lambda s: BI.mul(s, other), "mul_")

    def div_(self, other, *, rounding_mode=None):
        return inplace(self, lambda s: BI.div(s, other, rounding_mode=rounding_mode), "div_")

    def pow_(self, exponent):
        return inplace(self, lambda s: BI.pow(s, exponent), "pow_")

    def clamp_(self, min=None, max=None):
        return inplace(self, lambda s: SEL.clamp(s, min, max), "clamp_")

    clip_ = clamp_

    def relu_(self):
        return inplace(self, UN.relu, "relu_")

    def exp_(self):
        return inplace(self, EL.exp, "exp_")

    def neg_(self):
        return inplace(self, UN.neg, "neg_")

    def masked_fill_(self, mask, value):
        return inplace(self, lambda s: MK.masked_fill(s, mask, value), "masked_fill_")

    def copy_(self, other, non_blocking=False):
        """Copy ``other`` (broadcast to this shape) into this tensor; differentiable in
        ``other``. ``non_blocking`` is PyTorch's host/device flag: every copy here is on the CPU
        and synchronous."""
        src = as_tensor(other, "copy_")
        return inplace(self, lambda s: S.copy_like(s, src), "copy_")

    def fill_(self, value):
        if isinstance(value, TensorBase):
            if value.ndim != 0:
                raise RuntimeError(
                    f"fill_ only supports a 0-dimensional value tensor, got one of shape "
                    f"{tuple(value.shape)}; use copy_ to copy a tensor"
                )
            return self.copy_(value.expand(self.shape))
        return inplace(self, lambda s: S.copy_like(s, value), "fill_")

    def zero_(self):
        return self.fill_(0)

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        """Fill with draws from U[``from_``, ``to``) (PyTorch's parser spells the first
        ``from``, a Python keyword), from ``generator`` or the global generator."""
        draw = rng(generator)
        return fill_random(self, lambda: draw.uniform(from_, to, self.shape), "uniform_")

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        draw = rng(generator)
        return fill_random(self, lambda: draw.normal(mean, std, self.shape), "normal_")
