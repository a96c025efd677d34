"""``SparseTensor``: a sparse COO tensor, the subset of PyTorch's that graph networks use.

It holds an ``indices`` tensor (``(sparse_dim, nnz)``, int64) and a ``values`` tensor
(``(nnz, *dense_shape)``) and is not a dense ``Tensor``: it answers the sparse questions
(``indices``, ``values``, ``coalesce``, ``to_dense``, ``_nnz``, ``is_sparse``, ``layout``),
multiplies dense matrices (``@``, ``mm``, ``matmul``, ``tinytensor.sparse.mm``), and every other
tensor operation raises ``NotImplementedError`` naming the operation and the fix
(``.to_dense()``), as PyTorch raises for the operations its sparse backend lacks.

Gradients are those of the values: every operation here is written with differentiable dense
ops on ``values`` (gathers and ``index_add``), so a product ``S @ D`` gives ``D`` its gradient
and ``S``'s values theirs. ``S.grad`` of a sparse leaf is a sparse tensor with ``S``'s indices.
"""

from __future__ import annotations

import numpy as np

from tinytensor._namespace.constants import layout
from tinytensor.core import TensorBase, wrap
from tinytensor.core.size import Size
from tinytensor.ops.creation import zeros
from tinytensor.ops.gather import index_add, index_select

__all__ = ["SparseTensor", "sparse_coo"]

sparse_coo = layout("sparse_coo")


def unsupported(op):
    """The error for an operation a sparse COO tensor does not have."""
    return NotImplementedError(
        f"{op} is not supported on sparse COO tensors; call .to_dense() first (tinytensor's "
        "sparse tensors support to_dense, coalesce, indices, values, _nnz, mm/matmul/@ with a "
        "dense matrix, tinytensor.sparse.mm/addmm/sum and tinytensor.spmm)"
    )


def _linear_index(idx, shape):
    """Row-major position of each column of ``idx`` (``(sparse_dim, nnz)`` int64) in ``shape``."""
    if idx.shape[1] == 0:
        return np.zeros(0, np.int64)
    return np.ravel_multi_index(tuple(idx), tuple(shape)).astype(np.int64)


