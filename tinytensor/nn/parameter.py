"""``nn.Parameter``: a leaf tensor that a Module registers as one of its learnable weights;
``UninitializedParameter`` / ``UninitializedBuffer``: a lazy module's placeholders, which
``materialize(shape)`` turns into a ``Parameter`` / ``Tensor`` in place (same identity, so an
optimizer built before a lazy module's first call updates the real weights), as PyTorch's."""

from __future__ import annotations

import weakref

import numpy as np

from tinytensor import _dtype as D
from tinytensor.core import init_tensor, share_version, wrap
from tinytensor.core.device import check_device
from tinytensor.ops.creation import tensor
from tinytensor.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that, assigned as a Module attribute, is registered in ``module.parameters()``.

    ``Parameter(t)`` shares storage with ``t`` (like PyTorch) and requires grad by default.
    Operations on a Parameter return plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            arr = np.empty((0,), np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = tensor(data)._data
        init_tensor(self, arr)
        if isinstance(data, Tensor):
            share_version(self, data)  # one storage, one counter: a change through either shows
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        out = Parameter(wrap(self._data.copy()), self._requires_grad)
        if self._grad is not None:
            out._grad = wrap(self._grad._data.copy())
        memo[id(self)] = out
        return out


# --- lazy modules' placeholders -------------------------------------------------------------

_USE_MESSAGE = (
    "Attempted to use an uninitialized parameter in {what}. This error happens when you are "
    "using a `LazyModule` or explicitly manipulating `tinytensor.nn.parameter.{cls}` objects. "
    "When using LazyModules Call `forward` with a dummy batch to initialize the parameters "
    "before calling tinytensor functions"
)

# The methods PyTorch lets through on an uninitialized tensor (changing its dtype or device,
# asking its size, copying into it); every other method or op is a ValueError.
_ALLOWED_METHODS = frozenset(
    "size copy_ is_complex is_floating_point half float double char short int long cuda cpu "
    "to get_device materialize share_memory_".split()
)


class _UninitializedArray(np.ndarray):
    """The empty storage of an uninitialized tensor: any NumPy computation on it is refused,
    so an op reading ``_data`` directly fails with PyTorch's message instead of computing on
    nothing."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise ValueError(_USE_MESSAGE.format(what=f"numpy.{ufunc.__name__}", cls="Uninitialized"))

    def __array_function__(self, func, types, args, kwargs):
        raise ValueError(_USE_MESSAGE.format(what=f"numpy.{func.__name__}", cls="Uninitialized"))


def _empty_storage(dtype):
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return np.empty((0,), dt.np).view(_UninitializedArray)


# UninitializedBuffer's ``persistent`` flag (tensors have slots, no __dict__).
# Keyed by id (a Tensor's == is elementwise), dropped when the buffer dies.
_PERSISTENT = {}


class UninitializedTensorMixin:
    """What ``UninitializedParameter`` and ``UninitializedBuffer`` share: no shape until
    ``materialize(shape)``, which turns the object itself (same identity, so an optimizer built
    before sees it) into a ``Parameter`` / ``Tensor``; any op or method on it before that is
    PyTorch's ValueError; ``shape`` is PyTorch's RuntimeError."""

    __slots__ = ()
    cls_to_become = None

    def __getattribute__(self, name):
        if name[0] == "_" or name in _ALLOWED_METHODS:
            return object.__getattribute__(self, name)
        if name == "shape":
            raise RuntimeError(
                "Can't access the shape of an uninitialized parameter or buffer. This error "
                "usually happens in `load_state_dict` when trying to load an uninitialized "
                "parameter into an initialized one. Call `forward` to initialize the "
                "parameters before accessing their attributes."
            )
        attr = getattr(type(self), name, None)
        if callable(attr) and not isinstance(attr, (property, type)):
            raise ValueError(_USE_MESSAGE.format(what=f"Tensor.{name}", cls=type(self).__name__))
        return object.__getattribute__(self, name)

    def materialize(self, shape, device=None, dtype=None):
        """Give this placeholder real (uninitialised) storage of ``shape``, with its own dtype
        unless ``dtype`` is given, and make it the class it stands for, in place."""
        if device is not None:
            check_device(device, "materialize()")
        if isinstance(shape, int):
            shape = (shape,)
        np_dtype = self._data.dtype if dtype is None else D.to_dtype(dtype).np
        self._data = np.empty(tuple(int(s) for s in shape), np_dtype)
        self.__class__ = self.cls_to_become

    def size(self, dim=None):
        return self._data.shape if dim is None else self._data.shape[dim]

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`."
        )

    def _retype(self, dtype):
        self._data = self._data.astype(D.to_dtype(dtype).np)
        return self

    def to(self, *args, **kwargs):
        dtype = kwargs.get("dtype")
        if kwargs.get("device") is not None:
            check_device(kwargs["device"], "to()")
        for a in args:
            if isinstance(a, str) or type(a).__name__ == "device":
                check_device(a, "to()")
            elif a is not None:
                dtype = a
        return self if dtype is None else self._retype(dtype)

    def half(self):
        return self._retype("float16")

    def float(self):
        return self._retype("float32")

    def double(self):
        return self._retype("float64")

    def cpu(self):
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, proto):
        return (type(self), (self._requires_grad,))


def is_lazy(param):
    """Whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (a lazy module's weight before its first call).

    It holds no data: reading its shape or using it in an op raises, as in PyTorch; changing
    its dtype is allowed. ``materialize(shape)`` turns it into a ``Parameter`` in place.
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        if device is not None:
            check_device(device, "UninitializedParameter()")
        init_tensor(self, _empty_storage(dtype))
        self._requires_grad = bool(requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = type(self)(self._requires_grad, dtype=None)
        out._data = self._data.copy()
        memo[id(self)] = out
        return out


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy norm layer's running statistics).

    ``materialize(shape)`` turns it into a plain ``Tensor`` in place; before that, reading its
    shape or using it in an op raises, as in PyTorch.
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        if device is not None:
            check_device(device, "UninitializedBuffer()")
        if not isinstance(persistent, bool):
            raise TypeError(f"UninitializedBuffer: persistent must be a bool, got {persistent!r}")
        init_tensor(self, _empty_storage(dtype))
        self._requires_grad = bool(requires_grad)
        if not persistent:
            _PERSISTENT[id(self)] = False
            weakref.finalize(self, _PERSISTENT.pop, id(self), None)

    @property
    def persistent(self):
        """Whether a module saves this buffer in its ``state_dict`` once it is assigned."""
        return _PERSISTENT.get(id(self), True)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = type(self)(self._requires_grad, persistent=self.persistent)
        out._data = self._data.copy()
        memo[id(self)] = out
        return out
