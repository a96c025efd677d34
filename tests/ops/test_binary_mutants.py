"""``ops/binary.py`` rule by rule, NumPy only (issue #25: mutmut survivors).

Exact values from NumPy or by hand for each op's forward, each input's gradient (float64, so
exact where the formula is), the dtype rules, the error of each bad input (naming the op), and
what each op saves: an operand read only by the other operand's gradient is saved only when
that operand needs one, so changing it in place after the forward pass is an error exactly
when PyTorch's is.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytensor as tt

F64 = tt.float64


def _t(values, grad=False, dtype=F64):
    return tt.tensor(values, dtype=dtype, requires_grad=grad)


def _grads(out, *leaves, weight=None):
    """Backward of ``(out * weight).sum()``; the leaves' gradients as arrays (None kept)."""
    w = np.ones(out.shape) if weight is None else np.asarray(weight, dtype=np.float64)
    out.backward(_t(w))
    return [None if x.grad is None else x.grad.numpy() for x in leaves]


INPLACE = "modified by an inplace operation"


def _raises_after_inplace(make, changed_index, leaves_grad):
    """Build ``make(*ts)`` with ``leaves_grad[i]`` deciding which inputs require grad, change
    input ``changed_index`` in place, and report whether backward raises."""
    ts = [_t([1.5, 2.5], grad=g) for g in leaves_grad]
    out = make(*ts)
    with tt.no_grad():
        ts[changed_index].mul_(2.0)
    ts[changed_index]._requires_grad = leaves_grad[changed_index]
    try:
        out.sum().backward()
    except RuntimeError as e:
        assert INPLACE in str(e)
        return True
    return False


# --- add, sub ----------------------------------------------------------------------------------


def test_add_values_alpha_and_gradients():
    a, b = _t([1.0, 2.0], True), _t([3.0, 5.0], True)
    out = tt.add(a, b)
    assert out.tolist() == [4.0, 7.0]
    ga, gb = _grads(out, a, b, weight=[1.0, 10.0])
    assert ga.tolist() == [1.0, 10.0] and gb.tolist() == [1.0, 10.0]
    a, b = _t([1.0, 2.0], True), _t([3.0, 5.0], True)
    out = tt.add(a, b, alpha=3)
    assert out.tolist() == [10.0, 17.0]
    ga, gb = _grads(out, a, b, weight=[1.0, 10.0])
    assert ga.tolist() == [1.0, 10.0] and gb.tolist() == [3.0, 30.0]
    assert tt.add(_t([1.0]), 2.0, alpha=0.5).tolist() == [2.0]


def test_add_broadcast_error_names_the_op():
    with pytest.raises(RuntimeError, match=r"^add: shapes \(2,\) and \(3,\) cannot be broad"):
        tt.add(tt.ones(2), tt.ones(3))


def test_sub_values_alpha_and_gradients():
    a, b = _t([1.0, 2.0], True), _t([3.0, 5.0], True)
    out = tt.sub(a, b)
    assert out.tolist() == [-2.0, -3.0]
    ga, gb = _grads(out, a, b, weight=[1.0, 10.0])
    assert ga.tolist() == [1.0, 10.0] and gb.tolist() == [-1.0, -10.0]
    a, b = _t([1.0, 2.0], True), _t([3.0, 5.0], True)
    out = tt.sub(a, b, alpha=2)
    assert out.tolist() == [-5.0, -8.0]
    ga, gb = _grads(out, a, b)
    assert ga.tolist() == [1.0, 1.0] and gb.tolist() == [-2.0, -2.0]
    assert tt.sub(_t([1.0]), _t([4.0]), alpha=1).tolist() == [-3.0]


def test_sub_refuses_bools_and_broadcast_errors():
    with pytest.raises(RuntimeError, match="^sub: subtraction, the `-` operator, with a bool"):
        tt.sub(tt.tensor([True]), tt.tensor([False]))
    with pytest.raises(RuntimeError, match="bool"):  # one bool operand: refused too (PyTorch)
        tt.sub(tt.tensor([True]), tt.tensor([2]))
    assert tt.sub(tt.tensor([5]), tt.tensor([2])).tolist() == [3]
    with pytest.raises(RuntimeError, match=r"^sub: shapes \(2,\) and \(3,\)"):
        tt.sub(tt.ones(2), tt.ones(3))


# --- mul -----------------------------------------------------------------------------------------


def test_mul_values_and_gradients():
    a, b = _t([2.0, -3.0], True), _t([5.0, 7.0], True)
    out = tt.mul(a, b)
    assert out.tolist() == [10.0, -21.0]
    ga, gb = _grads(out, a, b, weight=[1.0, 2.0])
    assert ga.tolist() == [5.0, 14.0] and gb.tolist() == [2.0, -6.0]