class SparseTensor:
    """A sparse COO tensor (``layout == tinytensor.sparse_coo``); make one with
    ``tinytensor.sparse_coo_tensor(indices, values, size)`` or ``dense.to_sparse()``."""

    __slots__ = ("_i", "_v", "_size", "_coalesced", "_dense_grad", "_leaf")
    is_sparse = True
    is_sparse_csr = False
    layout = sparse_coo
    is_cpu = True
    device = "cpu"

    def __init__(self, indices, values, size, coalesced=False, leaf=False):
        # internal: indices int64 Tensor (sparse_dim, nnz), values Tensor (nnz, *dense), size tuple
        self._i = indices
        self._v = values
        self._size = tuple(int(s) for s in size)
        self._coalesced = bool(coalesced)
        self._dense_grad = None  # what mm/matmul/@/spmm gave a leaf (dense, as in PyTorch)
        self._leaf = bool(leaf)  # the values are this tensor's own leaf (requires_grad=True)

    # --- what it is ---
    @property
    def shape(self):
        return Size(self._size)

    def size(self, dim=None):
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return self.shape
        return self._size[dim]

    def dim(self):
        """Number of dimensions (sparse plus dense)."""
        return len(self._size)

    @property
    def ndim(self):
        return len(self._size)

    def sparse_dim(self):
        """Number of sparse dimensions (rows of ``indices``)."""
        return int(self._i.shape[0])

    def dense_dim(self):
        """Number of dense dimensions (those of each value)."""
        return self._v.dim() - 1

    @property
    def dtype(self):
        return self._v.dtype

    def _nnz(self):
        """Number of stored entries (duplicates counted until ``coalesce``)."""
        return int(self._i.shape[1])

    def is_coalesced(self):
        """True when the indices are sorted and unique (``coalesce()``, ``to_sparse()``)."""
        return self._coalesced

    def numel(self):
        """Number of elements of the dense tensor this stands for."""
        return int(np.prod(self._size, dtype=np.int64))

    # --- its parts ---
    def indices(self):
        """The ``(sparse_dim, nnz)`` int64 indices of a coalesced tensor."""
        if not self._coalesced:
            raise RuntimeError(
                "Cannot get indices on an uncoalesced tensor, please call .coalesce() first"
            )
        return self._i

    def values(self):
        """The ``(nnz, *dense_shape)`` values of a coalesced tensor (differentiable)."""
        if not self._coalesced:
            raise RuntimeError(
                "Cannot get values on an uncoalesced tensor, please call .coalesce() first"
            )
        return self._v

    def _indices(self):
        """The indices as stored, coalesced or not."""
        return self._i

    def _values(self):
        """The values as stored, coalesced or not."""
        return self._v

    def coalesce(self):
        """Indices sorted (row-major) and unique; the values of repeated indices summed."""
        if self._coalesced:
            return self
        sd = self.sparse_dim()
        lin = _linear_index(self._i._data, self._size[:sd])
        uniq, inverse = np.unique(lin, return_inverse=True)
        idx = np.stack(np.unravel_index(uniq, self._size[:sd])).reshape(sd, len(uniq))
        vals = zeros((len(uniq),) + tuple(self._v.shape[1:]), dtype=self._v.dtype)
        vals = index_add(vals, 0, wrap(inverse.reshape(-1).astype(np.int64)), self._v)
        return SparseTensor(wrap(idx.astype(np.int64)), vals, self._size, coalesced=True)

    def to_dense(self, dtype=None, *, masked_grad=None):
        """The dense tensor (repeated indices summed); differentiable in the values."""
        sd = self.sparse_dim()
        lin = _linear_index(self._i._data, self._size[:sd])
        flat = zeros((int(np.prod(self._size[:sd], dtype=np.int64)),) + self._size[sd:],
                     dtype=self._v.dtype)  # fmt: skip
        out = index_add(flat, 0, wrap(lin), self._v).reshape(self._size)
        return out if dtype is None else out.to(dtype)

    # --- autograd ---
    @property
    def requires_grad(self):
        return self._v.requires_grad

    @property
    def is_leaf(self):
        return self._leaf or not self._v.requires_grad

    @property
    def grad_fn(self):
        return None if self._leaf else self._v.grad_fn

    @property
    def grad(self):
        """A leaf's gradient, as PyTorch gives it: sparse (at the distinct stored positions,
        not marked coalesced) from ``sparse.mm``, ``to_dense`` and ``coalesce``; dense from
        ``mm``, ``matmul``, ``@`` and ``spmm``, which give the whole matrix a gradient (the two
        kinds add up to a dense one). None before any backward, and for
        a tensor that is not a leaf."""
        if not self._leaf:
            return None
        g = self._v.grad
        sparse = None
        if g is not None:
            lin = _linear_index(self._i._data, self._size[: self.sparse_dim()])
            _, first = np.unique(lin, return_index=True)
            sparse = SparseTensor(wrap(self._i._data[:, first].copy()),
                                  wrap(g._data[first].copy()), self._size)  # fmt: skip
        if self._dense_grad is None:
            return sparse
        return self._dense_grad if sparse is None else self._dense_grad + sparse.to_dense()

    @grad.setter
    def grad(self, value):
        if value is not None:
            raise RuntimeError("SparseTensor.grad can only be set to None")
        self._v.grad = None
        self._dense_grad = None

    def _take_dense_grad(self, g):
        g = g.detach()
        self._dense_grad = g if self._dense_grad is None else self._dense_grad + g

    def _dense_stand_in(self):
        """For a leaf in mm/matmul/@/spmm: a dense copy whose gradient becomes ``self.grad``."""
        m = self.detach().to_dense().requires_grad_(True)
        m.register_hook(self._take_dense_grad)
        return m

    def _leaf_wants_dense_grad(self, op):
        return op != "sparse.mm" and self._leaf

    def requires_grad_(self, requires_grad=True):
        """Make this tensor a leaf that records operations for autograd (its values become
        its own leaf)."""
        if not self.is_leaf:
            raise RuntimeError(
                "requires_grad_: you can only change requires_grad flags of leaf variables; this "
                "sparse tensor's values come from other tensors' operations"
            )
        if requires_grad and not self._leaf:
            self._v = self._v.detach().requires_grad_(True)
            self._leaf = True
        elif not requires_grad and self._leaf:
            self._v = self._v.detach()
            self._leaf = False
        return self

    def detach(self):
        """The same indices with detached values."""
        return SparseTensor(self._i, self._v.detach(), self._size, self._coalesced)

    # --- conversions ---
    def to(self, *args, **kwargs):
        """``Tensor.to``'s arguments, applied to the values (a dtype converts them)."""
        vals = self._v.to(*args, **kwargs)
        if vals is self._v:
            return self
        return SparseTensor(self._i, vals, self._size, self._coalesced)

    def cpu(self):
        """Itself: tinytensor computes on the CPU."""
        return self

    def float(self):
        """Values as float32."""
        return SparseTensor(self._i, self._v.float(), self._size, self._coalesced)

    def double(self):
        """Values as float64."""
        return SparseTensor(self._i, self._v.double(), self._size, self._coalesced)

    def to_sparse(self, *args, **kwargs):
        """Itself (already sparse COO)."""
        return self

    def t(self):
        """The transpose of a 2-D sparse tensor (indices swapped; not coalesced)."""
        if self.sparse_dim() != 2 or self.dense_dim() != 0:
            raise RuntimeError(
                f"t() expects a 2-D sparse tensor with no dense dims, got size {self._size} "
                f"with sparse_dim {self.sparse_dim()}"
            )
        idx = wrap(self._i._data[::-1].copy())
        return SparseTensor(idx, self._v, self._size[::-1], coalesced=False)

    # --- products ---
    def _matmul_dense(self, other, op="mm"):
        """``self @ other`` for a 2-D ``self`` and a dense 1-D or 2-D ``other``."""
        if isinstance(other, SparseTensor):
            raise unsupported(f"{op} of two sparse tensors")
        if not isinstance(other, TensorBase):
            raise TypeError(f"{op}: expected a dense Tensor, got {type(other).__name__}")
        if self.dim() != 2 or self.dense_dim() != 0:
            raise RuntimeError(
                f"{op}: the sparse operand must be a 2-D matrix with no dense dims, got size "
                f"{self._size} with sparse_dim {self.sparse_dim()}"
            )
        if other.dim() not in (1, 2) or other.shape[0] != self._size[1]:
            raise RuntimeError(
                f"{op}: shapes {self._size} and {tuple(other.shape)} cannot be multiplied "
                f"({self._size[1]} != {other.shape[0] if other.dim() else 'a 0-d tensor'})"
            )
        if other.dtype != self.dtype:
            raise RuntimeError(
                f"{op}: expected both operands to have the same dtype, but got {self.dtype} "
                f"(sparse) and {other.dtype} (dense); convert one with .to()"
            )
        if self._leaf_wants_dense_grad(op):
            return self._dense_stand_in().matmul(other)
        rows, cols = self._i._data[0], self._i._data[1]
        vec = other.dim() == 1
        dense = other.unsqueeze(1) if vec else other
        picked = index_select(dense, 0, wrap(cols.astype(np.int64)))
        contrib = picked * self._v.unsqueeze(1)
        out = zeros((self._size[0], dense.shape[1]), dtype=contrib.dtype)
        out = index_add(out, 0, wrap(rows.astype(np.int64)), contrib)
        return out.squeeze(1) if vec else out

    def _rmatmul_dense(self, other, op="mm"):
        """``other @ self`` for a dense 2-D ``other``: ``(self.t() @ other.t()).t()``."""
        if not isinstance(other, TensorBase) or other.dim() != 2:
            raise unsupported(f"{op} with a sparse right operand and a non-matrix left one")
        if self._leaf_wants_dense_grad(op):
            self.t()._matmul_dense(other.t(), "sparse.mm")  # the same checks
            return other.matmul(self._dense_stand_in())
        return self.t()._matmul_dense(other.t(), op).t()

    def mm(self, mat2):
        """``self @ mat2`` with ``mat2`` dense: a dense result."""
        return self._matmul_dense(mat2, "mm")

    def matmul(self, other):
        """``self @ other`` with ``other`` dense (1-D or 2-D)."""
        return self._matmul_dense(other, "matmul")

    def __matmul__(self, other):
        return self._matmul_dense(other, "matmul")

    def __rmatmul__(self, other):
        return self._rmatmul_dense(other, "matmul")

    def __repr__(self):
        idx = repr(self._i).replace("\n", "\n" + " " * 15)
        vals = repr(self._v.detach()).replace("\n", "\n" + " " * 14)
        return (
            f"tensor(indices={idx},\n       values={vals},\n       "
            f"size={self._size}, nnz={self._nnz()}, layout=tinytensor.sparse_coo"
            + (", requires_grad=True)" if self.requires_grad and self.is_leaf else ")")
        )

    def __len__(self):
        if not self._size:
            raise TypeError("len() of a 0-d tensor")
        return self._size[0]

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise unsupported(f"Tensor.{name}")


def _refuse(name):
    def method(self, *args, **kwargs):
        raise unsupported(name)

    method.__name__ = name
    return method


for _op in (
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __pow__ "
    "__rpow__ __neg__ __abs__ __getitem__ __setitem__ __iadd__ __isub__ __imul__ __itruediv__ "
    "__lt__ __le__ __gt__ __ge__ __array__ __bool__ __float__ __int__ __iter__"
).split():
    setattr(SparseTensor, _op, _refuse(_op))
