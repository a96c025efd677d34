"""The reflected operators (``2 - x``, ``2 % x``, ``[..] @ x``...): a Python number or list on
the left keeps its place as the first operand, checked against NumPy without torch."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import tinytensor as tt

X = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.25]])


@pytest.mark.parametrize(
    "op",
    [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
     operator.mod, operator.pow],
    ids=lambda f: f.__name__,
)  # fmt: skip
@pytest.mark.parametrize("left", [7.0, -3.5, 2])
def test_a_number_on_the_left_is_the_first_operand(op, left):
    x = np.abs(X) if op is operator.pow else X
    if op is operator.pow:
        left = abs(left)  # a negative base to a fractional power is NaN (and a warning)
    got = op(left, tt.tensor(x))
    np.testing.assert_allclose(got.numpy(), op(left, x), rtol=1e-12)


def test_reflected_mod_and_floordiv_follow_the_divisors_sign():
    """Python's (and PyTorch's) remainder takes the divisor's sign: 7 % -2 == -1."""
    x = tt.tensor([-2.0, 3.0, -4.0])
    np.testing.assert_array_equal((7 % x).numpy(), [-1.0, 1.0, -1.0])
    np.testing.assert_array_equal((7 // x).numpy(), [-4.0, 2.0, -2.0])
    np.testing.assert_array_equal((-7 % x).numpy(), [-1.0, 2.0, -3.0])


def test_a_list_on_the_left_of_matmul():
    w = np.arange(6.0).reshape(3, 2)
    got = [[1.0, 2.0, 3.0]] @ tt.tensor(w)
    np.testing.assert_array_equal(got.numpy(), np.array([[1.0, 2.0, 3.0]]) @ w)


def test_reflected_gradients_reach_the_tensor():
    x = tt.tensor([2.0, 4.0], requires_grad=True)
    (3.0 - x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, -1.0])
    x.grad = None
    (8.0 / x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-2.0, -0.5])
    x.grad = None
    (2.0**x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.log(2.0) * 2.0 ** np.array([2.0, 4.0]))
    x.grad = None
    (5.0 % x).sum().backward()  # d/dx (a - floor(a/x)*x) = -floor(a/x)
    np.testing.assert_array_equal(x.grad.numpy(), [-2.0, -1.0])
