"""ops/scatter.py branch by branch, NumPy only: scatter_reduce's identities for every dtype
kind, integer means, include_self=False, the gradients of prod with zeros and of tied amax/amin;
index_fill/index_copy/put/index_reduce and the select/slice/diagonal/as_strided ``_scatter``
embeddings on hand-derived values and gradients, and every argument check with the words its
message must carry (mutmut survivors of issue #25)."""

import numpy as np
import pytest

import tinytensor as tt


def _f(*values):
    return tt.tensor(np.array(values, dtype=np.float64))


def _i(*values):
    return tt.tensor(np.array(values, dtype=np.int64))


def _np(t):
    return t.detach().numpy()


# --- index_fill, index_copy --------------------------------------------------------------------


def test_index_fill_values_and_gradients():
    a = tt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = tt.tensor(np.array(9.0), requires_grad=True)
    out = tt.index_fill(a, 1, _i(2, 0, 2), v)
    np.testing.assert_array_equal(_np(out), [[9.0, 1.0, 9.0], [9.0, 4.0, 9.0]])
    g = np.arange(1.0, 7.0).reshape(2, 3)
    out.backward(tt.tensor(g))
    np.testing.assert_array_equal(_np(a.grad), [[0.0, 2.0, 0.0], [0.0, 5.0, 0.0]])
    assert float(v.grad) == 1 + 3 + 4 + 6  # each filled element once
    out = tt.index_fill(tt.tensor(np.arange(6.0).reshape(2, 3)), -2, _i(1), -1.0)
    np.testing.assert_array_equal(_np(out), [[0.0, 1.0, 2.0], [-1.0, -1.0, -1.0]])


def test_index_fill_0d():
    a = tt.tensor(np.array(2.0), requires_grad=True)
    v = tt.tensor(np.array(5.0), requires_grad=True)
    out = tt.index_fill(a, 0, _i(0), v)
    assert out.shape == () and float(out) == 5.0
    (out * 3.0).backward()
    assert float(a.grad) == 0.0 and float(v.grad) == 3.0
    a = tt.tensor(np.array(2.0), requires_grad=True)
    v = tt.tensor(np.array(5.0), requires_grad=True)
    out = tt.index_fill(a, 0, tt.tensor(np.zeros(0, np.int64)), v)
    assert float(out) == 2.0  # nothing named: unchanged
    (out * 3.0).backward()
    assert float(a.grad) == 3.0 and float(v.grad) == 0.0


