"""Integer and bool operands of the arithmetic ops as PyTorch 2.13 (tinytensor/ops/binary.py,
int_arith.py, _pointwise.py).

A floating op of integers (div, true_divide, atan2, copysign, xlogy, ...) converts
each operand from its own value: a Python int or a 0-d tensor outside the tensor's integer
range is not wrapped first (uint8 / 300 and uint8 / -3 were computed with 44 and 253). An
integer division by zero raises an error that is both PyTorch's RuntimeError and Python's
ZeroDivisionError. An integer power with a negative exponent tensor is 1 for base 1, +-1 for
-1, 0 otherwise; a negative Python int exponent is refused for every integral tensor (uint8
included), and a bool tensor to a bool number stays bool. Bool tensors have no division,
remainder, fmod or tensor-power kernel (NotImplementedError); a subtraction with a bool
operand is refused. The other kernels PyTorch lacks for bool or integer tensors are refused
with its classes (abs/floor/ceil/round/trunc of bool, gcd of bool or float, lerp, addcmul of
bool, hypot/logaddexp/nextafter of integers: NotImplementedError; relu of bool: RuntimeError;
~ of a float tensor: TypeError), and those it has are given (sign of bool, square of bool in
int64); heaviside of NaN is 0. NumPy oracles first, PyTorch behind the marker."""

import numpy as np
import pytest
from torch_outcome import assert_same_outcome, outcome

import tinytensor as tt

U8 = np.array([0, 1, 2, 200, 255], np.uint8)
I8 = np.array([-128, -7, 0, 7, 127], np.int8)


@pytest.mark.parametrize("scalar", [-3, 300, -1000, 2**40])
def test_floating_ops_convert_each_integer_operand_from_its_own_value_numpy(scalar):
    for arr in (U8, I8):
        x = tt.tensor(arr)
        f = arr.astype(np.float32)
        s = np.float32(scalar)
        with np.errstate(all="ignore"):
            cases = [
                (x / scalar, f / s),
                (scalar / x, s / f),
                (tt.true_divide(x, scalar), f / s),
                (tt.div(x, tt.tensor(scalar)), f / s),  # a 0-d int64 tensor
                (tt.atan2(x, tt.tensor(scalar)), np.arctan2(f, s)),
                (tt.copysign(x, scalar), np.copysign(f, s)),
                (tt.xlogy(x, scalar), np.where(f == 0, 0, f * np.log(s))),
            ]
        for got, want in cases:
            assert got.dtype is tt.float32
            np.testing.assert_allclose(got.numpy(), want.astype(np.float32), rtol=1e-6)
    # integer ops keep wrapping, as PyTorch (the number becomes the tensor's dtype)
    assert (tt.tensor(U8) + 300).tolist() == ((U8.astype(np.int64) + 300) % 256).tolist()
    assert (tt.tensor(U8) < -1).tolist() == [True, True, True, True, False]


