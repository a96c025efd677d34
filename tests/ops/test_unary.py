"""One-input math (tinytensor/ops/unary.py): the table-driven properties of every row in
ops/optable/unary.py (forward, gradient, PyTorch, second derivatives), then semantics the table
cannot express."""

import numpy as np
import pytest

import tinytensor as tt
from ops.harness import table_tests
from ops.optable import UNARY as CASES
from ops.optable._pointwise import second_derivative_test

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_derivatives = second_derivative_test(CASES)


# --- semantics ----------------------------------------------------------------------------------


def test_rounding_ops_record_a_zero_gradient():
    x = tt.tensor([0.4, 1.6, -2.5], requires_grad=True)
    for op in (tt.floor, tt.ceil, tt.round, tt.trunc):
        out = op(x)
        assert out.requires_grad
        out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    assert tt.round(tt.tensor([0.5, 1.5, 2.5])).tolist() == [0.0, 2.0, 2.0]  # half to even


def test_sigmoid_saturates_without_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = tt.sigmoid(tt.tensor([-1000.0, 0.0, 1000.0]))
    assert out.tolist() == [0.0, 0.5, 1.0]


def test_float_unary_ops_on_integers_give_default_float():
    out = tt.exp(tt.tensor([0, 1]))
    assert out.dtype is tt.float32
    np.testing.assert_allclose(out.numpy(), [1.0, np.e], rtol=1e-6)
    assert tt.sqrt(tt.tensor([4])).dtype is tt.float32


def _changed_after_forward(lib, fn, where):
    """fn(y) with y = 2x, then y or the output changed in place; returns the backward error."""
    x = lib.tensor([0.3, -1.2, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 2.0
    out = fn(y)
    (y if where == "input" else out).mul_(3.0)
    try:
        out.sum().backward()
    except RuntimeError as e:
        return e
    return None


@pytest.mark.parametrize("where", ["input", "out"])
def test_sgn_saves_input_and_output(where):
    assert _changed_after_forward(tt, tt.sgn, where) is not None


@pytest.mark.torch
@pytest.mark.parametrize("where", ["input", "out"])
def test_sgn_saves_input_and_output_as_torch(where):
    torch = pytest.importorskip("torch")
    assert _changed_after_forward(torch, torch.sgn, where) is not None
