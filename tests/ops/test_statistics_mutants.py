"""ops/statistics.py branch by branch, NumPy only: bincount, histc, count_nonzero, aminmax,
nansum/nanmean (values, dtypes and gradients), cov's weightings and corrections, corrcoef,
histogram/histogramdd edges, and every argument check with the words its message must carry.
Each expected value is a NumPy oracle or a hand-derived constant written next to its reasoning
(mutmut survivors of issue #25)."""

import numpy as np
import pytest

import tinytensor as tt

# NaN/inf results are part of what some tests check
pytestmark = pytest.mark.filterwarnings("ignore:.*(invalid value|divide by zero):RuntimeWarning")


def _np(t):
    return t.detach().numpy()


# --- bincount ----------------------------------------------------------------------------------


def test_bincount_counts_zero_and_minlength():
    out = tt.bincount(tt.tensor([0, 0, 3]))
    assert out.dtype == tt.int64
    np.testing.assert_array_equal(_np(out), [2, 0, 0, 1])
    np.testing.assert_array_equal(
        _np(tt.bincount(tt.tensor([0, 0, 3]), minlength=6)), [2, 0, 0, 1, 0, 0]
    )
    # minlength shorter than max + 1 does not truncate
    np.testing.assert_array_equal(_np(tt.bincount(tt.tensor([4]), minlength=2)), [0, 0, 0, 0, 1])
    # an empty input: minlength zeros
    empty = tt.bincount(tt.tensor(np.zeros(0, np.int64)), minlength=3)
    np.testing.assert_array_equal(_np(empty), [0, 0, 0])
    assert empty.dtype == tt.int64


def test_bincount_weights_sum_and_dtype():
    x = tt.tensor([1, 1, 3, 0])
    w32 = tt.tensor(np.array([0.5, 0.25, 2.0, -1.0], np.float32))
    out = tt.bincount(x, w32, minlength=5)
    assert out.dtype == tt.float32  # a floating weight keeps its dtype
    np.testing.assert_array_equal(_np(out), np.array([-1.0, 0.75, 0.0, 2.0, 0.0], np.float32))
    outk = tt.bincount(x, weights=w32.double(), minlength=5)
    assert outk.dtype == tt.float64
    np.testing.assert_array_equal(_np(outk), [-1.0, 0.75, 0.0, 2.0, 0.0])
    outi = tt.bincount(x, tt.tensor([1, 2, 3, 4]))
    assert outi.dtype == tt.float64  # integer weights sum in float64, as PyTorch
    np.testing.assert_array_equal(_np(outi), [4.0, 3.0, 0.0, 3.0])


def test_bincount_errors():
    with pytest.raises(RuntimeError, match=r"^bincount only supports 1-d.*\(2, 2\)"):
        tt.bincount(tt.tensor([[0, 1], [1, 0]]))
    with pytest.raises(RuntimeError, match="^bincount.*float32"):
        tt.bincount(tt.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"^bincount: input must be non-negative, got -1"):
        tt.bincount(tt.tensor([2, -1, 0]))
    with pytest.raises(
        RuntimeError, match=r"^bincount: weights should be .* got weights \(2,\) and input \(3,\)$"
    ):
        tt.bincount(tt.tensor([0, 1, 2]), tt.tensor([1.0, 2.0]))


# --- histc -------------------------------------------------------------------------------------


def test_histc_explicit_range_and_out_of_range_values():
    x = tt.tensor(np.array([-5.0, 0.1, 0.5, 0.9, 1.0, 5.0], np.float32))
    out = tt.histc(x, bins=2, min=0, max=1)
    assert out.dtype == tt.float32
    # [0, .5) holds 0.1; [.5, 1] holds 0.5, 0.9 and the right edge 1.0; -5 and 5 are outside
    np.testing.assert_array_equal(_np(out), [1.0, 3.0])
    # bins=1 is allowed: every value in range falls in the one bin
    np.testing.assert_array_equal(_np(tt.histc(x, bins=1, min=0, max=1)), [4.0])


