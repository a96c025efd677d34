"""Reading and writing along a dim (tinytensor/ops/gather.py) against NumPy oracles and
hand-derived values, fast and deterministic: every branch of gather/scatter/scatter_add/
index_select/index_add/take/take_along_dim/index_put/as_strided, their gradients and the
errors (class, the op's name, the bad value and the valid range). Written so that a one-line
bug in gather.py fails here without PyTorch."""

import numpy as np
import pytest

import tinytensor as tt
from tinytensor.testing import gradcheck

RNG = np.random.default_rng(8)
X = RNG.standard_normal((3, 4))


def _leaf(a):
    return tt.tensor(np.array(a, dtype=np.float64), requires_grad=True)


def _grads(fn, *arrays, weight_seed=1):
    """The gradients of sum(fn(*leaves) * w) for a fixed random w (so each position counts
    with its own weight), as NumPy arrays; None for an input that got none."""
    leaves = [_leaf(a) for a in arrays]
    out = fn(*leaves)
    w = np.random.default_rng(weight_seed).standard_normal(out.shape)
    (out * tt.tensor(w)).sum().backward()
    return [None if t.grad is None else t.grad.numpy() for t in leaves], w


# --- gather --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_gather_matches_take_along_axis_with_a_smaller_index(dim):
    d = dim % 2
    ishape = (2, 3) if d == 1 else (5, 2)  # larger than X along dim, smaller off it
    idx = RNG.integers(0, X.shape[d], ishape)
    out = tt.gather(tt.tensor(X), dim, tt.tensor(idx))
    sl = tuple(slice(None) if i == d else slice(0, n) for i, n in enumerate(ishape))
    np.testing.assert_array_equal(out.numpy(), np.take_along_axis(X[sl], idx, axis=d))


def test_gather_gradient_adds_repeated_positions():
    idx = np.array([[0, 0, 3], [2, 2, 2]])
    (g,), w = _grads(lambda a: tt.gather(a, 1, tt.tensor(idx)), X[:2])
    want = np.zeros((2, 4))
    np.add.at(want, (np.array([[0], [1]]), idx), w)
    np.testing.assert_allclose(g, want)


def test_gather_of_0d_and_1d_inputs_with_a_0d_index():
    assert tt.gather(tt.tensor(5.0), 0, tt.tensor(0)).item() == 5.0
    out = tt.gather(tt.tensor([1.0, 2.0, 3.0]), 0, tt.tensor(2))
    assert out.shape == () and out.item() == 3.0
    with pytest.raises(RuntimeError, match=r"gather: index 1 is out of bounds .* size 1"):
        tt.gather(tt.tensor(5.0), 0, tt.tensor(1))
    # a 0-d input with a 1-d index (PyTorch reads it as a 1-element vector), and the gradients
    x = _leaf(5.0)
    out = tt.gather(x, 0, tt.tensor([0, 0]))
    assert out.tolist() == [5.0, 5.0]
    out.sum().backward()
    assert x.grad.item() == 2.0
    x = _leaf([1.0, 2.0, 3.0])
    tt.gather(x, 0, tt.tensor(2)).backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]


def test_scatters_between_0d_and_1d():
    assert tt.scatter_add(tt.zeros(3), 0, tt.tensor(1), tt.tensor(2.0)).tolist() == [0, 2, 0]
    assert tt.scatter(tt.zeros(3), 0, tt.tensor(1), 4.0).tolist() == [0, 4, 0]
    assert tt.scatter(tt.zeros(3), 0, tt.tensor(1), tt.tensor(2.0)).tolist() == [0, 2, 0]
    assert tt.scatter_add(tt.tensor(0.0), 0, tt.tensor([0, 0]), tt.tensor([2.0, 3.0])).item() == 5
    assert tt.scatter(tt.tensor(0.0), 0, tt.tensor(0), 4.0).item() == 4.0
    out = tt.scatter(tt.tensor(2.0), 0, tt.tensor([0, 0]), 4.0, reduce="multiply")
    assert out.shape == () and out.item() == 32.0


def test_gather_records_its_dim_and_index_for_exporters():
    idx = tt.tensor([[1, 0]])
    node = tt.gather(_leaf(X), -1, idx).grad_fn
    assert node.attrs["dim"] == 1 and node.attrs["index"] is idx
    node = tt.index_select(_leaf(X), -2, tt.tensor([2, 0])).grad_fn
    assert node.attrs["dim"] == 0 and node.attrs["index"].tolist() == [2, 0]


