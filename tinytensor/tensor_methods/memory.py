"""A tensor's memory, layout and type as ``Tensor`` methods: ``resize_``/``resize_as_``, ``stride``,
``storage_offset``, ``data_ptr``, ``share_memory_``/``is_shared``, the ``is_*`` queries and the
small integer casts, the constructors that make a tensor like this one (``new``,
``new_empty_strided`` and the ``new_*`` family), the Python-function maps (``apply_``, ``map_``,
``map2_``), the complex-dtype queries answered for real tensors (``conj``, ``real``,
``H``...) and PyTorch's memory formats (``is_contiguous(memory_format=...)``, and the layouts
``contiguous``/``clone``/``cpu``/``to`` give: C order or channels-last strides)."""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor._namespace import constants as K
from tinytensor.core import TensorBase, wrap
from tinytensor.core import sharedmem as SM
from tinytensor.core.device import check_device
from tinytensor.core.layout import CHANNELS_LAST, format_name, stride_order
from tinytensor.ops import creation as C
from tinytensor.ops import creation as CR
from tinytensor.ops import shape as S
from tinytensor.ops.cast import cast
from tinytensor.ops.inplace import fill_random


def in_format(t, fmt) -> bool:
    """Whether ``t``'s strides are those of memory format ``fmt`` (a name)."""
    if fmt in CHANNELS_LAST:
        rank, order = CHANNELS_LAST[fmt]
        return t.ndim == rank and bool(t._data.transpose(order).flags["C_CONTIGUOUS"])
    return bool(t._data.flags["C_CONTIGUOUS"])


def suggested_format(t) -> str:
    """PyTorch's suggested format: channels-last where the strides are (and C order is not)."""
    for fmt in CHANNELS_LAST:
        if in_format(t, fmt) and not t._data.flags["C_CONTIGUOUS"]:
            return fmt
    return "contiguous_format"


def copy_in_order(t, order):
    """A copy of ``t`` (through the ops, so gradients flow) C-ordered in dim ``order``."""
    if order == tuple(range(t.ndim)):
        return S.clone(t)
    back = tuple(int(i) for i in np.argsort(order))
    return S.permute(S.clone(S.permute(t, order)), back)


def copy_preserving_layout(t):
    """A copy of ``t`` laid out in ``t``'s own stride order (``clone``'s ``preserve_format``):
    C order for a C-ordered tensor, the same strides for a transposed or channels-last one."""
    return copy_in_order(t, stride_order(t._data))


def to_format(t, fmt, name):
    """``t`` laid out in memory format ``fmt``: itself if it already is, else a copy (through
    the ops, so gradients flow). ``preserve_format`` is refused, as PyTorch's contiguous does."""
    if fmt == "preserve_format":
        raise RuntimeError(
            f"{name}: preserve memory format is unsupported by the contiguous operator; pass "
            "contiguous_format or a channels-last format"
        )
    if in_format(t, fmt):
        return t
    if fmt not in CHANNELS_LAST:
        return S.clone(t)  # a C-ordered copy
    rank, order = CHANNELS_LAST[fmt]
    if t.ndim != rank:
        raise RuntimeError(f"{name}: required rank {rank} tensor to use {fmt} format, got a "
                           f"tensor of shape {tuple(t.shape)}")  # fmt: skip
    return copy_in_order(t, order)


def convert_format(t, memory_format, name):
    """``to``/``cpu``'s reading of ``memory_format``: ``t`` itself for ``preserve_format`` (or
    None) and when its suggested format is already ``memory_format``, else ``t`` converted."""
    if memory_format is None:
        return t
    fmt = format_name(memory_format, name)
    if fmt == "preserve_format" or suggested_format(t) == fmt:
        return t
    return to_format(t, fmt, name)


