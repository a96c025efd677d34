"""``t[index]`` and ``t[index] = v`` with a uint8 index tensor, read as PyTorch 2.13 reads it:
a bool mask (nonzero is True) with a deprecation warning (a 0-d one is a bool scalar index,
without the warning); written with a one-element value through it as the only index tensor,
PyTorch's masked_fill_, which refuses a uint8 mask (RuntimeError, nothing written). Index
tensors of other integer widths (int8, int16) are an IndexError. NumPy oracles
first, PyTorch behind the marker."""

import warnings

import numpy as np
import pytest

import tinytensor as tt

A = np.arange(24.0).reshape(3, 4, 2)
ROWS = np.array([2, 0, 1], dtype=np.uint8)  # nonzero, not just 1, is True
COLS = np.array([1, 0, 0, 7], dtype=np.uint8)


def _u8(a):
    return tt.tensor(np.asarray(a, dtype=np.uint8))


@pytest.mark.parametrize(
    ("index", "np_index"),
    [
        (lambda: _u8(ROWS), ROWS != 0),
        (lambda: (_u8(ROWS), slice(1, 3)), (ROWS != 0, slice(1, 3))),
        (lambda: (slice(None), _u8(COLS)), (slice(None), COLS != 0)),
        (lambda: (_u8(ROWS), tt.tensor([3, 0])), (np.nonzero(ROWS)[0], np.array([3, 0]))),
        (
            lambda: _u8(np.ones((3, 4)) * [[1, 0, 1, 0]]),
            np.ones((3, 4), bool) * [[1, 0, 1, 0]] != 0,
        ),
    ],
)
def test_a_uint8_index_reads_as_a_bool_mask_with_a_deprecation_warning(index, np_index):
    x = tt.tensor(A, requires_grad=True)
    with pytest.warns(UserWarning, match="indexing with dtype uint8 is now deprecated"):
        y = x[index()]
    np.testing.assert_array_equal(y.detach().numpy(), A[np_index])
    y.backward(tt.ones(*y.shape, dtype=tt.float64))
    want = np.zeros_like(A)
    np.add.at(want, np_index, 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_a_0d_uint8_index_is_a_bool_scalar_without_a_warning():
    x = tt.tensor(A)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one, none = x[_u8(3)], x[_u8(0)]
    assert one.shape == (1, 3, 4, 2) and none.shape == (0, 3, 4, 2)
    np.testing.assert_array_equal(one.numpy()[0], A)


@pytest.mark.parametrize("value", [5.0, 5, tt.tensor(5.0, dtype=tt.float64), tt.tensor([5.0])])
@pytest.mark.parametrize(
    "index", [lambda: _u8(ROWS), lambda: (_u8(ROWS), 0), lambda: (_u8(ROWS), slice(0, 2))]
)
def test_a_one_element_value_through_a_uint8_mask_is_refused(value, index):
    x = tt.tensor(A)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before the deprecation warning
        with pytest.raises(
            RuntimeError, match=r"^setitem: a one-element value written through a uint8"
        ):
            x[index()] = value
    np.testing.assert_array_equal(x.numpy(), A)
    assert x._version == 0


def test_a_larger_value_through_a_uint8_mask_is_written():
    x = tt.tensor(A)
    v = np.arange(16.0).reshape(2, 4, 2)
    with pytest.warns(UserWarning, match="uint8"):
        x[_u8(ROWS)] = tt.tensor(v)
    want = A.copy()
    want[ROWS != 0] = v
    np.testing.assert_array_equal(x.numpy(), want)
    with pytest.warns(UserWarning):  # beside another index tensor: not a masked_fill
        x[_u8(ROWS), tt.tensor([0, 1])] = 9.0
    want[np.nonzero(ROWS)[0], [0, 1]] = 9.0
    np.testing.assert_array_equal(x.numpy(), want)


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_other_integer_widths_are_an_index_error(dtype):
    x = tt.tensor(A)
    idx = tt.tensor([0, 2], dtype=getattr(tt, dtype))
    with pytest.raises(
        IndexError, match="^tensors used as indices must be long, int, byte or bool"
    ):
        x[idx]
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        x[idx] = 1.0
    np.testing.assert_array_equal(x.numpy(), A)


def test_int32_and_bool_indices_are_accepted():
    x = tt.tensor(A)
    np.testing.assert_array_equal(x[tt.tensor([2, 0], dtype=tt.int32)].numpy(), A[[2, 0]])
    np.testing.assert_array_equal(x[tt.tensor(ROWS != 0)].numpy(), A[ROWS != 0])


# --- against PyTorch ------------------------------------------------------------------------


def _cases(L):
    u = lambda *v: L.tensor(v, dtype=L.uint8)  # noqa: E731
    return [
        ("get", lambda: (u(2, 0, 1),), None),
        ("get", lambda: (u(1, 0, 1), slice(1, 3)), None),
        ("get", lambda: (slice(None), u(1, 0, 0, 7)), None),
        ("get", lambda: (u(1, 0, 1), L.tensor([3, 0])), None),
        ("get", lambda: (L.tensor(1, dtype=L.uint8),), None),
        ("get", lambda: (L.tensor(0, dtype=L.uint8),), None),
        ("get", lambda: (L.tensor([1], dtype=L.int8),), None),
        ("get", lambda: (L.tensor([1], dtype=L.int16),), None),
        ("get", lambda: (L.tensor([1], dtype=L.int32),), None),
        ("set", lambda: (u(1, 0, 1),), 5.0),
        ("set", lambda: (u(1, 0, 1), 0), 5.0),
        ("set", lambda: (u(1, 0, 1),), L.tensor([5.0], dtype=L.float64)),
        ("set", lambda: (u(1, 0, 1),), L.tensor(np.arange(16.0).reshape(2, 4, 2))),
        ("set", lambda: (u(1, 0, 1), L.tensor([0, 1])), 9.0),
        ("set", lambda: (L.tensor([1], dtype=L.int8),), 9.0),
    ]


def _outcome(L, kind, index, value):
    x = L.tensor(A)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            if kind == "get":
                out = x[index()]
            else:
                x[index()] = value
                out = x
            result = (tuple(out.shape), out.tolist())
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            result = (type(e).__name__, x.tolist())
    return result, any("uint8 is now deprecated" in str(m.message) for m in w)


@pytest.mark.torch
@pytest.mark.parametrize("k", range(len(_cases(tt))))
def test_matches_torch(k):
    torch = pytest.importorskip("torch")
    assert _outcome(tt, *_cases(tt)[k]) == _outcome(torch, *_cases(torch)[k])


def _mask_paths():
    """Each way a uint8 index reaches the deprecation warning, as calls on a fresh tensor."""
    m, m2 = _u8([1, 0, 1]), _u8(np.ones((3, 4)) * [[1, 0, 1, 0]])
    v = tt.ones(4, 2)
    return {
        "getitem": lambda t: t[m],
        "getitem_tuple": lambda t: t[m, 1:],
        "getitem_ellipsis": lambda t: t[..., _u8([1, 0])],
        "getitem_grad": lambda t: t.requires_grad_(True)[m2].sum().backward(),
        "setitem": lambda t: t.__setitem__(m, v),
        "setitem_tuple": lambda t: t.__setitem__((m, slice(None)), v),
        "index_put_": lambda t: t.index_put_((m,), v),
        "index_put_accumulate": lambda t: t.index_put_((m,), v, accumulate=True),
        "index_put": lambda t: t.index_put((m,), v),
        "tt.index_put": lambda t: tt.index_put(t, (m,), v),
    }


@pytest.mark.parametrize("path", sorted(_mask_paths()))
def test_the_deprecation_warning_points_at_the_callers_line(path):
    call = _mask_paths()[path]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        call(tt.tensor(A.astype(np.float32)))
    hits = [x for x in w if "uint8 is now deprecated" in str(x.message)]
    assert len(hits) == 1
    assert hits[0].filename == __file__, (path, hits[0].filename, hits[0].lineno)
