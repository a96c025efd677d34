"""Making tensors: from data (``tensor``, ``as_tensor``, ``asarray``, ``from_numpy``,
``frombuffer``, ``from_dlpack``), filled (``zeros``/``ones``/``full``/``empty``, their ``_like``
forms, ``empty_strided``/``empty_permuted``, ``scalar_tensor``), ranged (``arange``, ``linspace``,
``logspace``, the deprecated inclusive ``range``) and ``eye`` (the signal windows are
``ops/windows.py``'s). Each made tensor comes out of a
primitive's kernel with only attributes (``made``), so a compiled program makes it again; only
the memory-sharing forms wrap the caller's array. Random tensors are the random family's
(``ops/random.py``); ``made``, ``shape_args`` and ``float_dtype`` are shared with it."""

from __future__ import annotations

import builtins
import numbers
import warnings

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, to_array, wrap
from tinytensor.core.device import check_device
from tinytensor.core.layout import format_order, laid_out

__all__ = [
    "arange", "as_tensor", "asarray", "empty", "empty_like", "empty_permuted", "empty_strided",
    "eye", "from_dlpack", "from_numpy", "frombuffer", "full", "full_like", "linspace", "logspace",
    "ones", "ones_like", "range", "scalar_tensor", "tensor", "zeros", "zeros_like"
]  # fmt: skip


def leaf(arr, requires_grad) -> TensorBase:
    t = wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def made(prim, args, attrs, requires_grad=False) -> TensorBase:
    """A new leaf made by a creation primitive's kernel (a compiled program makes it again)."""
    t = prim.apply((), args, (), attrs)
    if requires_grad:
        t.requires_grad = True
    return t


def _data_arg(data):
    """``data`` as a kernel argument: a tensor's storage, anything else as given."""
    return data._data if isinstance(data, TensorBase) else data


def _tensor_kernel(data, dtype, copy):
    return to_array(data, dtype, copy=copy)


TENSOR = Primitive("Tensor", _tensor_kernel)


def tensor(data, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor).

    Python floats become ``get_default_dtype()`` (float32), ints ``int64``, bools ``bool``;
    a NumPy array keeps its dtype.
    """
    check_device(device, "tensor")
    return made(TENSOR, (_data_arg(data),), {"dtype": dtype, "copy": True}, requires_grad)


def as_tensor(data, dtype=None, device=None) -> TensorBase:
    """``data`` as a tensor, without copying when it can: a tensor of the requested dtype is
    returned as is (graph and all), and a NumPy array of a supported dtype is shared.

    Otherwise it converts like ``tensor``. Unlike ``tensor``, it never sets ``requires_grad``.

    >>> import numpy as np
    >>> a = np.array([1.0, 2.0])
    >>> t = tt.as_tensor(a)
    >>> a[0] = 5.0
    >>> t
    tensor([5., 2.], dtype=tinytensor.float64)"""
    check_device(device, "as_tensor")
    if isinstance(data, TensorBase) and (dtype is None or data.dtype is D.to_dtype(dtype)):
        return data
    if isinstance(data, np.ndarray):  # shared where the dtype allows: not a kernel's result
        return leaf(to_array(data, dtype, copy=False), False)
    return made(TENSOR, (_data_arg(data),), {"dtype": dtype, "copy": False})


def from_numpy(array: np.ndarray) -> TensorBase:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    D.from_numpy_dtype(array.dtype)
    return wrap(array)


def from_dlpack(ext_tensor, *, device=None, copy=None) -> TensorBase:
    """A tensor sharing memory with an object exporting ``__dlpack__`` (CPU; copy=True copies)."""
    check_device(device, "from_dlpack")
    if isinstance(ext_tensor, TensorBase):
        return ext_tensor.detach().clone() if copy else ext_tensor.detach()
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ (a tensor or array of another "
            f"library), got {type(ext_tensor).__name__}"
        )
    return from_numpy(np.from_dlpack(ext_tensor, copy=copy))


def shape_args(shape, name, size=None):
    """The shape given as ints, one tuple, or PyTorch's ``size=`` keyword (not both)."""
    if size is not None:
        if shape:
            raise TypeError(
                f"{name}: the size was given twice, as positional sizes {shape!r} and as "
                f"size={size!r}; pass only one"
            )
        shape = (size,)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = []
    for s in shape:
        if isinstance(s, TensorBase):
            s = int(s.item())
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{name}: sizes must be ints, got {shape!r}")
        if s < 0:
            raise RuntimeError(f"{name}: negative dimension {s} in size {tuple(shape)}")
        out.append(int(s))
    return tuple(out)


