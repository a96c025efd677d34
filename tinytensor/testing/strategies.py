"""Hypothesis strategies for property-based tests of tinytensor ops (needs ``hypothesis``).

>>> from hypothesis import given
>>> from tinytensor.testing import strategies as tst
>>> @given(tst.tensors(shape=tst.shapes(max_dims=3), requires_grad=True))
... def test_my_op(x):
...     assert tinytensor.testing.gradcheck(my_op, (x,))
"""

from __future__ import annotations

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "tinytensor.testing.strategies needs hypothesis: pip install hypothesis (or, in a "
        'clone of tinytensor, pip install -e ".[test]")'
    ) from e

import tinytensor as tt
from tinytensor import _dtype as D

__all__ = [
    "shapes",
    "tensors",
    "broadcastable_shapes",
    "mutually_broadcastable_shapes",
    "dims",
    "dim_and_keepdim",
    "floats_for",
    "tensors_like",
]


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Array shapes, e.g. ``()``, ``(3,)``, ``(2, 1, 4)``."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def floats_for(
    dtype=D.float64, min_value=-10.0, max_value=10.0, allow_nan=False, allow_infinity=False
):
    """Finite floats representable in ``dtype`` (bounded by default, so gradients stay sane)."""
    width = D.to_dtype(dtype).itemsize * 8
    return st.floats(
        min_value=min_value,
        max_value=max_value,
        allow_nan=allow_nan,
        allow_infinity=allow_infinity,
        width=width,
    )


def tensors(
    shape=None, dtype=D.float64, elements=None, requires_grad=False, min_value=-10.0, max_value=10.0
):
    """Tensors of a given shape (or drawn from a shape strategy) and dtype.

    ``shape``: a tuple or a strategy of tuples (default: ``shapes()``); ``elements``: a
    strategy for the values (default: bounded finite floats, or small ints for integer dtypes).
    """
    dt = D.to_dtype(dtype)
    if shape is None:
        shape = shapes()
    if elements is None:
        if dt.is_floating_point:
            elements = floats_for(dt, min_value, max_value)
        elif dt is D.bool_:
            elements = st.booleans()
        else:
            elements = st.integers(int(max(min_value, -100)), int(min(max_value, 100)))
    arrays = hnp.arrays(dt.np, shape, elements=elements)
    return arrays.map(lambda a: tt.tensor(a, requires_grad=requires_grad and dt.is_floating_point))


def tensors_like(shape_strategy_or_shape, n, **kwargs):
    """A tuple of ``n`` tensors sharing one drawn shape."""
    if isinstance(shape_strategy_or_shape, tuple):
        return st.tuples(*[tensors(shape_strategy_or_shape, **kwargs) for _ in range(n)])
    return shape_strategy_or_shape.flatmap(
        lambda s: st.tuples(*[tensors(s, **kwargs) for _ in range(n)])
    )


def mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4):
    """A tuple of ``num_shapes`` shapes that broadcast together (e.g. ``(3, 1)``, ``(4,)``)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes,
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
    ).map(lambda bs: bs.input_shapes)


def broadcastable_shapes(shape, min_dims=0, max_dims=None, min_side=1, max_side=None):
    """Shapes that broadcast against ``shape``."""
    return hnp.broadcastable_shapes(
        shape, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def dims(ndim, allow_none=True, allow_tuple=True, allow_negative=True):
    """A valid ``dim`` argument for a tensor with ``ndim`` dims: None, an int or a tuple."""
    if ndim == 0:
        options = [st.just(None)] if allow_none else []
        options.append(st.sampled_from([0, -1] if allow_negative else [0]))
        return st.one_of(*options)
    lo = -ndim if allow_negative else 0
    single = st.integers(lo, ndim - 1)
    options = [single]
    if allow_none:
        options.append(st.just(None))
    if allow_tuple:
        options.append(
            st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
        )
    return st.one_of(*options)


def dim_and_keepdim(ndim, **kwargs):
    """``(dim, keepdim)`` pairs for reductions."""
    return st.tuples(dims(ndim, **kwargs), st.booleans())


def as_numpy(t) -> np.ndarray:
    return t.detach().numpy()
