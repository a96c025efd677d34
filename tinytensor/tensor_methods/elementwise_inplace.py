"""Spellings PyTorch has for the ops of ``tinytensor.ops.elementwise`` (``absolute``,
``multiply``, ``greater``, ...) as ``Tensor`` methods, and the in-place ``op_`` forms of them
(``abs_``, ``sqrt_``, ``lt_``, ``bitwise_and_``, ...). Each is one call into an op.
"""

from __future__ import annotations

from tinytensor.core import (
    TensorBase,
    rng,
)
from tinytensor.ops import elementwise as E
from tinytensor.ops import masked as MK
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor
from tinytensor.ops.inplace import fill_random, inplace


class ElementwiseInplaceMethods:
    __slots__ = ()

    def abs_(self):
        return inplace(self, E.abs, "abs_")

    def sqrt_(self):
        return inplace(self, E.sqrt, "sqrt_")

    def rsqrt_(self):
        return inplace(self, E.rsqrt, "rsqrt_")

    def log_(self):
        return inplace(self, E.log, "log_")

    def log1p_(self):
        return inplace(self, E.log1p, "log1p_")

    def sin_(self):
        return inplace(self, E.sin, "sin_")

    def cos_(self):
        return inplace(self, E.cos, "cos_")

    def tanh_(self):
        return inplace(self, E.tanh, "tanh_")

    def sigmoid_(self):
        return inplace(self, E.sigmoid, "sigmoid_")

    def sign_(self):
        return inplace(self, E.sign, "sign_")

    def floor_(self):
        return inplace(self, E.floor, "floor_")

    def ceil_(self):
        return inplace(self, E.ceil, "ceil_")

    def trunc_(self):
        return inplace(self, E.trunc, "trunc_")

    def reciprocal_(self):
        return inplace(self, E.reciprocal, "reciprocal_")

    def square_(self):
        return inplace(self, E.square, "square_")

    def round_(self, decimals=0):
        return inplace(self, lambda s: E.round(s, decimals), "round_")

    def fix(self):
        return E.trunc(self)

    def fix_(self):
        return inplace(self, E.trunc, "fix_")

    def absolute(self):
        return E.abs(self)

    def absolute_(self):
        return inplace(self, E.abs, "absolute_")

    def negative(self):
        return E.neg(self)

    def negative_(self):
        return inplace(self, E.neg, "negative_")

    def remainder(self, other):
        return E.remainder(self, other)

    def remainder_(self, other):
        return inplace(self, lambda s: E.remainder(s, other), "remainder_")

    def floor_divide(self, other):
        return E.floor_divide(self, other)

    def floor_divide_(self, other):
        return inplace(self, lambda s: E.floor_divide(s, other), "floor_divide_")

    def multiply(self, other):
        return E.mul(self, other)

    def multiply_(self, other):
        return inplace(self, lambda s: E.mul(s, other), "multiply_")

    def subtract(self, other, *, alpha=1):
        return E.sub(self, other, alpha=alpha)

    def subtract_(self, other, *, alpha=1):
        return inplace(self, lambda s: E.sub(s, other, alpha=alpha), "subtract_")

    def divide(self, other, *, rounding_mode=None):
        return E.div(self, other, rounding_mode=rounding_mode)

    def divide_(self, other, *, rounding_mode=None):
        return inplace(self, lambda s: E.div(s, other, rounding_mode=rounding_mode), "divide_")

    def eq_(self, other):
        return inplace(self, lambda s: E.eq(s, other), "eq_")

    def ne_(self, other):
        return inplace(self, lambda s: E.ne(s, other), "ne_")

    def lt_(self, other):
        return inplace(self, lambda s: E.lt(s, other), "lt_")

    def le_(self, other):
        return inplace(self, lambda s: E.le(s, other), "le_")

    def gt_(self, other):
        return inplace(self, lambda s: E.gt(s, other), "gt_")

    def ge_(self, other):
        return inplace(self, lambda s: E.ge(s, other), "ge_")

    def greater(self, other):
        return E.gt(self, other)

    def greater_(self, other):
        return inplace(self, lambda s: E.gt(s, other), "greater_")

    def greater_equal(self, other):
        return E.ge(self, other)

    def greater_equal_(self, other):
        return inplace(self, lambda s: E.ge(s, other), "greater_equal_")

    def less(self, other):
        return E.lt(self, other)

    def less_(self, other):
        return inplace(self, lambda s: E.lt(s, other), "less_")

    def less_equal(self, other):
        return E.le(self, other)

    def less_equal_(self, other):
        return inplace(self, lambda s: E.le(s, other), "less_equal_")

    def not_equal(self, other):
        return E.ne(self, other)

    def not_equal_(self, other):
        return inplace(self, lambda s: E.ne(s, other), "not_equal_")

    def logical_and(self, other):
        return E.logical_and(self, other)

    def logical_and_(self, other):
        return inplace(self, lambda s: E.logical_and(s, other), "logical_and_")

    def logical_or(self, other):
        return E.logical_or(self, other)

    def logical_or_(self, other):
        return inplace(self, lambda s: E.logical_or(s, other), "logical_or_")

    def logical_xor(self, other):
        return E.logical_xor(self, other)

    def logical_xor_(self, other):
        return inplace(self, lambda s: E.logical_xor(s, other), "logical_xor_")

    def logical_not_(self):
        return inplace(self, E.logical_not, "logical_not_")

    def bitwise_and_(self, other):
        return inplace(self, lambda s: E.bitwise_and(s, other), "bitwise_and_")

    def bitwise_or_(self, other):
        return inplace(self, lambda s: E.bitwise_or(s, other), "bitwise_or_")

    def bitwise_xor_(self, other):
        return inplace(self, lambda s: E.bitwise_xor(s, other), "bitwise_xor_")

    def bitwise_left_shift_(self, other):
        return inplace(self, lambda s: E.bitwise_left_shift(s, other), "bitwise_left_shift_")

    def bitwise_right_shift_(self, other):
        return inplace(self, lambda s: E.bitwise_right_shift(s, other), "bitwise_right_shift_")

    def bitwise_not_(self):
        return inplace(self, E.bitwise_not, "bitwise_not_")

    def add_(self, other, alpha=1):
        return inplace(self, lambda s: E.add(s, other, alpha=alpha), "add_")

    def sub_(self, other, alpha=1):
        return inplace(self, lambda s: E.sub(s, other, alpha=alpha), "sub_")

    def mul_(self, other):
        return inplace(self, lambda s: E.mul(s, other), "mul_")

    def div_(self, other):
        return inplace(self, lambda s: E.div(s, other), "div_")

    def pow_(self, exponent):
        return inplace(self, lambda s: E.pow(s, exponent), "pow_")

    def clamp_(self, min=None, max=None):
        return inplace(self, lambda s: E.clamp(s, min, max), "clamp_")

    clip_ = clamp_

    def relu_(self):
        return inplace(self, E.relu, "relu_")

    def exp_(self):
        return inplace(self, E.exp, "exp_")

    def neg_(self):
        return inplace(self, E.neg, "neg_")

    def masked_fill_(self, mask, value):
        return inplace(self, lambda s: MK.masked_fill(s, mask, value), "masked_fill_")

    def copy_(self, src):
        """Copy ``src`` (broadcast to this shape) into this tensor; differentiable in ``src``."""
        src = as_tensor(src, "copy_")
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

    def uniform_(self, a=0.0, b=1.0):
        return fill_random(self, lambda: rng().uniform(a, b, self.shape), "uniform_")

    def normal_(self, mean=0.0, std=1.0):
        return fill_random(self, lambda: rng().normal(mean, std, self.shape), "normal_")