def test_gather_errors_name_the_op_and_the_fix():
    x = tt.tensor(X)
    with pytest.raises(RuntimeError, match=r"gather\(sparse_grad=True\).*sparse_grad=False"):
        tt.gather(x, 1, tt.tensor([[0]]), sparse_grad=True)
    with pytest.raises(RuntimeError, match=r"gather: index must be an int64 tensor, got .*float"):
        tt.gather(x, 1, tt.tensor([[0.0]]))
    with pytest.raises(
        RuntimeError,
        match=r"gather: index \(2,\) and input \(3, 4\) must have the same number of dim",
    ):
        tt.gather(x, 1, tt.tensor([0, 1]))
    with pytest.raises(
        RuntimeError, match=r"gather: index \(4, 1\) is larger than input \(3, 4\) in dimension 0"
    ):
        tt.gather(x, 1, tt.zeros(4, 1, dtype=tt.int64))
    # as large as the input off dim is fine; larger along dim is fine
    assert tt.gather(x, 1, tt.zeros(3, 6, dtype=tt.int64)).shape == (3, 6)


@pytest.mark.parametrize(
    ("index", "bad"),
    [([[4]], 4), ([[-1]], -1), ([[3, -2, 9]], -2), ([[0, 1, 2, 3, 5]], 5)],
)
def test_gather_out_of_range_names_the_first_bad_value_and_the_valid_range(index, bad):
    with pytest.raises(
        RuntimeError,
        match=rf"gather: index {bad} is out of bounds for dimension 1 with size 4 \(valid: 0..3\)",
    ):
        tt.gather(tt.tensor(X), 1, tt.tensor(index))
    # the last valid value is accepted
    assert tt.gather(tt.tensor(X), 1, tt.tensor([[3]])).item() == X[0, 3]


def test_gather_from_an_empty_dim_says_there_is_no_valid_index():
    with pytest.raises(RuntimeError, match=r"valid: none: the dimension is empty"):
        tt.gather(tt.zeros(2, 0), 1, tt.tensor([[0]]))
    assert tt.gather(tt.zeros(2, 0), 1, tt.zeros(2, 0, dtype=tt.int64)).shape == (2, 0)


# --- scatter_add -------------------------------------------------------------------------------


def _np_scatter(x, dim, index, src, op):
    out = x.copy()
    for pos in np.ndindex(index.shape):
        t = list(pos)
        t[dim] = index[pos]
        out[tuple(t)] = op(out[tuple(t)], src[pos] if np.ndim(src) else src)
    return out


def test_scatter_add_accumulates_and_its_gradients_are_g_and_g_gathered():
    idx = np.array([[1, 1], [0, 3], [3, 3]])
    src = RNG.standard_normal((3, 2))
    out = tt.scatter_add(tt.tensor(X), 1, tt.tensor(idx), tt.tensor(src))
    np.testing.assert_allclose(out.numpy(), _np_scatter(X, 1, idx, src, np.add))
    (gx, gs), w = _grads(lambda a, s: tt.scatter_add(a, 1, tt.tensor(idx), s), X, src)
    np.testing.assert_array_equal(gx, w)
    np.testing.assert_array_equal(gs, np.take_along_axis(w, idx, 1))


def test_scatter_add_input_gradient_without_a_source_gradient():
    a = _leaf(X)
    out = tt.scatter_add(a, 0, tt.tensor([[2, 0, 0, 1]]), tt.ones(1, 4, dtype=tt.float64))
    (out * 3.0).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((3, 4), 3.0))


def test_scatter_add_takes_the_leading_block_of_a_larger_source():
    src = np.arange(12, dtype=np.float64).reshape(3, 4)
    out = tt.scatter_add(tt.zeros(2, 4, dtype=tt.float64), 0, tt.tensor([[1, 0]]), tt.tensor(src))
    assert out.dtype == tt.float64
    np.testing.assert_array_equal(out.numpy(), [[0, 1, 0, 0], [0, 0, 0, 0]])
    # larger in one dim only
    x = tt.zeros(2, 3, dtype=tt.float64)
    out = tt.scatter(x, 1, tt.tensor([[2, 0], [1, 1]]), tt.tensor(src[:2, :3]))
    np.testing.assert_array_equal(out.numpy(), [[1.0, 0.0, 0.0], [0.0, 5.0, 0.0]])
    gs = _leaf(src)
    tt.scatter_add(tt.zeros(2, 4, dtype=tt.float64), 0, tt.tensor([[1, 0]]), gs).sum().backward()
    np.testing.assert_array_equal(gs.grad.numpy(), [[1, 1, 0, 0], [0] * 4, [0] * 4])


def test_scatter_add_rejects_a_source_smaller_than_the_index():
    with pytest.raises(RuntimeError, match=r"scatter_add: src \(1, 1\) must be at least as large"):
        tt.scatter_add(tt.tensor(X), 1, tt.tensor([[0, 1]]), tt.ones(1, 1, dtype=tt.float64))
    with pytest.raises(RuntimeError, match=r"scatter_add: src \(2,\) must be at least as large"):
        tt.scatter_add(tt.tensor(X), 1, tt.tensor([[0, 1]]), tt.ones(2, dtype=tt.float64))


