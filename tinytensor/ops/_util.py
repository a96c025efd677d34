"""Helpers shared by the op families: unwrapping operands, dtype promotion, dim checking."""

from __future__ import annotations

import math
import numbers
import os
import re
import sys
import warnings

import numpy as np

from tinytensor import _dtype as D
from tinytensor._dtype import checked_scalar  # noqa: F401 (the ops import it from here)
from tinytensor.autograd.primitive import Primitive
from tinytensor.core import TensorBase, wrap
from tinytensor.ops.creation import tensor

_SCALARS = (int, float, bool, np.number, np.bool_)
# NEP 50 (NumPy >= 2): a Python int or float never changes a float array's dtype, so
# ``binary`` can pass it to NumPy as is and skip the ``dt.type(b)`` cast (about 0.35 us per op,
# a few % of a 1-element op). NumPy 1.x decides by value, so it keeps the cast.
_WEAK_SCALARS = int(np.__version__.split(".")[0]) >= 2
_PY_NUMBERS = (float, int)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn_user(message, category=UserWarning):
    """``warnings.warn`` pointing at the user's line: the first caller outside tinytensor,
    however many of its frames (Tensor methods, in-place writers, autograd) lie between."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def as_tensor(x, name="op"):
    """``x`` as a Tensor (Tensors pass through; numbers and arrays are wrapped, no grad)."""
    if isinstance(x, TensorBase):
        return x
    if isinstance(x, np.ndarray):
        D.from_numpy_dtype(x.dtype)
        return wrap(x)
    if isinstance(x, _SCALARS):
        return tensor(x)
    if isinstance(x, (list, tuple)):
        return tensor(x)
    raise TypeError(f"{name}: expected a Tensor or a number, got {type(x).__name__}")


def binary(a, b, name):
    """Unwrap two operands to NumPy values of PyTorch's result dtype.

    Returns ``(a, b, a_value, b_value)``: Python numbers stay numbers (as NumPy scalars of the
    result dtype, so NumPy 1.x and 2.x agree; under NumPy 2 a Python float or int beside a
    floating tensor stays a plain Python number) and Tensors become their arrays. Read the
    result dtype with ``value_dtype``, since one value may be a plain number.
    """
    ta = isinstance(a, TensorBase)
    tb = isinstance(b, TensorBase)
    if ta and tb:
        ad, bd = a._data, b._data
        if ad.dtype is bd.dtype or ad.dtype == bd.dtype:
            return a, b, ad, bd
        dt = D.promote(
            D.from_numpy_dtype(ad.dtype), ad.ndim, D.from_numpy_dtype(bd.dtype), bd.ndim
        ).np
        # The promotion casts run through the CAST kernel, so a compiler replays them.
        if ad.dtype != dt:
            ad = CAST.compute((a,), (ad,), {"dtype": dt})
        if bd.dtype != dt:
            bd = CAST.compute((b,), (bd,), {"dtype": dt})
        return a, b, ad, bd
    if ta:
        if b.__class__ is np.ndarray:
            return binary(a, as_tensor(b, name), name)
        ad = a._data
        if _WEAK_SCALARS and b.__class__ in _PY_NUMBERS and ad.dtype.kind == "f":
            return a, b, ad, b
        dt = _scalar_dtype(ad.dtype, b, name)
        if dt is not ad.dtype and dt != ad.dtype:
            ad = CAST.compute((a,), (ad,), {"dtype": dt})
        return a, b, ad, typed_scalar(dt, b, name)
    if tb:
        if a.__class__ is np.ndarray:
            return binary(as_tensor(a, name), b, name)
        bd = b._data
        if _WEAK_SCALARS and a.__class__ in _PY_NUMBERS and bd.dtype.kind == "f":
            return a, b, a, bd
        dt = _scalar_dtype(bd.dtype, a, name)
        if dt is not bd.dtype and dt != bd.dtype:
            bd = CAST.compute((b,), (bd,), {"dtype": dt})
        return a, b, typed_scalar(dt, a, name), bd
    a, b = as_tensor(a, name), as_tensor(b, name)
    return binary(a, b, name)


# NaN and inf follow IEEE silently, as in PyTorch. A hot kernel runs bare (np.errstate costs as
# much as a small op) inside ``try``; ``quiet_module`` drops NumPy's RuntimeWarning raised from
# that module's frames, and ``except FP_SIGNALS`` recomputes under errstate where the caller
# made warnings errors (``simplefilter("error")``) or set ``np.seterr(all="raise")``.
FP_SIGNALS = (RuntimeWarning, FloatingPointError)


def quiet_module(module_name):
    """Ignore the RuntimeWarnings NumPy raises from ``module_name``'s own frames (its kernels);
    every other module, the caller's included, keeps NumPy's warnings."""
    warnings.filterwarnings(
        "ignore", category=RuntimeWarning, module=re.escape(module_name) + "$"
    )


quiet_module(__name__)  # the cast kernel's (NaN or inf to an integer, overflow to float16)


def _cast_kernel(x, *, dtype):
    try:
        return x.astype(dtype)
    except FP_SIGNALS:  # NaN/inf to an integer, overflow: silently, as PyTorch
        with np.errstate(all="ignore"):
            return x.astype(dtype)


# A dtype conversion inside an op (promotion, integers to floats; no node of its own).
CAST = Primitive("Cast", _cast_kernel)


def typed_scalar(dt, value, name):
    """``value`` as a NumPy scalar of ``dt``. A Python int outside an integer dtype's range
    wraps to its low bits, as PyTorch's (``int32 | 0xFFFFFFFF`` is ``-1``, ``uint8 - 1`` is
    ``255``); one that needs more than 64 bits raises OverflowError, as PyTorch."""
    try:
        return dt.type(value)
    except OverflowError:
        if dt.kind not in "iu" or not isinstance(value, (int, np.integer)):
            raise
        value = int(value)
        if not -(2**63) <= value < 2**64:
            raise OverflowError(
                f"{name}: the Python integer {value} does not fit in 64 bits, so it cannot be "
                f"converted for a {dt} tensor (PyTorch refuses it too)"
            ) from None
        return np.array(value % 2**64, np.uint64).astype(dt)[()]


def binary_arith(a, b, name):
    """``binary`` for the arithmetic ops (add, sub, mul): a Python float or int beside a floating
    tensor comes back as a cached read-only 0-d array of the tensor's dtype, not a number.

    NumPy 2 converts a Python scalar operand on every call (about 0.2 us, as much as the whole
    kernel on a 1-element array); a 0-d array of the same dtype gives the same values (NEP 50
    casts the weak scalar to that dtype too) and the same result dtype and shape.
    """
    # The common cases answered here, without binary's call: two tensors of one dtype, or a
    # tensor beside a number already in the constant cache (only float dtypes have a table).
    if isinstance(b, TensorBase):
        bd = b._data
        if isinstance(a, TensorBase):
            ad = a._data
            if ad.dtype is bd.dtype:
                return a, b, ad, bd
        elif a.__class__ in _PY_NUMBERS and a:
            table = _CONSTS.get(bd.dtype)
            c = None if table is None else table.get(a)
            if c is not None:
                return a, b, c, bd
    elif b.__class__ in _PY_NUMBERS and b and isinstance(a, TensorBase):
        ad = a._data
        table = _CONSTS.get(ad.dtype)
        c = None if table is None else table.get(b)
        if c is not None:
            return a, b, ad, c
    a, b, ad, bd = binary(a, b, name)
    if bd.__class__ in _PY_NUMBERS:
        c = _const(bd, ad.dtype)
        if c is not None:
            bd = c
    elif ad.__class__ in _PY_NUMBERS:
        c = _const(ad, bd.dtype)
        if c is not None:
            ad = c
    return a, b, ad, bd


_CONSTS: dict = {}  # dtype -> {value: read-only 0-d array}
_CONSTS_MAX = 4096  # values per dtype before the cache is emptied (a loop of fresh constants)


def _const(value, dtype):
    """``value`` as a cached read-only 0-d array of ``dtype``, or None where the cast would not
    equal NumPy's handling of the plain number (NaN; a value out of the dtype's range)."""
    if dtype.kind != "f":  # only float tables: binary_arith's lookup relies on it
        return None
    table = _CONSTS.get(dtype)
    if table is None:
        table = _CONSTS[dtype] = {}
    key = value if value else (0, math.copysign(1.0, value))  # keeps 0.0 and -0.0 apart
    c = table.get(key)
    if c is not None:
        return c
    if value != value or value.__class__ is bool:  # NaN never finds itself in a dict
        return None
    try:
        with np.errstate(over="ignore"):
            c = np.array(value, dtype)
    except OverflowError:
        return None
    if np.isinf(c) and not np.isinf(float(value)):  # out of the dtype's range: let NumPy decide
        return None
    c.flags.writeable = False
    if len(table) >= _CONSTS_MAX:
        table.clear()
    table[key] = c
    return c


def scalar_like(value, dtype):
    """A read-only 0-d array of ``dtype`` holding ``value`` (cached): a constant for a kernel
    on tiny arrays, where a Python number costs NumPy a conversion on every call."""
    c = _const(value, dtype)
    return np.array(value, dtype) if c is None else c


_ZEROS: dict = {}  # float dtype -> read-only flat zeros, grown on demand up to _ZEROS_MAX
_ZEROS_MAX = 1 << 20  # elements: at most 8 MB a dtype is kept


def zeros_like_shape(d):
    """Read-only zeros of ``d``'s shape and float dtype, from a cached buffer (None if ``d`` is
    larger than the cache keeps). NumPy's ``maximum`` against a full array runs its SIMD loop,
    against a 0-d one a scalar loop: 2 us against 10 for a 128x256 float32 ``relu``."""
    n = d.size
    if n > _ZEROS_MAX:
        return None
    buf = _ZEROS.get(d.dtype)
    if buf is None or buf.size < n:
        buf = np.zeros(max(n, 4096), d.dtype)
        buf.flags.writeable = False
        _ZEROS[d.dtype] = buf
    return buf[:n].reshape(d.shape)


def value_dtype(ad, bd):
    """The result dtype of ``binary``'s two values (at most one of them is a Python number)."""
    return bd.dtype if ad.__class__ in _PY_NUMBERS else ad.dtype


