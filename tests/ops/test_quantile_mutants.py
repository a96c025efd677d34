"""quantile and nanquantile (ops/sort.py) branch by branch, NumPy only: every interpolation
(against NumPy's methods), dims and keepdim with scalar and vector q, 0-d inputs, NaN rows, the
gradient split between neighbours, and every argument check with its words (mutmut survivors
of issue #25)."""

import numpy as np
import pytest

import tinytensor as tt

NAN = np.nan


def _f(*values):
    return tt.tensor(np.array(values, dtype=np.float64))


def _np(t):
    return t.detach().numpy()


# --- quantile, nanquantile ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "interpolation, want",
    [
        ("linear", [1.3, 3.0, 4.4]),
        ("lower", [1.0, 2.0, 4.0]),
        ("higher", [2.0, 4.0, 8.0]),
        ("midpoint", [1.5, 3.0, 6.0]),
        ("nearest", [1.0, 4.0, 4.0]),  # rank 1.5 rounds half to even: 2
    ],
)
def test_quantile_interpolations(interpolation, want):
    q = _f(0.1, 0.5, 0.7)  # ranks 0.3, 1.5, 2.1 in [1, 2, 4, 8]
    out = tt.quantile(_f(8.0, 1.0, 4.0, 2.0), q, interpolation=interpolation)
    np.testing.assert_allclose(_np(out), want, rtol=1e-12)
    ref = np.quantile([8.0, 1.0, 4.0, 2.0], [0.1, 0.5, 0.7], method=interpolation)
    np.testing.assert_allclose(_np(out), ref, rtol=1e-12)


def test_quantile_dims_and_keepdim():
    a = np.array([[1.0, 2.0, 4.0, 8.0], [3.0, 2.0, 1.0, 0.0]])
    q = _f(0.25, 0.5)
    out = tt.quantile(tt.tensor(a), q, dim=1, keepdim=True)
    assert out.shape == (2, 2, 1)
    np.testing.assert_allclose(_np(out)[..., 0], [[1.75, 0.75], [3.0, 1.5]], rtol=1e-12)
    out = tt.quantile(tt.tensor(a), q, dim=0)
    assert out.shape == (2, 4)
    np.testing.assert_allclose(_np(out), np.quantile(a, [0.25, 0.5], axis=0), rtol=1e-12)
    out = tt.quantile(tt.tensor(a), 0.5, dim=-1)
    assert out.shape == (2,)
    np.testing.assert_allclose(_np(out), [3.0, 1.5], rtol=1e-12)
    out = tt.quantile(tt.tensor(a), 0.5, keepdim=True)  # all elements, kept as (1, 1)
    assert out.shape == (1, 1) and float(out) == 2.0
    out = tt.quantile(tt.tensor(a), q, keepdim=True)
    assert out.shape == (2, 1, 1)
    np.testing.assert_allclose(_np(out).ravel(), np.quantile(a, [0.25, 0.5]), rtol=1e-12)
    out = tt.quantile(tt.tensor(a), 0.5, dim=0, keepdim=True)
    assert out.shape == (1, 4)
    assert tt.quantile(tt.tensor(a), 0.5).shape == ()
    assert tt.quantile(tt.tensor(a), [0.5]).shape == (1,)  # a list of one q keeps its axis
    # a 0-d input, with or without dim / keepdim, stays 0-d
    for kw in ({}, {"dim": 0}, {"dim": 0, "keepdim": True}, {"keepdim": True}):
        out = tt.quantile(tt.tensor(np.array(3.0)), 0.5, **kw)
        assert out.shape == () and float(out) == 3.0, kw
    assert tt.quantile(tt.tensor(np.array(3.0)), _f(0.2, 0.9), dim=0).shape == (2,)


def test_quantile_nan_and_nanquantile():
    a = np.array([[1.0, NAN, 4.0], [1.0, 2.0, 3.0], [NAN, NAN, NAN]])
    out = tt.quantile(tt.tensor(a), 0.5, dim=1)
    np.testing.assert_array_equal(_np(out), [NAN, 2.0, NAN])
    out = tt.nanquantile(tt.tensor(a), 0.5, dim=1)
    np.testing.assert_array_equal(_np(out), [2.5, 2.0, NAN])
    out = tt.nanquantile(tt.tensor(a), _f(0.0, 1.0), dim=1, interpolation="higher")
    np.testing.assert_array_equal(_np(out), [[1.0, 1.0, NAN], [4.0, 3.0, NAN]])
    assert float(tt.nanquantile(tt.tensor(a), 1.0)) == 4.0
    assert tt.quantile(tt.tensor(a.astype(np.float32)), 0.5, dim=1).dtype == tt.float32


def test_quantile_gradient_splits_between_neighbours():
    x = tt.tensor(np.array([8.0, 1.0, 4.0, 2.0]), requires_grad=True)
    tt.quantile(x, 0.7).backward()  # rank 2.1: 0.9 of the 4 and 0.1 of the 8
    np.testing.assert_allclose(_np(x.grad), [0.1, 0.0, 0.9, 0.0], rtol=1e-12)


def test_quantile_errors():
    x = _f(1.0, 2.0)
    with pytest.raises(
        RuntimeError,
        match=r"^quantile\(\) input tensor must be either float or "
        r"double dtype, got .*int64",
    ):
        tt.quantile(tt.tensor([1, 2]), 0.5)
    with pytest.raises(RuntimeError, match=r"^nanquantile\(\) input tensor must be either float"):
        tt.nanquantile(tt.tensor([1, 2]), 0.5)
    with pytest.raises(
        RuntimeError,
        match=r"^quantile\(\) interpolation must be one of linear, "
        r"lower, higher, midpoint, nearest, got 'foo'",
    ):
        tt.quantile(x, 0.5, interpolation="foo")
    with pytest.raises(
        RuntimeError,
        match=r"^quantile\(\) q must be a scalar or 1D tensor, got "
        r"shape \(1, 1\)",
    ):
        tt.quantile(x, _f(0.5).reshape(1, 1))
    for bad in (1.5, -0.25, NAN, [0.5, 1.01]):
        with pytest.raises(
            RuntimeError,
            match=r"^quantile\(\) q values must be in the range "
            r"\[0, 1\]",
        ):
            tt.quantile(x, bad)
    for ok in (0.0, 1.0, [0.0, 1.0]):
        tt.quantile(x, ok)
    with pytest.raises(
        RuntimeError,
        match=r"^quantile\(\) input tensor must be non-empty, got "
        r"shape \(0,\)",
    ):
        tt.quantile(tt.tensor(np.zeros(0)), 0.5)
    with pytest.raises(IndexError, match="^quantile"):
        tt.quantile(tt.tensor(np.array(3.0)), 0.5, dim=1)
    with pytest.raises(IndexError, match="^quantile"):
        tt.quantile(x, 0.5, dim=1)