class MemoryMethods:
    __slots__ = ()

    def cpu(self, memory_format=K.preserve_format):
        """The tensor itself (it is on the CPU), or a copy laid out in ``memory_format`` when
        that is not already its suggested format, as PyTorch's."""
        return convert_format(self, memory_format, "cpu")

    def contiguous(self, memory_format=K.contiguous_format):
        """The tensor itself when its strides are already ``memory_format``'s (C order by
        default), else a copy laid out so; gradients flow back through the copy."""
        if memory_format is K.contiguous_format and self._data.flags["C_CONTIGUOUS"]:
            return self  # the common case, without the format's lookup
        return to_format(self, format_name(memory_format, "contiguous"), "contiguous")

    def is_contiguous(self, memory_format=K.contiguous_format) -> bool:
        """Whether the strides are C order (``contiguous_format``, the default) or those of
        the channels-last format given."""
        return in_format(self, format_name(memory_format, "is_contiguous"))

    def resize_(self, *sizes, size=None, memory_format=None):
        """Give the tensor shape ``sizes`` (or ``size=``), keeping the leading values (new ones
        are zero). ``memory_format`` is accepted; the result is C-ordered."""
        shape = C.shape_args(sizes, "resize_", size)
        n = int(np.prod(shape))
        if SM.is_shared(self._data):  # a shared block cannot grow; inside it, resize in place
            if n * self._data.itemsize > SM.capacity(self._data):
                raise RuntimeError("Trying to resize storage that is not resizable")
            if self._data.flags["C_CONTIGUOUS"]:
                root = SM.block_of(self._data)[1]
                start = self._data.__array_interface__["data"][0] - root.__array_interface__[
                    "data"][0]  # fmt: skip
                arr = np.ndarray(shape, self._data.dtype, buffer=root, offset=start)
                return self._set_shape(arr, "resize_")
        flat = self._data.reshape(-1)
        arr = np.zeros(n, self._data.dtype)
        arr[: min(n, flat.size)] = flat[:n]
        return self._set_shape(arr.reshape(shape), "resize_")

    def resize_as_(self, the_template, *, memory_format=None):
        return self.resize_(tuple(the_template.shape))

    def resize(self, *sizes):
        return wrap(self._data.copy()).resize_(*sizes)

    def resize_as(self, tensor):
        return self.resize(tuple(tensor.shape))

    def apply_(self, callable):
        """Replace every element x by ``callable(x)`` (slow: one Python call per element)."""
        out = np.vectorize(callable, otypes=[self._data.dtype])(self._data)
        return fill_random(self, lambda: out, "apply_")

    def map_(self, other, callable):
        """self[i] = callable(self[i], other[i]), ``other`` broadcast to this shape."""
        other = np.broadcast_to(other._data, self.shape)
        out = np.vectorize(callable, otypes=[self._data.dtype])(self._data, other)
        return fill_random(self, lambda: out, "map_")

    def map2_(self, x, y, callable):
        xs, ys = (np.broadcast_to(t._data, self.shape) for t in (x, y))
        out = np.vectorize(callable, otypes=[self._data.dtype])(self._data, xs, ys)
        return fill_random(self, lambda: out, "map2_")

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                          layout=None, pin_memory=False):  # fmt: skip
        return C.empty(tuple(size), dtype=self.dtype if dtype is None else dtype, device=device,
                              requires_grad=requires_grad)  # fmt: skip

    def new(self, *args, size=None, other=None, device=None):
        """Legacy ``x.new(*sizes)`` / ``x.new(size=sizes)`` / ``x.new(data)``: a tensor of
        ``x``'s dtype; ``x.new(t)`` / ``x.new(other=t)``: an alias of ``t`` (same storage, its
        gradient flowing to ``t``), which must have ``x``'s dtype."""
        if device is not None:
            check_device(device, "new()")
        if other is not None or (len(args) == 1 and isinstance(args[0], TensorBase)):
            if other is not None and (args or size is not None):
                raise TypeError(f"new(): other= takes the whole call, got {len(args)} positional "
                                f"argument(s) and size={size!r} beside it")  # fmt: skip
            t = args[0] if other is None else other
            if t.dtype != self.dtype:
                raise TypeError(f"new(): expected a tensor of dtype {self.dtype}, got one of "
                                f"dtype {t.dtype}; convert it with .to({self.dtype})")  # fmt: skip
            return S.view(t, tuple(t.shape))
        if size is not None:
            return C.empty(C.shape_args(args, "new", size), dtype=self.dtype)
        if not args:
            return C.empty(0, dtype=self.dtype)
        if all(isinstance(a, (int, np.integer)) for a in args):
            return C.empty(*args, dtype=self.dtype)
        return C.tensor(args[0], dtype=self.dtype)

    def stride(self, dim=None):
        """Strides in elements, as PyTorch counts them (NumPy counts bytes)."""
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[dim]

    def storage_offset(self) -> int:
        return 0

    def data_ptr(self) -> int:
        return int(self._data.__array_interface__["data"][0])

    def const_data_ptr(self) -> int:
        return self.data_ptr()

    def dim_order(self, *, ambiguity_check=False):
        return tuple(int(i) for i in np.argsort([-s for s in self._data.strides], kind="stable"))

    def ndimension(self) -> int:
        return self.ndim

    def nelement(self) -> int:
        return self.numel()

    def is_shared(self) -> bool:
        """Whether the values live in shared memory (``share_memory_``, or received from
        another process through ``tinytensor.multiprocessing``)."""
        return SM.is_shared(self._data)

    def share_memory_(self):
        """Move the values into shared memory (no-op if already there), so a tensor sent to
        another process through ``tinytensor.multiprocessing`` shares them instead of copying.

        tinytensor tensors own NumPy arrays, so only this tensor moves: views taken before the
        call keep the old memory (take views after sharing). Returns ``self``."""
        if not SM.is_shared(self._data):
            self._data = SM.share_array(self._data)
        return self

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self._data.dtype.kind in "if"

    def is_conj(self) -> bool:
        return False

    def is_neg(self) -> bool:
        return False

    def is_inference(self) -> bool:
        return False

    def is_nonzero(self) -> bool:
        if self.numel() != 1:
            what = "no values" if self.numel() == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return bool(self._data.reshape(-1)[0])

    def is_same_size(self, other) -> bool:
        return tuple(self.shape) == tuple(other.shape)

    @property
    def is_mps(self) -> bool:
        return False

    @property
    def output_nr(self) -> int:
        return 0 if self._meta is None else int(self._meta)

    def byte(self):
        return cast(self, D.uint8)

    def char(self):
        return cast(self, D.int8)

    def short(self):
        return cast(self, D.int16)

    def to_dense(self, dtype=None, *, masked_grad=None):
        return self if dtype is None else self.to(dtype)

    def conj(self):
        return self

    def conj_physical(self):
        return S.clone(self)

    def conj_physical_(self):
        return self

    def resolve_conj(self):
        return self

    def resolve_neg(self):
        return self

    @property
    def real(self):
        return self

    @property
    def H(self):
        return self.t() if self.ndim <= 2 else self.mT

    @property
    def mH(self):
        return self.mT

    def adjoint(self):
        return self.mT

    def new_zeros(
        self, *sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None,
        pin_memory=False,
    ):
        return CR.zeros(
            *sizes, size=size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device
        )

    def new_ones(
        self, *sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None,
        pin_memory=False,
    ):
        return CR.ones(
            *sizes, size=size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device
        )

    def new_empty(
        self, *sizes, size=None, dtype=None, device=None, requires_grad=False, layout=None,
        pin_memory=False,
    ):
        return CR.empty(
            *sizes, size=size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device
        )

    def new_full(
        self,
        size,
        fill_value,
        *,
        dtype=None,
        device=None,
        requires_grad=False,
        layout=None,
        pin_memory=False,
    ):
        return CR.full(
            size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device
        )

    def new_tensor(
        self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False
    ):
        if isinstance(data, TensorBase):
            data = data.detach().numpy()
        return CR.tensor(
            data, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device
        )
