"""``linalg.matrix_rank``'s tolerance, against closed forms (no torch): with neither ``atol``
nor ``rtol`` the cut is ``eps * max(m, n) * s_max`` (PyTorch's and NumPy's rule), so a
singular value between ``eps * min(m, n)`` and ``eps * max(m, n)`` (relative) does not count.
The matrices are diagonal, so their singular values are exact."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt


def _diag(m, n, values, dtype):
    a = np.zeros((m, n), dtype)
    for i, v in enumerate(values):
        a[i, i] = v
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8, 2), (2, 8)])
def test_default_cut_uses_the_larger_dim(dtype, shape):
    eps = np.finfo(dtype).eps
    # s = [1, 5 eps]: above eps * min(m, n) = 2 eps, below eps * max(m, n) = 8 eps
    a = _diag(*shape, [1.0, 5 * eps], dtype)
    assert tt.linalg.matrix_rank(tt.tensor(a)).item() == 1
    # s = [1, 9 eps] is above the cut
    b = _diag(*shape, [1.0, 9 * eps], dtype)
    assert tt.linalg.matrix_rank(tt.tensor(b)).item() == 2
    # scaled by s_max: the cut is relative
    c = _diag(*shape, [4.0, 4 * 5 * eps], dtype)
    assert tt.linalg.matrix_rank(tt.tensor(c)).item() == 1


def test_explicit_tolerances():
    a = tt.tensor(_diag(4, 3, [2.0, 0.9, 0.3], np.float64))
    assert tt.linalg.matrix_rank(a, atol=0.5).item() == 2
    assert tt.linalg.matrix_rank(a, rtol=0.1).item() == 3  # cut 0.2
    assert tt.linalg.matrix_rank(a, rtol=0.2).item() == 2  # cut 0.4
    assert tt.linalg.matrix_rank(a, atol=0.1, rtol=0.5).item() == 1  # max(0.1, 1.0)
    assert tt.linalg.matrix_rank(a, tol=0.95).item() == 1  # the legacy absolute tol
    # batched: one rank per matrix
    batch = tt.tensor(np.stack([_diag(4, 3, v, np.float64) for v in ([1, 1, 1], [1, 0, 0])]))
    np.testing.assert_array_equal(tt.linalg.matrix_rank(batch).numpy(), [3, 1])
