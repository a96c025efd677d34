"""The floor under ``Tensor``: storage, dtype, version counter and grad node, and no ops.

``TensorBase`` holds what autograd needs to know about a tensor. The engine and the graph's
nodes import only this module; the ops import it and autograd; ``tinytensor.tensor.Tensor``
subclasses it and adds the method surface (``x.exp()``, ``x + y``) on top of the ops, as
PyTorch keeps ``TensorBase`` under ``Tensor``.

Slots (all read and written by the layers above through the helpers below where one exists):

- ``_data``: the NumPy array;
- ``_requires_grad``, ``_grad_fn`` (the Node that made it, None for a leaf), ``_grad``;
- ``_vc``: the version counter, a one-element list shared by every tensor viewing the same
  storage (None until first needed: a tensor no one saved or viewed has version 0);
- ``_meta``: the output index for the outputs of a node with several, else None;
- ``_hooks``: a leaf's gradient hooks;
- ``_base`` / ``_views``: view bookkeeping for in-place ops (see ``ops/inplace.py``);
- ``_post_hooks``: a leaf's post-accumulate-grad hooks (see ``autograd/hooks.py``).
"""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor.core.size import Size

_new = object.__new__
_new_tuple = tuple.__new__
_ndarray, _asarray = np.ndarray, np.asarray  # globals: an attribute read less in ``wrap``


