"""``ops/masked.py`` rule by rule, NumPy only (issue #25: mutmut survivors).

NumPy oracles for masked_fill, masked_select, masked_scatter (with broadcast masks, their
gradients and masked_scatter's second derivative), nonzero in both forms, argwhere, where's
one-argument form and nonzero_static; each bad input's exact error.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt

F64 = tt.float64
A = np.arange(1.0, 7.0).reshape(2, 3)
M = np.array([[True, False, True], [False, False, True]])


def _t(v, grad=False, dtype=F64):
    return tt.tensor(v, dtype=dtype, requires_grad=grad)


# --- masked_fill ---------------------------------------------------------------------------------


def test_masked_fill_values_and_gradients():
    a = _t(A, True)
    out = tt.masked_fill(a, tt.tensor(M), -1.5)
    np.testing.assert_array_equal(out.numpy(force=True), np.where(M, -1.5, A))
    assert out.dtype is F64
    g = np.arange(10.0, 16.0).reshape(2, 3)
    out.backward(_t(g))
    np.testing.assert_array_equal(a.grad.numpy(), np.where(M, 0.0, g))


def test_masked_fill_with_a_broadcast_mask_and_a_tensor_value():
    a = _t(A, True)
    v = _t(7.0, True)
    row = np.array([False, True, True])
    out = tt.masked_fill(a, tt.tensor(row), v)
    np.testing.assert_array_equal(out.numpy(force=True), np.where(row, 7.0, A))
    g = np.arange(10.0, 16.0).reshape(2, 3)
    out.backward(_t(g))
    np.testing.assert_array_equal(a.grad.numpy(), np.where(row, 0.0, g))
    assert v.grad.item() == 11.0 + 12.0 + 14.0 + 15.0
    assert v.grad.shape == ()


def test_masked_fill_value_gradient_only_and_value_cast_to_input_dtype():
    a = _t(A)
    v = _t(2.0, True)
    out = tt.masked_fill(a, tt.tensor(M), v)
    out.sum().backward()
    assert v.grad.item() == 3.0 and a.grad is None
    i = tt.masked_fill(tt.tensor([1, 2, 3]), tt.tensor([True, False, True]), 2.7)
    assert i.dtype is tt.int64 and i.tolist() == [2, 2, 2]


def test_masked_fill_keeps_the_mask_as_an_attribute():
    mask = tt.tensor(M)
    out = tt.masked_fill(_t(A, True), mask, 0.0)
    assert out.grad_fn.attrs["mask"] is mask
    assert len(out.grad_fn.next) == 2


def test_masked_fill_errors():
    with pytest.raises(RuntimeError) as e:
        tt.masked_fill(tt.ones(2), tt.tensor([1, 0]), 0.0)
    assert str(e.value) == "masked_fill: mask must be a bool tensor, got tinytensor.int64"
    with pytest.raises(RuntimeError) as e:
        tt.masked_fill(tt.ones(2), tt.ones(3, dtype=tt.bool), 0.0)
    assert str(e.value) == (
        "masked_fill: mask of shape (3,) does not broadcast with the tensor's shape (2,)"
    )
    # a larger mask broadcasts the out-of-place result (PyTorch); the in-place form refuses it
    assert tt.masked_fill(tt.ones(2), tt.ones(2, 2, dtype=tt.bool), 0.0).tolist() == [[0.0] * 2] * 2
    with pytest.raises(RuntimeError, match="cannot change the shape"):
        tt.ones(2).masked_fill_(tt.ones(2, 2, dtype=tt.bool), 0.0)
    with pytest.raises(RuntimeError) as e:
        tt.masked_fill(tt.ones(2), tt.ones(2, dtype=tt.bool), tt.ones(1))
    assert str(e.value) == "masked_fill only supports a 0-dimensional value tensor, got 1 dims"


# --- nonzero, argwhere, where ---------------------------------------------------------------------


def test_nonzero_and_argwhere():
    x = tt.tensor([[0.0, 2.0, 0.0], [3.0, 0.0, 4.0]])
    want = [[0, 1], [1, 0], [1, 2]]
    assert tt.nonzero(x).tolist() == want and tt.nonzero(x).dtype is tt.int64
    assert tt.argwhere(x).tolist() == want
    rows, cols = tt.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [1, 0, 2]
    assert rows.dtype is tt.int64
    assert tt.nonzero(tt.zeros(2, 3)).shape == (0, 2)
    assert tt.nonzero(tt.tensor(0.0)).shape == (0, 0)
    assert tt.nonzero(tt.tensor(3.0)).shape == (1, 0)
    (only,) = tt.nonzero(tt.tensor(3.0), as_tuple=True)
    assert only.tolist() == [0]
    (none,) = tt.nonzero(tt.tensor(0.0), as_tuple=True)
    assert none.tolist() == [] and none.dtype is tt.int64
    assert tt.nonzero(tt.tensor([True, False, True])).tolist() == [[0], [2]]


def test_where_forms():
    c = tt.tensor([[True, False], [False, True]])
    rows, cols = tt.where(c)
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
    out = tt.where(c, _t([[1.0, 2.0], [3.0, 4.0]]), _t([[5.0, 6.0], [7.0, 8.0]]))
    assert out.tolist() == [[1.0, 6.0], [7.0, 4.0]]
    msg = "^where: pass both input and other, or only the condition$"
    with pytest.raises(TypeError, match=msg):
        tt.where(c, _t([1.0]))
    with pytest.raises(TypeError, match=msg):
        tt.where(c, None, _t([1.0]))


# --- masked_select --------------------------------------------------------------------------------


def test_masked_select_values_and_gradient():
    a = _t(A, True)
    out = tt.masked_select(a, tt.tensor(M))
    assert out.tolist() == [1.0, 3.0, 6.0]
    out.backward(_t([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(a.grad.numpy(), [[10.0, 0.0, 20.0], [0.0, 0.0, 30.0]])


def test_masked_select_broadcasts_input_and_mask():
    a = _t([1.0, 2.0, 3.0], True)  # (3,) against a (2, 3) mask
    out = tt.masked_select(a, tt.tensor(M))
    assert out.tolist() == [1.0, 3.0, 3.0]
    out.backward(_t([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 0.0, 110.0])
    b = _t(A, True)
    out = tt.masked_select(b, tt.tensor([True, False, True]))  # (3,) mask against (2, 3)
    assert out.tolist() == [1.0, 3.0, 4.0, 6.0]


def test_masked_select_saves_input_and_mask():
    a = _t(A, True)
    y = a * 1.0
    mask = tt.tensor(M)
    out = tt.masked_select(y, mask)
    with tt.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
    a = _t(A, True)
    mask = tt.tensor(M)
    out = tt.masked_select(a, mask)
    mask.logical_not_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_masked_select_errors():
    with pytest.raises(RuntimeError) as e:
        tt.masked_select(tt.ones(2), tt.tensor([1, 0]))
    assert (
        str(e.value) == "masked_select: expected a bool tensor for mask, got dtype tinytensor.int64"
    )
    with pytest.raises(RuntimeError) as e:
        tt.masked_select(tt.ones(2), tt.ones(3, dtype=tt.bool))
    assert str(e.value) == (
        "masked_select: mask of shape (3,) does not broadcast with the input's shape (2,)"
    )


# --- masked_scatter -------------------------------------------------------------------------------


def test_masked_scatter_values_and_gradients():
    a = _t(A, True)
    src = _t([10.0, 20.0, 30.0, 40.0, 50.0], True)
    out = tt.masked_scatter(a, tt.tensor(M), src)
    np.testing.assert_array_equal(out.numpy(force=True), [[10.0, 2.0, 20.0], [4.0, 5.0, 30.0]])
    g = np.arange(1.0, 7.0).reshape(2, 3) * 100
    out.backward(_t(g))
    np.testing.assert_array_equal(a.grad.numpy(), np.where(M, 0.0, g))
    np.testing.assert_array_equal(src.grad.numpy(), [100.0, 300.0, 600.0, 0.0, 0.0])


def test_masked_scatter_keeps_the_source_shape_in_its_gradient():
    a = _t(np.zeros((2, 2)), True)
    src = _t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], True)
    mask = tt.tensor([[True, True], [False, True]])
    out = tt.masked_scatter(a, mask, src)
    assert out.tolist() == [[1.0, 2.0], [0.0, 3.0]]
    out.backward(_t([[7.0, 8.0], [9.0, 10.0]]))
    assert src.grad.tolist() == [[7.0, 8.0, 10.0], [0.0, 0.0, 0.0]]


def test_masked_scatter_with_a_broadcast_mask_and_input():
    a = _t([1.0, 2.0, 3.0], True)
    out = tt.masked_scatter(a, tt.tensor(M), _t([10.0, 20.0, 30.0]))
    assert out.tolist() == [[10.0, 2.0, 20.0], [1.0, 2.0, 30.0]]
    out.backward(_t(np.ones((2, 3))))
    assert a.grad.tolist() == [1.0, 2.0, 0.0]


def test_masked_scatter_second_derivative_is_linear_in_g():
    src = _t([1.0, 2.0, 3.0, 4.0], True)
    mask = tt.tensor(M)
    out = tt.masked_scatter(_t(np.zeros((2, 3))), mask, src)
    g = _t(np.arange(1.0, 7.0).reshape(2, 3), True)
    (gs,) = tt.autograd.grad(out, src, grad_outputs=g, create_graph=True)
    assert gs.tolist() == [1.0, 3.0, 6.0, 0.0]
    (gg,) = tt.autograd.grad(gs, g, grad_outputs=_t([5.0, 7.0, 9.0, 11.0]))
    np.testing.assert_array_equal(gg.numpy(), [[5.0, 0.0, 7.0], [0.0, 0.0, 9.0]])


def test_masked_scatter_errors():
    with pytest.raises(RuntimeError) as e:
        tt.masked_scatter(tt.ones(2), tt.ones(2, dtype=tt.bool), tt.ones(1))
    assert str(e.value) == (
        "masked_scatter: the mask selects 2 elements but source of shape (1,) has only 1"
    )
    tt.masked_scatter(tt.ones(2), tt.ones(2, dtype=tt.bool), tt.ones(2))  # exactly enough
    with pytest.raises(RuntimeError) as e:
        tt.masked_scatter(tt.ones(2), tt.ones(2, dtype=tt.bool), tt.ones(2, dtype=F64))
    assert str(e.value) == (
        "masked_scatter: expected source of dtype tinytensor.float32 (the input's), got "
        "tinytensor.float64; convert it first with source.to(input.dtype)"
    )
    with pytest.raises(RuntimeError, match="^masked_scatter: expected a bool tensor for mask"):
        tt.masked_scatter(tt.ones(2), tt.tensor([1, 0]), tt.ones(2))
    with pytest.raises(RuntimeError, match=r"^masked_scatter: mask of shape \(3,\) does not"):
        tt.masked_scatter(tt.ones(2), tt.ones(3, dtype=tt.bool), tt.ones(3))
    # the count is of the broadcast mask: a (3,) mask on a (2, 3) input selects twice
    with pytest.raises(RuntimeError, match="the mask selects 4 elements"):
        tt.masked_scatter(tt.ones(2, 3), tt.tensor([True, False, True]), tt.ones(3))


# --- nonzero_static -------------------------------------------------------------------------------


def test_nonzero_static_cuts_and_pads():
    x = tt.tensor([[0.0, 2.0], [3.0, 4.0]])
    assert tt.nonzero_static(x, size=2).tolist() == [[0, 1], [1, 0]]
    assert tt.nonzero_static(x, size=5).tolist() == [[0, 1], [1, 0], [1, 1], [-1, -1], [-1, -1]]
    assert tt.nonzero_static(x, size=4, fill_value=9).tolist() == [[0, 1], [1, 0], [1, 1], [9, 9]]
    out = tt.nonzero_static(x, size=0)
    assert out.shape == (0, 2) and out.dtype is tt.int64
    assert tt.nonzero_static(x, size=np.int64(1)).tolist() == [[0, 1]]


@pytest.mark.parametrize("size", [-1, True, 2.0, None])
def test_nonzero_static_size_must_be_a_non_negative_int(size):
    with pytest.raises(RuntimeError) as e:
        tt.nonzero_static(tt.ones(2), size=size)
    assert str(e.value) == f"nonzero_static: size must be a non-negative int, got {size!r}"


_T, _M = tt.ones(2), tt.tensor([True, False])


@pytest.mark.parametrize(
    "name, call",
    [
        ("masked_fill", lambda: tt.masked_fill("x", _M, 0.0)),
        ("masked_fill", lambda: tt.masked_fill(_T, "x", 0.0)),
        ("nonzero", lambda: tt.nonzero("x")),
        ("nonzero", lambda: tt.argwhere("x")),
        ("masked_select", lambda: tt.masked_select("x", _M)),
        ("masked_select", lambda: tt.masked_select(_T, "x")),
        ("masked_scatter", lambda: tt.masked_scatter("x", _M, _T)),
        ("masked_scatter", lambda: tt.masked_scatter(_T, "x", _T)),
        ("masked_scatter", lambda: tt.masked_scatter(_T, _M, "x")),
        ("nonzero_static", lambda: tt.nonzero_static("x", size=1)),
    ],
)
def test_a_bad_argument_names_the_op(name, call):
    with pytest.raises(TypeError, match=f"^{name}: "):
        call()


def test_nonzero_static_is_int64_whatever_the_fill_values_type():
    out = tt.nonzero_static(tt.tensor([0.0, 1.0]), size=3, fill_value=np.int32(7))
    assert out.dtype is tt.int64 and out.tolist() == [[1], [7], [7]]
