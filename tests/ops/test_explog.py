"""Exponentials and logarithms (tinytensor/ops/explog.py): the table-driven properties of every row
in ops/optable/explog.py (forward, gradient, PyTorch, second derivatives)."""

from ops.harness import table_tests
from ops.optable import EXPLOG as CASES
from ops.optable._pointwise import second_derivative_test

test_forward_and_gradient, test_matches_torch = table_tests(CASES)
test_second_derivatives = second_derivative_test(CASES)