def test_histc_data_range_and_degenerate():
    # min == max == 0 (the defaults): the data's own range [1, 4], 3 bins of width 1
    x = tt.tensor([1.0, 2.0, 2.5, 4.0])
    np.testing.assert_array_equal(_np(tt.histc(x, bins=3)), [1.0, 2.0, 1.0])
    assert tt.histc(x).shape == (100,)  # default bins
    assert float(tt.histc(x).sum()) == 4.0
    # all values equal: the range widens to [v - 1, v + 1]; 3 lands in bin 2 of 4 ([3, 3.5))
    np.testing.assert_array_equal(
        _np(tt.histc(tt.tensor([3.0, 3.0, 3.0]), bins=4)), [0.0, 0.0, 3.0, 0.0]
    )
    # min == max given explicitly and nonzero also means the data's range
    np.testing.assert_array_equal(_np(tt.histc(x, bins=3, min=7, max=7)), [1.0, 2.0, 1.0])
    # empty input: zeros
    np.testing.assert_array_equal(_np(tt.histc(tt.tensor(np.zeros(0)), bins=2)), [0.0, 0.0])


def test_histc_errors():
    with pytest.raises(NotImplementedError, match="^histc.*int64"):
        tt.histc(tt.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="^histc: bins must be > 0, got 0"):
        tt.histc(tt.tensor([1.0]), bins=0)
    with pytest.raises(RuntimeError, match=r"^histc: max \(1.0\) must be larger .* min \(2.0\)"):
        tt.histc(tt.tensor([1.0]), bins=2, min=2, max=1)
    # min == max is not an error
    tt.histc(tt.tensor([1.0]), bins=2, min=1, max=1)


# --- count_nonzero, aminmax --------------------------------------------------------------------


def test_count_nonzero_dims():
    a = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]])
    x = tt.tensor(a)
    assert int(tt.count_nonzero(x)) == 3
    assert tt.count_nonzero(x).dtype == tt.int64
    np.testing.assert_array_equal(_np(tt.count_nonzero(x, 0)), [0, 1, 2])
    np.testing.assert_array_equal(_np(tt.count_nonzero(x, dim=-1)), [2, 1])
    assert int(tt.count_nonzero(x, (0, 1))) == 3
    with pytest.raises(IndexError, match="^count_nonzero"):
        tt.count_nonzero(x, 2)


def test_aminmax_values_and_keepdim():
    a = np.array([[3.0, -1.0, 2.0], [0.5, 4.0, -2.0]])
    lo, hi = tt.aminmax(tt.tensor(a))
    assert lo.shape == () and float(lo) == -2.0 and float(hi) == 4.0
    lo, hi = tt.aminmax(tt.tensor(a), keepdim=True)
    assert lo.shape == (1, 1) and hi.shape == (1, 1)
    assert float(lo) == -2.0 and float(hi) == 4.0
    r = tt.aminmax(tt.tensor(a), dim=1)
    np.testing.assert_array_equal(_np(r.min), [-1.0, -2.0])
    np.testing.assert_array_equal(_np(r.max), [3.0, 4.0])
    r = tt.aminmax(tt.tensor(a), dim=0, keepdim=True)
    assert r.min.shape == (1, 3)
    np.testing.assert_array_equal(_np(r.min), [[0.5, -1.0, -2.0]])
    np.testing.assert_array_equal(_np(r.max), [[3.0, 4.0, 2.0]])


def test_aminmax_empty():
    with pytest.raises(RuntimeError, match=r"^aminmax\(\): cannot .* shape \(0, 3\)"):
        tt.aminmax(tt.zeros(0, 3))
    with pytest.raises(IndexError, match=r"^aminmax.*\(0, 3\)"):  # PyTorch's class
        tt.aminmax(tt.zeros(0, 3), dim=0)
    # reducing a non-empty dim of an empty tensor is fine: empty results
    r = tt.aminmax(tt.zeros(0, 3), dim=1)
    assert r.min.shape == (0,) and r.max.shape == (0,)


