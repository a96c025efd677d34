"""Op-table rows for elementwise ops (tinytensor/ops/elementwise.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import tinytensor as tt

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

CASES = [
    OpCase("add", tt.add, np.add, torch_call("add"), binary_inputs()),
    OpCase(
        "add_alpha",
        lambda a, b: tt.add(a, b, alpha=2.5),
        lambda a, b: a + 2.5 * b,
        torch_call("add", alpha=2.5),
        binary_inputs(),
    ),
    OpCase("sub", tt.sub, np.subtract, torch_call("sub"), binary_inputs()),
    OpCase(
        "sub_alpha",
        lambda a, b: a.sub(b, alpha=-0.5),
        lambda a, b: a + 0.5 * b,
        torch_call("sub", alpha=-0.5),
        binary_inputs(),
    ),
    OpCase("mul", tt.mul, np.multiply, torch_call("mul"), binary_inputs()),
    OpCase("div", tt.div, np.divide, torch_call("div"), binary_inputs(b_elements=NONZERO)),
    OpCase("operators", _operators, _operators, _operators, binary_inputs()),
    OpCase(
        "scalar_left",
        lambda x: 2.5 - x + 3 * x + 1.5 / (x * x + 1.0) + np.float64(0.5) * x,
        lambda x: 2.5 - x + 3 * x + 1.5 / (x * x + 1.0) + 0.5 * x,
        lambda x: 2.5 - x + 3 * x + 1.5 / (x * x + 1.0) + 0.5 * x,
        unary_inputs(),
    ),
    _unary("neg", tt.neg, np.negative, "neg"),
    OpCase(
        "pow",
        tt.pow,
        np.power,
        torch_call("pow"),
        binary_inputs(a_elements=POSITIVE, b_elements=floats(-2.0, 2.0)),
    ),
    OpCase(
        "pow_scalar",
        lambda x, exponent: x**exponent,
        lambda x, exponent: np.power(x, exponent),
        lambda x, exponent: x**exponent,
        _pow_scalar_inputs(),
    ),
    OpCase("rpow", lambda x: 2.0**x, lambda x: np.power(2.0, x), lambda x: 2.0**x, unary_inputs()),
    _unary("square", tt.square, np.square, "square"),
    _unary("reciprocal", tt.reciprocal, np.reciprocal, "reciprocal", NONZERO),
    _unary("exp", tt.exp, np.exp, "exp"),
    _unary("log", tt.log, np.log, "log", POSITIVE),
    _unary("log1p", tt.log1p, np.log1p, "log1p", floats(-0.7, 4.0)),
    _unary("sqrt", tt.sqrt, np.sqrt, "sqrt", POSITIVE),
    _unary("rsqrt", tt.rsqrt, lambda x: 1.0 / np.sqrt(x), "rsqrt", POSITIVE),
    _unary("abs", tt.abs, np.abs, "abs", NONZERO),
    _unary("sign", tt.sign, np.sign, "sign", NONZERO),
    _unary("sin", tt.sin, np.sin, "sin"),
    _unary("cos", tt.cos, np.cos, "cos"),
    _unary("tanh", tt.tanh, np.tanh, "tanh"),
    _unary("sigmoid", tt.sigmoid, _sigmoid, "sigmoid", floats(-10.0, 10.0)),
    _unary("relu", tt.relu, lambda x: np.maximum(x, 0.0), "relu", NONZERO),
    OpCase("clamp", tt.clamp, _np_clamp, _ttorch_clamp, _clamp_inputs()),
    OpCase(
        "clamp_tensor",
        lambda x, lo, hi: tt.clamp(x, lo, hi),
        lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
        lambda x, lo, hi: _torch_minmax_clamp(x, lo, hi),
        _clamp_tensor_inputs(),
    ),
    OpCase(
        "maximum",
        tt.maximum,
        np.maximum,
        torch_call("maximum"),
        binary_inputs(lattice(0.0), lattice(0.17)),
    ),
    OpCase(
        "minimum",
        tt.minimum,
        np.minimum,
        torch_call("minimum"),
        binary_inputs(lattice(0.0), lattice(0.17)),
    ),
    OpCase("where", tt.where, np.where, torch_call("where"), _where_inputs()),
    OpCase(
        "where_method",
        lambda c, a, b: a.where(c, b),
        np.where,
        torch_call("where"),
        _where_inputs(),
    ),
    _unary("floor", tt.floor, np.floor, "floor", NOT_INTEGER),
    _unary("ceil", tt.ceil, np.ceil, "ceil", NOT_INTEGER),
    _unary("round", tt.round, np.round, "round", NOT_HALF),
    _unary("trunc", tt.trunc, np.trunc, "trunc", NOT_INTEGER),
]
