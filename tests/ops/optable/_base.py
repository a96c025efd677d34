"""The pieces every op-table row is built from: ``OpCase``, ``Sample`` and input strategies.

A row names an op three ways (tinytensor, NumPy, PyTorch) and says how to draw its inputs.
Strategies draw a ``Sample``: positional ``args`` (tinytensor tensors: float64 for the
differentiable inputs, int64/bool for indices and masks) and keyword ``kwargs`` (dims, sizes,
Python scalars, index tuples) that are passed unchanged to all three functions, except that
tensors inside them are converted for NumPy and PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import strategies as tst


@dataclass
class Sample:
    """One drawn set of inputs: ``fn(*args, **kwargs)``."""

    args: tuple
    kwargs: dict = field(default_factory=dict)

    def leaves(self) -> tuple:
        """Fresh copies of ``args``; floating ones are float64 leaves with requires_grad."""
        out = []
        for a in self.args:
            if isinstance(a, tt.Tensor) and a.is_floating_point():
                out.append(tt.tensor(a.numpy(), dtype=tt.float64, requires_grad=True))
            else:
                out.append(a)
        return tuple(out)

    def bind(self, fn) -> Callable:
        """``fn`` as a function of the positional tensors only (kwargs fixed)."""
        kwargs = self.kwargs
        return lambda *xs: fn(*xs, **kwargs)


@dataclass(frozen=True)
class OpCase:
    """One differentiable (or explicitly non-differentiable) op of SPEC section 3.

    ``fn``, ``np_ref`` and ``torch_fn`` take the same ``(*args, **kwargs)``; ``torch_fn`` is
    None where PyTorch has no equivalent. ``inputs`` draws a ``Sample``. ``double_differentiable``
    tells the second-order tests whether the backward is itself differentiable.
    """

    name: str
    fn: Callable
    np_ref: Callable | None
    torch_fn: Callable | None
    inputs: st.SearchStrategy
    differentiable: bool = True
    double_differentiable: bool = True
    rtol: float = 1e-7
    atol: float = 1e-9

    def __repr__(self) -> str:
        return f"OpCase({self.name})"


# --- value strategies -------------------------------------------------------------------------


def _push(v, avoid, margin):
    for p in avoid:
        if abs(v - p) < margin:
            v = p + margin if v >= p else p - margin
    return v


def floats(lo=-3.0, hi=3.0, avoid=(), margin=0.1):
    """Floats in [lo, hi] kept at least ``margin`` away from the points in ``avoid``
    (the non-differentiable points of the op)."""
    base = tst.floats_for(tt.float64, lo, hi)
    if not avoid:
        return base
    return base.map(lambda v: _push(v, avoid, margin))


def lattice(offset):
    """Values k/2 + offset + jitter (jitter < 0.05): lattices with offsets 0, 0.17 and 0.34
    never come closer than 0.12, so maximum/minimum/clamp between them have no ties."""
    return st.tuples(st.integers(-6, 6), st.floats(0.0, 0.05)).map(
        lambda kj: kj[0] * 0.5 + offset + kj[1]
    )


def tensor(shape, elements=None, dtype=tt.float64):
    """A tinytensor tensor of ``shape`` (a tuple or a strategy)."""
    if elements is None and dtype is tt.float64:
        elements = floats()
    return tst.tensors(shape=shape, dtype=dtype, elements=elements)


@st.composite
def distinct(draw, shape, signed=False, gap=0.3):
    """A float64 tensor whose values (or absolute values if ``signed``) are pairwise at least
    ``gap - 0.1`` apart: no ties for max/min/sort-like ops, no tiny variances."""
    if not isinstance(shape, tuple):
        shape = draw(shape)
    n = math.prod(shape)
    perm = np.array(draw(st.permutations(range(n))), dtype=np.float64).reshape(shape)
    jitter = draw(tst.tensors(shape=shape, elements=st.floats(0.0, 0.1))).numpy()
    if signed:
        mag = perm * gap + 0.2 + jitter
        signs = draw(tst.tensors(shape=shape, dtype=tt.bool)).numpy()
        return tt.tensor(np.where(signs, mag, -mag))
    return tt.tensor(perm * gap - gap * n / 2 + jitter)


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    return tst.shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


# --- input strategies for common op signatures ---------------------------------------------------


def unary_inputs(elements=None, shape=None, **kwargs_strategies):
    """One tensor, plus keyword arguments drawn from ``kwargs_strategies``."""

    @st.composite
    def draw_sample(draw):
        x = draw(tensor(shape if shape is not None else shapes(), elements))
        kw = {k: draw(s) for k, s in kwargs_strategies.items()}
        return Sample((x,), kw)

    return draw_sample()


def binary_inputs(a_elements=None, b_elements=None, max_dims=3):
    """Two tensors of mutually broadcastable shapes."""

    @st.composite
    def draw_sample(draw):
        sa, sb = draw(tst.mutually_broadcastable_shapes(2, max_dims=max_dims))
        return Sample((draw(tensor(sa, a_elements)), draw(tensor(sb, b_elements))))

    return draw_sample()


def reduce_inputs(elements=None, allow_none=True, allow_tuple=True, min_side=1, value=None):
    """A tensor with a valid ``dim`` and ``keepdim``; ``value`` (a shape -> strategy function)
    overrides how the tensor is drawn."""

    @st.composite
    def draw_sample(draw):
        shape = draw(shapes(min_side=min_side))
        x = draw(value(shape) if value else tensor(shape, elements))
        dim, keepdim = draw(
            tst.dim_and_keepdim(x.ndim, allow_none=allow_none, allow_tuple=allow_tuple)
        )
        return Sample((x,), {"dim": dim, "keepdim": keepdim})

    return draw_sample()


def np_axis(dim):
    """NumPy's spelling of a tinytensor ``dim``."""
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim
