"""Lookups by integer index: ``embedding`` and ``one_hot``."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.grad_mode import no_grad
from tinytensor.autograd.node import record
from tinytensor.core import bump_version, wrap
from tinytensor.nn.functional._util import float_input
from tinytensor.ops._util import as_tensor
from tinytensor.ops.index import index_add


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