def test_aminmax_gradient_flows_to_the_extremes():
    x = tt.tensor([[3.0, -1.0, 2.0]], requires_grad=True)
    lo, hi = tt.aminmax(x, dim=1)
    (lo * 2.0 + hi * 5.0).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [[5.0, 2.0, 0.0]])


# --- nansum, nanmean ---------------------------------------------------------------------------

_NAN = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0]])


def test_nansum_values_dtype_keepdim():
    x = tt.tensor(_NAN)
    assert float(tt.nansum(x)) == 6.0
    np.testing.assert_array_equal(_np(tt.nansum(x, 1)), [4.0, 2.0])
    np.testing.assert_array_equal(_np(tt.nansum(x, 0, keepdim=True)), [[1.0, 0.0, 5.0]])
    assert tt.nansum(x, 0, keepdim=True).shape == (1, 3)
    x32 = tt.tensor(_NAN.astype(np.float32))
    assert tt.nansum(x32).dtype == tt.float32
    assert tt.nansum(x32, dtype=tt.float64).dtype == tt.float64
    assert tt.nansum(tt.tensor(_NAN), 1, dtype=tt.float32).dtype == tt.float32
    with pytest.raises(IndexError, match="^nansum: dim 2"):
        tt.nansum(x, 2)
    # float32 accumulated in float64: 2**24 + 1 is not a float32
    big = tt.tensor(np.array([2.0**24, 1.0, np.nan], np.float32))
    assert float(tt.nansum(big, dtype=tt.float64)) == 2.0**24 + 1
    # integers: plain sum (no NaN can occur), dtype honoured
    xi = tt.tensor([[1, 2], [3, 4]])
    np.testing.assert_array_equal(_np(tt.nansum(xi, 1)), [3, 7])
    assert tt.nansum(xi, dtype=tt.float64).dtype == tt.float64
    assert tt.nansum(xi, 0, keepdim=True).shape == (1, 2)


@pytest.mark.parametrize("keepdim", [False, True])
def test_nansum_gradient_zero_at_nans(keepdim):
    x = tt.tensor(_NAN, requires_grad=True)
    out = tt.nansum(x, 1, keepdim=keepdim)
    g = np.array([2.0, 5.0]).reshape((2, 1) if keepdim else (2,))
    out.backward(tt.tensor(g))
    np.testing.assert_array_equal(_np(x.grad), [[2.0, 0.0, 2.0], [0.0, 0.0, 5.0]])


def test_nansum_gradient_full_and_several_dims():
    x = tt.tensor(_NAN, requires_grad=True)
    (tt.nansum(x) * 3.0).backward()
    np.testing.assert_array_equal(_np(x.grad), [[3.0, 0.0, 3.0], [0.0, 0.0, 3.0]])
    x = tt.tensor(_NAN.reshape(1, 2, 3), requires_grad=True)
    tt.nansum(x, (0, 2)).backward(tt.tensor([1.0, 4.0]))
    np.testing.assert_array_equal(_np(x.grad), [[[1.0, 0.0, 1.0], [0.0, 0.0, 4.0]]])


def test_nanmean_values_and_gradient():
    x = tt.tensor(_NAN, requires_grad=True)
    np.testing.assert_array_equal(_np(tt.nanmean(x, 1)), [2.0, 2.0])
    assert float(tt.nanmean(x)) == 2.0
    m = tt.nanmean(x, 0, keepdim=True)
    assert m.shape == (1, 3)
    np.testing.assert_array_equal(np.isnan(_np(m)), [[False, True, False]])
    np.testing.assert_array_equal(_np(m)[0, [0, 2]], [1.0, 2.5])
    tt.nanmean(x, 1).backward(tt.tensor([2.0, 3.0]))
    # row 0 has 2 numbers (each d = 2 / 2), row 1 has one (d = 3)
    np.testing.assert_array_equal(_np(x.grad), [[1.0, 0.0, 1.0], [0.0, 0.0, 3.0]])


