"""ops/sort.py branch by branch, NumPy only: stable sorts with ties and NaN in both directions,
topk/kthvalue bounds, lower medians with NaN rows, mode's tie rules, every quantile
interpolation with keepdim, unique/unique_consecutive along a dim, searchsorted's sides and
sorter, bucketize, isin, and the gradients that scatter back through the returned indices.
Expected values are hand-derived (each checked once against PyTorch 2.13) or NumPy oracles
(mutmut survivors of issue #25)."""

import numpy as np
import pytest

import tinytensor as tt

NAN = np.nan


def _f(*values):
    return tt.tensor(np.array(values, dtype=np.float64))


def _np(t):
    return t.detach().numpy()


# --- sort, argsort, msort ----------------------------------------------------------------------

_TIES = [2.0, 1.0, 2.0, NAN, 1.0, 3.0]


def test_sort_stable_ties_and_nan_ascending():
    v, i = tt.sort(_f(*_TIES))
    np.testing.assert_array_equal(_np(v), [1.0, 1.0, 2.0, 2.0, 3.0, NAN])
    np.testing.assert_array_equal(_np(i), [1, 4, 0, 2, 5, 3])
    assert i.dtype == tt.int64
    np.testing.assert_array_equal(_np(tt.argsort(_f(*_TIES))), [1, 4, 0, 2, 5, 3])


def test_sort_stable_ties_and_nan_descending():
    v, i = tt.sort(_f(*_TIES), descending=True)
    np.testing.assert_array_equal(_np(v), [NAN, 3.0, 2.0, 2.0, 1.0, 1.0])
    np.testing.assert_array_equal(_np(i), [3, 5, 0, 2, 1, 4])  # ties keep their order
    np.testing.assert_array_equal(_np(tt.argsort(_f(*_TIES), descending=True)), [3, 5, 0, 2, 1, 4])


def test_sort_along_dims_and_gradient():
    a = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    v, i = tt.sort(tt.tensor(a), 0)
    np.testing.assert_array_equal(_np(v), np.sort(a, 0))
    np.testing.assert_array_equal(_np(i), [[1, 0, 0], [0, 1, 1]])
    np.testing.assert_array_equal(_np(tt.argsort(tt.tensor(a), 0)), [[1, 0, 0], [0, 1, 1]])
    np.testing.assert_array_equal(_np(tt.argsort(tt.tensor(a))), [[1, 2, 0], [0, 2, 1]])
    np.testing.assert_array_equal(_np(tt.msort(tt.tensor(a))), np.sort(a, 0))
    x = tt.tensor(a, requires_grad=True)
    v, _ = tt.sort(x, -1, descending=True)
    v.backward(tt.tensor(np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])))
    # row 0 descending: 3 (col 0), 2 (col 2), 1 (col 1); row 1: 5, 4, 0
    np.testing.assert_array_equal(_np(x.grad), [[1.0, 3.0, 2.0], [30.0, 10.0, 20.0]])


def test_sort_0d():
    x = tt.tensor(np.array(4.0), requires_grad=True)
    v, i = tt.sort(x)
    assert v.shape == () and i.shape == () and float(v) == 4.0 and int(i) == 0
    (v * 3.0).backward()
    assert float(x.grad) == 3.0
    assert tt.argsort(x).shape == () and int(tt.argsort(x)) == 0


# --- topk, kthvalue ----------------------------------------------------------------------------


