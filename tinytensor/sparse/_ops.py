"""Making sparse COO tensors and computing with them: ``sparse_coo_tensor``, ``to_sparse``,
``mm``/``spmm``/``addmm`` (sparse @ dense) and ``sum``."""

from __future__ import annotations

import numpy as np

from tinytensor.core import TensorBase, wrap
from tinytensor.ops.creation import tensor
from tinytensor.sparse._coo import SparseTensor, _linear_index, sparse_coo, unsupported

__all__ = ["addmm", "log_softmax", "mm", "softmax", "sparse_coo_tensor", "spmm", "sum",
           "to_sparse"]  # fmt: skip

_builtin_sum = sum


def _as_tensor(x, what):
    if isinstance(x, SparseTensor):
        raise TypeError(f"sparse_coo_tensor: {what} must be dense, got a sparse tensor")
    return x if isinstance(x, TensorBase) else tensor(x)


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):  # fmt: skip
    """A sparse COO tensor with ``values[k]`` at position ``indices[:, k]``.

    ``indices``: ``(sparse_dim, nnz)`` integers; ``values``: ``(nnz, *dense_shape)``; ``size``:
    the full shape (inferred from the largest index and the values' shape when omitted).
    Repeated indices are kept until ``coalesce()`` (and summed by it and by ``to_dense()``).
    ``requires_grad=True`` makes a leaf whose ``.grad`` is sparse; values that already require
    grad keep their graph, so gradients reach them. Indices are always checked against
    ``size`` (``check_invariants`` is accepted; the check is cheap)."""
    i = _as_tensor(indices, "indices")
    v = _as_tensor(values, "values")
    if i.dtype.is_floating_point or i._data.dtype == np.bool_:
        raise RuntimeError(
            f"sparse_coo_tensor: indices must be an int64 tensor, got {i.dtype}; pass integers"
        )
    if i.dim() != 2:
        raise RuntimeError(
            f"sparse_coo_tensor: indices must be a 2-D (sparse_dim, nnz) tensor, but got "
            f"indices of size {tuple(i.shape)}"
        )
    nnz = i.shape[1]
    if v.dim() == 0 or v.shape[0] != nnz:
        raise RuntimeError(
            f"sparse_coo_tensor: indices and values must have the same number of entries "
            f"(nnz), but got {nnz} and {v.shape[0] if v.dim() else 'a 0-d values tensor'}"
        )
    idx = i._data.astype(np.int64, copy=False)
    sd = idx.shape[0]
    if size is None:
        sparse_size = tuple(int(m) + 1 for m in idx.max(1)) if nnz else (0,) * sd
        size = sparse_size + tuple(v.shape[1:])
    else:
        size = tuple(int(s) for s in size)
        if len(size) != sd + v.dim() - 1:
            raise RuntimeError(
                f"sparse_coo_tensor: number of dimensions must be sparse_dim ({sd}) + dense_dim "
                f"({v.dim() - 1}), but got {len(size)} (size={size})"
            )
        if tuple(size[sd:]) != tuple(v.shape[1:]):
            raise RuntimeError(
                f"sparse_coo_tensor: values has dense size {tuple(v.shape[1:])} but size "
                f"{size} has dense size {tuple(size[sd:])}"
            )
    if nnz:
        if (idx < 0).any():
            d = int(np.nonzero((idx < 0).any(1))[0][0])
            raise RuntimeError(
                f"sparse_coo_tensor: found negative index {int(idx[d].min())} for dim {d}"
            )
        high = idx.max(1)
        for d in range(sd):
            if high[d] >= size[d]:
                raise RuntimeError(
                    f"sparse_coo_tensor: size is inconsistent with indices: for dim {d}, size "
                    f"is {size[d]} but found index {int(high[d])} (give a size above every "
                    "index, or leave size out to infer it)"
                )
    if dtype is not None:
        v = v.to(dtype)
    if requires_grad:
        v = v.detach().clone().requires_grad_(True)
    return SparseTensor(wrap(idx.copy()), v, size, coalesced=bool(is_coalesced),
                        leaf=requires_grad)  # fmt: skip


def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """A coalesced sparse COO tensor holding the nonzero entries of the dense ``self``
    (``sparse_dim`` leading dims sparse, the rest dense); the values stay on ``self``'s graph."""
    if layout is not None and layout is not sparse_coo:
        raise NotImplementedError(
            f"to_sparse: layout {layout} is not planned: tinytensor has sparse COO tensors only; "
            "use layout=tinytensor.sparse_coo (the default)"
        )
    if blocksize is not None:
        raise NotImplementedError("to_sparse: blocksize is for block layouts (BSR/BSC), which "
                                  "tinytensor does not have; leave it None")  # fmt: skip
    n = self.dim()
    if sparse_dim is None:
        sparse_dim = n - (dense_dim or 0)
    if not 0 < sparse_dim <= n:
        raise RuntimeError(
            f"to_sparse: sparse_dim must be in [1, {n}] for a {n}-D tensor, got {sparse_dim}"
        )
    arr = self._data
    mask = arr != 0
    if sparse_dim < n:
        mask = mask.reshape(arr.shape[:sparse_dim] + (-1,)).any(-1)
    idx = np.stack(np.nonzero(mask)).reshape(sparse_dim, -1).astype(np.int64)
    values = self[tuple(wrap(row) for row in idx)] if idx.shape[1] else (
        self.reshape((-1,) + tuple(self.shape[sparse_dim:]))[:0])  # fmt: skip
    return SparseTensor(wrap(idx), values, tuple(self.shape), coalesced=True)