def test_nanmean_dtypes():
    x32 = tt.tensor(_NAN.astype(np.float32))
    assert tt.nanmean(x32).dtype == tt.float32
    out = tt.nanmean(x32, 1, dtype=tt.float64)
    assert out.dtype == tt.float64
    np.testing.assert_array_equal(_np(out), [2.0, 2.0])


def test_nanmean_errors():
    with pytest.raises(IndexError, match="^nanmean: dim 2"):
        tt.nanmean(tt.tensor(_NAN), 2)
    with pytest.raises(IndexError, match="^aminmax: dim 2"):
        tt.aminmax(tt.zeros(0, 3), dim=2)
    with pytest.raises(
        RuntimeError,
        match=r"^nanmean\(\): expected a floating point .*int64; convert it with \.float\(\)$",
    ):
        tt.nanmean(tt.tensor([1, 2]))
    # PyTorch refuses an integer input even with a floating dtype, and an integer dtype
    with pytest.raises(RuntimeError, match=r"^nanmean\(\).*int64"):
        tt.nanmean(tt.tensor([1, 2]), dtype=tt.float64)
    with pytest.raises(RuntimeError, match=r"^nanmean\(\): dtype must be a floating point"):
        tt.nanmean(tt.tensor([1.0, 2.0]), dtype=tt.int64)


# --- cov, corrcoef -----------------------------------------------------------------------------

_X = np.array([[1.0, 2.0, 4.0, 7.0], [0.5, -1.0, 3.0, 2.0], [2.0, 2.0, 1.0, 0.0]])
_FW = np.array([1, 3, 2, 1])
_AW = np.array([0.5, 0.25, 1.5, 1.0])


@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("weights", ["none", "f", "a", "fa"])
def test_cov_matches_numpy(correction, weights):
    kw, np_kw = {}, {}
    if "f" in weights:
        kw["fweights"], np_kw["fweights"] = tt.tensor(_FW), _FW
    if "a" in weights:
        kw["aweights"], np_kw["aweights"] = tt.tensor(_AW), _AW
    out = tt.cov(tt.tensor(_X), correction=correction, **kw)
    ref = np.cov(_X, ddof=correction, **np_kw)
    assert out.shape == (3, 3) and out.dtype == tt.float64
    np.testing.assert_allclose(_np(out), ref, rtol=1e-12)


def test_cov_hand_values():
    # one variable [1, 2, 4]: mean 7/3, squared deviations 16/9 + 1/9 + 25/9 = 42/9
    x = tt.tensor(np.array([1.0, 2.0, 4.0]))
    assert tt.cov(x).shape == ()
    np.testing.assert_allclose(float(tt.cov(x)), 42 / 9 / 2, rtol=1e-12)
    np.testing.assert_allclose(float(tt.cov(x, correction=0)), 42 / 9 / 3, rtol=1e-12)
    # aweights (0.5, 0.25, 0.25): mean 2, deviations (-1, 0, 2), weighted sum of squares
    # 0.5 + 0 + 1 = 1.5, norm = 1 - 1 * (0.25 + 0.0625 + 0.0625) / 1 = 0.625; 1.5 / 0.625 = 2.4
    aw = tt.tensor(np.array([0.5, 0.25, 0.25]))
    np.testing.assert_allclose(float(tt.cov(x, aweights=aw)), 2.4, rtol=1e-12)
    # fweights (1, 1, 2) repeat the 4: same as cov of [1, 2, 4, 4]
    np.testing.assert_allclose(
        float(tt.cov(x, fweights=tt.tensor([1, 1, 2]))), np.cov([1.0, 2.0, 4.0, 4.0]), rtol=1e-12
    )