def test_index_fill_value_gradient_along_dim_0():
    a = tt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = tt.tensor(np.array(9.0), requires_grad=True)
    out = tt.index_fill(a, 0, _i(1), v)
    np.testing.assert_array_equal(_np(out), [[0.0, 1.0, 2.0], [9.0, 9.0, 9.0]])
    out.backward(tt.tensor(np.arange(1.0, 7.0).reshape(2, 3)))
    assert float(v.grad) == 4 + 5 + 6
    np.testing.assert_array_equal(_np(a.grad), [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    a = tt.tensor(np.zeros((2, 2, 2)), requires_grad=True)
    v = tt.tensor(np.array(1.0), requires_grad=True)
    tt.index_fill(a, 1, _i(0), v).backward(tt.tensor(np.arange(8.0).reshape(2, 2, 2)))
    assert float(v.grad) == 0 + 1 + 4 + 5


def test_index_fill_errors():
    with pytest.raises(
        RuntimeError, match="^index_fill only supports a 0-dimensional value tensor, got 1 dims"
    ):
        tt.index_fill(tt.zeros(2, 3), 1, _i(0), tt.ones(1))


def test_index_copy_values_and_gradients():
    a = tt.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    s = tt.tensor(np.array([[10.0, 11.0], [12.0, 13.0]]), requires_grad=True)
    out = tt.index_copy(a, 0, _i(2, 0), s)
    np.testing.assert_array_equal(_np(out), [[12.0, 13.0], [2.0, 3.0], [10.0, 11.0]])
    out.backward(tt.tensor(np.arange(1.0, 7.0).reshape(3, 2)))
    np.testing.assert_array_equal(_np(a.grad), [[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_array_equal(_np(s.grad), [[5.0, 6.0], [1.0, 2.0]])
    out = tt.index_copy(tt.tensor(np.zeros((2, 3))), 1, _i(1), tt.tensor(np.ones((2, 1))))
    np.testing.assert_array_equal(_np(out), [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])


def test_index_copy_0d_and_errors():
    a0 = tt.tensor(np.array(2.0), requires_grad=True)
    s0 = tt.tensor(np.array(5.0), requires_grad=True)
    out = tt.index_copy(a0, 0, _i(0), s0)
    assert out.shape == () and float(out) == 5.0
    (out * 3.0).backward()
    assert float(a0.grad) == 0.0 and float(s0.grad) == 3.0 and s0.grad.shape == ()
    for idx in (_i(), _i(0, 0)):  # PyTorch: a 0-d input takes exactly one index
        with pytest.raises(IndexError, match="^index_copy: the input is 0-d, so the index must"):
            tt.index_copy(tt.tensor(np.array(2.0)), 0, idx, tt.tensor(np.array(5.0)))
    a = tt.zeros(3, 2, dtype=tt.float64)
    with pytest.raises(
        RuntimeError,
        match=r"^index_copy: source must have shape \(2, 2\) "
        r"for input \(3, 2\), dim 0 and 2 indices; got \(2, 3\)",
    ):
        tt.index_copy(a, 0, _i(0, 1), tt.zeros(2, 3, dtype=tt.float64))
    with pytest.raises(
        RuntimeError,
        match=r"^index_copy: expected self and source to have the same dtype, got .*float64 "
        r"\(self\) and .*float32 \(source\)",
    ):
        tt.index_copy(a, 0, _i(0, 1), tt.zeros(2, 2, dtype=tt.float32))
    with pytest.raises(IndexError, match="^index_copy: dim 2"):
        tt.index_copy(a, 2, _i(0), tt.zeros(3, 1, dtype=tt.float64))
    with pytest.raises(IndexError, match="^index_copy: "):
        tt.index_copy(a, 0, _i(3), tt.zeros(1, 2, dtype=tt.float64))
    with pytest.raises(RuntimeError, match="^index_copy: index must be a 1-D integer tensor"):
        tt.index_copy(a, 0, _f(0.0), tt.zeros(1, 2, dtype=tt.float64))
    with pytest.raises(IndexError, match="^index_fill: "):
        tt.index_fill(a, 1, _i(2), 0.0)
    with pytest.raises(IndexError, match="^index_fill: dim -3"):
        tt.index_fill(a, -3, _i(0), 0.0)
    with pytest.raises(RuntimeError, match=r"^index_copy: source must have shape \(3, 1\)"):
        tt.index_copy(a, 1, _i(0), tt.zeros(3, 2, dtype=tt.float64))


# --- put ---------------------------------------------------------------------------------------


def test_put_values_bounds_and_gradients():
    a = tt.tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
    s = tt.tensor(np.array([[10.0], [20.0]]), requires_grad=True)
    out = tt.put(a, _i(-4, 3), s)  # -4 is the first element, 3 the last
    np.testing.assert_array_equal(_np(out), [[10.0, 1.0], [2.0, 20.0]])
    g = np.array([[1.0, 2.0], [3.0, 4.0]])
    out.backward(tt.tensor(g))
    np.testing.assert_array_equal(_np(a.grad), [[0.0, 2.0], [3.0, 0.0]])
    assert s.grad.shape == (2, 1)
    np.testing.assert_array_equal(_np(s.grad), [[1.0], [4.0]])


def test_put_accumulate_values_and_gradients():
    a = tt.tensor(np.arange(4.0), requires_grad=True)
    s = tt.tensor(np.array([10.0, 20.0, 30.0]), requires_grad=True)
    out = tt.put(a, _i(1, 1, -1), s, accumulate=True)
    np.testing.assert_array_equal(_np(out), [0.0, 31.0, 2.0, 33.0])
    out.backward(tt.tensor(np.array([1.0, 2.0, 3.0, 4.0])))
    np.testing.assert_array_equal(_np(a.grad), [1.0, 2.0, 3.0, 4.0])  # nothing is overwritten
    np.testing.assert_array_equal(_np(s.grad), [2.0, 2.0, 4.0])
    out = tt.put(tt.tensor(np.zeros(3)), _i(0, 0), _f(1.0, 2.0))  # no accumulate: one wins
    assert float(out[0]) in (1.0, 2.0) and float(out.sum()) == float(out[0])


def test_put_errors():
    a = tt.zeros(2, 2, dtype=tt.float64)
    with pytest.raises(RuntimeError, match="^put: index must be an int64 tensor, got .*float"):
        tt.put(a, _f(0.0), _f(1.0))
    with pytest.raises(
        RuntimeError,
        match=r"^put: source \(2,\) and index \(1,\) must have the "
        "same number of elements",
    ):
        tt.put(a, _i(0), _f(1.0, 2.0))
    with pytest.raises(IndexError, match="^put: index 4 is out of range for a tensor of 4 elem"):
        tt.put(a, _i(0, 4), _f(1.0, 2.0))
    with pytest.raises(IndexError, match="^put: index -5 is out of range for a tensor of 4 elem"):
        tt.put(a, _i(-5, 3), _f(1.0, 2.0))
    with pytest.raises(IndexError, match="^put: index 4 is out of range"):  # -4 is fine
        tt.put(a, _i(-4, 4), _f(1.0, 2.0))
    with pytest.raises(
        RuntimeError,
        match=r"^put: source dtype .*float32 must equal the input's .*with \.to\(input\.dtype\)$",
    ):
        tt.put(a, _i(0), tt.ones(1, dtype=tt.float32))
    # an empty index is fine
    np.testing.assert_array_equal(_np(tt.put(a, _i(), _f())), np.zeros((2, 2)))


# --- the *_scatter embeddings ------------------------------------------------------------------


def test_select_scatter_values_bounds_and_gradients():
    a = tt.tensor(np.zeros((2, 3)), requires_grad=True)
    s = tt.tensor(np.array([7.0, 8.0]), requires_grad=True)
    out = tt.select_scatter(a, s, 1, -1)
    np.testing.assert_array_equal(_np(out), [[0.0, 0.0, 7.0], [0.0, 0.0, 8.0]])
    out.backward(tt.tensor(np.arange(1.0, 7.0).reshape(2, 3)))
    np.testing.assert_array_equal(_np(a.grad), [[1.0, 2.0, 0.0], [4.0, 5.0, 0.0]])
    np.testing.assert_array_equal(_np(s.grad), [3.0, 6.0])
    out = tt.select_scatter(tt.zeros(2, 3, dtype=tt.float64), _f(1.0, 2.0, 3.0), -2, -2)
    np.testing.assert_array_equal(_np(out), [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    # a src of another dtype is cast to the input's
    out = tt.select_scatter(tt.zeros(3, dtype=tt.float64), tt.tensor(1, dtype=tt.int64), 0, 2)
    assert out.dtype == tt.float64
    np.testing.assert_array_equal(_np(out), [0.0, 0.0, 1.0])


def test_scatter_embeddings_dim_errors_name_the_op():
    a = tt.zeros(2, 3)
    with pytest.raises(IndexError, match="^select_scatter: dim 2"):
        tt.select_scatter(a, tt.zeros(2), 2, 0)
    with pytest.raises(IndexError, match="^diagonal_scatter: dim 2"):
        tt.diagonal_scatter(a, tt.zeros(2), 0, 2, 1)
    with pytest.raises(IndexError, match="^diagonal_scatter: dim -3"):
        tt.diagonal_scatter(a, tt.zeros(2), 0, 0, -3)


def test_select_scatter_errors():
    with pytest.raises(IndexError, match="^select_scatter: cannot select from a 0-d tensor"):
        tt.select_scatter(tt.tensor(1.0), tt.tensor(1.0), 0, 0)
    a = tt.zeros(2, 3)
    for bad in (3, -4):
        with pytest.raises(
            IndexError,
            match=rf"^select_scatter: index {bad} is out of range for "
            r"dim 1 of size 3 \(input shape \(2, 3\)\)",
        ):
            tt.select_scatter(a, tt.zeros(2), 1, bad)
    with pytest.raises(
        RuntimeError,
        match=r"^select_scatter: src must have the shape of the slice "
        r"it fills, \(2,\), got \(3,\)",
    ):
        tt.select_scatter(a, tt.zeros(3), 1, 0)


def test_slice_scatter_defaults_and_steps():
    a = np.zeros((4, 2))
    out = tt.slice_scatter(tt.tensor(a), tt.tensor(np.ones((2, 2))), start=1, end=3)
    np.testing.assert_array_equal(_np(out), [[0, 0], [1, 1], [1, 1], [0, 0]])
    out = tt.slice_scatter(tt.tensor(a), tt.tensor(np.full((4, 2), 2.0)))  # whole, dim 0
    np.testing.assert_array_equal(_np(out), np.full((4, 2), 2.0))
    out = tt.slice_scatter(tt.tensor(a), tt.tensor(np.array([[5.0], [6.0], [7.0], [8.0]])), 1, 1)
    np.testing.assert_array_equal(_np(out)[:, 1], [5.0, 6.0, 7.0, 8.0])
    out = tt.slice_scatter(tt.tensor(np.zeros(5)), _f(1.0, 2.0), 0, 1, None, 3)
    np.testing.assert_array_equal(_np(out), [0.0, 1.0, 0.0, 0.0, 2.0])
    with pytest.raises(IndexError, match="^slice_scatter: dim 2"):
        tt.slice_scatter(tt.zeros(4, 2), tt.zeros(4, 2), 2)
    for step in (0, -1, None):
        with pytest.raises(
            RuntimeError, match=f"^slice_scatter: slice step must be positive, got {step}"
        ):
            tt.slice_scatter(tt.zeros(4), tt.zeros(2), 0, 0, 2, step)


def test_diagonal_scatter_offsets_and_dims():
    base = np.zeros((3, 3))
    out = tt.diagonal_scatter(tt.tensor(base), _f(1.0, 2.0, 3.0))
    np.testing.assert_array_equal(_np(out), np.diag([1.0, 2.0, 3.0]))
    out = tt.diagonal_scatter(tt.tensor(base), _f(1.0, 2.0), 1)
    np.testing.assert_array_equal(_np(out), [[0, 1, 0], [0, 0, 2], [0, 0, 0]])
    out = tt.diagonal_scatter(tt.tensor(base), _f(1.0, 2.0), 1, 1, 0)  # dims swapped: below
    np.testing.assert_array_equal(_np(out), [[0, 0, 0], [1, 0, 0], [0, 2, 0]])
    out = tt.diagonal_scatter(tt.tensor(base), _f(1.0, 2.0), -1)
    np.testing.assert_array_equal(_np(out), [[0, 0, 0], [1, 0, 0], [0, 2, 0]])
    # 3-D, dims (0, 2): the diagonal is the last axis of the view, shape (rows, diag)
    a3 = np.zeros((2, 3, 2))
    out = tt.diagonal_scatter(tt.tensor(a3), tt.tensor(np.arange(1.0, 7.0).reshape(3, 2)), 0, 0, -1)
    ref = a3.copy()
    for j in range(3):
        for k in range(2):
            ref[k, j, k] = 1 + 2 * j + k
    np.testing.assert_array_equal(_np(out), ref)


def test_diagonal_scatter_errors():
    with pytest.raises(
        RuntimeError,
        match=r"^diagonal_scatter: input must have at least 2 "
        r"dimensions, got \(3,\)",
    ):
        tt.diagonal_scatter(tt.zeros(3), tt.zeros(3))
    with pytest.raises(
        RuntimeError,
        match=r"^diagonal_scatter: dim1 and dim2 are the same "
        r"dimension \(1\)",
    ):
        tt.diagonal_scatter(tt.zeros(3, 3), tt.zeros(3), 0, 1, -1)


def test_as_strided_scatter_values_and_gradients():
    a = tt.tensor(np.zeros(6), requires_grad=True)
    s = tt.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    out = tt.as_strided_scatter(a, s, (2, 2), (3, 1), 1)
    np.testing.assert_array_equal(_np(out), [0.0, 1.0, 2.0, 0.0, 3.0, 4.0])
    out.backward(tt.tensor(np.arange(10.0, 16.0)))
    np.testing.assert_array_equal(_np(a.grad), [10.0, 0.0, 0.0, 13.0, 0.0, 0.0])
    np.testing.assert_array_equal(_np(s.grad), [[11.0, 12.0], [14.0, 15.0]])
    out = tt.as_strided_scatter(
        tt.tensor(np.zeros((2, 3))), tt.tensor(np.ones((2, 2))), (2, 2), (1, 2)
    )  # offset 0 by default: flat 0, 2, 1, 3
    np.testing.assert_array_equal(_np(out), [[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    out = tt.as_strided_scatter(tt.tensor(np.zeros(6)), _f(7.0), (1,), (0,), 5)  # the last one
    np.testing.assert_array_equal(_np(out), [0, 0, 0, 0, 0, 7.0])


def test_as_strided_scatter_errors():
    a = tt.zeros(6)
    with pytest.raises(
        RuntimeError,
        match=r"^as_strided_scatter: size \[2, 2\] and stride \[1\] "
        r"must have the same length, with no negative stride or offset \(0\)",
    ):
        tt.as_strided_scatter(a, tt.zeros(2, 2), (2, 2), (1,))
    with pytest.raises(RuntimeError, match=r"^as_strided_scatter: .*stride \[-1\]"):
        tt.as_strided_scatter(a, tt.zeros(2), (2,), (-1,), 1)
    with pytest.raises(RuntimeError, match=r"^as_strided_scatter: .*offset \(-1\)"):
        tt.as_strided_scatter(a, tt.zeros(2), (2,), (1,), -1)
    with pytest.raises(
        RuntimeError,
        match=r"^as_strided_scatter: sizes \[2\], strides \[1\] and "
        r"offset 5 reach past the 6 elements of input \(6,\)",
    ):
        tt.as_strided_scatter(a, tt.zeros(2), (2,), (1,), 5)


# --- index_reduce ------------------------------------------------------------------------------


def test_index_reduce_values_and_gradient():
    a = tt.tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), requires_grad=True)
    s = tt.tensor(np.array([[2.0, 3.0], [0.5, 4.0]]), requires_grad=True)
    out = tt.index_reduce(a, 1, _i(2, 0), s, "prod")
    np.testing.assert_array_equal(_np(out), [[3.0, 2.0, 6.0], [16.0, 5.0, 3.0]])
    out.backward(tt.tensor(np.ones((2, 3))))
    np.testing.assert_array_equal(_np(a.grad), [[3.0, 1.0, 2.0], [4.0, 1.0, 0.5]])
    np.testing.assert_array_equal(_np(s.grad), [[3.0, 1.0], [6.0, 4.0]])
    for reduce, want in (
        ("mean", [[2.0, 2.0, 2.5], [4.0, 5.0, 3.25]]),
        ("amax", [[3.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
        ("amin", [[1.0, 2.0, 2.0], [4.0, 5.0, 0.5]]),
    ):
        np.testing.assert_array_equal(_np(tt.index_reduce(a, 1, _i(2, 0), s, reduce)), want)
    out = tt.index_reduce(a, 1, _i(2, 0), s, "amax", include_self=False)
    np.testing.assert_array_equal(_np(out), [[3.0, 2.0, 2.0], [4.0, 5.0, 0.5]])
    out = tt.index_reduce(a, -1, _i(0, 0), s, "mean", include_self=False)
    np.testing.assert_array_equal(_np(out), [[2.5, 2.0, 3.0], [2.25, 5.0, 6.0]])


def test_index_reduce_0d_and_bounds():
    a0 = tt.tensor(np.array(2.0), requires_grad=True)
    s0 = tt.tensor(np.array(3.0), requires_grad=True)
    out = tt.index_reduce(a0, 0, _i(0), s0, "prod")
    assert out.shape == () and float(out) == 6.0
    (out * 5.0).backward()
    assert float(a0.grad) == 15.0 and float(s0.grad) == 10.0
    # PyTorch: a 0-d input takes a 0-d source (not a 1-element vector), and a vector not 0-d
    with pytest.raises(RuntimeError, match=r"^index_reduce: source \(1,\) must have the shape"):
        tt.index_reduce(tt.tensor(np.array(2.0)), 0, _i(0), _f(3.0), "prod")
    with pytest.raises(RuntimeError, match=r"^index_reduce: source \(\) must have the shape"):
        tt.index_reduce(tt.zeros(3, dtype=tt.float64), 0, _i(1), tt.tensor(np.array(3.0)), "amax")
    a = tt.zeros(3, dtype=tt.float64)
    np.testing.assert_array_equal(
        _np(tt.index_reduce(a, 0, _i(0, 2), _f(1.0, 2.0), "amax")), [1.0, 0.0, 2.0]
    )
    for bad in (3, -1, -3, -4):  # PyTorch counts no index from the end
        with pytest.raises(
            IndexError, match=rf"^index_reduce: index {bad} is out of range for dim 0 of size 3"
        ):
            tt.index_reduce(a, 0, _i(bad), _f(1.0), "prod")


def test_index_reduce_0d_without_self_and_float32_put_gradient():
    out = tt.index_reduce(
        tt.tensor(np.array(2.0)), 0, _i(0), tt.tensor(np.array(3.0)), "prod", include_self=False
    )
    assert out.shape == () and float(out) == 3.0
    a = tt.tensor(np.arange(4.0, dtype=np.float32), requires_grad=True)
    s = tt.tensor(np.array([7.0], np.float32), requires_grad=True)
    tt.put(a, _i(2), s).backward(tt.tensor(np.ones(4, np.float32)))
    assert a.grad.dtype == tt.float32 and s.grad.dtype == tt.float32
    np.testing.assert_array_equal(_np(a.grad), [1.0, 1.0, 0.0, 1.0])


def test_index_reduce_0d_index_bound_and_dim_error():
    with pytest.raises(
        IndexError, match="^index_reduce: index 1 is out of range for dim 0 of size 1"
    ):
        tt.index_reduce(tt.tensor(np.array(2.0)), 0, _i(1), tt.tensor(np.array(3.0)), "prod")
    with pytest.raises(IndexError, match="^index_reduce: dim 2"):
        tt.index_reduce(tt.zeros(2, 3), 2, _i(0), tt.zeros(2, 1), "prod")


def test_scatter_embeddings_cast_src_and_return_its_gradient_in_its_dtype():
    src = tt.tensor(np.array([1.5, 2.5], np.float32), requires_grad=True)
    a = tt.tensor(np.zeros((2, 2)), requires_grad=True)
    out = tt.select_scatter(a, src, 1, 0)
    assert out.dtype == tt.float64
    out.backward(tt.tensor(np.array([[1.0, 2.0], [3.0, 4.0]])))
    assert src.grad.dtype == tt.float32
    np.testing.assert_array_equal(_np(src.grad), [1.0, 3.0])
    np.testing.assert_array_equal(_np(a.grad), [[0.0, 2.0], [0.0, 4.0]])


def test_index_reduce_errors():
    a = tt.zeros(2, 3, dtype=tt.float64)
    with pytest.raises(
        RuntimeError,
        match="^index_reduce: expected reduce to be one of prod, mean, amax or amin, got 'sum'",
    ):
        tt.index_reduce(a, 0, _i(0), tt.zeros(1, 3, dtype=tt.float64), "sum")
    with pytest.raises(
        RuntimeError,
        match=r"^index_reduce: index must be a 1-D integer tensor, got "
        r".*int64 of shape \(1, 1\)",
    ):
        tt.index_reduce(a, 0, _i(0).reshape(1, 1), tt.zeros(1, 3, dtype=tt.float64), "prod")
    with pytest.raises(
        RuntimeError, match="^index_reduce: index must be a 1-D integer tensor, got .*float"
    ):
        tt.index_reduce(a, 0, _f(0.0), tt.zeros(1, 3, dtype=tt.float64), "prod")
    for shape in ((2, 3), (1, 2), (3,), (1, 3, 1)):
        with pytest.raises(
            RuntimeError,
            match=r"^index_reduce: source .* must have the shape of "
            r"input \(2, 3\) with dim 0 of size len\(index\) = 1",
        ):
            tt.index_reduce(a, 0, _i(0), tt.zeros(*shape, dtype=tt.float64), "prod")
    # an empty index leaves the input as it is
    out = tt.index_reduce(a + 1, 1, _i(), tt.zeros(2, 0, dtype=tt.float64), "prod")
    np.testing.assert_array_equal(_np(out), np.ones((2, 3)))


# --- a non-tensor argument is refused with the op's name ---------------------------------------

_BAD = object()
_V = tt.zeros(3, dtype=tt.float64)


@pytest.mark.parametrize(
    "name, call",
    [
        ("scatter_reduce", lambda: tt.scatter_reduce(_BAD, 0, _i(0), _V, "sum")),
        ("scatter_reduce", lambda: tt.scatter_reduce(_V, 0, _i(0), _BAD, "sum")),
        ("index_fill", lambda: tt.index_fill(_BAD, 0, _i(0), 1.0)),
        ("index_copy", lambda: tt.index_copy(_BAD, 0, _i(0), _V)),
        ("index_copy", lambda: tt.index_copy(_V, 0, _i(0), _BAD)),
        ("put", lambda: tt.put(_BAD, _i(0), _f(1.0))),
        ("put", lambda: tt.put(_V, _BAD, _f(1.0))),
        ("put", lambda: tt.put(_V, _i(0), _BAD)),
        ("select_scatter", lambda: tt.select_scatter(_BAD, _f(1.0), 0, 0)),
        ("select_scatter", lambda: tt.select_scatter(_V, _BAD, 0, 0)),
        ("slice_scatter", lambda: tt.slice_scatter(_BAD, _V)),
        ("slice_scatter", lambda: tt.slice_scatter(_V, _BAD)),
        ("diagonal_scatter", lambda: tt.diagonal_scatter(_BAD, _V)),
        ("diagonal_scatter", lambda: tt.diagonal_scatter(_V, _BAD)),
        ("as_strided_scatter", lambda: tt.as_strided_scatter(_BAD, _V, (3,), (1,))),
        ("as_strided_scatter", lambda: tt.as_strided_scatter(_V, _BAD, (3,), (1,))),
        ("index_reduce", lambda: tt.index_reduce(_BAD, 0, _i(0), _f(1.0), "prod")),
        ("index_reduce", lambda: tt.index_reduce(_V, 0, _BAD, _f(1.0), "prod")),
        ("index_reduce", lambda: tt.index_reduce(_V, 0, _i(0), _BAD, "prod")),
    ],
)
def test_a_non_tensor_argument_names_the_op(name, call):
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number, got object$"):
        call()
