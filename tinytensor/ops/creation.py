"""Making tensors: from data, filled, ranged, random. One global generator seeds everything."""

from __future__ import annotations

import numbers

import numpy as np

from tinytensor import _dtype as D
from tinytensor.autograd.node import record
from tinytensor.core import TensorBase, rng, to_array, wrap
from tinytensor.core.device import check_device
from tinytensor.core.random import (  # noqa: F401 - re-exported as tinytensor.*
    Generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)


def _finish(arr, requires_grad) -> TensorBase:
    t = wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor).

    Python floats become ``get_default_dtype()`` (float32), ints ``int64``, bools ``bool``;
    a NumPy array keeps its dtype.
    """
    check_device(device, "tensor")
    return _finish(to_array(data, dtype, copy=True), requires_grad)


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
    return _finish(to_array(data, dtype, copy=False), False)


def from_numpy(array: np.ndarray) -> TensorBase:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    D.from_numpy_dtype(array.dtype)
    return wrap(array)


def from_dlpack(obj) -> TensorBase:
    """A tensor sharing memory with any object exporting ``__dlpack__`` (CPU only)."""
    if isinstance(obj, TensorBase):
        return obj.detach()
    if not hasattr(obj, "__dlpack__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ (a tensor or array of another "
            f"library), got {type(obj).__name__}"
        )
    return from_numpy(np.from_dlpack(obj))


def _shape_args(shape, name, size=None):
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


def _float_dtype(dtype, name):
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    return dt


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
    return _finish(
        np.zeros(_shape_args(sizes, "zeros", size), _float_dtype(dtype, "zeros").np), requires_grad
    )


def ones(*sizes, size=None, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """A tensor of ones; the arguments are those of ``zeros``.

    >>> tt.ones(2, dtype=tt.int64)
    tensor([1, 1])"""
    check_device(device, "ones")
    return _finish(
        np.ones(_shape_args(sizes, "ones", size), _float_dtype(dtype, "ones").np), requires_grad
    )


def empty(*sizes, size=None, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """An uninitialised tensor (whatever the memory held); the arguments are those of ``zeros``.
    Fill it before reading it."""
    check_device(device, "empty")
    return _finish(
        np.empty(_shape_args(sizes, "empty", size), _float_dtype(dtype, "empty").np), requires_grad
    )


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """A tensor of shape ``size`` filled with ``fill_value``. The dtype is the fill value's
    (float32 for a Python float, int64 for an int, bool for a bool) unless ``dtype`` is given.

    >>> tt.full((2, 2), 7)
    tensor([[7, 7],
            [7, 7]])"""
    check_device(device, "full")
    shape = _shape_args((size,) if not isinstance(size, (tuple, list)) else (tuple(size),), "full")
    if dtype is None:
        dtype = (
            to_array(fill_value).dtype
            if not isinstance(fill_value, TensorBase)
            else fill_value.dtype
        )
    dt = D.to_dtype(dtype)
    value = fill_value.item() if isinstance(fill_value, TensorBase) else fill_value
    return _finish(np.full(shape, value, dt.np), requires_grad)


def _like(t, dtype, name="zeros_like"):
    if not isinstance(t, TensorBase):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    return t.shape, (t._data.dtype if dtype is None else D.to_dtype(dtype).np)


def zeros_like(
    t, dtype=None, requires_grad=False, *, layout=None, device=None, memory_format=None
) -> TensorBase:
    """Zeros with the shape of ``t``, and its dtype unless ``dtype`` is given. ``layout`` and
    ``memory_format`` are accepted for PyTorch's sake (tensors here are dense and contiguous).

    >>> tt.zeros_like(tt.tensor([[1, 2], [3, 4]]))
    tensor([[0, 0],
            [0, 0]])"""
    check_device(device, "zeros_like")
    shape, dt = _like(t, dtype, "zeros_like")
    return _finish(np.zeros(shape, dt), requires_grad)


def ones_like(
    t, dtype=None, requires_grad=False, *, layout=None, device=None, memory_format=None
) -> TensorBase:
    """Ones with the shape of ``t``, and its dtype unless ``dtype`` is given (as ``zeros_like``)."""
    check_device(device, "ones_like")
    shape, dt = _like(t, dtype, "ones_like")
    return _finish(np.ones(shape, dt), requires_grad)


def empty_like(
    t, dtype=None, requires_grad=False, *, layout=None, device=None, memory_format=None
) -> TensorBase:
    """An uninitialised tensor with the shape of ``t``, and its dtype unless ``dtype`` is given."""
    check_device(device, "empty_like")
    shape, dt = _like(t, dtype, "empty_like")
    return _finish(np.empty(shape, dt), requires_grad)


def full_like(
    t, fill_value, dtype=None, requires_grad=False, *, layout=None, device=None, memory_format=None
) -> TensorBase:
    """``fill_value`` in the shape of ``t``, with ``t``'s dtype unless ``dtype`` is given.

    >>> tt.full_like(tt.zeros(3), 0.5)
    tensor([0.5000, 0.5000, 0.5000])"""
    check_device(device, "full_like")
    shape, dt = _like(t, dtype, "full_like")
    return _finish(np.full(shape, fill_value, dt), requires_grad)


def rand(
    *sizes, size=None, generator=None, dtype=None, requires_grad=False, device=None
) -> TensorBase:
    """Samples of the uniform distribution on [0, 1), of shape ``size`` (ints or one tuple).

    Args:
        generator: a ``tt.Generator`` to draw from; the global one (``tt.manual_seed``) if None.
        dtype: a floating dtype, ``get_default_dtype()`` (float32) if None.
        requires_grad: make the result a leaf that records operations.

    >>> g = tt.Generator().manual_seed(1)
    >>> tt.rand(2, generator=g)
    tensor([0.5118, 0.9505])
    """
    check_device(device, "rand")
    dt = _float_dtype(dtype, "rand").np
    return _finish(
        rng(generator).random(_shape_args(sizes, "rand", size)).astype(dt, copy=False),
        requires_grad,
    )


def randn(
    *sizes, size=None, generator=None, dtype=None, requires_grad=False, device=None
) -> TensorBase:
    """Samples of the standard normal distribution N(0, 1), of shape ``size`` (ints or one
    tuple); the keyword arguments are ``rand``'s.

    >>> tt.randn(2, 3).shape
    tinytensor.Size([2, 3])
    """
    check_device(device, "randn")
    dt = _float_dtype(dtype, "randn").np
    return _finish(
        rng(generator).standard_normal(_shape_args(sizes, "randn", size)).astype(dt, copy=False),
        requires_grad,
    )


def randint(
    low=None,
    high=None,
    size=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> TensorBase:
    """Integers drawn uniformly from [low, high), of shape ``size`` (a tuple, required): int64
    unless ``dtype`` is given. As in PyTorch, ``randint(high, size)`` draws from [0, high) and
    ``randint(low, high, size)`` from [low, high).

    Args:
        low: the smallest value drawn (0 when only ``high`` is given).
        high: one more than the largest value drawn.
        size: the shape of the result, a tuple or list of ints.
        generator: a ``tt.Generator`` to draw from; the global one (``tt.manual_seed``) if None.
        dtype: the result's dtype (int64 if None); a floating dtype holds the same integers.
        requires_grad: make the result a leaf that records operations (floating dtypes only).

    >>> g = tt.Generator().manual_seed(0)
    >>> tt.randint(0, 10, (3,), generator=g)
    tensor([8, 6, 5])
    >>> tt.randint(5, (2, 2)).shape
    tinytensor.Size([2, 2])
    """
    check_device(device, "randint")
    if isinstance(high, (tuple, list)) and size is None:
        low, high, size = None, low, high  # randint(high, size)
    if high is None:
        low, high = None, low  # randint(high, size=...) or randint(high=..., ...)
    if high is None:
        raise TypeError("randint: high is required, e.g. randint(10, (3,)) or randint(0, 10, (3,))")
    low = 0 if low is None else _int_bound(low, "low")
    high = _int_bound(high, "high")
    if size is None:
        raise TypeError("randint: size is required, e.g. randint(0, 10, (3,))")
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    shape = _shape_args((tuple(size),) if isinstance(size, (list, tuple)) else (size,), "randint")
    return _finish(
        rng(generator).integers(low, high, shape).astype(dt.np, copy=False), requires_grad
    )


def _int_bound(v, name):
    """``randint``'s ``low``/``high`` as an int: an int or a one-element integer tensor."""
    if isinstance(v, TensorBase) and v.numel() == 1 and v._data.dtype.kind in "iu":
        v = v.item()
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise TypeError(f"randint: argument '{name}' must be an int, got {v!r}")
    return int(v)