def test_scatter_add_of_a_number_adds_it_at_each_index():
    out = tt.scatter_add(tt.zeros(2, 3), 1, tt.tensor([[2, 2], [0, 1]]), 1.5)
    np.testing.assert_array_equal(out.numpy(), [[0, 0, 3.0], [1.5, 1.5, 0]])


# --- scatter -------------------------------------------------------------------------------------


def test_scatter_writes_and_its_gradients_zero_the_written_places():
    idx = np.array([[3, 0], [1, 2]])
    src = RNG.standard_normal((2, 2))
    out = tt.scatter(tt.tensor(X), 1, tt.tensor(idx), tt.tensor(src))
    np.testing.assert_array_equal(out.numpy(), _np_scatter(X, 1, idx, src, lambda o, s: s))
    (gx, gs), w = _grads(lambda a, s: tt.scatter(a, 1, tt.tensor(idx), s), X, src)
    want = w.copy()
    want[[[0], [1]], idx] = 0
    np.testing.assert_array_equal(gx, want)
    np.testing.assert_array_equal(gs, np.take_along_axis(w[:2], idx, 1))


def test_scatter_gradient_to_one_input_alone():
    idx = tt.tensor([[1], [0]])
    s = _leaf([[2.0], [3.0]])
    tt.scatter(tt.zeros(2, 2, dtype=tt.float64), 1, idx, s).sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), [[1.0], [1.0]])
    a = _leaf(np.ones((2, 2)))
    tt.scatter(a, 1, idx, tt.ones(2, 1, dtype=tt.float64)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1.0, 0.0], [0.0, 1.0]])


def test_scatter_a_number_casts_to_the_input_dtype():
    out = tt.scatter(tt.zeros(2, 3, dtype=tt.int64), 1, tt.tensor([[2], [0]]), 7.9)
    assert out.dtype == tt.int64
    assert out.tolist() == [[0, 0, 7], [7, 0, 0]]


@pytest.mark.parametrize(("reduce", "op"), [("add", np.add), ("multiply", np.multiply)])
def test_scatter_reduce_combines_repeated_targets(reduce, op):
    base = RNG.uniform(1, 2, (3, 4))
    idx = np.array([[0, 0, 2], [3, 3, 3]])
    src = RNG.uniform(1, 2, (2, 3))
    out = tt.scatter(tt.tensor(base), 1, tt.tensor(idx), tt.tensor(src), reduce=reduce)
    np.testing.assert_allclose(out.numpy(), _np_scatter(base, 1, idx, src, op), rtol=1e-14)
    out = tt.scatter(tt.tensor(base), 0, tt.tensor([[1, 1]]), 2.0, reduce=reduce)
    np.testing.assert_allclose(out.numpy(), _np_scatter(base, 0, np.array([[1, 1]]), 2.0, op))


def test_scatter_reduce_overflows_silently_and_has_no_gradient():
    with np.errstate(all="raise"):
        out = tt.scatter(tt.tensor([np.inf, 1.0]), 0, tt.tensor([0]), tt.tensor([0.0]),
                         reduce="multiply")  # fmt: skip
    assert np.isnan(out.numpy()[0]) and out.numpy()[1] == 1.0
    a = _leaf([1.0, 2.0])
    out = tt.scatter(a, 0, tt.tensor([1]), tt.tensor([3.0], dtype=tt.float64), reduce="add")
    with pytest.raises(RuntimeError, match="derivative of scatter with reduce='add'"):
        out.sum().backward()


def test_scatter_unknown_reduce_names_the_choices():
    with pytest.raises(RuntimeError, match=r"scatter: reduce argument must be either add or mult"):
        tt.scatter(tt.zeros(2), 0, tt.tensor([0]), tt.ones(1), reduce="sum")


# --- index_select / index_add --------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select_and_its_gradient_with_repeats(dim):
    d = dim % 2
    idx = np.array([2, 0, 2]) if d == 0 else np.array([3, 3, 0, 1])
    out = tt.index_select(tt.tensor(X), dim, tt.tensor(idx))
    np.testing.assert_array_equal(out.numpy(), np.take(X, idx, axis=d))
    (g,), w = _grads(lambda a: tt.index_select(a, dim, tt.tensor(idx)), X)
    want = np.zeros_like(X)
    np.add.at(want, (slice(None),) * d + (idx,), w)
    np.testing.assert_allclose(g, want)


