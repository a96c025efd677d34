"""Making tensors: from data, filled, ranged, random. One global generator seeds everything."""

from __future__ import annotations

import numbers

import numpy as np

from tinytensor import _dtype as D
from tinytensor.tensor import Tensor, _wrap

_generator = [np.random.default_rng()]


def manual_seed(seed: int):
    """Seed the one generator behind every random function and layer initialiser."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _generator[0] = np.random.default_rng(int(seed))
    return Generator._wrap(_generator[0])


def seed() -> int:
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def _rng(generator=None) -> np.random.Generator:
    if generator is not None:
        return generator._rng
    return _generator[0]


class Generator:
    """A private random stream (``Generator().manual_seed(n)``), accepted by ``generator=``."""

    def __init__(self, device="cpu"):
        self._rng = np.random.default_rng()

    @classmethod
    def _wrap(cls, rng):
        g = cls.__new__(cls)
        g._rng = rng
        return g

    def manual_seed(self, seed: int):
        self._rng = np.random.default_rng(int(seed))
        return self

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state


def get_rng_state():
    return _generator[0].bit_generator.state


def set_rng_state(state):
    """Restore a state from ``get_rng_state()``; anything else is refused, the state untouched."""
    kind = _generator[0].bit_generator.__class__.__name__
    if not isinstance(state, dict) or state.get("bit_generator") != kind:
        raise TypeError(
            f"set_rng_state: expected a state returned by tinytensor.get_rng_state() (a dict "
            f"for the {kind} generator), got {type(state).__name__}"
        )
    try:
        _generator[0].bit_generator.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"set_rng_state: malformed generator state: {e}") from None


def _to_array(data, dtype=None, copy=True) -> np.ndarray:
    """Turn user data into an array with tinytensor's default dtypes."""
    want = None if dtype is None else D.to_dtype(dtype).np
    if isinstance(data, Tensor):
        arr = data._data
        if want is not None and arr.dtype != want:
            return arr.astype(want)
        return arr.copy() if copy else arr
    if isinstance(data, np.ndarray):
        D.from_numpy_dtype(data.dtype)
        if want is not None:
            return (
                data.astype(want, copy=copy)
                if data.dtype != want
                else (data.copy() if copy else data)
            )
        return data.copy() if copy else data
    if isinstance(data, (list, tuple)) and _has_tensors(data):
        data = _tensors_to_lists(data)
    try:
        arr = np.array(data)
    except ValueError as e:
        raise ValueError(f"tensor(): could not build a tensor from the data given: {e}") from None
    if arr.dtype == object or arr.dtype.kind in "USVO":
        raise TypeError(
            f"tensor(): data must be numbers or nested lists of numbers of a regular shape; "
            f"got {type(data).__name__} giving a NumPy array of dtype {arr.dtype}"
        )
    if want is not None:
        return arr.astype(want, copy=False)
    if arr.dtype.kind == "f":
        if isinstance(data, np.floating):
            return arr
        return arr.astype(D.get_default_dtype().np, copy=False)
    if arr.dtype.kind in "iu" and not isinstance(data, np.integer):
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "c":
        raise TypeError("tensor(): complex numbers are not supported")
    D.from_numpy_dtype(arr.dtype)
    return arr


def _has_tensors(seq) -> bool:
    for x in seq:
        if isinstance(x, Tensor):
            return True
        if isinstance(x, (list, tuple)) and _has_tensors(x):
            return True
    return False


def _tensors_to_lists(seq):
    return [
        x._data.tolist()
        if isinstance(x, Tensor)
        else _tensors_to_lists(x)
        if isinstance(x, (list, tuple))
        else x
        for x in seq
    ]


