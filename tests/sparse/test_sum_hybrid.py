"""sparse.sum over the dense dims of a hybrid COO tensor, against to_dense (issue #25)."""

import numpy as np

import tinytensor as tt


def _hybrid():
    rng = np.random.default_rng(25)
    idx = np.array([[0, 3, 1, 3]])
    val = rng.standard_normal((4, 3))  # sparse_dim=1, one dense dim of size 3
    return tt.sparse_coo_tensor(idx, val, (5, 3))


def test_sum_over_dense_and_mixed_dims_of_hybrid_tensor():
    s = _hybrid()
    assert s.sparse_dim() == 1 and s.dense_dim() == 1
    dense = s.to_dense().numpy()
    for dim in (1, -1):
        got = tt.sparse.sum(s, dim=dim)
        got = got.to_dense() if got.is_sparse else got
        np.testing.assert_allclose(got.numpy(), dense.sum(1), rtol=1e-12)
    both = tt.sparse.sum(s, dim=(0, 1))
    np.testing.assert_allclose(np.asarray(both.numpy()), dense.sum(), rtol=1e-12)


def test_sum_over_dense_dims_of_3d_hybrid():
    rng = np.random.default_rng(7)
    idx = np.array([[0, 2, 1]])
    val = rng.standard_normal((3, 2, 4))
    s = tt.sparse_coo_tensor(idx, val, (3, 2, 4))
    dense = s.to_dense().numpy()
    for dim in (1, 2, (1, 2), (0, 2)):
        got = tt.sparse.sum(s, dim=dim)
        got = got.to_dense() if got.is_sparse else got
        np.testing.assert_allclose(got.numpy(), dense.sum(dim), rtol=1e-12)