def test_topk_values_indices_and_bounds():
    x = _f(1.0, 3.0, 3.0, 2.0)
    v, i = tt.topk(x, 2)
    np.testing.assert_array_equal(_np(v), [3.0, 3.0])
    np.testing.assert_array_equal(_np(i), [1, 2])
    v, i = tt.topk(x, 2, largest=False)
    np.testing.assert_array_equal(_np(v), [1.0, 2.0])
    np.testing.assert_array_equal(_np(i), [0, 3])
    v, i = tt.topk(x, 4)
    np.testing.assert_array_equal(_np(i), [1, 2, 3, 0])
    assert tt.topk(x, 0).values.shape == (0,)
    a = np.array([[1.0, 9.0], [7.0, 3.0], [5.0, 4.0]])
    v, i = tt.topk(tt.tensor(a), 2, dim=0)
    np.testing.assert_array_equal(_np(v), [[7.0, 9.0], [5.0, 4.0]])
    np.testing.assert_array_equal(_np(i), [[1, 0], [2, 2]])
    for bad in (5, -1, True, 2.0):
        with pytest.raises(
            RuntimeError,
            match=r"^topk\(\): selected number k=.* out of range for "
            r"a dimension of size 4 \(expected 0 <= k <= 4\)",
        ):
            tt.topk(x, bad)


def test_topk_gradient_and_0d():
    x = tt.tensor(np.array([1.0, 3.0, 0.0, 2.0]), requires_grad=True)
    tt.topk(x, 2).values.backward(_f(10.0, 20.0))
    np.testing.assert_array_equal(_np(x.grad), [0.0, 10.0, 0.0, 20.0])
    x0 = tt.tensor(np.array(5.0))
    v, i = tt.topk(x0, 1)
    assert v.shape == () and float(v) == 5.0 and int(i) == 0
    with pytest.raises(RuntimeError, match=r"^topk\(\).*k=2.*size 1"):
        tt.topk(x0, 2)


def test_kthvalue_positions_keepdim_and_bounds():
    a = np.array([[4.0, 1.0, 3.0, 2.0], [0.0, -1.0, 8.0, 6.0]])
    for k in range(1, 5):
        v, i = tt.kthvalue(tt.tensor(a), k)
        np.testing.assert_array_equal(_np(v), np.sort(a, 1)[:, k - 1])
        np.testing.assert_array_equal(_np(i), np.argsort(a, 1)[:, k - 1])
    v, i = tt.kthvalue(tt.tensor(a), 2, 0, keepdim=True)
    assert v.shape == (1, 4) and i.shape == (1, 4)
    np.testing.assert_array_equal(_np(v), [[4.0, 1.0, 8.0, 6.0]])
    np.testing.assert_array_equal(_np(i), [[0, 0, 1, 1]])
    for bad in (0, 5):
        with pytest.raises(
            RuntimeError,
            match=r"^kthvalue\(\): selected number k=.* \(expected 1 "
            r"<= k <= 4\)",
        ):
            tt.kthvalue(tt.tensor(a), bad)
    with pytest.raises(
        IndexError,
        match=r"^kthvalue\(\): cannot pick from an empty dimension -1 of "
        r"a tensor of shape \(2, 0\)",
    ):
        tt.kthvalue(tt.zeros(2, 0), 1)
    with pytest.raises(IndexError, match=r"^median\(\): cannot pick from an empty dimension 0"):
        tt.median(tt.zeros(0, 2), 0)
    x = tt.tensor(a, requires_grad=True)
    tt.kthvalue(x, 3).values.backward(_f(1.0, 2.0))
    np.testing.assert_array_equal(_np(x.grad), [[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 2.0]])


# --- median, nanmedian, mode -------------------------------------------------------------------

_MED = np.array([[4.0, 1.0, 3.0, 2.0], [1.0, NAN, 0.0, NAN], [5.0, 7.0, 6.0, 9.0]])


def test_median_dim_lower_median_and_nan():
    v, i = tt.median(tt.tensor(_MED), 1)
    # even rows take the lower of the two middle values; a row with NaN gives its first NaN
    np.testing.assert_array_equal(_np(v), [2.0, NAN, 6.0])
    np.testing.assert_array_equal(_np(i), [3, 1, 2])
    v, i = tt.median(tt.tensor(_MED[[0, 2]]), 0, keepdim=True)
    assert v.shape == (1, 4)
    np.testing.assert_array_equal(_np(v), [[4.0, 1.0, 3.0, 2.0]])
    v, i = tt.median(tt.tensor(np.array([3.0, 1.0, 2.0])), 0)
    assert float(v) == 2.0 and int(i) == 2


