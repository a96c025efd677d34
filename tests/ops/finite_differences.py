"""Helpers the NumPy-oracle op tests share: float64 by default, central differences."""

from __future__ import annotations

import numpy as np
import pytest

import tinytensor as tt


@pytest.fixture
def float64_default():
    """Python lists become float64 tensors, so the oracles compare exactly."""
    before = tt.get_default_dtype()
    tt.set_default_dtype(tt.float64)
    yield
    tt.set_default_dtype(before)


def fd_grad(f, x, eps=1e-6):
    """Central finite differences of a scalar function of a float64 array."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g
