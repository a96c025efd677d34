"""Tensor.cov's weights and Tensor.histogram's default bins, against NumPy (issue #25)."""

import numpy as np

import tinytensor as tt


def test_cov_forwards_fweights_and_aweights():
    rng = np.random.default_rng(25)
    x = rng.standard_normal((3, 6))
    fw = np.array([1, 3, 2, 1, 4, 2])
    aw = np.array([0.5, 1.0, 2.0, 0.3, 1.5, 0.8])
    got = tt.tensor(x).cov(fweights=tt.tensor(fw), aweights=tt.tensor(aw))
    np.testing.assert_allclose(got.numpy(), np.cov(x, fweights=fw, aweights=aw), rtol=1e-12)


def test_histogram_default_is_100_bins():
    rng = np.random.default_rng(25)
    x = rng.standard_normal(500)
    hist, edges = tt.tensor(x).histogram()
    want_h, want_e = np.histogram(x, 100)
    assert hist.shape[0] == 100 and edges.shape[0] == 101
    np.testing.assert_allclose(hist.numpy(), want_h)
    np.testing.assert_allclose(edges.numpy(), want_e, rtol=1e-12)
