"""full and arange on edge arguments as PyTorch 2.13 (tinytensor/ops/creation.py): full
converts its number to the requested dtype with PyTorch's overflow check (300 into uint8,
NaN into int8, 1e300 into float16: RuntimeError; NumPy raised OverflowError or wrote a NaN
cast), and arange refuses a NaN or infinite bound or step with PyTorch's RuntimeError (NumPy's
ValueError); a constant pad of a 0-d tensor with no pads is a new 0-d tensor (NumPy's pad
failed); tensor() of data that is no nest of numbers raises PyTorch's class (strings in a list
and ints beyond 64 bits: ValueError; None, dicts and other objects: RuntimeError; a bare
string: TypeError; all were TypeError). NumPy oracles first, PyTorch behind the marker."""

import numpy as np
import pytest
from torch_outcome import assert_same_outcome, outcome

import tinytensor as tt


def test_full_checks_its_value_numpy():
    for value, dtype in ((300, tt.uint8), (float("nan"), tt.int8), (1e300, tt.float16),
                         (2**63, tt.int64)):  # fmt: skip
        with pytest.raises(RuntimeError, match="without overflow"):
            tt.full((2,), value, dtype=dtype)
    assert tt.full((2,), -1, dtype=tt.uint8).tolist() == [255, 255]  # wraps, as PyTorch
    assert tt.full((2,), 1.7, dtype=tt.int32).tolist() == [1, 1]
    assert tt.full((1,), float("inf"), dtype=tt.float16).tolist() == [float("inf")]
    assert tt.full((2,), True).dtype is tt.bool and tt.full((2,), 3).dtype is tt.int64


def test_arange_refuses_non_finite_ranges_numpy():
    for args in ((0, float("nan")), (0, float("inf")), (float("-inf"), 0), (0, 1, float("nan"))):
        with pytest.raises(RuntimeError, match="unsupported range"):
            tt.arange(*args)
    np.testing.assert_array_equal(tt.arange(0, 1, 0.25).numpy(), np.arange(0, 1, 0.25))


CASES = [
    ("full_u8_300", lambda L: L.full((2,), 300, dtype=L.uint8)),
    ("full_i8_nan", lambda L: L.full((2,), float("nan"), dtype=L.int8)),
    ("full_f16_big", lambda L: L.full((2,), 1e300, dtype=L.float16)),
    ("full_u8_neg", lambda L: L.full((2,), -1, dtype=L.uint8)),
    ("full_i32_frac", lambda L: L.full((2,), 1.7, dtype=L.int32)),
    ("arange_nan", lambda L: L.arange(0, float("nan"))),
    ("arange_inf", lambda L: L.arange(0, float("inf"))),
]


@pytest.mark.torch
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn = dict(CASES)[name]

    assert_same_outcome(outcome(lambda: fn(tt)), outcome(lambda: fn(torch)))


def test_constant_pad_of_a_0d_tensor_with_no_pads_numpy():
    x = tt.tensor(2.0, requires_grad=True)
    y = tt.nn.functional.pad(x, ())
    assert y is not x and y.shape == () and y.item() == 2.0
    y.backward()
    assert x.grad.item() == 1.0


@pytest.mark.torch
def test_constant_pad_of_a_0d_tensor_matches_torch():
    torch = pytest.importorskip("torch")
    want = torch.nn.functional.pad(torch.tensor(2.0), ())
    got = tt.nn.functional.pad(tt.tensor(2.0), ())
    assert got.shape == tuple(want.shape) and got.item() == want.item()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ("abc", TypeError),
        (["a"], ValueError),
        ([None], RuntimeError),
        ([1, None], RuntimeError),
        ([2**64], ValueError),
        ({"a": 1}, RuntimeError),
        ([object()], RuntimeError),
    ],
    ids=["str", "strings", "none", "int-none", "big-int", "dict", "object"],
)
def test_tensor_of_bad_data_raises_pytorchs_class_numpy(data, error):
    with pytest.raises(error, match="tensor"):
        tt.tensor(data)


@pytest.mark.torch
@pytest.mark.parametrize("data", ["abc", ["a"], [None], [2**64], {"a": 1}, [object()]], ids=str)
def test_tensor_of_bad_data_matches_torch(data):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as want:  # noqa: PT011 - the class is what is compared
        torch.tensor(data)
    with pytest.raises(type(want.value)):
        tt.tensor(data)