def test_mul_gradient_of_one_operand_only():
    a, b = _t([2.0, -3.0], True), _t([5.0, 7.0])
    ga, gb = _grads(tt.mul(a, b), a, b)
    assert ga.tolist() == [5.0, 7.0] and gb is None
    a, b = _t([2.0, -3.0]), _t([5.0, 7.0], True)
    ga, gb = _grads(tt.mul(a, b), a, b)
    assert ga is None and gb.tolist() == [2.0, -3.0]


def test_mul_saves_each_operand_only_for_the_others_gradient():
    mul = tt.mul
    assert not _raises_after_inplace(mul, 0, [True, False])  # a not saved: b needs no grad
    assert _raises_after_inplace(mul, 1, [True, False])  # b saved for da
    assert _raises_after_inplace(mul, 0, [False, True])
    assert not _raises_after_inplace(mul, 1, [False, True])


def test_mul_saves_nothing_under_no_grad_and_broadcast_error():
    with tt.no_grad():
        out = tt.mul(_t([1.0], True), _t([2.0]))
    assert out.grad_fn is None and out.tolist() == [2.0]
    with pytest.raises(RuntimeError, match=r"^mul: shapes \(2,\) and \(3,\)"):
        tt.mul(tt.ones(2), tt.ones(3))


# --- div, floor_divide, remainder ----------------------------------------------------------------


def test_div_values_and_gradients():
    a, b = _t([3.0, -8.0], True), _t([2.0, 4.0], True)
    out = tt.div(a, b)
    assert out.tolist() == [1.5, -2.0]
    ga, gb = _grads(out, a, b, weight=[1.0, 2.0])
    assert ga.tolist() == [0.5, 0.5]  # g / b
    assert gb.tolist() == [-0.75, 1.0]  # -g a / b^2


def test_div_gradient_of_one_operand_only():
    a, b = _t([3.0, -8.0], True), _t([2.0, 4.0])
    ga, gb = _grads(tt.div(a, b), a, b)
    assert ga.tolist() == [0.5, 0.25] and gb is None
    a, b = _t([3.0, -8.0]), _t([2.0, 4.0], True)
    ga, gb = _grads(tt.div(a, b), a, b)
    assert ga is None and gb.tolist() == [-0.75, 0.5]


def test_div_of_integers_is_float_of_the_default_dtype():
    out = tt.div(tt.tensor([3, 7]), tt.tensor([2, 2]))
    assert out.dtype is tt.get_default_dtype() and out.tolist() == [1.5, 3.5]
    assert tt.true_divide(tt.tensor([1]), 4).tolist() == [0.25]
    f32 = tt.div(tt.tensor([1.0], dtype=tt.float32), tt.tensor([4.0], dtype=tt.float32))
    assert f32.dtype is tt.float32


def test_div_saves_a_only_for_bs_gradient_and_b_always():
    div = tt.div
    assert not _raises_after_inplace(div, 0, [True, False])
    assert _raises_after_inplace(div, 1, [True, False])
    assert _raises_after_inplace(div, 0, [False, True])
    assert _raises_after_inplace(div, 1, [False, True])


def test_div_rounding_modes():
    a, b = tt.tensor([-7, 7, -8]), tt.tensor([2, 2, 3])
    assert tt.div(a, b, rounding_mode="trunc").tolist() == [-3, 3, -2]
    assert tt.div(a, b, rounding_mode="trunc").dtype is tt.int64
    assert tt.div(a, b, rounding_mode="floor").tolist() == [-4, 3, -3]
    fa = tt.tensor([-7.5, 7.5], dtype=F64)
    assert tt.div(fa, 2.0, rounding_mode="trunc").tolist() == [-3.0, 3.0]
    assert tt.div(fa, 2.0, rounding_mode="floor").tolist() == [-4.0, 3.0]
    assert tt.div(fa, 2.0, rounding_mode=None).tolist() == [-3.75, 3.75]
    with pytest.raises(RuntimeError) as e:
        tt.div(a, b, rounding_mode="round")
    assert str(e.value) == "div: rounding_mode must be None, 'trunc' or 'floor', got 'round'"
    with pytest.raises(ZeroDivisionError, match="^div: integer division by zero$"):
        tt.div(a, tt.tensor([1, 0, 1]), rounding_mode="trunc")
    with pytest.raises(RuntimeError, match=r"^div: shapes \(3,\) and \(2,\)"):
        tt.div(a, tt.tensor([1, 2]), rounding_mode="trunc")
    with pytest.raises(RuntimeError, match=r"^div: shapes \(3,\) and \(2,\)"):
        tt.div(tt.ones(3), tt.ones(2))
    assert tt.div(fa, 0.0, rounding_mode="trunc").tolist() == [-math.inf, math.inf]


