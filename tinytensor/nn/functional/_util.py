"""Argument helpers shared by the functional ops: pairs, reductions, float checks."""

from __future__ import annotations

import numpy as np

from tinytensor.autograd.primitive import Primitive
from tinytensor.core import wrap
from tinytensor.ops._util import as_tensor
from tinytensor.tensor import Tensor


def pair(v, name, who):
    """``3`` -> ``(3, 3)``; ``(2, 3)`` stays; anything else is a clear error."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v), int(v)
    if (
        isinstance(v, (tuple, list))
        and len(v) == 2
        and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in v)
    ):
        return int(v[0]), int(v[1])
    if isinstance(v, (tuple, list)) and len(v) == 1:
        return pair(v[0], name, who)
    if isinstance(v, (tuple, list)) and all(
        isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in v
    ):  # ints, but not two of them: PyTorch's RuntimeError
        raise RuntimeError(
            f"{who}: {name} must either be a single int, or a tuple of two ints, got {list(v)}"
        )
    raise TypeError(f"{who}: {name} must be an int or a pair of ints, got {v!r}")


def float_input(x, who, name="input"):
    """``x`` as a floating Tensor, or a clear TypeError naming the op."""
    if not isinstance(x, Tensor):
        x = as_tensor(x, who)
    if x._data.dtype.kind != "f":
        raise TypeError(
            f"{who}: expected a floating point {name}, got dtype {x.dtype}; convert it with "
            ".float()"
        )
    return x


def same_dtype(who, **tensors):
    """Raise if the named tensors have different dtypes (PyTorch does not promote here)."""
    items = [(k, t) for k, t in tensors.items() if t is not None]
    first_name, first = items[0]
    for k, t in items[1:]:
        if t._data.dtype != first._data.dtype:
            raise TypeError(
                f"{who}: {first_name} has dtype {first.dtype} but {k} has dtype {t.dtype}; "
                f"they must match (convert one with .to({first_name}.dtype))"
            )


def legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average``/``reduce`` flags mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def check_reduction(reduction, who):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{who}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def reduce_loss(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def loss_weight(weight, x, who):
    """PyTorch's per-element ``weight`` of mse/l1/huber loss: a tensor of the input's shape."""
    w = as_tensor(weight)
    if tuple(w.shape) != tuple(x.shape):
        raise ValueError(
            f"{who}: Weights and input must have the same size: weight has shape "
            f"{tuple(w.shape)}, input {tuple(x.shape)} (pass one weight per element)"
        )
    return w


def weighted_loss(loss, w, reduction):
    """Weighted elements reduced as mse_loss and l1_loss do: 'mean' divides by the sum of the
    weights (a weighted average), not by the number of elements."""
    loss = loss * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return reduce_loss(loss, reduction)


def saves(out, name, *tensors):
    """f(y) = y, recorded as ``name`` with ``tensors`` saved: a composite's top node.

    A composite (a loss, a norm) made of smaller ops saves only what those ops read; PyTorch's
    fused kernel saves its inputs (``mse_loss`` keeps input and target). Passing the result
    through this node makes the composite save the same set, so changing one of them in place
    after the forward pass is an error in backward, as in PyTorch. dy = g.
    """
    if not getattr(out, "_requires_grad", False):
        return out
    prim = _SAVES.get(name)
    if prim is None:
        prim = _SAVES[name] = Primitive(name, _identity_kernel, _saves_backward)
    # The same array (a kernel's result), a new tensor with this node: nothing for a replay.
    return prim.record(wrap(out._data), (out,), tensors)


def _identity_kernel(x):
    return x


def _saves_backward(g, *tensors):
    return (g,)


_SAVES = {}  # node name -> the primitive of that composite's top node


_BLOCK = 1024  # rows a BLAS product sums as one running sum; longer sums go as a tree of blocks
_ONES: dict = {}  # dtype -> read-only ones, _BLOCK long


def _ones(n, dtype):
    buf = _ONES.get(dtype)
    if buf is None:
        buf = np.ones(_BLOCK, dtype)
        buf.flags.writeable = False
        _ONES[dtype] = buf
    return buf[:n]


def column_sums(a):
    """The column sums of the C-contiguous 2-D float32/64 array ``a`` by BLAS: ``ones @ a`` for
    up to ``_BLOCK`` rows, else one product per block of ``_BLOCK`` rows and the block sums
    summed the same way, so no running sum is longer than ``_BLOCK`` (the error grows as NumPy's
    pairwise sum's does, not with the row count; 2-3x faster than NumPy's sum over axis 0)."""
    while a.shape[0] > _BLOCK:
        nb, rest = divmod(a.shape[0], _BLOCK)
        whole = a[: nb * _BLOCK].reshape(nb, _BLOCK, a.shape[1])
        parts = np.matmul(_ones(_BLOCK, a.dtype), whole)
        if rest:
            tail = _ones(rest, a.dtype) @ a[nb * _BLOCK :]
            parts = np.concatenate((parts, tail[None]))
        a = parts
    return _ones(a.shape[0], a.dtype) @ a


def copied_into(results, outs):
    """A kernel's ``results`` copied into the arrays ``outs`` (a compiled replay's buffers, for
    an ``into`` that has no direct way; None: that result kept as made); the results."""
    done = []
    for r, o in zip(results, outs):
        if o is not None:
            np.copyto(o, r)
            r = o
        done.append(r)
    return tuple(done)