def float_dtype(dtype, name):
    return D.get_default_dtype() if dtype is None else D.to_dtype(dtype)


def zeros(*sizes, size=None, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """A tensor of zeros. The size is ints or one tuple, ``zeros(2, 3)`` and ``zeros((2, 3))``,
    or PyTorch's keyword ``zeros(size=(2, 3))``.

    Args:
        dtype: defaults to ``get_default_dtype()`` (float32).
        requires_grad: make the result a leaf that records operations.
        device: only the CPU is accepted.

    >>> tt.zeros(2, 3)
    tensor([[0., 0., 0.],
            [0., 0., 0.]])"""
    check_device(device, "zeros")
    attrs = {"shape": shape_args(sizes, "zeros", size), "dtype": float_dtype(dtype, "zeros").np}
    return made(ZEROS, (), attrs, requires_grad)


def zeros_of(shape, dtype) -> TensorBase:
    """Zeros of ``shape`` and NumPy ``dtype``, by the ``ZEROS`` kernel (for backward rules)."""
    return ZEROS.apply((), (), (), {"shape": shape, "dtype": dtype})


def _full_kernel(value, shape, dtype):
    return np.full(shape, value, dtype)


ZEROS = Primitive("Zeros", np.zeros)  # kernels called as np.zeros(shape=..., dtype=...)
ONES = Primitive("Ones", np.ones)
EMPTY = Primitive("Empty", np.empty)
FULL = Primitive("Full", _full_kernel)


def ones(*sizes, size=None, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """A tensor of ones; the arguments are those of ``zeros``.

    >>> tt.ones(2, dtype=tt.int64)
    tensor([1, 1])"""
    check_device(device, "ones")
    attrs = {"shape": shape_args(sizes, "ones", size), "dtype": float_dtype(dtype, "ones").np}
    return made(ONES, (), attrs, requires_grad)


def empty(*sizes, size=None, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """An uninitialised tensor (whatever the memory held); the arguments are those of ``zeros``.
    Fill it before reading it."""
    check_device(device, "empty")
    attrs = {"shape": shape_args(sizes, "empty", size), "dtype": float_dtype(dtype, "empty").np}
    return made(EMPTY, (), attrs, requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """A tensor of shape ``size`` filled with ``fill_value``. The dtype is the fill value's
    (float32 for a Python float, int64 for an int, bool for a bool) unless ``dtype`` is given.

    >>> tt.full((2, 2), 7)
    tensor([[7, 7],
            [7, 7]])"""
    check_device(device, "full")
    shape = shape_args((size,) if not isinstance(size, (tuple, list)) else (tuple(size),), "full")
    if dtype is None:
        dtype = (
            to_array(fill_value).dtype
            if not isinstance(fill_value, TensorBase)
            else fill_value.dtype
        )
    attrs = {"shape": shape, "dtype": D.to_dtype(dtype).np}
    if isinstance(fill_value, (int, float, np.integer, np.floating)):  # PyTorch's overflow check
        fill_value = D.checked_scalar(fill_value, attrs["dtype"], "full")
    return made(FULL, (_data_arg(fill_value),), attrs, requires_grad)


def _like(t, dtype, name="zeros_like", memory_format=None):
    """(shape, NumPy dtype, dim order) of a ``*_like`` result: ``t``'s shape, its dtype unless
    ``dtype`` is given, and the layout ``memory_format`` gives (None: ``t``'s own order)."""
    if not isinstance(t, TensorBase):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    order = format_order(t._data, memory_format, name)
    return t.shape, (t._data.dtype if dtype is None else D.to_dtype(dtype).np), order


def _filled_like(prim, value, shape, dtype, order, requires_grad):
    """``value`` (None: uninitialised) in ``shape``: made by ``prim`` (ZEROS, ONES, EMPTY or
    FULL, which alone takes the value) when ``order`` is C order, else laid out in ``order`` by
    its own kernel (which a compiled program replays with the same layout)."""
    if order == tuple(builtins.range(len(shape))):
        args = (value,) if prim is FULL else ()
        return made(prim, args, {"shape": shape, "dtype": dtype}, requires_grad)
    args = () if value is None else (value,)
    return made(LAID_OUT, args, {"shape": shape, "dtype": dtype, "order": order}, requires_grad)


def _laid_out_kernel(*value, shape, dtype, order):
    if value:
        return laid_out(lambda s: np.full(s, value[0], dtype), shape, order)
    return laid_out(lambda s: np.empty(s, dtype), shape, order)


LAID_OUT = Primitive("FilledLaidOut", _laid_out_kernel)  # a *_like result in its input's layout


def zeros_like(
    input, dtype=None, requires_grad=False, *, layout=None, device=None, memory_format=None
) -> TensorBase:
    """Zeros with the shape of ``input``, and its dtype unless ``dtype`` is given. Laid out as
    ``memory_format`` says; ``preserve_format`` (None, the default) follows ``input``'s own
    stride order, as PyTorch (a transposed input gives a transposed result).

    >>> tt.zeros_like(tt.tensor([[1, 2], [3, 4]]))
    tensor([[0, 0],
            [0, 0]])"""
    check_device(device, "zeros_like")
    shape, dt, order = _like(input, dtype, "zeros_like", memory_format)
    return _filled_like(ZEROS, dt.type(0), shape, dt, order, requires_grad)


def ones_like(
    input, dtype=None, requires_grad=False, *, layout=None, device=None, memory_format=None
) -> TensorBase:
    """Ones with the shape of ``input``, and its dtype unless ``dtype`` is given; laid out as
    ``zeros_like`` lays it out."""
    check_device(device, "ones_like")
    shape, dt, order = _like(input, dtype, "ones_like", memory_format)
    return _filled_like(ONES, dt.type(1), shape, dt, order, requires_grad)


def empty_like(
    input, dtype=None, requires_grad=False, *, layout=None, device=None, memory_format=None
) -> TensorBase:
    """An uninitialised tensor with the shape and dtype of ``input`` (or ``dtype``); laid out
    as ``zeros_like`` lays it out."""
    check_device(device, "empty_like")
    shape, dt, order = _like(input, dtype, "empty_like", memory_format)
    return _filled_like(EMPTY, None, shape, dt, order, requires_grad)


def full_like(
    input,
    fill_value,
    dtype=None,
    requires_grad=False,
    *,
    layout=None,
    device=None,
    memory_format=None,
) -> TensorBase:
    """``fill_value`` in the shape of ``input``, with its dtype unless ``dtype`` is given.

    >>> tt.full_like(tt.zeros(3), 0.5)
    tensor([0.5000, 0.5000, 0.5000])"""
    check_device(device, "full_like")
    shape, dt, order = _like(input, dtype, "full_like", memory_format)
    return _filled_like(FULL, _data_arg(fill_value), shape, dt, order, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """Values from ``start`` to ``end`` (exclusive) in steps of ``step``."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if not all(np.isfinite(v) for v in (start, end, step)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end} (step {step})")
    if (end - start) / step < 0:
        raise RuntimeError(
            f"arange: upper bound and lower bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dt = D.get_default_dtype() if is_float else D.int64
    else:
        dt = D.to_dtype(dtype)
    return made(ARANGE, (start, end, step), {"dtype": dt.np}, requires_grad)


def _arange_kernel(start, end, step, dtype):
    return np.arange(start, end, step).astype(dtype)


ARANGE = Primitive("Arange", _arange_kernel)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    >>> tt.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])"""
    check_device(device, "linspace")
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise RuntimeError(f"linspace: number of steps must be a non-negative int, got {steps!r}")
    attrs = {"steps": int(steps), "base": None, "dtype": _spaced_dtype(dtype, "linspace")}
    return made(SPACED, (start, end), attrs, requires_grad)


def _spaced_kernel(start, end, steps, base, dtype):
    """``linspace`` (``base`` None) or ``logspace``."""
    if base is None:
        return np.linspace(start, end, steps).astype(dtype)
    return np.logspace(start, end, steps, base=base).astype(dtype)


SPACED = Primitive("Spaced", _spaced_kernel)


def _spaced_dtype(dtype, name):
    """The NumPy dtype of linspace/logspace; bool has no kernel in PyTorch, so none here."""
    dt = float_dtype(dtype, name)
    if dt.np == np.bool_:
        raise NotImplementedError(
            f"\"{name}_cpu\" not implemented for 'Bool': {name} makes evenly spaced numbers; "
            f"ask for a numeric dtype and compare (e.g. {name}(...) > 0) for a bool tensor"
        )
    return dt.np


def logspace(
    start, end, steps, base=10.0, dtype=None, requires_grad=False, *, layout=None, device=None
) -> TensorBase:
    """``steps`` values ``base ** x``, ``x`` evenly spaced from ``start`` to ``end`` (included).

    >>> tt.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])"""
    check_device(device, "logspace")
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise RuntimeError(f"logspace: number of steps must be a non-negative int, got {steps!r}")
    attrs = {"steps": int(steps), "base": base, "dtype": _spaced_dtype(dtype, "logspace")}
    return made(SPACED, (start, end), attrs, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """An ``n`` by ``m`` matrix (``m`` defaults to ``n``): ones on the diagonal, zeros elsewhere.

    >>> tt.eye(2, 3)
    tensor([[1., 0., 0.],
            [0., 1., 0.]])"""
    check_device(device, "eye")
    for v in (n, m):
        if v is not None and (not isinstance(v, (int, np.integer)) or v < 0):
            raise RuntimeError(f"eye: sizes must be non-negative ints, got n={n!r}, m={m!r}")
    return made(EYE, (), {"N": n, "M": m, "dtype": float_dtype(dtype, "eye").np}, requires_grad)


EYE = Primitive("Eye", np.eye)  # called as np.eye(N=n, M=m, dtype=...)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a tensor, sharing memory with a tensor or NumPy array when the dtype allows
    and ``copy`` is not True (``copy=False`` refuses to copy)."""
    check_device(device, "asarray")
    if isinstance(obj, TensorBase):
        arr = obj._data
    elif isinstance(obj, np.ndarray):
        D.from_numpy_dtype(obj.dtype)
        arr = obj
    else:
        arr = None
    if arr is not None:
        want = arr.dtype if dtype is None else D.to_dtype(dtype).np
        if copy is False and want != arr.dtype:
            raise ValueError("asarray: copy=False but a dtype conversion needs a copy")
        if copy or want != arr.dtype:
            return made(TENSOR, (arr,), {"dtype": want, "copy": True}, requires_grad)
        if isinstance(obj, TensorBase) and not requires_grad:
            return obj
        return leaf(arr, requires_grad)
    if copy is False and not hasattr(obj, "__array__"):
        raise ValueError(f"asarray: copy=False cannot share memory with a {type(obj).__name__}")
    return made(TENSOR, (obj,), {"dtype": dtype, "copy": True}, requires_grad)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor sharing memory with a Python buffer (bytes, bytearray, memoryview...)."""
    dt = D.to_dtype(dtype).np
    try:
        arr = np.frombuffer(buffer, dtype=dt, count=count, offset=offset)
    except ValueError as e:
        raise ValueError(f"frombuffer: {e}") from None
    return leaf(arr, requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):  # fmt: skip
    """An uninitialised tensor of ``size``; tinytensor tensors are contiguous, so ``stride`` is
    checked for length and otherwise not kept."""
    if len(tuple(size)) != len(tuple(stride)):
        raise RuntimeError(
            f"empty_strided: mismatch in length of strides {len(stride)} and shape {len(size)}"
        )
    return empty(tuple(size), dtype=dtype, requires_grad=requires_grad, device=device)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False):  # fmt: skip
    """An uninitialised tensor of ``size``; the physical layout is not kept (contiguous)."""
    if sorted(physical_layout) != list(builtins.range(len(tuple(size)))):  # not tt.range
        raise RuntimeError(
            f"empty_permuted: physical_layout {tuple(physical_layout)} is not a permutation of "
            f"the {len(tuple(size))} dims"
        )
    return empty(tuple(size), dtype=dtype, requires_grad=requires_grad, device=device)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):  # fmt: skip
    """A 0-d tensor holding ``s``, of the default float dtype unless ``dtype`` is given."""
    check_device(device, "scalar_tensor")
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return made(TENSOR, (_data_arg(s),), {"dtype": dt, "copy": True}, requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False):  # fmt: skip
    """Deprecated in PyTorch (use ``arange``): values from ``start`` to ``end`` *inclusive*, of
    the default float dtype."""
    warnings.warn(
        "tinytensor.range is deprecated and will be removed in a future release because its "
        "behavior is inconsistent with Python's range builtin. Instead, use tinytensor.arange, "
        "which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    check_device(device, "range")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    n = int(np.floor((end - start) / step)) + 1
    return made(RANGE, (start, step), {"n": n, "dtype": dt.np}, requires_grad)


def _range_kernel(start, step, n, dtype):
    return (start + step * np.arange(max(n, 0))).astype(dtype)


RANGE = Primitive("Range", _range_kernel)