def test_floor_divide_and_its_errors():
    assert tt.floor_divide(tt.tensor([-7, 7]), tt.tensor([2, -2])).tolist() == [-4, -4]
    assert tt.floor_divide(_t([-7.0, 7.5]), 2.0).tolist() == [-4.0, 3.0]
    assert tt.floor_divide(_t([1.0]), 0.0).tolist() == [math.inf]
    with pytest.raises(ZeroDivisionError, match="^floor_divide: integer division by zero$"):
        tt.floor_divide(tt.tensor([1, 2]), tt.tensor([1, 0]))
    with pytest.raises(NotImplementedError, match="floor_divide"):
        tt.floor_divide(tt.tensor([True]), tt.tensor([False]))  # no bool kernel (PyTorch)
    with pytest.raises(ZeroDivisionError, match="floor_divide"):
        tt.floor_divide(tt.tensor([1], dtype=tt.uint8), tt.tensor([0], dtype=tt.uint8))
    with pytest.raises(RuntimeError, match=r"^floor_divide: shapes \(2,\) and \(3,\)"):
        tt.floor_divide(tt.ones(2), tt.ones(3))


def test_remainder_follows_pythons_sign_and_its_gradients():
    a, b = _t([-7.0, 7.0, 5.5], True), _t([2.0, -2.0, 2.0], True)
    out = tt.remainder(a, b)
    assert out.tolist() == [1.0, -1.0, 1.5]
    ga, gb = _grads(out, a, b, weight=[1.0, 2.0, 3.0])
    assert ga.tolist() == [1.0, 2.0, 3.0]
    assert gb.tolist() == [4.0, 8.0, -6.0]  # -g * floor(a/b): floor = -4, -4, 2
    assert tt.remainder(tt.tensor([-7, 7]), 3).tolist() == [2, 1]
    with pytest.raises(ZeroDivisionError, match="^remainder: integer division by zero$"):
        tt.remainder(tt.tensor([1, 2]), tt.tensor([1, 0]))
    with pytest.raises(RuntimeError, match=r"^remainder: shapes \(2,\) and \(3,\)"):
        tt.remainder(tt.ones(2), tt.ones(3))


def test_remainder_saves_its_operands_only_for_bs_gradient():
    rem = tt.remainder
    assert not _raises_after_inplace(rem, 0, [True, False])
    assert not _raises_after_inplace(rem, 1, [True, False])
    assert _raises_after_inplace(rem, 0, [False, True])
    assert _raises_after_inplace(rem, 1, [False, True])
    a, b = _t([5.0], True), _t([3.0])
    ga, gb = _grads(tt.remainder(a, b), a, b)
    assert ga.tolist() == [1.0] and gb is None


# --- pow, float_power ----------------------------------------------------------------------------


def test_pow_values_and_gradients():
    a, b = _t([2.0, 3.0], True), _t([3.0, 2.0], True)
    out = tt.pow(a, b)
    assert out.tolist() == [8.0, 9.0]
    ga, gb = _grads(out, a, b, weight=[1.0, 2.0])
    assert ga.tolist() == [12.0, 12.0]  # g b a^(b-1)
    np.testing.assert_allclose(gb, [8.0 * math.log(2.0), 18.0 * math.log(3.0)], rtol=1e-15)


def test_pow_with_a_number_exponent_and_base():
    a = _t([2.0, -3.0], True)
    out = tt.pow(a, 3)
    assert out.tolist() == [8.0, -27.0]
    (ga,) = _grads(out, a)
    assert ga.tolist() == [12.0, 27.0]
    a = _t([2.0, -3.0], True)
    (ga,) = _grads(tt.pow(a, 0), a)
    assert ga.tolist() == [0.0, 0.0]
    x = _t([1.0, 2.0], True)
    out = tt.pow(2.0, x)
    assert out.tolist() == [2.0, 4.0]
    (gx,) = _grads(out, x)
    np.testing.assert_allclose(gx, [2.0 * math.log(2.0), 4.0 * math.log(2.0)], rtol=1e-15)


def test_pow_number_base_zero_and_negative():
    x = _t([2.0, 0.0, -1.0], True)
    out = tt.pow(0.0, x)
    assert out.tolist() == [0.0, 1.0, math.inf]
    (gx,) = _grads(out, x)
    assert gx.tolist() == [0.0, 0.0, -math.inf]
    y = _t([2.0], True)
    (gy,) = _grads(tt.pow(-2.0, y), y)
    assert math.isnan(gy[0])