class TensorBase:
    """A NumPy array plus the autograd state of one tensor; see ``tinytensor.Tensor``."""

    __slots__ = (
        "_data",
        "_requires_grad",
        "_grad_fn",
        "_grad",
        "_vc",
        "_hooks",
        "_meta",
        "_base",  # views only (set in grad mode): (base, view_fn, put_fn); unset otherwise
        "_views",  # bases that require grad: weakrefs to their views; unset otherwise
        "_post_hooks",  # leaves with post-accumulate-grad hooks: {key: hook}; unset otherwise
        "__weakref__",
    )

    # NumPy defers to our reflected operators (ndarray * tensor -> Tensor.__rmul__).
    __array_priority__ = 1000
    __hash__ = object.__hash__

    # --- attributes -------------------------------------------------------------------------

    @property
    def shape(self) -> Size:
        return _new_tuple(Size, self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> D.dtype:
        return D._FROM_NP[self._data.dtype]

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        value = bool(value)
        if self._grad_fn is not None:
            if not value:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf tensors; use "
                    "detach() to get a tensor that does not require grad"
                )
            return
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self.dtype}; "
                "convert it first with .float()"
            )
        self._requires_grad = value

    @property
    def grad(self):
        """The summed gradient of a leaf after ``backward()`` (None until then)."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, TensorBase):
                raise TypeError(
                    f"assigned grad must be a Tensor or None, got {type(value).__name__}"
                )
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has shape {tuple(value.shape)} but the tensor has shape "
                    f"{tuple(self.shape)}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"assigned grad has dtype {value.dtype} but the tensor has dtype "
                    f"{self.dtype}; convert it with .to({self.dtype})"
                )
        self._grad = value

    @property
    def data(self):
        """A tensor sharing this one's storage, detached from the graph."""
        return wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        value = value._data if isinstance(value, TensorBase) else np.asarray(value)
        if _watcher is not None:
            _watcher.storage_replaced(self, "an assignment to .data")
        self._data = value

    @property
    def _out_index(self) -> int:
        return self._meta or 0

    @property
    def _version(self) -> int:
        return version(self)

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    # --- conversion -------------------------------------------------------------------------

    def item(self):
        if _watcher is not None:
            _watcher.data_read(self, "item()")
        if self._data.size != 1:
            raise RuntimeError(
                f"item(): a Tensor with {self._data.size} elements cannot be converted to a "
                "Python scalar; index it first or use tolist()"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        if _watcher is not None:
            _watcher.data_read(self, "tolist()")
        return self._data.tolist()

    def numpy(self, *, force=False):
        """The NumPy array beneath (shared memory). Detach first if it requires grad."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on a Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if _watcher is not None:
            _watcher.data_read(self, "numpy()")
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __dlpack__(self, stream=None, **kwargs):
        if self._requires_grad:
            raise RuntimeError(
                "Can't export a Tensor that requires grad through DLPack; use tensor.detach() first"
            )
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    # --- Python protocol --------------------------------------------------------------------

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __bool__(self) -> bool:
        if _watcher is not None:
            _watcher.data_read(self, "bool()")
        if self._data.size != 1:
            what = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(
                f"Boolean value of Tensor with {what} is ambiguous (shape "
                f"{tuple(self.shape)}); use .any() or .all()"
            )
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __reduce_ex__(self, proto):
        # pickle, copy and multiprocessing: the values (a NumPy array) and requires_grad, as
        # PyTorch's; the history, .grad and hooks are not kept (a non-leaf arrives as a leaf).
        args = (type(self), self._data, bool(self._requires_grad))
        state = getattr(self, "__dict__", None)  # a user subclass's own attributes
        return (_rebuild_tensor, args, state) if state else (_rebuild_tensor, args)


def _rebuild_tensor(cls, data, requires_grad):
    """Unpickle a tensor of class ``cls`` (Tensor, Parameter, ...) around the array ``data``."""
    t = _new(cls)
    init_tensor(t, data)
    if requires_grad:
        t.requires_grad = True
    return t


# The class ``wrap`` instantiates: ``tinytensor.tensor.Tensor`` once it is defined (it calls
# ``set_tensor_class``), so every op returns the full Tensor without importing it.
_cls = [TensorBase]
_Tensor = TensorBase  # _cls[0] as a global: one lookup less in ``wrap``, made for every op


def set_tensor_class(cls) -> None:
    """Make ``wrap`` build instances of ``cls`` (a subclass of TensorBase); called once."""
    if not issubclass(cls, TensorBase):
        raise TypeError(f"set_tensor_class: {cls!r} is not a subclass of TensorBase")
    global _Tensor
    _cls[0] = _Tensor = cls


def wrap(data) -> TensorBase:
    """A new tensor (no history, no grad) around ``data`` without copying: every op's output."""
    if data.__class__ is not _ndarray:
        data = _asarray(data)
    t = _new(_Tensor)
    t._data = data
    t._requires_grad = False
    t._grad_fn = None
    t._grad = None
    t._vc = None
    t._hooks = None
    t._meta = None
    if _watcher is not None:
        _watcher.created(t)
    return t


def init_tensor(t, data) -> None:
    """Set every slot of a freshly allocated tensor ``t`` (a ``Tensor.__init__``): ``data``
    as its storage, no history, no gradient, no version counter yet (version 0)."""
    t._data = data
    t._requires_grad = False
    t._grad_fn = None
    t._grad = None
    t._vc = None
    t._hooks = None
    t._meta = None


# Who watches tensors reach Python or change in place (``tinytensor.compiler``'s tracer, while
# it traces; None otherwise): ``data_read(t, what)`` before a tensor's values become Python
# values (item, bool, tolist, numpy), ``in_place(t)`` when its storage is changed in place,
# ``created(t)`` for each tensor ``wrap`` makes (an op's result).
_watcher = None


def set_watcher(watcher):
    """Install ``watcher`` (or None); returns the previous one."""
    global _watcher
    prev, _watcher = _watcher, watcher
    return prev


def replace_storage(t, array, what) -> None:
    """Give ``t`` a new array outside any kernel (an in-place shape change); ``what`` names
    the call for the watcher."""
    if _watcher is not None:
        _watcher.storage_replaced(t, what)
    t._data = array


def version(t) -> int:
    """How many times ``t``'s storage has been changed in place."""
    vc = t._vc
    return vc[0] if vc else 0


def bump_version(t) -> None:
    """Note one in-place change of ``t``'s storage (seen by every tensor sharing it)."""
    if _watcher is not None:
        _watcher.in_place(t)
    vc = t._vc
    if vc is None:
        t._vc = [1]
    else:
        vc[0] += 1


def share_version(out, src) -> None:
    """Let ``out``, which shares ``src``'s memory, share its version counter too."""
    vc = src._vc
    if vc is None:
        vc = src._vc = [0]
    out._vc = vc


def version_counter(t) -> list:
    """``t``'s version counter (made on first use); a node keeps it to check later."""
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


def set_version_counter(t, vc) -> None:
    """Give ``t`` the counter ``vc`` (one that ``version_counter`` returned): ``t`` is rebuilt
    around storage whose counter a node or ``ctx`` kept, so it shares that storage's version."""
    t._vc = vc


def has_version_counter(t) -> bool:
    """Whether ``t`` has a counter yet: False means no view shares its storage and nothing
    saved it or changed it in place since it was made."""
    return t._vc is not None


def shares_version(a, b) -> bool:
    """Whether ``a`` and ``b`` share one version counter (one is a view of the other's storage)."""
    vc = a._vc
    return vc is not None and vc is b._vc
