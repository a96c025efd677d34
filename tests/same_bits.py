"""Bit-for-bit comparison of float results for the edge-value tests: the same dtype and shape,
NaN where NaN, and elsewhere equal values with equal signs of zero."""

from __future__ import annotations

import numpy as np


def assert_same_bits(got, want):
    """``got`` equals ``want`` bit for bit, up to the payload of a NaN."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype)
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan], want[~nan])
    np.testing.assert_array_equal(np.signbit(got[~nan]), np.signbit(want[~nan]))