def _check_sparse(x, op, position):
    if not isinstance(x, SparseTensor):
        raise TypeError(
            f"{op}: expected a sparse COO tensor as the {position} argument, got "
            f"{type(x).__name__}; make one with .to_sparse() or tinytensor.sparse_coo_tensor"
        )


def mm(mat1, mat2, reduce="sum"):
    """``mat1 @ mat2`` with a sparse COO ``mat1`` (2-D) and a dense ``mat2``; a dense result.
    Gradients reach ``mat2`` and ``mat1``'s values (``mat1.grad`` is sparse, with ``mat1``'s
    indices). A dense ``mat1`` with a sparse ``mat2`` also works."""
    if reduce not in (None, "sum"):
        raise unsupported(f"torch.sparse.mm with reduce={reduce!r}")
    if isinstance(mat1, SparseTensor):
        return mat1._matmul_dense(mat2, "sparse.mm")
    if isinstance(mat2, SparseTensor):
        return mat2._rmatmul_dense(mat1, "sparse.mm")
    raise TypeError(
        "sparse.mm: expected at least one sparse COO operand, got "
        f"{type(mat1).__name__} and {type(mat2).__name__}; use tinytensor.mm for dense ones"
    )


def spmm(input, mat2):  # noqa: A002 - PyTorch's argument name
    """``input @ mat2`` for a sparse COO ``input`` and a dense ``mat2`` (``torch.spmm``)."""
    _check_sparse(input, "spmm", "first")
    return input._matmul_dense(mat2, "spmm")


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """``beta * mat + alpha * (mat1 @ mat2)`` with ``mat`` and ``mat2`` dense, ``mat1`` sparse."""
    _check_sparse(mat1, "sparse.addmm", "second")
    if isinstance(mat, SparseTensor):
        raise unsupported("sparse.addmm with a sparse mat")
    prod = mat1._matmul_dense(mat2, "sparse.addmm")
    if tuple(mat.shape) != tuple(prod.shape):
        mat = mat.expand(prod.shape)
    left = mat if beta == 1 else mat * beta
    return left + (prod if alpha == 1 else prod * alpha)


def sum(input, dim=None, dtype=None):  # noqa: A001, A002 - PyTorch's names
    """The sum of a sparse tensor: over everything (a 0-d dense tensor) or over ``dim`` (an int
    or a tuple): the result stays sparse while some sparse dims remain, else it is dense."""
    _check_sparse(input, "sparse.sum", "first")
    v = input._v if dtype is None else input._v.to(dtype)
    if dim is None:
        return v.sum()
    n, sd = input.dim(), input.sparse_dim()
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    norm = set()
    for d in dims:
        if not -n <= d < n:
            raise IndexError(
                f"sparse.sum: Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                f"but got {d})"
            )
        norm.add(d % n)
    dense_dims = sorted(d - sd + 1 for d in norm if d >= sd)
    if dense_dims:
        v = v.sum(dim=tuple(dense_dims))
    keep = [d for d in range(sd) if d not in norm]
    if not keep:
        return v.sum(0)
    size = tuple(input._size[d] for d in keep) + tuple(
        input._size[d] for d in range(sd, n) if d not in norm
    )
    idx = wrap(input._i._data[keep].copy())
    return SparseTensor(idx, v, size, coalesced=False).coalesce()


def _grouped_softmax(input, dim, dtype, log):
    op = "sparse.log_softmax" if log else "sparse.softmax"
    _check_sparse(input, op, "first")
    n, sd = input.dim(), input.sparse_dim()
    if not isinstance(dim, int) or not -n <= dim < n:
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got "
            f"{dim})"
        )
    dim %= n
    s = input.coalesce()
    v = s._v if dtype is None else s._v.to(dtype)
    if dim >= sd:  # a dense dim: each stored value's own softmax
        d = dim - sd + 1
        out = v.log_softmax(d) if log else v.softmax(d)
        return SparseTensor(s._i, out, s._size, coalesced=True)
    others = [k for k in range(sd) if k != dim]
    idx = s._i._data
    key = (_linear_index(idx[others], [s._size[k] for k in others]) if others
           else np.zeros(idx.shape[1], np.int64))  # fmt: skip
    groups, inverse = np.unique(key, return_inverse=True)
    inverse = wrap(inverse.reshape(-1).astype(np.int64))
    # the largest value of each group (a constant: softmax does not depend on the shift)
    vd = v.detach()._data
    top = np.full((len(groups),) + vd.shape[1:], -np.inf, vd.dtype)
    np.maximum.at(top, inverse._data, vd)
    shifted = v - wrap(top[inverse._data])
    e = shifted.exp()
    totals = e.new_zeros((len(groups),) + tuple(e.shape[1:])).index_add(0, inverse, e)
    per_entry = totals.index_select(0, inverse)
    out = shifted - per_entry.log() if log else e / per_entry
    return SparseTensor(s._i, out, s._size, coalesced=True)


def softmax(input, dim, *, dtype=None):  # noqa: A002 - PyTorch's argument name
    """Softmax along ``dim`` over the stored entries only (entries not stored count as
    ``-inf``, so they stay absent): a sparse tensor with the coalesced input's indices."""
    return _grouped_softmax(input, dim, dtype, log=False)


def log_softmax(input, dim, *, dtype=None):  # noqa: A002 - PyTorch's argument name
    """``log(softmax(input, dim))`` over the stored entries, computed stably."""
    return _grouped_softmax(input, dim, dtype, log=True)
