"""dtypes: thin named wrappers over NumPy dtypes, with PyTorch's promotion rules."""

from __future__ import annotations

import math

import numpy as np


class dtype:
    """A tensor element type, e.g. ``tinytensor.float32``; ``.np`` is the NumPy dtype beneath."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in "if"
        self.itemsize = self.np.itemsize
        self._category = category  # 0 bool, 1 integer, 2 floating

    def __repr__(self) -> str:
        return f"tinytensor.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
_NAMES.update(
    {
        "float": float32,
        "double": float64,
        "half": float16,
        "long": int64,
        "int": int32,
        "short": int16,
        "bool_": bool_,
    }
)

_default_float = float32


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The tinytensor dtype for a NumPy dtype; a clear error for unsupported kinds."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"tinytensor does not support NumPy dtype {np_dtype!r}; supported dtypes are "
            + ", ".join(d.name for d in ALL)
        ) from None


def to_dtype(d) -> dtype:
    """Accept a tinytensor dtype, a NumPy dtype/type, a name, or Python float/int/bool."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return _default_float
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str):
        if d in _NAMES:
            return _NAMES[d]
        raise TypeError(f"unknown dtype name {d!r}; use one of {sorted(_NAMES)}")
    return from_numpy_dtype(d)


def get_default_dtype() -> dtype:
    """The dtype given to tensors made from Python floats (``float32`` unless changed)."""
    return _default_float


def set_default_dtype(d) -> None:
    """Set the floating dtype used for Python floats and float-producing creation functions."""
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {d}")
    _default_float = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """PyTorch's ``promote_types``: the higher category wins outright (int64 and float16 give
    float16, unlike NumPy's float64); within a category the wider type (uint8 and int8 give
    int16)."""
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    return _FROM_NP[np.promote_types(a.np, b.np)]


def promote(a: dtype, a_dim: int, b: dtype, b_dim: int) -> dtype:
    """PyTorch's rule: dimensioned operands decide unless a 0-d one is of a higher category."""
    if a is b:
        return a
    if (a_dim == 0) != (b_dim == 0):
        dim_t, zero_t = (b, a) if a_dim == 0 else (a, b)
        if zero_t._category > dim_t._category:
            return zero_t
        return dim_t
    return promote_types(a, b)


def scalar_result(t: dtype, value) -> dtype:
    """Result dtype of ``tensor op python_scalar`` (the scalar never widens within a category)."""
    if isinstance(value, (bool, np.bool_)):
        return t
    if isinstance(value, (int, np.integer)):
        return int64 if t is bool_ else t
    if isinstance(value, (float, np.floating)):
        return t if t.is_floating_point else _default_float
    raise TypeError(f"unsupported operand type {type(value).__name__}")


def checked_scalar(v, dt, name):
    """The number ``v`` as a NumPy scalar of the NumPy dtype ``dt``, refused (RuntimeError) where
    it does not fit, as PyTorch's checked conversion of a Scalar argument (clamp's bounds,
    masked_fill's value): an unsigned dtype takes -max..max (a negative value wraps),
    a float dtype any value up to its largest finite one in magnitude, or inf or NaN."""
    if isinstance(v, (bool, np.bool_)):
        return dt.type(v)
    if isinstance(v, (int, np.integer)):
        v = int(v)
        if not -(2**63) <= v < 2**64:
            raise OverflowError(f"{name}: the value {v} does not fit in 64 bits")
    if dt.kind in "iu":
        info = np.iinfo(dt)
        low = -int(info.max) if dt.kind == "u" else int(info.min)
        if not low <= v <= info.max:
            raise RuntimeError(
                f"{name}: value {v} cannot be converted to type {from_numpy_dtype(dt)} without "
                f"overflow (its range is {low}..{info.max}); use a value in range or cast the "
                "tensor to a wider dtype first"
            )
        return dt.type(v % 2 ** (8 * dt.itemsize) if v < 0 and dt.kind == "u" else v)
    if dt.kind == "f":
        f = float(v)
        if math.isfinite(f) and abs(f) > float(np.finfo(dt).max):
            raise RuntimeError(
                f"{name}: value {v} cannot be converted to type {from_numpy_dtype(dt)} without "
                "overflow (it is beyond the dtype's largest finite value); use a value in range "
                "or cast the tensor to a wider dtype first"
            )
        return dt.type(f)
    return dt.type(v)
