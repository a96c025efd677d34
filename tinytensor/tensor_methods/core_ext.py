"""The rest of the core ``Tensor`` surface: in-place forms of shape and index ops, the random
in-place samplers (``random_``, ``bernoulli_``, ``exponential_``...), ``new_*`` constructors,
memory-layout queries (``stride``, ``data_ptr``...) answered for a contiguous NumPy array, and
the real-dtype answers to complex queries (``conj``, ``real``, ``is_complex``...).
"""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.core import sharedmem as SM
from tinytensor.core import wrap
from tinytensor.ops import creation as C
from tinytensor.ops import elementwise as E
from tinytensor.ops import index as I
from tinytensor.ops import masked as MK
from tinytensor.ops import random as RO
from tinytensor.ops import reduce as R
from tinytensor.ops import shape as S
from tinytensor.ops.inplace import fill_random, inplace


class CoreExtMethods:
    __slots__ = ()

    # --- in-place forms of shape and index ops ----------------------------------------------

    @numpy_aliases
    def index_add_(self, dim, index, source, *, alpha=1):
        return inplace(
            self, lambda s: I.index_add(s, dim, index, source, alpha=alpha), "index_add_"
        )

    def index_put_(self, indices, values, accumulate=False):
        return inplace(self, lambda s: I.index_put(s, indices, values, accumulate), "index_put_")

    def index_put(self, indices, values, accumulate=False):
        return I.index_put(self, indices, values, accumulate)

    @numpy_aliases
    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        if reduce is not None:
            raise NotImplementedError("scatter_(reduce=...): use scatter_reduce_")
        src = src if src is not None else value
        return inplace(self, lambda s: I.scatter(s, dim, index, src), "scatter_")

    @numpy_aliases
    def scatter_add_(self, dim, index, src):
        return inplace(self, lambda s: I.scatter_add(s, dim, index, src), "scatter_add_")

    def take(self, index):
        return I.take(self, index)

    def as_strided(self, size, stride, storage_offset=0):
        return I.as_strided(self, size, stride, storage_offset)

    def tril_(self, diagonal=0):
        return inplace(self, lambda s: S.tril(s, diagonal), "tril_")

    def triu_(self, diagonal=0):
        return inplace(self, lambda s: S.triu(s, diagonal), "triu_")

    def fill_diagonal_(self, fill_value, wrap=False):  # noqa: F811 - PyTorch's name
        """Set the main diagonal (all indices equal) to ``fill_value``; ``wrap`` restarts it
        every ``ncols + 1`` rows of a tall matrix, as NumPy's fill_diagonal."""
        if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
            raise RuntimeError("fill_diagonal_: dimensions must be >= 2 and all of equal length")
        mask = np.zeros(self.shape, dtype=bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        return inplace(self, lambda s: MK.masked_fill(s, C.tensor(mask), fill_value),
                       "fill_diagonal_")  # fmt: skip

    # Shape changes in place: PyTorch changes the tensor's metadata; here the tensor's array
    # is replaced by a reshaped view of itself (same storage), outside any recorded graph.
    def _set_shape(self, arr, name):
        if self._requires_grad:
            raise RuntimeError(
                f"{name}: changing the shape in place of a tensor that requires grad is not "
                "supported; use the out-of-place form"
            )
        self._data = arr
        return self

    def t_(self):
        return self._set_shape(self.t()._data, "t_")

    def transpose_(self, dim0, dim1):
        return self._set_shape(S.transpose(self, dim0, dim1)._data, "transpose_")

    def swapaxes_(self, axis0, axis1):
        return self.transpose_(axis0, axis1)

    def swapdims_(self, dim0, dim1):
        return self.transpose_(dim0, dim1)

    @numpy_aliases
    def squeeze_(self, dim=None):
        return self._set_shape(S.squeeze(self, dim)._data, "squeeze_")

    @numpy_aliases
    def unsqueeze_(self, dim):
        return self._set_shape(S.unsqueeze(self, dim)._data, "unsqueeze_")

    def swapaxes(self, axis0, axis1):
        return S.transpose(self, axis0, axis1)

    def swapdims(self, dim0, dim1):
        return S.transpose(self, dim0, dim1)

    @numpy_aliases
    def split_with_sizes(self, split_sizes, dim=0):
        return S.split(self, list(split_sizes), dim)

    @numpy_aliases
    def unsafe_split(self, split_size, dim=0):
        return S.split(self, split_size, dim)

    @numpy_aliases
    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        return S.split(self, list(split_sizes), dim)

    @numpy_aliases
    def unsafe_chunk(self, chunks, dim=0):
        return S.chunk(self, chunks, dim)

    def resize_(self, *sizes, memory_format=None):
        """Give the tensor shape ``sizes``, keeping the leading values (new ones are zero)."""
        shape = C.shape_args(sizes, "resize_")
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

    def resize_as_(self, the_template, memory_format=None):
        return self.resize_(tuple(the_template.shape))

    def resize(self, *sizes):
        return wrap(self._data.copy()).resize_(*sizes)

    def resize_as(self, tensor):
        return self.resize(tuple(tensor.shape))

    def sum_to_size(self, *size):
        """Sum over the dims that ``size`` broadcasts: the reverse of ``expand``."""
        shape = C.shape_args(size, "sum_to_size")
        try:
            ok = tuple(np.broadcast_shapes(shape, self.shape)) == tuple(self.shape)
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"sum_to_size: size {list(shape)} is not expandable to size "
                               f"{list(self.shape)}")  # fmt: skip
        lead = self.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and self.shape[lead + i] != 1
        )
        out = R.sum(self, dims, True) if dims else self
        return out.reshape(shape)

    # --- random in-place samplers (no gradient) ---------------------------------------------

    def random_(self, from_=0, to=None, *, generator=None):
        if to is None and from_ != 0:
            from_, to = 0, from_
        return fill_random(self, lambda: RO.random_values(self, from_, to, generator), "random_")

    def bernoulli_(self, p=0.5, *, generator=None):
        return fill_random(self, lambda: RO.bernoulli_values(self, p, generator), "bernoulli_")

    def bernoulli(self, p=None, *, generator=None):
        return RO.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return RO.multinomial(self, num_samples, replacement, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return fill_random(self, lambda: RO.cauchy_values(self, median, sigma, generator),
                           "cauchy_")  # fmt: skip

    def exponential_(self, lambd=1.0, *, generator=None):
        return fill_random(self, lambda: RO.exponential_values(self, lambd, generator),
                           "exponential_")  # fmt: skip

    def geometric_(self, p, *, generator=None):
        return fill_random(self, lambda: RO.geometric_values(self, p, generator), "geometric_")

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return fill_random(self, lambda: RO.log_normal_values(self, mean, std, generator),
                           "log_normal_")  # fmt: skip

    # --- Python-function maps (no gradient) -------------------------------------------------

    def apply_(self, callable):
        """Replace every element x by ``callable(x)`` (slow: one Python call per element)."""
        out = np.vectorize(callable, otypes=[self._data.dtype])(self._data)
        return fill_random(self, lambda: out, "apply_")

    def map_(self, tensor, callable):
        """self[i] = callable(self[i], tensor[i]), ``tensor`` broadcast to this shape."""
        other = np.broadcast_to(tensor._data, self.shape)
        out = np.vectorize(callable, otypes=[self._data.dtype])(self._data, other)
        return fill_random(self, lambda: out, "map_")

    def map2_(self, x, y, callable):
        xs, ys = (np.broadcast_to(t._data, self.shape) for t in (x, y))
        out = np.vectorize(callable, otypes=[self._data.dtype])(self._data, xs, ys)
        return fill_random(self, lambda: out, "map2_")

    # --- constructors -------------------------------------------------------------------------

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                          layout=None, pin_memory=False):  # fmt: skip
        return C.empty(tuple(size), dtype=self.dtype if dtype is None else dtype, device=device,
                              requires_grad=requires_grad)  # fmt: skip

    def new(self, *args):
        """Legacy ``x.new(*sizes)`` / ``x.new(data)``: a tensor of ``x``'s dtype."""
        if not args:
            return C.empty(0, dtype=self.dtype)
        if all(isinstance(a, (int, np.integer)) for a in args):
            return C.empty(*args, dtype=self.dtype)
        return C.tensor(args[0], dtype=self.dtype)

    # --- layout and type queries --------------------------------------------------------------

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
        return E.cast(self, D.uint8)

    def char(self):
        return E.cast(self, D.int8)

    def short(self):
        return E.cast(self, D.int16)

    def to_dense(self, dtype=None, *, masked_grad=None):
        return self if dtype is None else self.to(dtype)

    # --- complex queries answered for real tensors ------------------------------------------

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