def test_cov_float32_input_float64_weights_promotes():
    x = np.array([[1.0, 2.0, 4.0], [0.0, 1.0, 3.0]], np.float32)
    aw = np.array([0.1, 0.7, 0.3])  # not float32 numbers: no rounding may happen
    out = tt.cov(tt.tensor(x), aweights=tt.tensor(aw))
    assert out.dtype == tt.float64  # PyTorch's promotion
    np.testing.assert_allclose(_np(out), np.cov(x.astype(np.float64), aweights=aw), rtol=1e-13)
    fw = tt.cov(tt.tensor(x), fweights=tt.tensor([1, 2, 1]))
    assert fw.dtype == tt.float32
    np.testing.assert_allclose(_np(fw), np.cov(x, fweights=[1, 2, 1]), rtol=1e-6)


def test_cov_integer_input_and_gradient():
    out = tt.cov(tt.tensor([[1, 2, 4], [0, 1, 1]]))
    assert out.dtype == tt.get_default_dtype()
    np.testing.assert_allclose(_np(out), np.cov([[1, 2, 4], [0, 1, 1]]), rtol=1e-6)
    # d cov(x) / dx for one variable: 2 (x - mean) / (n - 1)
    x = tt.tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True)
    tt.cov(x).backward()
    np.testing.assert_allclose(
        _np(x.grad), [2 * (1 - 7 / 3) / 2, 2 * (2 - 7 / 3) / 2, 2 * (4 - 7 / 3) / 2], rtol=1e-12
    )


def test_cov_too_few_observations_gives_inf_or_nan():
    # norm = n - correction clamps at 0: a positive sum of squares over 0 is inf
    out = tt.cov(tt.tensor([[1.0, 3.0]]), correction=3)
    assert np.isinf(float(out)) and float(out) > 0
    assert np.isnan(float(tt.cov(tt.tensor([[2.0]]))))  # 0 / 0


def test_cov_errors():
    with pytest.raises(RuntimeError, match="^cov: expected input to have two or fewer .* got 3"):
        tt.cov(tt.zeros(2, 2, 2))
    with pytest.raises(RuntimeError, match=r"^cov: expected fweights to be a 1-D tensor with 4 "):
        tt.cov(tt.tensor(_X), fweights=tt.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=r"^cov: expected aweights .* got shape \(2, 2\)"):
        tt.cov(tt.tensor(_X), aweights=tt.ones(2, 2))
    with pytest.raises(RuntimeError, match="^cov: expected fweights to have integral dtype"):
        tt.cov(tt.tensor(_X), fweights=tt.tensor(_AW))
    with pytest.raises(RuntimeError, match="^cov: fweights cannot be negative"):
        tt.cov(tt.tensor(_X), fweights=tt.tensor([1, -1, 1, 1]))
    with pytest.raises(RuntimeError, match="^cov: aweights cannot be negative"):
        tt.cov(tt.tensor(_X), aweights=tt.tensor([1.0, -0.5, 1.0, 1.0]))
    # zero weights are allowed
    tt.cov(tt.tensor(_X), fweights=tt.tensor([0, 1, 1, 1]), aweights=tt.tensor([1.0, 0, 1, 1]))


def test_corrcoef_matches_numpy_and_is_clamped():
    out = tt.corrcoef(tt.tensor(_X))
    np.testing.assert_allclose(_np(out), np.corrcoef(_X), rtol=1e-12)
    # perfectly (anti)correlated rows: exactly +-1 after the clamp
    y = np.array([[0.1, 0.2, 0.7, 1.3], [0.3, 0.6, 2.1, 3.9], [-0.1, -0.2, -0.7, -1.3]])
    c = _np(tt.corrcoef(tt.tensor(y)))
    assert np.abs(c).max() <= 1.0
    np.testing.assert_allclose(c, [[1, 1, -1], [1, 1, -1], [-1, -1, 1]], rtol=1e-12)
    # rows x, 0.1 x + 0.3, -0.1 x + 0.3: unclamped, rounding gives 1 + 2**-52 and its negative
    x = np.array([0.1, 0.2, 0.7, 1.3])
    c = _np(tt.corrcoef(tt.tensor(np.stack([x, 0.1 * x + 0.3, -0.1 * x + 0.3]))))
    assert c.max() == 1.0 and c.min() == -1.0
    # one variable: 1
    assert float(tt.corrcoef(tt.tensor([1.0, 2.0, 4.0]))) == 1.0
    # a constant row: NaN (0 / 0)
    assert np.isnan(_np(tt.corrcoef(tt.tensor([[1.0, 2.0], [3.0, 3.0]])))[0, 1])


