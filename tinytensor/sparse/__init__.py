"""``tinytensor.sparse`` (``torch.sparse``): sparse COO tensors, the subset graph networks use.

``tinytensor.sparse_coo_tensor(indices, values, size)`` and ``dense.to_sparse()`` make a
``SparseTensor`` (``layout == tinytensor.sparse_coo``); ``mm``, ``addmm`` and ``sum`` here,
``tinytensor.spmm``, ``tinytensor.mm``/``matmul`` and ``@`` multiply it with dense matrices
(``softmax``/``log_softmax`` normalise over the stored entries),
with gradients for the dense operand and for the sparse values. Any other operation on a
sparse tensor raises ``NotImplementedError`` naming it: call ``.to_dense()`` first. Other
layouts (CSR, CSC, BSR, BSC) are not planned.

>>> import tinytensor as tt
>>> adj = tt.sparse_coo_tensor([[0, 1, 1], [1, 0, 2]], [1.0, 2.0, 3.0], (2, 3))
>>> tt.sparse.mm(adj, tt.ones(3, 2))
tensor([[1., 1.],
        [5., 5.]])
"""

from tinytensor.sparse._coo import SparseTensor, sparse_coo
from tinytensor.sparse._ops import (
    addmm,
    log_softmax,
    mm,
    softmax,
    sparse_coo_tensor,
    spmm,
    sum,
    to_sparse,
)
from tinytensor.tensor import Tensor as _Tensor

__all__ = ["SparseTensor", "addmm", "log_softmax", "mm", "softmax", "sparse_coo",
           "sparse_coo_tensor", "spmm", "sum", "to_sparse"]  # fmt: skip

# The dense side's door into this layout: ``Tensor.to_sparse`` / ``to_sparse_coo`` (the Tensor
# class sits below this package, so the methods are attached here, where the layout lives).
_Tensor.to_sparse = to_sparse
_Tensor.to_sparse_coo = lambda self: to_sparse(self)
_Tensor.to_sparse_coo.__doc__ = "``to_sparse()``: a coalesced sparse COO copy of the nonzeros."