def _finish(arr, requires_grad) -> Tensor:
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor).

    Python floats become ``get_default_dtype()`` (float32), ints ``int64``, bools ``bool``;
    a NumPy array keeps its dtype.
    """
    return _finish(_to_array(data, dtype, copy=True), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and (dtype is None or data.dtype is D.to_dtype(dtype)):
        return data
    return _finish(_to_array(data, dtype, copy=False), False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    D.from_numpy_dtype(array.dtype)
    return _wrap(array)


def from_dlpack(obj) -> Tensor:
    """A tensor sharing memory with any object exporting ``__dlpack__`` (CPU only)."""
    if isinstance(obj, Tensor):
        return obj.detach()
    if not hasattr(obj, "__dlpack__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ (a tensor or array of another "
            f"library), got {type(obj).__name__}"
        )
    return from_numpy(np.from_dlpack(obj))


def _shape_args(shape, name):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = []
    for s in shape:
        if isinstance(s, Tensor):
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


def zeros(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _finish(
        np.zeros(_shape_args(size, "zeros"), _float_dtype(dtype, "zeros").np), requires_grad
    )


def ones(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _finish(
        np.ones(_shape_args(size, "ones"), _float_dtype(dtype, "ones").np), requires_grad
    )


def empty(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _finish(
        np.empty(_shape_args(size, "empty"), _float_dtype(dtype, "empty").np), requires_grad
    )


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    shape = _shape_args((size,) if not isinstance(size, (tuple, list)) else (tuple(size),), "full")
    if dtype is None:
        dtype = (
            _to_array(fill_value).dtype if not isinstance(fill_value, Tensor) else fill_value.dtype
        )
    dt = D.to_dtype(dtype)
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    return _finish(np.full(shape, value, dt.np), requires_grad)


def _like(t, dtype, name="zeros_like"):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    return t.shape, (t._data.dtype if dtype is None else D.to_dtype(dtype).np)


def zeros_like(t, dtype=None, requires_grad=False) -> Tensor:
    shape, dt = _like(t, dtype, "zeros_like")
    return _finish(np.zeros(shape, dt), requires_grad)


def ones_like(t, dtype=None, requires_grad=False) -> Tensor:
    shape, dt = _like(t, dtype, "ones_like")
    return _finish(np.ones(shape, dt), requires_grad)


def empty_like(t, dtype=None, requires_grad=False) -> Tensor:
    shape, dt = _like(t, dtype, "empty_like")
    return _finish(np.empty(shape, dt), requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False) -> Tensor:
    shape, dt = _like(t, dtype, "full_like")
    return _finish(np.full(shape, fill_value, dt), requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Uniform samples on [0, 1)."""
    dt = _float_dtype(dtype, "rand").np
    return _finish(
        _rng(generator).random(_shape_args(size, "rand")).astype(dt, copy=False), requires_grad
    )


def randn(*size, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Standard normal samples."""
    dt = _float_dtype(dtype, "randn").np
    return _finish(
        _rng(generator).standard_normal(_shape_args(size, "randn")).astype(dt, copy=False),
        requires_grad,
    )


def randint(low, high=None, size=None, generator=None, dtype=None, device=None) -> Tensor:
    """Integers drawn uniformly from [low, high)."""
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size is required, e.g. randint(0, 10, (3,))")
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    shape = _shape_args((tuple(size),) if isinstance(size, (list, tuple)) else (size,), "randint")
    return _wrap(_rng(generator).integers(low, high, shape).astype(dt.np, copy=False))


def randperm(n, generator=None, dtype=None) -> Tensor:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative int, got {n!r}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    return _wrap(_rng(generator).permutation(int(n)).astype(dt.np))


def normal(mean=0.0, std=1.0, size=None, generator=None) -> Tensor:
    if np.any(np.asarray(std) < 0):
        raise RuntimeError(f"normal: std must be >= 0, got {std!r}")
    shape = () if size is None else _shape_args((tuple(size),), "normal")
    return _wrap(_rng(generator).normal(mean, std, shape).astype(D.get_default_dtype().np))


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) in steps of ``step``."""
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


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None) -> Tensor:
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise RuntimeError(f"linspace: number of steps must be a non-negative int, got {steps!r}")
    dt = _float_dtype(dtype, "linspace").np
    return _finish(np.linspace(start, end, int(steps)).astype(dt), requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, requires_grad=False) -> Tensor:
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise RuntimeError(f"logspace: number of steps must be a non-negative int, got {steps!r}")
    dt = _float_dtype(dtype, "logspace").np
    return _finish(np.logspace(start, end, int(steps), base=base).astype(dt), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    for v in (n, m):
        if v is not None and (not isinstance(v, (int, np.integer)) or v < 0):
            raise RuntimeError(f"eye: sizes must be non-negative ints, got n={n!r}, m={m!r}")
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype, "eye").np), requires_grad)