def randperm(
    n,
    generator=None,
    dtype=None,
    *,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
) -> TensorBase:
    """A random permutation of ``0, 1, ..., n - 1`` (int64 unless ``dtype`` is given), drawn from
    ``generator`` or the global generator.

    >>> _ = tt.manual_seed(0)
    >>> tt.randperm(5)
    tensor([2, 4, 3, 0, 1])"""
    check_device(device, "randperm")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative int, got {n!r}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    return wrap(rng(generator).permutation(int(n)).astype(dt.np))


def normal(
    mean,
    std=1.0,
    size=None,
    *,
    generator=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
) -> TensorBase:
    """Samples of the normal distribution N(``mean``, ``std``²), in PyTorch's four forms:

    - ``normal(mean_tensor, std_tensor)``: one sample per element, mean and std broadcast
      together; the result has ``mean``'s dtype (which must be floating).
    - ``normal(mean_tensor, std=1.0)`` and ``normal(mean_float, std_tensor)``: the number is
      used for every element; the result has the tensor's shape and dtype.
    - ``normal(mean_float, std_float, size)``: a tensor of shape ``size`` (required), in
      ``dtype`` or the default float dtype.

    ``std`` must be >= 0 everywhere. Draws from ``generator`` or the global generator
    (``tt.manual_seed``). The samples carry no gradient: a ``mean`` or ``std`` that requires
    grad gets a zero gradient, as in PyTorch.

    >>> tt.normal(2.0, 0.5, size=(3,)).shape
    tinytensor.Size([3])
    >>> tt.normal(tt.zeros(2, 1), tt.ones(3)).shape
    tinytensor.Size([2, 3])"""
    mt, st = isinstance(mean, TensorBase), isinstance(std, TensorBase)
    if not (mt or st):
        for name, v in (("mean", mean), ("std", std)):
            if not isinstance(v, numbers.Real):
                raise TypeError(f"normal: {name} must be a Tensor or a number, got {v!r}")
        if size is None:
            raise TypeError(
                "normal: size is required when mean and std are numbers, e.g. "
                "normal(0.0, 1.0, (3,)); or pass a tensor as mean or std"
            )
        _check_std(std)
        check_device(device, "normal")
        shape = _shape_args(
            (tuple(size),) if isinstance(size, (list, tuple)) else (size,), "normal"
        )
        dt = _float_dtype(dtype, "normal").np
        return _finish(rng(generator).normal(mean, std, shape).astype(dt), requires_grad)
    if size is not None or dtype is not None or requires_grad:
        raise TypeError(
            "normal: size=, dtype= and requires_grad= go with a float mean and std only; with a "
            "tensor mean or std the result takes its shape and dtype"
        )
    for name, v, is_t in (("mean", mean, mt), ("std", std, st)):
        if not is_t and not isinstance(v, numbers.Real):
            raise TypeError(f"normal: {name} must be a Tensor or a number, got {v!r}")
    out_dt = (mean if mt else std)._data.dtype
    if out_dt.kind != "f":
        raise RuntimeError(
            f"normal: expected a floating-point {'mean' if mt else 'std'}, got "
            f"{D.from_numpy_dtype(out_dt)}"
        )
    m = mean._data if mt else mean
    sd = std._data if st else std
    _check_std(sd)
    try:
        shape = np.broadcast_shapes(np.shape(m), np.shape(sd))
    except ValueError:
        raise RuntimeError(
            f"normal: mean of shape {tuple(np.shape(m))} and std of shape {tuple(np.shape(sd))} "
            "don't broadcast"
        ) from None
    out = wrap(np.asarray(rng(generator).normal(m, sd, shape)).astype(out_dt, copy=False))
    return record(
        out,
        "Normal",
        (mean, std),
        _normal_backward,
        (mean.shape if mt else None, std.shape if st else None),
    )