def test_index_select_errors_use_pytorch_classes():
    x = tt.tensor(X)
    with pytest.raises(IndexError, match="index_select: index 3 is out of bounds for dimension 0"):
        tt.index_select(x, 0, tt.tensor([3]))
    with pytest.raises(
        RuntimeError, match="index_select: index 4 is out of bounds for dimension 1"
    ):
        tt.index_select(x, 1, tt.tensor([4]))
    with pytest.raises(RuntimeError, match=r"index_select: index must be a 1-D .*float32"):
        tt.index_select(x, 1, tt.tensor([0.0]))
    with pytest.raises(IndexError, match=r"index_select: index must be a 1-D .*shape \(1, 1\)"):
        tt.index_select(x, 1, tt.tensor([[0]]))


def test_index_select_and_index_add_of_a_0d_input():
    a = _leaf(5.0)
    out = tt.index_select(a, 0, tt.tensor([0]))
    assert out.shape == () and out.item() == 5.0
    (out * 3.0).backward()
    assert a.grad.item() == 3.0
    assert tt.index_select(tt.tensor(5.0), 0, tt.tensor(0)).shape == ()
    with pytest.raises(RuntimeError, match="index_select: .*0-d.*exactly 1 value, got 2"):
        tt.index_select(tt.tensor(5.0), 0, tt.tensor([0, 0]))
    s = _leaf(1.0)
    out = tt.index_add(tt.tensor(5.0, dtype=tt.float64), 0, tt.tensor([0]), s, alpha=2)
    assert out.shape == () and out.item() == 7.0
    out.backward()
    assert s.grad.item() == 2.0
    with pytest.raises(IndexError, match="index_add: .*0-d.*exactly 1 value, got 2"):
        tt.index_add(tt.tensor(5.0), 0, tt.tensor([0, 0]), tt.tensor(1.0))
    with pytest.raises(RuntimeError, match=r"index_add: source must have shape \(\) "):
        tt.index_add(tt.tensor(5.0), 0, tt.tensor([0]), tt.tensor([1.0]))


@pytest.mark.parametrize("alpha", [1, 2, 2.5, -1])
def test_index_add_scales_by_alpha_and_its_gradients(alpha):
    idx = np.array([3, 0, 3])
    src = RNG.standard_normal((3, 3))
    out = tt.index_add(tt.tensor(X), 1, tt.tensor(idx), tt.tensor(src), alpha=alpha)
    want = X.copy()
    np.add.at(want, (slice(None), idx), alpha * src)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-14)
    (gx, gs), w = _grads(lambda a, s: tt.index_add(a, 1, tt.tensor(idx), s, alpha=alpha), X, src)
    np.testing.assert_array_equal(gx, w)
    np.testing.assert_allclose(gs, alpha * w[:, idx], rtol=1e-14)


def test_index_add_input_gradient_without_a_source_gradient_and_an_integer_alpha_on_ints():
    a = _leaf(X)
    tt.index_add(a, 0, tt.tensor([1]), tt.ones(1, 4, dtype=tt.float64), alpha=3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones((3, 4)))
    out = tt.index_add(
        tt.zeros(3, dtype=tt.int64), 0, tt.tensor([2, 2]), tt.tensor([1, 2]), alpha=3
    )
    assert out.dtype == tt.int64 and out.tolist() == [0, 0, 9]


def test_index_add_errors_name_the_expected_shape_and_the_bad_index():
    with pytest.raises(
        RuntimeError, match=r"index_add: source must have shape \(3, 2\) for input \(3, 4\), dim 1"
    ):
        tt.index_add(tt.tensor(X), 1, tt.tensor([0, 1]), tt.ones(3, 4, dtype=tt.float64))
    with pytest.raises(RuntimeError, match="index_add: index 3 is out of bounds for dimension 0"):
        tt.index_add(tt.tensor(X), 0, tt.tensor([3]), tt.ones(1, 4, dtype=tt.float64))


# --- take ----------------------------------------------------------------------------------------


def test_take_reads_the_flattened_tensor_with_negative_indices_and_keeps_the_index_shape():
    idx = np.array([[0, -1], [11, -12], [5, 5]])
    out = tt.take(tt.tensor(X), tt.tensor(idx))
    assert out.shape == (3, 2)
    np.testing.assert_array_equal(out.numpy(), X.reshape(-1)[idx])
    (g,), w = _grads(lambda a: tt.take(a, tt.tensor(idx)), X)
    want = np.zeros(12)
    np.add.at(want, idx.reshape(-1) % 12, w.reshape(-1))
    np.testing.assert_allclose(g, want.reshape(3, 4))


@pytest.mark.parametrize(("index", "bad"), [([12], 12), ([-13], -13), ([0, -13, 12], -13)])
def test_take_out_of_range_names_the_bad_value_and_the_valid_range(index, bad):
    with pytest.raises(
        IndexError,
        match=rf"take: index {bad} is out of range for a tensor of 12 elements \(valid: -12..11\)",
    ):
        tt.take(tt.tensor(X), tt.tensor(index))


