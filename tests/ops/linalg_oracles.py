"""Helpers the linalg NumPy-oracle tests share."""

from __future__ import annotations

import itertools

import numpy as np

import tinytensor as tt


def t64(a, grad=False):
    """A float64 tensor of ``a``."""
    return tt.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def cofactor(m):
    """adj(m)^T from the minors (exact, any rank; m of shape (..., n, n))."""
    n = m.shape[-1]
    out = np.zeros_like(m)
    for i, j in itertools.product(range(n), range(n)):
        minor = np.delete(np.delete(m, i, -2), j, -1)
        out[..., i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out
