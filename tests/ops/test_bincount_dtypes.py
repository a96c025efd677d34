"""bincount's dtypes and checks as PyTorch 2.13's: NotImplementedError for a bool or floating
input (PyTorch has integer kernels only), RuntimeError for a negative minlength (checked
next), int64 zeros of length minlength for an empty 1-d input whatever the weights, and a
float32 result for float32 weights, float64 for every other weight dtype (float16 included)."""

import numpy as np
import pytest

import tinytensor as tt


@pytest.mark.parametrize("dtype", ["bool", "float16", "float32", "float64"])
def test_a_bool_or_floating_input_is_not_implemented(dtype):
    for shape in [(3,), (0,), (2, 2)]:  # the dtype is checked first
        x = tt.ones(shape, dtype=getattr(tt, dtype))
        with pytest.raises(NotImplementedError, match=rf"^bincount: .*{dtype}.*\.long\(\)"):
            tt.bincount(x)
        with pytest.raises(NotImplementedError, match="bincount"):
            x.bincount(minlength=-1)


def test_a_negative_minlength_is_a_runtime_error_before_the_values():
    for x in (tt.tensor([1, 2]), tt.tensor([-1, 2]), tt.zeros(0, dtype=tt.int64)):
        with pytest.raises(RuntimeError, match="^bincount: minlength should be >= 0, got -1"):
            tt.bincount(x, minlength=-1)


def test_an_empty_input_gives_int64_zeros_whatever_the_weights():
    x = tt.zeros(0, dtype=tt.int64)
    for w in (None, tt.ones(0, dtype=tt.float64), tt.ones(3)):
        out = tt.bincount(x, w, minlength=2)
        assert out.dtype == tt.int64 and out.tolist() == [0, 0]
    with pytest.raises(RuntimeError, match=r"1-d .*\(0, 2\)"):  # empty but not 1-d
        tt.bincount(tt.zeros(0, 2, dtype=tt.int64))


@pytest.mark.parametrize(
    "wdtype, want",
    [
        ("float32", "float32"),
        ("float64", "float64"),
        ("float16", "float64"),
        ("int64", "float64"),
        ("int32", "float64"),
        ("uint8", "float64"),
        ("bool", "float64"),
    ],
)
def test_the_weights_dtype_sets_the_result_dtype(wdtype, want):
    w = tt.tensor([1, 2, 1]).to(getattr(tt, wdtype))
    out = tt.bincount(tt.tensor([0, 2, 2]), w)
    assert out.dtype == getattr(tt, want)
    np.testing.assert_array_equal(out.numpy(), [1.0, 0.0, 3.0 if wdtype != "bool" else 2.0])


@pytest.mark.parametrize("xdtype", ["int8", "uint8", "int16", "int32", "int64"])
def test_integer_inputs_count(xdtype):
    out = tt.bincount(tt.tensor([0, 2, 2]).to(getattr(tt, xdtype)))
    assert out.dtype == tt.int64 and out.tolist() == [1, 0, 2]


@pytest.mark.torch
def test_matches_torch():
    torch = pytest.importorskip("torch")
    calls = [
        lambda L: L.bincount(L.tensor([True, False, True])),
        lambda L: L.tensor([True]).bincount(minlength=3),
        lambda L: L.bincount(L.ones(0, dtype=L.bool)),
        lambda L: L.bincount(L.ones(2, 2)),
        lambda L: L.bincount(L.tensor([1, 2]), minlength=-1),
        lambda L: L.bincount(L.tensor([-1, 2]), minlength=-1),
        lambda L: L.bincount(L.tensor([-1, 2])),
        lambda L: L.bincount(L.tensor([[1]])),
        lambda L: L.bincount(L.tensor([1, 2]), weights=L.ones(3)),
        lambda L: L.bincount(L.tensor([], dtype=L.int64), weights=L.ones(3), minlength=2),
        lambda L: L.bincount(L.tensor([], dtype=L.int64), weights=L.ones(0, dtype=L.float64)),
        lambda L: L.bincount(L.tensor([3, 1]), weights=L.tensor([1.5, 2.0], dtype=L.float16)),
        lambda L: L.bincount(L.tensor([3, 1]), weights=L.tensor([1.5, 2.0]), minlength=6),
        lambda L: L.bincount(L.tensor([3, 1]), weights=L.tensor([True, False])),
        lambda L: L.bincount(L.tensor([3, 1], dtype=L.uint8), weights=L.tensor([7, 2])),
    ]
    for k, call in enumerate(calls):
        got = []
        for lib in (torch, tt):
            try:
                out = call(lib)
                got.append((out.tolist(), str(out.dtype).split(".")[-1]))
            except Exception as e:  # noqa: BLE001 - the class is what is compared
                got.append(type(e).__name__)
        assert got[0] == got[1], k