def test_median_whole_and_gradient():
    assert float(tt.median(_f(4.0, 1.0, 3.0, 2.0))) == 2.0
    assert float(tt.median(_f(5.0, 1.0, 3.0))) == 3.0
    assert np.isnan(float(tt.median(_f(1.0, NAN, 0.0))))
    assert np.isnan(float(tt.median(tt.tensor(np.zeros(0)))))
    assert int(tt.median(tt.tensor([3, 1, 2, 5]))) == 2  # integers: lower median
    x = tt.tensor(np.array([2.0, 1.0, 2.0, 7.0]), requires_grad=True)
    (tt.median(x) * 4.0).backward()  # the median 2 appears twice: the gradient is shared
    np.testing.assert_array_equal(_np(x.grad), [2.0, 0.0, 2.0, 0.0])
    x = tt.tensor(np.array([1.0, NAN, 5.0, NAN]), requires_grad=True)
    tt.median(x).backward()  # NaN result: shared among the NaNs
    np.testing.assert_array_equal(_np(x.grad), [0.0, 0.5, 0.0, 0.5])


def test_nanmedian_dim_and_whole():
    v, i = tt.nanmedian(tt.tensor(_MED), 1)
    np.testing.assert_array_equal(_np(v), [2.0, 0.0, 6.0])
    np.testing.assert_array_equal(_np(i), [3, 2, 2])
    v, _ = tt.nanmedian(tt.tensor(np.full((1, 3), NAN)), 1)
    assert np.isnan(_np(v)[0])
    assert float(tt.nanmedian(_f(1.0, NAN, 0.0, 5.0, NAN))) == 1.0
    assert float(tt.nanmedian(_f(4.0, NAN, 2.0))) == 2.0  # lower of 2, 4
    assert np.isnan(float(tt.nanmedian(_f(NAN, NAN))))
    assert int(tt.nanmedian(tt.tensor([7, 1, 4]))) == 4
    v, i = tt.nanmedian(tt.tensor([[7, 1, 4, 2]]), 1)
    assert int(v[0]) == 2 and int(i[0]) == 3
    with pytest.raises(IndexError, match=r"^nanmedian\(\): cannot pick from an empty dimension"):
        tt.nanmedian(tt.zeros(0, 3), 0)
    x = tt.tensor(np.array([[3.0, NAN, 1.0, 2.0]]), requires_grad=True)
    tt.nanmedian(x, 1).values.backward(_f(5.0))
    np.testing.assert_array_equal(_np(x.grad), [[0.0, 0.0, 0.0, 5.0]])


def test_mode_ties_last_occurrence_and_gradient():
    a = np.array([[2.0, 1.0, 2.0, 1.0, 3.0], [5.0, 5.0, 4.0, 4.0, 4.0]])
    v, i = tt.mode(tt.tensor(a))
    # row 0: 1 and 2 tie twice, the smaller wins, index of its last occurrence
    np.testing.assert_array_equal(_np(v), [1.0, 4.0])
    np.testing.assert_array_equal(_np(i), [3, 4])
    v, i = tt.mode(tt.tensor(a), 0, keepdim=True)
    assert v.shape == (1, 5)
    np.testing.assert_array_equal(_np(v), [[2.0, 1.0, 2.0, 1.0, 3.0]])
    np.testing.assert_array_equal(_np(i), [[0, 0, 0, 0, 0]])
    v, i = tt.mode(tt.tensor(np.array([[NAN, 1.0, NAN]])))
    assert np.isnan(_np(v)[0]) and int(i[0]) == 2  # NaN counted as one value here
    x = tt.tensor(a, requires_grad=True)
    tt.mode(x).values.backward(_f(1.0, 2.0))
    expect = np.zeros_like(a)
    expect[0, 3], expect[1, 4] = 1.0, 2.0
    np.testing.assert_array_equal(_np(x.grad), expect)
    v, i = tt.mode(tt.tensor(np.array(3.0)))
    assert v.shape == () and float(v) == 3.0 and int(i) == 0
    with pytest.raises(
        IndexError,
        match=r"^mode\(\): cannot pick from an empty dimension 0 of "
        r"\(0, 2\)",
    ):
        tt.mode(tt.zeros(0, 2), 0)