def test_take_from_an_empty_tensor_and_with_a_float_index():
    with pytest.raises(IndexError, match="take: cannot take from an empty tensor"):
        tt.take(tt.zeros(0), tt.tensor([0]))
    assert tt.take(tt.zeros(0), tt.zeros(0, dtype=tt.int64)).shape == (0,)
    with pytest.raises(RuntimeError, match="take: index must be an int64 tensor"):
        tt.take(tt.tensor(X), tt.tensor([0.0]))


# --- take_along_dim -------------------------------------------------------------------------


def test_take_along_dim_without_dim_reads_the_flattened_tensor():
    out = tt.take_along_dim(tt.tensor(X), tt.tensor([[11, 0], [4, 4]]))
    np.testing.assert_array_equal(out.numpy(), X.reshape(-1)[[11, 0, 4, 4]])


@pytest.mark.parametrize(
    ("ashape", "ishape", "dim", "out_shape"),
    [
        ((2, 3), (2, 5), 1, (2, 5)),  # only dim differs
        ((1, 3), (4, 2), 1, (4, 2)),  # input broadcast off dim, index longer than input
        ((2, 1), (2, 4), 1, (2, 4)),  # the input's dim of size 1
        ((2, 3), (1, 1), -1, (2, 1)),  # the index broadcast off dim
        ((3, 2), (4, 1), 0, (4, 2)),  # along dim 0
    ],
)
def test_take_along_dim_broadcasts_outside_dim(ashape, ishape, dim, out_shape):
    a = RNG.standard_normal(ashape)
    d = dim % 2
    idx = RNG.integers(0, ashape[d], ishape)
    out = tt.take_along_dim(tt.tensor(a), tt.tensor(idx), dim)
    shape = [max(x, y) for x, y in zip(ashape, ishape)]
    sa, si = list(shape), list(shape)
    sa[d], si[d] = ashape[d], ishape[d]
    want = np.take_along_axis(np.broadcast_to(a, sa), np.broadcast_to(idx, si), d)
    assert out.shape == out_shape
    np.testing.assert_array_equal(out.numpy(), want)
    (g,), w = _grads(lambda t: tt.take_along_dim(t, tt.tensor(idx), dim), a)
    want_g = np.zeros(sa)
    grid = list(np.indices(si, sparse=True))
    grid[d] = np.broadcast_to(idx, si)
    np.add.at(want_g, tuple(grid), w)
    want_g = want_g.sum(axis=tuple(i for i in range(2) if ashape[i] == 1 and sa[i] > 1),
                        keepdims=True)  # fmt: skip
    np.testing.assert_allclose(g, want_g)


def test_take_along_dim_gradient_ignores_later_changes_to_the_indices():
    idx = tt.tensor([[2, 0]])
    a = _leaf([[1.0, 2.0, 3.0]])
    out = tt.take_along_dim(a, idx, 1)
    idx.fill_(1)
    (out * tt.tensor([[10.0, 1.0]], dtype=tt.float64)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1.0, 0.0, 10.0]])


def test_take_along_dim_errors():
    x = tt.tensor(X)
    with pytest.raises(RuntimeError, match="take_along_dim: indices must be int64"):
        tt.take_along_dim(x, tt.tensor([[0.0]]), 1)
    with pytest.raises(RuntimeError, match=r"take_along_dim: input \(3, 4\) and indices \(2,\) "):
        tt.take_along_dim(x, tt.tensor([0, 1]), 1)
    with pytest.raises(RuntimeError, match=r"take_along_dim: .* do not broadcast outside dim"):
        tt.take_along_dim(x, tt.zeros(2, 1, dtype=tt.int64), 1)


# --- index_put -----------------------------------------------------------------------------


def test_index_put_accumulate_with_broadcast_negative_and_repeated_indices():
    x = RNG.standard_normal((3, 4, 2))
    rows = np.array([[-3], [2]])
    cols = np.array([0, -4, 3])
    vals = RNG.standard_normal((2, 3, 2))
    out = tt.index_put(tt.tensor(x), (tt.tensor(rows), tt.tensor(cols)), tt.tensor(vals), True)
    want = x.copy()
    np.add.at(want, (rows, cols), vals)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-14)
    (gx, gv), w = _grads(
        lambda a, v: tt.index_put(a, (tt.tensor(rows), tt.tensor(cols)), v, accumulate=True),
        x,
        vals,
    )
    np.testing.assert_array_equal(gx, w)
    np.testing.assert_array_equal(gv, w[rows, cols])


