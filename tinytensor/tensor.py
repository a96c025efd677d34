"""The Tensor: a NumPy array plus what autograd needs to differentiate through it.

Every method here is a thin, named door into an op in ``tinytensor.ops``; the math and the
backward formulas live there. Dunder methods are written out so they can be searched for.
"""

from __future__ import annotations

import weakref

import numpy as np

from tinytensor import _dtype as D
from tinytensor._format import format_tensor
from tinytensor._namespace.constants import preserve_format
from tinytensor.autograd import api, hooks
from tinytensor.core import (
    TensorBase,
    init_tensor,
    set_tensor_class,
    share_version,
    to_array,
    wrap,
)
from tinytensor.core.device import CPU, check_device, device
from tinytensor.ops import binary as BI
from tinytensor.ops import compare as CMP
from tinytensor.ops import index as I
from tinytensor.ops import shape as S
from tinytensor.ops import unary as UN
from tinytensor.ops._util import as_tensor, one_dim
from tinytensor.ops.cast import cast
from tinytensor.ops.inplace import inplace
from tinytensor.ops.linalg import products as L
from tinytensor.tensor_methods.autograd import AutogradMethods
from tinytensor.tensor_methods.index import IndexMethods
from tinytensor.tensor_methods.linalg import LinalgMethods
from tinytensor.tensor_methods.memory import (
    MemoryMethods,
    convert_format,
    copy_preserving_layout,
    format_name,
    to_format,
)
from tinytensor.tensor_methods.pointwise import PointwiseMethods
from tinytensor.tensor_methods.pointwise_inplace import PointwiseInplaceMethods
from tinytensor.tensor_methods.pointwise_math import PointwiseMathMethods
from tinytensor.tensor_methods.random import RandomMethods
from tinytensor.tensor_methods.reduction import ReductionMethods
from tinytensor.tensor_methods.shape import ShapeMethods
from tinytensor.tensor_methods.sort import SortMethods
from tinytensor.types import legacy_dtype, legacy_type_name

# The hot ops, bound once: the dunders below pay no module-attribute lookup (and, since the
# namespace door gives tt.X its out=/aliases, no wrapper either).
_add = BI.add
_sub = BI.sub
_mul = BI.mul
_div = BI.div
_pow = BI.pow
_neg = UN.neg
_matmul = L.matmul
_permute = S.permute
_device = device  # the class, under a name ``to(device=...)`` does not shadow