def _scalar_dtype(dt, value, name):
    """Result dtype of ``array(dt) op value`` under PyTorch's rules."""
    if dt.kind == "f":
        if isinstance(value, (float, int, np.floating, np.integer, np.bool_)):
            return dt
    elif isinstance(value, (bool, np.bool_)):
        return dt
    elif isinstance(value, (int, np.integer)):
        return np.dtype(np.int64) if dt.kind == "b" else dt
    elif isinstance(value, (float, np.floating)):
        return D.get_default_dtype().np
    if isinstance(value, numbers.Number):
        raise TypeError(f"{name}: unsupported scalar type {type(value).__name__}")
    raise TypeError(
        f"{name}: unsupported operand type {type(value).__name__}; expected a Tensor or a number"
    )


def broadcast_error(name, *operands):
    """The error for operands whose shapes do not broadcast (raised instead of NumPy's)."""
    shapes = " and ".join(str(tuple(np.shape(getattr(x, "_data", x)))) for x in operands)
    return RuntimeError(
        f"{name}: shapes {shapes} cannot be broadcast together; sizes must match or be 1, "
        "compared from the last dimension"
    )


def norm_dim(dim, ndim, name):
    """Normalise an int or tuple ``dim`` to a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    n = max(ndim, 1)
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"{name}: dim must be an int or a tuple of ints, got {dim!r}")
        if not -n <= d < n:
            raise IndexError(
                f"{name}: dim {d} is out of range for a tensor with {ndim} dimension(s) "
                f"(expected a value in [{-n}, {n - 1}])"
            )
        out.append(int(d) % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{name}: dim {dim!r} names the same dimension twice")
    return tuple(sorted(out)) if ndim else ()


def all_dims_if_empty(dim):
    """``dim`` for the reductions PyTorch reads an empty dim list in as all dims (sum, mean,
    var, std, norm, logsumexp, nansum, nanmean): ``None`` for ``()`` or ``[]``."""
    if isinstance(dim, (tuple, list)) and not dim:
        return None
    return dim


def check_nonempty_dims(a, dim, axes, name):
    """Refuse to reduce the empty tensor ``a`` over ``axes`` (``dim`` as given, None for all)
    when one of them has size 0 (no identity): IndexError when a dim was given, RuntimeError
    for the whole tensor, as PyTorch."""
    if dim is not None and axes and all(a.shape[i] for i in axes):
        return
    error = RuntimeError if dim is None or not axes else IndexError
    raise error(
        f"{name}(): cannot reduce an empty tensor of shape {tuple(a.shape)} over dim {dim}; "
        "specify a dim with nonzero size"
    )


def promoted_values(a, b, ad, bd):
    """Both operands' storage ``ad``, ``bd`` in PyTorch's result dtype for tensors ``a``, ``b``
    (cast by the traced ``CAST`` kernel); the linalg solvers and factorizations use it."""
    dt = D.promote(D.from_numpy_dtype(ad.dtype), ad.ndim, D.from_numpy_dtype(bd.dtype), bd.ndim)
    dt = dt.np
    if ad.dtype != dt:
        ad = CAST.compute((a,), (ad,), {"dtype": dt})
    if bd.dtype != dt:
        bd = CAST.compute((b,), (bd,), {"dtype": dt})
    return ad, bd


def one_dim(dim, ndim, name):
    n = max(ndim, 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    if not -n <= dim < n:
        raise IndexError(
            f"{name}: dim {dim} is out of range for a tensor with {ndim} dimension(s) "
            f"(expected a value in [{-n}, {n - 1}])"
        )
    return int(dim) % n


def refuse_bool(a, dim, name, error, range_first=True):
    """``a`` as a tensor, refused with ``error`` (PyTorch's class for ``name``) if it is a bool
    tensor: after checking that ``dim`` (when given) is an int, and that it is in range first
    if ``range_first`` (PyTorch's order for ``name``)."""
    a = as_tensor(a, name)
    if dim is not None and (range_first or not isinstance(dim, (int, np.integer))):
        one_dim(dim, a.ndim, name)
    if a._data.dtype == np.bool_:
        raise error(f"{name}(): not supported for bool tensors, as in PyTorch; convert with .int()")
    return a


def check_float(x, name, error=TypeError):
    """``error`` (PyTorch's class for ``name``) unless ``x`` is floating point."""
    if x._data.dtype.kind != "f":
        raise error(
            f"{name}: expected a floating point tensor, got dtype {x.dtype}; "
            f"convert it with .float()"
        )


def requires_grad(x) -> bool:
    return getattr(x, "_requires_grad", False)
