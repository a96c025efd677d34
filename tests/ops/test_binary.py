"""Binary arithmetic (tinytensor/ops/binary.py): the table-driven properties of every row in
ops/optable/binary.py (forward, gradient, PyTorch, second derivatives), then semantics the table
cannot express."""

import pytest

import tinytensor as tt
from ops.harness import table_tests
from ops.optable import BINARY as CASES
from ops.optable._pointwise import second_derivative_test

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_derivatives = second_derivative_test(CASES)


# --- semantics ----------------------------------------------------------------------------------


def test_pow_zero_exponent_has_zero_gradient_everywhere():
    x = tt.tensor([0.0, 2.0, -3.0], requires_grad=True)
    (x**0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    y = tt.tensor([0.0, 0.0], requires_grad=True)
    (y ** tt.tensor([0.0, 2.0])).sum().backward()
    assert y.grad.tolist() == [0.0, 0.0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's float division by zero
def test_integer_division_and_remainder_by_zero_raise():
    with pytest.raises(ZeroDivisionError, match="floor_divide"):
        tt.tensor([1, 2]) // 0
    with pytest.raises(ZeroDivisionError, match="remainder"):
        tt.tensor([1, 2]) % tt.tensor([1, 0])
    assert (tt.tensor([1.0]) / 0).tolist() == [float("inf")]  # floats follow IEEE


def test_alpha_scales_the_second_operand_and_its_gradient():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    b = tt.tensor([3.0, 4.0], requires_grad=True)
    out = tt.add(a, b, alpha=2)
    assert out.tolist() == [7.0, 10.0]
    out.sum().backward()
    assert b.grad.tolist() == [2.0, 2.0]
