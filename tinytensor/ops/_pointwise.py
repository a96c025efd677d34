"""What the pointwise families (compare, binary, unary, trig, special) share: operand coercion
to float or to the result dtype, quiet kernels, and the broadcasting error.

NaN and inf follow IEEE silently, as in PyTorch: no NumPy warning leaks from an op. Kernels run
under ``np.errstate(all="ignore")`` (``quiet``), except the hot ones (add, sub, mul, div, pow,
exp, log, sqrt), where an errstate would cost as much as the op: they run bare, a warnings
filter scoped to their module (``silence_numpy_warnings``) drops NumPy's warning, and where the
caller made warnings errors (``simplefilter("error")``, ``np.seterr(all="raise")``) they catch
that (``FP_SIGNALS``) and compute again under ``quiet``. Add, sub, mul and div also declare their
operator as the primitive's ``fast`` kernel (a C call, no Python frame per op): it runs in
``autograd.primitive``'s frames, whose RuntimeWarnings that module drops, and a signal made an
error falls back to the Python kernel.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np

from tinytensor._dtype import get_default_dtype
from tinytensor.core import TensorBase
from tinytensor.ops._util import CAST, as_tensor, binary, broadcast_error, value_dtype

__all__ = [
    "FP_SIGNALS",
    "LN2",
    "LN10",
    "binary_kernel",
    "float_values",
    "into_of",
    "operands",
    "quiet_apply",
    "quiet",
    "run",
    "silence_numpy_warnings",
    "to_float",
    "unary_float",
    "unary_kernel",
]

FP_SIGNALS = (RuntimeWarning, FloatingPointError)  # NumPy's warning made an error, or "raise"
quiet = np.errstate  # ``with quiet(all="ignore"):`` around a kernel
LN2 = math.log(2.0)
LN10 = math.log(10.0)


def silence_numpy_warnings(module_name):
    """Drop NumPy's ``RuntimeWarning`` raised from the kernels of module ``module_name``."""
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=re.escape(module_name) + "$")


def unary_float(a, name):
    """``a`` as a tensor and its storage as a float array (integers and bools go to the default
    float dtype, by the traced ``CAST`` kernel)."""
    if not isinstance(a, TensorBase):
        a = as_tensor(a, name)
    d = a._data
    if d.dtype.kind != "f":
        d = CAST.compute((a,), (d,), {"dtype": get_default_dtype().np})
    return a, d


def to_float(t, v, dt):
    """Operand ``t``'s value ``v`` as ``dt``: arrays by the traced ``CAST`` kernel, NumPy
    scalars (constants) directly."""
    return CAST.compute((t,), (v,), {"dtype": dt}) if v.__class__ is np.ndarray else dt.type(v)


def operands(a, b, name, floating=False, integers=True):
    """Both operands and their values at PyTorch's result dtype (floating if ``floating``);
    without ``integers``, integer and bool operands are refused (NotImplementedError), as for
    PyTorch's ops with float kernels only (hypot, logaddexp, nextafter)."""
    a, b, ad, bd = binary(a, b, name)
    if not integers and value_dtype(ad, bd).kind != "f":
        raise NotImplementedError(
            f"{name}: not implemented for {value_dtype(ad, bd)} tensors, as in PyTorch; convert "
            "them with .float()"
        )
    if floating and value_dtype(ad, bd).kind != "f":
        ad, bd = float_values(a, b)
    return a, b, ad, bd


def float_values(a, b):
    """The values of integer or bool operands ``a`` and ``b`` (tensors or Python numbers) at the
    default float dtype, each converted from its own value, as PyTorch computes a floating op
    (div, atan2, ...) of integers: never through their common integer dtype, where a number or
    a 0-d tensor out of its range would wrap first (uint8 / 300, uint8 / -3)."""
    dt = get_default_dtype().np
    return tuple(
        to_float(t, t._data, dt) if isinstance(t, TensorBase) else dt.type(t) for t in (a, b)
    )


def quiet_apply(fn, d):
    """``fn(d)`` without NumPy's warnings: NaN and inf follow IEEE, as in PyTorch; float16 in
    float32, rounded once at the end, as PyTorch's CPU kernels compute half (sinc(2) is 0)."""
    with np.errstate(all="ignore"):
        x = d.astype(np.float32) if d.dtype == np.float16 else d
        return fn(x).astype(d.dtype, copy=False)


def unary_kernel(fn, name):
    """A primitive's kernel for the float function ``fn``: ``fn(d)`` at ``d``'s dtype, quiet."""

    def kernel(d):
        return quiet_apply(fn, d)

    kernel.__name__ = kernel.__qualname__ = f"_{name}_kernel"
    return kernel


def binary_kernel(fn, name):
    """A primitive's kernel for the NumPy function ``fn`` of two values: quiet (NaN and inf
    follow IEEE), at their result dtype."""

    def kernel(a, b):
        with np.errstate(all="ignore"):
            out = fn(a, b)
        return np.asarray(out).astype(value_dtype(a, b), copy=False)

    kernel.__name__ = kernel.__qualname__ = f"_{name}_kernel"
    return kernel


silence_numpy_warnings(__name__)  # into_of's ufunc calls run bare, as the hot kernels


def into_of(ufunc):
    """The ``into`` (``autograd.primitive.Primitive``) of a kernel that computes ``ufunc(a,
    b)`` bare and again under ``quiet`` where a floating-point signal was made an error: the
    same loop, writing into ``out`` (an array of the result's shape and dtype)."""

    def into(out, a, b):
        try:
            return ufunc(a, b, out=out)
        except FP_SIGNALS:
            with quiet(all="ignore"):
                return ufunc(a, b, out=out)

    into.__name__ = into.__qualname__ = f"_{ufunc.__name__}_into"
    return into


def run(prim, name, inputs, args, saved=(), attrs=None):
    """``prim.apply``, with NumPy's broadcasting error as ours, naming ``name``'s operands."""
    try:
        return prim.apply(inputs, args, saved, attrs)
    except ValueError:
        raise broadcast_error(name, *inputs) from None