def test_pow_exponent_gradient_at_a_zero_base():
    a = _t([0.0, 0.0, 0.0, 0.0, 2.0])
    b = _t([2.0, 0.0, -1.0, math.nan, 1.0], True)
    (gb,) = _grads(tt.pow(a, b), b)
    assert gb[0] == 0.0 and gb[1] == 0.0 and gb[2] == -math.inf and math.isnan(gb[3])
    assert gb[4] == pytest.approx(2.0 * math.log(2.0), rel=1e-15)


def test_pow_base_gradient_at_a_zero_exponent_and_zero_base():
    a = _t([0.0, 0.0, 2.0, 0.0], True)
    b = _t([0.0, 2.0, 0.0, 0.5])
    (ga,) = _grads(tt.pow(a, b), a)
    assert ga[0] == 0.0 and ga[1] == 0.0 and ga[2] == 0.0 and ga[3] == math.inf


def test_pow_refuses_integers_to_negative_integer_powers():
    msg = "^pow: integers to negative integer powers are not allowed; use floats$"
    # a negative exponent in a tensor is PyTorch's integer pow (0 here), a number is refused
    assert tt.pow(tt.tensor([2, 3]), tt.tensor([1, -1])).tolist() == [2, 0]
    with pytest.raises(RuntimeError, match=msg):
        tt.pow(tt.tensor([2]), -2)
    assert tt.pow(tt.tensor([2, 3]), tt.tensor([0, 2])).tolist() == [1, 9]
    assert tt.pow(tt.tensor([2]), -1.0).tolist() == [0.5]  # a float exponent: fine
    assert tt.pow(2, tt.tensor([3])).tolist() == [8]
    with pytest.raises(RuntimeError, match=r"^pow: shapes \(2,\) and \(3,\)"):
        tt.pow(tt.ones(2), tt.ones(3))


def test_pow_keeps_its_output_only_for_the_exponents_gradient():
    a = _t([1.5, 2.5], True)
    out = a**2
    with tt.no_grad():
        out.mul_(2.0)  # the output is not saved: backward still works
    (ga,) = _grads(out, a)  # d/da of a^2 (the in-place change is after the node)
    assert ga.tolist() == [3.0, 5.0]
    a, b = _t([1.5, 2.5], True), _t([2.0, 2.0], True)
    out = a**b
    with tt.no_grad():
        out.mul_(2.0)
    with pytest.raises(RuntimeError, match=INPLACE):
        out.sum().backward()


def test_float_power_is_float64():
    out = tt.float_power(tt.tensor([2], dtype=tt.int32), 3)
    assert out.dtype is tt.float64 and out.tolist() == [8.0]
    out = tt.float_power(2, tt.tensor([0.5], dtype=tt.float32))
    assert out.dtype is tt.float64 and out.tolist() == [math.sqrt(2.0)]
    x = tt.tensor([3.0], dtype=tt.float32, requires_grad=True)
    out = tt.float_power(x, 2.0)
    out.backward(tt.tensor([1.0], dtype=tt.float64))
    assert x.grad.dtype is tt.float32 and x.grad.tolist() == [6.0]
    with pytest.raises(TypeError, match="^float_power: input or exponent must be a tensor$"):
        tt.float_power(2.0, 3.0)


# --- lerp -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("w", [0.0, 0.25, 0.4999, 0.5, 0.75, 1.0, -0.25, -0.5, 1.5])
def test_lerp_is_the_two_sided_formula_bit_for_bit(w):
    rng = np.random.default_rng(7)
    s = rng.uniform(-10, 10, 200).astype(np.float32)
    e = rng.uniform(-10, 10, 200).astype(np.float32)
    wd = np.float32(w)
    want = s + wd * (e - s) if abs(w) < 0.5 else e - (e - s) * (np.float32(1) - wd)
    out = tt.lerp(tt.tensor(s), tt.tensor(e), w)
    assert out.dtype is tt.float32
    np.testing.assert_array_equal(out.numpy(), want)


def test_lerp_is_exact_at_both_ends():
    s, e = _t([1e20, 1.0]), _t([1.0, 1e20])
    assert tt.lerp(s, e, 0.0).tolist() == [1e20, 1.0]
    assert tt.lerp(s, e, 1.0).tolist() == [1.0, 1e20]


