"""Turning user data (numbers, nested lists, arrays, tensors) into arrays of tinytensor's dtypes.

``to_array`` is the one place that decides the dtype of data a user hands in: Python floats
become the default float dtype, Python ints int64, NumPy arrays keep theirs.
"""

from __future__ import annotations

import numpy as np

from tinytensor import _dtype as D
from tinytensor.core.tensorbase import TensorBase


def to_array(data, dtype=None, copy=True) -> np.ndarray:
    """Turn user data into an array with tinytensor's default dtypes.

    Values that do not fit (1e300 as float32, NaN as an integer) convert silently, as in
    PyTorch: NumPy's cast warnings do not leak."""
    with np.errstate(all="ignore"):
        return _to_array(data, dtype, copy)


def _to_array(data, dtype, copy):
    want = None if dtype is None else D.to_dtype(dtype).np
    if isinstance(data, TensorBase):
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
        raise _bad_data(data, arr)
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


def _bad_data(data, arr):
    """The error for data that is no regular nest of numbers, in PyTorch's class: a string
    (TypeError), strings in a list (ValueError), an int beyond 64 bits (ValueError), anything
    else that is not a number (RuntimeError, "could not infer dtype")."""
    if isinstance(data, (str, bytes)):
        return TypeError(
            f"tensor(): data must be numbers or nested lists of numbers of a regular shape; "
            f"got {type(data).__name__} giving a NumPy array of dtype {arr.dtype}"
        )
    if arr.dtype.kind in "US":
        return ValueError(f"tensor(): strings are not numbers (got dtype {arr.dtype} data)")
    bad = [x for x in arr.reshape(-1) if not isinstance(x, (int, float, np.number))]
    if not bad:  # Python ints too big for 64 bits
        return ValueError("tensor(): an integer does not fit in 64 bits (overflow)")
    return RuntimeError(f"tensor(): could not infer the dtype of {type(bad[0]).__name__} data")


def _has_tensors(seq) -> bool:
    for x in seq:
        if isinstance(x, TensorBase):
            return True
        if isinstance(x, (list, tuple)) and _has_tensors(x):
            return True
    return False


def _tensors_to_lists(seq):
    return [
        x._data.tolist()
        if isinstance(x, TensorBase)
        else _tensors_to_lists(x)
        if isinstance(x, (list, tuple))
        else x
        for x in seq
    ]
