"""Running ops, closeness tests and topk on edge arguments as PyTorch 2.13
(tinytensor/ops/reduce.py cumsum, scan.py, compare.py, sort.py).

cumsum/cumprod accumulate integers and bools in int64 unless ``dtype=`` names another dtype,
which they then keep (int32 gave int64); logcumsumexp checks its dim before its dtype and is
quiet where inf meets -inf; isclose/allclose refuse tensors of two dtypes and negative
tolerances (RuntimeError); topk refuses bool tensors (RuntimeError); quantile refuses a q
tensor of another dtype than the input (RuntimeError). NumPy oracles first,
PyTorch behind the marker."""

import warnings

import numpy as np
import pytest
from torch_outcome import assert_same_outcome, outcome

import tinytensor as tt

INTS = np.array([[100, 100], [3, -4]], np.int8)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_running_ops_keep_a_requested_integer_dtype_numpy(name):
    ref = getattr(np, name)
    for arr in (INTS, INTS.astype(np.uint8), np.array([True, True, False])):
        x = tt.tensor(arr)
        out = getattr(tt, name)(x, 0)
        assert out.dtype is tt.int64  # the default: int64
        np.testing.assert_array_equal(out.numpy(), ref(arr.astype(np.int64), axis=0))
        for dt, npdt in ((tt.int32, np.int32), (tt.int16, np.int16), (tt.float64, np.float64)):
            got = getattr(tt, name)(x, 0, dtype=dt)
            assert got.dtype is dt
            np.testing.assert_array_equal(got.numpy(), ref(arr.astype(npdt), axis=0))
    assert tt.cumsum(tt.tensor(3, dtype=tt.int8), 0, dtype=tt.int32).dtype is tt.int32
    assert tt.cumprod(tt.zeros(0, 3, dtype=tt.int8), 1, dtype=tt.int32).dtype is tt.int32
    method = tt.tensor(INTS).cumsum(1, dtype=tt.int32)
    assert method.dtype is tt.int32 and method.tolist() == [[100, 200], [3, -1]]


def test_logcumsumexp_dim_first_and_quiet_numpy():
    with pytest.raises(IndexError):
        tt.logcumsumexp(tt.tensor([1, 2]), 5)  # the dim's error before the dtype's
    with pytest.raises(NotImplementedError):
        tt.logcumsumexp(tt.tensor([1, 2]), 0)
    x = tt.tensor([1.0, np.inf, -np.inf, np.nan])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = tt.logcumsumexp(x, 0)
    assert out[0].item() == 1.0 and out[1].item() == np.inf


def test_isclose_and_allclose_arguments_numpy():
    a = tt.tensor([1.0, 2.0])
    for fn in (tt.isclose, tt.allclose):
        with pytest.raises(RuntimeError, match="did not match"):
            fn(a, a.double())
        with pytest.raises(RuntimeError, match="did not match"):
            fn(a, tt.tensor([1, 2]))
        with pytest.raises(RuntimeError, match="rtol"):
            fn(a, a, rtol=-1)
        with pytest.raises(RuntimeError, match="atol"):
            fn(a, a, atol=-1e-9)
    assert tt.isclose(tt.tensor([1, 2]), tt.tensor([1, 3]), rtol=0.5).tolist() == [True, True]
    assert a.isclose(a + 1e-9).tolist() == [True, True] and a.allclose(a)


def test_quantile_q_tensor_must_match_the_input_dtype_numpy():
    x = tt.tensor([1.0, 2.0, 4.0])
    with pytest.raises(RuntimeError, match="same dtype"):
        tt.quantile(x, tt.tensor([0.5], dtype=tt.float64))
    with pytest.raises(RuntimeError, match="same dtype"):
        tt.nanquantile(x, tt.tensor(0.5, dtype=tt.float64))
    assert tt.quantile(x, tt.tensor([0.5])).tolist() == [2.0]
    assert tt.quantile(x, 0.5).item() == 2.0  # a number is fine


def test_topk_refuses_bool_numpy():
    with pytest.raises(RuntimeError, match="bool"):
        tt.topk(tt.tensor([True, False]), 1)
    assert tt.topk(tt.tensor([1, 3, 2]), 2).values.tolist() == [3, 2]


CASES = [
    ("cumsum_int32", lambda L: L.cumsum(L.tensor(INTS), 0, dtype=L.int32)),
    ("cumsum_u8", lambda L: L.cumsum(L.tensor(INTS.astype(np.uint8)), 1)),
    ("cumprod_int16", lambda L: L.cumprod(L.tensor(INTS), 1, dtype=L.int16)),
    ("cumprod_bool", lambda L: L.cumprod(L.tensor([True, True, False]), 0)),
    ("cumsum_bool_f64", lambda L: L.cumsum(L.tensor([True, True, False]), 0, dtype=L.float64)),
    ("logcumsumexp_int_bad_dim", lambda L: L.logcumsumexp(L.tensor([1, 2]), 5)),
    ("logcumsumexp_infs", lambda L: L.logcumsumexp(L.tensor([1.0, np.inf, -np.inf]), 0)),
    ("isclose_dtypes", lambda L: L.isclose(L.tensor([1.0]), L.tensor([1.0], dtype=L.float64))),
    ("allclose_int_float", lambda L: L.allclose(L.tensor([1]), L.tensor([1.0]))),
    ("isclose_neg_rtol", lambda L: L.isclose(L.tensor([1.0]), L.tensor([1.0]), rtol=-1)),
    ("isclose_ints", lambda L: L.isclose(L.tensor([1, 2]), L.tensor([1, 3]), rtol=0.5)),
    ("topk_bool", lambda L: L.topk(L.tensor([True, False]), 1)),
    ("quantile_q_f64", lambda L: L.quantile(L.tensor([1.0, 2.0]), L.tensor([0.5]).double())),
]


@pytest.mark.torch
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn = dict(CASES)[name]

    assert_same_outcome(outcome(lambda: fn(tt)), outcome(lambda: fn(torch)), rtol=1e-6)
