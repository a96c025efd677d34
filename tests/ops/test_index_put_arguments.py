"""index_put's arguments as PyTorch 2.13 reads them (tinytensor/ops/index_put.py): ``values``
must be a tensor (a number, list, array or None is a TypeError, before anything is written),
``indices`` a tuple or list of tensors (None among them is a TypeError), index dtypes are
int64/int32/bool/uint8 (others an IndexError), a uint8 index is a bool mask with a deprecation
warning (with one mask and a one-element value it is PyTorch's masked_fill_, which refuses
it), and ``accumulate=True`` takes bool masks. NumPy oracles first, PyTorch behind the torch
marker."""

import warnings

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.testing import gradcheck

A = np.arange(12.0).reshape(3, 4)
IDX = (np.array([0, 2]),)
ROWS = np.array([1, 0, 1], dtype=np.uint8)


def _put(lib, indices, values, accumulate=False, how="method_", dtype="float32"):
    x = lib.tensor(A, dtype=getattr(lib, dtype))
    if how == "method_":
        return x.index_put_(indices, values, accumulate), x
    if how == "method":
        return x.index_put(indices, values, accumulate), x
    if how == "fn_":
        return lib.index_put_(x, indices, values, accumulate), x
    return lib.index_put(x, indices, values, accumulate), x


