"""Indexing (tinytensor/ops/index.py): the table-driven properties of every row in
ops/optable/index.py, second-order gradients, the selections without a gradient (nonzero,
argwhere, where(condition), nonzero_static) against NumPy and PyTorch, then semantics the table
cannot express."""

import numpy as np
import pytest

import tinytensor as tt
from ops.harness import no_gradient_tests, second_order_test, table_tests
from ops.optable import INDEX as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES)


def _i64(*arrays):
    return tuple(np.asarray(a).astype(np.int64) for a in arrays)


NO_GRADIENT = {
    "nonzero": (lambda m, x: m.nonzero(m.tensor(x)), lambda x: _i64(np.argwhere(x))),
    "nonzero_as_tuple": (
        lambda m, x: m.nonzero(m.tensor(x), as_tuple=True),
        lambda x: _i64(*np.nonzero(x)),
    ),
    "argwhere": (lambda m, x: m.argwhere(m.tensor(x)), lambda x: _i64(np.argwhere(x))),
    "where_condition": (lambda m, x: m.where(m.tensor(x) > 0), lambda x: _i64(*np.nonzero(x > 0))),
}

test_no_gradient_ops_match_numpy, test_no_gradient_ops_match_torch = no_gradient_tests(NO_GRADIENT)

_NZ = np.array([[0, 1, 0], [2, 0, 3]])


@pytest.mark.parametrize(("size", "fill"), [(0, -1), (2, -1), (3, -1), (5, 7)])
def test_nonzero_static_numpy(size, fill):
    out = tt.nonzero_static(tt.tensor(_NZ), size=size, fill_value=fill)
    want = np.full((size, 2), fill)
    found = np.argwhere(_NZ)[:size]
    want[: len(found)] = found
    assert out.dtype == tt.int64
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(tt.tensor(_NZ).nonzero_static(size=size, fill_value=fill), out)


@pytest.mark.torch
@pytest.mark.parametrize(("size", "fill"), [(0, -1), (2, -1), (5, 7)])
def test_nonzero_static_torch(size, fill):
    torch = pytest.importorskip("torch")
    out = tt.nonzero_static(tt.tensor(_NZ), size=size, fill_value=fill)
    ref = torch.nonzero_static(torch.tensor(_NZ), size=size, fill_value=fill)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


# --- semantics ----------------------------------------------------------------------------------


def test_repeated_indices_accumulate_gradient():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    y = tt.zeros(2, 3, requires_grad=True)
    y[tt.tensor([1, 1]), tt.tensor([2, 2])].sum().backward()
    assert y.grad.tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]


def test_boolean_mask_selects_and_scatters_back():
    x = tt.tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    out = x[x > 0]
    assert out.tolist() == [1.0, 4.0]
    (out * tt.tensor([10.0, 20.0])).sum().backward()
    assert x.grad.tolist() == [[10.0, 0.0], [0.0, 20.0]]


def test_none_and_ellipsis():
    x = tt.arange(24.0).reshape(2, 3, 4)
    assert x[None].shape == (1, 2, 3, 4)
    assert x[..., None].shape == (2, 3, 4, 1)
    assert x[..., 1].shape == (2, 3)
    assert x[1, ..., None, 2].tolist() == [[14.0], [18.0], [22.0]]
    assert x[tt.tensor(1)].shape == (3, 4)


def test_setitem_is_differentiable_in_value_and_base():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = tt.tensor(5.0, requires_grad=True)
    y = x * 2
    y[1] = v
    assert y.tolist() == [2.0, 5.0, 6.0]
    assert y.grad_fn is not None
    (y * tt.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 200.0]  # the overwritten element gets nothing
    assert v.grad.item() == 10.0


def test_setitem_of_a_grad_value_into_a_plain_tensor_makes_it_part_of_the_graph():
    w = tt.tensor([1.0, 2.0], requires_grad=True)
    buf = tt.zeros(2, 2)
    buf[0] = w
    buf[1] = w * 3
    assert buf.requires_grad and not buf.is_leaf
    buf.sum().backward()
    assert w.grad.tolist() == [4.0, 4.0]


def test_setitem_on_a_leaf_that_requires_grad_raises_unless_no_grad():
    x = tt.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x[0] = 1.0
    assert x.tolist() == [0.0, 0.0, 0.0]
    with tt.no_grad():
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0] and x.is_leaf and x.requires_grad


def test_setitem_converts_the_value_dtype_and_bumps_the_version():
    x = tt.zeros(3, dtype=tt.int64)
    x[1:] = tt.tensor([2.7, 3.2])
    assert x.tolist() == [0, 2, 3] and x.dtype is tt.int64
    assert x._version == 1


def test_failed_setitem_leaves_the_tensor_unchanged():
    x = tt.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"setitem: value of shape \(4,\)"):
        x[0] = tt.ones(4)
    with pytest.raises(IndexError, match=r"index 5 is invalid for a tensor of shape \(2, 3\)"):
        x[5] = 0.0
    assert x.tolist() == [[1.0] * 3] * 2 and x._version == 0