def test_lerp_with_a_tensor_weight_and_gradients():
    s, e, w = _t([1.0, 2.0], True), _t([5.0, -2.0], True), _t([0.25, 0.75], True)
    out = tt.lerp(s, e, w)
    assert out.tolist() == [2.0, -1.0]
    gs, ge, gw = _grads(out, s, e, w, weight=[1.0, 2.0])
    assert gs.tolist() == [0.75, 0.5]  # g (1 - w)
    assert ge.tolist() == [0.25, 1.5]  # g w
    assert gw.tolist() == [4.0, -8.0]  # g (e - s)
    s, e = _t([1.0], True), _t([5.0], True)
    gs, ge = _grads(tt.lerp(s, e, 0.25), s, e)
    assert gs.tolist() == [0.75] and ge.tolist() == [0.25]


def test_lerp_gradient_of_start_only_or_end_only():
    s, e = _t([1.0, 2.0], True), _t([5.0, -2.0])
    gs, ge = _grads(tt.lerp(s, e, 0.25), s, e)
    assert gs.tolist() == [0.75, 0.75] and ge is None
    s, e = _t([1.0, 2.0]), _t([5.0, -2.0], True)
    gs, ge = _grads(tt.lerp(s, e, 0.25), s, e)
    assert gs is None and ge.tolist() == [0.25, 0.25]


def test_lerp_saves_start_and_end_only_for_the_weights_gradient():
    def lerp(s, e, w):
        return tt.lerp(s, e, w)

    assert not _raises_after_inplace(lerp, 0, [True, True, False])
    assert not _raises_after_inplace(lerp, 1, [True, True, False])
    assert _raises_after_inplace(lerp, 2, [True, True, False])  # w read by ds, de
    assert _raises_after_inplace(lerp, 0, [False, False, True])
    assert _raises_after_inplace(lerp, 1, [False, False, True])


def test_lerp_needs_tensors_for_input_and_end():
    with pytest.raises(TypeError, match="^lerp: input and end must be tensors, got float and"):
        tt.lerp(1.0, 2.0, 0.5)
    with pytest.raises(TypeError, match="got Tensor and float"):
        tt.lerp(_t([1.0]), 2.0, 0.5)
    with pytest.raises(TypeError, match="got float and Tensor"):
        tt.lerp(1.0, _t([2.0]), 0.5)


def test_lerp_result_dtype_is_the_endpoints():
    out = tt.lerp(tt.tensor([0.0, 4.0], dtype=tt.float32), tt.tensor([4.0, 0.0]), 0.5)
    assert out.dtype is tt.float32 and out.tolist() == [2.0, 2.0]


# --- fmod, copysign -------------------------------------------------------------------------------


def test_fmod_takes_the_sign_of_a_and_its_gradients():
    a, b = _t([-7.0, 7.0, 5.5], True), _t([2.0, -2.0, 2.0], True)
    out = tt.fmod(a, b)
    assert out.tolist() == [-1.0, 1.0, 1.5]
    ga, gb = _grads(out, a, b, weight=[1.0, 2.0, 3.0])
    assert ga.tolist() == [1.0, 2.0, 3.0]
    assert gb.tolist() == [3.0, 6.0, -6.0]  # -g * trunc(a/b): trunc = -3, -3, 2
    assert tt.fmod(tt.tensor([-7, 7]), 3).tolist() == [-1, 1]
    with pytest.raises(RuntimeError, match=r"^fmod: integer division by zero"):
        tt.fmod(tt.tensor([2, 3]), tt.tensor([1, 0]))
    with pytest.raises(NotImplementedError, match="fmod"):
        tt.fmod(tt.tensor([True]), tt.tensor([False]))  # no bool kernel (PyTorch)
    assert math.isnan(tt.fmod(_t([1.0]), 0.0).item())


def test_fmod_saves_its_operands_only_for_bs_gradient():
    assert not _raises_after_inplace(tt.fmod, 0, [True, False])
    assert not _raises_after_inplace(tt.fmod, 1, [True, False])
    assert _raises_after_inplace(tt.fmod, 0, [False, True])
    assert _raises_after_inplace(tt.fmod, 1, [False, True])


def test_copysign_values_dtype_and_gradients():
    a, b = _t([2.0, -3.0, 0.0, 4.0], True), _t([-1.0, -1.0, -5.0, 2.0], True)
    out = tt.copysign(a, b)
    assert out.tolist() == [-2.0, -3.0, -0.0, 4.0]
    ga, gb = _grads(out, a, b, weight=[1.0, 2.0, 3.0, 4.0])
    assert ga.tolist() == [-1.0, 2.0, 0.0, 4.0]  # g * out / a, 0 where a == 0
    assert gb.tolist() == [0.0, 0.0, 0.0, 0.0]  # a zero gradient, not None
    i = tt.copysign(tt.tensor([3, -4]), tt.tensor([-1, 1]))
    assert i.dtype is tt.get_default_dtype() and i.tolist() == [-3.0, 4.0]