def _check_std(std):
    if not np.all(np.asarray(std) >= 0):
        got = f", got std {std!r}" if np.ndim(std) == 0 else ""
        raise RuntimeError(f"normal: expected all elements of std >= 0.0{got}")


def _normal_backward(g, mean_shape, std_shape):
    # A sample does not depend on mean and std differentiably here: PyTorch gives zeros.
    return tuple(None if s is None else g.new_zeros(s) for s in (mean_shape, std_shape))


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """Values from ``start`` to ``end`` (exclusive) in steps of ``step``."""
    check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError(
            f"arange: upper bound and larger bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dt = D.get_default_dtype() if is_float else D.int64
    else:
        dt = D.to_dtype(dtype)
    return _finish(np.arange(start, end, step).astype(dt.np), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    >>> tt.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])"""
    check_device(device, "linspace")
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise RuntimeError(f"linspace: number of steps must be a non-negative int, got {steps!r}")
    dt = _float_dtype(dtype, "linspace").np
    return _finish(np.linspace(start, end, int(steps)).astype(dt), requires_grad)


def logspace(
    start, end, steps, base=10.0, dtype=None, requires_grad=False, *, layout=None, device=None
) -> TensorBase:
    """``steps`` values ``base ** x``, ``x`` evenly spaced from ``start`` to ``end`` (included).

    >>> tt.logspace(0, 2, 3)
    tensor([  1.,  10., 100.])"""
    check_device(device, "logspace")
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise RuntimeError(f"logspace: number of steps must be a non-negative int, got {steps!r}")
    dt = _float_dtype(dtype, "logspace").np
    return _finish(np.logspace(start, end, int(steps), base=base).astype(dt), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None) -> TensorBase:
    """An ``n`` by ``m`` matrix (``m`` defaults to ``n``): ones on the diagonal, zeros elsewhere.

    >>> tt.eye(2, 3)
    tensor([[1., 0., 0.],
            [0., 1., 0.]])"""
    check_device(device, "eye")
    for v in (n, m):
        if v is not None and (not isinstance(v, (int, np.integer)) or v < 0):
            raise RuntimeError(f"eye: sizes must be non-negative ints, got n={n!r}, m={m!r}")
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype, "eye").np), requires_grad)
