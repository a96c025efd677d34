"""Lookups by integer index: ``embedding``, ``embedding_bag`` and ``one_hot``."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.grad_mode import no_grad
from tinytensor.autograd.node import record
from tinytensor.core import bump_version, wrap
from tinytensor.nn.functional._util import float_input, saves
from tinytensor.ops import elementwise as E
from tinytensor.ops._util import as_tensor
from tinytensor.ops.index import index_add
from tinytensor.ops.shape import cat


def _int_indices(input, who, n):
    """The indices as a tensor (the user's own, so backward version-checks it), in [0, n)."""
    indices = as_tensor(input, who)
    idx = indices._data
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"{who}: indices must be an integer tensor (int64), got dtype {idx.dtype}; "
            "convert with .long()"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"{who}: index {bad} is out of range for {n} rows (expected 0..{n - 1})")
    return indices


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """f(idx, W) = W[idx];  dW = g summed into the looked-up rows (none into padding_idx)"""
    w = float_input(weight, "embedding", "weight")
    if w.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, dim), got {w.shape}")
    n, dim = w.shape
    indices = _int_indices(input, "embedding", n)
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(
                f"embedding: padding_idx {padding_idx} must be within num_embeddings {n}"
            )
        padding_idx %= n
    if max_norm is not None:
        _renorm_rows(w, np.unique(indices._data), max_norm, norm_type)
    out = w._data[indices._data.reshape(-1)].reshape(*indices.shape, dim)
    saved = (indices, n, padding_idx, scale_grad_by_freq)
    return record(wrap(out), "Embedding", (input, w), _embedding_backward, saved)


def _embedding_backward(g, indices, n, padding_idx, scale_grad_by_freq):
    flat = indices._data.reshape(-1)
    dim = g.shape[-1]
    g2 = g.reshape(-1, dim)
    scale = np.ones(flat.shape, g2._data.dtype)
    if scale_grad_by_freq:
        counts = np.bincount(flat, minlength=n)
        scale = scale / counts[flat]
    if padding_idx is not None:
        scale = scale * (flat != padding_idx)
    if scale_grad_by_freq or padding_idx is not None:
        g2 = g2 * wrap(scale[:, None].astype(g2._data.dtype))
    return None, index_add(wrap(np.zeros((n, dim), g2._data.dtype)), 0, flat, g2)


def _renorm_rows(w, rows, max_norm, norm_type):
    with no_grad():
        sub = w._data[rows]
        norms = np.linalg.norm(sub, ord=norm_type, axis=1, keepdims=True)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w._data[rows] = sub * scale.astype(sub.dtype)
    bump_version(w)  # changed in place, as PyTorch's embedding_renorm_


def one_hot(tensor, num_classes=-1):
    """(..., ) int64 class indices -> (..., num_classes) int64 one-hot rows"""
    t = as_tensor(tensor, "one_hot")
    idx = t._data
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer (int64) tensor, got dtype {t.dtype}")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: cannot infer the number of classes of an empty tensor")
        num_classes = int(idx.max()) + 1
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise RuntimeError(
            f"one_hot: class values must be in [0, {num_classes - 1}], got min {idx.min()} "
            f"and max {idx.max()}"
        )
    out = np.zeros(idx.shape + (num_classes,), np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.int64), 1, -1)
    return wrap(out)


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """f(idx, W) = sum / mean / max of W[idx] over each bag (rows of a 2-D input, or the runs of
    a 1-D input that ``offsets`` start); padding_idx entries are left out, empty bags give 0"""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    w = float_input(weight, "embedding_bag", "weight")
    n_rows, dim = w.shape
    indices = _int_indices(input, "embedding_bag", n_rows)
    idx = indices._data
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                "GitHub."
            )
        if tuple(per_sample_weights.shape) != idx.shape:
            raise ValueError("embedding_bag: per_sample_weights must have the input's shape")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: offsets has to be None if input is 2D")
        starts = np.arange(0, idx.size, max(idx.shape[1], 1))[: idx.shape[0]]
        ends = starts + idx.shape[1]
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
        offsets = as_tensor(offsets, "embedding_bag")
        off = offsets._data.astype(np.int64).reshape(-1)
        if off.size and off[0] != 0:
            raise ValueError("embedding_bag: offsets[0] has to be 0, i.e., the first sequence")
        # With include_last_offset the last offset only closes the list: the last bag still
        # runs to the end of the input, as in PyTorch.
        starts = off[:-1] if include_last_offset else off
        ends = np.minimum(np.append(starts[1:], idx.size), idx.size)
    else:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D Tensor, got {idx.ndim}D")
    flat = idx.reshape(-1)
    if padding_idx is not None:
        padding_idx %= n_rows
    if max_norm is not None:
        _renorm_rows(w, np.unique(flat), max_norm, norm_type)
    rows = embedding(indices.reshape(-1), w, padding_idx, None, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    keep = np.ones(flat.shape, bool) if padding_idx is None else flat != padding_idx
    counts = np.maximum(ends - starts, 0)
    width = int(counts.max(initial=0))
    pos = starts[:, None] + np.arange(width)[None, :]
    inside = (np.arange(width)[None, :] < counts[:, None]) & (pos < flat.size)
    inside[inside] &= keep[pos[inside]]
    pos = np.where(inside, pos, flat.size)  # the extra row: 0 for sum/mean, -inf for max
    fill = -np.inf if mode == "max" else 0.0
    extra = wrap(np.full((1, dim), fill, w._data.dtype))
    dense = cat([rows, extra])[wrap(pos)]  # (B, width, dim)
    n_in = inside.sum(1)
    if mode == "max":
        if width == 0:
            return wrap(np.zeros((len(starts), dim), w._data.dtype))
        out = E.where(wrap(n_in[:, None] > 0), dense.amax(1), 0.0)
        return saves(out, "EmbeddingBag", indices, offsets)
    out = dense.sum(1)
    if mode == "mean":
        out = out / wrap(np.maximum(n_in, 1)[:, None].astype(w._data.dtype))
    return saves(out, "EmbeddingBag", indices, offsets)