def test_copysign_second_derivative_is_zero_and_finite_at_zero():
    a, b = _t([0.0, 2.0, -3.0], True), _t([-1.0, 1.0, 1.0])
    (ga,) = tt.autograd.grad(tt.copysign(a, b).sum(), a, create_graph=True)
    assert ga.tolist() == [0.0, 1.0, -1.0]
    (gga,) = tt.autograd.grad(ga.sum(), a)
    assert gga.tolist() == [0.0, 0.0, 0.0]


def test_copysign_saves_a_and_its_output_only_for_as_gradient():
    def cs(a, b):
        return tt.copysign(a, b)

    assert _raises_after_inplace(cs, 0, [True, False])
    assert not _raises_after_inplace(cs, 0, [False, True])
    assert not _raises_after_inplace(cs, 1, [True, False])


# --- addcmul, addcdiv -----------------------------------------------------------------------------


def test_addcmul_values_and_gradients():
    x, a, b = _t([1.0, 2.0], True), _t([3.0, 4.0], True), _t([5.0, -1.0], True)
    out = tt.addcmul(x, a, b)
    assert out.tolist() == [16.0, -2.0]
    gx, ga, gb = _grads(out, x, a, b, weight=[1.0, 2.0])
    assert gx.tolist() == [1.0, 2.0] and ga.tolist() == [5.0, -2.0] and gb.tolist() == [3.0, 8.0]
    x, a, b = _t([1.0, 2.0], True), _t([3.0, 4.0], True), _t([5.0, -1.0], True)
    out = tt.addcmul(x, a, b, value=0.5)
    assert out.tolist() == [8.5, 0.0]
    assert out.grad_fn.attrs == {"value": 0.5}
    gx, ga, gb = _grads(out, x, a, b)
    assert gx.tolist() == [1.0, 1.0] and ga.tolist() == [2.5, -0.5] and gb.tolist() == [1.5, 2.0]


def test_addcmul_dtype_saved_set_and_errors():
    out = tt.addcmul(tt.tensor([1]), tt.tensor([2]), tt.tensor([3]), value=2)
    assert out.dtype is tt.int64 and out.tolist() == [13]
    out = tt.addcmul(tt.tensor([1.0], dtype=tt.float32), tt.tensor([2]), tt.tensor([3]))
    assert out.dtype is tt.float32 and out.tolist() == [7.0]

    def acm(x, a, b):
        return tt.addcmul(x, a, b)

    assert not _raises_after_inplace(acm, 1, [True, True, False])  # a read only by db
    assert _raises_after_inplace(acm, 2, [True, True, False])
    assert _raises_after_inplace(acm, 1, [False, False, True])
    assert not _raises_after_inplace(acm, 0, [True, True, True])
    with pytest.raises(RuntimeError, match=r"^addcmul: shapes \(3,\) and \(2,\)"):
        tt.addcmul(tt.ones(2), tt.ones(3), tt.ones(2))
    with pytest.raises(RuntimeError, match=r"^addcmul: shapes \(2,\) and \(3,\)"):
        tt.addcmul(tt.ones(2), tt.ones(3), tt.ones(3))


def test_addcdiv_values_and_gradients():
    x, a, b = _t([1.0, 2.0], True), _t([3.0, 4.0], True), _t([2.0, -4.0], True)
    out = tt.addcdiv(x, a, b)
    assert out.tolist() == [2.5, 1.0]
    gx, ga, gb = _grads(out, x, a, b, weight=[1.0, 2.0])
    assert gx.tolist() == [1.0, 2.0]
    assert ga.tolist() == [0.5, -0.5]  # g value / b
    assert gb.tolist() == [-0.75, -0.5]  # -g value a / b^2
    x, a, b = _t([1.0, 2.0], True), _t([3.0, 4.0], True), _t([2.0, -4.0], True)
    out = tt.addcdiv(x, a, b, value=2)
    assert out.tolist() == [4.0, 0.0]
    gx, ga, gb = _grads(out, x, a, b)
    assert gx.tolist() == [1.0, 1.0] and ga.tolist() == [1.0, -0.5]
    assert gb.tolist() == [-1.5, -0.5]


