"""Input strategies, oracles and row builders shared by the pointwise families' op-table rows
(compare, selection, binary, unary, explog, trig, special, softmax), and their second-derivative
test."""

from __future__ import annotations

import numpy as np
import scipy.special as sp
from hypothesis import strategies as st

import tinytensor as tt
from tinytensor.testing import strategies as tst

from ._base import OpCase, Sample, binary_inputs, floats, lattice, shapes, tensor, unary_inputs
from ._torch import torch_call

NONZERO = floats(-3.0, 3.0, avoid=(0.0,), margin=0.4)


POSITIVE = floats(0.3, 4.0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _unary(name, fn, np_ref, torch_name, elements=None, **kw):
    return OpCase(name, fn, np_ref, torch_call(torch_name), unary_inputs(elements), **kw)


def _pow_scalar_inputs():
    @st.composite
    def draw_sample(draw):
        exponent = draw(st.sampled_from([2, 3, -1, -2, 0.5, 1.5, -0.5, 0.0, 1]))
        integral = float(exponent).is_integer()
        x = draw(tensor(shapes(), NONZERO if integral else POSITIVE))
        return Sample((x,), {"exponent": exponent})

    return draw_sample()


def _where_inputs():
    @st.composite
    def draw_sample(draw):
        from tinytensor.testing import strategies as tst

        sc, sa, sb = draw(tst.mutually_broadcastable_shapes(3))
        cond = draw(tst.tensors(shape=sc, dtype=tt.bool))
        return Sample((cond, draw(tensor(sa)), draw(tensor(sb))))

    return draw_sample()


def _clamp_inputs():
    """Scalar bounds (either may be None); values stay 0.1 away from them."""

    @st.composite
    def draw_sample(draw):
        lo, hi = draw(st.sampled_from([(-1.0, 1.0), (-0.5, None), (None, 0.5), (0.7, 2.0)]))
        avoid = tuple(v for v in (lo, hi) if v is not None)
        x = draw(tensor(shapes(), floats(-3.0, 3.0, avoid=avoid)))
        return Sample((x,), {"min": lo, "max": hi})

    return draw_sample()


def _clamp_tensor_inputs():
    @st.composite
    def draw_sample(draw):
        from tinytensor.testing import strategies as tst

        sx, slo, shi = draw(tst.mutually_broadcastable_shapes(3))
        return Sample(
            (
                draw(tensor(sx, lattice(0.0))),
                draw(tensor(slo, lattice(0.17))),
                draw(tensor(shi, lattice(0.34))),
            )
        )

    return draw_sample()


def _np_clamp(x, min=None, max=None):
    return np.clip(x, min, max)


def _operators(a, b):
    """The Python operators, spelled the same for tinytensor, NumPy and PyTorch."""
    return (a + b) * a - b / (a * a + 1.0) - (-a) + a**2 - 0.5 * b


def _ttorch_clamp(x, min=None, max=None):
    import torch

    return torch.clamp(x, min=min, max=max)


def _torch_minmax_clamp(x, lo, hi):
    # torch.clamp's own backward fails for a 0-d input with 1-d bounds; this is the same math.
    import torch

    return torch.minimum(torch.maximum(x, lo), hi)


NOT_INTEGER = floats(-3.0, 3.0, avoid=tuple(float(k) for k in range(-3, 4)), margin=0.1)


NOT_HALF = floats(-3.0, 3.0, avoid=tuple(k + 0.5 for k in range(-4, 4)), margin=0.1)


UNIT = floats(-0.9, 0.9)


def _torch_special(name, **fixed):
    def call(*args, **kwargs):
        import torch

        return getattr(torch.special, name)(*args, **fixed, **kwargs)

    return call


def _u(name, fn, np_ref, elements=None, torch_fn=None, **kw):
    """A unary row: tt.<name> vs ``np_ref`` and torch.<name>."""
    return OpCase(name, fn, np_ref, torch_fn or torch_call(name), unary_inputs(elements), **kw)


def _b(name, fn, np_ref, a=None, b=None, **kw):
    return OpCase(name, fn, np_ref, torch_call(name), binary_inputs(a, b), **kw)


@st.composite
def _ternary(draw, a=None, b=None, c=None, **kwargs):
    sa, sb, sc = draw(tst.mutually_broadcastable_shapes(3))
    return Sample((draw(tensor(sa, a)), draw(tensor(sb, b)), draw(tensor(sc, c))), kwargs)


@st.composite
def _division_inputs(draw):
    """(a, b) with a/b at least 0.15 from an integer: fmod and remainder are smooth there."""
    sa, sb = draw(tst.mutually_broadcastable_shapes(2))
    b = draw(tensor(sb, floats(0.6, 2.0).flatmap(lambda v: st.sampled_from([v, -v]))))
    q = draw(tensor(sa, st.tuples(st.integers(-3, 3), st.floats(0.15, 0.85)).map(sum)))
    return Sample((tt.tensor(q.numpy() * b.numpy()), b))


@st.composite
def _dim_inputs(draw):
    x = draw(tensor(shapes(min_dims=1)))
    return Sample((x,), {"dim": draw(st.integers(-x.ndim, x.ndim - 1))})


def _np_softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _np_lerp(s, e, w):
    return s + w * (e - s)


def _np_mvlgamma(x, p):
    return sp.multigammaln(x, p) if np.ndim(x) == 0 else np.vectorize(sp.multigammaln)(x, p)


def _np_xlogy(a, b):
    return sp.xlogy(a, b)


def _torch_polygamma(x, n):
    import torch

    return torch.polygamma(n, x)


def _torch_clamp_min(x, m):
    import torch

    return torch.clamp_min(x, m)


def _np_entr(x):
    return sp.entr(x)


def _not_diff(name, fn, np_ref, inputs, torch_fn=None):
    return OpCase(name, fn, np_ref, torch_fn or torch_call(name), inputs, differentiable=False)


def second_derivative_test(cases, max_examples=4):
    """The gradgradcheck test (float64) over ``cases``' twice-differentiable rows: every backward
    of the pointwise families is written in differentiable ops. A test module binds it with
    ``test_second_derivatives = second_derivative_test(CASES)``."""
    import pytest
    from hypothesis import given, settings

    from tinytensor.testing import gradgradcheck

    twice = [c for c in cases if c.differentiable and c.double_differentiable]

    @pytest.mark.parametrize("case", twice, ids=lambda c: c.name)
    @settings(max_examples=max_examples)
    @given(data=st.data())
    def test_second_derivatives(case, data):
        """gradgradcheck in float64: every backward here is written in differentiable ops."""
        sample = data.draw(case.inputs, label="sample")
        assert gradgradcheck(sample.bind(case.fn), sample.leaves())

    return test_second_derivatives