# --- a non-tensor argument is refused with the op's name ---------------------------------------

_OK = tt.tensor(np.array([[0.5, 1.0], [2.0, 0.25]]))
_BAD = object()


@pytest.mark.parametrize(
    "name, call",
    [
        ("bincount", lambda: tt.bincount(_BAD)),
        ("bincount", lambda: tt.bincount(tt.tensor([0, 1]), _BAD)),
        ("histc", lambda: tt.histc(_BAD)),
        ("count_nonzero", lambda: tt.count_nonzero(_BAD)),
        ("aminmax", lambda: tt.aminmax(_BAD)),
        ("nansum", lambda: tt.nansum(_BAD)),
        ("nanmean", lambda: tt.nanmean(_BAD)),
        ("cov", lambda: tt.cov(_BAD)),
        ("cov", lambda: tt.cov(_OK, fweights=_BAD)),
        ("histogram", lambda: tt.histogram(_BAD)),
        ("histogram", lambda: tt.histogram(_OK, 2, weight=_BAD)),
        ("histogramdd", lambda: tt.histogramdd(_BAD)),
        ("histogramdd", lambda: tt.histogramdd(_OK, weight=_BAD)),
    ],
)
def test_a_non_tensor_argument_names_the_op(name, call):
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor or a number, got object$"):
        call()


def test_histc_constant_data_widens_by_one_each_side():
    # [3, 3, 3] with 3 bins: the range [2, 4] gives edges 2, 2.67, 3.33, 4: the middle bin
    # (PyTorch's [0, 3, 0]); a range widened unevenly would move the 3s to another bin
    np.testing.assert_array_equal(_np(tt.histc(tt.tensor([3.0, 3.0, 3.0]), bins=3)), [0, 3, 0])
    np.testing.assert_array_equal(_np(tt.histc(tt.tensor([3.0]), bins=2, min=3, max=3)), [0, 1])


def test_histogram_float32_edges_bin_float32_values():
    # float32(0.7) rounds down; it equals the float32 edge 7 of [0, 1] in 10 bins, so it is in
    # bin 7 (PyTorch too); float64 edges would put it in bin 6
    x = tt.tensor(np.array([0.7], np.float32))
    hist, edges = tt.histogram(x, 10, range=(0.0, 1.0))
    np.testing.assert_array_equal(_np(hist), [0, 0, 0, 0, 0, 0, 0, 1, 0, 0])
    hist, _ = tt.histogramdd(x.reshape(1, 1), 10, range=[0.0, 1.0])
    np.testing.assert_array_equal(_np(hist), [0, 0, 0, 0, 0, 0, 0, 1, 0, 0])


def test_compiled_program_follows_new_inputs():
    """histc, count_nonzero, nanmean and bincount name their inputs to the tracer: a compiled
    program replays them on each call's own values."""

    def fn(x):
        out = tt.histc(x, 4) + tt.count_nonzero(x, 0).double().sum() + tt.nanmean(x, 0).sum()
        return out + tt.bincount(x.long().reshape(-1), minlength=4).double()

    compiled = tt.compile(fn)
    a = tt.tensor(np.array([[1.0, 0.0], [2.0, 3.0]]))
    b = tt.tensor(np.array([[0.0, 0.0], [3.0, 2.0]]))
    for x in (a, b, a, b):
        np.testing.assert_array_equal(_np(compiled(x)), _np(fn(x)))
