"""``t[index] = value`` with a tensor value of another dtype, as PyTorch 2.13: a basic index
(ints, slices, None, ..., True, 0-d integer tensors) converts the value (a copy_), and so does
one bool mask with a one-element value (a masked_fill); any other advanced index (integer
tensors, lists, several masks, a mask with a longer value) raises RuntimeError and writes
nothing. Numbers are always converted."""

import numpy as np
import pytest

import tinytensor as tt

M = [True, False, True]
INDICES = {
    "mask": (3,), "mask_on_2d": (3, 2), "full_mask": (3, 2), "mask_in_tuple": (3,),
    "mask_slice": (3, 2), "slice_mask": (2, 3), "bool_list": (3,), "0d_bool": (3,),
    "long": (3,), "int32": (3,), "list": (3,), "int_list": (3, 2), "range": (3,),
    "array": (3,), "mask_long": (3, 3), "0d_long": (3,), "two_0d_longs": (3, 2),
    "slice": (3, 2), "int": (3, 2), "ellipsis": (3, 2), "none": (3,), "true": (3,),
}  # fmt: skip


def _index(lib, name):
    m = lib.tensor(M)
    return {
        "mask": m, "mask_on_2d": m, "full_mask": lib.ones(3, 2, dtype=lib.bool),
        "mask_in_tuple": (m,), "mask_slice": (m, slice(None)), "slice_mask": (slice(None), m),
        "bool_list": M, "0d_bool": lib.tensor(True), "long": lib.tensor([0, 1]),
        "int32": lib.tensor([0, 1], dtype=lib.int32), "list": [0, 1], "int_list": (0, [1]),
        "range": range(2), "array": np.array([0, 2]), "mask_long": (m, lib.tensor([0, 1])),
        "0d_long": lib.tensor(1), "two_0d_longs": (lib.tensor(1), lib.tensor(0)),
        "slice": slice(0, 2), "int": 1, "ellipsis": ..., "none": None, "true": True,
    }[name]  # fmt: skip


CONVERTS_ONE = {"mask", "mask_on_2d", "full_mask", "mask_in_tuple", "mask_slice", "slice_mask",
                "bool_list", "0d_long", "two_0d_longs", "slice", "int", "ellipsis", "none",
                "true"}  # fmt: skip
BASIC = {"0d_long", "two_0d_longs", "slice", "int", "ellipsis", "none", "true"}


def _values(lib):
    return {
        "0d_f64": lib.tensor(1.5, dtype=lib.float64),
        "1el_f64": lib.tensor([1.5], dtype=lib.float64),
        "0d_i64": lib.tensor(2),
        "2el_f64": lib.tensor([1.5, 2.5], dtype=lib.float64),
        "number": 2.5,
    }


@pytest.mark.parametrize("name", INDICES)
@pytest.mark.parametrize("vname", ["0d_f64", "1el_f64", "0d_i64", "number"])
def test_which_writes_convert_a_one_element_value(name, vname):
    x = tt.zeros(INDICES[name])
    value = _values(tt)[vname]
    if vname == "number" or name in CONVERTS_ONE:
        x[_index(tt, name)] = value
        assert x.dtype == tt.float32 and float(x.abs().sum()) > 0
    else:
        with pytest.raises(RuntimeError, match=r"^setitem: index put requires .* dtypes match"):
            x[_index(tt, name)] = value
        assert float(x.abs().sum()) == 0 and x._version == 0


def test_a_longer_value_converts_only_through_a_basic_index():
    x = tt.zeros(3, 2)
    x[0] = tt.tensor([1.5, 2.5], dtype=tt.float64)
    x[1:, :] = tt.tensor([7, 8])
    assert x.tolist() == [[1.5, 2.5], [7.0, 8.0], [7.0, 8.0]] and x.dtype == tt.float32
    for index in (tt.tensor(M), [0, 2], (tt.tensor(M), slice(None))):
        with pytest.raises(RuntimeError, match=r"float32 for the destination and .*float64"):
            x[index] = tt.tensor([1.0, 2.0], dtype=tt.float64)
    assert x.tolist() == [[1.5, 2.5], [7.0, 8.0], [7.0, 8.0]] and x._version == 2


def test_a_float_index_is_still_an_index_error():
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        tt.zeros(3)[tt.tensor([0.0])] = tt.tensor([1.0], dtype=tt.float64)


@pytest.mark.torch
@pytest.mark.parametrize("name", INDICES)
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    for vname in ("0d_f64", "1el_f64", "0d_i64", "2el_f64", "number"):
        got = []
        for lib in (torch, tt):
            x = lib.zeros(INDICES[name])
            try:
                x[_index(lib, name)] = _values(lib)[vname]
                got.append(x.tolist())
            except Exception as e:  # noqa: BLE001 - the class is what is compared
                got.append((type(e).__name__, x.tolist()))
        assert got[0] == got[1], vname