def test_addcdiv_refuses_integers_and_saves_per_gradient():
    with pytest.raises(RuntimeError) as e:
        tt.addcdiv(tt.ones(1), tt.tensor([2]), tt.tensor([2]))
    assert str(e.value) == (
        "addcdiv: integer division with addcdiv is not supported; use floating tensor1 and "
        "tensor2, or (input + value * torch.trunc(tensor1 / tensor2)) for the old behaviour"
    )
    with pytest.raises(RuntimeError, match="^addcdiv: integer division with addcdiv is not supp"):
        tt.addcdiv(tt.ones(1), tt.tensor([1]), tt.tensor([2]))
    with pytest.raises(RuntimeError, match="integer division with addcdiv"):
        tt.addcdiv(tt.ones(1), tt.tensor([True]), tt.tensor([True]))
    out = tt.addcdiv(tt.tensor([1]), tt.tensor([1.0]), tt.tensor([4.0]), value=2)
    assert out.tolist() == [1.5]

    def acd(x, a, b):
        return tt.addcdiv(x, a, b)

    assert not _raises_after_inplace(acd, 1, [True, True, False])  # a read only by db
    assert _raises_after_inplace(acd, 2, [True, True, False])  # b read by da
    assert _raises_after_inplace(acd, 1, [False, False, True])
    with pytest.raises(RuntimeError, match=r"^addcdiv: shapes \(3,\) and \(2,\)"):
        tt.addcdiv(tt.ones(2), tt.ones(3), tt.ones(2))


# --- gcd, lcm -------------------------------------------------------------------------------------


def test_gcd_and_lcm_values_and_errors():
    assert tt.gcd(tt.tensor([12, -8, 0]), tt.tensor([18, 12, 5])).tolist() == [6, 4, 5]
    assert tt.lcm(tt.tensor([4, 6, 0]), tt.tensor([6, -4, 3])).tolist() == [12, 12, 0]
    assert tt.gcd(tt.tensor([[4], [6]]), tt.tensor([6, 9])).tolist() == [[2, 1], [6, 3]]
    with pytest.raises(NotImplementedError) as e:  # PyTorch's class: no float kernel
        tt.gcd(tt.tensor([2.0]), tt.tensor([4]))
    assert str(e.value).startswith("gcd: not implemented for float32 and int64 tensors")
    with pytest.raises(NotImplementedError, match="^lcm: not implemented for int64 and float64"):
        tt.lcm(tt.tensor([2]), _t([4.0]))
    with pytest.raises(NotImplementedError, match="bool"):
        tt.gcd(tt.tensor([True]), tt.tensor([True]))
    with pytest.raises(RuntimeError) as e:
        tt.lcm(tt.tensor([2, 3]), tt.tensor([1, 2, 3]))
    assert str(e.value) == "lcm: shapes (2,) and (3,) cannot be broadcast together"
    assert tt.gcd(tt.tensor([4]), 6).tolist() == [2]


# --- survivors of the first mutmut pass -------------------------------------------------------


def _bad_second(fn):
    return lambda: fn(tt.tensor([1.0]), "x")


@pytest.mark.parametrize(
    "name, call",
    [
        ("add", _bad_second(tt.add)),
        ("sub", _bad_second(tt.sub)),
        ("mul", _bad_second(tt.mul)),
        ("div", _bad_second(tt.div)),
        ("div", lambda: tt.div(tt.tensor([1.0]), "x", rounding_mode="trunc")),
        ("floor_divide", _bad_second(tt.floor_divide)),
        ("remainder", _bad_second(tt.remainder)),
        ("pow", _bad_second(tt.pow)),
        ("fmod", _bad_second(tt.fmod)),
        ("copysign", _bad_second(tt.copysign)),
        ("addcmul", lambda: tt.addcmul(tt.ones(1), tt.ones(1), "x")),
        ("addcmul", lambda: tt.addcmul("x", tt.ones(1), tt.ones(1))),
        ("addcdiv", lambda: tt.addcdiv(tt.ones(1), tt.ones(1), "x")),
        ("addcdiv", lambda: tt.addcdiv("x", tt.ones(1), tt.ones(1))),
        ("gcd", lambda: tt.gcd(tt.tensor([1]), "x")),
        ("gcd", lambda: tt.gcd("x", tt.tensor([1]))),
        ("lcm", lambda: tt.lcm(tt.tensor([1]), "x")),
    ],
)
def test_a_bad_operand_is_an_error_naming_the_op(name, call):
    with pytest.raises(TypeError, match=f"^{name}: "):
        call()


@pytest.mark.parametrize(
    "name, call",
    [
        ("lerp", lambda: tt.lerp(tt.ones(2), tt.ones(3), 0.5)),
        ("fmod", lambda: tt.fmod(tt.ones(2), tt.ones(3))),
        ("copysign", lambda: tt.copysign(tt.ones(2), tt.ones(3))),
        ("addcdiv", lambda: tt.addcdiv(tt.ones(2), tt.ones(3), tt.ones(3))),
        ("floor_divide", lambda: tt.floor_divide(tt.ones(2), tt.ones(3))),
        ("remainder", lambda: tt.remainder(tt.ones(2), tt.ones(3))),
    ],
)
def test_a_broadcast_error_names_the_op(name, call):
    with pytest.raises(RuntimeError, match=rf"^{name}: shapes \(2,\) and \(3,\)"):
        call()


