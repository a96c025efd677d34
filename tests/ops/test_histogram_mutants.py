"""histogram and histogramdd (ops/statistics.py) branch by branch, NumPy only: edges of
float32 and float64 data, degenerate and empty ranges (PyTorch's [0, 1]), weights and density,
per-dimension ranges, batched points, and every argument check with its words (mutmut
survivors of issue #25)."""

import numpy as np
import pytest

import tinytensor as tt


def _np(t):
    return t.detach().numpy()


# --- histogram, histogramdd --------------------------------------------------------------------


def test_histogram_float32_and_edges():
    x = tt.tensor(np.array([0.0, 0.25, 0.5, 1.0], np.float32))
    hist, edges = tt.histogram(x, 2)
    assert hist.dtype == tt.float32 and edges.dtype == tt.float32
    np.testing.assert_array_equal(_np(edges), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(_np(hist), [2.0, 2.0])
    # a range narrower than the data drops the values outside it
    hist, edges = tt.histogram(x, 1, range=(0.2, 0.6))
    np.testing.assert_allclose(_np(edges), [0.2, 0.6], rtol=1e-6)
    np.testing.assert_array_equal(_np(hist), [2.0])


def test_histogram_degenerate_and_empty_ranges():
    # one value: range widens by 0.5 on each side (PyTorch)
    _, edges = tt.histogram(tt.tensor([2.0, 2.0]), 2)
    np.testing.assert_array_equal(_np(edges), [1.5, 2.0, 2.5])
    _, edges = tt.histogram(tt.tensor([5.0]), 2, range=(1.0, 1.0))
    np.testing.assert_array_equal(_np(edges), [0.5, 1.0, 1.5])
    # an empty input without a range bins [0, 1], as PyTorch does
    hist, edges = tt.histogram(tt.tensor(np.zeros(0)), 2)
    np.testing.assert_array_equal(_np(edges), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(_np(hist), [0.0, 0.0])


def test_histogram_weight_and_density():
    x = tt.tensor(np.array([0.1, 0.2, 0.9]))
    hist, _ = tt.histogram(x, 2, range=(0.0, 1.0), weight=tt.tensor(np.array([1.0, 2.0, 4.0])))
    np.testing.assert_array_equal(_np(hist), [3.0, 4.0])
    hist, _ = tt.histogram(x, 2, range=(0.0, 1.0), density=True)
    # bins of width 0.5; 2/3 and 1/3 of the mass: densities 4/3 and 2/3
    np.testing.assert_allclose(_np(hist), [4 / 3, 2 / 3], rtol=1e-12)
    hist, _ = tt.histogram(x, tt.tensor(np.array([0.0, 0.15, 1.0])))
    np.testing.assert_array_equal(_np(hist), [1.0, 2.0])


def test_histogram_errors():
    x = tt.tensor(np.array([0.1, 0.2]))
    with pytest.raises(RuntimeError, match="^histogram: expected a floating point input, got"):
        tt.histogram(tt.tensor([1, 2]), 2)
    with pytest.raises(RuntimeError, match="^histogram: weight dtype .*float32.* must equal"):
        tt.histogram(x, 2, weight=tt.tensor(np.ones(2, np.float32)))
    with pytest.raises(RuntimeError, match=r"^histogram: weight \(3,\) must have input's shape"):
        tt.histogram(x, 2, weight=tt.ones(3, dtype=tt.float64))
    for shape in ((1, 2), (0,), (1,)):  # PyTorch needs 1-D edges, at least 2 (one bin)
        with pytest.raises(RuntimeError, match=rf"^histogram: bins must be a 1-D tensor .*{shape}"):
            tt.histogram(x, tt.ones(*shape, dtype=tt.float64))
    x32 = tt.tensor(np.array([0.7, 0.2], np.float32))
    edges64 = tt.tensor(np.array([0.0, 0.7, 1.0]))
    with pytest.raises(
        RuntimeError, match=r"^histogram: bins dtype .*float64 must equal the input's .*float32"
    ):
        tt.histogram(x32, edges64)
    with pytest.raises(RuntimeError, match=r"^histogramdd: bins dtype .*float64 must equal"):
        tt.histogramdd(x32.reshape(1, 2), [edges64, edges64.float()])
    hist, edges = tt.histogram(x32, edges64.float())  # 0.7 in float32 sits on the edge
    assert edges.dtype == tt.float32
    np.testing.assert_array_equal(_np(hist), [1.0, 1.0])
    for bad in (0, -1, True, 2.0):
        with pytest.raises(RuntimeError, match="^histogram: bins must be a positive int"):
            tt.histogram(x, bad)
    with pytest.raises(RuntimeError, match=r"^histogram: min 1.0 should not exceed max 0.0"):
        tt.histogram(x, 2, range=(1.0, 0.0))
    with pytest.raises(RuntimeError, match=r"^histogram: range of \[.*\] is not finite"):
        tt.histogram(x, 2, range=(0.0, float("inf")))
    with pytest.raises(RuntimeError, match=r"^histogram: range of \[.*\] is not finite"):
        tt.histogram(tt.tensor(np.array([0.0, np.nan])), 2)
    # a one-bin histogram is valid, as int or as two edges
    np.testing.assert_array_equal(_np(tt.histogram(x, 1).hist), [2.0])
    np.testing.assert_array_equal(
        _np(tt.histogram(x, tt.tensor(np.array([0.0, 0.15]))).hist), [1.0]
    )


_P = np.array([[0.0, 0.0], [1.0, 2.0], [1.0, 1.0], [0.25, 1.5]])


def test_histogramdd_hand_values():
    hist, edges = tt.histogramdd(tt.tensor(_P), bins=[2, 1])
    assert len(edges) == 2
    np.testing.assert_array_equal(_np(edges[0]), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(_np(edges[1]), [0.0, 2.0])
    np.testing.assert_array_equal(_np(hist), [[2.0], [2.0]])
    hist, _ = tt.histogramdd(tt.tensor(_P), bins=2)  # an int is one count per dimension
    assert hist.shape == (2, 2)
    np.testing.assert_array_equal(_np(hist), [[1.0, 1.0], [0.0, 2.0]])
    # per-dimension range: [0, 1] x [1, 2]; the origin falls outside
    hist, edges = tt.histogramdd(tt.tensor(_P), bins=[1, 2], range=[0.0, 1.0, 1.0, 2.0])
    np.testing.assert_array_equal(_np(edges[1]), [1.0, 1.5, 2.0])
    np.testing.assert_array_equal(_np(hist), [[1.0, 2.0]])


def test_histogramdd_batched_points_weight_float32():
    pts = np.stack([_P, _P[::-1]]).astype(np.float32)  # (2, 4, 2): points are the last axis
    w = np.arange(8.0, dtype=np.float32).reshape(2, 4)
    hist, edges = tt.histogramdd(tt.tensor(pts), bins=[2, 2], weight=tt.tensor(w))
    ref, ref_edges = np.histogramdd(pts.reshape(-1, 2), [2, 2], weights=w.reshape(-1))
    assert hist.dtype == tt.float32 and edges[0].dtype == tt.float32
    np.testing.assert_array_equal(_np(hist), ref)
    for e, r in zip(edges, ref_edges):
        np.testing.assert_array_equal(_np(e), r)
    # empty input: each dimension bins [0, 1]
    hist, edges = tt.histogramdd(tt.zeros(0, 2, dtype=tt.float64), bins=[2, 1])
    np.testing.assert_array_equal(_np(edges[0]), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(_np(hist), [[0.0], [0.0]])


def test_histogramdd_errors():
    p = tt.tensor(_P)
    for bad in (tt.tensor(1.0), tt.tensor(np.array([0.5, 1.5]))):  # PyTorch: points (N, D)
        with pytest.raises(
            RuntimeError, match=r"^histogramdd: input must have at least 2 dimensions .*shape"
        ):
            tt.histogramdd(bad)
    with pytest.raises(RuntimeError, match="^histogramdd: expected a floating point input"):
        tt.histogramdd(tt.tensor([[1, 2]]))
    with pytest.raises(RuntimeError, match=r"^histogramdd: weight \(3,\) must have shape \(4,\)"):
        tt.histogramdd(p, weight=tt.ones(3, dtype=tt.float64))
    with pytest.raises(
        RuntimeError, match=r"^histogramdd: weight \(3,\) must have shape \(2, 3\)$"
    ):
        tt.histogramdd(tt.zeros(2, 3, 2, dtype=tt.float64), weight=tt.ones(3, dtype=tt.float64))
    with pytest.raises(RuntimeError, match=r"^histogramdd: expected 2 bins .*, got 3"):
        tt.histogramdd(p, bins=[1, 2, 3])
    with pytest.raises(
        RuntimeError, match=r"^histogramdd: range must have 2 \* 2 = 4 numbers, got 2"
    ):
        tt.histogramdd(p, range=[0.0, 1.0])
    for bad in (0, True, 1.5):
        with pytest.raises(RuntimeError, match="^histogramdd: bins must be positive ints"):
            tt.histogramdd(p, bins=[2, bad])
    edges = tt.tensor(np.array([0.0, 1.0]))
    for shape in ((1, 2), (1,)):
        with pytest.raises(RuntimeError, match=rf"^histogramdd: bins must be a 1-D .*{shape}"):
            tt.histogramdd(p, bins=[tt.ones(*shape, dtype=tt.float64), edges])
        with pytest.raises(RuntimeError, match=rf"^histogramdd: bins must be a 1-D .*{shape}"):
            tt.histogramdd(p, bins=[edges, tt.ones(*shape, dtype=tt.float64)])
    with pytest.raises(RuntimeError, match=r"^histogramdd: min 2.0 should not exceed max 1.0"):
        tt.histogramdd(p, bins=[1, 1], range=[0.0, 1.0, 2.0, 1.0])
    with pytest.raises(RuntimeError, match=r"^histogramdd: range of \[.*\] is not finite"):
        tt.histogramdd(p, bins=[1, 1], range=[0.0, 1.0, float("-inf"), 1.0])
