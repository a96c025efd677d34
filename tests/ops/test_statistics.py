"""Statistics (tinytensor/ops/statistics.py): the table-driven properties of every row in
ops/optable/statistics.py, second-order gradients, then the ops without a gradient (bincount,
histc, count_nonzero, histogram, histogramdd) against NumPy and PyTorch, and the method forms."""

import numpy as np
import pytest

import tinytensor as tt
from ops.harness import no_gradient_tests, second_order_test, table_tests
from ops.optable import STATISTICS as CASES

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_order = second_order_test(CASES)


# --- no gradient: bincount, histc, count_nonzero on small-integer matrices ---------------------


def _ints(x):
    return (x + 2).astype(np.int64).ravel()  # non-negative, for bincount


def _np_histc(x, bins, lo=None, hi=None):
    lo, hi = (x.min(), x.max()) if lo is None else (lo, hi)
    lo, hi = (lo - 1, hi + 1) if lo == hi else (lo, hi)
    return np.histogram(x, bins=bins, range=(lo, hi))[0].astype(x.dtype)


def _i64(*arrays):
    return tuple(np.asarray(a).astype(np.int64) for a in arrays)


NO_GRADIENT = {
    "bincount": (
        lambda m, x: m.bincount(m.tensor(_ints(x)), minlength=6),
        lambda x: _i64(np.bincount(_ints(x), minlength=6)),
    ),
    "bincount_weights": (
        lambda m, x: m.bincount(m.tensor(_ints(x)), m.tensor(x.ravel())),
        lambda x: np.bincount(_ints(x), x.ravel()),
    ),
    "histc": (lambda m, x: m.histc(m.tensor(x), bins=4), lambda x: _np_histc(x, 4)),
    "histc_range": (
        lambda m, x: m.histc(m.tensor(x), bins=3, min=-1, max=1),
        lambda x: _np_histc(x, 3, -1.0, 1.0),
    ),
    "count_nonzero": (
        lambda m, x: m.count_nonzero(m.tensor(x)),
        lambda x: _i64(np.count_nonzero(x)),
    ),
    "count_nonzero_dim": (
        lambda m, x: m.count_nonzero(m.tensor(x), dim=1),
        lambda x: _i64(np.count_nonzero(x, axis=1)),
    ),
}

test_no_gradient_ops_match_numpy, test_no_gradient_ops_match_torch = no_gradient_tests(NO_GRADIENT)


# --- no gradient: histogram, histogramdd -------------------------------------------------------

_X = np.random.default_rng(0).standard_normal(40)
_P = np.random.default_rng(1).standard_normal((30, 2))

HIST_CALLS = {
    "bins-int": ((_X, 6), {}),
    "range-weight-density": (
        (_X, 5),
        {"range": (-1.0, 1.0), "weight": np.abs(_X), "density": True},
    ),
    "bins-tensor": ((_X, np.array([-2.0, -0.5, 0.0, 0.25, 3.0])), {}),
    "constant": ((np.ones(4), 2), {}),
}


def _tt(v):
    return tt.tensor(v) if isinstance(v, np.ndarray) else v


@pytest.mark.parametrize("name", list(HIST_CALLS))
def test_histogram_numpy(name):
    (x, bins), kw = HIST_CALLS[name]
    hist, edges = tt.histogram(_tt(x), _tt(bins), **{k: _tt(v) for k, v in kw.items()})
    np_kw = {"weights" if k == "weight" else k: v for k, v in kw.items()}
    rh, re = np.histogram(x, bins, **np_kw)
    if name == "constant":
        rh, re = np.histogram(x, bins, range=(0.5, 1.5))
    np.testing.assert_allclose(hist.numpy(), rh)
    np.testing.assert_allclose(edges.numpy(), re)
    assert hist.dtype == tt.float64 and edges.dtype == tt.float64


@pytest.mark.torch
@pytest.mark.parametrize("name", list(HIST_CALLS))
def test_histogram_torch(name):
    torch = pytest.importorskip("torch")
    (x, bins), kw = HIST_CALLS[name]
    ours = tt.histogram(_tt(x), _tt(bins), **{k: _tt(v) for k, v in kw.items()})
    tb = torch.tensor(bins) if isinstance(bins, np.ndarray) else bins
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    theirs = torch.histogram(torch.tensor(x), tb, **tkw)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12)


HISTDD_CALLS = {
    "bins-int": (3, {}),
    "bins-list-range": ([2, 4], {"range": [-1.0, 1.0, -2.0, 2.0], "density": True}),
    "bins-tensors-weight": (
        [np.array([-3.0, 0.0, 3.0]), np.array([-1.0, 0.0, 0.5, 1.0])],
        {"weight": np.arange(30.0)},
    ),
}


def _np_range(kw):
    r = kw.get("range")
    return {**kw, "range": None if r is None else [r[0:2], r[2:4]]}


@pytest.mark.parametrize("name", list(HISTDD_CALLS))
def test_histogramdd_numpy(name):
    bins, kw = HISTDD_CALLS[name]
    tbins = [_tt(b) for b in bins] if isinstance(bins, list) else bins
    hist, edges = tt.histogramdd(tt.tensor(_P), tbins, **{k: _tt(v) for k, v in kw.items()})
    np_kw = {"weights" if k == "weight" else k: v for k, v in _np_range(kw).items()}
    rh, re = np.histogramdd(_P, bins, **np_kw)
    np.testing.assert_allclose(hist.numpy(), rh)
    for e, r in zip(edges, re):
        np.testing.assert_allclose(e.numpy(), r)


@pytest.mark.torch
@pytest.mark.parametrize("name", list(HISTDD_CALLS))
def test_histogramdd_torch(name):
    torch = pytest.importorskip("torch")
    bins, kw = HISTDD_CALLS[name]
    tbins = [_tt(b) for b in bins] if isinstance(bins, list) else bins
    hist, edges = tt.histogramdd(tt.tensor(_P), tbins, **{k: _tt(v) for k, v in kw.items()})
    pb = [torch.tensor(b) for b in bins] if isinstance(bins, list) else bins
    pkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    th, te = torch.histogramdd(torch.tensor(_P), pb, **pkw)
    np.testing.assert_allclose(hist.numpy(), th.numpy(), rtol=1e-12)
    for e, t in zip(edges, te):
        np.testing.assert_allclose(e.numpy(), t.numpy())


def test_methods_match_functions():
    x = tt.tensor(np.arange(12.0).reshape(3, 4) / 5)
    np.testing.assert_array_equal(x.cov(correction=0), tt.cov(x, correction=0))
    np.testing.assert_array_equal(x.corrcoef(), tt.corrcoef(x))
    hist = x.histogram(3)
    np.testing.assert_array_equal(hist.hist, tt.histogram(x, 3).hist)