HOWS = ["method_", "method", "fn_", "fn"]
NOT_TENSORS = [1.0, 2, True, [1.0, 2.0], np.array([1.0, 2.0]), None]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("values", NOT_TENSORS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("accumulate", [False, True])
def test_values_that_are_not_a_tensor_raise_type_error_and_change_nothing(how, values, accumulate):
    x = tt.tensor(A)
    calls = {
        "method_": lambda: x.index_put_((tt.tensor([0, 2]),), values, accumulate),
        "method": lambda: x.index_put((tt.tensor([0, 2]),), values, accumulate),
        "fn_": lambda: tt.index_put_(x, (tt.tensor([0, 2]),), values, accumulate),
        "fn": lambda: tt.index_put(x, (tt.tensor([0, 2]),), values, accumulate),
    }
    with pytest.raises(TypeError, match=r"^index_put: values must be a Tensor, not \w+; wrap"):
        calls[how]()
    np.testing.assert_array_equal(x.numpy(), A)
    assert x._version == 0


@pytest.mark.parametrize(
    ("indices", "element"),
    [
        ((None, tt.tensor([1, 3])), 0),
        ((tt.tensor([1]), None), 1),
        ((None,), 0),
        (([0, 2],), 0),
        ((tt.tensor([0]), 1), 1),
    ],
)
@pytest.mark.parametrize("accumulate", [False, True])
def test_an_index_that_is_not_a_tensor_raises_type_error(indices, element, accumulate):
    x = tt.tensor(A)
    with pytest.raises(TypeError, match=rf"^index_put: expected a Tensor as element {element} "):
        x.index_put_(indices, tt.tensor(9.0, dtype=tt.float64), accumulate)
    with pytest.raises(TypeError, match="^index_put: indices must be a tuple of Tensors, not Te"):
        x.index_put_(tt.tensor([0, 2]), tt.tensor(9.0, dtype=tt.float64))
    np.testing.assert_array_equal(x.numpy(), A)
    assert x._version == 0


def test_indices_are_checked_before_values():
    with pytest.raises(TypeError, match="element 0 of indices, got NoneType"):
        tt.tensor(A).index_put_((None,), 1.0)


@pytest.mark.parametrize("dtype", ["int8", "int16", "float32", "float64"])
def test_other_index_dtypes_raise_index_error(dtype):
    x = tt.tensor(A)
    with pytest.raises(IndexError, match="^index_put: tensors used as indices must be long, int"):
        x.index_put_((tt.tensor([1, 2], dtype=getattr(tt, dtype)),), tt.tensor(9.0, dtype=x.dtype))
    assert x._version == 0


def test_int32_indices_and_a_list_of_indices_are_accepted():
    out = tt.tensor(A).index_put([tt.tensor([2, 0], dtype=tt.int32)], tt.tensor(-1.0, tt.float64))
    want = A.copy()
    want[[2, 0]] = -1.0
    np.testing.assert_array_equal(out.numpy(), want)


def test_no_index_and_a_0d_mask_raise_runtime_error():
    with pytest.raises(RuntimeError, match=r"^index_put: indices is empty for a tensor of shape"):
        tt.tensor(A).index_put_((), tt.tensor(1.0, dtype=tt.float64))
    for m in (tt.tensor(True), tt.tensor(1, dtype=tt.uint8)):
        with pytest.raises(RuntimeError, match="^index_put: a 0-d .* mask"):
            tt.zeros(3).index_put_((m,), tt.ones(3), True)


def _numpy_put(mask_rows, values, accumulate, other=None):
    want = A.copy()
    rows = np.nonzero(mask_rows)[0]
    index = (rows,) if other is None else np.broadcast_arrays(rows, other)
    if accumulate:
        np.add.at(want, tuple(index), values)
    else:
        want[tuple(index)] = values
    return want


@pytest.mark.parametrize("accumulate", [False, True])
def test_a_uint8_index_is_a_bool_mask_with_a_deprecation_warning(accumulate):
    rows = np.array([2, 0, 1], dtype=np.uint8)  # nonzero, not 1, is True
    v = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.warns(UserWarning, match="indexing with dtype uint8 is now deprecated"):
        out = tt.tensor(A).index_put((tt.tensor(rows),), tt.tensor(v), accumulate)
    np.testing.assert_array_equal(out.numpy(), _numpy_put(rows, v, accumulate))
    with pytest.warns(UserWarning):  # beside an integer index: the mask's True rows
        nine = tt.tensor(9.0, dtype=tt.float64)
        out = tt.tensor(A).index_put((tt.tensor(rows), tt.tensor([0, 3])), nine)
    np.testing.assert_array_equal(out.numpy(), _numpy_put(rows, 9.0, False, np.array([0, 3])))


def test_a_uint8_mask_with_a_one_element_value_is_masked_fill_and_raises():
    x = tt.tensor(A)
    for v in (tt.tensor(9.0, dtype=tt.float64), tt.tensor([9.0], dtype=tt.float64)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # raised before the deprecation warning
            with pytest.raises(RuntimeError, match=r"^index_put: a uint8 index \(3,\) with a one-"):
                x.index_put_((tt.tensor(ROWS),), v)
    with pytest.raises(IndexError, match=r"^index_put: the shape of the mask \(2,\) at index 0"):
        x.index_put_((tt.tensor(ROWS[:2]),), tt.tensor(9.0, dtype=tt.float64))
    np.testing.assert_array_equal(x.numpy(), A)
    assert x._version == 0
    with pytest.warns(UserWarning):  # accumulate is not a masked_fill
        out = tt.tensor(A).index_put((tt.tensor(ROWS),), tt.tensor(9.0, tt.float64), True)
    np.testing.assert_array_equal(out.numpy(), _numpy_put(ROWS, 9.0, True))


@pytest.mark.parametrize("mask_dims", [1, 2])
def test_accumulate_through_a_bool_mask_adds_at_its_true_positions(mask_dims):
    rng = np.random.default_rng(3)
    mask = rng.random(A.shape[:mask_dims]) < 0.5
    n = int(mask.sum())
    vals = rng.standard_normal((n,) + A.shape[mask_dims:])
    out = tt.tensor(A).index_put((tt.tensor(mask),), tt.tensor(vals), accumulate=True)
    want = A.copy()
    want[mask] += vals
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-15)
    assert gradcheck(
        lambda a, v: tt.index_put(a, (tt.tensor(mask),), v, accumulate=True),
        (tt.tensor(A, requires_grad=True), tt.tensor(vals, requires_grad=True)),
    )


# --- against PyTorch ------------------------------------------------------------------------


def _outcome(L, indices, values, accumulate, how):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            out = _put(L, indices, values, accumulate, how, "float64")[0]
            result = (out.dtype.__repr__().split(".")[-1], out.tolist())
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            result = type(e).__name__
    deprecated = any("uint8 is now deprecated" in str(x.message) for x in w)
    return result, deprecated


def _cases(L):
    u = lambda *v: L.tensor(v, dtype=L.uint8)  # noqa: E731
    i = lambda *v: L.tensor(v)  # noqa: E731
    f = lambda *v: L.tensor(v[0] if len(v) == 1 else v, dtype=L.float64)  # noqa: E731
    return [
        ((i(0, 2),), 1.0, False),
        ((i(0, 2),), 1, True),
        ((i(0, 2),), [1.0, 2.0], False),
        ((i(0, 2),), None, False),
        ((None, i(1, 3)), f(9.0), False),
        ((i(1), None), f(9.0), True),
        (([0, 2],), f(9.0), False),
        ((), f(9.0), False),
        ((L.tensor([1, 2], dtype=L.int8),), f(9.0), False),
        ((L.tensor([1, 2], dtype=L.int32),), f(9.0), False),
        ((u(1, 0, 1),), f(9.0), False),
        ((u(1, 0, 1),), f(9.0), True),
        ((u(2, 0, 1),), f(1.0, 2.0, 3.0, 4.0), False),
        ((u(1, 0, 1),), L.tensor([[1.0, 2, 3, 4], [5, 6, 7, 8]], dtype=L.float64), False),
        ((u(1, 0, 1),), f([9.0]), False),
        ((u(1, 0),), f(9.0), False),
        ((u(1, 0, 1), i(0, 3)), f(9.0), False),
        ((i(0, 2), u(1, 0, 0, 1)), f(7.0, 8.0), True),
        ((L.tensor([[1, 0, 1, 0]] * 3, dtype=L.uint8),), f(*range(6)), False),
        ((u(1, 0, 1),), L.tensor([1, 2, 3, 4]), False),
        ((L.tensor([True, False, True]),), f(9.0), True),
        ((L.tensor([True, False]),), f(9.0), True),
        ((L.tensor([[True, False, True, False]] * 3),), f(*range(6)), True),
    ]


@pytest.mark.torch
@pytest.mark.parametrize("k", range(len(_cases(tt))))
@pytest.mark.parametrize("how", HOWS)
def test_matches_torch(k, how):
    torch = pytest.importorskip("torch")
    got = {}
    for L in (torch, tt):
        got[L.__name__] = _outcome(L, *_cases(L)[k], how)
    assert got["tinytensor"] == got["torch"]