def test_kernels_stay_quiet_where_numpy_is_told_to_raise():
    one, zero = _t([1.0, -1.0, 0.0]), _t([0.0, 0.0, 0.0])
    with np.errstate(all="raise"):
        assert tt.floor_divide(one, zero).tolist()[:2] == [math.inf, -math.inf]
        assert all(math.isnan(v) for v in tt.remainder(one, zero).tolist())
        t = tt.div(one, zero, rounding_mode="trunc").tolist()
        assert t[:2] == [math.inf, -math.inf] and math.isnan(t[2])
        assert tt.pow(zero, -1.0).tolist() == [math.inf] * 3
        assert tt.pow(_t([1e300]), 2.0).tolist() == [math.inf]
        big = _t([1e308])
        assert tt.lerp(-big, big, 0.25).tolist() == [math.inf]  # e - s overflows
        assert tt.addcmul(zero, big, big).tolist() == [math.inf] * 3
        assert tt.addcmul(big, big, _t([1.0])).tolist() == [math.inf]  # the last sum overflows
        assert tt.addcdiv(big, big, _t([1.0])).tolist() == [math.inf]
        assert tt.addcdiv(zero, one, zero).tolist()[:2] == [math.inf, -math.inf]


def test_pow_of_a_number_base_between_zero_and_one():
    x = _t([1.0, 2.0], True)
    out = tt.pow(0.5, x)
    assert out.tolist() == [0.5, 0.25]
    (gx,) = _grads(out, x)
    np.testing.assert_allclose(gx, [0.5 * math.log(0.5), 0.25 * math.log(0.5)], rtol=1e-15)


def test_addcdiv_gradient_of_tensor1_only():
    x, a, b = _t([1.0]), _t([3.0], True), _t([2.0])
    gx, ga, gb = _grads(tt.addcdiv(x, a, b, value=3), x, a, b)
    assert gx is None and ga.tolist() == [1.5] and gb is None


def test_addcmul_with_only_tensor2_needing_grad_saves_tensor1_only():
    def acm(x, a, b):
        return tt.addcmul(x, a, b)

    assert not _raises_after_inplace(acm, 2, [False, False, True])  # b is not saved
    x, a, b = _t([1.0]), _t([3.0]), _t([2.0], True)
    gx, ga, gb = _grads(tt.addcmul(x, a, b, value=2), x, a, b)
    assert gx is None and ga is None and gb.tolist() == [6.0]


def test_copysign_keeps_its_output_only_for_as_gradient():
    a, b = _t([2.0, -3.0]), _t([-1.0, 1.0], True)
    out = tt.copysign(a, b)
    with tt.no_grad():
        out.mul_(2.0)  # not saved when a needs no gradient
    (gb,) = _grads(out, b)
    assert gb.tolist() == [0.0, 0.0]


def test_compiled_integer_and_fused_ops_replay_with_new_values():
    def f(a, b):
        return (
            tt.gcd(a, b)
            + tt.lcm(a, b)
            + tt.floor_divide(a, b)
            + tt.div(a, b, rounding_mode="trunc")
        )

    def g(x, t1, t2):
        return tt.addcmul(x, t1, t2, value=2) + tt.addcdiv(x, t1, t2)

    cf, cg = tt.compile(f), tt.compile(g)
    for a, b in [([12, 9], [8, 6]), ([7, -9], [3, 4]), ([10, 20], [5, 3])]:
        a, b = tt.tensor(a), tt.tensor(b)
        assert cf(a, b).tolist() == f(a, b).tolist()
    for v in [1.0, 2.0, 3.0]:
        x, t1, t2 = _t([v, 1.0]), _t([2.0, v]), _t([v, 4.0])
        assert cg(x, t1, t2).tolist() == g(x, t1, t2).tolist()


@pytest.mark.parametrize("number_first", [False, True])
def test_mul_by_a_number_saves_no_tensor(number_first):
    x = _t([1.5, 2.5], True)
    y = x * 1.0
    z = tt.mul(2.0, y) if number_first else tt.mul(y, 2.0)
    with tt.no_grad():
        y.mul_(3.0)  # y is read by no gradient: changing it is no error
    (gx,) = _grads(z, x)
    assert gx.tolist() == [2.0, 2.0]
