"""``max_unpool``'s default output size with padding and stride, ``(in - 1) * s - 2 * p + k``
per dim (PyTorch's formula), and its values, against NumPy (no torch). Windows here do not
overlap (stride >= kernel), so every index is distinct."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F


@pytest.mark.parametrize("nd,size,k,s,p", [
    (1, (9,), (3,), (3,), (1,)),
    (2, (7, 6), (3, 2), (3, 2), (1, 0)),
    (2, (8, 8), (4, 3), (4, 3), (2, 1)),
    (3, (5, 6, 4), (3, 3, 2), (3, 4, 2), (1, 1, 0)),
])  # fmt: skip
def test_default_output_size_and_values(nd, size, k, s, p):
    # decreasing along every axis: each window's max is its first in-bounds corner, which lies
    # inside the default output (its indices must, or unpool refuses them, as PyTorch does)
    x = -np.arange(2 * 3 * int(np.prod(size)), dtype=np.float64).reshape((2, 3) + size)
    x = tt.tensor(x / 7.0)
    pooled, idx = getattr(F, f"max_pool{nd}d")(x, k, s, p, return_indices=True)
    out = getattr(F, f"max_unpool{nd}d")(pooled, idx, k, s, p)
    want_size = tuple((pooled.shape[2 + i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(nd))
    assert tuple(out.shape) == (2, 3) + want_size
    ref = np.zeros((2, 3, int(np.prod(want_size))))
    np.put_along_axis(ref, idx.numpy().reshape(2, 3, -1), pooled.numpy().reshape(2, 3, -1), 2)
    np.testing.assert_array_equal(out.numpy(), ref.reshape(out.shape))
    # the module form, and output_size= giving the input's own size back
    m = getattr(tt.nn, f"MaxUnpool{nd}d")(k, s, p)
    np.testing.assert_array_equal(m(pooled, idx).numpy(), out.numpy())
    back = getattr(F, f"max_unpool{nd}d")(pooled, idx, k, s, p, output_size=x.shape[2:])
    assert tuple(back.shape) == tuple(x.shape)
    flat, where = back.numpy().reshape(2, 3, -1), idx.numpy().reshape(2, 3, -1)
    picked = np.take_along_axis(x.numpy().reshape(2, 3, -1), where, 2)
    np.testing.assert_array_equal(np.take_along_axis(flat, where, 2), picked)