def test_integer_division_by_zero_is_a_runtime_error_numpy():
    x, z = tt.tensor([1, 2]), tt.tensor([1, 0])
    for call in (
        lambda: x // 0,
        lambda: x % z,
        lambda: tt.div(x, z, rounding_mode="trunc"),
        lambda: tt.div(x, z, rounding_mode="floor"),
        lambda: tt.fmod(x, 0),
        lambda: tt.remainder(5, z),
    ):
        with pytest.raises(RuntimeError, match="integer division by zero") as e:
            call()
        assert isinstance(e.value, ZeroDivisionError)
    assert np.isinf((tt.tensor([1.0]) // 0).item())  # floats: IEEE


def test_integer_power_with_negative_exponents_numpy():
    i = np.array([-2, -1, 0, 1, 2])
    x = tt.tensor(i)
    np.testing.assert_array_equal((x**x).numpy(), [0, -1, 1, 1, 4])
    np.testing.assert_array_equal((x ** (-x)).numpy(), [4, -1, 1, 1, 0])
    np.testing.assert_array_equal((2**x).numpy(), [0, 0, 1, 2, 4])
    np.testing.assert_array_equal(((-1) ** x).numpy(), [1, -1, 1, -1, 1])
    np.testing.assert_array_equal((0**x).numpy(), [0, 0, 1, 0, 0])
    np.testing.assert_array_equal((x ** tt.tensor(-1)).numpy(), [0, -1, 0, 1, 0])
    assert (x**x).dtype is tt.int64
    small = tt.tensor(np.array([3, -3], np.int8))
    assert (small ** tt.tensor(np.array([5, -1], np.int8))).tolist() == [-13, 0]  # 243 wraps
    for base in (x, tt.tensor(U8), tt.tensor([True, False]), tt.tensor(I8)):
        with pytest.raises(RuntimeError, match="negative integer powers"):
            base**-1
    b = tt.tensor([True, False])
    assert (b**True).tolist() == [True, False] and (b**True).dtype is tt.bool
    assert (b**False).tolist() == [True, True]
    assert (b**2).dtype is tt.int64 and (b**2.5).dtype is tt.float32


def test_bool_operands_without_a_kernel_numpy():
    b = tt.tensor([True, False])
    for call in (
        lambda: b // b,
        lambda: b % b,
        lambda: tt.fmod(b, True),
        lambda: tt.div(b, b, rounding_mode="trunc"),
        lambda: tt.floor_divide(b, True),
        lambda: b**b,
        lambda: True**b,
    ):
        with pytest.raises(NotImplementedError, match="bool"):
            call()
    assert (b / b).dtype is tt.float32  # true division has a float kernel


def test_subtraction_refuses_a_bool_operand_numpy():
    i, b = tt.tensor([1, 2]), tt.tensor([True, False])
    for call in (
        lambda: i - True,
        lambda: True - i,
        lambda: i - b,
        lambda: b - i,
        lambda: tt.tensor([1.5]) - False,
        lambda: tt.sub(i, True),
        lambda: tt.rsub(i, True),
        lambda: tt.sub(i, i, alpha=True),
        lambda: i.sub_(True),
    ):
        with pytest.raises(RuntimeError, match="bool"):
            call()
    assert i.tolist() == [1, 2]  # the in-place form changed nothing
    assert (i + True).tolist() == [2, 3]  # addition allows it


CASES = [
    ("u8_div_neg", lambda L: L.tensor(U8) / -3),
    ("u8_div_300", lambda L: L.tensor(U8) / 300),
    ("neg_div_u8", lambda L: -3 / L.tensor(U8)),
    ("i8_div_0d", lambda L: L.tensor(I8) / L.tensor(-200)),
    ("u8_atan2_0d", lambda L: L.atan2(L.tensor(U8), L.tensor(-3))),
    ("u8_copysign", lambda L: L.copysign(L.tensor(U8), -1)),
    ("u8_xlogy", lambda L: L.xlogy(L.tensor(U8), -3)),
    ("int_div_zero", lambda L: L.tensor([1, 2]) // 0),
    ("int_mod_zero", lambda L: L.tensor([1, 2]) % L.tensor([1, 0])),
    ("fmod_zero", lambda L: L.fmod(L.tensor([1, 2]), 0)),
    ("pow_tensor_neg", lambda L: L.tensor([-2, -1, 0, 1, 2]) ** L.tensor([-3, -3, -1, -2, -1])),
    ("pow_scalar_base", lambda L: 2 ** L.tensor([-2, -1, 0, 3])),
    ("pow_0d_neg", lambda L: L.tensor([-1, 1, 3]) ** L.tensor(-1)),
    ("pow_u8_neg", lambda L: L.tensor(U8) ** -1),
    ("pow_bool_neg", lambda L: L.tensor([True]) ** -1),
    ("pow_bool_true", lambda L: L.tensor([True, False]) ** True),
    ("pow_bool_bool", lambda L: L.tensor([True, False]) ** L.tensor([True, True])),
    ("pow_true_bool", lambda L: True ** L.tensor([True, False])),
    ("bool_floordiv", lambda L: L.tensor([True]) // L.tensor([True])),
    ("bool_remainder", lambda L: L.remainder(L.tensor([True]), True)),
    ("bool_fmod", lambda L: L.fmod(L.tensor([True]), True)),
    ("bool_div_trunc", lambda L: L.div(L.tensor([True]), True, rounding_mode="trunc")),
    ("int_sub_true", lambda L: L.tensor([1, 2]) - True),
    ("true_sub_int", lambda L: True - L.tensor([1, 2])),
    ("int_sub_bool", lambda L: L.tensor([1, 2]) - L.tensor([True, False])),
    ("sub_alpha_bool", lambda L: L.sub(L.tensor([1, 2]), L.tensor([1, 2]), alpha=True)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn = dict(CASES)[name]

    got, want = outcome(lambda: fn(tt)), outcome(lambda: fn(torch))
    assert_same_outcome(got, want, rtol=1e-6, subclass=True)


B = [True, False, True]


def test_bool_and_integer_kernels_pytorch_lacks_numpy():
    b, i = tt.tensor(B), tt.tensor([3, -4, 0])
    assert tt.sign(b).tolist() == B and tt.sign(b).dtype is tt.bool  # NumPy has no bool sign
    assert tt.sgn(b).tolist() == B
    assert tt.square(b).dtype is tt.int64 and tt.square(b).tolist() == [1, 0, 1]
    with pytest.raises(RuntimeError, match="bool"):
        tt.relu(b)
    for call in (
        lambda: tt.abs(b),
        lambda: b.abs_(),
        lambda: tt.floor(b),
        lambda: tt.ceil(b),
        lambda: tt.round(b),
        lambda: tt.trunc(b),
        lambda: tt.gcd(b, b),
        lambda: tt.gcd(i.float(), i),
        lambda: tt.lerp(i, i, 0.5),
        lambda: tt.lerp(b, b, 0.5),
        lambda: tt.addcmul(b, b, b),
        lambda: tt.hypot(i, i),
        lambda: tt.logaddexp(i, i),
        lambda: tt.logaddexp2(b, b),
        lambda: tt.nextafter(i, i),
    ):
        with pytest.raises(NotImplementedError):
            call()
    with pytest.raises(TypeError, match="invert"):
        ~tt.tensor([1.5])
    assert (~i).tolist() == [-4, 3, -1] and (~b).tolist() == [False, True, False]


def test_heaviside_of_nan_is_zero_numpy():
    x = tt.tensor([np.nan, -1.0, 0.0, 2.0])
    assert tt.heaviside(x, tt.tensor([0.5])).tolist() == [0.0, 0.0, 0.5, 1.0]
    assert tt.heaviside(tt.tensor([0, 3]), tt.tensor([7])).tolist() == [7, 1]


UNARY_CASES = [
    ("sign_bool", lambda L: L.sign(L.tensor(B))),
    ("square_bool", lambda L: L.square(L.tensor(B))),
    ("relu_bool", lambda L: L.relu(L.tensor(B))),
    ("abs_bool", lambda L: L.abs(L.tensor(B))),
    ("floor_bool", lambda L: L.floor(L.tensor(B))),
    ("round_bool", lambda L: L.round(L.tensor(B))),
    ("gcd_bool", lambda L: L.gcd(L.tensor(B), L.tensor(B))),
    ("gcd_float", lambda L: L.gcd(L.tensor([2.0]), L.tensor([4]))),
    ("lerp_int", lambda L: L.lerp(L.tensor([1, 2]), L.tensor([3, 4]), 0.5)),
    ("addcmul_bool", lambda L: L.addcmul(L.tensor(B), L.tensor(B), L.tensor(B))),
    ("hypot_int", lambda L: L.hypot(L.tensor([3]), L.tensor([4]))),
    ("logaddexp_int", lambda L: L.logaddexp(L.tensor([3]), L.tensor([4]))),
    ("logaddexp2_bool", lambda L: L.logaddexp2(L.tensor(B), L.tensor(B))),
    ("nextafter_int", lambda L: L.nextafter(L.tensor([3]), L.tensor([4]))),
    ("heaviside_nan", lambda L: L.heaviside(L.tensor([float("nan"), 0.0]), L.tensor([0.5]))),
    ("invert_float", lambda L: ~L.tensor([1.5])),
]


@pytest.mark.torch
@pytest.mark.parametrize("name", [c[0] for c in UNARY_CASES])
def test_kernels_match_torch(name):
    torch = pytest.importorskip("torch")
    fn = dict(UNARY_CASES)[name]

    got, want = outcome(lambda: fn(tt)), outcome(lambda: fn(torch))
    assert_same_outcome(got, want, subclass=True)