def test_index_put_accumulate_of_a_scalar_over_leading_indices_only():
    out = tt.index_put(tt.zeros(3, 2), (tt.tensor([0, 0, 2]),), tt.tensor(1.5), accumulate=True)
    np.testing.assert_array_equal(out.numpy(), [[3.0, 3.0], [0, 0], [1.5, 1.5]])


def test_index_put_without_accumulate_writes_and_a_list_of_values_is_refused():
    out = tt.index_put(tt.zeros(3, dtype=tt.int64), (tt.tensor([2, 0]),), tt.tensor([5, 4]))
    assert out.dtype == tt.int64 and out.tolist() == [4, 0, 5]
    with pytest.raises(TypeError, match="^index_put: values must be a Tensor, not list"):
        tt.index_put(tt.zeros(3, dtype=tt.int64), (tt.tensor([2, 0]),), [4.7, 5.2])


def test_index_put_accumulate_errors():
    x = tt.zeros(2, 3)
    with pytest.raises(
        IndexError, match=r"index_put: index out of range for dimension 1 with size 3"
    ):
        tt.index_put(x, (tt.tensor([0]), tt.tensor([3])), tt.tensor(1.0), accumulate=True)
    with pytest.raises(
        IndexError, match=r"index_put: index out of range for dimension 0 with size 2"
    ):
        tt.index_put(x, (tt.tensor([-3]),), tt.tensor(1.0), accumulate=True)
    with pytest.raises(IndexError, match=r"index_put: too many indices \(3\) for a 2-D tensor"):
        tt.index_put(x, (tt.tensor([0]),) * 3, tt.tensor(1.0), accumulate=True)
    with pytest.raises(IndexError, match=r"index_put: the shape of the mask \(3,\) at index 0"):
        tt.index_put(x, (tt.tensor([True, False, True]),), tt.tensor(1.0), accumulate=True)


# --- as_strided ----------------------------------------------------------------------------


def test_as_strided_reads_overlapping_windows_from_an_offset_and_adds_their_gradients():
    base = np.arange(10.0)
    out = tt.as_strided(tt.tensor(base), (3, 2), (2, 1), 3)
    np.testing.assert_array_equal(out.numpy(), [[3, 4], [5, 6], [7, 8]])
    (g,), w = _grads(lambda a: tt.as_strided(a, (3, 3), (2, 1), 1), base)
    want = np.zeros(10)
    np.add.at(want, (1 + 2 * np.arange(3)[:, None] + np.arange(3)).reshape(-1), w.reshape(-1))
    np.testing.assert_allclose(g, want)
    # reads up to the last element exactly; a copy: writing to it leaves the input alone
    x = tt.tensor(base)
    last = tt.as_strided(x, (2,), (4,), 5)
    assert last.tolist() == [5.0, 9.0]
    last.fill_(0.0)
    assert x.tolist() == base.tolist()
    assert tt.as_strided(x, (0, 3), (1, 1), 9).shape == (0, 3)


def test_as_strided_errors():
    x = tt.tensor(np.arange(10.0))
    with pytest.raises(
        RuntimeError, match="as_strided: mismatch in length of strides 1 and shape 2"
    ):
        tt.as_strided(x, (2, 2), (1,))
    with pytest.raises(RuntimeError, match="as_strided: negative strides or storage offset"):
        tt.as_strided(x, (2,), (-1,), 5)
    with pytest.raises(RuntimeError, match="as_strided: negative strides or storage offset"):
        tt.as_strided(x, (2,), (1,), -1)
    with pytest.raises(RuntimeError, match=r"as_strided: .*offset 6 reach past the 10 elements"):
        tt.as_strided(x, (2,), (4,), 6)


def test_gradients_agree_with_finite_differences():
    idx = tt.tensor([[0, 2], [1, 1]])
    assert gradcheck(lambda a: tt.gather(a, 1, idx), (_leaf(X[:2]),))
    assert gradcheck(lambda a: tt.as_strided(a, (2, 2), (1, 2), 1), (_leaf(np.arange(6.0)),))
    assert gradcheck(
        lambda a, s: tt.index_add(a, 0, tt.tensor([1, 1]), s, alpha=-2),
        (_leaf(X), _leaf(X[:2])),
    )


def test_float32_gradients_stay_float32():
    x = tt.tensor(X.astype(np.float32), requires_grad=True)
    idx = tt.tensor([[1, 0], [2, 2], [0, 3]])
    out = (
        tt.gather(x, 1, idx).sum()
        + tt.index_select(x, 1, tt.tensor([3, 3])).sum()
        + tt.take(x, tt.tensor([0, 5])).sum()
        + tt.take_along_dim(x, idx, 1).sum()
        + tt.as_strided(x, (2,), (3,)).sum()
    )
    out.backward()
    assert x.grad.dtype == tt.float32


