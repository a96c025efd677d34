"""Helpers the compiler tests share."""

from __future__ import annotations

import numpy as np

import tinytensor as tt


def same(a, b):
    """Equal values, dtype and shape (NaN equal to NaN)."""
    a = a.detach().numpy() if isinstance(a, tt.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, tt.Tensor) else np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def rows(n, width=3, start=0.0):
    """An (n, width) float32 batch of distinct values."""
    return tt.arange(n * width, dtype=tt.float32).reshape(n, width) + start


def dynamic(f):
    """Whether ``f`` holds a program whose batch size B is read on each call."""
    return any(e.program is not None and e.program.dynamic for e in f.entries)


def dynamic_program(f):
    """The program ``f`` replays for every batch size."""
    return next(e.program for e in f.entries if e.program is not None and e.program.dynamic)
