"""Joining tensors into one: ``block_diag``, ``cartesian_prod`` and ``combinations`` (each a
composition of differentiable ops). ``cat``/``stack`` and their h/v/d/column forms, the splits
and ``meshgrid`` still live in ops/shape.py and ops/shape_ext.py until the shape family is
regrouped into views, joins and rearrangements."""

from __future__ import annotations

import itertools

import numpy as np

from tinytensor._dtype import get_default_dtype
from tinytensor.core import wrap
from tinytensor.ops import index as I
from tinytensor.ops import shape as S
from tinytensor.ops._util import as_tensor
from tinytensor.ops.creation import zeros_of
from tinytensor.ops.index import getitem

__all__ = [
    "block_diag",
    "cartesian_prod",
    "combinations",
]


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (itertools.product)"""
    ts = [as_tensor(t, "cartesian_prod") for t in tensors]
    if not ts or any(t.ndim != 1 for t in ts):
        raise RuntimeError(
            f"cartesian_prod: expected 1-D tensors, got shapes {[tuple(t.shape) for t in ts]}"
        )
    if len(ts) == 1:
        return ts[0]
    grids = np.meshgrid(*[np.arange(t.shape[0]) for t in ts], indexing="ij")
    # Row positions from the shapes alone: constants of a compiled program.
    cols = [getitem(t, wrap(I.const_array(g.reshape(-1)))) for t, g in zip(ts, grids)]
    return S.stack(cols, 1)


def block_diag(*tensors):
    """f(A, B, ...) = the block-diagonal matrix with blocks A, B, ... (0-d and 1-d as rows)"""
    ts = [as_tensor(t, "block_diag") for t in tensors]
    if any(t.ndim > 2 for t in ts):
        raise RuntimeError(
            "block_diag: input tensors must have 2 or fewer dimensions, got shapes "
            f"{[tuple(t.shape) for t in ts]}"
        )
    if not ts:
        return zeros_of((1, 0), get_default_dtype().np)
    mats = [S.reshape(t, (1, -1)) if t.ndim < 2 else t for t in ts]
    dtype = np.result_type(*[t._data.dtype for t in ts])
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        m = m.to(wrap(np.zeros((), dtype)).dtype) if m._data.dtype != dtype else m
        r, c = m.shape
        lo = zeros_of((r, left), dtype)
        hi = zeros_of((r, width - left - c), dtype)
        rows.append(S.cat([lo, m, hi], 1))
        left += c
    return S.cat(rows, 0)


def combinations(input, r=2, with_replacement=False):  # noqa: A002
    """f(a) = the length-r combinations of a's elements, as rows (itertools.combinations)"""
    a = as_tensor(input, "combinations")
    if a.ndim != 1:
        raise RuntimeError(f"combinations: expect a 1-D vector, got shape {tuple(a.shape)}")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 0:
        raise RuntimeError(f"combinations: r must be a non-negative int, got {r!r}")
    if r == 0:
        return zeros_of((0,), a._data.dtype)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(a.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return I.getitem(a, wrap(I.const_array(idx)))  # positions from the size alone: a constant
