"""More shape ops as ``Tensor`` methods (``diag``, ``roll``, ``rot90``, ``unfold``, ``tile``,
``tensor_split``, ``select``, ``narrow``, ...) and the ``new_*`` constructors, which make a
tensor of this tensor's dtype. Each is one call into ``tinytensor.ops.shape_ext``, ``shape``
or ``creation``.
"""

from __future__ import annotations

from tinytensor._namespace.conventions import numpy_aliases
from tinytensor.core import TensorBase
from tinytensor.ops import creation as CR
from tinytensor.ops import shape as S
from tinytensor.ops import shape_ext as X


class ShapeExtMethods:
    __slots__ = ()

    def diag(self, diagonal=0):
        return X.diag(self, diagonal)

    def diagflat(self, offset=0):
        return X.diagflat(self, offset)

    def roll(self, shifts, dims=None):
        return X.roll(self, shifts, dims)

    def rot90(self, k=1, dims=(0, 1)):
        return X.rot90(self, k, dims)

    @numpy_aliases
    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return X.repeat_interleave(self, repeats, dim, output_size=output_size)

    def unfold(self, dimension, size, step):
        return X.unfold(self, dimension, size, step)

    def tile(self, *dims):
        return X.tile(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims)

    @numpy_aliases
    def tensor_split(self, indices_or_sections, dim=0):
        return X.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections):
        return X.hsplit(self, indices_or_sections)

    def vsplit(self, indices_or_sections):
        return X.vsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        return X.dsplit(self, indices_or_sections)

    def flipud(self):
        return X.flipud(self)

    def fliplr(self):
        return X.fliplr(self)

    @numpy_aliases
    def select(self, dim, index):
        return X.select(self, dim, index)

    @numpy_aliases
    def narrow(self, dim, start, length):
        return S.narrow(self, dim, start, length)

    @numpy_aliases
    def narrow_copy(self, dim, start, length):
        return X.narrow_copy(self, dim, start, length)

    def movedim(self, source, destination):
        return S.movedim(self, source, destination)

    def moveaxis(self, source, destination):
        return S.movedim(self, source, destination)

    # --- new_* constructors: this tensor's dtype unless told otherwise --------------------------

    def new_zeros(
        self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False
    ):
        return CR.zeros(
            *size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device
        )

    def new_ones(
        self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False
    ):
        return CR.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device)

    def new_empty(
        self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False
    ):
        return CR.empty(
            *size, dtype=dtype or self.dtype, requires_grad=requires_grad, device=device
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