def test_compiled_calls_read_each_calls_source_and_index():
    def f(x, s, i):
        return (
            tt.scatter_add(x, 1, i, s)
            + tt.scatter(x, 1, i, s)
            + tt.scatter(x, 1, i, s, reduce="multiply")
            + tt.gather(x, 1, i).sum()
            + tt.index_add(x, 1, i[0], s)
            + tt.take(x, i).sum()
            + tt.index_select(x, 1, i[0]).sum()
            + tt.take_along_dim(x, i, 1).sum()
        )

    compiled = tt.compile(f)
    for k in range(4):
        x = tt.tensor(np.arange(3.0).reshape(1, 3) + k)
        s = tt.tensor([[1.0 + k, 2.0 * k]], dtype=tt.float64)
        i = tt.tensor([[k % 3, (k + 1) % 3]])
        np.testing.assert_array_equal(compiled(x, s, i).numpy(), f(x, s, i).numpy())


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda bad: tt.gather(bad, 0, tt.tensor([0])), "gather"),
        (lambda bad: tt.gather(tt.ones(2), 0, bad), "gather"),
        (lambda bad: tt.scatter(bad, 0, tt.tensor([0]), 1.0), "scatter"),
        (lambda bad: tt.scatter_add(bad, 0, tt.tensor([0]), tt.ones(1)), "scatter_add"),
        (lambda bad: tt.index_select(bad, 0, tt.tensor([0])), "index_select"),
        (lambda bad: tt.index_select(tt.ones(2), 0, bad), "index_select"),
        (lambda bad: tt.index_add(bad, 0, tt.tensor([0]), tt.ones(1)), "index_add"),
        (lambda bad: tt.index_add(tt.ones(2), 0, tt.tensor([0]), bad), "index_add"),
        (lambda bad: tt.take(bad, tt.tensor([0])), "take"),
        (lambda bad: tt.take(tt.ones(2), bad), "take"),
        (lambda bad: tt.take_along_dim(bad, tt.tensor([0])), "take_along_dim"),
        (lambda bad: tt.take_along_dim(tt.ones(2), bad), "take_along_dim"),
        (lambda bad: tt.index_put(bad, (tt.tensor([0]),), tt.ones(())), "index_put"),
        (lambda bad: tt.index_put(tt.ones(2), (tt.tensor([0]),), bad), "index_put"),
        (lambda bad: tt.index_put(tt.ones(2), (bad,), tt.ones(()), True), "index_put"),
        (lambda bad: tt.as_strided(bad, (1,), (1,)), "as_strided"),
    ],
)
def test_a_non_tensor_argument_is_named_in_the_ops_error(call, name):
    with pytest.raises(TypeError, match=rf"^{name}\b.*object"):
        call(object())


def test_error_messages_say_the_fix():
    with pytest.raises(
        RuntimeError,
        match=r"^gather\(sparse_grad=True\): tinytensor's gradients are dense tensors; call gather "
        r"with sparse_grad=False \(the default\) for the same values and a dense gradient$",
    ):
        tt.gather(tt.ones(2), 0, tt.tensor([0]), sparse_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"^scatter: reduce argument must be either add or multiply, got 'sum' \(for sum, "
        r"prod, mean, amax or amin use scatter_reduce\)$",
    ):
        tt.scatter(tt.zeros(2), 0, tt.tensor([0]), 1.0, reduce="sum")
    out = tt.scatter(_leaf([1.0, 2.0]), 0, tt.tensor([1]), 3.0, reduce="multiply")
    with pytest.raises(
        RuntimeError,
        match=r"^the derivative of scatter with reduce='multiply' is not implemented \(as in "
        r"PyTorch\); use scatter_reduce\(input, dim, index, src, reduce='sum' or 'prod'\), "
        r"which has one$",
    ):
        out.sum().backward()
    with pytest.raises(RuntimeError, match=r"gather: index \(1, 1\) and input \(3,\) must have"):
        tt.gather(tt.ones(3), 0, tt.tensor([[0]]))


def test_float64_gradients_stay_float64():
    x = _leaf(X)
    (
        tt.gather(x, 1, tt.tensor([[0]])).sum() + tt.index_select(x, 0, tt.tensor([1])).sum()
    ).backward()
    assert x.grad.dtype == tt.float64


