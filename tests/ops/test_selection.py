"""Selection between operands (tinytensor/ops/selection.py): the table-driven properties of every
row in ops/optable/selection.py (forward, gradient, PyTorch, second derivatives), then semantics
the table cannot express."""

import pytest

import tinytensor as tt
from ops.harness import table_tests
from ops.optable import SELECTION as CASES
from ops.optable._pointwise import second_derivative_test

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_derivatives = second_derivative_test(CASES)


# --- semantics ----------------------------------------------------------------------------------


def test_ties_split_the_gradient_in_half():
    a = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tt.tensor([1.0, 1.0, 3.0], requires_grad=True)
    tt.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.5]
    assert b.grad.tolist() == [0.5, 0.0, 0.5]


def test_where_gives_no_gradient_to_condition_and_needs_bool():
    a = tt.tensor([1.0, 2.0], requires_grad=True)
    out = tt.where(a > 1.5, a, 0.0)
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0]
    with pytest.raises(RuntimeError, match="where: condition must be a bool"):
        tt.where(tt.tensor([1.0, 0.0]), a, a)


def test_clamp_integer_tensor_with_float_bound_promotes_like_torch():
    out = tt.clamp(tt.tensor([1, 2, 3]), min=1.5)
    assert out.dtype is tt.float32 and out.tolist() == [1.5, 2.0, 3.0]
    assert tt.clamp(tt.tensor([1, 5]), 0, 3).tolist() == [1, 3]
    assert tt.clamp(tt.tensor([1, 5]), 0, 3).dtype is tt.int64
    with pytest.raises(RuntimeError, match="at least one of min and max"):
        tt.clamp(tt.tensor([1.0]))