def test_scatter_add_accumulates_repeated_targets():
    x = tt.zeros(3, requires_grad=True)
    src = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = x.scatter_add(0, tt.tensor([0, 0, 2]), src)
    assert out.tolist() == [3.0, 0.0, 3.0]
    (out * tt.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert src.grad.tolist() == [1.0, 1.0, 100.0]
    assert x.grad.tolist() == [1.0, 10.0, 100.0]


def test_scatter_with_a_larger_src_uses_its_leading_block():
    x = tt.zeros(2, 3)
    src = tt.arange(1.0, 13.0).reshape(3, 4)
    out = x.scatter(1, tt.tensor([[2], [0]]), src)
    assert out.tolist() == [[0.0, 0.0, 1.0], [5.0, 0.0, 0.0]]


def test_masked_fill_with_a_tensor_value_gets_the_sum_of_masked_gradients():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = tt.tensor(0.5, requires_grad=True)
    out = x.masked_fill(tt.tensor([True, False, True]), v)
    assert out.tolist() == [0.5, 2.0, 0.5]
    (out * tt.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.item() == 4.0
    assert x.grad.tolist() == [0.0, 2.0, 0.0]


def test_index_errors_are_clear():
    x = tt.ones(2, 3)
    with pytest.raises(IndexError, match="valid indices, got float"):
        x[1.5]
    with pytest.raises(IndexError, match="tensors used as indices must be long"):
        x[tt.tensor([0.0])]
    with pytest.raises(RuntimeError, match=r"gather: index 5 is out of bounds .* \(valid: 0..2\)"):
        x.gather(1, tt.tensor([[5]]))
    with pytest.raises(RuntimeError, match="gather: index must be an int64"):
        x.gather(1, tt.tensor([[0.0]]))
    with pytest.raises(IndexError, match="index_select: index 2 is out of bounds"):
        x.index_select(0, tt.tensor([2]))
    with pytest.raises(RuntimeError, match="masked_fill: mask must be a bool"):
        x.masked_fill(tt.ones(2, 3), 1.0)
    with pytest.raises(RuntimeError, match="masked_fill: mask of shape"):
        x.masked_fill(tt.ones(4, dtype=tt.bool), 1.0)


def test_getitem_of_basic_index_is_a_view_but_advanced_index_is_a_copy():
    x = tt.zeros(4)
    basic, advanced = x[1:3], x[[1, 2]]
    x.add_(1.0)
    assert basic.tolist() == [1.0, 1.0]
    assert advanced.tolist() == [0.0, 0.0]
    assert np.shares_memory(basic.numpy(), x.numpy())


# --- In-place change after the forward pass (issue #10) ----------------------------------------
# Each row builds an op in library ``lib`` (tinytensor or torch) and returns (output, the tensor
# backward reads that the test then changes in place). PyTorch raises "modified by an inplace
# operation" for all of them; so must tinytensor, NumPy-only and compared with torch.


def _set(y, index, value):
    y[index] = value
    return y


def _with(victim, make):
    return make(victim), victim


def _pair(lib, *shape):
    x = lib.tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
    return x * 1.0


INPLACE_CASES = {
    "getitem-int-tensor": lambda L: _with(L.tensor([0, 2, 2]), lambda i: _pair(L, 3)[i]),
    "getitem-mask": lambda L: _with(L.tensor([True, False, True]), lambda m: _pair(L, 3)[m]),
    "getitem-int-then-tensor": lambda L: _with(L.tensor([1, 2]), lambda j: _pair(L, 2, 3)[0, j]),
    "setitem-index": lambda L: _with(L.tensor([0, 2]), lambda i: _set(_pair(L, 3), i, 0.0)),
    "setitem-mask": lambda L: _with(
        L.tensor([True, False, True]), lambda m: _set(_pair(L, 3), m, 0.0)
    ),
    "masked_fill-mask": lambda L: _with(
        L.tensor([True, False, True]), lambda m: _pair(L, 3).masked_fill(m, 0.0)
    ),
    "gather-index": lambda L: _with(
        L.tensor([[0, 2], [1, 1]]), lambda i: L.gather(_pair(L, 2, 3), 1, i)
    ),
    "gather-input": lambda L: _with(
        _pair(L, 2, 3), lambda x: L.gather(x, 1, L.tensor([[0, 2], [1, 1]]))
    ),
    "index_select-index": lambda L: _with(
        L.tensor([2, 0]), lambda i: L.index_select(_pair(L, 2, 3), 1, i)
    ),
    "index_add-index": lambda L: _with(
        L.tensor([2, 0]), lambda i: L.index_add(_pair(L, 2, 3), 1, i, _pair(L, 2, 2))
    ),
    "take-index": lambda L: _with(L.tensor([0, 5, -1]), lambda i: L.take(_pair(L, 2, 3), i)),
    "take-input": lambda L: _with(_pair(L, 2, 3), lambda x: L.take(x, L.tensor([0, 5]))),
    "scatter-index": lambda L: _with(
        L.tensor([[0, 2], [1, 0]]), lambda i: L.scatter(_pair(L, 2, 3), 1, i, _pair(L, 2, 2))
    ),
    "scatter_add-index": lambda L: _with(
        L.tensor([[0, 2], [1, 0]]), lambda i: L.scatter_add(_pair(L, 2, 3), 1, i, _pair(L, 2, 2))
    ),
}


def _change_in_place(lib, t):
    with lib.no_grad():
        t.copy_(t.clone())


@pytest.mark.parametrize("case", INPLACE_CASES)
def test_changing_a_saved_index_or_mask_in_place_makes_backward_raise(case):
    out, victim = INPLACE_CASES[case](tt)
    _change_in_place(tt, victim)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.torch
@pytest.mark.parametrize("case", INPLACE_CASES)
def test_changing_a_saved_index_or_mask_in_place_raises_as_in_torch(case):
    torch = pytest.importorskip("torch")
    out, victim = INPLACE_CASES[case](torch)
    _change_in_place(torch, victim)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


NOT_SAVED_CASES = {
    # PyTorch saves neither of these, so changing them after the forward pass is fine.
    "getitem-input": lambda L: _with(_pair(L, 3), lambda x: x[L.tensor([0, 2])]),
    "index_select-input": lambda L: _with(
        _pair(L, 2, 3), lambda x: L.index_select(x, 1, L.tensor([2, 0]))
    ),
    "scatter-src": lambda L: _with(
        _pair(L, 2, 2), lambda s: L.scatter(_pair(L, 2, 3), 1, L.tensor([[0, 2], [1, 0]]), s)
    ),
    "masked_fill-input": lambda L: _with(
        _pair(L, 3), lambda x: x.masked_fill(L.tensor([True, False, True]), 0.0)
    ),
}


@pytest.mark.parametrize("case", NOT_SAVED_CASES)
def test_changing_an_unsaved_input_in_place_does_not_raise(case):
    out, victim = NOT_SAVED_CASES[case](tt)
    _change_in_place(tt, victim)
    out.sum().backward()


def test_a_list_or_array_index_is_copied_so_changing_it_later_is_harmless():
    x = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    index = np.array([0, 1])
    out = x[index]
    index[0] = 2
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 0.0]


# --- Out-of-range indices raise (issue #10) ----------------------------------------------------
# PyTorch's classes: gather/scatter/scatter_add/index_add RuntimeError; index_select IndexError
# along dim 0 and RuntimeError along the others; take IndexError (negative indices count back).

OUT_OF_RANGE = {
    "gather-too-large": (
        lambda L, x: L.gather(x, 1, L.tensor([[3]])),
        RuntimeError,
        "gather: index 3",
    ),
    "gather-negative": (
        lambda L, x: L.gather(x, 1, L.tensor([[-1]])),
        RuntimeError,
        "gather: index -1",
    ),
    "scatter-too-large": (
        lambda L, x: L.scatter(x, 0, L.tensor([[2]]), L.ones(1, 1)),
        RuntimeError,
        "scatter: index 2",
    ),
    "scatter-negative": (
        lambda L, x: L.scatter(x, 1, L.tensor([[-1]]), L.ones(1, 1)),
        RuntimeError,
        "scatter: index -1",
    ),
    "scatter_add-negative": (
        lambda L, x: L.scatter_add(x, 1, L.tensor([[-1]]), L.ones(1, 1)),
        RuntimeError,
        "scatter_add: index -1",
    ),
    "index_select-dim0": (
        lambda L, x: L.index_select(x, 0, L.tensor([2])),
        IndexError,
        "index_select: index 2",
    ),
    "index_select-negative": (
        lambda L, x: L.index_select(x, 0, L.tensor([-1])),
        IndexError,
        "index_select: index -1",
    ),
    "index_select-dim1": (
        lambda L, x: L.index_select(x, 1, L.tensor([3])),
        RuntimeError,
        "index_select: index 3",
    ),
    "index_add-negative": (
        lambda L, x: L.index_add(x, 1, L.tensor([-1]), L.ones(2, 1)),
        RuntimeError,
        "index_add: index -1",
    ),
    "take-too-large": (lambda L, x: L.take(x, L.tensor([6])), IndexError, "take: index 6"),
    "take-too-negative": (lambda L, x: L.take(x, L.tensor([-7])), IndexError, "take: index -7"),
}


@pytest.mark.parametrize("case", OUT_OF_RANGE)
def test_out_of_range_index_raises_naming_the_op_value_and_range(case):
    call, error, match = OUT_OF_RANGE[case]
    with pytest.raises(error, match=match) as info:
        call(tt, tt.zeros(2, 3))
    assert "valid: " in str(info.value)


@pytest.mark.torch
@pytest.mark.parametrize("case", OUT_OF_RANGE)
def test_out_of_range_index_raises_the_error_class_torch_raises(case):
    torch = pytest.importorskip("torch")
    call, error, _ = OUT_OF_RANGE[case]
    with pytest.raises(error):
        call(torch, torch.zeros(2, 3))


def test_take_counts_negative_indices_back_from_the_end():
    x = tt.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    out = tt.take(x, tt.tensor([-1, 0, -1]))
    assert out.tolist() == [6.0, 1.0, 6.0]
    out.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]
