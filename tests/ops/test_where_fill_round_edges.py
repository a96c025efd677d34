"""where, masked_fill and round on edge arguments as PyTorch 2.13 (tinytensor/ops/selection.py,
masked.py, unary.py).

masked_fill converts its number with PyTorch's overflow check (NaN or 300 into an integer
tensor, 1e300 into float16: RuntimeError; 1.5 into int64 truncates; inf into float16 is fine)
and broadcasts its out-of-place result to a larger mask (masked_fill_ refuses that); where
refuses a Python int outside an integer tensor's range and reads a uint8 condition as nonzero
with a deprecation warning; round with decimals computes float16 in float32 (no overflow of
x * 10**k) and refuses integer tensors (NotImplementedError). NumPy oracles first, PyTorch
behind the marker."""

import warnings

import numpy as np
import pytest
from torch_outcome import assert_same_outcome, outcome

import tinytensor as tt

MASK = [True, False, True]


@pytest.mark.parametrize(
    ("dtype", "value", "want"),
    [
        ("int64", float("nan"), RuntimeError),
        ("int32", float("inf"), RuntimeError),
        ("uint8", 300, RuntimeError),
        ("uint8", -1, [255, 2, 255]),
        ("int8", 127, [127, 2, 127]),
        ("int64", 1.5, [1, 2, 1]),
        ("int64", 2**63, RuntimeError),
        ("float16", 1e300, RuntimeError),
        ("float16", float("inf"), [float("inf"), 2.0, float("inf")]),
        ("bool", 2, [True, True, True]),
    ],
)
def test_masked_fill_converts_its_value_with_the_overflow_check_numpy(dtype, value, want):
    x = tt.tensor([1, 2, 3], dtype=getattr(tt, dtype))
    m = tt.tensor(MASK)
    if isinstance(want, type):
        with pytest.raises(want, match="masked_fill"):
            x.masked_fill(m, value)
        with pytest.raises(want, match="masked_fill"):
            x.masked_fill_(m, value)
        assert x.tolist() == tt.tensor([1, 2, 3], dtype=x.dtype).tolist()  # nothing written
    else:
        assert x.masked_fill(m, value).tolist() == want
        assert x.masked_fill_(m, value).tolist() == want


def test_masked_fill_broadcasts_out_of_place_numpy():
    x = tt.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    m = tt.tensor([[True], [False]])
    y = x.masked_fill(m, -1.0)
    np.testing.assert_array_equal(y.detach().numpy(), [[-1.0] * 3, [1.0, 2.0, 3.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0, 1.0]])
    with pytest.raises(RuntimeError):
        x.detach().clone().masked_fill_(m, 0.0)


def test_where_int_overflow_and_uint8_condition_numpy():
    c = tt.tensor(MASK)
    with pytest.raises(RuntimeError, match="without overflow"):
        tt.where(c, tt.tensor([1, 2, 3], dtype=tt.uint8), 300)
    with pytest.raises(RuntimeError, match="without overflow"):
        tt.where(c, 200, tt.tensor([1, 2, 3], dtype=tt.int8))
    assert tt.where(c, tt.tensor([1, 2, 3], dtype=tt.uint8), 7).tolist() == [1, 7, 3]
    out = tt.where(c, tt.tensor([1.0, 2.0, 3.0], dtype=tt.float16), 1e6)  # floats: no check
    assert out.dtype is tt.float16 and np.isinf(out[1].item())
    with pytest.warns(UserWarning, match="uint8 condition") as w:
        got = tt.where(tt.tensor([1, 0, 2], dtype=tt.uint8), 1.0, 2.0)
    assert w[0].filename == __file__
    assert got.tolist() == [1.0, 2.0, 1.0]
    with pytest.raises(RuntimeError, match="bool"):
        tt.where(tt.tensor([1.0, 0.0]), 1.0, 2.0)


def test_round_decimals_numpy():
    h = np.array([0.5, 1.2345, 12.345, 1000.0, -2.675, 60000.0], np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = tt.round(tt.tensor(h), decimals=2)
    want = np.round(h.astype(np.float32), 2).astype(np.float16)
    assert got.dtype is tt.float16
    np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(
        tt.round(tt.tensor(h), decimals=-1).numpy(),
        np.round(h.astype(np.float32), -1).astype(np.float16),
    )
    for dt in (tt.int64, tt.int32):
        with pytest.raises(NotImplementedError, match="decimals"):
            tt.round(tt.tensor([15, 25], dtype=dt), decimals=-1)
        assert tt.round(tt.tensor([15, 25], dtype=dt)).tolist() == [15, 25]


def _u8(lib, v):
    return lib.tensor(v, dtype=lib.uint8)


def _fill(lib, x, value, mask=(True, False)):
    return x.masked_fill(lib.tensor(list(mask)), value)


CASES = [
    ("fill_nan_int", lambda L: _fill(L, L.tensor([1, 2]), float("nan"))),
    ("fill_300_u8", lambda L: _fill(L, _u8(L, [1, 2]), 300)),
    ("fill_neg_u8", lambda L: _fill(L, _u8(L, [1, 2]), -1)),
    ("fill_1e300_f16", lambda L: _fill(L, L.tensor([1.0, 2.0], dtype=L.float16), 1e300)),
    ("fill_15_int", lambda L: _fill(L, L.tensor([1, 2]), 1.5)),
    ("fill_bcast", lambda L: L.tensor([[1.0, 2.0]]).masked_fill(L.tensor([[True], [False]]), 0.0)),
    ("where_u8_300", lambda L: L.where(L.tensor(MASK), _u8(L, [1, 2, 3]), 300)),
    ("where_u8_cond", lambda L: L.where(_u8(L, [1, 0, 2]), 1.0, 2.0)),
    ("round_f16_2", lambda L: L.round(L.tensor([1.2345, 6e4], dtype=L.float16), decimals=2)),
    ("round_f16_neg", lambda L: L.round(L.tensor([1234.5, -25.0], dtype=L.float16), decimals=-1)),
    ("round_int_dec", lambda L: L.round(L.tensor([15, 25]), decimals=-1)),
]


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:where received a uint8")
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn = dict(CASES)[name]

    assert_same_outcome(outcome(lambda: fn(tt)), outcome(lambda: fn(torch)))
