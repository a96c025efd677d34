"""Lookups by integer index: ``embedding``, ``embedding_bag`` and ``one_hot``."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.grad_mode import no_grad
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import bump_version, wrap
from tinytensor.nn.functional._util import float_input, saves
from tinytensor.ops import creation as C
from tinytensor.ops import selection as SEL
from tinytensor.ops._util import as_tensor
from tinytensor.ops.join import cat


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
    saved = (indices, n, padding_idx, scale_grad_by_freq)
    return EMBEDDING.apply((indices, w), (indices._data, w._data), saved)


def _embedding_kernel(idx, w):
    return w[idx.reshape(-1)].reshape(*idx.shape, w.shape[1])


def _embedding_backward(g, indices, n, padding_idx, scale_grad_by_freq):
    return None, _dense_grad(g, indices, n, padding_idx, scale_grad_by_freq)


def _dense_grad(g, indices, n, padding_idx, scale_grad_by_freq):
    """`f(g)` = the rows of g (scaled) summed into an (n, dim) gradient at the looked-up
    rows;  `dg = gg[idx]` (0 at padding_idx)"""
    attrs = {"n": n, "padding_idx": padding_idx, "scale_grad_by_freq": scale_grad_by_freq}
    saved = (indices, n, padding_idx, scale_grad_by_freq)
    return EMBEDDING_DENSE_GRAD.apply((g, indices), (g._data, indices._data), saved, attrs)


def _row_scale(flat, dtype, n, padding_idx, scale_grad_by_freq):
    """Each looked-up row's factor (1/its count with scale_grad_by_freq, 0 at padding_idx),
    or None if all are 1."""
    if not scale_grad_by_freq and padding_idx is None:
        return None
    scale = np.ones(flat.shape, dtype)
    if scale_grad_by_freq:
        scale = scale / np.bincount(flat, minlength=n)[flat]
    if padding_idx is not None:
        scale = scale * (flat != padding_idx)
    return scale[:, None].astype(dtype)


def _dense_grad_kernel(gd, idx, *, n, padding_idx, scale_grad_by_freq):
    flat = idx.reshape(-1)
    dim = gd.shape[-1]
    g2 = gd.reshape(-1, dim)
    scale = _row_scale(flat, g2.dtype, n, padding_idx, scale_grad_by_freq)
    if scale is not None:
        g2 = g2 * scale
    out = np.zeros((n, dim), g2.dtype)
    np.add.at(out, flat, g2)
    return out


def _dense_grad_backward(gg, indices, n, padding_idx, scale_grad_by_freq):
    # As PyTorch's embedding_dense_double_backward: the lookup of gg with padding_idx's rows
    # zeroed, not scaled by frequency.
    return _masked_lookup(gg, indices, n, padding_idx), None


def _masked_lookup(w, indices, n, padding_idx):
    """`f(w) = w[idx]` with the rows at padding_idx 0;  `dw = dense_grad(g)` (no scaling)"""
    attrs = {"n": n, "padding_idx": padding_idx, "scale_grad_by_freq": False}
    saved = (indices, n, padding_idx)
    return EMBEDDING_MASKED_LOOKUP.apply((w, None), (w._data, indices._data), saved, attrs)


def _masked_lookup_kernel(wd, idx, *, n, padding_idx, scale_grad_by_freq):
    out = wd[idx.reshape(-1)]
    scale = _row_scale(idx.reshape(-1), out.dtype, n, padding_idx, scale_grad_by_freq)
    if scale is not None:
        out = out * scale
    return out.reshape(*idx.shape, wd.shape[1])


def _masked_lookup_backward(g, indices, n, padding_idx):
    return _dense_grad(g, indices, n, padding_idx, False), None


EMBEDDING = Primitive("Embedding", _embedding_kernel, _embedding_backward)
EMBEDDING_DENSE_GRAD = Primitive("EmbeddingBackward", _dense_grad_kernel, _dense_grad_backward)
EMBEDDING_MASKED_LOOKUP = Primitive(
    "EmbeddingMaskedLookup", _masked_lookup_kernel, _masked_lookup_backward
)


def _renorm_rows(w, rows, max_norm, norm_type):
    with no_grad():
        sub = w._data[rows]
        norms = np.linalg.norm(sub, ord=norm_type, axis=1, keepdims=True)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w._data[rows] = sub * scale.astype(sub.dtype)
    bump_version(w)  # changed in place, as PyTorch's embedding_renorm_


def one_hot(input, num_classes=-1):
    """(..., ) int64 class indices -> (..., num_classes) int64 one-hot rows"""
    t = as_tensor(input, "one_hot")
    idx = t._data
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer (int64) tensor, got dtype {t.dtype}")
    prim = ONE_HOT
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: cannot infer the number of classes of an empty tensor")
        num_classes = int(idx.max()) + 1
        prim = ONE_HOT_INFERRED  # the output's width came from the values
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise RuntimeError(
            f"one_hot: class values must be in [0, {num_classes - 1}], got min {idx.min()} "
            f"and max {idx.max()}"
        )
    return prim.apply((t,), (idx,), (), {"num_classes": num_classes})


def _one_hot_kernel(idx, *, num_classes):
    out = np.zeros(idx.shape + (num_classes,), np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.int64), 1, -1)
    return out


ONE_HOT = Primitive("OneHot", _one_hot_kernel)
ONE_HOT_INFERRED = Primitive("OneHot", _one_hot_kernel, data_dependent=True)


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
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
        offsets = as_tensor(offsets, "embedding_bag")
        off = offsets._data.astype(np.int64).reshape(-1)
        if off.size and off[0] != 0:
            raise ValueError("embedding_bag: offsets[0] has to be 0, i.e., the first sequence")
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
    # Where each bag reads (its rows, padded to the longest bag with the extra row), whether it
    # has any, and its count: by a kernel on the indices and offsets. With offsets the bags'
    # width comes from their values (data-dependent); a 2-D input's from its shape.
    prim = BAG_LAYOUT if offsets is None else BAG_LAYOUT_BY_OFFSETS
    attrs = {"padding_idx": padding_idx, "include_last_offset": include_last_offset,
             "dtype": w._data.dtype}  # fmt: skip
    pos, has, count = prim.compute(
        (indices, offsets), (idx, None if offsets is None else offsets._data), attrs
    )
    fill = -np.inf if mode == "max" else 0.0  # the extra row: 0 for sum/mean, -inf for max
    extra = C.full((1, dim), fill, dtype=w.dtype)
    dense = cat([rows, extra])[wrap(pos)]  # (B, width, dim)
    if mode == "max":
        if pos.shape[1] == 0:
            return C.zeros((pos.shape[0], dim), dtype=w.dtype)
        out = SEL.where(wrap(has), dense.amax(1), 0.0)
        return saves(out, "EmbeddingBag", indices, offsets)
    out = dense.sum(1)
    if mode == "mean":
        out = out / wrap(count)
    return saves(out, "EmbeddingBag", indices, offsets)


def _bag_layout_kernel(idx, off, *, padding_idx, include_last_offset, dtype):
    """(positions (B, width) into the flat indices, the extra row's position where a bag is
    shorter or the entry is padding; (B, 1) whether a bag has any entry; (B, 1) its count,
    at least 1, in ``dtype``)."""
    if idx.ndim == 2:
        starts = np.arange(0, idx.size, max(idx.shape[1], 1))[: idx.shape[0]]
        ends = starts + idx.shape[1]
    else:
        off = off.astype(np.int64).reshape(-1)
        # With include_last_offset the last offset only closes the list: the last bag still
        # runs to the end of the input, as in PyTorch.
        starts = off[:-1] if include_last_offset else off
        ends = np.minimum(np.append(starts[1:], idx.size), idx.size)
    flat = idx.reshape(-1)
    keep = np.ones(flat.shape, bool) if padding_idx is None else flat != padding_idx
    counts = np.maximum(ends - starts, 0)
    width = int(counts.max(initial=0))
    pos = starts[:, None] + np.arange(width)[None, :]
    inside = (np.arange(width)[None, :] < counts[:, None]) & (pos < flat.size)
    inside[inside] &= keep[pos[inside]]
    n_in = inside.sum(1)
    return (np.where(inside, pos, flat.size), n_in[:, None] > 0,
            np.maximum(n_in, 1)[:, None].astype(dtype))  # fmt: skip


BAG_LAYOUT = Primitive("EmbeddingBagLayout", _bag_layout_kernel, multi=True)
BAG_LAYOUT_BY_OFFSETS = Primitive(
    "EmbeddingBagLayout", _bag_layout_kernel, multi=True, data_dependent=True
)