# --- unique, unique_consecutive ----------------------------------------------------------------


def test_unique_outputs_and_dim():
    x = tt.tensor([[3, 1], [3, 2]])
    np.testing.assert_array_equal(_np(tt.unique(x)), [1, 2, 3])
    u, inv = tt.unique(x, return_inverse=True)
    np.testing.assert_array_equal(_np(inv), [[2, 0], [2, 1]])
    u, cnt = tt.unique(x, return_counts=True)
    np.testing.assert_array_equal(_np(cnt), [1, 1, 2])
    u, inv, cnt = tt.unique(x, return_inverse=True, return_counts=True)
    assert inv.dtype == tt.int64 and cnt.dtype == tt.int64
    rows = tt.tensor([[2, 0], [1, 5], [2, 0]])
    u, inv, cnt = tt.unique(rows, dim=0, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(_np(u), [[1, 5], [2, 0]])
    np.testing.assert_array_equal(_np(inv), [1, 0, 1])
    np.testing.assert_array_equal(_np(cnt), [1, 2])
    u, inv = tt.unique(rows, dim=-1, return_inverse=True)
    np.testing.assert_array_equal(_np(u), [[0, 2], [5, 1], [0, 2]])
    np.testing.assert_array_equal(_np(inv), [1, 0])


def test_unique_consecutive_outputs_and_dim():
    x = tt.tensor([1, 1, 2, 2, 3, 1, 1, 2])
    u, inv, cnt = tt.unique_consecutive(x, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(_np(u), [1, 2, 3, 1, 2])
    np.testing.assert_array_equal(_np(inv), [0, 0, 1, 1, 2, 3, 3, 4])
    np.testing.assert_array_equal(_np(cnt), [2, 2, 1, 2, 1])
    np.testing.assert_array_equal(_np(tt.unique_consecutive(x)), [1, 2, 3, 1, 2])
    m = tt.tensor([[1, 1], [2, 3]])
    u, inv = tt.unique_consecutive(m, return_inverse=True)
    np.testing.assert_array_equal(_np(u), [1, 2, 3])
    assert inv.shape == (2, 2)
    np.testing.assert_array_equal(_np(inv), [[0, 0], [1, 2]])
    rows = tt.tensor([[1, 2], [1, 2], [0, 2], [1, 2]])
    u, inv, cnt = tt.unique_consecutive(rows, dim=0, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(_np(u), [[1, 2], [0, 2], [1, 2]])
    np.testing.assert_array_equal(_np(inv), [0, 0, 1, 2])
    np.testing.assert_array_equal(_np(cnt), [2, 1, 1])
    cols = tt.tensor([[1, 1, 2], [3, 3, 3]])
    u, cnt = tt.unique_consecutive(cols, dim=1, return_counts=True)
    np.testing.assert_array_equal(_np(u), [[1, 2], [3, 3]])
    np.testing.assert_array_equal(_np(cnt), [2, 1])


# --- searchsorted, bucketize, isin -------------------------------------------------------------


def test_searchsorted_sides_and_dtypes():
    s = _f(1.0, 2.0, 2.0, 4.0)
    v = _f(0.0, 2.0, 3.0, 5.0)
    np.testing.assert_array_equal(_np(tt.searchsorted(s, v)), [0, 1, 3, 4])
    np.testing.assert_array_equal(_np(tt.searchsorted(s, v, right=True)), [0, 3, 3, 4])
    np.testing.assert_array_equal(_np(tt.searchsorted(s, v, side="right")), [0, 3, 3, 4])
    np.testing.assert_array_equal(_np(tt.searchsorted(s, v, side="left")), [0, 1, 3, 4])
    assert tt.searchsorted(s, v).dtype == tt.int64
    assert tt.searchsorted(s, v, out_int32=True).dtype == tt.int32
    out = tt.searchsorted(s, 2.0)
    assert out.shape == () and int(out) == 1
    assert int(tt.searchsorted(s, 2.0, right=True)) == 3


def test_searchsorted_sorter_and_rows():
    s = _f(4.0, 1.0, 2.0)
    sorter = tt.tensor([1, 2, 0])
    np.testing.assert_array_equal(
        _np(tt.searchsorted(s, _f(0.0, 3.0, 9.0), sorter=sorter)), [0, 2, 3]
    )
    rows = tt.tensor(np.array([[1.0, 3.0, 5.0], [10.0, 20.0, 30.0]]))
    vals = tt.tensor(np.array([[3.0, 6.0], [3.0, 25.0]]))
    np.testing.assert_array_equal(_np(tt.searchsorted(rows, vals)), [[1, 3], [0, 2]])
    np.testing.assert_array_equal(_np(tt.searchsorted(rows, vals, right=True)), [[2, 3], [0, 2]])
    sorter2 = tt.tensor([[2, 1, 0], [0, 1, 2]])
    rows2 = tt.tensor(np.array([[5.0, 3.0, 1.0], [10.0, 20.0, 30.0]]))
    np.testing.assert_array_equal(
        _np(tt.searchsorted(rows2, vals, sorter=sorter2)), [[1, 3], [0, 2]]
    )


def test_searchsorted_errors():
    s = _f(1.0, 2.0)
    with pytest.raises(
        RuntimeError, match="^searchsorted: side must be 'left' or 'right', got 'up'"
    ):
        tt.searchsorted(s, _f(1.0), side="up")
    with pytest.raises(RuntimeError, match="^searchsorted: side='left' and right=True contradict"):
        tt.searchsorted(s, _f(1.0), right=True, side="left")
    tt.searchsorted(s, _f(1.0), right=True, side="right")
    with pytest.raises(
        RuntimeError,
        match=r"^searchsorted: sorter \(3,\) must have the shape of "
        r"sorted_sequence \(2,\)",
    ):
        tt.searchsorted(s, _f(1.0), sorter=tt.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="^searchsorted: sorted_sequence must have at least one"):
        tt.searchsorted(tt.tensor(np.array(1.0)), _f(1.0))
    rows = tt.zeros(2, 3, dtype=tt.float64)
    with pytest.raises(
        RuntimeError,
        match=r"^searchsorted: boundaries \(2, 3\) and input \(3, 1\) "
        r"must have the same leading dimensions",
    ):
        tt.searchsorted(rows, tt.zeros(3, 1, dtype=tt.float64))
    with pytest.raises(RuntimeError, match=r"^searchsorted: boundaries \(2, 3\) and input \(\)"):
        tt.searchsorted(rows, 1.0)


def test_bucketize_and_errors():
    b = _f(1.0, 3.0, 5.0)
    x = tt.tensor(np.array([[0.0, 1.0], [3.0, 6.0]]))
    out = tt.bucketize(x, b)
    np.testing.assert_array_equal(_np(out), [[0, 0], [1, 3]])
    assert out.dtype == tt.int64
    np.testing.assert_array_equal(_np(tt.bucketize(x, b, right=True)), [[0, 1], [2, 3]])
    assert tt.bucketize(x, b, out_int32=True).dtype == tt.int32
    assert int(tt.bucketize(3.0, b)) == 1
    with pytest.raises(
        RuntimeError,
        match=r"^bucketize: boundaries must be a 1-D tensor, got "
        r"shape \(1, 3\)",
    ):
        tt.bucketize(x, b.reshape(1, 3))


def test_isin():
    e = tt.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal(
        _np(tt.isin(e, tt.tensor([4, 1, 9]))), [[True, False], [False, True]]
    )
    np.testing.assert_array_equal(
        _np(tt.isin(e, tt.tensor([4, 1]), invert=True)), [[False, True], [True, False]]
    )
    np.testing.assert_array_equal(_np(tt.isin(2, tt.tensor([1, 2]))), True)
    np.testing.assert_array_equal(_np(tt.isin(e, 3)), [[False, False], [True, False]])
    assert tt.isin(e, 3).dtype == tt.bool
    with pytest.raises(TypeError, match="^isin: elements or test_elements must be a Tensor"):
        tt.isin(1, [1, 2])


# --- a non-tensor argument is refused with the op's name ---------------------------------------

_BAD = object()
_S = _f(1.0, 2.0, 3.0)


@pytest.mark.parametrize(
    "name, call",
    [
        ("sort", lambda: tt.sort(_BAD)),
        ("sort", lambda: tt.msort(_BAD)),
        ("argsort", lambda: tt.argsort(_BAD)),
        ("topk", lambda: tt.topk(_BAD, 1)),
        ("kthvalue", lambda: tt.kthvalue(_BAD, 1)),
        ("median", lambda: tt.median(_BAD)),
        ("median", lambda: tt.median(_BAD, 0)),
        ("nanmedian", lambda: tt.nanmedian(_BAD)),
        ("nanmedian", lambda: tt.nanmedian(_BAD, 0)),
        ("mode", lambda: tt.mode(_BAD)),
        ("quantile", lambda: tt.quantile(_BAD, 0.5)),
        ("nanquantile", lambda: tt.nanquantile(_BAD, 0.5)),
        ("unique", lambda: tt.unique(_BAD)),
        ("unique_consecutive", lambda: tt.unique_consecutive(_BAD)),
        ("searchsorted", lambda: tt.searchsorted(_BAD, _S)),
        ("searchsorted", lambda: tt.searchsorted(_S, _BAD)),
        ("searchsorted", lambda: tt.searchsorted(_S, _S, sorter=_BAD)),
        ("bucketize", lambda: tt.bucketize(_S, _BAD)),
        ("isin", lambda: tt.isin(_BAD, _S)),
        ("isin", lambda: tt.isin(_S, _BAD)),
    ],
)
def test_a_non_tensor_argument_names_the_op(name, call):
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number, got object$"):
        call()


def test_unique_keeps_each_nan_apart():
    u, cnt = tt.unique(_f(NAN, 1.0, NAN), return_counts=True)  # PyTorch: NaN != NaN
    np.testing.assert_array_equal(_np(u), [1.0, NAN, NAN])
    np.testing.assert_array_equal(_np(cnt), [1, 1, 1])


def test_kthvalue_keepdim_gradient_and_median_dim_gradient():
    a = np.array([[4.0, 1.0, 3.0, 2.0], [0.0, -1.0, 8.0, 6.0]])
    x = tt.tensor(a, requires_grad=True)
    v, _ = tt.kthvalue(x, 2, 1, keepdim=True)
    v.backward(tt.tensor(np.array([[1.0], [2.0]])))
    np.testing.assert_array_equal(_np(x.grad), [[0.0, 0.0, 0.0, 1.0], [2.0, 0.0, 0.0, 0.0]])
    x = tt.tensor(a, requires_grad=True)
    tt.median(x, 0, keepdim=True).values.backward(tt.tensor(np.ones((1, 4))))
    # column-wise lower median of two rows: the smaller one
    np.testing.assert_array_equal(_np(x.grad), [[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
