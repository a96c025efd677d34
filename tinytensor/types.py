"""Small pieces of the ``torch`` namespace that programs reach for at their top: dtype limits
(``finfo``/``iinfo``), the legacy typed constructors (``LongTensor``...) and ``typename``, thread
counts, ``broadcast_shapes`` and ``is_floating_point``/``is_nonzero``."""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor.core import TensorBase, to_array, wrap
from tinytensor.core.size import Size


class finfo:
    """Limits of a floating dtype, as ``torch.finfo``: ``bits, eps, max, min, tiny,
    smallest_normal, resolution, dtype``. ``finfo()`` describes the default float dtype."""

    def __init__(self, type=None):  # noqa: A002 - PyTorch's argument name
        dt = D.get_default_dtype() if type is None else D.to_dtype(type)
        if not dt.is_floating_point:
            raise TypeError(f"finfo: {dt} is not a floating point dtype; use iinfo for integers")
        info = np.finfo(dt.np)
        self.dtype = dt.name
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(info.resolution)

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:
    """Limits of an integer (or bool) dtype, as ``torch.iinfo``: ``bits, max, min, dtype``."""

    def __init__(self, type):  # noqa: A002 - PyTorch's argument name
        dt = D.to_dtype(type)
        if dt.is_floating_point:
            raise TypeError(f"iinfo: {dt} is a floating point dtype; use finfo")
        info = np.iinfo(np.uint8 if dt.np == np.bool_ else dt.np)
        self.dtype = dt.name
        self.bits = 8 if dt.np == np.bool_ else int(info.bits)
        self.max = 1 if dt.np == np.bool_ else int(info.max)
        self.min = 0 if dt.np == np.bool_ else int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


class _LegacyTensorType(type):
    """``isinstance(t, tinytensor.LongTensor)`` is true for int64 tensors, as in PyTorch."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, TensorBase) and obj._data.dtype == cls._dtype.np


def _legacy(name, dt):
    def __new__(cls, *args):
        """``{name}(data)`` copies data as {dtype}; ``{name}(*sizes)`` makes zeros."""
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            return wrap(to_array(args[0], cls._dtype, copy=True))
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            raise TypeError(
                f"{name}(): expected data (a list, number, array or tensor) or integer sizes, "
                f"got {[type(a).__name__ for a in args]}"
            )
        return wrap(np.zeros(tuple(int(a) for a in args), cls._dtype.np))

    __new__.__doc__ = __new__.__doc__.format(name=name, dtype=dt.name)
    return _LegacyTensorType(
        name,
        (),
        {"__new__": __new__, "_dtype": dt, "__doc__": f"Legacy constructor of {dt} tensors."},
    )


FloatTensor = _legacy("FloatTensor", D.float32)
DoubleTensor = _legacy("DoubleTensor", D.float64)
HalfTensor = _legacy("HalfTensor", D.float16)
LongTensor = _legacy("LongTensor", D.int64)
IntTensor = _legacy("IntTensor", D.int32)
ShortTensor = _legacy("ShortTensor", D.int16)
CharTensor = _legacy("CharTensor", D.int8)
ByteTensor = _legacy("ByteTensor", D.uint8)
BoolTensor = _legacy("BoolTensor", D.bool_)


_LEGACY = (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor,
           CharTensor, ByteTensor, BoolTensor)  # fmt: skip
_LEGACY_NAMES = {cls._dtype: cls.__name__ for cls in _LEGACY}


def legacy_type_name(dt) -> str:
    """The legacy class name of dtype ``dt`` (``'FloatTensor'`` for float32)."""
    return _LEGACY_NAMES[D.to_dtype(dt)]


def typename(obj) -> str:
    """``'tinytensor.FloatTensor'`` for a float32 tensor (the legacy class name of its dtype),
    else the object's qualified name."""
    if isinstance(obj, TensorBase):
        name = _LEGACY_NAMES.get(obj.dtype)
        return "tinytensor.Tensor" if name is None else f"tinytensor.{name}"
    cls = type(obj)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def legacy_dtype(arg):
    """The dtype meant by ``Tensor.type``'s argument: a legacy class (``FloatTensor``), its
    name (``'torch.FloatTensor'``, ``'tinytensor.FloatTensor'``), or anything else as is."""
    if isinstance(arg, _LegacyTensorType):
        return arg._dtype
    if isinstance(arg, str):
        short = arg.rsplit(".", 1)[-1]
        for cls in _LEGACY:
            if cls.__name__ == short:
                return cls._dtype
        raise ValueError(
            f"type(): invalid type {arg!r}; expected a dtype, a legacy tensor class such as "
            "FloatTensor, or its name ('torch.FloatTensor')"
        )
    return arg


def is_floating_point(input) -> bool:
    """True if ``input`` has a floating dtype."""
    return input._data.dtype.kind == "f"


def is_nonzero(input) -> bool:
    """The truth of a one-element tensor; an error for any other."""
    t = input
    if t._data.size != 1:
        raise RuntimeError(
            f"is_nonzero: Boolean value of Tensor with {t._data.size} values is ambiguous; "
            "it needs exactly one element"
        )
    return bool(t._data.reshape(()))


def broadcast_shapes(*shapes) -> Size:
    """The shape tensors of ``shapes`` broadcast to, or an error naming them."""
    norm = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*norm))
    except ValueError:
        raise RuntimeError(
            f"broadcast_shapes: shapes {', '.join(str(s) for s in norm)} cannot be broadcast "
            "together; sizes must match or be 1, compared from the last dimension"
        ) from None


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        raise ImportError(
            "set_num_threads/get_num_threads need threadpoolctl to reach NumPy's BLAS: "
            "pip install threadpoolctl"
        ) from None
    return threadpoolctl


_limits = []


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in NumPy's BLAS (matmul, conv) from now on (through threadpoolctl)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise RuntimeError(f"set_num_threads: expected a positive int, got {n!r}")
    tp = _threadpoolctl()
    _limits.append(tp.threadpool_limits(limits=int(n), user_api="blas"))


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses (1 if it reports none)."""
    tp = _threadpoolctl()
    counts = [p["num_threads"] for p in tp.threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else 1


_interop = [1]


def set_num_interop_threads(n: int) -> None:
    """Recorded only: tinytensor runs ops one at a time, so there is no inter-op pool."""
    _interop[0] = int(n)


def get_num_interop_threads() -> int:
    """The value last given to ``set_num_interop_threads`` (1 by default); tinytensor has no
    inter-op thread pool."""
    return _interop[0]
