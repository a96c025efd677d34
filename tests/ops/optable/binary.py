"""Op-table rows for binary arithmetic (tinytensor/ops/binary.py)."""

from __future__ import annotations

import numpy as np

import tinytensor as tt

from ._base import OpCase, binary_inputs, floats, unary_inputs
from ._pointwise import (
    NONZERO,
    POSITIVE,
    _b,
    _division_inputs,
    _np_lerp,
    _operators,
    _pow_scalar_inputs,
    _ternary,
)
from ._torch import torch_call

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
    OpCase("lerp", tt.lerp, _np_lerp, torch_call("lerp"), _ternary()),
    OpCase(
        "lerp_scalar",
        lambda s, e: tt.lerp(s, e, 0.3),
        lambda s, e: _np_lerp(s, e, 0.3),
        torch_call("lerp", weight=0.3),
        binary_inputs(),
    ),
    OpCase("fmod", tt.fmod, np.fmod, torch_call("fmod"), _division_inputs()),
    OpCase("remainder", tt.remainder, np.remainder, torch_call("remainder"), _division_inputs()),
    OpCase(
        "fmod_scalar",
        lambda x: tt.fmod(x, 1.3),
        lambda x: np.fmod(x, 1.3),
        torch_call("fmod", other=1.3),
        unary_inputs(floats(-3.0, 3.0, avoid=(-2.6, -1.3, 0.0, 1.3, 2.6))),
    ),
    _b("copysign", tt.copysign, np.copysign, NONZERO, NONZERO),
    OpCase(
        "addcmul",
        lambda x, a, b: tt.addcmul(x, a, b, value=0.5),
        lambda x, a, b: x + 0.5 * a * b,
        torch_call("addcmul", value=0.5),
        _ternary(),
    ),
    OpCase(
        "addcdiv",
        lambda x, a, b: tt.addcdiv(x, a, b, value=-1.5),
        lambda x, a, b: x - 1.5 * a / b,
        torch_call("addcdiv", value=-1.5),
        _ternary(c=NONZERO),
    ),
    _b("float_power", tt.float_power, np.power, POSITIVE, floats(-2.0, 2.0)),
    _b("true_divide", tt.true_divide, np.true_divide, b=NONZERO),
]