def test_the_index_is_saved_only_for_the_sources_gradient():
    # without a source gradient the index is not saved: changing it afterwards is fine
    idx = tt.tensor([[1, 0]])
    a = _leaf(np.zeros((1, 3)))
    out = tt.scatter_add(a, 1, idx, tt.ones(1, 2, dtype=tt.float64))
    idx.fill_(2)
    out.sum().backward()
    assert a.grad.tolist() == [[1.0, 1.0, 1.0]]
    vidx = tt.tensor([1, 0])
    a = _leaf(np.zeros((1, 3)))
    out = tt.index_add(a, 1, vidx, tt.ones(1, 2, dtype=tt.float64))
    vidx.fill_(2)
    out.sum().backward()
    assert a.grad.tolist() == [[1.0, 1.0, 1.0]]
    # with one, it is, and a change before backward is an error (as in PyTorch)
    for op in (tt.scatter_add, tt.index_add):
        i = tt.tensor([[1, 0]]) if op is tt.scatter_add else tt.tensor([1, 0])
        s = _leaf(np.ones((1, 2)))
        out = op(tt.zeros(1, 3, dtype=tt.float64), 1, i, s)
        i.fill_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_a_number_scattered_into_integers_is_cast():
    idx = tt.tensor([0, 0])
    assert tt.scatter(tt.zeros(3, dtype=tt.int64), 0, idx, 2.5, reduce="add").tolist() == [4, 0, 0]
    assert tt.scatter_add(tt.zeros(3, dtype=tt.int64), 0, idx, 2.5).tolist() == [4, 0, 0]


def test_integer_index_add_truncates_alpha_first():
    out = tt.index_add(
        tt.zeros(3, dtype=tt.int64), 0, tt.tensor([0, 2]), tt.tensor([3, -3]), alpha=2.7
    )
    assert out.dtype == tt.int64 and out.tolist() == [6, 0, -6]
    out = tt.index_add(tt.zeros(2), 0, tt.tensor([1]), tt.tensor([3.0]), alpha=2.5)
    assert out.tolist() == [0.0, 7.5]


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda x: tt.gather(x, 2, tt.tensor([[0]])), "gather"),
        (lambda x: tt.scatter(x, 2, tt.tensor([[0]]), 1.0), "scatter"),
        (lambda x: tt.scatter_add(x, -3, tt.tensor([[0]]), tt.ones(1, 1)), "scatter_add"),
        (lambda x: tt.index_select(x, 2, tt.tensor([0])), "index_select"),
        (lambda x: tt.index_add(x, 2, tt.tensor([0]), tt.ones(1, 1)), "index_add"),
        (lambda x: tt.take_along_dim(x, tt.tensor([[0]]), 2), "take_along_dim"),
    ],
)
def test_a_bad_dim_is_named_with_the_op(call, name):
    with pytest.raises(IndexError, match=rf"^{name}: dim .* out of range"):
        call(tt.ones(2, 3))


@pytest.mark.parametrize(("index", "bad"), [([0, 12], 12), ([-12, 12], 12), ([11, -13], -13)])
def test_take_reports_the_bad_value_not_a_valid_one(index, bad):
    with pytest.raises(IndexError, match=rf"^take: index {bad} is out of range"):
        tt.take(tt.tensor(X), tt.tensor(index))
    with pytest.raises(IndexError, match=r"^take: cannot take from an empty tensor$"):
        tt.take(tt.zeros(2, 0), tt.tensor([0]))


def test_index_put_defaults_to_writing_and_keeps_the_values_dtype_for_gradients():
    out = tt.index_put(tt.ones(3), (tt.tensor([0]),), tt.tensor(5.0))
    assert out.tolist() == [5.0, 1.0, 1.0]
    v = tt.tensor([1.0, 2.0], dtype=tt.float64, requires_grad=True)
    t = tt.zeros(3, dtype=tt.float64)
    out = tt.index_put(t, (tt.tensor([0, 0]),), v, accumulate=True)
    assert out.dtype == tt.float64 and out.tolist() == [3.0, 0.0, 0.0]
    out.sum().backward()
    assert v.grad.dtype == tt.float64 and v.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="index_put: expected self and values to have the same"):
        tt.index_put(t, (tt.tensor([0, 0]),), v.float(), accumulate=True)


def test_as_strided_defaults_and_zero_strides():
    x = tt.tensor(np.arange(10.0))
    assert tt.as_strided(x, (2,), (1,)).tolist() == [0.0, 1.0]  # storage_offset defaults to 0
    assert tt.as_strided(x, (3,), (0,), 4).tolist() == [4.0, 4.0, 4.0]
    with pytest.raises(
        RuntimeError, match=r"^as_strided: negative strides or storage offset are not supported$"
    ):
        tt.as_strided(x, (2,), (-1,))


def test_0d_input_index_range_and_a_2d_index_for_index_add():
    with pytest.raises(IndexError, match=r"index_select: index 1 is out of bounds .* size 1"):
        tt.index_select(tt.tensor(5.0), 0, tt.tensor([1]))
    with pytest.raises(IndexError, match=r"index_add: index must be a 1-D .*shape \(1, 1\)"):
        tt.index_add(tt.zeros(2, 2), 0, tt.tensor([[0]]), tt.ones(1, 2))