class Tensor(
    TensorBase,
    # Method families beside the core surface below (attributes, autograd, the Python protocol,
    # conversions), one mixin per file:
    PointwiseMethods,
    ReductionMethods,
    LinalgMethods,
    PointwiseMathMethods,
    PointwiseInplaceMethods,
    SortMethods,
    ShapeMethods,
    IndexMethods,
    RandomMethods,
    MemoryMethods,
    AutogradMethods,
):
    """An n-dimensional array that can record the operations applied to it.

    A tensor made by the user is a *leaf*. If it has ``requires_grad=True``, every operation
    on it (outside ``no_grad``) returns a tensor whose ``grad_fn`` remembers the operation,
    its inputs and a backward closure. ``loss.backward()`` walks that graph in reverse and sums
    d(loss)/d(leaf) into each leaf's ``.grad``.

    Build tensors with ``tinytensor.tensor(data)``, the creation functions (``zeros``,
    ``randn``, ...) or ``tinytensor.from_numpy(array)`` (which shares memory).
    """

    __slots__ = ()
    # Defining __eq__ (elementwise) would unset hashing; tensors hash by identity.
    __hash__ = TensorBase.__hash__

    def __init__(self, *args, dtype=None, requires_grad=False):
        """``Tensor(data)`` copies ``data`` as the default float dtype and ``Tensor(*sizes)``
        makes zeros of that shape, as ``torch.Tensor`` does; prefer ``tinytensor.tensor``,
        which keeps integer and bool data as such."""
        dtype = D.get_default_dtype() if dtype is None else dtype
        if not args:
            arr = np.zeros((0,), D.to_dtype(dtype).np)
        elif all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            arr = np.zeros(tuple(int(a) for a in args), D.to_dtype(dtype).np)
        elif len(args) == 1:
            arr = to_array(args[0], dtype, copy=True)
        else:
            raise TypeError(
                "Tensor(): expected data (a list, number, array or tensor) or integer sizes, "
                f"got {len(args)} arguments of types {[type(a).__name__ for a in args]}"
            )
        init_tensor(self, arr)
        if requires_grad:
            self.requires_grad = True

    # --- attributes -------------------------------------------------------------------------

    @property
    def device(self) -> device:
        """Where the tensor lives: always ``device(type='cpu')``."""
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_xpu(self) -> bool:
        """Whether the tensor is on an Intel XPU: always False (tinytensor computes on the CPU)."""
        return False

    @property
    def is_cpu(self) -> bool:
        return True

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def is_meta(self) -> bool:
        return False

    @property
    def layout(self):
        return "strided"

    @property
    def T(self):
        return _permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        if self.ndim < 2:
            raise RuntimeError(f"mT: expected a tensor with 2 or more dimensions, got {self.ndim}")
        return S.transpose(self, -2, -1)

    def size(self, dim=None):
        if dim is None:
            return self.shape
        return self._data.shape[one_dim(dim, self.ndim, "size")]

    def to(
        self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None
    ):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``, as in PyTorch.

        The device must be the CPU; ``non_blocking`` is accepted (copies here are synchronous)
        and ``copy=True`` always returns a new tensor. ``memory_format`` lays the result out
        in that format (``tinytensor.channels_last``...) unless it already suggests it, as
        PyTorch's does. Differentiable between floating dtypes.
        """
        dev, flags = device, []
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (_device, str)) or (isinstance(a, int) and not isinstance(a, bool)):
                dev = a
            elif isinstance(a, bool):
                flags.append(a)  # to(dtype, non_blocking, copy): the flags positionally
            elif a is not None:
                dtype = a
        copy = copy or (len(flags) > 1 and flags[1])
        if dev is not None:
            check_device(dev, "to()")
        out = self if dtype is None else cast(self, D.to_dtype(dtype))
        out = convert_format(out, memory_format, "to")
        if copy and out is self:
            out = S.clone(self)
        return out

    def cuda(self, device=None, non_blocking=False, memory_format=preserve_format):
        """Always an error: tinytensor computes on the CPU only."""
        check_device("cuda" if device is None else device, "cuda()")

    def pin_memory(self, device=None):
        return self

    def is_pinned(self, device=None) -> bool:
        return False

    def get_device(self) -> int:
        return -1

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """With no argument, the legacy type name, ``'tinytensor.FloatTensor'`` for float32
        (PyTorch's ``'torch.FloatTensor'`` with this package's prefix, as ``str(dtype)`` has it:
        the name of the class ``tinytensor.FloatTensor``). Otherwise the tensor cast to
        ``dtype``: a dtype, a legacy class (``x.type(torch.FloatTensor)``) or its name."""
        if dtype is None:
            return f"tinytensor.{legacy_type_name(self.dtype)}"
        return self.to(legacy_dtype(dtype))

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return cast(self, D.float32)

    def double(self):
        return cast(self, D.float64)

    def half(self):
        return cast(self, D.float16)

    def long(self):
        return cast(self, D.int64)

    def int(self):
        return cast(self, D.int32)

    def bool(self):
        return cast(self, D.bool_)

    # --- autograd -----------------------------------------------------------------------------

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute d(self)/d(leaf) for every leaf that requires grad and sum it into ``.grad``.

        ``gradient`` is d(loss)/d(self) and is required unless ``self`` has one element.
        Unless ``retain_graph`` is true, the graph's saved tensors are freed on the way, so a
        second backward through it raises. ``create_graph=True`` records the backward pass
        itself, so the gradients can be differentiated again. ``inputs`` restricts which
        tensors get ``.grad``.
        """
        api.backward(self, gradient, retain_graph, create_graph, inputs)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self._grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("retain_grad() called on a tensor that does not require grad")
            return
        node = self._grad_fn
        if node.retained is None:
            node.retained = []
        if not any(r() is self for _, r in node.retained):
            node.retained.append((self._out_index, weakref.ref(self)))

    @property
    def retains_grad(self) -> bool:
        node = self._grad_fn
        return bool(
            node is not None and node.retained and any(r() is self for _, r in node.retained)
        )

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a
        replacement gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return hooks.add_hook(self._grad_fn, self._out_index, hook)
        return hooks.add_leaf_hook(self, hook)

    def detach(self):
        """A tensor sharing storage (and version counter) with this one, outside the graph."""
        out = wrap(self._data)
        share_version(out, self)
        return out

    def detach_(self):
        self._grad_fn = None
        self._requires_grad = False
        self._meta = None
        return self

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    def clone(self, *, memory_format=None):
        """A copy with its own storage; gradients flow back to the original. The copy is in
        C order, or channels-last, when ``memory_format`` says so; ``preserve_format`` (None,
        the default) lays it out in this tensor's own stride order, as PyTorch does: a
        transposed or channels-last tensor's copy has its strides, a slice's copy is dense."""
        fmt = "preserve_format" if memory_format is None else format_name(memory_format, "clone")
        if fmt == "preserve_format":
            return copy_preserving_layout(self)
        if fmt == "contiguous_format" or fmt == "legacy_contiguous_format":
            return S.clone(self)
        return to_format(S.clone(self), fmt, "clone")

    # --- Python protocol --------------------------------------------------------------------

    def __repr__(self) -> str:
        return format_tensor(self)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    def __deepcopy__(self, memo):
        out = wrap(self._data.copy())
        out._requires_grad = self._requires_grad and self._grad_fn is None
        if self._grad is not None:
            out._grad = wrap(self._grad._data.copy())
        memo[id(self)] = out
        return out

    # arithmetic
    __add__ = _add  # the op itself: no call in between

    def __radd__(self, other):
        return _add(other, self)

    __sub__ = _sub  # the op itself: no call in between

    def __rsub__(self, other):
        return _sub(other, self)

    __mul__ = _mul  # the op itself: no call in between

    def __rmul__(self, other):
        return _mul(other, self)

    __truediv__ = _div  # the op itself: no call in between

    def __rtruediv__(self, other):
        return _div(other, self)

    def __floordiv__(self, other):
        return BI.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return BI.floor_divide(other, self)

    def __mod__(self, other):
        return BI.remainder(self, other)

    def __rmod__(self, other):
        return BI.remainder(other, self)

    __pow__ = _pow  # the op itself: no call in between

    def __rpow__(self, other):
        return _pow(other, self)

    __matmul__ = _matmul  # the op itself: no call in between

    def __rmatmul__(self, other):
        if isinstance(other, (list, tuple)):  # an extension (PyTorch: TypeError): self's dtype
            other = cast(as_tensor(other, "matmul"), self.dtype)
        return _matmul(other, self)

    __neg__ = _neg

    def __pos__(self):
        return self

    def __abs__(self):
        return UN.abs(self)

    def __invert__(self):
        if self._data.dtype == np.bool_:
            return CMP.logical_not(self)
        if self._data.dtype.kind == "f":  # PyTorch's operator raises TypeError (the op: NotImpl.)
            raise TypeError(f"~ (operator.invert) takes integer and bool tensors, not {self.dtype}")
        return CMP.bitwise_not(self)

    def __and__(self, other):
        return CMP.bitwise_and(self, other)

    def __rand__(self, other):
        return CMP.bitwise_and(other, self)

    def __or__(self, other):
        return CMP.bitwise_or(self, other)

    def __ror__(self, other):
        return CMP.bitwise_or(other, self)

    def __xor__(self, other):
        return CMP.bitwise_xor(self, other)

    def __rxor__(self, other):
        return CMP.bitwise_xor(other, self)

    def __lshift__(self, other):
        return CMP.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return CMP.bitwise_left_shift(other, self)

    def __rshift__(self, other):
        return CMP.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return CMP.bitwise_right_shift(other, self)

    def __iand__(self, other):
        return inplace(self, lambda s: CMP.bitwise_and(s, other), "__iand__")

    def __ior__(self, other):
        return inplace(self, lambda s: CMP.bitwise_or(s, other), "__ior__")

    def __ixor__(self, other):
        return inplace(self, lambda s: CMP.bitwise_xor(s, other), "__ixor__")

    def __ilshift__(self, other):
        return inplace(self, lambda s: CMP.bitwise_left_shift(s, other), "__ilshift__")

    def __irshift__(self, other):
        return inplace(self, lambda s: CMP.bitwise_right_shift(s, other), "__irshift__")

    # comparisons: bool tensors, no gradient. == and != with a non-number (None, a string)
    # fall back to Python's identity comparison instead of raising.
    def __eq__(self, other):
        if other is None or isinstance(other, str):
            return NotImplemented
        return CMP.eq(self, other)

    def __ne__(self, other):
        if other is None or isinstance(other, str):
            return NotImplemented
        return CMP.ne(self, other)

    def __lt__(self, other):
        return CMP.lt(self, other)

    def __le__(self, other):
        return CMP.le(self, other)

    def __gt__(self, other):
        return CMP.gt(self, other)

    def __ge__(self, other):
        return CMP.ge(self, other)

    # augmented assignment is in place, as in PyTorch
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # indexing
    def __getitem__(self, index):
        return I.getitem(self, index)

    def __setitem__(self, index, value):
        I.setitem(self, index, value)

    # --- elementwise --------------------------------------------------------------------------

    # --- reductions --------------------------------------------------------------------------

    # --- shape --------------------------------------------------------------------------------

    # --- indexing -----------------------------------------------------------------------------

    # --- linear algebra -----------------------------------------------------------------------

    # --- in place -----------------------------------------------------------------------------


set_tensor_class(Tensor)
